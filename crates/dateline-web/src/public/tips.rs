//! `/tips`: the form a reader sends a tip or a correction request with, and `/tips/follow-up`,
//! where the holder of a codename reads the newsroom's replies and answers.
//!
//! Privacy rules (SecureDrop's landing-page rules, inside the ordinary site): these pages set no
//! cookie and need none (the form token is stateless), are never cached or logged, send no
//! referrer, and keep nothing about the request — not the address, not the user agent. What the
//! tipster writes and attaches is encrypted to the newsroom's recipients before it is written.

use axum::extract::{Multipart, Query, State};
use axum::response::Response;
use axum::{Form, Router};
use bytes::Bytes;
use dateline_core::{TipKind, paths};
use dateline_db::{NewTip, NewTipAttachment};
use dateline_tips::{
    Codename, EditorIdentity, FormToken, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, MAX_CONTACT_CHARS,
    MAX_MESSAGE_CHARS, Recipients,
};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::pages::{Frame, absolute};
use crate::tips::{Busy, ClientAddress};
use crate::views::PageMeta;
use crate::{AppState, WebError};

/// Five files of 25 MB and the text fields, with room for multipart framing.
pub(super) const SUBMIT_BODY_LIMIT: usize = MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES + 1024 * 1024;
/// Where encrypted attachments live in object storage; `/media` never serves this prefix.
pub(crate) const ATTACHMENT_PREFIX: &str = "tips/";

pub fn routes() -> Router<AppState> {
    use axum::routing::get;
    Router::new()
        .route(
            "/tips",
            get(form)
                .post(submit)
                .layer(axum::extract::DefaultBodyLimit::max(SUBMIT_BODY_LIMIT)),
        )
        .route("/tips/new", get(form))
        .route("/tips/follow-up", get(follow_up_form).post(follow_up))
        .layer(axum::middleware::from_fn(crate::tips::private_tip_pages))
}

#[derive(Debug, Default, Clone, Serialize)]
struct FieldError {
    field: &'static str,
    message: String,
}

