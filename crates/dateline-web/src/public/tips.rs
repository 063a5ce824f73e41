//! `/tips`: the form a reader sends a tip or a correction request with, and `/tips/follow-up`,
//! where the holder of a codename reads the newsroom's replies and answers.
//!
//! Privacy rules (SecureDrop's landing-page rules, inside the ordinary site): these pages set no
//! cookie and need none (the form token is stateless), are never cached or logged, send no
//! referrer, and keep nothing about the request — not the address, not the user agent. What the
//! tipster writes and attaches is encrypted to the newsroom's recipients before it is written.

mod upload;

use std::sync::Arc;

use axum::extract::{Query, RawQuery, Request, State};
use axum::response::{IntoResponse, Response};
use axum::{Form, Router};
use bytes::Bytes;
use dateline_core::{Field, Refusals, TipKind, TipRefusal, paths};
use dateline_db::NewTipAttachment;
use dateline_tips::{
    AttachmentCheck, Codename, EditorIdentity, FormToken, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS,
    MAX_CONTACT_CHARS, MAX_MESSAGE_CHARS, Recipients, StreamingEncryptor,
};
use dateline_usecases::UseCaseError;
use dateline_usecases::tips::{self, TipDraft};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::pages::{Frame, absolute};
use crate::tips::{Busy, ClientAddress, ProofOfWork};
use crate::views::PageMeta;
use crate::{AppState, WebError};
use upload::UploadBody;

pub(crate) use dateline_core::tips::TIP_ATTACHMENT_PREFIX as ATTACHMENT_PREFIX;

/// A follow-up is a codename and a message of at most `MAX_MESSAGE_CHARS` characters, each up to
/// 4 bytes and percent-encoded (3 characters a byte), with room for the token and field names.
const FOLLOW_UP_BODY_LIMIT: usize = MAX_MESSAGE_CHARS * 4 * 3 + 16 * 1024;
/// Time for the whole follow-up form to arrive: its 256 KB at the slowest upload rate the tip
/// form accepts (`upload::SLOWEST_BYTES_PER_SEC`, 32 KiB/s) take 8 s; a minute leaves room for Tor.
const FOLLOW_UP_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

pub fn routes() -> Router<AppState> {
    use axum::routing::get;
    Router::new()
        .route(
            "/tips",
            // The submission reads its own body, bounded before and while it is read
            // (`declared_form`, `UploadBody`): no buffering limit applies to it.
            get(form)
                .post(submit)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/tips/new", get(form))
        .route(
            "/tips/follow-up",
            get(follow_up_form)
                .post(follow_up)
                .layer::<_, std::convert::Infallible>(axum::extract::DefaultBodyLimit::max(
                    FOLLOW_UP_BODY_LIMIT,
                ))
                // The follow-up form is buffered whole: it must arrive in time, or a trickle
                // holds one of the tips' slots (`limits`) for ever.
                .layer(crate::limits::read_deadlines(
                    upload::IDLE_TIMEOUT,
                    FOLLOW_UP_DEADLINE,
                )),
        )
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
    let frame = Frame::remembered(state).await?;
    let ready = !state.store().tips().recipients().await?.is_empty();
    state.tips().note_recipients(ready);
    let install = state.tips().install(state.ctx()).await?;
    let article = article_ref(state, &values.article).await?;
    form_page(
        state, frame, ready, install, article, values, errors, status,
    )
}

/// The tip form with `values` typed and `errors` shown: everything it needs is given, so the
/// listener can answer it too (`refuse_on_listener`).
#[allow(clippy::too_many_arguments)]
fn form_page(
    state: &AppState,
    frame: Frame,
    ready: bool,
    install: &dateline_tips::InstallSecret,
    article: Option<Value>,
    values: TipValues,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let token = FormToken::issue(install, jiff::Timestamp::now().as_second());
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
                "max_bytes": MAX_ATTACHMENT_BYTES,
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
    let Some(id) = article_id(id) else {
        return Ok(None);
    };
    let stories = state.store().public().stories_by_ids(&[id]).await?;
    Ok(stories.first().map(|story| {
        json!({
            "id": story.id,
            "headline": story.headline,
            "url": paths::article(&story.section.slug, &story.slug),
        })
    }))
}

/// The article a tip names, as typed (a form field): only a number can name one.
fn article_id(typed: &str) -> Option<i64> {
    typed.parse().ok()
}

/// Five files of 25 MB and the text fields, with room for multipart framing: the most a tip
/// form may declare.
pub(crate) const SUBMIT_BODY_LIMIT: usize = MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES + 1024 * 1024;
/// Bytes kept of one text field: the longest message in 4-byte characters, so a message over the
/// limit is still shown back whole when it is only a little over.
const TEXT_FIELD_BYTES: usize = 4 * MAX_MESSAGE_CHARS + 4;
/// Fields read from a form refused before its files, to show back what was typed.
const FIELDS_READ_AFTER_REFUSAL: usize = 16;
/// How long the rest of a refused form is read and thrown away, so the browser reads the refusal
/// rather than a reset connection (the lingering close of nginx and Apache).
const LINGER: std::time::Duration = std::time::Duration::from_secs(10);

/// What the submit URL carries: the form token, checked before the body is read, and the proof
/// of work the page's script found for it.
#[derive(Debug, Default)]
struct SubmitQuery {
    token: String,
    proof_of_work: String,
}

impl SubmitQuery {
    fn parse(query: Option<&str>) -> Self {
        let mut sent = Self::default();
        for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match &*name {
                "token" => sent.token = value.chars().take(256).collect(),
                "pow" => sent.proof_of_work = value.chars().take(64).collect(),
                _ => {}
            }
        }
        sent
    }
}

