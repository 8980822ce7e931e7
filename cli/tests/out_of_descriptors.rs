//! `gatehouse serve` run out of file descriptors, in a child process whose open-file limit is
//! lowered to 48: it must pause its accept loop instead of spinning on EMFILE with a warning
//! per failure, and answer again once the slow clients that took the descriptors time out.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const GATEHOUSE: &str = env!("CARGO_BIN_EXE_gatehouse");
const OPEN_FILE_LIMIT: u32 = 48;
const SLOW_CLIENTS: usize = 150;

/// Counts what the child writes to stderr without keeping it: before the fix, that was half a
/// gigabyte in seconds.
#[derive(Default)]
struct StderrCount {
    bytes: AtomicU64,
    accept_warnings: AtomicU64,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The status line of a GET over a fresh connection, or None if there is none within `wait`.
fn get(address: SocketAddr, wait: Duration) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&address, wait).ok()?;
    stream.set_read_timeout(Some(wait)).ok()?;
    stream
        .write_all(
            b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        )
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.lines().next().map(str::to_owned)
}

#[test]
fn out_of_descriptors_the_server_backs_off_quietly_and_answers_once_slow_clients_time_out() {
    let directory = std::env::temp_dir().join(format!(
        "gatehouse-out-of-descriptors-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&directory).unwrap();
    let port = free_port();
    let address: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // `ulimit -n` in the shell the server is exec'd from: the limit is the child's alone.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -n {OPEN_FILE_LIMIT} && exec \"$0\" \"$@\""))
        .arg(GATEHOUSE)
        .args(["serve", "--port", &port.to_string()])
        .args(["--header-read-timeout", "1", "--body-read-timeout", "1"])
        .current_dir(&directory)
        .env("RUST_LOG", "warn")
        .env("GATEHOUSE_LOG_FORMAT", "text")
        .env_remove("GATEHOUSE_SIGNING_KEYS")
        .env_remove("GATEHOUSE_ADMIN_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gatehouse serve starts");
    let count = Arc::new(StderrCount::default());
    let stderr = child.stderr.take().unwrap();
    let counting = Arc::clone(&count);
    let reader = std::thread::spawn(move || {
        let mut lines = BufReader::new(stderr);
        let mut line = Vec::new();
        while lines.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
            counting
                .bytes
                .fetch_add(line.len() as u64, Ordering::Relaxed);
            if String::from_utf8_lossy(&line).contains("accept failed") {
                counting.accept_warnings.fetch_add(1, Ordering::Relaxed);
            }
            line.clear();
        }
    });

    let outcome = std::panic::catch_unwind(|| {
        let start = Instant::now();
        while get(address, Duration::from_secs(1)).as_deref() != Some("HTTP/1.1 200 OK") {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // Far more slow clients than descriptors: the server runs out and must back off.
        let slow: Vec<TcpStream> = (0..SLOW_CLIENTS)
            .map(|_| {
                let mut stream = TcpStream::connect(address).unwrap();
                stream.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();
                stream
            })
            .collect();
        std::thread::sleep(Duration::from_millis(500));
        // Queued behind them in the listen backlog; answered once header timeouts free enough
        // descriptors (a second per batch of about 40).
        let start = Instant::now();
        let status = get(address, Duration::from_secs(20));
        let waited = start.elapsed();
        drop(slow);
        (status, waited)
    });
    // SIGTERM, so that the server writes out its last log lines before it exits.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    reader.join().unwrap();
    let _ = std::fs::remove_dir_all(&directory);
    let (status, waited) = outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic));

    let warnings = count.accept_warnings.load(Ordering::Relaxed);
    let bytes = count.bytes.load(Ordering::Relaxed);
    eprintln!(
        "answered {status:?} after {waited:?}; {warnings} accept warnings, {bytes} bytes of stderr"
    );
    assert_eq!(
        status.as_deref(),
        Some("HTTP/1.1 200 OK"),
        "no answer after {waited:?}"
    );
    // At least one warning shows the server did run out; one per run of failures (plus one
    // saying it accepts again) shows it did not warn per failure.
    assert!(
        (1..=12).contains(&warnings),
        "{warnings} accept warnings, {bytes} bytes of stderr"
    );
    assert!(bytes < 64 * 1024, "{bytes} bytes of stderr");
}
