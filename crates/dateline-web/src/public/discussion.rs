//! The discussion under an article.
//!
//! The article page is one cached document for every reader, so it carries only what is the same
//! for all of them: the comment count and the first page of approved comments, tagged
//! `discussion:<article>` so that approving a comment drops it. Everything that depends on who is
//! reading — the comment form, one's own comments waiting for a moderator, edit, delete and report
//! — lives on `/discussion/<article>`, which is never cached. The article page links there; its
//! "Reply" links go there with `?reply=<comment>`.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use dateline_core::comments::{
    CommentStatus, MAX_THREAD_DEPTH, ReportReason, Viewer, within_edit_window,
};
use dateline_core::{ArticlePage, ArticleStatus, paging, paths};
use dateline_db::{Comment, DbError, DiscussionPage, DiscussionSort};
use dateline_usecases::UseCaseError;
use dateline_usecases::comments;
use http::header::{ACCEPT, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, StatusCode};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};

use super::readers::{CurrentReader, ReaderCsrf, reader_page, reader_view};
use crate::newsroom::check_origin;
use crate::views::Clock;
use crate::{AppState, WebError};

/// Threads per page, on the article page and on the discussion's own pages.
pub const THREADS_PER_PAGE: i64 = 20;
/// How often a live page asks whether new comments arrived.
const LIVE_EVERY: Duration = Duration::from_secs(5);
/// New comments a live page counts exactly; past this many its reader is told this many (the
/// page says to reload long before). It bounds what one poll of an article reads, whatever
/// point the pages open on it are at.
const LIVE_COUNT_MAX: i64 = 1_000;

/// One comment as the templates show it; `depth` is relative to the first comment shown.
fn comment_view(comment: &Comment, clock: &Clock, depth: i64, continue_thread: bool) -> Value {
    json!({
        "id": comment.id,
        "parent_id": comment.parent_id,
        "author_name": comment.author_name,
        "staff": comment.is_staff(),
        "deleted": comment.status == CommentStatus::Deleted,
        "pending": comment.status == CommentStatus::Pending,
        "rejected": comment.status == CommentStatus::Rejected,
        "body_html": comment.body_html,
        "featured": comment.featured,
        "edited": comment.edited_at.is_some() && comment.status != CommentStatus::Deleted,
        "time": clock.time(comment.created_at),
        "depth": depth,
        "continue_url": continue_thread.then(|| format!("/discussion/comment/{}", comment.id)),
    })
}

/// A thread (depth-first) as views, indented at most [`MAX_THREAD_DEPTH`] deep: what is deeper
/// continues on the thread's own page, linked from the last comment shown above it.
fn thread_view(thread: &[Comment], clock: &Clock) -> Vec<Value> {
    let Some(head) = thread.first() else {
        return Vec::new();
    };
    let base = head.depth;
    let max = i64::try_from(MAX_THREAD_DEPTH).unwrap_or(3);
    let parents: HashSet<i64> = thread.iter().filter_map(|c| c.parent_id).collect();
    thread
        .iter()
        .filter(|comment| comment.depth - base <= max)
        .map(|comment| {
            let depth = comment.depth - base;
            let continues = depth == max && parents.contains(&comment.id);
            comment_view(comment, clock, depth, continues)
        })
        .collect()
}

fn threads_view(page: &DiscussionPage, clock: &Clock) -> Vec<Vec<Value>> {
    page.threads
        .iter()
        .map(|thread| thread_view(thread, clock))
        .collect()
}

fn discussion_url(article_id: i64) -> String {
    format!("/discussion/{article_id}")
}

/// The discussion block of the cached article page: the same bytes for everyone.
pub(crate) fn article_block(
    page: &ArticlePage,
    discussion: DiscussionPage,
    clock: &Clock,
) -> (Value, i64) {
    let article = &page.article;
    let view = json!({
        "url": discussion_url(article.id),
        "open": article.comments_open,
        "count": discussion.approved_count,
        "threads": threads_view(&discussion, clock),
        "more": discussion.total_entries > THREADS_PER_PAGE,
        "latest_id": discussion.threads.iter().flatten().map(|c| c.id).max().unwrap_or(0),
    });
    (view, discussion.approved_count)
}

