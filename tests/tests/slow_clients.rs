//! `gatehouse serve` against slow and idle clients, over raw TCP: each is cut off after its
//! timeout, and none of them stops the server from answering others, nor does one address
//! holding every connection it may.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gatehouse_cli::connection_limits::{ConnectionLimits, DEFAULT_MAX_CONNECTIONS};
use gatehouse_store::memory::MemoryStore;
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
        // Every connection here comes from 127.0.0.1: this is about slow clients, not about
        // one address's share.
        max_connections_per_address: DEFAULT_MAX_CONNECTIONS,
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

/// A connection from `from` (a loopback address of this machine) to `to`, its request's
/// headers half sent.
async fn half_sent_from(from: &str, to: SocketAddr) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(to).await.unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\nHo").await.unwrap();
    stream
}

/// Has the server closed `stream` (or reset it) within `wait`?
async fn closed_within(stream: &mut tokio::net::TcpStream, wait: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buffer = [0; 64];
    match tokio::time::timeout(wait, stream.read(&mut buffer)).await {
        Ok(Ok(0)) | Ok(Err(_)) => true,
        Ok(Ok(n)) => panic!(
            "the server answered a half-sent request: {:?}",
            String::from_utf8_lossy(&buffer[..n])
        ),
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_at_most_its_share_of_connections_and_another_is_still_served() {
    let address = server(ConnectionLimits {
        header_read: NEVER,
        body_read: NEVER,
        max_connections: 8,
        max_connections_per_address: 3,
    })
    .await;
    // 127.0.0.1 tries to take every connection the server holds.
    let mut greedy = Vec::new();
    for _ in 0..8 {
        greedy.push(half_sent_from("127.0.0.1", address).await);
    }
    let mut closed = 0;
    for stream in &mut greedy {
        if closed_within(stream, TIMEOUT).await {
            closed += 1;
        }
    }
    assert_eq!(
        closed, 5,
        "the server should hold 3 of the 8 and close the rest"
    );
    // Another address is answered at once, though 127.0.0.1 holds all it may.
    let start = Instant::now();
    let mut other = half_sent_from("127.0.0.2", address).await;
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        other
            .write_all(b"st: localhost\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        tokio::time::timeout(NEVER, other.read_to_string(&mut answer))
            .await
            .expect("127.0.0.2 is answered")
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 404 "), "{answer}");
    }
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    // The held three are still open, and a fourth from 127.0.0.1 is closed.
    let mut fourth = half_sent_from("127.0.0.1", address).await;
    assert!(closed_within(&mut fourth, TIMEOUT).await);
    drop(greedy);
}
