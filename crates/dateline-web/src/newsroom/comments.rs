//! Moderation: the queues (pending, reported, approved, rejected), decisions on comments, the
//! readers' standing, closing an article's discussion, and the site's moderation rules. Every
//! decision goes through the store, which writes it to the audit log.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::Action;
use dateline_core::comments::{ModerationMode, ModerationSettings, ModeratorDecision};
use dateline_db::{CommentAuthor, DbError, NewComment, Queue, Standing};
use http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Csrf, CurrentStaff, NewsroomError, render};
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
) -> Result<Response, NewsroomError> {
    staff.require(Action::ModerateComments)?;
    let queue = query
        .queue
        .as_deref()
        .and_then(Queue::parse)
        .unwrap_or(Queue::Pending);
    let settings = state.store().settings().await?;
    let clock = Clock::for_settings(&settings);
    let mut entries = state
        .store()
        .moderation_queue(queue, query.before, QUEUE_PAGE + 1)
        .await?;
    let more = entries.len() as i64 > QUEUE_PAGE;
    entries.truncate(QUEUE_PAGE as usize);
    let counts = state.store().moderation_counts().await?;
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
            slot.insert(state.store().article_discussion(article_id).await?);
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
    render(
        &state,
        Some(&staff),
        &csrf,
        "newsroom/comments.html",
        StatusCode::OK,
        json!({
            "queue": queue.as_str(),
            "tabs": tabs,
            "comments": rows,
            "older_url": older_url,
            "done": query.done,
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

/// A decision on something that is gone or not allowed now reads as a notice, not an error page.
fn refused(error: DbError, queue: &str) -> Result<Response, NewsroomError> {
    match error {
        DbError::NotFound | DbError::Invalid(_) | DbError::Comment(_) => {
            Ok(back_to(queue, "refused"))
        }
        other => Err(other.into()),
    }
}

pub async fn decide(
    State(state): State<AppState>,
    staff: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, NewsroomError> {
    staff.require(Action::ModerateComments)?;
    let decision = match form.decision.as_str() {
        "approve" => ModeratorDecision::Approve,
        "reject" => ModeratorDecision::Reject,
        _ => return Ok(back_to(&form.queue, "refused")),
    };
    match state
        .store()
        .moderate_comment(id, decision, &form.reason, &staff.actor(), Timestamp::now())
        .await
    {
        Ok(_) => Ok(back_to(&form.queue, &form.decision)),
        Err(error) => refused(error, &form.queue),
    }
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
    Path(id): Path<i64>,
    Form(form): Form<FeatureForm>,
) -> Result<Response, NewsroomError> {
    staff.require(Action::ModerateComments)?;
    let featured = form.featured == "yes";
    match state
        .store()
        .set_comment_featured(id, featured, &staff.actor(), Timestamp::now())
        .await
    {
        Ok(()) => Ok(back_to(
            &form.queue,
            if featured { "featured" } else { "unfeatured" },
        )),
        Err(error) => refused(error, &form.queue),
    }
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
    Path(reader_id): Path<i64>,
    Form(form): Form<StandingForm>,
) -> Result<Response, NewsroomError> {
    staff.require(Action::ModerateComments)?;
    let now = Timestamp::now();
    let actor = staff.actor();
    let store = state.store();
    let outcome = match form.standing.as_str() {
        "active" => store
            .set_reader_standing(reader_id, Standing::Active, &form.reason, &actor, now)
            .await
            .map(|_| ()),
        "banned" => store
            .set_reader_standing(reader_id, Standing::Banned, &form.reason, &actor, now)
            .await
            .map(|_| ()),
        "suspended" => {
            let days = form
                .days
                .as_deref()
                .and_then(|d| d.trim().parse::<i64>().ok())
                .filter(|d| (1..=365).contains(d))
                .unwrap_or(7);
            let until = now + SignedDuration::from_hours(24 * days);
            store
                .set_reader_standing(
                    reader_id,
                    Standing::Suspended { until },
                    &form.reason,
                    &actor,
                    now,
                )
                .await
                .map(|_| ())
        }
        "premoderate" | "trust" => store
            .set_reader_always_premoderate(reader_id, form.standing == "premoderate", &actor, now)
            .await
            .map(|_| ()),
        _ => return Ok(back_to(&form.queue, "refused")),
    };
    match outcome {
        Ok(()) => Ok(back_to(&form.queue, &form.standing)),
        Err(error) => refused(error, &form.queue),
    }
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
    Path(comment_id): Path<i64>,
    Form(form): Form<StaffReplyForm>,
) -> Result<Response, NewsroomError> {
    staff.require(Action::ModerateComments)?;
    let parent = match state.store().comment(comment_id).await {
        Ok(parent) => parent,
        Err(error) => return refused(error, &form.queue),
    };
    let reply = NewComment {
        article_id: parent.article_id,
        parent_id: Some(parent.id),
        author: CommentAuthor::Staff(staff.member.id),
        body: form.body,
    };
    match state.store().post_comment(&reply, Timestamp::now()).await {
        Ok(_) => Ok(back_to(&form.queue, "replied")),
        Err(error) => refused(error, &form.queue),
    }
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
    Path(article_id): Path<i64>,
    Form(form): Form<ArticleDiscussionForm>,
) -> Result<Response, NewsroomError> {
    staff.require(Action::ModerateComments)?;
    let now = Timestamp::now();
    let actor = staff.actor();
    let outcome = match (form.open.as_deref(), form.mode.as_deref()) {
        (Some(open), _) => {
            state
                .store()
                .set_article_comments_open(article_id, open == "yes", &actor, now)
                .await
        }
        (None, Some(mode)) => {
            let mode = match mode {
                "site" => None,
                other => match ModerationMode::parse(other) {
                    Some(mode) => Some(mode),
                    None => return Ok(back_to(&form.queue, "refused")),
                },
            };
            state
                .store()
                .set_article_comment_mode(article_id, mode, &actor, now)
                .await
        }
        (None, None) => return Ok(back_to(&form.queue, "refused")),
    };
    match outcome {
        Ok(()) => Ok(back_to(&form.queue, "article")),
        Err(error) => refused(error, &form.queue),
    }
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
) -> Result<Response, NewsroomError> {
    staff.require(Action::ConfigureModeration)?;
    let settings = state.store().comment_settings().await?;
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
) -> Result<Response, NewsroomError> {
    staff.require(Action::ConfigureModeration)?;
    let mut errors = serde_json::Map::new();
    let mode = ModerationMode::parse(&form.mode).unwrap_or_else(|| {
        errors.insert("mode".into(), json!("Choose pre- or post-moderation."));
        ModerationMode::Post
    });
    let premoderate_first = form
        .premoderate_first
        .trim()
        .parse::<u32>()
        .unwrap_or_else(|_| {
            errors.insert(
                "premoderate_first".into(),
                json!("Enter a whole number, 0 or more."),
            );
            0
        });
    let auto_close_days = match form.auto_close_days.trim() {
        "" => None,
        text => match text.parse::<u32>() {
            Ok(days) => Some(days),
            Err(_) => {
                errors.insert(
                    "auto_close_days".into(),
                    json!("Enter a number of days, or leave it empty to keep comments open."),
                );
                None
            }
        },
    };
    let words = |text: &str| -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let settings = ModerationSettings {
        mode,
        premoderate_first,
        banned_words: words(&form.banned_words),
        suspect_words: words(&form.suspect_words),
        premoderate_links: form.premoderate_links.as_deref() == Some("yes"),
        auto_close_days,
    };
    if errors.is_empty() {
        match state
            .store()
            .save_comment_settings(&settings, &staff.actor(), Timestamp::now())
            .await
        {
            Ok(()) => {
                return Ok(Redirect::to("/newsroom/comments/settings?saved=1").into_response());
            }
            Err(DbError::Invalid(message)) => {
                let field = if message.contains("days") {
                    "auto_close_days"
                } else {
                    "premoderate_first"
                };
                errors.insert(field.into(), json!(message));
            }
            Err(error) => return Err(error.into()),
        }
    }
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
                "premoderate_links": settings.premoderate_links,
                "auto_close_days": form.auto_close_days,
            },
            "errors": errors,
        }),
    )
    .await
}
