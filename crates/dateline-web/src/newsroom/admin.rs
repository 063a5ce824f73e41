//! Admin pages: staff accounts, one-time set-password links, the audit log and API tokens.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::{Action, Role};
use dateline_usecases::people::{self, AccountDraft};
use dateline_usecases::tokens::{self, TokenDraft};
use dateline_usecases::{Context, UseCaseError};
use http::StatusCode;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Csrf, CurrentStaff, WebError, field_errors, render, secrets};
use crate::AppState;

pub use dateline_usecases::people::PASSWORD_LINK_VALID_FOR;

/// API tokens show this prefix, so a leaked one is recognisable in logs and secret scanners.
pub const API_TOKEN_PREFIX: &str = "dlt_";

const AUDIT_PAGE: i64 = 50;

/// Issues a one-time set-password link for a staff member and returns it (absolute, on
/// `base_url`). The token exists only in the link; the database keeps its digest.
pub async fn issue_password_link(
    ctx: &Context,
    base_url: &str,
    staff_id: i64,
    actor: &dateline_usecases::Actor,
) -> Result<String, WebError> {
    let token = secrets::new_token()?;
    people::issue_password_link(
        ctx,
        actor,
        staff_id,
        &secrets::token_digest(&token),
        Timestamp::now(),
    )
    .await?;
    Ok(format!(
        "{}/newsroom/set-password/{token}",
        base_url.trim_end_matches('/')
    ))
}

fn role_options() -> Vec<Value> {
    Role::ALL
        .into_iter()
        .map(|role| json!({ "value": role.as_str(), "label": role.as_str() }))
        .collect()
}

async fn users_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    status: StatusCode,
    extra: Value,
) -> Result<Response, WebError> {
    let members = state.store().people().staff_members().await?;
    let members: Vec<Value> = members
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "display_name": m.display_name,
                "email": m.email,
                "role": m.role,
                "disabled": m.disabled_at.is_some(),
                "is_me": m.id == staff.member.id,
            })
        })
        .collect();
    let mut context = json!({ "members": members, "roles": role_options() });
    if let (Some(context), Value::Object(extra)) = (context.as_object_mut(), extra) {
        context.extend(extra);
    }
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/users.html",
        status,
        context,
    )
    .await
}

pub async fn users(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
) -> Result<Response, WebError> {
    staff.require(Action::ManageUsers)?;
    users_page(&state, &staff, &csrf, StatusCode::OK, json!({})).await
}

#[derive(Deserialize, Default, serde::Serialize)]
pub struct NewUserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    author_slug: String,
}

async fn new_user_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    form: &NewUserForm,
    errors: serde_json::Map<String, Value>,
) -> Result<Response, WebError> {
    let authors: Vec<Value> = state
        .store()
        .people()
        .authors()
        .await?
        .into_iter()
        .map(|a| json!({ "slug": a.slug, "name": a.name }))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/user_new.html",
        status,
        json!({ "form": form, "errors": errors, "roles": role_options(), "authors": authors }),
    )
    .await
}

pub async fn new_user_form(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
) -> Result<Response, WebError> {
    staff.require(Action::ManageUsers)?;
    let form = NewUserForm {
        role: Role::Author.as_str().to_owned(),
        ..NewUserForm::default()
    };
    new_user_page(&state, &staff, &csrf, &form, serde_json::Map::new()).await
}

pub async fn create_user(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Form(form): Form<NewUserForm>,
) -> Result<Response, WebError> {
    let actor = staff.as_actor();
    let draft = AccountDraft {
        email: form.email.clone(),
        display_name: form.display_name.clone(),
        role: form.role.clone(),
        author_slug: form.author_slug.clone(),
        password_hash: None,
    };
    match people::create_account(state.ctx(), &actor, &draft, Timestamp::now()).await {
        Ok(member) => {
            let link =
                issue_password_link(state.ctx(), &state.config().base_url, member.id, &actor)
                    .await?;
            link_page(&state, &staff, &csrf, &member.display_name, &link, true).await
        }
        Err(error) => {
            let errors = field_errors(error, "email")?;
            new_user_page(&state, &staff, &csrf, &form, errors).await
        }
    }
}

