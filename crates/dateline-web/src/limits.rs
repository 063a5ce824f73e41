//! What one request may cost the node: how big and how slow its body may be (per group of routes,
//! checked before anything is read), and how much uncached work the node takes on at once.
//!
//! Load shedding: page-cache hits are answered in `CacheFirst` before any of this, so a node under
//! a flood of uncached requests (searches, misses, posts) keeps serving its cached pages. Uncached
//! work is admitted while a slot is free and otherwise answered at once with 503 and
//! `Retry-After` (RFC 9110 §15.6.4), which costs a few microseconds instead of a queue that grows
//! until every answer is late. The newsroom has slots of its own, so a flood on the public site
//! does not lock the editors out of correcting it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONNECTION, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderValue, Method, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::{RequestBodyDeadlineLayer, RequestBodyTimeoutLayer};

use crate::AppState;

/// How large a request body a group of routes takes and how long it may take to arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// Bodies declaring more (`Content-Length`) are refused with 413 before a byte is read;
    /// bodies without a length stop with an error at this size.
    pub max_bytes: usize,
    /// The whole body must have arrived within this time of the request reaching its route.
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
            .layer(read_deadlines(BODY_IDLE, self.deadline))
    }
}

/// A body must not pause for longer than `idle`, nor take longer than `whole` in all, counted
/// from the request reaching its route. For routes outside [`BodyLimits::apply`] that set their
/// own size limit (the tips routes).
pub(crate) fn read_deadlines(
    idle: Duration,
    whole: Duration,
) -> (RequestBodyTimeoutLayer, RequestBodyDeadlineLayer) {
    (
        RequestBodyTimeoutLayer::new(idle),
        RequestBodyDeadlineLayer::new(whole),
    )
}

/// Which pool of slots a request's uncached work takes, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lane {
    Public,
    /// A reader's form: admitted to `Public` once its (small) body has arrived whole
    /// ([`admitted_after_body`]), so a client trickling a body holds a connection, not a slot.
    PublicAfterBody,
    Newsroom,
    /// A newsroom request with a body: admitted once its sender is known to be staff (a live
    /// session or API token: then before the body, which may be a large picture), or else once
    /// its small body has arrived (the sign-in form) ([`newsroom_admitted`]). So an anonymous
    /// client trickling a body holds a connection, never one of the slots the editors need.
    NewsroomAfterCheck,
    /// Tip submissions stream large uploads for minutes: slots of their own, so slow uploads
    /// can only keep other tips waiting.
    Tips,
    /// The health and readiness checks and the metrics: a load balancer must hear the node is
    /// alive while it is busy, and the operator see why it is busy (each is cheap and bounded:
    /// `/readyz` checks once a second, `/metrics` scrapes one at a time).
    Unlimited,
}

