//! `gatehouse serve` against slow and idle clients, over raw TCP: each is cut off after its
//! timeout, and none of them stops the server from answering others.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gatehouse_cli::connection_limits::ConnectionLimits;
use gatehouse_shared::store::memory::MemoryStore;
use gatehouse_tests::*;

const TIMEOUT: Duration = Duration::from_millis(600);
/// Far beyond any timeout under test: a read still blocked this long means the server never
/// closed the connection.
const NEVER: Duration = Duration::from_secs(10);

async fn server(limits: ConnectionLimits) -> SocketAddr {
    spawn_server_with_limits(Arc::new(MemoryStore::from_catalog(&demo_catalog())), limits).await
}

fn short_timeouts() -> ConnectionLimits {
    ConnectionLimits {
        header_read: TIMEOUT,
        body_read: TIMEOUT,
        ..ConnectionLimits::default()
    }
}

/// Connects and sends `bytes`, then leaves the connection as it is.
fn send(address: SocketAddr, bytes: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.write_all(bytes.as_bytes()).unwrap();
    stream
}

/// Everything the server sends until it closes the connection, and how long that took; panics
/// if it has not closed it after [`NEVER`].
fn read_until_closed(mut stream: TcpStream) -> (String, Duration) {
    let start = Instant::now();
    stream.set_read_timeout(Some(NEVER)).unwrap();
    let mut received = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(error) => panic!(
                "the server kept the connection open for {:?} ({error}); got {:?}",
                start.elapsed(),
                String::from_utf8_lossy(&received)
            ),
        }
    }
    (
        String::from_utf8_lossy(&received).into_owned(),
        start.elapsed(),
    )
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_half_its_headers_is_closed_after_the_header_timeout() {
    let address = server(short_timeouts()).await;
    let (received, waited) = blocking(move || {
        read_until_closed(send(
            address,
            "POST /oauth/token HTTP/1.1\r\nHost: localhost\r\nContent-Ty",
        ))
    })
    .await;
    assert!(waited >= TIMEOUT - Duration::from_millis(100), "{waited:?}");
    assert!(!received.contains("200 OK"), "{received}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_shorter_than_its_content_length_gets_408_and_a_close_after_the_body_timeout() {
    let address = server(short_timeouts()).await;
    let (received, waited) = blocking(move || {
        read_until_closed(send(
            address,
            "POST /oauth/token HTTP/1.1\r\nHost: localhost\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n\
             grant_type=client_credentials",
        ))
    })
    .await;
    assert!(waited >= TIMEOUT - Duration::from_millis(100), "{waited:?}");
    let (head, body) = received.split_once("\r\n\r\n").expect("a whole response");
    assert!(head.starts_with("HTTP/1.1 408 "), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );
    let body: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
    assert_eq!(body["error"], "request_timeout");
    assert_eq!(body["errors"][0]["code"], "REQUEST_TIMEOUT");
    assert_eq!(body["errors"][0]["status"], 408);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let address = server(short_timeouts()).await;
    let (received, waited) = blocking(move || {
        let mut stream = send(
            address,
            "GET /.well-known/jwks.json HTTP/1.1\r\nHost: localhost\r\n\r\n",
        );
        // The answer comes at once; then the connection idles, kept alive, until the timeout.
        stream.set_read_timeout(Some(NEVER)).unwrap();
        let mut first = [0; 16];
        stream.read_exact(&mut first).unwrap();
        assert_eq!(&first[..12], b"HTTP/1.1 200");
        read_until_closed(stream)
    })
    .await;
    assert!(waited >= TIMEOUT - Duration::from_millis(100), "{waited:?}");
    assert!(received.contains("\"keys\""), "{received}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keep_alive_connection_serves_several_requests_within_the_timeout() {
    let address = server(short_timeouts()).await;
    let received = blocking(move || {
        let mut stream = send(address, "");
        for _ in 0..3 {
            std::thread::sleep(TIMEOUT / 3);
            stream
                .write_all(b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .unwrap();
        }
        stream
            .write_all(b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .unwrap();
        read_until_closed(stream).0
    })
    .await;
    assert_eq!(received.matches("HTTP/1.1 200 OK").count(), 4, "{received}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_at_once_while_hundreds_of_slow_connections_are_open() {
    let address = server(ConnectionLimits {
        header_read: NEVER,
        body_read: NEVER,
        ..ConnectionLimits::default()
    })
    .await;
    let slow = blocking(move || {
        (0..300)
            .map(|i| match i % 2 {
                0 => send(address, "GET /.well-known/jwks.json HTTP/1.1\r\nHo"),
                _ => send(
                    address,
                    "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 99\r\n\r\ngrant",
                ),
            })
            .collect::<Vec<_>>()
    })
    .await;
    let start = Instant::now();
    let response = http_request(address, "GET", "/.well-known/jwks.json", &[], "").await;
    assert_eq!(response.status, 200);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    drop(slow);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_cap_a_client_waits_until_a_slow_connection_times_out() {
    let address = server(ConnectionLimits {
        max_connections: 8,
        ..short_timeouts()
    })
    .await;
    let slow = blocking(move || {
        (0..8)
            .map(|_| send(address, "GET / HTTP/1.1\r\nHo"))
            .collect::<Vec<_>>()
    })
    .await;
    // Let the server accept all eight before the ninth arrives.
    tokio::time::sleep(TIMEOUT / 4).await;
    let start = Instant::now();
    let response = http_request(address, "GET", "/.well-known/jwks.json", &[], "").await;
    assert_eq!(response.status, 200);
    let waited = start.elapsed();
    assert!(
        waited >= TIMEOUT / 2 && waited < NEVER,
        "answered after {waited:?}: the cap did not hold it back"
    );
    drop(slow);
}