#[derive(Deserialize, Default)]
pub struct DiscussionQuery {
    #[serde(default)]
    sort: Option<String>,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    reply: Option<i64>,
    #[serde(default)]
    edit: Option<i64>,
    #[serde(default)]
    report: Option<i64>,
    #[serde(default)]
    posted: Option<i64>,
    #[serde(default)]
    reported: Option<String>,
}

/// What the form at the top of the discussion page is doing, and what was typed into it.
#[derive(Default)]
struct FormState {
    body: String,
    error: Option<String>,
    parent: Option<Comment>,
    editing: Option<Comment>,
    reporting: Option<Comment>,
    notice: Option<String>,
}

async fn published_article(
    state: &AppState,
    article_id: i64,
) -> Result<Option<ArticlePage>, WebError> {
    Ok(state
        .store()
        .articles()
        .article_page(article_id)
        .await?
        .filter(|page| page.article.status == ArticleStatus::Published))
}

async fn not_found(state: &AppState) -> Result<Response, WebError> {
    super::pages::not_found_page(state).await
}

/// Who is reading, for the rule of which comments they may see ([`dateline_core::comments::may_see`]).
fn viewer(current: Option<&CurrentReader>) -> Viewer {
    current.map_or(Viewer::Public, |reader| Viewer::Reader(reader.reader.id))
}

