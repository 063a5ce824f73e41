//! Moderation: the queues (pending, reported, approved, rejected), decisions on comments, the
//! readers' standing, closing an article's discussion, and the site's moderation rules. Every
//! decision is a use case (`dateline_usecases::comments`), as on the Admin API; a refusal shows
//! the queue again with the use case's words.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::Action;
use dateline_core::comments::{ModerationMode, ModerationSettings};
use dateline_db::Queue;
use dateline_usecases::UseCaseError;
use dateline_usecases::comments::{self, RulesDraft};
use http::StatusCode;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Csrf, CurrentStaff, WebError, field_errors, render};
use crate::AppState;
use crate::views::Clock;

const QUEUE_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    queue: Option<String>,
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    done: Option<String>,
}

fn queue_url(queue: Queue) -> String {
    format!("/newsroom/comments?queue={}", queue.as_str())
}

pub async fn queue(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Query(query): Query<QueueQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::ModerateComments)?;
    let queue = query
        .queue
        .as_deref()
        .and_then(Queue::parse)
        .unwrap_or(Queue::Pending);
    render_queue(&state, &staff, &csrf, queue, &query, None).await
}

/// A queue page; `refusal` is why the last decision was not taken (then the answer is a 422).
async fn render_queue(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    queue: Queue,
    query: &QueueQuery,
    refusal: Option<String>,
) -> Result<Response, WebError> {
    let settings = state.store().site().settings().await?;
    let clock = Clock::for_settings(&settings);
    let mut entries = state
        .store()
        .comments()
        .moderation_queue(queue, query.before, QUEUE_PAGE + 1)
        .await?;
    let more = entries.len() as i64 > QUEUE_PAGE;
    entries.truncate(QUEUE_PAGE as usize);
    let counts = state.store().comments().moderation_counts().await?;
    let tabs: Vec<Value> = Queue::ALL
        .iter()
        .map(|tab| {
            json!({
                "key": tab.as_str(),
                "label": match tab {
                    Queue::Pending => "Pending",
                    Queue::Reported => "Reported",
                    Queue::Approved => "Approved",
                    Queue::Rejected => "Rejected",
                },
                "count": counts.get(tab),
                "url": queue_url(*tab),
                "current": *tab == queue,
            })
        })
        .collect();
    // Each article's rules once, however many of its comments the page holds.
    let mut discussions = std::collections::HashMap::new();
    for entry in &entries {
        let article_id = entry.comment.article_id;
        if let std::collections::hash_map::Entry::Vacant(slot) = discussions.entry(article_id) {
            slot.insert(
                state
                    .store()
                    .comments()
                    .article_discussion(article_id)
                    .await?,
            );
        }
    }
    let rows: Vec<Value> = entries
        .iter()
        .map(|entry| {
            let c = &entry.comment;
            let discussion = discussions.get(&c.article_id);
            json!({
                "comments_open": discussion.is_none_or(|d| d.comments_open),
                "article_mode": discussion.and_then(|d| d.mode).map_or("site", ModerationMode::as_str),
                "id": c.id,
                "article_id": c.article_id,
                "article_headline": entry.article_headline,
                "author_name": c.author_name,
                "reader_id": c.reader_id,
                "staff": c.is_staff(),
                "body_html": c.body_html,
                "status": c.status,
                "featured": c.featured,
                "queue_reason": c.queue_reason,
                "reject_reason": c.reject_reason,
                "time": clock.time(c.created_at),
                "reader": entry.reader,
                "reports": entry.reports.iter().map(|(reason, detail)| json!({ "reason": reason.label(), "detail": detail })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let older_url = more
        .then(|| {
            entries
                .last()
                .map(|e| format!("{}&before={}", queue_url(queue), e.comment.id))
        })
        .flatten();
    let status = if refusal.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/comments.html",
        status,
        json!({
            "queue": queue.as_str(),
            "tabs": tabs,
            "comments": rows,
            "older_url": older_url,
            "done": query.done,
            "refusal": refusal,
            "may_configure": staff.may(Action::ConfigureModeration, false),
        }),
    )
    .await
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    queue: String,
}

fn back_to(queue: &str, done: &str) -> Response {
    let queue = Queue::parse(queue).unwrap_or(Queue::Pending);
    Redirect::to(&format!("{}&done={done}", queue_url(queue))).into_response()
}

/// Back to the queue the moderator came from: with `done` after a decision, or the queue again
/// with the use case's refusal. Something gone meanwhile (a stale page) is a notice, not an
/// error page.
async fn answer<T>(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    queue: &str,
    outcome: Result<T, UseCaseError>,
    done: &str,
) -> Result<Response, WebError> {
    match outcome {
        Ok(_) => Ok(back_to(queue, done)),
        Err(UseCaseError::NotFound) => Ok(back_to(queue, "refused")),
        Err(UseCaseError::Refused(refusals)) => {
            let queue = Queue::parse(queue).unwrap_or(Queue::Pending);
            render_queue(
                state,
                staff,
                csrf,
                queue,
                &QueueQuery::default(),
                Some(refusals.to_string()),
            )
            .await
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn decide(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, WebError> {
    let outcome = comments::moderate(
        state.ctx(),
        &staff.as_actor(),
        id,
        &form.decision,
        &form.reason,
        Timestamp::now(),
    )
    .await;
    answer(&state, &staff, &csrf, &form.queue, outcome, &form.decision).await
}

#[derive(Deserialize)]
pub struct FeatureForm {
    #[serde(default)]
    featured: String,
    #[serde(default)]
    queue: String,
}

pub async fn feature(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Form(form): Form<FeatureForm>,
) -> Result<Response, WebError> {
    let featured = form.featured == "yes";
    let outcome = comments::feature(
        state.ctx(),
        &staff.as_actor(),
        id,
        featured,
        Timestamp::now(),
    )
    .await;
    let done = if featured { "featured" } else { "unfeatured" };
    answer(&state, &staff, &csrf, &form.queue, outcome, done).await
}

#[derive(Deserialize)]
pub struct StandingForm {
    #[serde(default)]
    standing: String,
    #[serde(default)]
    days: Option<String>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    queue: String,
}

pub async fn standing(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(reader_id): Path<i64>,
    Form(form): Form<StandingForm>,
) -> Result<Response, WebError> {
    // Days that are not a number are no days: the use case refuses them as out of range.
    let days = form
        .days
        .as_deref()
        .map(str::trim)
        .filter(|days| !days.is_empty())
        .map(|days| days.parse::<i64>().unwrap_or(0));
    let outcome = comments::set_standing(
        state.ctx(),
        &staff.as_actor(),
        reader_id,
        &form.standing,
        days,
        &form.reason,
        Timestamp::now(),
    )
    .await;
    // The listener decides a known reader's allowance without the database: forgetting the
    // reader here lets their next post reach the handler, which names the new standing.
    if outcome.is_ok() {
        state.readers().forget_reader(reader_id);
    }
    answer(&state, &staff, &csrf, &form.queue, outcome, &form.standing).await
}

#[derive(Deserialize)]
pub struct StaffReplyForm {
    body: String,
    #[serde(default)]
    queue: String,
}

/// A reply in the newsroom's name, shown to readers with a staff badge and never queued.
pub async fn staff_reply(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(comment_id): Path<i64>,
    Form(form): Form<StaffReplyForm>,
) -> Result<Response, WebError> {
    let outcome = comments::reply_as_staff(
        state.ctx(),
        &staff.as_actor(),
        comment_id,
        &form.body,
        Timestamp::now(),
    )
    .await;
    answer(&state, &staff, &csrf, &form.queue, outcome, "replied").await
}

#[derive(Deserialize)]
pub struct ArticleDiscussionForm {
    #[serde(default)]
    open: Option<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    queue: String,
}

/// Closes or reopens an article's comments by hand, or gives it its own moderation mode.
pub async fn article_discussion(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(article_id): Path<i64>,
    Form(form): Form<ArticleDiscussionForm>,
) -> Result<Response, WebError> {
    let now = Timestamp::now();
    let actor = staff.as_actor();
    let outcome = match (form.open.as_deref(), form.mode.as_deref()) {
        (Some(open), _) => {
            comments::open_discussion(state.ctx(), &actor, article_id, open == "yes", now).await
        }
        (None, Some(mode)) => {
            comments::set_discussion_mode(state.ctx(), &actor, article_id, mode, now).await
        }
        (None, None) => return Ok(back_to(&form.queue, "refused")),
    };
    answer(&state, &staff, &csrf, &form.queue, outcome, "article").await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    mode: String,
    #[serde(default)]
    premoderate_first: String,
    #[serde(default)]
    banned_words: String,
    #[serde(default)]
    suspect_words: String,
    #[serde(default)]
    premoderate_links: Option<String>,
    #[serde(default)]
    auto_close_days: String,
}

fn settings_fields(settings: &ModerationSettings) -> Value {
    json!({
        "mode": settings.mode.as_str(),
        "premoderate_first": settings.premoderate_first.to_string(),
        "banned_words": settings.banned_words.join("\n"),
        "suspect_words": settings.suspect_words.join("\n"),
        "premoderate_links": settings.premoderate_links,
        "auto_close_days": settings.auto_close_days.map(|d| d.to_string()).unwrap_or_default(),
    })
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn settings_form(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Query(query): Query<SavedQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::ConfigureModeration)?;
    let settings = state.store().comments().settings().await?;
    render(
        &state,
        Some(&staff),
        &csrf,
        "newsroom/comment_settings.html",
        StatusCode::OK,
        json!({
            "form": settings_fields(&settings),
            "errors": {},
            "notice": query.saved.map(|_| "The moderation rules are saved."),
        }),
    )
    .await
}

pub async fn save_settings(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Form(form): Form<SettingsForm>,
) -> Result<Response, WebError> {
    let lines = |text: &str| -> Vec<String> { text.lines().map(str::to_owned).collect() };
    let draft = RulesDraft {
        mode: form.mode.clone(),
        premoderate_first: form.premoderate_first.clone(),
        banned_words: lines(&form.banned_words),
        suspect_words: lines(&form.suspect_words),
        premoderate_links: form.premoderate_links.as_deref() == Some("yes"),
        auto_close_days: form.auto_close_days.clone(),
    };
    let errors = match comments::save_rules(
        state.ctx(),
        &staff.as_actor(),
        &draft,
        Timestamp::now(),
    )
    .await
    {
        Ok(_) => return Ok(Redirect::to("/newsroom/comments/settings?saved=1").into_response()),
        Err(error) => field_errors(error, "form")?,
    };
    // Re-show exactly what was typed, with the messages beside the fields.
    render(
        &state,
        Some(&staff),
        &csrf,
        "newsroom/comment_settings.html",
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({
            "form": {
                "mode": form.mode,
                "premoderate_first": form.premoderate_first,
                "banned_words": form.banned_words,
                "suspect_words": form.suspect_words,
                "premoderate_links": draft.premoderate_links,
                "auto_close_days": form.auto_close_days,
            },
            "errors": errors,
        }),
    )
    .await
}