async fn link_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    name: &str,
    link: &str,
    created: bool,
) -> Result<Response, WebError> {
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/user_link.html",
        StatusCode::OK,
        json!({
            "name": name,
            "link": link,
            "created": created,
            "valid_hours": PASSWORD_LINK_VALID_FOR.as_hours(),
        }),
    )
    .await
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// Back to the list after a change, or the list again with the use case's refusal.
async fn after_change(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    result: Result<dateline_core::StaffMember, UseCaseError>,
) -> Result<Response, WebError> {
    match result {
        Ok(_) => Ok(Redirect::to("/newsroom/users").into_response()),
        Err(UseCaseError::Refused(refusals)) => {
            users_page(
                state,
                staff,
                csrf,
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": refusals.to_string() }),
            )
            .await
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn change_role(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Form(form): Form<RoleForm>,
) -> Result<Response, WebError> {
    let result = people::change_role(
        state.ctx(),
        &staff.as_actor(),
        id,
        &form.role,
        Timestamp::now(),
    )
    .await;
    after_change(&state, &staff, &csrf, result).await
}

async fn set_disabled(
    state: AppState,
    staff: CurrentStaff,
    csrf: Csrf,
    id: i64,
    disabled: bool,
) -> Result<Response, WebError> {
    let result = people::set_disabled(
        state.ctx(),
        &staff.as_actor(),
        id,
        disabled,
        Timestamp::now(),
    )
    .await;
    after_change(&state, &staff, &csrf, result).await
}

pub async fn disable(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    set_disabled(state, staff, csrf, id, true).await
}

pub async fn enable(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    set_disabled(state, staff, csrf, id, false).await
}

pub async fn password_link(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let member = state.store().people().staff_by_id(id).await?;
    let link = issue_password_link(
        state.ctx(),
        &state.config().base_url,
        member.id,
        &staff.as_actor(),
    )
    .await?;
    link_page(&state, &staff, &csrf, &member.display_name, &link, false).await
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
}

pub async fn audit(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Query(query): Query<AuditQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::ViewAuditLog)?;
    let settings = state.store().site().settings().await?;
    let clock = crate::views::Clock::for_settings(&settings);
    let mut entries = state
        .store()
        .audit()
        .log(query.before, AUDIT_PAGE + 1)
        .await?;
    let more = entries.len() as i64 > AUDIT_PAGE;
    entries.truncate(AUDIT_PAGE as usize);
    let older_url = more
        .then(|| {
            entries
                .last()
                .map(|e| format!("/newsroom/audit?before={}", e.id))
        })
        .flatten();
    let rows: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "at": clock.time(e.at),
                "actor": e.actor.name,
                "action": e.action,
                "subject": match e.subject_id {
                    Some(id) => format!("{} {id}", e.subject_kind),
                    None => e.subject_kind.clone(),
                },
                "detail": e.detail,
            })
        })
        .collect();
    render(
        &state,
        Some(&staff),
        &csrf,
        "newsroom/audit.html",
        StatusCode::OK,
        json!({
            "entries": rows,
            "older_url": older_url,
            "newest_url": query.before.map(|_| "/newsroom/audit"),
        }),
    )
    .await
}

#[derive(Deserialize, Default, serde::Serialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    /// Days until the token expires, one of [`tokens::LIFETIMES_DAYS`].
    #[serde(default)]
    expires_in_days: String,
}

async fn tokens_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    status: StatusCode,
    extra: Value,
) -> Result<Response, WebError> {
    let settings = state.store().site().settings().await?;
    let clock = crate::views::Clock::for_settings(&settings);
    let now = Timestamp::now();
    let tokens: Vec<Value> = state
        .store()
        .sessions()
        .api_tokens()
        .await?
        .into_iter()
        .map(|t| {
            json!({
                "id": t.id,
                "name": t.name,
                "role": t.role,
                "created_by": t.created_by_name,
                "created_at": clock.time(t.created_at),
                "last_used_at": t.last_used_at.map(|at| clock.time(at)),
                "expires_at": clock.time(t.expires_at),
                "revoked": t.revoked_at.is_some(),
                "expired": t.revoked_at.is_none() && !t.is_live(now),
            })
        })
        .collect();
    let lifetimes: Vec<Value> = tokens::LIFETIMES_DAYS
        .into_iter()
        .map(|days| json!({ "value": days.to_string(), "label": format!("{days} days") }))
        .collect();
    let roles: Vec<Value> = Role::ALL
        .into_iter()
        .filter(|role| *role <= staff.member.role)
        .map(|role| json!({ "value": role.as_str(), "label": role.as_str() }))
        .collect();
    let mut context = json!({
        "tokens": tokens,
        "roles": roles,
        "lifetimes": lifetimes,
        "form": TokenForm {
            role: Role::Editor.as_str().to_owned(),
            expires_in_days: tokens::default_lifetime_days().to_string(),
            ..TokenForm::default()
        },
        "errors": {},
    });
    if let (Some(context), Value::Object(extra)) = (context.as_object_mut(), extra) {
        context.extend(extra);
    }
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/tokens.html",
        status,
        context,
    )
    .await
}

pub async fn tokens(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
) -> Result<Response, WebError> {
    staff.require(Action::ManageApiTokens)?;
    tokens_page(&state, &staff, &csrf, StatusCode::OK, json!({})).await
}

pub async fn create_token(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Form(form): Form<TokenForm>,
) -> Result<Response, WebError> {
    let secret = format!("{API_TOKEN_PREFIX}{}", secrets::new_token()?);
    let draft = TokenDraft {
        name: form.name.clone(),
        role: form.role.clone(),
        expires_in_days: form.expires_in_days.clone(),
    };
    match tokens::create(
        state.ctx(),
        &staff.as_actor(),
        &draft,
        &secrets::token_digest(&secret),
        Timestamp::now(),
    )
    .await
    {
        Ok(token) => {
            tokens_page(
                &state,
                &staff,
                &csrf,
                StatusCode::OK,
                json!({ "new_token": { "name": token.name, "secret": secret } }),
            )
            .await
        }
        Err(error) => {
            let errors = field_errors(error, "name")?;
            tokens_page(
                &state,
                &staff,
                &csrf,
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "form": form, "errors": errors }),
            )
            .await
        }
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    staff: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    match tokens::revoke(state.ctx(), &staff.as_actor(), id, Timestamp::now()).await {
        // Revoked already (a second click, another admin): what was asked for holds.
        Ok(()) | Err(UseCaseError::NotFound) => {
            Ok(Redirect::to("/newsroom/tokens").into_response())
        }
        Err(error) => Err(error.into()),
    }
}