/// A comment on `article_id` that `viewer` may see; `None` for one that does not exist, is
/// hidden from them, or belongs to another article — the three look the same from outside.
async fn visible_on(
    state: &AppState,
    article_id: i64,
    id: i64,
    viewer: Viewer,
) -> Result<Option<Comment>, WebError> {
    match state.store().comments().visible(id, viewer).await {
        Ok(comment) if comment.article_id == article_id => Ok(Some(comment)),
        Ok(_) | Err(DbError::NotFound) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

pub async fn discussion(
    State(state): State<AppState>,
    Path(article_id): Path<i64>,
    current: Option<CurrentReader>,
    ReaderCsrf(csrf): ReaderCsrf,
    Query(query): Query<DiscussionQuery>,
) -> Result<Response, WebError> {
    let Some(page) = published_article(&state, article_id).await? else {
        return not_found(&state).await;
    };
    if query
        .page
        .is_some_and(|page| paging::offset(page, THREADS_PER_PAGE).is_none())
    {
        return not_found(&state).await;
    }
    let mut form = FormState::default();
    let viewer = viewer(current.as_ref());
    let load_comment = |id: Option<i64>| {
        let state = state.clone();
        async move {
            match id {
                Some(id) => visible_on(&state, article_id, id, viewer).await,
                None => Ok(None),
            }
        }
    };
    form.parent = load_comment(query.reply)
        .await?
        .filter(|c| c.status == CommentStatus::Approved);
    form.reporting = load_comment(query.report)
        .await?
        .filter(|c| c.status == CommentStatus::Approved);
    form.editing = load_comment(query.edit).await?.filter(|c| {
        current
            .as_ref()
            .is_some_and(|r| c.reader_id == Some(r.reader.id))
            && within_edit_window(c.created_at, Timestamp::now())
    });
    if let Some(editing) = &form.editing {
        form.body = editing.body.clone();
    }
    if query.posted.is_some() {
        form.notice = Some("Your comment is posted.".to_owned());
    }
    if query.reported.is_some() {
        form.notice =
            Some("Thank you: a moderator will look at the comment you reported.".to_owned());
    }
    render_discussion(
        &state,
        &page,
        current.as_ref(),
        &csrf,
        &query,
        form,
        StatusCode::OK,
    )
    .await
}

async fn render_discussion(
    state: &AppState,
    page: &ArticlePage,
    current: Option<&CurrentReader>,
    csrf: &str,
    query: &DiscussionQuery,
    form: FormState,
    status: StatusCode,
) -> Result<Response, WebError> {
    let article = &page.article;
    let sort = query
        .sort
        .as_deref()
        .and_then(DiscussionSort::parse)
        .unwrap_or_default();
    // The handlers turn an impossible page away as a 404 before coming here.
    let page_number = query
        .page
        .filter(|page| paging::offset(*page, THREADS_PER_PAGE).is_some())
        .unwrap_or(1);
    let discussion = state
        .store()
        .comments()
        .discussion_page(
            article.id,
            sort,
            paging::offset(page_number, THREADS_PER_PAGE).unwrap_or(0),
            THREADS_PER_PAGE,
        )
        .await?;
    let settings = state.store().site().settings().await?;
    let clock = Clock::for_settings(&settings);
    let now = Timestamp::now();
    let own_unshown = match current {
        Some(reader) => state
            .store()
            .comments()
            .unshown_of_reader(article.id, reader.reader.id)
            .await?
            .iter()
            .map(|comment| {
                let mut view = comment_view(comment, &clock, 0, false);
                view["editable"] = json!(
                    within_edit_window(comment.created_at, now)
                        && comment.status == CommentStatus::Pending
                );
                view
            })
            .collect(),
        None => Vec::new(),
    };
    // What this reader may do to each comment shown.
    let reader_id = current.map(|reader| reader.reader.id);
    let mut threads = threads_view(&discussion, &clock);
    for (thread, comments) in threads.iter_mut().zip(&discussion.threads) {
        for view in thread.iter_mut() {
            let Some(comment) = comments.iter().find(|c| Some(c.id) == view["id"].as_i64()) else {
                continue;
            };
            let own = reader_id.is_some() && comment.reader_id == reader_id;
            view["own"] = json!(own);
            view["editable"] = json!(
                own && within_edit_window(comment.created_at, now)
                    && comment.status == CommentStatus::Approved
            );
        }
    }
    let pages = paging::count(discussion.total_entries, THREADS_PER_PAGE);
    if page_number > pages {
        return not_found(state).await;
    }
    let base = discussion_url(article.id);
    let page_link = |n: i64| format!("{base}?sort={}&page={n}", sort.as_str());
    let article_url = paths::article(&page.section.slug, &article.slug);
    let sign_in_url = format!(
        "/readers/sign-in?next={}",
        percent_encoding::utf8_percent_encode(&base, percent_encoding::NON_ALPHANUMERIC)
    );
    let comment_ref = |comment: &Option<Comment>| {
        comment
            .as_ref()
            .map(|c| json!({ "id": c.id, "author_name": c.author_name, "body_html": c.body_html }))
    };
    let extra = json!({
        "csrf": csrf,
        "reader": reader_view(current),
        "article": { "id": article.id, "headline": article.headline, "url": article_url, "open": article.comments_open },
        "discussion": {
            "url": base,
            "count": discussion.approved_count,
            "threads": threads,
            "own_unshown": own_unshown,
            "sort": sort.as_str(),
            "sorts": [
                { "key": "oldest", "label": "Oldest first", "url": format!("{base}?sort=oldest") },
                { "key": "newest", "label": "Newest first", "url": format!("{base}?sort=newest") },
                { "key": "featured", "label": "Featured", "url": format!("{base}?sort=featured") },
            ],
            "latest_id": discussion.threads.iter().flatten().map(|c| c.id).max().unwrap_or(0),
        },
        "pagination": {
            "page": page_number,
            "pages": pages,
            "prev_url": (page_number > 1).then(|| page_link(page_number - 1)),
            "next_url": (page_number < pages).then(|| page_link(page_number + 1)),
        },
        "form": {
            "body": form.body,
            "error": form.error,
            "notice": form.notice,
            "parent": comment_ref(&form.parent),
            "editing": comment_ref(&form.editing),
            "reporting": comment_ref(&form.reporting),
        },
        "report_reasons": ReportReason::ALL.iter().map(|r| json!({ "value": r.as_str(), "label": r.label() })).collect::<Vec<_>>(),
        "sign_in_url": sign_in_url,
        "sign_up_url": format!("/readers/sign-up?next={}", percent_encoding::utf8_percent_encode(&base, percent_encoding::NON_ALPHANUMERIC)),
    });
    reader_page(
        state,
        "discussion.html",
        &format!("Discussion: {}", article.headline),
        &base,
        status,
        extra,
    )
    .await
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    parent_id: Option<String>,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.starts_with("application/json"))
}

/// Whether `path` is where comments on an article are posted: `/discussion/{article}/comments`.
fn is_comment_post(method: &http::Method, path: &str) -> bool {
    *method == http::Method::POST
        && path
            .strip_prefix("/discussion/")
            .and_then(|rest| rest.strip_suffix("/comments"))
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// What a reader posting too fast is told.
fn too_fast_message(wait: SignedDuration) -> String {
    format!(
        "You are commenting very fast. Wait {} seconds and post again.",
        wait.as_secs().max(1)
    )
}

/// `Retry-After` (RFC 9110 §10.2.3) for a reader posting too fast: whole seconds, rounded up.
fn retry_after(wait: SignedDuration) -> HeaderValue {
    let seconds = wait.as_secs() + i64::from(wait.subsec_nanos() > 0);
    HeaderValue::from(seconds.max(1))
}

/// A post refused for the reader's allowance, as the page's script asks for it (JSON).
fn too_fast_json(wait: SignedDuration) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(RETRY_AFTER, retry_after(wait))],
        axum::Json(json!({ "error": too_fast_message(wait) })),
    )
        .into_response()
}