/// Methods whose requests carry a body to read before the work starts.
fn carries_body(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

fn lane(method: &Method, path: &str) -> Lane {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if matches!(path, "/healthz" | "/readyz" | "/metrics") {
        Lane::Unlimited
    } else if under("/newsroom") || under("/api/v1/admin") {
        if carries_body(method) {
            Lane::NewsroomAfterCheck
        } else {
            Lane::Newsroom
        }
    } else if carries_body(method) && under("/tips") {
        Lane::Tips
    } else if carries_body(method) {
        Lane::PublicAfterBody
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
    tips: Arc<Semaphore>,
    rerenders: Arc<Semaphore>,
    /// The page each re-render in progress is for, so the readers asking for it at the same
    /// time wait for that one render instead of starting their own.
    rendering: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

/// Staff requests at once: a newsroom is a few dozen people.
const NEWSROOM_SLOTS: usize = 16;
/// Tip submissions at once on one node. An upload holds its slot until its body is in (up to an
/// hour for 125 MB on a slow line, `public/tips/upload.rs`), with memory per upload bounded, so
/// there is room for many; a flood of them is the tips limits' to refuse (per address, per node).
const TIP_SLOTS: usize = 64;
/// Renders of pages dropped from the cache, at once, besides the public slots.
const RERENDER_SLOTS: usize = 8;
/// How long a reader waits for someone else's render of the page they asked for: a render
/// takes milliseconds; one still running after this means the node is overloaded, and the
/// reader is told so (503) rather than kept waiting.
const RERENDER_WAIT: Duration = Duration::from_secs(1);

/// What a client is told when the node is full: come back in a moment.
const RETRY_AFTER_SECONDS: &str = "2";

impl Capacity {
    pub(crate) fn new(public_slots: usize) -> Self {
        let public_slots = public_slots.max(1);
        Self {
            public: Arc::new(Semaphore::new(public_slots)),
            public_slots,
            newsroom: Arc::new(Semaphore::new(NEWSROOM_SLOTS)),
            tips: Arc::new(Semaphore::new(TIP_SLOTS)),
            rerenders: Arc::new(Semaphore::new(RERENDER_SLOTS)),
            rendering: Mutex::new(HashMap::new()),
        }
    }

    /// Uncached public requests being worked on right now.
    pub(crate) fn public_in_use(&self) -> usize {
        self.public_slots - self.public.available_permits()
    }

    /// A slot for uncached work, held until the answer's head is ready (`None`: the request needs
    /// none here, or takes it later); `Err` when every slot is taken, and [`busy`] is the answer.
    pub(crate) fn admit(
        &self,
        method: &Method,
        path: &str,
    ) -> Result<Option<OwnedSemaphorePermit>, Full> {
        let slots = match lane(method, path) {
            Lane::Unlimited | Lane::PublicAfterBody | Lane::NewsroomAfterCheck => return Ok(None),
            Lane::Public => &self.public,
            Lane::Newsroom => &self.newsroom,
            Lane::Tips => &self.tips,
        };
        take(slots).map(Some).ok_or(Full)
    }

    /// A public slot for work a request does after it was admitted elsewhere: the form page that
    /// answers a refused tip is a render with queries, which a flood of refused tips must not get
    /// for free on the tips' own slots.
    pub(crate) fn public_slot(&self) -> Result<OwnedSemaphorePermit, Full> {
        take(&self.public).ok_or(Full)
    }

    /// The turn to render a page readers had until a change dropped it from the cache: one render
    /// at a time per page, so the readers who ask while it runs wait for it (up to
    /// [`RERENDER_WAIT`]) and are then answered from the cache instead of each rendering it.
    /// `Err` when the render before this one took longer than that. Whoever holds the turn takes
    /// a slot with [`Capacity::rerender_slot`] or [`Capacity::admit`].
    pub(crate) async fn turn_to_render(&self, path: &str) -> Result<RenderTurn<'_>, Full> {
        let page = {
            let mut rendering = self.rendering.lock().unwrap_or_else(|e| e.into_inner());
            match rendering.get(path).and_then(Weak::upgrade) {
                Some(page) => page,
                None => {
                    let page = Arc::new(tokio::sync::Mutex::new(()));
                    rendering.insert(path.to_owned(), Arc::downgrade(&page));
                    page
                }
            }
        };
        // Made before the wait, so a reader who leaves while waiting still tidies up (`Drop`).
        let mut turn = RenderTurn {
            guard: None,
            capacity: self,
        };
        turn.guard = tokio::time::timeout(RERENDER_WAIT, page.lock_owned())
            .await
            .ok();
        if turn.guard.is_none() {
            return Err(Full);
        }
        Ok(turn)
    }

    /// A slot for the render of a dropped page: slots of its own first, then a public one. So a
    /// flood of uncached requests cannot keep a page readers are reading from coming back.
    pub(crate) fn rerender_slot(&self) -> Result<OwnedSemaphorePermit, Full> {
        take(&self.rerenders)
            .or_else(|| take(&self.public))
            .ok_or(Full)
    }
}

fn take(slots: &Arc<Semaphore>) -> Option<OwnedSemaphorePermit> {
    Arc::clone(slots).try_acquire_owned().ok()
}

/// A page's turn to be rendered again; the next reader's turn comes when it is dropped.
pub(crate) struct RenderTurn<'a> {
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
    capacity: &'a Capacity,
}

impl Drop for RenderTurn<'_> {
    fn drop(&mut self) {
        self.guard.take();
        // Pages nobody renders or waits for any more are forgotten, so the map holds only the
        // pages of requests in flight.
        self.capacity
            .rendering
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, page| page.strong_count() > 0);
    }
}

/// Admits the requests of `router` that carry a body (readers' forms: small) once the body has
/// arrived whole, within its group's [`BodyLimits`]: a client trickling a body then holds a
/// connection and the bytes it sent, never one of the slots uncached work needs.
pub(crate) fn admitted_after_body(state: AppState, router: Router<AppState>) -> Router<AppState> {
    router.layer(axum::middleware::from_fn_with_state(state, body_then_slot))
}

