//! The listener: accepts TCP connections and speaks HTTP/1.1 on them with the limits a server on
//! the open internet needs. The binary only binds the socket and hands it here.
//!
//! What a connection may cost is bounded before any request reaches the site:
//! - at most [`ListenerLimits::max_connections`] at once; past that, new connections wait in the
//!   kernel's accept queue instead of taking memory here;
//! - hyper's header-read timeout closes a connection whose request head has not arrived in time.
//!   hyper arms the same timer while a kept-alive connection waits for its next request, so it is
//!   the idle keep-alive timeout as well;
//! - request heads are capped in size (431 past it) and in header count;
//! - a client that stops reading what it asked for loses the connection after
//!   [`ListenerLimits::write_stall`] without progress;
//! - bodies have per-route size limits and read deadlines (`limits`).
//!
//! Shutdown stops accepting at once, answers the connections already waiting in the kernel's
//! accept queue (and those accepted but not yet read) one request each, lets requests in flight
//! finish for up to [`ListenerLimits::shutdown_grace`], and then returns; what is still open is
//! dropped.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio_io_timeout::TimeoutStream;
use tower::Service;

/// How the listener bounds connections. [`Default`] is what `dateline serve` uses unless the
/// operator's configuration says otherwise.
#[derive(Debug, Clone)]
pub struct ListenerLimits {
    /// Time a client has to send a whole request head, counted from when the connection starts
    /// waiting for it (so also the longest a kept-alive connection may sit idle).
    pub header_read: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// The longest a response may wait for the client to accept more bytes.
    pub write_stall: Duration,
    /// The largest request head (request line and headers) accepted, in bytes.
    pub max_head_bytes: usize,
    /// On shutdown, how long requests in flight may take to finish.
    pub shutdown_grace: Duration,
}

impl Default for ListenerLimits {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            max_connections: 8192,
            write_stall: Duration::from_secs(30),
            // Browsers send a few kilobytes; 32 KiB leaves room for long cookies and referrers.
            max_head_bytes: 32 * 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// What the listener serves: `dateline_web::service`, or any router (tests).
pub trait Site:
    Service<
        axum::extract::Request,
        Response = axum::response::Response,
        Error = std::convert::Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + 'static
{
}

impl<S> Site for S where
    S: Service<
            axum::extract::Request,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + 'static
{
}

/// Headers a request may carry; hyper's default, stated so that it is a decision.
const MAX_HEADERS: usize = 100;

/// Connections the kernel holds for us between our `accept`s. A burst past it is not refused but
/// dropped, and the client's TCP sends its SYN again only after a second (RFC 6298 §2.1): at
/// 128, the kernel's usual default, a flood of a few thousand connections a second turned
/// refusals that take microseconds into waits of one to three seconds (`bench/abuse.sh`). Linux
/// caps it at `net.core.somaxconn` (4096 since 5.4).
const ACCEPT_BACKLOG: u32 = 4096;

/// The listening socket for `address`, with room for bursts of connections ([`ACCEPT_BACKLOG`]).
pub fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As every server does: a restart can listen again while the last run's connections are in
    // TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// Serves `site` on `listener` until `shutdown` completes, then drains (see the module notes).
pub async fn serve(
    listener: TcpListener,
    site: impl Site,
    limits: ListenerLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let max_connections = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max_connections));
    let (drain, draining) = watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .max_buf_size(limits.max_head_bytes.max(8192))
        .max_headers(MAX_HEADERS)
        .keep_alive(true);
    let spawn_connection = |stream: TcpStream, peer: SocketAddr, slot: OwnedSemaphorePermit| {
        // A response goes out in one write; Nagle's algorithm would only hold back its last
        // segment.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        let asked = Arc::new(Asked::default());
        let connection = http.serve_connection(
            TokioIo::new(stalling_writes_fail(stream, limits.write_stall)),
            hyper_service(site.clone(), peer, Arc::clone(&asked)),
        );
        let mut draining = draining.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => Some(ended),
                _ = draining.wait_for(|draining| *draining) => None,
            };
            let ended = match ended {
                Some(ended) => ended,
                None => {
                    // Draining. A connection accepted a moment ago may not have read its first
                    // request yet, though its client sent it: hyper would close it as idle,
                    // cutting that request off. It gets its request (within the head's time
                    // limit); a connection that has asked already finishes what it is doing.
                    if !asked.already() {
                        tokio::select! {
                            ended = connection.as_mut() => {
                                log_connection_end(ended, peer);
                                drop(slot);
                                return;
                            }
                            () = asked.first.notified() => {}
                        }
                    }
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            log_connection_end(ended, peer);
            drop(slot);
        });
    };

    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    pause_after_accept_error(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        spawn_connection(stream, peer, slot);
    }
    let _ = drain.send(true);
    // The connections the kernel completed before we stopped are open to their clients, whose
    // requests may be on the way: each is taken from the backlog and answered once, rather
    // than reset when the socket closes.
    let listener = listener.into_std()?;
    let mut from_backlog = 0_usize;
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                    break;
                };
                let stream = stream
                    .set_nonblocking(true)
                    .and_then(|()| TcpStream::from_std(stream));
                match stream {
                    Ok(stream) => {
                        spawn_connection(stream, peer, slot);
                        from_backlog += 1;
                    }
                    Err(error) => tracing::debug!(%error, "could not take a waiting connection"),
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(error) => {
                use std::io::ErrorKind;
                if !matches!(
                    error.kind(),
                    ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
                ) {
                    break;
                }
            }
        }
    }
    drop(listener);
    tracing::info!(
        from_backlog,
        "no longer accepting connections; finishing requests in flight"
    );
    // Every connection holds a slot until it ends: all of them back means all have ended.
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    tokio::select! {
        _ = slots.acquire_many(all) => tracing::info!("every connection finished"),
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!(
                grace_seconds = limits.shutdown_grace.as_secs(),
                "requests still in flight after the grace period were dropped"
            );
        }
    }
    Ok(())
}

