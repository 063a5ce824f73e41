//! Two people, one story: who has an article open in the editor, and a push to every open editor
//! when the article is saved, over server-sent events (`GET /newsroom/articles/{id}/presence`).
//!
//! Saves reach this node through the `changes` log it already follows ([`crate::AppState`]'s
//! `apply_changes`), so a save on any node is announced here within the log's interval, with one
//! store read per saved article that someone is watching, never a database poll per tab. Who is
//! editing is this node's knowledge: on several nodes, each tells of the editors connected to it.
//!
//! Memory is bounded: a few open editors per article, per person and per node, each with a small
//! event buffer; a slow tab that falls behind gets the current state instead of the backlog.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Mutex;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::articles::editable;
use super::{CurrentStaff, NewsroomError};
use crate::{AppState, WebError};

/// Open editors of one article (everyone in a newsroom fits; a runaway script does not).
const EDITORS_PER_ARTICLE: usize = 24;
/// Open editors of one person across articles and tabs.
const TABS_PER_PERSON: usize = 12;
/// Open editors on this node.
const EDITORS_PER_NODE: usize = 2_000;
/// Events a tab may fall behind by before it is sent the current state instead.
const EVENT_BUFFER: usize = 8;
/// A tab names itself with a short random word; longer names are refused before anything is kept.
const TAB_NAME_MAX: usize = 32;

/// Someone with the article open.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Editor {
    tab: String,
    #[serde(skip)]
    staff_id: i64,
    name: String,
}

/// A save of the article, as the other editors are told of it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct SavedVersion {
    /// The article's version now: a form opened at an older one is stale.
    pub version: i64,
    pub revision: i64,
    pub previous_revision: i64,
    pub by: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone)]
enum PresenceEvent {
    Editors(Vec<Editor>),
    Saved(SavedVersion),
}

struct Room {
    events: broadcast::Sender<PresenceEvent>,
    editors: Vec<Editor>,
}

/// This node's open editors, by article.
#[derive(Default)]
pub(crate) struct Presence {
    rooms: Mutex<HashMap<i64, Room>>,
}

/// Which limit kept a tab out.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Full {
    Article,
    Person,
    Node,
}

impl Presence {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds `editor` to the article's room and tells everyone there (the newcomer included, whose
    /// receiver is subscribed first) who is editing now.
    fn join(
        &self,
        article_id: i64,
        editor: Editor,
    ) -> Result<broadcast::Receiver<PresenceEvent>, Full> {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        let open: usize = rooms.values().map(|room| room.editors.len()).sum();
        if open >= EDITORS_PER_NODE {
            return Err(Full::Node);
        }
        let of_person = rooms
            .values()
            .flat_map(|room| &room.editors)
            .filter(|e| e.staff_id == editor.staff_id)
            .count();
        if of_person >= TABS_PER_PERSON {
            return Err(Full::Person);
        }
        let room = rooms.entry(article_id).or_insert_with(|| Room {
            events: broadcast::channel(EVENT_BUFFER).0,
            editors: Vec::new(),
        });
        if room.editors.len() >= EDITORS_PER_ARTICLE {
            return Err(Full::Article);
        }
        let receiver = room.events.subscribe();
        // The same tab reconnecting (EventSource retries) replaces its old entry.
        room.editors.retain(|e| e.tab != editor.tab);
        room.editors.push(editor);
        let _nobody_else = room
            .events
            .send(PresenceEvent::Editors(room.editors.clone()));
        Ok(receiver)
    }

    fn leave(&self, article_id: i64, tab: &str, staff_id: i64) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        let Some(room) = rooms.get_mut(&article_id) else {
            return;
        };
        room.editors
            .retain(|e| !(e.tab == tab && e.staff_id == staff_id));
        if room.editors.is_empty() {
            rooms.remove(&article_id);
        } else {
            let _nobody_left = room
                .events
                .send(PresenceEvent::Editors(room.editors.clone()));
        }
    }

    fn editors(&self, article_id: i64) -> Vec<Editor> {
        let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        rooms
            .get(&article_id)
            .map(|room| room.editors.clone())
            .unwrap_or_default()
    }

    /// The articles among `ids` someone has open here (the only saves worth announcing).
    pub(crate) fn watched(&self, ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
        let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        let mut watched: Vec<i64> = ids
            .into_iter()
            .filter(|id| rooms.contains_key(id))
            .collect();
        watched.sort_unstable();
        watched.dedup();
        watched
    }

    pub(crate) fn saved(&self, article_id: i64, saved: SavedVersion) {
        let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(room) = rooms.get(&article_id) {
            let _nobody_listening = room.events.send(PresenceEvent::Saved(saved));
        }
    }
}

/// Announces the newest saved version of each watched article among `article_ids` (called with
/// the articles the `changes` log just named).
pub(crate) async fn announce_saves(
    state: &AppState,
    article_ids: impl IntoIterator<Item = i64>,
) -> Result<(), WebError> {
    for id in state.presence().watched(article_ids) {
        let store = state.store();
        let (Some(article), Some(latest)) =
            (store.article(id).await?, store.latest_revision(id).await?)
        else {
            continue;
        };
        state.presence().saved(
            id,
            SavedVersion {
                version: article.version,
                revision: latest.number,
                previous_revision: (latest.number - 1).max(1),
                by: latest.saved_by.name,
                at: latest.saved_at,
            },
        );
    }
    Ok(())
}

