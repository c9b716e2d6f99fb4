//! Request-level protections: who the client is (behind trusted proxies), a deadline on
//! request bodies, and no caching of personal pages.

use super::session::SESSION_COOKIE;
use crate::startup::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// The client address that limits are keyed on: the TCP peer, or the address a trusted proxy
/// reports in `X-Forwarded-For` (see [`crate::auth::client_ip`]); IPv6 as its /64.
pub fn client_addr(req: &HttpRequest, state: &AppState) -> Option<IpAddr> {
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    crate::auth::client_ip(
        req.peer_addr().map(|a| a.ip()),
        &forwarded,
        &state.settings.trusted_proxies,
    )
    .map(crate::auth::limit_key)
}

/// Middleware: a response to a request that carries a session cookie is not stored by the
/// browser or any cache, so the back button on a shared computer does not show her pages
/// after log-out. Responses that set their own policy (the immutable static assets, which
/// hold nothing personal, and the downloads) keep it.
pub async fn no_store(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let has_session = req.cookie(SESSION_COOKIE).is_some();
    let mut res = next.call(req).await?;
    if has_session && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// Middleware: the request body must keep arriving. actix times out a slow request head but
/// not a body, so a client could hold a connection (and a file descriptor) forever by sending
/// headers and then nothing. The body is cut off after `body_idle_timeout` without data or
/// `body_deadline` in all; the extractor then fails and the connection is closed.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // Only an upload needs long; a form of 64 KB has no reason to take more than seconds
    // (review 2026-12-06, M1r).
    let upload = req.path() == "/import";
    let limits = req.app_data::<actix_web::web::Data<AppState>>().map(|s| {
        let total = if upload {
            s.settings.body_deadline
        } else {
            s.settings.form_deadline
        };
        (s.settings.body_idle_timeout, total)
    });
    if let Some((idle, total)) = limits {
        let inner = req.take_payload();
        let guarded = TimedPayload {
            inner,
            idle,
            started: Instant::now(),
            total,
            timer: None,
        };
        req.set_payload(Payload::Stream {
            payload: Box::pin(guarded),
        });
    }
    next.call(req).await
}

/// The error a timed-out body reads as (a `TimedOut` I/O error, see [`is_body_timeout`]).
fn timed_out() -> PayloadError {
    PayloadError::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "request body arrived too slowly",
    ))
}

/// Whether a payload error is the deadline of [`body_deadline`].
pub fn is_body_timeout(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}

struct TimedPayload {
    inner: Payload,
    idle: Duration,
    started: Instant,
    total: Duration,
    /// Created when the body first has to wait, and re-armed after each chunk.
    timer: Option<Pin<Box<Sleep>>>,
}

impl TimedPayload {
    fn next_deadline(&self) -> Instant {
        (Instant::now() + self.idle).min(self.started + self.total)
    }
}

impl futures_core::Stream for TimedPayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let deadline = this.next_deadline();
                if let Some(t) = this.timer.as_mut() {
                    t.as_mut().reset(deadline);
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(other) => Poll::Ready(other),
            Poll::Pending => {
                let deadline = this.next_deadline();
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(timed_out()))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

/// Connections open per client address, for a cap that keeps one client from taking every
/// file descriptor (review 2026-12-06, M1r). Counted per TCP peer (as its /64 for IPv6); a
/// trusted proxy carries many clients and is not capped here.
pub struct Connections {
    per_addr: usize,
    trusted: Vec<IpAddr>,
    open: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>>,
}

/// A connection's place in [`Connections`], kept in the connection's data and given back
/// when the connection closes.
struct ConnectionSlot {
    addr: IpAddr,
    open: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>>,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.addr) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.addr);
            }
        }
    }
}

impl Connections {
    pub fn new(per_addr: usize, trusted: &[IpAddr]) -> Connections {
        Connections {
            per_addr: per_addr.max(1),
            trusted: trusted
                .iter()
                .map(|t| crate::auth::canonical_ip(*t))
                .collect(),
            open: Default::default(),
        }
    }

    /// Called by actix for each new connection: counts it, or shuts it down at once when its
    /// address already has `per_addr` open (the client sees the connection closed, and the
    /// descriptor is freed as soon as actix notices).
    pub fn admit(&self, io: &dyn std::any::Any, data: &mut actix_web::dev::Extensions) {
        let Some(stream) = io.downcast_ref::<actix_web::rt::net::TcpStream>() else {
            return;
        };
        let Ok(peer) = stream.peer_addr() else { return };
        let addr = crate::auth::limit_key(crate::auth::canonical_ip(peer.ip()));
        if self.trusted.contains(&addr) {
            return;
        }
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(addr).or_default();
        if *n >= self.per_addr {
            drop(open);
            let _ = socket2::SockRef::from(stream).shutdown(std::net::Shutdown::Both);
            return;
        }
        *n += 1;
        drop(open);
        data.insert(ConnectionSlot {
            addr,
            open: self.open.clone(),
        });
    }
}

/// Raises the soft limit on open files to the hard one (at most 65,536) and returns the soft
/// limit in force: connections are capped below it.
pub fn raise_file_limit() -> u64 {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                return 1024;
            }
            let want = lim.rlim_max.min(65_536);
            if want > lim.rlim_cur {
                let raised = libc::rlimit {
                    rlim_cur: want,
                    rlim_max: lim.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    lim.rlim_cur = want;
                }
            }
        }
        lim.rlim_cur
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        1024
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// M1r (review 2026-12-06): one client could open connections until the process ran out of
    /// file descriptors. Past `per_addr` open connections from one address, a new one is shut
    /// at once; closing one (dropping its data) frees its place.
    #[tokio::test]
    async fn m1r_connections_past_the_cap_are_shut() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let caps = Connections::new(2, &[]);
        let mut clients = Vec::new();
        let mut held = Vec::new();
        for _ in 0..3 {
            clients.push(tokio::net::TcpStream::connect(addr).await.unwrap());
            let (server_side, _) = listener.accept().await.unwrap();
            let mut data = actix_web::dev::Extensions::new();
            caps.admit(&server_side, &mut data);
            held.push((server_side, data));
        }
        let mut buf = [0u8; 8];
        // The third was shut by the server: its client reads the end of the stream.
        assert_eq!(clients[2].read(&mut buf).await.unwrap(), 0);
        let open_here = || {
            let open = caps.open.lock().unwrap();
            open.get(&"127.0.0.1".parse::<IpAddr>().unwrap()).copied()
        };
        assert_eq!(open_here(), Some(2));
        // Closing one gives its place to the next, which is counted and kept.
        held.remove(0);
        assert_eq!(open_here(), Some(1));
        let _late = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (server_side, _) = listener.accept().await.unwrap();
        let mut data = actix_web::dev::Extensions::new();
        caps.admit(&server_side, &mut data);
        assert_eq!(open_here(), Some(2));
        drop(data);
        drop(held);
        assert_eq!(open_here(), None, "every place given back");
    }
}