/// The script's answer to a post [`allowance_on_listener`] refused: the handler's, with the
/// headers every reader page carries.
pub(crate) fn too_fast_on_listener(wait: SignedDuration) -> Response {
    let mut refused = super::readers::private(too_fast_json(wait));
    crate::serve::security_headers(refused.headers_mut());
    refused
}

/// What the listener decided about a comment's posting allowance
/// ([`allowance_on_listener`]), handed to the handler so the allowance is taken once per post.
#[derive(Clone)]
pub(crate) enum ListenerAllowance {
    /// One post was taken from the reader's allowance; it goes back unless the post goes ahead.
    Taken(Arc<TakenPost>),
    /// The allowance was spent. The page that says so (with what was typed) is a render, the
    /// handler's to make; the script's JSON was answered on the listener already.
    Spent {
        reader_id: i64,
        wait: SignedDuration,
    },
}

impl ListenerAllowance {
    /// The listener's decision, if it was made for `reader_id`. The listener knew the reader by
    /// a session this node saw lately; one that has ended since is no decision for anyone.
    pub(crate) fn decided_for(&self, reader_id: i64) -> Option<Result<(), SignedDuration>> {
        match self {
            Self::Taken(taken) if taken.reader_id == reader_id => {
                taken.kept.store(true, Ordering::Release);
                Some(Ok(()))
            }
            Self::Spent {
                reader_id: spent,
                wait,
            } if *spent == reader_id => Some(Err(*wait)),
            _ => None,
        }
    }
}

/// A post the listener took from a reader's allowance. Unless the handler keeps it (the post
/// goes ahead to be written), it is given back when the request ends: an attempt refused for
/// anything else (signed out, banned, a reply to a comment not shown, a bad form token, the
/// node full) costs the reader nothing, as before the listener took it.
pub(crate) struct TakenPost {
    state: AppState,
    reader_id: i64,
    kept: AtomicBool,
}

impl Drop for TakenPost {
    fn drop(&mut self) {
        if !self.kept.load(Ordering::Acquire) {
            self.state
                .readers()
                .give_back_post(self.reader_id, Timestamp::now());
        }
    }
}

/// A comment post, its body read, on the listener before it is queued for the work runtime: a
/// reader this node knows by their session takes one post from their allowance here, with no
/// database round trip. Past the allowance the page's script is answered 429 at once (`Err`:
/// how long to wait, answered by [`too_fast_on_listener`]); a browser without it is handed on
/// with the decision, for the page to be rendered. Anything else (an unknown session, a foreign
/// origin) goes on untouched, to be judged where it always was.
pub(crate) fn allowance_on_listener(
    state: &AppState,
    mut request: axum::extract::Request,
) -> Result<axum::extract::Request, SignedDuration> {
    if !is_comment_post(request.method(), request.uri().path())
        || check_origin(state, request.headers()).is_err()
    {
        return Ok(request);
    }
    let now = Timestamp::now();
    let readers = state.readers();
    let Some(reader_id) = readers.known_reader(state, request.headers(), now) else {
        return Ok(request);
    };
    let decided = match readers.take_post_here(reader_id, now) {
        Ok(()) => ListenerAllowance::Taken(Arc::new(TakenPost {
            state: state.clone(),
            reader_id,
            kept: AtomicBool::new(false),
        })),
        Err(wait) if wants_json(request.headers()) => return Err(wait),
        Err(wait) => ListenerAllowance::Spent { reader_id, wait },
    };
    request.extensions_mut().insert(decided);
    Ok(request)
}