async fn body_then_slot(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !carries_body(request.method()) || request.extensions().get::<FormAdmitted>().is_some() {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let body = match reader_form(body).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let Some(slot) = take(&state.capacity().public) else {
        return busy();
    };
    let response = next.run(Request::from_parts(parts, body)).await;
    drop(slot);
    response
}

/// Marks a reader's form whose body was read and whose slot was taken before the request reached
/// the router ([`admit_form`]).
#[derive(Debug, Clone, Copy)]
struct FormAdmitted;

/// Whether `method` and `path` are a reader's form, admitted once its body has arrived.
pub(crate) fn is_reader_form(method: &Method, path: &str) -> bool {
    lane(method, path) == Lane::PublicAfterBody
}

/// Reads a reader's form whole where the connection is served, with the same limits as
/// [`admitted_after_body`] (which then lets the request through untouched once it has its slot
/// from [`admit_form`]). Past its limits the refusal is answered at once instead of after a turn
/// on the busy work runtime.
pub(crate) async fn read_form(request: Request) -> Result<Request, Response> {
    let limits = BodyLimits::READER_FORMS;
    let declared = request
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limits.max_bytes as u64) {
        return Err(refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            "This form is too large to send.\n",
        ));
    }
    let (parts, body) = request.into_parts();
    let body = reader_form(body).await?;
    Ok(Request::from_parts(parts, body))
}

/// Takes the public slot of a reader's form [`read_form`] read, on the listener: past capacity
/// the [`busy`] answer is given there.
pub(crate) fn admit_form(
    state: &AppState,
    mut request: Request,
) -> Result<(Request, OwnedSemaphorePermit), Full> {
    let slot = take(&state.capacity().public).ok_or(Full)?;
    request.extensions_mut().insert(FormAdmitted);
    Ok((request, slot))
}

/// A reader's form body, read whole within [`BodyLimits::READER_FORMS`] (a declared length
/// above it was refused before, by `BodyLimits::apply`; this stops a body without one).
async fn reader_form(body: Body) -> Result<Body, Response> {
    let limits = BodyLimits::READER_FORMS;
    match tokio::time::timeout(
        limits.deadline,
        axum::body::to_bytes(body, limits.max_bytes),
    )
    .await
    {
        Ok(Ok(bytes)) => Ok(Body::from(bytes)),
        Ok(Err(error)) => Err(body_refused(&error)),
        Err(_) => Err(refusal(
            StatusCode::REQUEST_TIMEOUT,
            "This form took too long to arrive. Please send it again.\n",
        )),
    }
}

/// Admits the newsroom's requests that carry a body ([`Lane::NewsroomAfterCheck`]): staff
/// (`newsroom::from_staff`) take a newsroom slot before their body is read, as uploads need;
/// anyone else sends a reader-sized form whole first, then takes a public slot.
pub(crate) fn newsroom_admitted(state: AppState, router: Router<AppState>) -> Router<AppState> {
    router.layer(axum::middleware::from_fn_with_state(
        state,
        staff_or_body_then_slot,
    ))
}

async fn staff_or_body_then_slot(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !carries_body(request.method()) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let (body, slots) = if crate::newsroom::from_staff(&state, &mut parts).await {
        (body, &state.capacity().newsroom)
    } else {
        // Anyone else (the sign-in form) is the public's: a flood of sign-ins cannot take the
        // slots of the editors already signed in.
        match reader_form(body).await {
            Ok(body) => (body, &state.capacity().public),
            Err(refused) => return refused,
        }
    };
    let Some(slot) = take(slots) else {
        return busy();
    };
    let response = next.run(Request::from_parts(parts, body)).await;
    drop(slot);
    response
}

/// The answer to a body that broke its group's limits while it was read: too large (413), too
/// slow (408), or cut off (400).
fn body_refused(error: &axum::Error) -> Response {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if current.is::<http_body_util::LengthLimitError>() {
            return refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                "This form is too large to send.\n",
            );
        }
        if current.is::<tower_http::timeout::TimeoutError>() {
            return refusal(
                StatusCode::REQUEST_TIMEOUT,
                "This form took too long to arrive. Please send it again.\n",
            );
        }
        cause = current.source();
    }
    refusal(
        StatusCode::BAD_REQUEST,
        "This form did not arrive whole. Please send it again.\n",
    )
}