/// A refusal given before the body is read.
#[derive(Clone)]
struct Refusal {
    status: StatusCode,
    errors: Vec<FieldError>,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            errors: vec![error("form", message)],
        }
    }
}

/// The checks on what the headers declare: a multipart form, of a length we accept. Gives the
/// multipart boundary and the length the body is held to.
fn declared_form(headers: &http::HeaderMap) -> Result<(String, Result<u64, Refusal>), Refusal> {
    let boundary = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| multer::parse_boundary(value).ok())
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "This form must be sent as multipart/form-data, as the page sends it.",
            )
        })?;
    let length = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let length = match length {
        None => Err(Refusal::new(
            StatusCode::LENGTH_REQUIRED,
            "The form did not say how long it is; send it from the page.",
        )),
        Some(length) if length > SUBMIT_BODY_LIMIT as u64 => Err(Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "This is more than we can receive at once. Attach at most {MAX_ATTACHMENTS} \
                 files of 25 MB each; nothing was stored."
            ),
        )),
        Some(length) => Ok(length),
    };
    Ok((boundary, length))
}

/// `POST /tips`. Everything that can be judged from the request line and headers is judged
/// before a byte of the body is read; then the body streams, with its files encrypted straight
/// into storage.
pub async fn submit(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    RawQuery(query): RawQuery,
    request: Request,
) -> Result<Response, WebError> {
    if let Some(RefusedOnListener(refused)) = request.extensions().get().cloned() {
        let (refusal, values) = Arc::unwrap_or_clone(refused);
        return render_refusal(&state, refusal, values).await;
    }
    let (parts, body) = request.into_parts();
    let (boundary, length) = match declared_form(&parts.headers) {
        Ok(declared) => declared,
        Err(refusal) => return render_refusal(&state, refusal, TipValues::default()).await,
    };
    // A body is never read past what it declared (or past the largest form, without a length).
    let held_to = length
        .as_ref()
        .map_or(SUBMIT_BODY_LIMIT as u64, |length| *length);
    let admitted = match length {
        Ok(_) => admit(&state, address, SubmitQuery::parse(query.as_deref())).await?,
        Err(refusal) => Err(refusal),
    };
    let multipart = multer::Multipart::new(
        UploadBody::new(body.into_data_stream(), &boundary, held_to),
        boundary,
    );
    match admitted {
        Ok(recipients) => receive(&state, multipart, recipients).await,
        Err(refusal) => {
            // A client that waits for `100 Continue` (RFC 9110 §10.1.1) has sent nothing and
            // keeps its body; anyone else gets back what they typed, read from the text fields
            // that come before the files.
            let values = if expects_continue(&parts.headers) {
                TipValues::default()
            } else {
                typed_before_refusal(multipart).await
            };
            render_refusal(&state, refusal, values).await
        }
    }
}

