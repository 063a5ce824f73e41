//! Signing in and out, the dashboard, and one's own password.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::Action;
use dateline_core::redirect::local_path;
use dateline_db::DbError;
use dateline_usecases::UseCaseError;
use dateline_usecases::people::{self, NewPassword};
use http::header::SET_COOKIE;
use http::{Extensions, HeaderMap, StatusCode};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::json;

use super::sign_in::Attempt;
use super::{
    Csrf, CurrentStaff, WebError, client_address, cookie, field_errors, render, secrets, session,
};
use crate::AppState;

/// The same words whatever went wrong, so the form says nothing about which accounts exist.
pub const SIGN_IN_FAILED: &str = "That email and password do not match an active account.";

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    done: String,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Only newsroom paths ([`local_path`], then under `/newsroom`), so the sign-in page cannot be
/// used to send people elsewhere.
fn safe_next(next: &str) -> &str {
    local_path(next)
        .filter(|path| {
            path.strip_prefix("/newsroom")
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
        })
        .unwrap_or("/newsroom")
}

pub async fn login_form(
    State(state): State<AppState>,
    staff: Option<CurrentStaff>,
    csrf: Csrf,
    Query(query): Query<LoginQuery>,
) -> Result<Response, WebError> {
    if staff.is_some() {
        return Ok(Redirect::to(safe_next(&query.next)).into_response());
    }
    let notice = (query.done == "password").then_some("Your password is set. Sign in with it.");
    render(
        &state,
        None,
        &csrf,
        "newsroom/login.html",
        StatusCode::OK,
        json!({ "next": safe_next(&query.next), "email": "", "notice": notice }),
    )
    .await
}

impl axum::extract::OptionalFromRequestParts<AppState> for CurrentStaff {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<CurrentStaff>().cloned())
    }
}

pub async fn login(
    State(state): State<AppState>,
    extensions: Extensions,
    csrf: Csrf,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let limits = state.newsroom().sign_in();
    let again = |message: &'static str, status: StatusCode| {
        let state = state.clone();
        let csrf = csrf.clone();
        let email = form.email.trim().to_owned();
        let next = safe_next(&form.next).to_owned();
        async move {
            render(
                &state,
                None,
                &csrf,
                "newsroom/login.html",
                status,
                json!({ "next": next, "email": email, "error": message }),
            )
            .await
        }
    };
    let store = state.store();
    let find = async {
        let member = match store.people().staff_by_email(&form.email).await {
            Ok(member) if member.disabled_at.is_none() => member,
            Ok(_) | Err(DbError::NotFound | DbError::Invalid(_)) => return Ok(None),
            Err(error) => return Err(error),
        };
        let hash = store.people().staff_password_hash(member.id).await?;
        Ok(Some((member, hash)))
    };
    let attempt = limits
        .attempt(
            store,
            client_address(&extensions),
            &form.email,
            form.password.clone(),
            find,
        )
        .await?;
    match attempt {
        Attempt::SignedIn(member) => {
            let set_session = session::start(&state, &member).await?;
            let mut response = Redirect::to(safe_next(&form.next)).into_response();
            response.headers_mut().append(SET_COOKIE, set_session);
            response
                .headers_mut()
                .append(SET_COOKIE, cookie(&state, "dateline_form", "", Some(0)));
            Ok(response)
        }
        Attempt::Failed => again(SIGN_IN_FAILED, StatusCode::UNAUTHORIZED).await,
        Attempt::Refused(refusal) => {
            Ok(refusal.mark(again(refusal.message(), refusal.status()).await?))
        }
    }
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let clear = session::end(&state, &headers).await?;
    let mut response = Redirect::to("/newsroom/login").into_response();
    response.headers_mut().append(SET_COOKIE, clear);
    Ok(response)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn password_form(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
) -> Result<Response, WebError> {
    staff.require(Action::ChangeOwnPassword)?;
    render(
        &state,
        Some(&staff),
        &csrf,
        "newsroom/password.html",
        StatusCode::OK,
        json!({ "errors": {} }),
    )
    .await
}

pub async fn change_password(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Form(form): Form<PasswordForm>,
) -> Result<Response, WebError> {
    let new = NewPassword {
        password: form.new_password,
        confirm: form.confirm,
    };
    let result = people::change_own_password(
        state.ctx(),
        &staff.as_actor(),
        form.current,
        &new,
        Some(staff.session_id),
        state.newsroom().sign_in(),
        Timestamp::now(),
    )
    .await;
    let (status, context) = match result {
        Ok(()) => (
            StatusCode::OK,
            json!({ "errors": {}, "notice": "Your password is changed. Other devices are signed out." }),
        ),
        Err(error) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "errors": field_errors(error, "new_password")? }),
        ),
    };
    render(
        &state,
        Some(&staff),
        &csrf,
        "newsroom/password.html",
        status,
        context,
    )
    .await
}

#[derive(Deserialize)]
pub struct SetPasswordForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm: String,
}

async fn link_gone(state: &AppState, csrf: &Csrf) -> Result<Response, WebError> {
    render(
        state,
        None,
        csrf,
        "newsroom/set_password.html",
        StatusCode::NOT_FOUND,
        json!({ "gone": true, "errors": {} }),
    )
    .await
}

pub async fn set_password_form(
    State(state): State<AppState>,
    csrf: Csrf,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let digest = secrets::token_digest(&token);
    match state
        .store()
        .sessions()
        .password_link_staff(&digest, Timestamp::now())
        .await?
    {
        Some(member) => {
            render(
                &state,
                None,
                &csrf,
                "newsroom/set_password.html",
                StatusCode::OK,
                json!({ "gone": false, "email": member.email, "errors": {} }),
            )
            .await
        }
        None => link_gone(&state, &csrf).await,
    }
}

pub async fn set_password(
    State(state): State<AppState>,
    csrf: Csrf,
    Path(token): Path<String>,
    Form(form): Form<SetPasswordForm>,
) -> Result<Response, WebError> {
    let digest = secrets::token_digest(&token);
    let new = NewPassword {
        password: form.new_password,
        confirm: form.confirm,
    };
    let now = Timestamp::now();
    let result =
        people::set_password_with_link(state.ctx(), &digest, &new, state.newsroom().sign_in(), now)
            .await;
    match result {
        Ok(_) => Ok(Redirect::to("/newsroom/login?done=password").into_response()),
        Err(UseCaseError::NotFound) => link_gone(&state, &csrf).await,
        Err(error) => {
            let errors = field_errors(error, "new_password")?;
            let Some(member) = state
                .store()
                .sessions()
                .password_link_staff(&digest, now)
                .await?
            else {
                return link_gone(&state, &csrf).await;
            };
            render(
                &state,
                None,
                &csrf,
                "newsroom/set_password.html",
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "gone": false, "email": member.email, "errors": errors }),
            )
            .await
        }
    }
}