fn error(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// What the tipster typed, shown again when something needs fixing.
#[derive(Debug, Default, Clone, Serialize)]
struct TipValues {
    kind: String,
    message: String,
    contact: String,
    article: String,
}

#[derive(Deserialize)]
pub struct FormQuery {
    article: Option<String>,
}

pub async fn form(
    State(state): State<AppState>,
    Query(query): Query<FormQuery>,
) -> Result<Response, WebError> {
    let article = query.article.unwrap_or_default();
    let values = TipValues {
        kind: if article.is_empty() {
            TipKind::Tip.as_str().to_owned()
        } else {
            TipKind::Correction.as_str().to_owned()
        },
        article,
        ..TipValues::default()
    };
    render_form(&state, values, Vec::new(), StatusCode::OK).await
}

async fn render_form(
    state: &AppState,
    values: TipValues,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let frame = Frame::load(state).await?;
    let ready = !state.store().tip_recipients().await?.is_empty();
    let install = state.tips().install(state.store()).await?;
    let token = FormToken::issue(install, jiff::Timestamp::now().as_second());
    let article = article_ref(state, &values.article).await?;
    let kinds: Vec<Value> = TipKind::ALL
        .iter()
        .map(|kind| {
            json!({
                "value": kind.as_str(),
                "label": kind.label(),
                "selected": kind.as_str() == values.kind,
            })
        })
        .collect();
    let meta = PageMeta {
        title: "Submit a tip".to_owned(),
        description: format!(
            "Send {} a tip, a correction or documents, securely.",
            frame.settings.name
        ),
        canonical: absolute(state, "/tips"),
        robots: Some("noindex, nofollow".to_owned()),
    };
    let context = frame.context(
        state,
        None,
        meta,
        Vec::new(),
        None,
        json!({
            "tips": {
                "ready": ready,
                "token": token,
                "values": values,
                "errors": errors,
                "kinds": kinds,
                "article": article,
                "accept": dateline_tips::accepted_extensions(),
                "max_files": MAX_ATTACHMENTS,
                "max_message": MAX_MESSAGE_CHARS,
                "max_contact": MAX_CONTACT_CHARS,
                "pow_bits": dateline_tips::POW_BITS,
                "script": state.theme().asset_url("tips.js"),
            }
        }),
    );
    frame.render_uncached(state, "tips/form.html", context, status)
}

/// The published article a tip is about, for the form's "About: …" line.
async fn article_ref(state: &AppState, id: &str) -> Result<Option<Value>, WebError> {
    let Ok(id) = id.parse::<i64>() else {
        return Ok(None);
    };
    let stories = state.store().stories_by_ids(&[id]).await?;
    Ok(stories.first().map(|story| {
        json!({
            "id": story.id,
            "headline": story.headline,
            "url": paths::article(&story.section.slug, &story.slug),
        })
    }))
}

/// One attached file as read from the form, before encryption.
struct Upload {
    name: String,
    bytes: Bytes,
    media_type: &'static str,
}

/// Reads the multipart form. Text fields come first in the form, so a problem with a file is
/// reported with everything typed so far kept.
async fn read_submission(
    multipart: &mut Multipart,
) -> (String, String, TipValues, Vec<Upload>, Vec<FieldError>) {
    let mut token = String::new();
    let mut proof_of_work = String::new();
    let mut values = TipValues::default();
    let mut uploads = Vec::new();
    let mut errors = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                errors.push(error(
                    "attachments",
                    "The upload was interrupted or too large. Attach at most 5 files of 25 MB \
                     each and send again.",
                ));
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "attachments" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            match read_file(field, &file_name).await {
                Ok(None) => {}
                Ok(Some(_)) if uploads.len() >= MAX_ATTACHMENTS => {
                    errors.push(error(
                        "attachments",
                        format!("Attach at most {MAX_ATTACHMENTS} files."),
                    ));
                    break;
                }
                Ok(Some(bytes)) => match dateline_tips::check_attachment(&file_name, &bytes) {
                    Ok(kind) => uploads.push(Upload {
                        name: file_name,
                        bytes,
                        media_type: kind.media_type,
                    }),
                    Err(problem) => errors.push(error("attachments", problem.to_string())),
                },
                Err(problem) => {
                    errors.push(error("attachments", problem));
                    break;
                }
            }
            continue;
        }
        let text = field.text().await.unwrap_or_default();
        match name.as_str() {
            "token" => token = text,
            "pow" => proof_of_work = text,
            "kind" => values.kind = text,
            "message" => values.message = text,
            "contact" => values.contact = text,
            "article" => values.article = text,
            _ => {}
        }
    }
    (token, proof_of_work, values, uploads, errors)
}

/// A file part's bytes, stopping as soon as it is too large; `None` for the empty part browsers
/// send when no file was chosen.
async fn read_file(
    mut field: axum::extract::multipart::Field<'_>,
    file_name: &str,
) -> Result<Option<Bytes>, String> {
    let mut bytes = Vec::new();
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > MAX_ATTACHMENT_BYTES {
                    return Err(format!("“{file_name}” is larger than 25 MB."));
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(_) => {
                return Err(
                    "The upload was interrupted or too large. Attach at most 5 files of 25 MB \
                     each and send again."
                        .to_owned(),
                );
            }
        }
    }
    if bytes.is_empty() && file_name.is_empty() {
        return Ok(None);
    }
    Ok(Some(Bytes::from(bytes)))
}

/// The checks every text field of a tip gets.
fn check_text(values: &TipValues, errors: &mut Vec<FieldError>) -> Option<TipKind> {
    let kind = TipKind::parse(&values.kind);
    if kind.is_none() {
        errors.push(error("kind", "Choose what you are sending."));
    }
    let message_chars = values.message.chars().count();
    if values.message.trim().is_empty() {
        errors.push(error("message", "Write your message: what should we know?"));
    } else if message_chars > MAX_MESSAGE_CHARS {
        errors.push(error(
            "message",
            format!(
                "Your message is {message_chars} characters long; the limit is \
                 {MAX_MESSAGE_CHARS}. Shorten it, or attach the rest as a document."
            ),
        ));
    }
    if values.contact.chars().count() > MAX_CONTACT_CHARS {
        errors.push(error(
            "contact",
            format!("Contact details can be at most {MAX_CONTACT_CHARS} characters."),
        ));
    }
    kind
}