fn expects_continue(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::EXPECT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("100-continue"))
}

/// Whether this is a tip being sent (`POST /tips`), as opposed to a follow-up or a page.
pub(crate) fn is_submission(method: &http::Method, path: &str) -> bool {
    *method == http::Method::POST && path == "/tips"
}

/// `POST /tips` on the listener, before it is queued for the work runtime: a tip the limits
/// refuse from this node's memory alone (`TipsState::refused_from_memory`) is answered here, as
/// the handler would answer it — the form again with what was typed, 429 and `Retry-After` —
/// without a turn on the busy work runtime or a tips slot. Everything else goes on untouched to
/// [`submit`], which asks the same question first and then counts in the database.
pub(crate) async fn refuse_on_listener(
    state: &AppState,
    request: Request,
) -> Result<Request, Response> {
    let Some(install) = state.tips().install_known() else {
        return Ok(request);
    };
    let now = jiff::Timestamp::now().as_second();
    let sent = SubmitQuery::parse(request.uri().query());
    // A form the handler refuses for its shape or its token is the handler's to answer, in its
    // order; only a well-formed submission can be over a limit.
    let (Ok((boundary, Ok(length))), Ok(form)) = (
        declared_form(request.headers()),
        FormToken::check(install, &sent.token, now),
    ) else {
        return Ok(request);
    };
    if !state.tips().recipients_known_ready() {
        return Ok(request);
    }
    let address = crate::newsroom::client_address(request.extensions());
    let proof = sent_proof(&sent, &form);
    let Err(busy) = state
        .tips()
        .refused_from_memory(install, address, proof.as_ref())
    else {
        return Ok(request);
    };
    let (mut parts, body) = request.into_parts();
    let values = if expects_continue(&parts.headers) {
        TipValues::default()
    } else {
        typed_before_refusal(multer::Multipart::new(
            UploadBody::new(body.into_data_stream(), &boundary, length),
            boundary,
        ))
        .await
    };
    let refusal = Refusal::new(StatusCode::TOO_MANY_REQUESTS, busy_message(busy));
    // The listener asks the database nothing: a page that needs it (the article a correction is
    // about, or a masthead this node has not loaded yet) is rendered by the handler, which
    // gives the listener's refusal without judging the tip again.
    let frame = Frame::snapshot(state).filter(|_| article_id(&values.article).is_none());
    let Some(frame) = frame else {
        parts
            .extensions
            .insert(RefusedOnListener(Arc::new((refusal, values))));
        return Ok(Request::from_parts(parts, axum::body::Body::empty()));
    };
    // The page is a render, as in `render_refusal`: on a public slot, else the plain 503. So a
    // flood of refused tips costs the listener renders only while the node has room for them.
    let Ok(_slot) = state.capacity().public_slot() else {
        let mut busy = crate::limits::busy();
        crate::tips::private_headers(busy.headers_mut());
        return Err(busy);
    };
    let mut response = form_page(
        state,
        frame,
        true,
        install,
        None,
        values,
        refusal.errors,
        refusal.status,
    )
    .map_or_else(IntoResponse::into_response, retry_later);
    crate::tips::private_headers(response.headers_mut());
    crate::serve::security_headers(response.headers_mut());
    Err(response)
}

/// A tip the listener refused from memory, with what was typed, for the handler to render
/// (`refuse_on_listener`): its body was read already.
#[derive(Clone)]
pub(crate) struct RefusedOnListener(Arc<(Refusal, TipValues)>);

