//! Two people, one story: who has an article open in the editor, and a push to every open editor
//! when the article is saved, over server-sent events (`GET /newsroom/articles/{id}/presence`).
//!
//! Saves reach this node through the `changes` log it already follows ([`crate::AppState`]'s
//! `apply_changes`), so a save on any node is announced here within the log's interval, with one
//! store read per saved article that someone is watching, never a database poll per tab.
//!
//! Who is editing is shared through the database (`store.presence()`), since behind a CDN two
//! people's event streams may land on different nodes. A node keeps the tabs connected to it in
//! memory and copies them to the database: a row when a tab opens, deleted when it
//! closes, and every [`HEARTBEAT`] one statement marking all of them alive ([`sync`]). The same
//! heartbeat reads, in one query for all the articles its tabs have open, the editors connected
//! to other nodes, and tells the tabs of any change; a node where nobody has an article open asks
//! the database nothing. A newly opened tab is told of the editors elsewhere at once. The rows of
//! a node that died are ignored once [`EXPIRY`] old (and deleted by maintenance). Opening and
//! closing a tab are a person's actions, through `dateline_usecases::presence`, which checks the
//! permission to edit the article (the edit form's rule) and counts its places over every node;
//! the heartbeat is the node's bookkeeping of its own connections, with nothing to permit and
//! nothing of the site changed, and calls the store directly.
//!
//! Memory is bounded: a few open editors per article and per person (counted over every node by
//! the database, when a tab opens) and per node (in memory), each tab with a small event buffer;
//! a slow tab that falls behind gets the current state instead of the backlog.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use dateline_db::{EditorAdmission, EditorElsewhere, OpenEditor, PresenceLimits};
use dateline_usecases::presence as usecases;
use futures_util::Stream;
use http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::{CurrentStaff, secrets};
use crate::{AppState, WebError};

/// Open editors of one article, on all nodes (everyone in a newsroom fits; a runaway script
/// does not).
const EDITORS_PER_ARTICLE: usize = 24;
/// Open editors of one person across articles and tabs, on all nodes.
const TABS_PER_PERSON: usize = 12;
/// Open editors on this node.
const EDITORS_PER_NODE: usize = 2_000;
/// Events a tab may fall behind by before it is sent the current state instead.
const EVENT_BUFFER: usize = 8;
/// A tab names itself with a short random word; longer names are refused before anything is kept.
const TAB_NAME_MAX: usize = 32;

const HEARTBEAT_MILLIS: u64 = 1_000;
/// How often a node marks its open editors alive and learns of the other nodes' ones: how late
/// "Elena is editing" may be when Elena's tab is connected to another node.
pub const HEARTBEAT: Duration = Duration::from_millis(HEARTBEAT_MILLIS);
/// An editor whose node has not marked it alive for five heartbeats is gone: its node died or
/// lost the database. Five, so that a slow database round or two does not make people vanish.
const EXPIRY: SignedDuration = SignedDuration::from_millis(5 * HEARTBEAT_MILLIS as i64);

const SHARED_LIMITS: PresenceLimits = PresenceLimits {
    per_article: EDITORS_PER_ARTICLE,
    per_person: TABS_PER_PERSON,
    expires_after: EXPIRY,
};

/// The oldest heartbeat of an editor still counted as there at `now`.
fn seen_since(now: Timestamp) -> Timestamp {
    now - EXPIRY
}

/// Someone with the article open.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Editor {
    tab: String,
    #[serde(skip)]
    staff_id: i64,
    name: String,
    /// Which connection of this node it is (0 for editors elsewhere): a tab that reconnects
    /// replaces its entry, and the old connection closing later must not remove the new one.
    #[serde(skip)]
    connection: u64,
}

impl From<EditorElsewhere> for Editor {
    fn from(found: EditorElsewhere) -> Self {
        Editor {
            tab: found.tab,
            staff_id: found.staff_id,
            name: found.name,
            connection: 0,
        }
    }
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
    /// Tabs connected to this node.
    here: Vec<Editor>,
    /// Tabs connected to other nodes, as the last heartbeat found them.
    elsewhere: Vec<Editor>,
}

impl Room {
    fn editors(&self) -> Vec<Editor> {
        self.here.iter().chain(&self.elsewhere).cloned().collect()
    }

    fn tell_editors(&self) {
        let _nobody_listening = self.events.send(PresenceEvent::Editors(self.editors()));
    }
}

/// This node's open editors, by article, and what it last learnt of the other nodes' ones.
pub(crate) struct Presence {
    /// This node's name in the shared table: new at every start, so the rows a node left
    /// behind when it stopped simply expire.
    node: String,
    rooms: Mutex<HashMap<i64, Room>>,
    connections: AtomicU64,
}

