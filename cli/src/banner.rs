//! What `gatehouse serve` prints at start about the applications it serves: the store's, by
//! client id, or the demo seed's with their (published) secrets and passwords.

use gatehouse_store::Administration;
use serde_json::Value;

use crate::admin_output::application_line;

/// The start banner's applications: what the store holds, by client id, never a secret.
pub async fn print_applications(store: &dyn Administration) {
    println!("Applications:");
    match store.list_applications(None).await {
        Ok(applications) if applications.is_empty() => println!("  none"),
        Ok(applications) => {
            for application in &applications {
                println!("  {}", application_line(application));
            }
        }
        Err(error) => println!("  (cannot list them: {error})"),
    }
}

/// The seed's records under `key`; none when it holds no list there.
fn list<'a>(seed: &'a Value, key: &str) -> &'a [Value] {
    seed[key].as_array().map_or(&[], Vec::as_slice)
}

/// The demo seed's applications with their secrets, and its customers and users with their
/// passwords, for the start banner: they are published in the repository anyway. No other
/// seed's secrets are ever printed.
pub fn print_demo_credentials(seed_text: &str) {
    let Ok(seed) = serde_json::from_str::<Value>(seed_text) else {
        return;
    };
    println!("Applications:");
    for app in list(&seed, "applications") {
        let secret = app["client_secret"]
            .as_str()
            .map(|s| format!("  client_secret={s}"))
            .unwrap_or_default();
        println!(
            "  {:<14} {:<5} client_id={}{}",
            app["kind"].as_str().unwrap_or("?"),
            app["mode"].as_str().unwrap_or("?"),
            app["client_id"].as_str().unwrap_or("?"),
            secret
        );
    }
    let customers = list(&seed, "customers");
    if !customers.is_empty() {
        println!("Customers (password grant):");
    }
    for customer in customers {
        println!(
            "  {:<5} username={}  password={}  group={}",
            customer["mode"].as_str().unwrap_or("?"),
            customer["email"].as_str().unwrap_or("?"),
            customer["password"].as_str().unwrap_or("?"),
            customer["customer_group_id"].as_str().unwrap_or("none")
        );
    }
    let users = list(&seed, "users");
    if !users.is_empty() {
        println!("Users (sign in to webapps at /oauth/authorize):");
    }
    for user in users {
        println!(
            "  {:<5} email={}  password={}",
            user["mode"].as_str().unwrap_or("?"),
            user["email"].as_str().unwrap_or("?"),
            user["password"].as_str().unwrap_or("?"),
        );
    }
}