/// The proof of work sent with a form, if it holds for the form's token.
fn sent_proof(sent: &SubmitQuery, form: &dateline_tips::ValidForm) -> Option<ProofOfWork> {
    dateline_tips::proof_of_work_holds(&sent.token, &sent.proof_of_work).then(|| ProofOfWork {
        key: dateline_tips::spent_proof_key(&sent.token),
        expires_at: form.expires_at,
    })
}

/// A tip refused by the limits comes back in an hour, when their window has turned.
fn retry_later(mut response: Response) -> Response {
    response.headers_mut().insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("3600"),
    );
    response
}

/// Everything that is checked before the body is read: a newsroom to send to, the form token
/// from the URL, and the limits for the client's address and this node. Gives the newsroom's
/// keys to encrypt to.
async fn admit(
    state: &AppState,
    address: std::net::IpAddr,
    sent: SubmitQuery,
) -> Result<Result<Recipients, Refusal>, WebError> {
    let recipients = state.store().tips().recipients().await?;
    state.tips().note_recipients(!recipients.is_empty());
    if recipients.is_empty() {
        return Ok(Err(Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "This newsroom has not set up secure tips yet, so nothing was sent or stored.",
        )));
    }
    let install = state.tips().install(state.ctx()).await?;
    let form = match FormToken::check(install, &sent.token, jiff::Timestamp::now().as_second()) {
        Ok(form) => form,
        Err(problem) => {
            return Ok(Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                problem.to_string(),
            )));
        }
    };
    let proof = sent_proof(&sent, &form);
    if let Err(busy) = state.tips().admit(state.ctx(), address, proof).await? {
        return Ok(Err(Refusal::new(
            StatusCode::TOO_MANY_REQUESTS,
            busy_message(busy),
        )));
    }
    let recipients = Recipients::parse(recipients.iter().map(|r| r.public_key.as_str()))
        .map_err(|error| WebError::Internal(error.to_string()))?;
    Ok(Ok(recipients))
}

/// The form again, with what was typed and why it was refused. Rendering it is uncached work:
/// it takes a public slot, and past capacity the answer is the plain 503 instead.
async fn render_refusal(
    state: &AppState,
    refusal: Refusal,
    values: TipValues,
) -> Result<Response, WebError> {
    let Ok(_slot) = state.capacity().public_slot() else {
        return Ok(crate::limits::busy());
    };
    let response = render_form(state, values, refusal.errors, refusal.status).await?;
    if refusal.status == StatusCode::TOO_MANY_REQUESTS {
        return Ok(retry_later(response));
    }
    Ok(response)
}

/// The text fields of a refused form, up to its first file: a few kilobytes, read within the
/// body's timeouts. The rest is read and dropped in the background for a few seconds.
async fn typed_before_refusal(mut multipart: multer::Multipart<'static>) -> TipValues {
    let mut values = TipValues::default();
    for _ in 0..FIELDS_READ_AFTER_REFUSAL {
        let Ok(Some(field)) = multipart.next_field().await else {
            return values;
        };
        if field.file_name().is_some() {
            break;
        }
        let name = field.name().unwrap_or_default().to_owned();
        if let Ok((text, _)) = read_text(field).await {
            values.set(&name, text);
        }
    }
    tokio::spawn(async move {
        let _ = tokio::time::timeout(LINGER, async move {
            while let Ok(Some(mut field)) = multipart.next_field().await {
                while let Ok(Some(_)) = field.chunk().await {}
            }
        })
        .await;
    });
    values
}

impl TipValues {
    fn set(&mut self, field: &str, text: String) {
        match field {
            "kind" => self.kind = text,
            "message" => self.message = text,
            "contact" => self.contact = text,
            "article" => self.article = text,
            _ => {}
        }
    }
}

/// A text field's value, at most [`TEXT_FIELD_BYTES`] of it; true when there was more.
async fn read_text(mut field: multer::Field<'static>) -> Result<(String, bool), multer::Error> {
    let mut bytes = Vec::new();
    let mut cut = false;
    while let Some(piece) = field.chunk().await? {
        let room = TEXT_FIELD_BYTES - bytes.len();
        if piece.len() > room {
            cut = true;
        }
        bytes.extend_from_slice(&piece[..piece.len().min(room)]);
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        // A cut may end inside a character; that, and anything else not UTF-8, shows as U+FFFD.
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    };
    Ok((text, cut))
}