/// A failed post: the discussion page again with the message at the form and the text kept, or
/// for the script, the message as JSON.
#[allow(clippy::too_many_arguments)]
/// A comment the rules or the reader's standing refused: the form again, with what was typed and
/// why, answered 422.
async fn refuse_comment(
    state: &AppState,
    page: &ArticlePage,
    reader: &CurrentReader,
    csrf: &str,
    headers: &HeaderMap,
    form: FormState,
) -> Result<Response, WebError> {
    refuse(
        state,
        page,
        Some(reader),
        csrf,
        headers,
        form,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn refuse(
    state: &AppState,
    page: &ArticlePage,
    current: Option<&CurrentReader>,
    csrf: &str,
    headers: &HeaderMap,
    form: FormState,
    status: StatusCode,
) -> Result<Response, WebError> {
    if wants_json(headers) {
        return Ok((status, axum::Json(json!({ "error": form.error }))).into_response());
    }
    render_discussion(
        state,
        page,
        current,
        csrf,
        &DiscussionQuery::default(),
        form,
        status,
    )
    .await
}

pub async fn post(
    State(state): State<AppState>,
    Path(article_id): Path<i64>,
    headers: HeaderMap,
    current: Option<CurrentReader>,
    ReaderCsrf(csrf): ReaderCsrf,
    listener: Option<Extension<ListenerAllowance>>,
    Form(input): Form<CommentForm>,
) -> Result<Response, WebError> {
    let Some(page) = published_article(&state, article_id).await? else {
        return not_found(&state).await;
    };
    let Some(reader) = current else {
        let next = discussion_url(article_id);
        return Ok(Redirect::to(&format!(
            "/readers/sign-in?next={}",
            percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC)
        ))
        .into_response());
    };
    let now = Timestamp::now();
    let mut form = FormState {
        body: input.body.clone(),
        ..FormState::default()
    };
    // A banned or suspended reader hears that, not a rate limit; the use case asks again.
    if let Err(refused) = comments::may_post(&reader.reader, now) {
        form.error = Some(refused.to_string());
        return refuse_comment(&state, &page, &reader, &csrf, &headers, form).await;
    }
    // The comment answered is quoted back on a refusal; one this reader may not answer is
    // refused before their posting allowance is spent on it.
    let parent = input.parent_id.as_deref();
    match comments::reply_target(state.ctx(), &reader.reader, article_id, parent).await {
        Ok(target) => form.parent = target,
        Err(UseCaseError::Refused(refusals)) => {
            form.error = Some(refusals.to_string());
            return refuse_comment(&state, &page, &reader, &csrf, &headers, form).await;
        }
        Err(error) => return Err(error.into()),
    }
    let taken_on_listener = listener.as_ref().map(|Extension(decided)| decided);
    if let Err(wait) = state
        .readers()
        .take_post(state.store(), reader.reader.id, taken_on_listener, now)
        .await?
    {
        if wants_json(&headers) {
            return Ok(too_fast_json(wait));
        }
        form.error = Some(too_fast_message(wait));
        let mut refused = refuse(
            &state,
            &page,
            Some(&reader),
            &csrf,
            &headers,
            form,
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await?;
        refused.headers_mut().insert(RETRY_AFTER, retry_after(wait));
        return Ok(refused);
    }
    let posted = comments::post(
        state.ctx(),
        &reader.reader,
        article_id,
        parent,
        &input.body,
        now,
    )
    .await;
    match posted {
        Ok(comment) => {
            let message = match comment.status {
                CommentStatus::Approved => "Your comment is posted.",
                CommentStatus::Pending => {
                    "Thank you. Your comment will appear once a moderator has seen it."
                }
                _ => "Your comment was not published: it breaks the discussion rules.",
            };
            if wants_json(&headers) {
                return Ok((
                    StatusCode::CREATED,
                    axum::Json(
                        json!({ "id": comment.id, "status": comment.status, "message": message }),
                    ),
                )
                    .into_response());
            }
            Ok(Redirect::to(&format!(
                "{}?posted={}#comment-{}",
                discussion_url(article_id),
                comment.id,
                comment.id
            ))
            .into_response())
        }
        Err(UseCaseError::Refused(refusals)) => {
            form.error = Some(refusals.to_string());
            refuse_comment(&state, &page, &reader, &csrf, &headers, form).await
        }
        Err(UseCaseError::NotFound) => not_found(&state).await,
        Err(error) => Err(error.into()),
    }
}

async fn comment_and_article(
    state: &AppState,
    id: i64,
    current: Option<CurrentReader>,
) -> Result<Result<(Comment, ArticlePage, CurrentReader), Response>, WebError> {
    let Some(reader) = current else {
        return Ok(Err(Redirect::to("/readers/sign-in").into_response()));
    };
    // Refusals quote the comment, so only one this reader may see is ever loaded here.
    let comment = match state
        .store()
        .comments()
        .visible(id, viewer(Some(&reader)))
        .await
    {
        Ok(comment) => comment,
        Err(DbError::NotFound) => return Ok(Err(not_found(state).await?)),
        Err(error) => return Err(error.into()),
    };
    let Some(page) = published_article(state, comment.article_id).await? else {
        return Ok(Err(not_found(state).await?));
    };
    Ok(Ok((comment, page, reader)))
}

pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    current: Option<CurrentReader>,
    ReaderCsrf(csrf): ReaderCsrf,
    Form(input): Form<CommentForm>,
) -> Result<Response, WebError> {
    let (comment, page, reader) = match comment_and_article(&state, id, current).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    match comments::edit(
        state.ctx(),
        &reader.reader,
        id,
        &input.body,
        Timestamp::now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "{}#comment-{id}",
            discussion_url(comment.article_id)
        ))
        .into_response()),
        Err(UseCaseError::Refused(refusals)) => {
            let form = FormState {
                body: input.body,
                error: Some(refusals.to_string()),
                editing: Some(comment),
                ..FormState::default()
            };
            refuse_comment(&state, &page, &reader, &csrf, &headers, form).await
        }
        Err(UseCaseError::NotFound) => not_found(&state).await,
        Err(error) => Err(error.into()),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    current: Option<CurrentReader>,
) -> Result<Response, WebError> {
    let (comment, _, reader) = match comment_and_article(&state, id, current).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    match comments::delete(state.ctx(), &reader.reader, id, Timestamp::now()).await {
        Ok(()) => Ok(Redirect::to(&discussion_url(comment.article_id)).into_response()),
        Err(UseCaseError::NotFound) => not_found(&state).await,
        Err(error) => Err(error.into()),
    }
}

