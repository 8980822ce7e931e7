//! Ending a cold start whose configuration is unusable, with a message that names the setting.
//!
//! A function that returns its error from `main` prints it with `Debug` (`Error: Empty`), which
//! names nothing, and Lambda then reports only that the runtime exited. Instead the message is
//! logged, written to stderr (which CloudWatch keeps), and posted to the Lambda Runtime API's
//! init-error endpoint, so that the failed invocation itself says what is wrong.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The Runtime API's address, set by Lambda (and by a local emulator) for the bootstrap.
const RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";

/// Logs why `function` cannot start, reports it to the Runtime API when there is one, and exits.
pub fn exit_at_init(function: &str, error: &dyn std::fmt::Display) -> ! {
    let message = format!("{function} cannot start: {error}");
    tracing::error!(message = %message, "init failed");
    eprintln!("{message}");
    if let Ok(address) = std::env::var(RUNTIME_API) {
        if let Err(failure) = report_init_error(&address, &message) {
            eprintln!("could not report the init error to the Lambda Runtime API: {failure}");
        }
    }
    std::process::exit(1)
}

/// `POST /2018-06-01/runtime/init/error` (the Lambda Runtime API), over a plain connection:
/// the function's HTTP client is not built yet when its configuration fails.
fn report_init_error(address: &str, message: &str) -> std::io::Result<()> {
    let body = serde_json::json!({
        "errorMessage": message,
        "errorType": "Runtime.ConfigError",
        "stackTrace": [],
    })
    .to_string();
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    write!(
        stream,
        "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: {address}\r\n\
         Lambda-Runtime-Function-Error-Type: Runtime.ConfigError\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    // Wait for the answer so that the report is taken before the process exits.
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    Ok(())
}

/// Every function's `main` after its own wiring: starts logging and metrics, builds the
/// function's dependencies with `init` (once per cold start; a bad setting ends the cold start
/// through [`exit_at_init`]), then serves the Lambda Runtime API, one request line and one
/// metrics document per invocation.
pub async fn run_function<S, H, Fut>(
    function: &'static str,
    init: impl std::future::Future<Output = Result<S, crate::config::ConfigError>>,
    handle: H,
) -> Result<(), lambda_http::Error>
where
    S: Send + Sync + 'static,
    H: Fn(lambda_http::Request, std::sync::Arc<S>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = lambda_http::Response<lambda_http::Body>> + Send,
{
    let observer =
        crate::observe::init::lambda().unwrap_or_else(|error| exit_at_init(function, &error));
    let service = std::sync::Arc::new(
        init.await
            .unwrap_or_else(|error| exit_at_init(function, &error)),
    );
    let handle = std::sync::Arc::new(handle);
    lambda_http::run(lambda_http::service_fn(move |request| {
        let service = std::sync::Arc::clone(&service);
        let observer = observer.clone();
        let handle = std::sync::Arc::clone(&handle);
        async move {
            let response = observer.observe(request, |r| handle(r, service)).await;
            Ok::<_, std::convert::Infallible>(response)
        }
    }))
    .await
}