/// Reads the admitted form: text fields kept, files checked, encrypted and sent to storage as
/// they arrive. Then the tip is sealed and stored, or, on any problem, the form comes back with
/// what was typed and nothing is left behind.
async fn receive(
    state: &AppState,
    mut multipart: multer::Multipart<'static>,
    recipients: Recipients,
) -> Result<Response, WebError> {
    let mut values = TipValues::default();
    let mut upload = Vec::new();
    let mut stored = StoredAttachments::new(state.media().clone());
    let mut files = 0;
    let mut interrupted = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                interrupted = true;
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name != "attachments" {
            match read_text(field).await {
                Ok((text, cut)) => {
                    if cut && name == "message" {
                        // Shown as too long by `tips::check`, which counts characters.
                        values.message = text;
                        values.message.push('…');
                    } else {
                        values.set(&name, text);
                    }
                }
                Err(_) => {
                    interrupted = true;
                    break;
                }
            }
            continue;
        }
        let file_name = field.file_name().unwrap_or_default().to_owned();
        // Browsers send an empty part when no file was chosen.
        let mut field = field;
        let first = match field.chunk().await {
            Ok(first) => first,
            Err(_) => {
                interrupted = true;
                break;
            }
        };
        if file_name.is_empty() && first.is_none() {
            continue;
        }
        files += 1;
        if files == MAX_ATTACHMENTS + 1 {
            upload.push(TipRefusal::TooManyAttachments {
                max: MAX_ATTACHMENTS,
            });
        }
        // After a problem with a file, the others are read and dropped: the form comes back,
        // and for the tipster's safety no file is kept after an error.
        let keep = upload.is_empty();
        match stored
            .receive(&recipients, &file_name, first, field, keep)
            .await
        {
            Ok(()) => {}
            Err(FileOutcome::Refused(problem)) => upload.push(TipRefusal::AttachmentRefused {
                message: problem.to_string(),
            }),
            Err(FileOutcome::Interrupted) => {
                interrupted = true;
                break;
            }
            Err(FileOutcome::Storage(failure)) => {
                tracing::error!(error = %failure, "could not store a tip attachment");
                stored.discard().await;
                let errors = vec![error(
                    "form",
                    "We could not store your files just now, so nothing was sent or stored. \
                     Please try again in a few minutes.",
                )];
                return render_form(state, values, errors, StatusCode::SERVICE_UNAVAILABLE).await;
            }
        }
    }
    if interrupted {
        upload.insert(0, TipRefusal::UploadInterrupted);
    }
    let draft = TipDraft {
        kind: values.kind.clone(),
        message: values.message.clone(),
        contact: values.contact.clone(),
        article: values.article.clone(),
    };
    if let Err(refused) = tips::check(&draft, upload) {
        stored.discard().await;
        let Some(refusals) = refused.refusals() else {
            return Err(refused.into());
        };
        let errors = field_errors(refusals);
        return render_form(state, values, errors, StatusCode::BAD_REQUEST).await;
    }
    let sealer = state.tips().sealer(state.ctx()).await?;
    let attachments = stored.attachments.clone();
    let submitted = tips::submit(
        state.ctx(),
        &draft,
        attachments,
        &recipients,
        &sealer,
        jiff::Timestamp::now(),
    )
    .await;
    match submitted {
        Ok(submitted) => {
            stored.keep();
            received_page(state, &submitted.codename).await
        }
        Err(failure) => {
            // Nothing half-written: the attachments go if the row does not come.
            stored.discard().await;
            Err(failure.into())
        }
    }
}

/// The refusals of a tip or a follow-up as the form shows them, each beside its field.
fn field_errors(refusals: &Refusals) -> Vec<FieldError> {
    refusals
        .iter()
        .map(|refusal| {
            error(
                refusal.field().map_or("form", Field::as_str),
                refusal.to_string(),
            )
        })
        .collect()
}

