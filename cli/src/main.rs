//! `gatehouse`: run every function locally, import seeds into DynamoDB, make signing keys.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use gatehouse_admin::{AdminAccess, AdminApi, AdminService, AdminToken};
use gatehouse_cli::admin::{self, AdminCommand};
use gatehouse_cli::banner;
use gatehouse_cli::config::{service_config, ServeArgs};
use gatehouse_cli::router::Functions;
use gatehouse_cli::server;
use gatehouse_cli::table::WhenMissing;
use gatehouse_cli::{read_file, read_seed_file};
use gatehouse_core::clock::SystemClock;
use gatehouse_core::jwt::{generate_private_key_pem, KeySet, SigningAlgorithm};
use gatehouse_core::model::Catalog;
use gatehouse_core::seed::{parse_seed, DEMO_SEED};
use gatehouse_edge::config::{secret_rotation_overlap, vars};
use gatehouse_edge::runtime::Runtime;
use gatehouse_store::dynamo::{self, DynamoStore};
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::Store;

#[derive(Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Gatehouse, an OAuth 2.0 token service for headless commerce"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every function on one local port, on the embedded store unless told otherwise.
    Serve(ServeArgs),
    /// Load a seed file into a DynamoDB table (the stack's, or one made with --create-table).
    Import {
        #[arg(long)]
        seed: PathBuf,
        /// A local DynamoDB API (e.g. moto); without it, the AWS default chain decides.
        #[arg(long)]
        dynamodb_endpoint: Option<String>,
        #[arg(long, required_unless_present = "plan")]
        table: Option<String>,
        /// Create the table when it does not exist (local and test runs: a table made here has
        /// none of the stack's deletion protection, backups or alarms). Without it, a table
        /// that does not exist is an error.
        #[arg(long, conflicts_with = "plan")]
        create_table: bool,
        /// Write nothing: print the catalog items, bytes and write units that importing the
        /// seed into an empty table would write.
        #[arg(long)]
        plan: bool,
        /// With --plan: plan importing the seed into a table that holds this one instead.
        #[arg(long, requires = "plan")]
        against: Option<PathBuf>,
    },
    /// Make and show signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    #[command(flatten)]
    Admin(AdminCommand),
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print a new private signing key (PKCS#8 PEM): the secret of
    /// GATEHOUSE_SIGNING_KEYS_SECRET_ARN in AWS, or GATEHOUSE_SIGNING_KEYS locally.
    Generate {
        #[arg(long, default_value = "ES256", value_parser = ["ES256", "RS512"])]
        algorithm: String,
    },
    /// Print the public keys of the keys in FILES (PEM, private or public), or on standard
    /// input, for GATEHOUSE_PUBLISHED_KEYS.
    Public {
        files: Vec<PathBuf>,
        /// One line (base64 DER, comma-separated) instead of PEM: the form the template's
        /// PublishedKeys parameter takes, since SAM CLI cuts parameter values at spaces.
        #[arg(long)]
        one_line: bool,
    },
}

type Failure = Box<dyn std::error::Error>;

/// The seed `serve` loads, and whether it is the demo seed.
fn read_seed(path: Option<&Path>) -> Result<(Catalog, bool), Failure> {
    match path {
        Some(path) => read_seed_file(path),
        None => Ok((parse_seed(DEMO_SEED)?, true)),
    }
}

const DEV_KEY_DIR: &str = ".gatehouse";

fn load_keys(args: &ServeArgs) -> Result<KeySet, Failure> {
    if let Some(path) = &args.signing_keys {
        return Ok(KeySet::from_pem(&read_file(path)?)?);
    }
    if let Ok(text) = std::env::var(vars::SIGNING_KEYS) {
        return Ok(KeySet::from_pem(&text)?);
    }
    let algorithm = SigningAlgorithm::parse(&args.algorithm).ok_or("unknown algorithm")?;
    let path =
        PathBuf::from(DEV_KEY_DIR).join(format!("dev-signing-key-{}.pem", algorithm.as_str()));
    if !path.exists() {
        std::fs::create_dir_all(DEV_KEY_DIR)?;
        std::fs::write(&path, generate_private_key_pem(algorithm))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        println!("Generated a development signing key: {}", path.display());
    }
    Ok(KeySet::from_pem(&std::fs::read_to_string(&path)?)?)
}