fn busy_message(busy: Busy) -> &'static str {
    match busy {
        Busy::Address => {
            "Too many attempts from your connection. Please wait an hour and try again; \
             nothing you typed has been stored."
        }
        Busy::Node => {
            "We are receiving an unusual number of requests. Please try again in an hour; \
             nothing you typed has been stored."
        }
    }
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let (token, nonce, values, uploads, mut errors) = read_submission(&mut multipart).await;
    let install = state.tips().install(state.store()).await?.clone();
    if let Err(problem) = FormToken::check(&install, &token, jiff::Timestamp::now().as_second()) {
        errors.insert(0, error("form", problem.to_string()));
    }
    let kind = check_text(&values, &mut errors);
    let recipients = state.store().tip_recipients().await?;
    if recipients.is_empty() {
        errors.insert(
            0,
            error(
                "form",
                "This newsroom has not set up secure tips yet, so nothing was sent or stored.",
            ),
        );
    }
    let (Some(kind), true) = (kind, errors.is_empty()) else {
        let status = if recipients.is_empty() {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::BAD_REQUEST
        };
        return render_form(&state, values, errors, status).await;
    };
    let proof_of_work = dateline_tips::proof_of_work_holds(&token, &nonce);
    if let Err(busy) = state.tips().admit_submission(address, proof_of_work) {
        let errors = vec![error("form", busy_message(busy))];
        return render_form(&state, values, errors, StatusCode::TOO_MANY_REQUESTS).await;
    }
    let recipients = Recipients::parse(recipients.iter().map(|r| r.public_key.as_str()))
        .map_err(|error| WebError::Internal(error.to_string()))?;
    let article_id = match article_ref(&state, &values.article).await? {
        Some(article) => article["id"].as_i64(),
        None => None,
    };
    let sealed = seal_tip(
        &state, &install, recipients, kind, article_id, values, uploads,
    )
    .await?;
    let stored = state
        .store()
        .create_tip(&sealed.tip, jiff::Timestamp::now())
        .await;
    if let Err(error) = stored {
        // Nothing half-written: the attachments go if the row does not come.
        for attachment in &sealed.tip.attachments {
            let _ = state.media().delete(&attachment.object_key).await;
        }
        return Err(error.into());
    }
    received_page(&state, &sealed.codename).await
}

struct SealedTip {
    tip: NewTip,
    codename: Codename,
}

/// Makes the codename and encrypts everything; attachment ciphertext goes to storage.
async fn seal_tip(
    state: &AppState,
    install: &dateline_tips::InstallSecret,
    recipients: Recipients,
    kind: TipKind,
    article_id: Option<i64>,
    values: TipValues,
    uploads: Vec<Upload>,
) -> Result<SealedTip, WebError> {
    let install = install.clone();
    let sealed = tokio::task::spawn_blocking(move || -> Result<_, WebError> {
        let internal = |error: &dyn std::fmt::Display| WebError::Internal(error.to_string());
        let codename = Codename::generate().map_err(|e| internal(&e))?;
        let codename_key = codename.lookup_key(&install).map_err(|e| internal(&e))?;
        let reply_public_key = codename
            .reply_identity(&install)
            .map_err(|e| internal(&e))?
            .public_key();
        let message = dateline_tips::encrypt(&recipients, values.message.as_bytes())
            .map_err(|e| internal(&e))?;
        let contact = match values.contact.trim() {
            "" => None,
            contact => Some(
                dateline_tips::encrypt(&recipients, contact.as_bytes())
                    .map_err(|e| internal(&e))?,
            ),
        };
        let mut files = Vec::with_capacity(uploads.len());
        for upload in uploads {
            let description = json!({ "name": upload.name, "type": upload.media_type });
            let description =
                dateline_tips::encrypt(&recipients, description.to_string().as_bytes())
                    .map_err(|e| internal(&e))?;
            let ciphertext =
                dateline_tips::encrypt(&recipients, &upload.bytes).map_err(|e| internal(&e))?;
            files.push((description, ciphertext));
        }
        let tip = NewTip {
            kind,
            article_id,
            codename_key,
            reply_public_key,
            message,
            contact,
            attachments: Vec::new(),
        };
        Ok((tip, codename, files))
    })
    .await??;
    let (mut tip, codename, files) = sealed;
    for (description, ciphertext) in files {
        let object_key = format!("{ATTACHMENT_PREFIX}{}.age", random_hex()?);
        let size = ciphertext.len() as i64;
        if let Err(error) = state
            .media()
            .put(&object_key, Bytes::from(ciphertext))
            .await
        {
            for written in &tip.attachments {
                let _ = state.media().delete(&written.object_key).await;
            }
            return Err(error.into());
        }
        tip.attachments.push(NewTipAttachment {
            object_key,
            description,
            size,
        });
    }
    Ok(SealedTip { tip, codename })
}