/// Why a file was not stored.
enum FileOutcome {
    /// The file breaks a rule the tipster can fix.
    Refused(dateline_tips::AttachmentProblem),
    /// The body stopped arriving, or broke its framing.
    Interrupted,
    Storage(String),
}

/// The encrypted attachments of one submission while it is received. Unless [`Self::keep`] is
/// called once the tip's row is committed, every object goes again: on a refusal, a failure, or
/// when the request is dropped halfway (the client left, the server is stopping).
struct StoredAttachments {
    media: dateline_storage::MediaStore,
    /// Every object this submission began, named before its first byte: a request dropped
    /// between an upload's completion and its entry in `attachments` still leaves nothing.
    keys: Vec<String>,
    attachments: Vec<NewTipAttachment>,
    /// The file being written, so a dropped request aborts it too.
    writing: Option<dateline_storage::ObjectUpload>,
    kept: bool,
}

impl StoredAttachments {
    fn new(media: dateline_storage::MediaStore) -> Self {
        Self {
            media,
            keys: Vec::new(),
            attachments: Vec::new(),
            writing: None,
            kept: false,
        }
    }

    /// Checks one file as it arrives and, if `keep`, encrypts it to `recipients` piece by piece
    /// into storage. Memory: the parser's piece, one age chunk and one storage part.
    async fn receive(
        &mut self,
        recipients: &Recipients,
        file_name: &str,
        first: Option<Bytes>,
        mut field: multer::Field<'static>,
        keep: bool,
    ) -> Result<(), FileOutcome> {
        let mut check = match AttachmentCheck::start(file_name) {
            Ok(check) => check,
            Err(problem) => return drain(field, problem).await,
        };
        let storage = |failure: &dyn std::fmt::Display| FileOutcome::Storage(failure.to_string());
        let mut encryptor = if keep {
            let key = format!(
                "{ATTACHMENT_PREFIX}{}.age",
                random_hex().map_err(|e| storage(&e))?
            );
            self.keys.push(key.clone());
            let mut upload = self
                .media
                .start_upload(&key)
                .await
                .map_err(|e| storage(&e))?;
            let mut encryptor = StreamingEncryptor::new(recipients).map_err(|e| storage(&e))?;
            upload
                .write(Bytes::from(encryptor.take()))
                .await
                .map_err(|e| storage(&e))?;
            self.writing = Some(upload);
            Some(encryptor)
        } else {
            None
        };
        let mut piece = first;
        while let Some(bytes) = piece {
            if let Err(problem) = check.feed(&bytes) {
                self.abort_writing().await;
                return drain(field, problem).await;
            }
            if let (Some(encryptor), Some(upload)) = (encryptor.as_mut(), self.writing.as_mut()) {
                let sealed = encryptor.push(&bytes).map_err(|e| storage(&e))?;
                if !sealed.is_empty() {
                    upload
                        .write(Bytes::from(sealed))
                        .await
                        .map_err(|e| storage(&e))?;
                }
            }
            piece = match field.chunk().await {
                Ok(next) => next,
                Err(_) => {
                    self.abort_writing().await;
                    return Err(FileOutcome::Interrupted);
                }
            };
        }
        let kind = match check.finish() {
            Ok(kind) => kind,
            Err(problem) => {
                self.abort_writing().await;
                return Err(FileOutcome::Refused(problem));
            }
        };
        let (Some(encryptor), Some(mut upload)) = (encryptor, self.writing.take()) else {
            return Ok(());
        };
        let last = encryptor.finish().map_err(|e| storage(&e))?;
        upload
            .write(Bytes::from(last))
            .await
            .map_err(|e| storage(&e))?;
        let object_key = upload.key().to_owned();
        let size = upload.finish().await.map_err(|e| storage(&e))?;
        let description = json!({ "name": file_name, "type": kind.media_type });
        let description = dateline_tips::encrypt(recipients, description.to_string().as_bytes())
            .map_err(|e| storage(&e))?;
        self.attachments.push(NewTipAttachment {
            object_key,
            description,
            size: i64::try_from(size).unwrap_or(i64::MAX),
        });
        Ok(())
    }

