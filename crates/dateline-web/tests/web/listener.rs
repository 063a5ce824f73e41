//! The listener against real sockets: partial request heads, idle keep-alive connections, the
//! connection cap, oversized heads, clients that stop reading, slow bodies, and the graceful
//! shutdown. A tokio `TcpStream` plays the attacker, writing bytes by hand.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};
use dateline_web::{BodyLimits, ListenerLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Server {
    address: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Asks for the shutdown and waits for `serve` to return; how long that took.
    async fn shut_down(mut self) -> Duration {
        let started = Instant::now();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.done)
            .await
            .expect("the server task")
            .expect("serve returns Ok");
        started.elapsed()
    }
}

fn site() -> Router {
    let slow_body = BodyLimits {
        max_bytes: 1024,
        deadline: Duration::from_secs(1),
    }
    .apply(Router::new().route("/echo", post(|body: String| async move { body })));
    Router::new()
        .route("/", get(|| async { "ok" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(700)).await;
                "finished"
            }),
        )
        .route("/never", get(std::future::pending::<&'static str>))
        .route(
            "/big",
            get(|| async {
                // 64 MiB, far more than the socket buffers hold.
                let chunk = bytes::Bytes::from(vec![b'x'; 1024 * 1024]);
                let chunks = futures_util::stream::iter(
                    (0..64).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
                );
                axum::body::Body::from_stream(chunks)
            }),
        )
        .merge(slow_body)
}

async fn start(limits: ListenerLimits) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(dateline_web::serve(listener, site(), limits, async move {
        let _ = stopped.await;
    }));
    Server {
        address,
        stop: Some(stop),
        done,
    }
}

fn quick(header_read: Duration) -> ListenerLimits {
    ListenerLimits {
        header_read,
        ..ListenerLimits::default()
    }
}

/// Reads until the peer closes the connection (or `limit` passes: then `None`).
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| received)
}

