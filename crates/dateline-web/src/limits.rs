//! What one request may cost the node: how big and how slow its body may be (per group of routes,
//! checked before anything is read), and how much uncached work the node takes on at once.
//!
//! Load shedding: page-cache hits are answered in `CacheFirst` before any of this, so a node under
//! a flood of uncached requests (searches, misses, posts) keeps serving its cached pages. Uncached
//! work is admitted while a slot is free and otherwise answered at once with 503 and
//! `Retry-After` (RFC 9110 §15.6.4), which costs a few microseconds instead of a queue that grows
//! until every answer is late. The newsroom has slots of its own, so a flood on the public site
//! does not lock the editors out of correcting it.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderValue, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::{RequestBodyDeadlineLayer, RequestBodyTimeoutLayer};

/// How large a request body a group of routes takes and how long it may take to arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// Bodies declaring more (`Content-Length`) are refused with 413 before a byte is read;
    /// bodies without a length stop with an error at this size.
    pub max_bytes: usize,
    /// The whole body must have arrived within this time of the handler starting to read it.
    pub deadline: Duration,
}

/// No part of a body may take longer than this to arrive, whatever the route: a client that
/// sends a byte now and then cannot hold a request open until its deadline.
pub const BODY_IDLE: Duration = Duration::from_secs(10);

impl BodyLimits {
    /// Readers' forms: comments (at most a few thousand characters), reports, sign-up and sign-in.
    pub const READER_FORMS: Self = Self {
        max_bytes: 64 * 1024,
        deadline: Duration::from_secs(20),
    };

    /// The newsroom and the Admin API: a backstop above the largest thing staff send (a picture
    /// of the image limit, 25 MB, with its form). Each route checks its own, smaller limit
    /// first and answers in its own format (the Admin API in JSON); this only refuses what no
    /// route would take, before reading it. Staff on a slow line get minutes.
    pub fn newsroom() -> Self {
        Self {
            max_bytes: 32 * 1024 * 1024,
            deadline: Duration::from_secs(5 * 60),
        }
    }

    /// Applies these limits to every route of `router`. A route inside may be stricter (axum's
    /// `DefaultBodyLimit`), never larger: the check here comes first.
    pub fn apply<S: Clone + Send + Sync + 'static>(self, router: Router<S>) -> Router<S> {
        router
            .layer(RequestBodyLimitLayer::new(self.max_bytes))
            .layer(RequestBodyTimeoutLayer::new(BODY_IDLE))
            .layer(RequestBodyDeadlineLayer::new(self.deadline))
    }
}

/// Which pool of slots a request's uncached work takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lane {
    Public,
    Newsroom,
    /// The health check: a load balancer must hear the node is alive while it is busy.
    Unlimited,
}

fn lane(path: &str) -> Lane {
    if path == "/healthz" {
        Lane::Unlimited
    } else if path == "/newsroom"
        || path.starts_with("/newsroom/")
        || path.starts_with("/api/v1/admin/")
    {
        Lane::Newsroom
    } else {
        Lane::Public
    }
}

/// Every slot is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

/// The node's slots for uncached work.
pub(crate) struct Capacity {
    public: Arc<Semaphore>,
    public_slots: usize,
    newsroom: Arc<Semaphore>,
}

/// Staff requests at once: a newsroom is a few dozen people.
const NEWSROOM_SLOTS: usize = 16;

/// What a client is told when the node is full: come back in a moment.
const RETRY_AFTER_SECONDS: &str = "2";

impl Capacity {
    pub(crate) fn new(public_slots: usize) -> Self {
        let public_slots = public_slots.max(1);
        Self {
            public: Arc::new(Semaphore::new(public_slots)),
            public_slots,
            newsroom: Arc::new(Semaphore::new(NEWSROOM_SLOTS)),
        }
    }

    /// Uncached public requests being worked on right now.
    pub(crate) fn public_in_use(&self) -> usize {
        self.public_slots - self.public.available_permits()
    }

    /// A slot for uncached work on `path`, held until the answer's head is ready (`None`: the
    /// path needs none); `Err` when every slot is taken, and [`busy`] is the answer.
    pub(crate) fn admit(&self, path: &str) -> Result<Option<OwnedSemaphorePermit>, Full> {
        let slots = match lane(path) {
            Lane::Unlimited => return Ok(None),
            Lane::Public => &self.public,
            Lane::Newsroom => &self.newsroom,
        };
        match Arc::clone(slots).try_acquire_owned() {
            Ok(permit) => Ok(Some(permit)),
            Err(_) => Err(Full),
        }
    }
}

/// 503 with `Retry-After`, plain and small: nothing rendered, nothing read from the database.
pub(crate) fn busy() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS)),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
        ],
        "The site is very busy. Please try again in a moment.\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newsroom_and_the_health_check_have_lanes_of_their_own() {
        assert_eq!(lane("/healthz"), Lane::Unlimited);
        assert_eq!(lane("/newsroom"), Lane::Newsroom);
        assert_eq!(lane("/newsroom/articles/3"), Lane::Newsroom);
        assert_eq!(lane("/api/v1/admin/articles"), Lane::Newsroom);
        assert_eq!(lane("/newsroomx"), Lane::Public);
        assert_eq!(lane("/api/v1/articles"), Lane::Public);
        assert_eq!(lane("/search"), Lane::Public);
    }

    #[test]
    fn past_capacity_work_is_refused_until_a_slot_frees() {
        let capacity = Capacity::new(2);
        let first = capacity.admit("/search").expect("slot");
        let _second = capacity.admit("/search").expect("slot");
        assert_eq!(capacity.admit("/search").expect_err("full"), Full);
        let refused = busy();
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.headers()[RETRY_AFTER], "2");
        // The newsroom still gets in, and so does the health check.
        assert!(capacity.admit("/newsroom/articles").is_ok());
        assert!(capacity.admit("/healthz").expect("always").is_none());
        drop(first);
        assert!(capacity.admit("/search").is_ok());
    }
}