#[derive(Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    detail: String,
}

pub async fn report(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    current: Option<CurrentReader>,
    ReaderCsrf(csrf): ReaderCsrf,
    Form(input): Form<ReportForm>,
) -> Result<Response, WebError> {
    let (comment, page, reader) = match comment_and_article(&state, id, current).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    match comments::report(
        state.ctx(),
        &reader.reader,
        id,
        &input.reason,
        &input.detail,
        Timestamp::now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "{}?reported=1",
            discussion_url(comment.article_id)
        ))
        .into_response()),
        Err(UseCaseError::Refused(refusals)) => {
            let form = FormState {
                error: Some(refusals.to_string()),
                body: input.detail,
                reporting: Some(comment),
                ..FormState::default()
            };
            refuse_comment(&state, &page, &reader, &csrf, &headers, form).await
        }
        Err(UseCaseError::NotFound) => not_found(&state).await,
        Err(error) => Err(error.into()),
    }
}

/// A thread deeper than the article page indents, on its own page.
pub async fn thread(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    current: Option<CurrentReader>,
    ReaderCsrf(csrf): ReaderCsrf,
) -> Result<Response, WebError> {
    let thread = match state.store().comments().thread(id).await {
        Ok(thread) => thread,
        Err(DbError::NotFound) => return not_found(&state).await,
        Err(error) => return Err(error.into()),
    };
    let Some(head) = thread.first() else {
        return not_found(&state).await;
    };
    let Some(page) = published_article(&state, head.article_id).await? else {
        return not_found(&state).await;
    };
    let settings = state.store().site().settings().await?;
    let clock = Clock::for_settings(&settings);
    let views = thread_view(&thread, &clock);
    reader_page(
        &state,
        "discussion_thread.html",
        &format!("A thread on {}", page.article.headline),
        &format!("/discussion/comment/{id}"),
        StatusCode::OK,
        json!({
            "csrf": csrf,
            "reader": reader_view(current.as_ref()),
            "article": {
                "id": page.article.id,
                "headline": page.article.headline,
                "url": paths::article(&page.section.slug, &page.article.slug),
            },
            "discussion_url": discussion_url(page.article.id),
            "thread": views,
        }),
    )
    .await
}