    async fn abort_writing(&mut self) {
        if let Some(upload) = self.writing.take() {
            let _ = upload.abort().await;
        }
    }

    /// Removes everything this submission stored.
    async fn discard(&mut self) {
        self.abort_writing().await;
        self.attachments.clear();
        for key in self.keys.drain(..) {
            if let Err(failure) = self.media.delete(&key).await {
                tracing::warn!(error = %failure, key,
                    "could not delete an attachment of a refused tip; the hourly sweep will");
            }
        }
    }

    /// The tip's row is committed: its objects stay.
    fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for StoredAttachments {
    fn drop(&mut self) {
        if self.kept || (self.keys.is_empty() && self.writing.is_none()) {
            return;
        }
        let media = self.media.clone();
        let writing = self.writing.take();
        let keys = std::mem::take(&mut self.keys);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Some(upload) = writing {
                    let _ = upload.abort().await;
                }
                for key in keys {
                    let _ = media.delete(&key).await;
                }
            });
        }
    }
}

/// Reads the rest of a refused file without keeping it, so the form can come back whole.
async fn drain(
    mut field: multer::Field<'static>,
    problem: dateline_tips::AttachmentProblem,
) -> Result<(), FileOutcome> {
    loop {
        match field.chunk().await {
            Ok(Some(_)) => {}
            Ok(None) => return Err(FileOutcome::Refused(problem)),
            Err(_) => return Err(FileOutcome::Interrupted),
        }
    }
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

fn random_hex() -> Result<String, WebError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|error| WebError::Internal(error.to_string()))?;
    Ok(hex::encode(bytes))
}

async fn received_page(state: &AppState, codename: &Codename) -> Result<Response, WebError> {
    let frame = Frame::remembered(state).await?;
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
    let frame = Frame::remembered(state).await?;
    let install = state.tips().install(state.ctx()).await?;
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
    let install = state.tips().install(state.ctx()).await?.clone();
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
    if let Err(busy) = state.tips().may_try_codename(state.ctx(), address).await? {
        view.errors.push(error("codename", busy_message(busy)));
        return render_follow_up(&state, view, StatusCode::TOO_MANY_REQUESTS).await;
    }
    let opened = open_codename(&state, &install, &fields.codename).await?;
    let Some((tip, reply_identity)) = opened else {
        state.tips().wrong_codename(state.ctx(), address).await?;
        view.errors.push(error(
            "codename",
            "That codename does not open a tip. Check each of the seven words and try again.",
        ));
        return render_follow_up(&state, view, StatusCode::BAD_REQUEST).await;
    };
    let mut status = StatusCode::OK;
    match tips::follow_up(state.ctx(), &tip, &fields.message, jiff::Timestamp::now()).await {
        Ok(sent) => {
            if sent {
                view.sent = true;
                view.message.clear();
            }
        }
        Err(UseCaseError::Refused(refusals))
            if refusals.iter().all(|refusal| refusal.field().is_some()) =>
        {
            view.errors.extend(field_errors(&refusals));
            status = StatusCode::BAD_REQUEST;
        }
        Err(UseCaseError::Refused(refusals)) => {
            return Err(WebError::bad_request(refusals.to_string()));
        }
        Err(error) => return Err(error.into()),
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
    let turn = state.tips().derivation_turn().await;
    let derived = tokio::task::spawn_blocking(move || {
        let key = codename.lookup_key(&install)?;
        let identity = codename.reply_identity(&install)?;
        drop(turn);
        Ok::<_, dateline_tips::CodenameError>((key, identity))
    })
    .await?
    .map_err(|error| WebError::Internal(error.to_string()))?;
    let (key, identity) = derived;
    Ok(state
        .store()
        .tips()
        .by_codename_key(&key)
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
    let frame_clock = Frame::remembered(state).await?.clock;
    let messages = state.store().tips().messages(tip_id).await?;
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
