//! Who is signed in: the session cookie, the [`CurrentStaff`] extractor and the form token.

use axum::extract::FromRequestParts;
use dateline_core::{Action, StaffMember, permits};
use dateline_db::{SessionLimits, StaffSession};
use dateline_usecases::sessions;
use http::HeaderValue;
use http::request::Parts;
use jiff::{SignedDuration, Timestamp};

use super::{cookie, read_cookie, secrets};
use crate::{AppState, WebError};

pub(super) const SESSION_COOKIE: &str = "dateline_session";
/// The form token of visitors who are not signed in yet (the sign-in and set-password forms): a
/// double-submit cookie, checked together with the origin.
const ANONYMOUS_FORM_COOKIE: &str = "dateline_form";

/// A working day with room to spare; an unattended newsroom tab signs out after two idle hours.
pub const SESSION_LIMITS: SessionLimits = SessionLimits {
    lifetime: SignedDuration::from_hours(12),
    idle_timeout: SignedDuration::from_hours(2),
};

/// Writing "last seen" on every request would make every page view a database write.
const TOUCH_EVERY: SignedDuration = SignedDuration::from_secs(60);

/// The signed-in staff member. As an extractor it sends anyone not signed in to the sign-in page
/// (and back here afterwards).
#[derive(Debug, Clone)]
pub struct CurrentStaff {
    pub member: StaffMember,
    pub session_id: i64,
    pub(super) csrf_token: String,
    /// The session's token from the cookie: what opens the tips identities this session
    /// unlocked (see `dateline_tips::seal_for_session`). Never written anywhere.
    pub(crate) session_token: zeroize::Zeroizing<String>,
}

impl CurrentStaff {
    /// Whether this staff member may take `action` (see [`dateline_core::permits`]).
    pub fn may(&self, action: Action, owns_subject: bool) -> bool {
        permits(self.member.role, action, owns_subject)
    }

    /// Refuses with the themed 403 page unless this staff member may take `action`.
    pub fn require(&self, action: Action) -> Result<(), WebError> {
        self.require_on(action, false)
    }

    /// As [`CurrentStaff::require`], for an action on a subject that may be their own work.
    pub fn require_on(&self, action: Action, owns_subject: bool) -> Result<(), WebError> {
        if self.may(action, owns_subject) {
            Ok(())
        } else {
            Err(WebError::NotPermitted {
                role: Some(self.member.role),
            })
        }
    }

    /// This staff member as the use cases know them.
    pub fn as_actor(&self) -> dateline_usecases::Actor {
        dateline_usecases::Actor::staff(self.member.clone())
    }

    /// The audit log's name for this person.
    pub fn actor(&self) -> dateline_db::Actor {
        dateline_db::Actor::staff(self.member.id, self.member.display_name.clone())
    }
}

impl FromRequestParts<AppState> for CurrentStaff {
    /// Anyone not signed in is sent to the sign-in page ([`WebError::SignInFirst`]).
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentStaff>()
            .cloned()
            .ok_or_else(|| WebError::SignInFirst {
                next: parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "/newsroom".to_owned()),
            })
    }
}

/// The synchronizer token to put in this request's forms (`<input type="hidden" name="csrf">`).
#[derive(Debug, Clone)]
pub struct Csrf(pub String);

impl FromRequestParts<AppState> for Csrf {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Csrf>().cloned().ok_or_else(|| {
            WebError::Forbidden("This page is only available in the newsroom.".to_owned())
        })
    }
}

/// The session the request's cookie names, if it is live; notes the visit.
pub(super) async fn load(
    state: &AppState,
    headers: &http::HeaderMap,
) -> Result<Option<CurrentStaff>, WebError> {
    let Some(token) = read_cookie(state, headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let now = Timestamp::now();
    let Some(session) = state
        .store()
        .sessions()
        .session(&secrets::token_digest(&token), SESSION_LIMITS, now)
        .await?
    else {
        return Ok(None);
    };
    if now.duration_since(session.last_seen_at) > TOUCH_EVERY {
        sessions::touch(state.ctx(), session.id, now).await?;
    }
    Ok(Some(from_session(session, token)))
}

fn from_session(session: StaffSession, token: String) -> CurrentStaff {
    CurrentStaff {
        member: session.staff,
        session_id: session.id,
        csrf_token: session.csrf_token,
        session_token: zeroize::Zeroizing::new(token),
    }
}

/// The token this request's forms must carry: the session's, or for visitors not signed in the
/// one in their form cookie (a new one is made, with the cookie to set, when there is none).
pub(super) fn form_token(
    state: &AppState,
    headers: &http::HeaderMap,
    session: &Option<CurrentStaff>,
) -> Result<(Csrf, Option<HeaderValue>), secrets::SecretError> {
    if let Some(current) = session {
        return Ok((Csrf(current.csrf_token.clone()), None));
    }
    if let Some(token) = read_cookie(state, headers, ANONYMOUS_FORM_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Ok((Csrf(token), None));
    }
    let token = secrets::new_token()?;
    let set = cookie(state, ANONYMOUS_FORM_COOKIE, &token, None);
    Ok((Csrf(token), Some(set)))
}

/// Starts a session for `member`: a new random token in the cookie, its digest in the database.
pub(super) async fn start(state: &AppState, member: &StaffMember) -> Result<HeaderValue, WebError> {
    let token = secrets::new_token()?;
    let csrf = secrets::new_token()?;
    sessions::start(
        state.ctx(),
        member,
        &secrets::token_digest(&token),
        &csrf,
        SESSION_LIMITS,
        Timestamp::now(),
    )
    .await?;
    Ok(cookie(
        state,
        SESSION_COOKIE,
        &token,
        Some(SESSION_LIMITS.lifetime.as_secs()),
    ))
}

/// Ends the session the request's cookie names; the cookie to clear it.
pub(super) async fn end(
    state: &AppState,
    headers: &http::HeaderMap,
) -> Result<HeaderValue, WebError> {
    // An unlocked tips key goes with the session that unlocked it.
    if let Some(current) = load(state, headers).await? {
        state.tips().lock(state.ctx(), current.session_id).await?;
    }
    if let Some(token) = read_cookie(state, headers, SESSION_COOKIE) {
        sessions::end(
            state.ctx(),
            &secrets::token_digest(&token),
            Timestamp::now(),
        )
        .await?;
    }
    Ok(cookie(state, SESSION_COOKIE, "", Some(0)))
}