fn refusal(status: StatusCode, message: &'static str) -> Response {
    (
        status,
        [
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (CONNECTION, HeaderValue::from_static("close")),
        ],
        message,
    )
        .into_response()
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

/// 429 for a client that already holds as many event streams as one may (`live::ClientStreams`):
/// its pages still work, with their refresh links.
pub(crate) fn too_many_streams() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            (RETRY_AFTER, HeaderValue::from_static("30")),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
        ],
        "Too many live updates are open from your address. Close some pages, or reload to see what is new.\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_follow_the_path_and_whether_a_body_comes() {
        let (get, post) = (Method::GET, Method::POST);
        assert_eq!(lane(&get, "/healthz"), Lane::Unlimited);
        assert_eq!(lane(&get, "/newsroom"), Lane::Newsroom);
        assert_eq!(lane(&get, "/api/v1/admin/articles"), Lane::Newsroom);
        assert_eq!(lane(&post, "/newsroom/login"), Lane::NewsroomAfterCheck);
        assert_eq!(
            lane(&post, "/api/v1/admin/articles"),
            Lane::NewsroomAfterCheck
        );
        assert_eq!(lane(&get, "/newsroomx"), Lane::Public);
        assert_eq!(lane(&get, "/api/v1/articles"), Lane::Public);
        assert_eq!(lane(&get, "/search"), Lane::Public);
        assert_eq!(lane(&get, "/tips/new"), Lane::Public);
        assert_eq!(lane(&post, "/tips"), Lane::Tips);
        assert_eq!(lane(&post, "/tips/follow-up"), Lane::Tips);
        assert_eq!(lane(&post, "/tipsy"), Lane::PublicAfterBody);
        assert_eq!(lane(&post, "/discussion/3/comments"), Lane::PublicAfterBody);
    }

    #[test]
    fn past_capacity_work_is_refused_until_a_slot_frees() {
        let capacity = Capacity::new(2);
        let get = Method::GET;
        let first = capacity.admit(&get, "/search").expect("slot");
        let _second = capacity.admit(&get, "/search").expect("slot");
        assert_eq!(capacity.admit(&get, "/search").expect_err("full"), Full);
        assert_eq!(capacity.public_in_use(), 2);
        let refused = busy();
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.headers()[RETRY_AFTER], "2");
        // The newsroom, tips and the health check still get in; a form waits for its body.
        assert!(capacity.admit(&get, "/newsroom/articles").is_ok());
        assert!(
            capacity
                .admit(&Method::POST, "/newsroom/login")
                .expect("later")
                .is_none()
        );
        assert!(capacity.admit(&Method::POST, "/tips").is_ok());
        assert!(capacity.admit(&get, "/healthz").expect("always").is_none());
        assert!(
            capacity
                .admit(&Method::POST, "/discussion/1/comments")
                .expect("later")
                .is_none()
        );
        drop(first);
        assert!(capacity.admit(&get, "/search").is_ok());
    }

    #[tokio::test]
    async fn a_dropped_page_is_rendered_once_while_its_readers_wait() {
        let capacity = Arc::new(Capacity::new(1));
        let first = capacity
            .turn_to_render("/politics/a")
            .await
            .expect("a turn");
        // The public slots are all taken: the re-render has slots of its own.
        let _public = capacity.admit(&Method::GET, "/search").expect("slot");
        let _rendering = capacity.rerender_slot().expect("a slot of its own");
        let waiting = {
            let capacity = Arc::clone(&capacity);
            tokio::spawn(async move { capacity.turn_to_render("/politics/a").await.is_ok() })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !waiting.is_finished(),
            "the second reader waits for the first render"
        );
        // Another page is not held up.
        assert!(capacity.turn_to_render("/world/b").await.is_ok());
        drop(first);
        assert!(waiting.await.expect("task"), "then it has its turn");
        assert!(
            capacity.rendering.lock().expect("lock").is_empty(),
            "nothing is remembered once every render is done"
        );
    }

    #[tokio::test]
    async fn a_reader_waits_for_a_stuck_render_a_bounded_time_and_leaves_nothing_behind() {
        let capacity = Arc::new(Capacity::new(1));
        let stuck = capacity
            .turn_to_render("/politics/a")
            .await
            .expect("a turn");
        let started = std::time::Instant::now();
        assert_eq!(
            capacity.turn_to_render("/politics/a").await.err(),
            Some(Full),
            "refused once the render before has run too long"
        );
        assert!(
            started.elapsed() >= RERENDER_WAIT,
            "it waited for the render first"
        );
        // A reader who hangs up while waiting leaves no trace either.
        let leaving = {
            let capacity = Arc::clone(&capacity);
            tokio::spawn(async move { capacity.turn_to_render("/politics/a").await.is_ok() })
        };
        tokio::task::yield_now().await;
        leaving.abort();
        assert!(leaving.await.is_err(), "cancelled");
        drop(stuck);
        assert!(capacity.rendering.lock().expect("lock").is_empty());
        // Every re-render slot taken and the public ones too: refused at once.
        let _slots: Vec<_> = std::iter::from_fn(|| capacity.rerender_slot().ok()).collect();
        assert_eq!(capacity.rerender_slot().err(), Some(Full));
    }
}
