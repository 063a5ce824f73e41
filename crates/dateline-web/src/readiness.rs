//! `/readyz` (issue 14): whether a load balancer should send this node requests. `/healthz`
//! says the process is alive; `/readyz` says it can do its work: the database answers with the
//! schema this build knows, the storage answers, and the node is not shutting down.
//!
//! Anyone may ask, so the verdict is remembered for [`REMEMBERED`]: a flood of `/readyz` costs
//! the database and the bucket one check a second, not one per request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::Response;
use http::StatusCode;

use crate::AppState;
use crate::metrics::json_reason;

/// How long a verdict stands.
const REMEMBERED: Duration = Duration::from_secs(1);

/// An object no one stores: looking it up tells whether the storage answers (a stat on a
/// local folder, a HEAD on S3), whatever it holds.
const PROBE_KEY: &str = "readyz-probe";

#[derive(Debug, Default)]
pub(crate) struct Readiness {
    draining: AtomicBool,
    last: tokio::sync::Mutex<Option<(Instant, Result<(), &'static str>)>>,
}

impl Readiness {
    pub(crate) fn start_draining(&self) {
        self.draining.store(true, Ordering::Release);
    }

    pub(crate) fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }
}

/// `GET /readyz`: 200 `{"ready":true,…}`, or 503 with the reason.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let verdict = if state.is_draining() {
        Err("draining: this node is shutting down")
    } else {
        let mut last = state.readiness().last.lock().await;
        match *last {
            Some((at, verdict)) if at.elapsed() < REMEMBERED => verdict,
            _ => {
                let verdict = check(&state).await;
                *last = Some((Instant::now(), verdict));
                verdict
            }
        }
    };
    match verdict {
        Ok(()) => json_reason(StatusCode::OK, true, "ready"),
        Err(reason) => json_reason(StatusCode::SERVICE_UNAVAILABLE, false, reason),
    }
}

async fn check(state: &AppState) -> Result<(), &'static str> {
    match state.store().schema_is_current().await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!("not ready: the database schema is not the one this build knows");
            return Err("database schema differs from this build's migrations");
        }
        Err(error) => {
            tracing::warn!(%error, "not ready: the database does not answer");
            return Err("database unreachable");
        }
    }
    if let Err(error) = state.media().size(PROBE_KEY).await {
        tracing::warn!(%error, "not ready: the storage does not answer");
        return Err("storage unreachable");
    }
    Ok(())
}