#[derive(Deserialize)]
pub struct EventsQuery {
    #[serde(default)]
    after: i64,
}

/// A stream ends after this long and the browser's `EventSource` opens a new one (after the
/// `retry` below): no connection is held for ever, and a node being drained sheds its readers.
const STREAM_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// How long a browser waits before reconnecting, in milliseconds (the SSE `retry` field).
const RECONNECT_AFTER_MS: u64 = 5_000;

/// The hub behind every live comment count: one poll per article and interval (or per change
/// of the article's discussion), however many readers and whatever page each has open. The poll
/// reads the newest comment ids every reader sees (`None` once the article is not published);
/// each stream counts those newer than its own page. Keyed by the page's point instead, a client
/// could start a poller per `after` value it makes up.
pub(crate) fn live_comment_counts(
    store: dateline_db::Store,
    max_streams: usize,
) -> crate::live::LiveHub<Option<Arc<[i64]>>> {
    crate::live::LiveHub::new(
        store,
        LIVE_EVERY,
        max_streams,
        dateline_core::cache_tags::discussion,
        |store, article_id| async move {
            let ids = store
                .comments()
                .newest_shown_ids(article_id, LIVE_COUNT_MAX)
                .await?;
            Ok(ids.map(Arc::from))
        },
    )
}

/// How many of `newest` (ids, newest first) are newer than `after`.
fn newer_than(newest: &[i64], after: i64) -> i64 {
    i64::try_from(newest.partition_point(|id| *id > after)).unwrap_or(i64::MAX)
}

/// Server-sent events: how many approved comments are newer than the page the reader has, so the
/// page can offer "N new comments — show" instead of moving under the reader's eyes. 404 for an
/// article readers cannot see; 503 when the node has all the streams it takes.
pub async fn events(
    State(state): State<AppState>,
    Path(article_id): Path<i64>,
    Query(query): Query<EventsQuery>,
    extensions: http::Extensions,
) -> Result<Response, WebError> {
    let Some(client) = state.client_stream(&extensions) else {
        return Ok(crate::limits::too_many_streams());
    };
    let Some(slot) = state.live_comments().slot() else {
        return Ok(crate::limits::busy());
    };
    if published_article(&state, article_id).await?.is_none() {
        return not_found(&state).await;
    }
    let subscription = state.live_comments().open(article_id, slot);
    let after = query.after;
    let counts = futures_util::stream::unfold(
        (subscription, client, None),
        move |(mut subscription, client, mut sent): (_, _, Option<i64>)| async move {
            loop {
                // Fails when the hub dropped the topic, which it only does with no reader left.
                subscription.values.changed().await.ok()?;
                let latest = subscription.values.borrow_and_update().clone();
                match latest {
                    // Not published any more: the stream ends, as a new one would be refused.
                    Some(None) => return None,
                    Some(Some(newest)) => {
                        let count = newer_than(&newest, after);
                        if sent != Some(count) {
                            sent = Some(count);
                            let event = Event::default().event("count").data(count.to_string());
                            return Some((
                                Ok::<_, Infallible>(event),
                                (subscription, client, sent),
                            ));
                        }
                    }
                    None => {}
                }
            }
        },
    );
    let first = Event::default().retry(Duration::from_millis(RECONNECT_AFTER_MS));
    let stream = futures_util::StreamExt::take_until(
        futures_util::StreamExt::chain(
            futures_util::stream::once(async move { Ok(first) }),
            counts,
        ),
        tokio::time::sleep(STREAM_LIFETIME),
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}
