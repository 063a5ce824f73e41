//! The event stream of live coverage: `/live/{article}/events?after={entry}` tells an open page
//! which entries are newer than the newest it shows (event `entries`: their ids, newest first,
//! comma-separated), and that coverage ended (event `ended`, after which the stream closes).
//!
//! One poller per article on this node, shared by every reader of it through a
//! `tokio::sync::watch` channel: 2,000 readers of one live page cost one small query per
//! [`POLL_EVERY`], not 2,000. Each reader filters the shared list by its own `after`, so pages
//! served at different moments still share the poller. The poller ends with its last reader.
//! Open streams are capped per node ([`MAX_STREAMS`]); the slot is taken before anything else.
//!
//! This is the shape of the edge's shared `LiveHub` (branch issue12-edge, not yet on `main`
//! when this was written); once it lands, `LiveFeeds` folds into a `LiveHub<LiveSnapshot>` keyed
//! by article, and the hub's changes-log wake-up replaces most of the polling.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use dateline_core::ArticleStatus;
use dateline_db::Store;
use http::header::RETRY_AFTER;
use http::{HeaderValue, StatusCode};
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::AppState;

/// How often a followed article is asked for news: an entry reaches readers within this plus
/// the fan-out, well inside the second the issue allows at the 99th percentile.
pub const POLL_EVERY: Duration = Duration::from_millis(500);
/// Open live streams per node. Each costs a few kilobytes (a watch receiver, a response body),
/// so this bounds a node's memory for them near 20 MB.
pub const MAX_STREAMS: usize = 4_096;

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

type Feeds = Arc<Mutex<HashMap<i64, watch::Sender<Option<LiveSnapshot>>>>>;

/// The node's live coverage pollers and its stream cap.
pub struct LiveFeeds {
    store: Store,
    every: Duration,
    feeds: Feeds,
    streams: Arc<Semaphore>,
}

impl LiveFeeds {
    /// A node's: [`POLL_EVERY`], at most [`MAX_STREAMS`].
    pub fn for_node(store: Store) -> Self {
        Self::new(store, POLL_EVERY, MAX_STREAMS)
    }

    pub fn new(store: Store, every: Duration, max_streams: usize) -> Self {
        Self {
            store,
            every,
            feeds: Arc::new(Mutex::new(HashMap::new())),
            streams: Arc::new(Semaphore::new(max_streams)),
        }
    }

    /// A stream slot, or `None` when the node has as many streams as it allows.
    fn slot(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.streams).try_acquire_owned().ok()
    }

    /// Follows `article_id`, starting its poller if nobody on this node does yet.
    fn follow(&self, article_id: i64) -> watch::Receiver<Option<LiveSnapshot>> {
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = feeds.get(&article_id) {
            return sender.subscribe();
        }
        let (sender, receiver) = watch::channel(None);
        feeds.insert(article_id, sender.clone());
        tokio::spawn(poll(
            self.store.clone(),
            article_id,
            sender,
            self.every,
            Arc::clone(&self.feeds),
        ));
        receiver
    }

    /// Articles followed on this node now (tests, metrics).
    pub fn followed(&self) -> usize {
        self.feeds.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

async fn poll(
    store: Store,
    article_id: i64,
    sender: watch::Sender<Option<LiveSnapshot>>,
    every: Duration,
    feeds: Feeds,
) {
    loop {
        match store.live().news(article_id, 0).await {
            Ok(news) => {
                let snapshot = LiveSnapshot {
                    newest: news.newer,
                    ended: news.ended,
                    hidden: !news.published,
                };
                sender.send_if_modified(|current| {
                    let changed = current.as_ref() != Some(&snapshot);
                    *current = Some(snapshot);
                    changed
                });
            }
            Err(error) => tracing::warn!(%error, article_id, "live coverage poll failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = sender.closed() => {}
        }
        // Checked under the lock `follow` subscribes under, so no reader joins a poller that
        // is going.
        let mut feeds = feeds.lock().unwrap_or_else(|e| e.into_inner());
        if sender.receiver_count() == 0 {
            feeds.remove(&article_id);
            return;
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    /// The newest entry the page shows.
    #[serde(default)]
    after: i64,
}

/// What one reader's stream remembers between events.
struct Reader {
    values: watch::Receiver<Option<LiveSnapshot>>,
    after: i64,
    /// The last `entries` data sent, so the same news is not sent twice.
    sent: String,
    done: bool,
    _slot: OwnedSemaphorePermit,
    _client: crate::live::ClientStream,
}

/// The next event for `reader`, or `None` when its stream is over.
async fn next_event(mut reader: Reader) -> Option<(Result<Event, Infallible>, Reader)> {
    if reader.done {
        return None;
    }
    loop {
        let snapshot = reader.values.borrow_and_update().clone();
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
        if reader.values.changed().await.is_err() {
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
        values: feeds.follow(article_id),
        after: query.after,
        sent: String::new(),
        done: false,
        _slot: slot,
        _client: client,
    };
    Sse::new(futures_util::stream::unfold(reader, next_event))
        .keep_alive(KeepAlive::default())
        .into_response()
}