/// Whether a connection has been asked anything yet, and the signal of its first request.
#[derive(Default)]
struct Asked {
    any: AtomicBool,
    first: Notify,
}

impl Asked {
    fn request(&self) {
        if !self.any.swap(true, Ordering::AcqRel) {
            // A permit is stored if nobody waits yet, so the drain cannot miss it.
            self.first.notify_one();
        }
    }

    fn already(&self) -> bool {
        self.any.load(Ordering::Acquire)
    }
}

fn log_connection_end(ended: Result<(), hyper::Error>, peer: SocketAddr) {
    if let Err(error) = ended {
        tracing::debug!(%error, %peer, "connection ended with an error");
    }
}

/// The site as hyper calls it: the peer address goes into the request (`ConnectInfo`, where the
/// client-address middleware reads it) and hyper's body becomes axum's; `asked` learns of each
/// request.
fn hyper_service<S>(
    site: S,
    peer: SocketAddr,
    asked: Arc<Asked>,
) -> impl hyper::service::Service<
    http::Request<Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Future<Output = Result<axum::response::Response, std::convert::Infallible>>
             + Send
             + 'static,
> + Clone
where
    S: Service<
            axum::extract::Request,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    hyper::service::service_fn(move |request: http::Request<Incoming>| {
        asked.request();
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        // `CacheFirst` and the router are always ready; calling without `poll_ready` is their
        // contract (as in `axum::serve`).
        site.clone().call(request)
    })
}

/// The connection's socket, failing a write that makes no progress for `stall`: a client that
/// asks for an answer and never reads it cannot keep the connection (and what it holds) forever.
fn stalling_writes_fail(stream: TcpStream, stall: Duration) -> Pin<Box<TimeoutStream<TcpStream>>> {
    let mut stream = TimeoutStream::new(stream);
    stream.set_write_timeout(Some(stall));
    Box::pin(stream)
}

/// After a failed `accept`: running out of file descriptors (or memory) is retried after a pause
/// instead of spinning; a connection that failed before it was accepted is simply skipped.
async fn pause_after_accept_error(error: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    ) {
        return;
    }
    tracing::warn!(%error, "accepting a connection failed; pausing for a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