/// The admin API of `gatehouse serve`, when an admin token is configured.
fn admin_api(args: &ServeArgs, runtime: &Runtime<dyn Store>) -> Result<Option<AdminApi>, Failure> {
    let Some(token) = args.admin_token(&|name| std::env::var(name).ok())? else {
        return Ok(None);
    };
    let source = match args.admin_token_file {
        Some(_) => "--admin-token-file",
        None => vars::ADMIN_TOKEN,
    };
    let token = AdminToken::new(&token).map_err(|e| format!("{source}: {e}"))?;
    let rotation_overlap = secret_rotation_overlap(args.secret_rotation_overlap)
        .map_err(|e| format!("--secret-rotation-overlap: {e}"))?;
    Ok(Some(AdminApi {
        service: AdminService::new(
            runtime.store(),
            Arc::clone(&runtime.clock),
            rotation_overlap,
        ),
        access: AdminAccess::Token(token),
    }))
}

async fn serve(args: ServeArgs) -> Result<(), Failure> {
    let observer = gatehouse_edge::observe::init::serve()?;
    // The demo seed's secrets are public (they are in the repository); any other store's are not.
    let (catalog, demo_seed) = read_seed(args.seed.as_deref())?;
    let config = service_config(&args, &catalog.organization)?;
    let keys = Arc::new(load_keys(&args)?);
    let store: Arc<dyn Store> = match (&args.dynamodb_endpoint, &args.table) {
        (Some(endpoint), Some(table)) => {
            let store = DynamoStore::new(dynamo::client(Some(endpoint)).await, table);
            gatehouse_cli::table::checked(&store, WhenMissing::Refuse)
                .await
                .map_err(|e| format!("DynamoDB at {endpoint}: {e}"))?;
            Arc::new(store)
        }
        // Moved in: a large catalog is not held twice.
        _ => Arc::new(MemoryStore::holding(catalog)),
    };
    // One process: one bound on password hashing (the token endpoint's password grant and the
    // sign-in page take their turns in the same queue) and one memory of refusals.
    // The backend secret from the environment or a file, never from a flag: a flag's value
    // shows in every process listing.
    let env = |name: &str| std::env::var(name).ok();
    let backend_secret = gatehouse_edge::forwarded::load_backend_secret(&env).await?;
    let trusts_backends = backend_secret.is_some();
    let runtime =
        Runtime::new(store, config, Arc::new(SystemClock)).with_backend_secret(backend_secret);
    let admin = admin_api(&args, &runtime)?;
    let admin_served = admin.is_some();
    let functions = Arc::new(Functions::new(&runtime, Arc::clone(&keys), admin)?);
    let (store, config) = (&runtime.store, &runtime.config);
    let address = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    println!(
        "Gatehouse is serving on {} (organization {})",
        config.issuer, config.organization.slug
    );
    match &args.dynamodb_endpoint {
        Some(endpoint) => println!(
            "Store: DynamoDB table {} at {endpoint}",
            args.table.as_deref().unwrap_or("")
        ),
        None => println!(
            "Store: embedded, loaded from {}",
            args.seed
                .as_deref()
                .map_or("the demo seed".into(), |p| p.display().to_string())
        ),
    }
    println!(
        "Signing with {} key {}",
        keys.signing_key().algorithm.as_str(),
        keys.signing_key().kid
    );
    println!(
        "Rate limit: {} requests per client IP in any {} s (token, revoke, sign-in: each its own count)",
        config.rate_limit.limit,
        config.rate_limit.window.as_secs()
    );
    if trusts_backends {
        println!("Backends presenting the backend secret in x-backend-auth are counted by x-true-client-ip");
    }
    println!(
        "Password hashing: {} at once, {} ms wait at most, then 503",
        config.password_hashing.concurrency,
        config.password_hashing.deadline.as_millis()
    );
    if args.dynamodb_endpoint.is_none() && demo_seed {
        banner::print_demo_credentials(DEMO_SEED);
    } else {
        banner::print_applications(store.as_ref()).await;
    }
    if admin_served {
        println!(
            "Admin API: {}/admin/ with Authorization: Bearer <the admin token>",
            config.issuer
        );
    }
    println!(
        "Try: curl -s {}/oauth/token -d grant_type=client_credentials -d client_id=demo-storefront -d scope=market:1001",
        config.issuer
    );
    let client_address = match &args.client_ip_header {
        Some(header) => {
            println!("Client addresses: from the {header} header (benchmark switch: never expose this server)");
            server::ClientAddress::Header(header.clone())
        }
        None => server::ClientAddress::Peer,
    };
    let limits = args.connection_limits();
    println!(
        "Timeouts: headers (and idle keep-alive) {} s, body {} s; at most {} connections at once, {} per client address",
        limits.header_read.as_secs(),
        limits.body_read.as_secs(),
        limits.max_connections,
        limits.max_connections_per_address
    );
    // Ctrl-C or SIGTERM stop the server; main then writes the last log lines out.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("cannot listen for SIGTERM: {e}"))?;
    tokio::select! {
        _ = server::run_observed(listener, functions, observer, client_address, limits) => {}
        _ = tokio::signal::ctrl_c() => println!("Stopping."),
        _ = terminate.recv() => println!("Stopping."),
    }
    Ok(())
}