/// Leaves the room when the stream ends (the tab closed or navigated away).
struct Leave {
    state: AppState,
    article_id: i64,
    tab: String,
    staff_id: i64,
}

impl Drop for Leave {
    fn drop(&mut self) {
        self.state
            .presence()
            .leave(self.article_id, &self.tab, self.staff_id);
    }
}

#[derive(Deserialize)]
pub struct PresenceQuery {
    #[serde(default)]
    tab: String,
}

fn event(event: &PresenceEvent) -> Event {
    match event {
        PresenceEvent::Editors(editors) => Event::default()
            .event("editors")
            .data(serde_json::to_string(editors).unwrap_or_else(|_| "[]".to_owned())),
        PresenceEvent::Saved(saved) => Event::default()
            .event("saved")
            .data(serde_json::to_string(saved).unwrap_or_else(|_| "{}".to_owned())),
    }
}

/// `GET /newsroom/articles/{id}/presence?tab=…`: this tab is editing the article; the stream
/// says who else is, and when the article is saved. Only someone who may edit the article may
/// open it (the same rule as the edit form).
pub async fn events(
    State(state): State<AppState>,
    staff: CurrentStaff,
    Path(id): Path<i64>,
    Query(query): Query<PresenceQuery>,
) -> Result<Response, NewsroomError> {
    let tab = query.tab;
    if tab.is_empty() || tab.len() > TAB_NAME_MAX || !tab.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(NewsroomError::Web(WebError::BadRequest(
            "tab must be 1 to 32 letters or digits".to_owned(),
        )));
    }
    // Whoever may open the edit form may be told about it: the same rule, in one place.
    editable(&state, &staff, id).await?;
    let editor = Editor {
        tab: tab.clone(),
        staff_id: staff.member.id,
        name: staff.member.display_name.clone(),
    };
    let receiver = match state.presence().join(id, editor) {
        Ok(receiver) => receiver,
        Err(refused) => {
            let message = match refused {
                Full::Article => "Too many editors have this article open.",
                Full::Person => "You have too many articles open: close some tabs.",
                Full::Node => "The newsroom is busy: try again in a minute.",
            };
            return Ok((StatusCode::TOO_MANY_REQUESTS, message).into_response());
        }
    };
    let leave = Leave {
        state: state.clone(),
        article_id: id,
        tab,
        staff_id: staff.member.id,
    };
    Ok(Sse::new(stream(receiver, leave))
        .keep_alive(KeepAlive::default())
        .into_response())
}

fn stream(
    receiver: broadcast::Receiver<PresenceEvent>,
    leave: Leave,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold((receiver, leave), |(mut receiver, leave)| async move {
        let next = match receiver.recv().await {
            Ok(found) => found,
            // Fell behind: what matters is the present, not the backlog.
            Err(broadcast::error::RecvError::Lagged(_)) => {
                PresenceEvent::Editors(leave.state.presence().editors(leave.article_id))
            }
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(event(&next)), (receiver, leave)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn editor(tab: &str, staff_id: i64) -> Editor {
        Editor {
            tab: tab.to_owned(),
            staff_id,
            name: format!("Staff {staff_id}"),
        }
    }

    #[test]
    fn rooms_are_bounded_and_emptied() {
        let presence = Presence::new();
        let mut held = Vec::new();
        for n in 0..EDITORS_PER_ARTICLE {
            held.push(
                presence
                    .join(1, editor(&format!("t{n}"), n as i64))
                    .expect("room"),
            );
        }
        assert_eq!(
            presence.join(1, editor("late", 999)).err(),
            Some(Full::Article)
        );
        for n in 0..TABS_PER_PERSON {
            held.push(
                presence
                    .join(100 + n as i64, editor("x", 1000))
                    .expect("tab"),
            );
        }
        assert_eq!(
            presence.join(500, editor("y", 1000)).err(),
            Some(Full::Person)
        );
        // A reconnecting tab replaces itself rather than counting twice.
        held.push(presence.join(2, editor("r", 50)).expect("join"));
        held.push(presence.join(2, editor("r", 50)).expect("rejoin"));
        assert_eq!(presence.editors(2).len(), 1);
        for n in 0..EDITORS_PER_ARTICLE {
            presence.leave(1, &format!("t{n}"), n as i64);
        }
        assert!(presence.watched([1]).is_empty(), "an empty room is dropped");
        assert_eq!(presence.watched([2, 100, 3]), vec![2, 100]);
    }

    #[test]
    fn a_save_reaches_the_room_and_nobody_else() {
        let presence = Presence::new();
        let mut here = presence.join(5, editor("a", 1)).expect("join");
        let mut other = presence.join(6, editor("b", 2)).expect("join");
        let saved = SavedVersion {
            version: 3,
            revision: 3,
            previous_revision: 2,
            by: "Elena".into(),
            at: Timestamp::UNIX_EPOCH,
        };
        presence.saved(5, saved.clone());
        let mut seen = Vec::new();
        while let Ok(event) = here.try_recv() {
            seen.push(event);
        }
        assert!(
            matches!(seen.last(), Some(PresenceEvent::Saved(s)) if *s == saved),
            "{seen:?}"
        );
        while let Ok(event) = other.try_recv() {
            assert!(!matches!(event, PresenceEvent::Saved(_)), "{event:?}");
        }
    }
}
