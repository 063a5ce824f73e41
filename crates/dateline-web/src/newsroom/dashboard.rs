//! The newsroom's front page: my drafts, what waits for review, what goes out today,
//! corrections this week, and the comments and tips waiting, each shown only to those whose role
//! lets them act on it.

use axum::extract::State;
use axum::response::Response;
use dateline_core::{Action, ArticleStatus, paths};
use dateline_db::{DeskArticle, DeskFilter, Queue};
use http::StatusCode;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::articles::{Zone, owner};
use super::{Csrf, CurrentStaff, WebError, render};
use crate::AppState;

/// Lines each list shows; the list page has the rest.
const SHOWN: i64 = 8;
/// Scheduled stories looked at to find today's (a newsroom schedules far fewer).
const SCHEDULED_LOOKED_AT: i64 = 200;

fn line(article: &DeskArticle, zone: &Zone) -> Value {
    json!({
        "id": article.id,
        "headline": article.headline,
        "url": format!("/newsroom/articles/{}/edit", article.id),
        "section": article.section_name,
        "authors": article.authors.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", "),
        "updated": zone.display(article.updated_at),
        "scheduled_for": article.scheduled_for.map(|t| zone.time_of_day(t)),
    })
}

pub async fn dashboard(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
) -> Result<Response, WebError> {
    staff.require(Action::UseNewsroom)?;
    let store = state.store();
    let zone = Zone::load(&state).await?;
    let now = Timestamp::now();
    // Who cannot touch other people's drafts sees only their own work, as on the article list.
    let only_own = (!staff.may(Action::EditDraft, false)).then(|| owner(&staff));
    let desk = |status: ArticleStatus, owned_by| DeskFilter {
        status: Some(status),
        owned_by,
        ..DeskFilter::default()
    };

    let writes = staff.may(Action::CreateDraft, true);
    let (my_drafts, my_drafts_total) = if writes {
        let filter = desk(ArticleStatus::Draft, Some(owner(&staff)));
        (
            store.articles().desk(&filter, SHOWN, 0).await?,
            store.articles().count_desk(&filter).await?,
        )
    } else {
        (Vec::new(), 0)
    };
    let review_filter = desk(ArticleStatus::InReview, only_own);
    let in_review = store.articles().desk(&review_filter, SHOWN, 0).await?;
    let in_review_total = store.articles().count_desk(&review_filter).await?;

    let today = zone.today(now);
    let mut scheduled_today: Vec<DeskArticle> = store
        .articles()
        .desk(
            &desk(ArticleStatus::Scheduled, only_own),
            SCHEDULED_LOOKED_AT,
            0,
        )
        .await?
        .into_iter()
        .filter(|a| {
            a.scheduled_for
                .is_some_and(|at| today.0 <= at && at < today.1)
        })
        .collect();
    scheduled_today.sort_by_key(|a| a.scheduled_for);

    let week_ago = now
        .checked_sub(jiff::SignedDuration::from_hours(7 * 24))
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let corrections: Vec<Value> = store
        .articles().corrections(SHOWN * 4, 0)
        .await?
        .into_iter()
        .filter(|c| c.note.published_at >= week_ago)
        .map(|c| {
            json!({
                "headline": c.headline,
                "url": format!("{}#note-{}", paths::article(&c.section_slug, &c.article_slug), c.note.id),
                "text": c.note.text,
                "time": zone.display(c.note.published_at),
            })
        })
        .collect();

    let comments = if staff.may(Action::ModerateComments, false) {
        let counts = store.comments().moderation_counts().await?;
        Some(json!({
            "pending": counts.get(&Queue::Pending).copied().unwrap_or(0),
            "reported": counts.get(&Queue::Reported).copied().unwrap_or(0),
        }))
    } else {
        None
    };
    let tips = if staff.may(Action::TriageTips, false) {
        Some(store.tips().count(dateline_core::TipStatus::New).await?)
    } else {
        None
    };

    render(
        &state,
        Some(&staff),
        &csrf,
        "newsroom/dashboard.html",
        StatusCode::OK,
        json!({
            "dashboard": {
                "may_write": writes,
                "my_drafts": my_drafts.iter().map(|a| line(a, &zone)).collect::<Vec<_>>(),
                "my_drafts_total": my_drafts_total,
                "in_review": in_review.iter().map(|a| line(a, &zone)).collect::<Vec<_>>(),
                "in_review_total": in_review_total,
                "review_is_own": only_own.is_some(),
                "scheduled_today": scheduled_today.iter().map(|a| line(a, &zone)).collect::<Vec<_>>(),
                "corrections": corrections,
                "comments": comments,
                "unread_tips": tips,
                "zone": zone.name,
            },
        }),
    )
    .await
}

impl Zone {
    /// Midnight to midnight of `now`'s day in the newsroom's zone (23 or 25 hours across a
    /// daylight-saving change).
    fn today(&self, now: Timestamp) -> (Timestamp, Timestamp) {
        let here = now.to_zoned_datetime(self.zone.clone());
        let start = here.start_of_day().map(|z| z.timestamp()).unwrap_or(now);
        let end = here
            .tomorrow()
            .and_then(|t| t.start_of_day())
            .map(|z| z.timestamp())
            .unwrap_or(now);
        (start, end)
    }

    fn time_of_day(&self, at: Timestamp) -> String {
        at.to_zoned_datetime(self.zone.clone())
            .strftime("%H:%M")
            .to_string()
    }
}