/// Reads one whole answer whose body is `body` long.
async fn answer(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut received = Vec::new();
    tokio::time::timeout(limit, async {
        let mut buffer = [0u8; 4096];
        loop {
            let text = String::from_utf8_lossy(&received).into_owned();
            if let Some(head_end) = text.find("\r\n\r\n") {
                let length = text[..head_end]
                    .lines()
                    .find_map(|line| {
                        line.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(str::to_owned)
                    })
                    .and_then(|n| n.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if received.len() >= head_end + 4 + length {
                    return Some(text);
                }
            }
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await
    .ok()
    .flatten()
}

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: news.example\r\n\r\n";

#[tokio::test]
async fn a_request_head_that_does_not_arrive_in_time_loses_the_connection() {
    let server = start(quick(Duration::from_secs(1))).await;
    // Half a head, then nothing.
    let mut partial = TcpStream::connect(server.address).await.expect("connect");
    partial
        .write_all(b"GET / HTTP/1.1\r\nHost: news.example\r\n")
        .await
        .expect("write");
    let started = Instant::now();
    let received = closed_within(&mut partial, Duration::from_secs(5))
        .await
        .expect("the server closed the connection");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(!String::from_utf8_lossy(&received).contains("200 OK"));
    // A byte every 200 ms does not reset the clock: the head as a whole is late.
    let mut trickle = TcpStream::connect(server.address).await.expect("connect");
    let started = Instant::now();
    let mut cut = false;
    for byte in b"GET / HTTP/1.1\r\nHost: news.example\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa" {
        if trickle.write_all(&[*byte]).await.is_err() {
            cut = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        if started.elapsed() > Duration::from_secs(4) {
            break;
        }
    }
    if !cut {
        cut = closed_within(&mut trickle, Duration::from_secs(1))
            .await
            .is_some();
    }
    assert!(cut, "the trickling head was cut off");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    server.shut_down().await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let server = start(quick(Duration::from_secs(1))).await;
    let mut stream = TcpStream::connect(server.address).await.expect("connect");
    stream.write_all(GET).await.expect("write");
    let first = answer(&mut stream, Duration::from_secs(5))
        .await
        .expect("an answer");
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    // Kept alive: a second request on the same connection is answered.
    stream.write_all(GET).await.expect("write");
    let second = answer(&mut stream, Duration::from_secs(5))
        .await
        .expect("an answer");
    assert!(second.starts_with("HTTP/1.1 200"), "{second}");
    let started = Instant::now();
    closed_within(&mut stream, Duration::from_secs(5))
        .await
        .expect("the idle connection was closed");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    server.shut_down().await;
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_one_closes() {
    let server = start(ListenerLimits {
        max_connections: 2,
        ..ListenerLimits::default()
    })
    .await;
    let first = TcpStream::connect(server.address).await.expect("connect");
    let _second = TcpStream::connect(server.address).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = TcpStream::connect(server.address)
        .await
        .expect("the kernel queues it");
    third.write_all(GET).await.expect("write");
    assert!(
        answer(&mut third, Duration::from_millis(500))
            .await
            .is_none(),
        "no answer while two connections hold the slots"
    );
    drop(first);
    let answered = answer(&mut third, Duration::from_secs(5))
        .await
        .expect("served once a slot freed");
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    server.shut_down().await;
}

#[tokio::test]
async fn an_oversized_request_head_is_refused() {
    let server = start(ListenerLimits::default()).await;
    let mut stream = TcpStream::connect(server.address).await.expect("connect");
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: news.example\r\nCookie: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let _ = stream.write_all(huge.as_bytes()).await;
    let received = closed_within(&mut stream, Duration::from_secs(5))
        .await
        .expect("closed");
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 431"), "{text}");
    // Too many headers as well.
    let mut stream = TcpStream::connect(server.address).await.expect("connect");
    let many: String = (0..150).map(|n| format!("X-H{n}: v\r\n")).collect();
    let _ = stream
        .write_all(format!("GET / HTTP/1.1\r\nHost: n\r\n{many}\r\n").as_bytes())
        .await;
    let received = closed_within(&mut stream, Duration::from_secs(5))
        .await
        .expect("closed");
    assert!(String::from_utf8_lossy(&received).starts_with("HTTP/1.1 431"));
    server.shut_down().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_gives_its_connection_back() {
    let server = start(ListenerLimits {
        max_connections: 1,
        write_stall: Duration::from_secs(1),
        ..ListenerLimits::default()
    })
    .await;
    let mut greedy = TcpStream::connect(server.address).await.expect("connect");
    greedy
        .write_all(b"GET /big HTTP/1.1\r\nHost: news.example\r\n\r\n")
        .await
        .expect("write");
    // It never reads. The next client waits for the only slot, which the stalled write frees.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let mut next = TcpStream::connect(server.address).await.expect("connect");
    next.write_all(GET).await.expect("write");
    let answered = answer(&mut next, Duration::from_secs(10))
        .await
        .expect("served after the stalled connection was dropped");
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    drop(greedy);
    server.shut_down().await;
}

#[tokio::test]
async fn a_body_that_does_not_arrive_by_its_deadline_is_refused() {
    let server = start(ListenerLimits::default()).await;
    let mut stream = TcpStream::connect(server.address).await.expect("connect");
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: news.example\r\nContent-Length: 100\r\n\r\n")
        .await
        .expect("write");
    let started = Instant::now();
    let trickle = async {
        for _ in 0..100 {
            if stream.write_all(b"a").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(3), trickle).await;
    let received = closed_within(&mut stream, Duration::from_secs(3)).await;
    let text = String::from_utf8_lossy(received.as_deref().unwrap_or_default()).into_owned();
    assert!(text.starts_with("HTTP/1.1 4"), "refused: {text}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // A body declaring more than the route takes is refused before it is sent.
    let mut stream = TcpStream::connect(server.address).await.expect("connect");
    stream
        .write_all(
            b"POST /echo HTTP/1.1\r\nHost: news.example\r\nContent-Length: 100000000\r\n\r\n",
        )
        .await
        .expect("write");
    let refused = answer(&mut stream, Duration::from_secs(3))
        .await
        .expect("an answer");
    assert!(refused.starts_with("HTTP/1.1 413"), "{refused}");
    server.shut_down().await;
}

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_and_stops_accepting() {
    let server = start(ListenerLimits::default()).await;
    let address = server.address;
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(b"GET /slow HTTP/1.1\r\nHost: news.example\r\n\r\n")
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let shutting = tokio::spawn(server.shut_down());
    let finished = answer(&mut stream, Duration::from_secs(5))
        .await
        .expect("the request in flight finished");
    assert!(finished.starts_with("HTTP/1.1 200"), "{finished}");
    assert!(finished.ends_with("finished"), "{finished}");
    let took = shutting.await.expect("shutdown");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(
        TcpStream::connect(address).await.is_err(),
        "no longer accepting"
    );
}

/// Connections the kernel completed before the shutdown came are open to their clients, whose
/// requests are sent: they are answered, once each, not reset when the socket closes. Here the
/// shutdown comes before the server has accepted any of them (those it still takes in its loop
/// are accepted but not yet read, the other way to lose a request on shutdown).
#[tokio::test]
async fn shutdown_answers_the_connections_still_waiting_to_be_accepted() {
    let listener = dateline_web::bind("127.0.0.1:0".parse().expect("address")).expect("bind");
    let address = listener.local_addr().expect("address");
    let mut waiting = Vec::new();
    for _ in 0..5 {
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: news.example\r\n\r\n")
            .await
            .expect("write");
        waiting.push(stream);
    }
    let served = tokio::spawn(dateline_web::serve(
        listener,
        site(),
        ListenerLimits::default(),
        std::future::ready(()),
    ));
    for (n, mut stream) in waiting.into_iter().enumerate() {
        let answer = closed_within(&mut stream, Duration::from_secs(5))
            .await
            .expect("the connection closes after its answer");
        assert!(
            answer.starts_with(b"HTTP/1.1 200"),
            "connection {n}: {:?}",
            String::from_utf8_lossy(&answer)
        );
    }
    served
        .await
        .expect("the server task")
        .expect("serve returns Ok");
}

#[tokio::test]
async fn shutdown_gives_up_on_what_outlasts_the_grace_period() {
    let server = start(ListenerLimits {
        shutdown_grace: Duration::from_millis(500),
        ..ListenerLimits::default()
    })
    .await;
    let mut stream = TcpStream::connect(server.address).await.expect("connect");
    stream
        .write_all(b"GET /never HTTP/1.1\r\nHost: news.example\r\n\r\n")
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let took = server.shut_down().await;
    assert!(took < Duration::from_secs(2), "{took:?}");
}

/// A burst of connections larger than the kernel's usual backlog (128; 300 here, within the
/// 1,024 file descriptors a test process may have) waits in the accept queue
/// instead of being dropped (a dropped SYN costs the client a second before it tries again): the
/// listener `dateline_web::bind` makes holds them while nothing accepts.
#[tokio::test]
async fn a_burst_of_connections_waits_for_accept_instead_of_being_dropped() {
    let listener = dateline_web::bind("127.0.0.1:0".parse().expect("address")).expect("bind");
    let address = listener.local_addr().expect("address");
    let mut connected = Vec::new();
    for _ in 0..300 {
        // Nothing accepts yet: each connection completes its handshake into the backlog, or its
        // SYN is dropped and `connect` waits for the retransmission, past this limit.
        let stream = tokio::time::timeout(Duration::from_millis(500), TcpStream::connect(address))
            .await
            .unwrap_or_else(|_| panic!("connection {} waited for a SYN retry", connected.len() + 1))
            .expect("connect");
        connected.push(stream);
    }
    // And the server then serves every one of them.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(dateline_web::serve(
        listener,
        site(),
        ListenerLimits::default(),
        async move {
            let _ = stopped.await;
        },
    ));
    let mut answered = 0;
    for mut stream in connected {
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("write");
        let answer = closed_within(&mut stream, Duration::from_secs(10))
            .await
            .expect("an answer");
        if answer.starts_with(b"HTTP/1.1 200") {
            answered += 1;
        }
    }
    assert_eq!(answered, 300);
    let _ = stop.send(());
    served.await.expect("server task").expect("serve");
}