fn random_hex() -> Result<String, WebError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|error| WebError::Internal(error.to_string()))?;
    Ok(hex::encode(bytes))
}

async fn received_page(state: &AppState, codename: &Codename) -> Result<Response, WebError> {
    let frame = Frame::load(state).await?;
    let meta = PageMeta {
        title: "Tip received".to_owned(),
        description: String::new(),
        canonical: absolute(state, "/tips"),
        robots: Some("noindex, nofollow".to_owned()),
    };
    let context = frame.context(
        state,
        None,
        meta,
        Vec::new(),
        None,
        json!({ "tips": { "codename": codename.as_str() } }),
    );
    frame.render_uncached(state, "tips/received.html", context, StatusCode::OK)
}

#[derive(Debug, Default, Deserialize)]
pub struct FollowUpFields {
    #[serde(default)]
    token: String,
    #[serde(default)]
    codename: String,
    #[serde(default)]
    message: String,
}

pub async fn follow_up_form(State(state): State<AppState>) -> Result<Response, WebError> {
    render_follow_up(&state, FollowUpView::default(), StatusCode::OK).await
}

#[derive(Debug, Default, Serialize)]
struct FollowUpView {
    errors: Vec<FieldError>,
    /// The codename, once it opened a tip (the reply form carries it: no session, no cookie).
    codename: Option<String>,
    typed_codename: String,
    message: String,
    conversation: Vec<Value>,
    sent: bool,
}

async fn render_follow_up(
    state: &AppState,
    view: FollowUpView,
    status: StatusCode,
) -> Result<Response, WebError> {
    let frame = Frame::load(state).await?;
    let install = state.tips().install(state.store()).await?;
    let token = FormToken::issue(install, jiff::Timestamp::now().as_second());
    let meta = PageMeta {
        title: "Follow up on a tip".to_owned(),
        description: "Read the newsroom's replies to your tip and answer them.".to_owned(),
        canonical: absolute(state, "/tips/follow-up"),
        robots: Some("noindex, nofollow".to_owned()),
    };
    let conversation = view.conversation;
    let context = frame.context(
        state,
        None,
        meta,
        Vec::new(),
        None,
        json!({
            "follow": {
                "token": token,
                "errors": view.errors,
                "codename": view.codename,
                "typed_codename": view.typed_codename,
                "message": view.message,
                "conversation": conversation,
                "sent": view.sent,
                "max_message": MAX_MESSAGE_CHARS,
            },
        }),
    );
    frame.render_uncached(state, "tips/follow_up.html", context, status)
}

