//! The event stream of live coverage: `/live/{article}/events?after={entry}` tells an open page
//! which entries are newer than the newest it shows (event `entries`: their ids, newest first,
//! comma-separated), and that coverage ended (event `ended`, after which the stream closes).
//!
//! One poller per article on this node (the node's `LiveHub` of live coverage), shared by every
//! reader of it: 2,000 readers of one live page cost one small query per [`POLL_EVERY`], or one
//! as soon as the `changes` log names the article, not 2,000. Each reader filters the shared list
//! by its own `after`, so pages served at different moments still share the poller. Open
//! streams are capped per node (`max_event_streams`) and per client; the slots are taken before
//! anything else.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use dateline_core::ArticleStatus;
use dateline_db::Store;
use http::header::RETRY_AFTER;
use http::{HeaderValue, StatusCode};
use serde::Deserialize;

use crate::AppState;
use crate::live::{LiveHub, Subscription};

/// How often a followed article is asked for news besides when the `changes` log names its live
/// page: what changes under another tag (the article unpublished) reaches readers within this.
pub const POLL_EVERY: Duration = Duration::from_millis(500);

/// What every reader of one article hears: the newest entries and whether coverage ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSnapshot {
    /// Newest first, at most `LiveNews::MAX_NEWER`.
    newest: Vec<i64>,
    ended: bool,
    /// The article is no longer published: its streams end without another word, as a new
    /// one would be refused.
    hidden: bool,
}

/// The hub behind every live coverage stream of the node: one poller per article, woken by
/// the `changes` log when an entry is posted or coverage ends.
pub(crate) fn live_coverage_news(store: Store, max_streams: usize) -> LiveHub<LiveSnapshot> {
    LiveHub::new(
        store,
        POLL_EVERY,
        max_streams,
        dateline_core::cache_tags::live,
        |store, article_id| async move {
            let news = store.live().news(article_id, 0).await?;
            Ok(LiveSnapshot {
                newest: news.newer,
                ended: news.ended,
                hidden: !news.published,
            })
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    /// The newest entry the page shows.
    #[serde(default)]
    after: i64,
}

/// What one reader's stream remembers between events.
struct Reader {
    news: Subscription<LiveSnapshot>,
    after: i64,
    /// The last `entries` data sent, so the same news is not sent twice.
    sent: String,
    done: bool,
    _client: crate::live::ClientStream,
}

/// The next event for `reader`, or `None` when its stream is over.
async fn next_event(mut reader: Reader) -> Option<(Result<Event, Infallible>, Reader)> {
    if reader.done {
        return None;
    }
    loop {
        let snapshot = reader.news.values.borrow_and_update().clone();
        if let Some(snapshot) = snapshot {
            if snapshot.hidden {
                return None;
            }
            if snapshot.ended {
                reader.done = true;
                return Some((Ok(Event::default().event("ended").data("ended")), reader));
            }
            let ids: Vec<String> = snapshot
                .newest
                .iter()
                .filter(|id| **id > reader.after)
                .map(i64::to_string)
                .collect();
            let data = ids.join(",");
            if !ids.is_empty() && data != reader.sent {
                reader.sent.clone_from(&data);
                return Some((Ok(Event::default().event("entries").data(data)), reader));
            }
        }
        if reader.news.values.changed().await.is_err() {
            return None;
        }
    }
}

pub async fn events(
    State(state): State<AppState>,
    Path(article_id): Path<i64>,
    Query(query): Query<EventsQuery>,
    extensions: http::Extensions,
) -> Response {
    let Some(client) = state.client_stream(&extensions) else {
        return crate::limits::too_many_streams();
    };
    let feeds = state.live_feeds();
    let Some(slot) = feeds.slot() else {
        let mut busy = StatusCode::SERVICE_UNAVAILABLE.into_response();
        busy.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("30"));
        return busy;
    };
    // The article page's rule: published live coverage only.
    match state.store().articles().by_id(article_id).await {
        Ok(Some(article)) if article.status == ArticleStatus::Published && article.is_live() => {}
        Ok(_) => return StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::warn!(%error, article_id, "live stream: article lookup failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    let reader = Reader {
        news: feeds.open(article_id, slot),
        after: query.after,
        sent: String::new(),
        done: false,
        _client: client,
    };
    Sse::new(futures_util::stream::unfold(reader, next_event))
        .keep_alive(KeepAlive::default())
        .into_response()
}