fn public_keys(files: &[PathBuf], one_line: bool) -> Result<(), Failure> {
    let text = match files {
        [] => std::io::read_to_string(std::io::stdin())?,
        files => files
            .iter()
            .map(|path| read_file(path))
            .collect::<Result<_, _>>()?,
    };
    if one_line {
        println!("{}", gatehouse_core::jwt::public_one_line(&text)?);
    } else {
        print!("{}", gatehouse_core::jwt::public_pem(&text)?);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let command = Cli::parse().command;
    // Logs go to stderr (see observe::init::cli): stdout carries keys and the start banner.
    // Under `serve`, in batches, so that a busy server makes one write for many lines.
    let batched = match &command {
        Command::Serve(_) => gatehouse_edge::observe::init::serve_logging().map(Some),
        _ => gatehouse_edge::observe::init::cli().map(|()| None),
    };
    let batched = match batched {
        Ok(batched) => batched,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        Command::Serve(args) => {
            let served = serve(args).await;
            if let Some(writer) = &batched {
                writer.flush_now();
            }
            served
        }
        Command::Import {
            seed,
            dynamodb_endpoint,
            table,
            create_table,
            plan,
            against,
        } => match (plan, table) {
            (true, _) => gatehouse_cli::import::plan(&seed, against.as_deref()),
            (false, Some(table)) => {
                let missing = match create_table {
                    true => WhenMissing::Create,
                    false => WhenMissing::Refuse,
                };
                let endpoint = dynamodb_endpoint.as_deref();
                gatehouse_cli::import::import(&seed, endpoint, &table, missing).await
            }
            (false, None) => Err("import needs --table (or --plan)".into()),
        },
        Command::Keys(KeysCommand::Public { files, one_line }) => public_keys(&files, one_line),
        Command::Admin(command) => admin::run(command, &mut std::io::stdout()).await,
        Command::Keys(KeysCommand::Generate { algorithm }) => {
            let algorithm = SigningAlgorithm::parse(&algorithm).expect("clap checked the value");
            print!("{}", generate_private_key_pem(algorithm));
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            ExitCode::FAILURE
        }
    }
}