pub async fn follow_up(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Form(fields): Form<FollowUpFields>,
) -> Result<Response, WebError> {
    let install = state.tips().install(state.store()).await?.clone();
    let mut view = FollowUpView {
        typed_codename: fields.codename.clone(),
        message: fields.message.clone(),
        ..FollowUpView::default()
    };
    if let Err(problem) =
        FormToken::check(&install, &fields.token, jiff::Timestamp::now().as_second())
    {
        view.errors.push(error("form", problem.to_string()));
        return render_follow_up(&state, view, StatusCode::BAD_REQUEST).await;
    }
    if let Err(busy) = state.tips().may_try_codename(address) {
        view.errors.push(error("codename", busy_message(busy)));
        return render_follow_up(&state, view, StatusCode::TOO_MANY_REQUESTS).await;
    }
    let opened = open_codename(&state, &install, &fields.codename).await?;
    let Some((tip, reply_identity)) = opened else {
        state.tips().wrong_codename(address);
        view.errors.push(error(
            "codename",
            "That codename does not open a tip. Check each of the seven words and try again.",
        ));
        return render_follow_up(&state, view, StatusCode::BAD_REQUEST).await;
    };
    let message = fields.message.trim();
    let mut status = StatusCode::OK;
    if message.chars().count() > MAX_MESSAGE_CHARS {
        view.errors.push(error(
            "message",
            format!("Your message can be at most {MAX_MESSAGE_CHARS} characters."),
        ));
        status = StatusCode::BAD_REQUEST;
    } else if !message.is_empty() {
        let recipients = state.store().tip_recipients().await?;
        let recipients = Recipients::parse(recipients.iter().map(|r| r.public_key.as_str()))
            .map_err(|_| {
                WebError::BadRequest(
                    "This newsroom cannot receive messages right now; nothing was stored."
                        .to_owned(),
                )
            })?;
        let reply_key = dateline_tips::parse_recipient(&tip.reply_public_key)
            .map_err(|error| WebError::Internal(error.to_string()))?;
        let body = dateline_tips::encrypt(&recipients.with(reply_key), message.as_bytes())
            .map_err(|error| WebError::Internal(error.to_string()))?;
        state
            .store()
            .add_tip_message(tip.id, &body, None, jiff::Timestamp::now())
            .await?;
        view.sent = true;
        view.message.clear();
    }
    view.conversation = conversation(&state, tip.id, &[reply_identity], "You").await?;
    view.codename = Some(fields.codename.trim().to_owned());
    render_follow_up(&state, view, status).await
}

/// The tip a typed codename opens, with the identity its replies are encrypted to.
async fn open_codename(
    state: &AppState,
    install: &dateline_tips::InstallSecret,
    typed: &str,
) -> Result<Option<(dateline_db::Tip, EditorIdentity)>, WebError> {
    let Ok(codename) = typed.parse::<Codename>() else {
        return Ok(None);
    };
    let install = install.clone();
    let derived = tokio::task::spawn_blocking(move || {
        let key = codename.lookup_key(&install)?;
        let identity = codename.reply_identity(&install)?;
        Ok::<_, dateline_tips::CodenameError>((key, identity))
    })
    .await?
    .map_err(|error| WebError::Internal(error.to_string()))?;
    let (key, identity) = derived;
    Ok(state
        .store()
        .tip_by_codename_key(&key)
        .await?
        .map(|tip| (tip, identity)))
}

/// The conversation of a tip as `identities` can read it, oldest first; `source_name` is what
/// the tipster's own messages are labelled.
pub(crate) async fn conversation(
    state: &AppState,
    tip_id: i64,
    identities: &[EditorIdentity],
    source_name: &str,
) -> Result<Vec<Value>, WebError> {
    let frame_clock = Frame::load(state).await?.clock;
    let messages = state.store().tip_messages(tip_id).await?;
    Ok(messages
        .iter()
        .map(|message| {
            let text = dateline_tips::decrypt(identities, &message.body)
                .ok()
                .map(|plain| String::from_utf8_lossy(&plain).into_owned());
            let from_source = message.sender == dateline_db::TipSender::Source;
            json!({
                "from": if from_source { source_name } else { "Newsroom" },
                "from_source": from_source,
                "at": frame_clock.time(message.sent_at),
                "text": text,
            })
        })
        .collect())
}