/// Which limit kept a tab out.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Full {
    Article,
    Person,
    Node,
}

impl Presence {
    /// The presence of a node starting now, under a random name.
    pub(crate) fn new() -> Result<Self, WebError> {
        let mut name = [0u8; 12];
        getrandom::fill(&mut name).map_err(|error| WebError::Internal(error.to_string()))?;
        Ok(Self::named(hex::encode(name)))
    }

    fn named(node: String) -> Self {
        Self {
            node,
            rooms: Mutex::default(),
            connections: AtomicU64::new(1),
        }
    }

    /// A number for a new connection, never given before on this node.
    fn next_connection(&self) -> u64 {
        self.connections.fetch_add(1, Ordering::Relaxed)
    }

    fn rooms(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Room>> {
        self.rooms.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this node's memory already says no to another tab of `staff_id`: the node is
    /// full, or the person has all their tabs open here. (The article's places are counted
    /// after the permission to edit it is checked.)
    fn admits(&self, staff_id: i64) -> Result<(), Full> {
        let rooms = self.rooms();
        let here = rooms.values().flat_map(|room| &room.here);
        if here.clone().count() >= EDITORS_PER_NODE {
            return Err(Full::Node);
        }
        if here.filter(|e| e.staff_id == staff_id).count() >= TABS_PER_PERSON {
            return Err(Full::Person);
        }
        Ok(())
    }

    /// Adds `editor` to the article's room and tells everyone there (the newcomer included, whose
    /// receiver is subscribed first) who is editing now; `elsewhere`, when given, is who has it
    /// open on other nodes. The limits are this node's own (its memory); those over every node
    /// were checked by the database before.
    fn join(
        &self,
        article_id: i64,
        editor: Editor,
        elsewhere: Option<Vec<Editor>>,
    ) -> Result<broadcast::Receiver<PresenceEvent>, Full> {
        let mut rooms = self.rooms();
        let here = rooms.values().flat_map(|room| &room.here);
        if here.clone().count() >= EDITORS_PER_NODE {
            return Err(Full::Node);
        }
        if here.filter(|e| e.staff_id == editor.staff_id).count() >= TABS_PER_PERSON {
            return Err(Full::Person);
        }
        if rooms
            .get(&article_id)
            .is_some_and(|room| room.here.len() >= EDITORS_PER_ARTICLE)
        {
            return Err(Full::Article);
        }
        let room = rooms.entry(article_id).or_insert_with(|| Room {
            events: broadcast::channel(EVENT_BUFFER).0,
            here: Vec::new(),
            elsewhere: Vec::new(),
        });
        if let Some(mut elsewhere) = elsewhere {
            elsewhere.truncate(EDITORS_PER_ARTICLE);
            room.elsewhere = elsewhere;
        }
        let receiver = room.events.subscribe();
        // The same tab reconnecting (EventSource retries) replaces its old entry.
        room.here.retain(|e| e.tab != editor.tab);
        room.here.push(editor);
        room.tell_editors();
        Ok(receiver)
    }

    /// The connection `connection` ended; `false` when it had been replaced already (the tab
    /// reconnected), so that the tab is still open.
    fn leave(&self, article_id: i64, connection: u64) -> bool {
        let mut rooms = self.rooms();
        let Some(room) = rooms.get_mut(&article_id) else {
            return false;
        };
        let before = room.here.len();
        room.here.retain(|e| e.connection != connection);
        if room.here.len() == before {
            return false;
        }
        if room.here.is_empty() {
            rooms.remove(&article_id);
        } else {
            room.tell_editors();
        }
        true
    }

    fn editors(&self, article_id: i64) -> Vec<Editor> {
        self.rooms()
            .get(&article_id)
            .map(Room::editors)
            .unwrap_or_default()
    }

    /// The tabs connected here, as the database keeps them, and the articles they have open.
    fn open_here(&self) -> (Vec<OpenEditor>, Vec<i64>) {
        let rooms = self.rooms();
        let open = rooms
            .iter()
            .flat_map(|(article_id, room)| {
                room.here.iter().map(|e| OpenEditor {
                    article_id: *article_id,
                    tab: e.tab.clone(),
                    staff_id: e.staff_id,
                })
            })
            .collect();
        let mut watched: Vec<i64> = rooms.keys().copied().collect();
        watched.sort_unstable();
        (open, watched)
    }

    /// What the database says other nodes have open of the `watched` articles; the rooms whose
    /// editors changed are told.
    fn seen_elsewhere(&self, watched: &[i64], found: Vec<EditorElsewhere>) {
        let mut by_article: HashMap<i64, Vec<Editor>> = HashMap::new();
        for editor in found {
            by_article
                .entry(editor.article_id)
                .or_default()
                .push(editor.into());
        }
        let mut rooms = self.rooms();
        for article_id in watched {
            let Some(room) = rooms.get_mut(article_id) else {
                continue;
            };
            let mut elsewhere = by_article.remove(article_id).unwrap_or_default();
            elsewhere.truncate(EDITORS_PER_ARTICLE);
            if room.elsewhere != elsewhere {
                room.elsewhere = elsewhere;
                room.tell_editors();
            }
        }
    }

    /// The articles among `ids` someone has open here (the only saves worth announcing).
    pub(crate) fn watched(&self, ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
        let rooms = self.rooms();
        let mut watched: Vec<i64> = ids
            .into_iter()
            .filter(|id| rooms.contains_key(id))
            .collect();
        watched.sort_unstable();
        watched.dedup();
        watched
    }

    pub(crate) fn saved(&self, article_id: i64, saved: SavedVersion) {
        if let Some(room) = self.rooms().get(&article_id) {
            let _nobody_listening = room.events.send(PresenceEvent::Saved(saved));
        }
    }
}

/// Lets a tab in: this node's memory first (no database round trip for a tab it can refuse
/// alone), then the use case (the permission to edit the article, and the places over every
/// node, which it takes); then the tab's room here, told at once of whoever has the article
/// open on other nodes. Returns the tab's receiver and its record in the database.
async fn open(
    state: &AppState,
    staff: &CurrentStaff,
    article_id: i64,
    editor: Editor,
    now: Timestamp,
) -> Result<Result<(broadcast::Receiver<PresenceEvent>, OpenEditor), Full>, WebError> {
    let presence = state.presence();
    if let Err(full) = presence.admits(editor.staff_id) {
        return Ok(Err(full));
    }
    let (record, admission) = usecases::open(
        state.ctx(),
        &staff.as_actor(),
        &presence.node,
        article_id,
        &editor.tab,
        SHARED_LIMITS,
        now,
    )
    .await?;
    match admission {
        EditorAdmission::Admitted => {}
        EditorAdmission::ArticleFull => return Ok(Err(Full::Article)),
        EditorAdmission::PersonFull => return Ok(Err(Full::Person)),
    }
    let elsewhere = state
        .store()
        .presence()
        .elsewhere(
            &presence.node,
            &[article_id],
            seen_since(now),
            EDITORS_PER_ARTICLE,
        )
        .await?;
    let elsewhere = elsewhere.into_iter().map(Editor::from).collect();
    match presence.join(article_id, editor, Some(elsewhere)) {
        Ok(receiver) => Ok(Ok((receiver, record))),
        Err(full) => {
            // Another tab took the last place here meanwhile.
            usecases::close(state.ctx(), &presence.node, &record).await?;
            Ok(Err(full))
        }
    }
}

/// One heartbeat of this node's presence at `now`: its open tabs marked alive (one write) and
/// the editors other nodes have connected to the same articles read (one query for all of
/// them), each room told when that changed. Nothing at all while nobody here has an article
/// open.
pub(crate) async fn sync(state: &AppState, now: Timestamp) -> Result<(), WebError> {
    let presence = state.presence();
    let (open, watched) = presence.open_here();
    if watched.is_empty() {
        return Ok(());
    }
    let shared = state.store().presence();
    shared.heartbeat(&presence.node, &open, now).await?;
    let found = shared
        .elsewhere(
            &presence.node,
            &watched,
            seen_since(now),
            watched.len().saturating_mul(EDITORS_PER_ARTICLE),
        )
        .await?;
    presence.seen_elsewhere(&watched, found);
    Ok(())
}

/// Announces the newest saved version of each watched article among `article_ids` (called with
/// the articles the `changes` log just named).
pub(crate) async fn announce_saves(
    state: &AppState,
    article_ids: impl IntoIterator<Item = i64>,
) -> Result<(), WebError> {
    for id in state.presence().watched(article_ids) {
        let store = state.store();
        let (Some(article), Some(latest)) = (
            store.articles().by_id(id).await?,
            store.articles().latest_revision(id).await?,
        ) else {
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

/// Leaves the room when the stream ends (the tab closed or navigated away), here at once and in
/// the database a moment later (or, should that fail, when the row expires).
struct Leave {
    state: AppState,
    article_id: i64,
    connection: u64,
    record: OpenEditor,
}

impl Drop for Leave {
    fn drop(&mut self) {
        let presence = self.state.presence();
        if !presence.leave(self.article_id, self.connection) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let state = self.state.clone();
        let record = self.record.clone();
        runtime.spawn(async move {
            let node = &state.presence().node;
            if let Err(error) = usecases::close(state.ctx(), node, &record).await {
                tracing::warn!(%error, "could not record that an editor closed the article");
            }
        });
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
) -> Result<Response, WebError> {
    let tab = query.tab;
    if tab.is_empty() || tab.len() > TAB_NAME_MAX || !tab.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(WebError::bad_request(
            "tab must be 1 to 32 letters or digits",
        ));
    }
    let connection = state.presence().next_connection();
    let editor = Editor {
        tab,
        staff_id: staff.member.id,
        name: staff.member.display_name.clone(),
        connection,
    };
    // Whoever may open the edit form may be told about it: the use case checks the same rule.
    let (receiver, record) = match open(&state, &staff, id, editor, Timestamp::now()).await? {
        Ok(opened) => opened,
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
        connection,
        record,
    };
    let session = secrets::token_digest(&staff.session_token);
    Ok(Sse::new(stream(receiver, leave, session))
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// The tab's events, while the session that opened it lasts: a tab left open by someone signed
/// out or disabled since hears nothing more and leaves the article. The session is asked again
/// before each event (they are few: an editor comes or goes, a save) and at least every
/// [`SESSION_RECHECK`].
fn stream(
    receiver: broadcast::Receiver<PresenceEvent>,
    leave: Leave,
    session: String,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let recheck = tokio::time::interval_at(
        tokio::time::Instant::now() + SESSION_RECHECK,
        SESSION_RECHECK,
    );
    futures_util::stream::unfold(
        (receiver, leave, session, recheck),
        |(mut receiver, leave, session, mut recheck)| async move {
            let next = loop {
                tokio::select! {
                    received = receiver.recv() => break match received {
                        Ok(found) => found,
                        // Fell behind: what matters is the present, not the backlog.
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            PresenceEvent::Editors(leave.state.presence().editors(leave.article_id))
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                    _ = recheck.tick() => {
                        if !session_lasts(&leave.state, &session).await {
                            return None;
                        }
                    }
                }
            };
            if !session_lasts(&leave.state, &session).await {
                return None;
            }
            Some((Ok(event(&next)), (receiver, leave, session, recheck)))
        },
    )
}

/// How long a tab of someone signed out or disabled may stay listed among an article's editors.
const SESSION_RECHECK: Duration = Duration::from_secs(30);

/// Whether the session with token digest `session` is still signed in. A failing database
/// keeps the tab: it is the session's end, not a slow round, that closes it.
async fn session_lasts(state: &AppState, session: &str) -> bool {
    match state
        .store()
        .sessions()
        .session(session, super::session::SESSION_LIMITS, Timestamp::now())
        .await
    {
        Ok(found) => found.is_some(),
        Err(error) => {
            tracing::warn!(%error, "could not check an editor's session");
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn editor(presence: &Presence, tab: &str, staff_id: i64) -> Editor {
        Editor {
            tab: tab.to_owned(),
            staff_id,
            name: format!("Staff {staff_id}"),
            connection: presence.next_connection(),
        }
    }

    fn elsewhere(article_id: i64, tab: &str, staff_id: i64) -> EditorElsewhere {
        EditorElsewhere {
            article_id,
            tab: tab.to_owned(),
            staff_id,
            name: format!("Staff {staff_id}"),
        }
    }

    /// Every event waiting for `receiver`.
    fn drain(receiver: &mut broadcast::Receiver<PresenceEvent>) -> Vec<PresenceEvent> {
        std::iter::from_fn(|| receiver.try_recv().ok()).collect()
    }

    fn names(event: Option<&PresenceEvent>) -> Vec<String> {
        match event {
            Some(PresenceEvent::Editors(editors)) => {
                editors.iter().map(|e| e.tab.clone()).collect()
            }
            other => panic!("not an editors event: {other:?}"),
        }
    }

    #[test]
    fn rooms_are_bounded_and_emptied() {
        let presence = Presence::named("a".into());
        let mut held = Vec::new();
        let mut first_room = Vec::new();
        for n in 0..EDITORS_PER_ARTICLE {
            let joining = editor(&presence, &format!("t{n}"), n as i64);
            first_room.push(joining.connection);
            held.push(presence.join(1, joining, None).expect("room"));
        }
        assert_eq!(
            presence.join(1, editor(&presence, "late", 999), None).err(),
            Some(Full::Article)
        );
        for n in 0..TABS_PER_PERSON {
            let tab = editor(&presence, "x", 1000);
            held.push(presence.join(100 + n as i64, tab, None).expect("tab"));
        }
        assert_eq!(presence.admits(1000), Err(Full::Person));
        assert_eq!(
            presence.join(500, editor(&presence, "y", 1000), None).err(),
            Some(Full::Person)
        );
        assert!(
            presence.watched([500]).is_empty(),
            "a refused tab leaves no room"
        );
        // A reconnecting tab replaces itself rather than counting twice, and its old connection
        // ending later does not take the new one away.
        let old = editor(&presence, "r", 50);
        let old_connection = old.connection;
        held.push(presence.join(2, old, None).expect("join"));
        held.push(
            presence
                .join(2, editor(&presence, "r", 50), None)
                .expect("rejoin"),
        );
        assert_eq!(presence.editors(2).len(), 1);
        assert!(!presence.leave(2, old_connection), "already replaced");
        assert_eq!(presence.editors(2).len(), 1);
        for connection in first_room {
            assert!(presence.leave(1, connection));
        }
        assert!(presence.watched([1]).is_empty(), "an empty room is dropped");
        assert_eq!(presence.watched([2, 100, 3]), vec![2, 100]);
    }

    #[test]
    fn a_node_holds_a_bounded_number_of_editors() {
        let presence = Presence::named("a".into());
        let mut held = Vec::new();
        for n in 0..EDITORS_PER_NODE {
            let article = (n / EDITORS_PER_ARTICLE) as i64;
            let tab = editor(&presence, &format!("t{n}"), n as i64);
            held.push(presence.join(article, tab, None).expect("room"));
        }
        assert_eq!(presence.admits(99_999), Err(Full::Node));
        assert_eq!(
            presence
                .join(99_999, editor(&presence, "t", 99_999), None)
                .err(),
            Some(Full::Node)
        );
        let (open, watched) = presence.open_here();
        assert_eq!(open.len(), EDITORS_PER_NODE);
        assert_eq!(
            watched.len(),
            EDITORS_PER_NODE.div_ceil(EDITORS_PER_ARTICLE)
        );
    }

    #[test]
    fn editors_elsewhere_are_told_only_when_they_change_and_count_for_the_article() {
        let presence = Presence::named("b".into());
        let mut tab = presence
            .join(
                5,
                editor(&presence, "here", 1),
                Some(vec![elsewhere(5, "there", 2).into()]),
            )
            .expect("join");
        assert_eq!(
            names(drain(&mut tab).last()),
            ["here", "there"],
            "told at once"
        );

        // A heartbeat finds a third editor; the next finds the same and tells nobody; an
        // article nobody here has open is not kept.
        let found = vec![
            elsewhere(5, "there", 2),
            elsewhere(5, "third", 3),
            elsewhere(7, "x", 4),
        ];
        presence.seen_elsewhere(&[5], found.clone());
        assert_eq!(names(drain(&mut tab).last()), ["here", "there", "third"]);
        presence.seen_elsewhere(&[5], found);
        assert!(drain(&mut tab).is_empty());
        assert!(presence.watched([7]).is_empty());

        // However many the database finds elsewhere, a room keeps at most an article's places of them.
        let too_many: Vec<EditorElsewhere> = (0..EDITORS_PER_ARTICLE as i64 * 2)
            .map(|n| elsewhere(5, &format!("e{n}"), 100 + n))
            .collect();
        presence.seen_elsewhere(&[5], too_many);
        assert_eq!(presence.editors(5).len(), 1 + EDITORS_PER_ARTICLE);

        // Everyone elsewhere closed the article (or their node died).
        drain(&mut tab);
        presence.seen_elsewhere(&[5], Vec::new());
        assert_eq!(names(drain(&mut tab).last()), ["here"]);
    }

    #[test]
    fn a_save_reaches_the_room_and_nobody_else() {
        let presence = Presence::named("a".into());
        let mut here = presence
            .join(5, editor(&presence, "a", 1), None)
            .expect("join");
        let mut other = presence
            .join(6, editor(&presence, "b", 2), None)
            .expect("join");
        let saved = SavedVersion {
            version: 3,
            revision: 3,
            previous_revision: 2,
            by: "Elena".into(),
            at: Timestamp::UNIX_EPOCH,
        };
        presence.saved(5, saved.clone());
        let seen = drain(&mut here);
        assert!(
            matches!(seen.last(), Some(PresenceEvent::Saved(s)) if *s == saved),
            "{seen:?}"
        );
        for event in drain(&mut other) {
            assert!(!matches!(event, PresenceEvent::Saved(_)), "{event:?}");
        }
    }
}
