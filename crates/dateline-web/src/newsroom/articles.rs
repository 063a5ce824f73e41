//! The editor: the article list, writing and editing with preview, the workflow buttons,
//! scheduling in the newsroom's time zone, revisions and their comparison, and the notes a
//! published story gets when it changes.
//!
//! Whose work an article is follows one rule everywhere (list, edit, workflow): the staff member
//! started it (saved its first revision) or their linked author profile is on its byline
//! ([`dateline_db::Articles::owned_by`]).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::revisions::compare;
use dateline_core::workflow::next_statuses;
use dateline_core::{
    Action, Article, ArticlePage, ArticleSnapshot, ArticleStatus, Field, NoteKind, Refusals, Tag,
    markdown, paging, slug,
};
use dateline_db::{DbError, DeskFilter, Owner, Revision};
use dateline_usecases::UseCaseError;
use dateline_usecases::articles::{
    self, ArticleChanges, AuthorChoice, PublishTime, SectionChoice, edit_action, transition_action,
};
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Csrf, CurrentStaff, render};
use crate::public::{ArticleMode, render_article};
use crate::{AppState, WebError};

const PAGE_SIZE: i64 = 25;
/// Byline rows the form offers; more authors than this on one story is not a newsroom's need.
const AUTHOR_ROWS: usize = 5;
const HERO_CHOICES: i64 = 50;

pub(super) fn owner(staff: &CurrentStaff) -> Owner {
    Owner {
        staff_id: staff.member.id,
        author_id: staff.member.author_id,
    }
}

fn transition_label(from: ArticleStatus, to: ArticleStatus) -> &'static str {
    match to {
        ArticleStatus::InReview => "Submit for review",
        ArticleStatus::Published if from == ArticleStatus::Unpublished => "Publish again",
        ArticleStatus::Published => "Publish now",
        ArticleStatus::Unpublished => "Unpublish",
        ArticleStatus::Scheduled => "Schedule",
        ArticleStatus::Draft => "Back to draft",
    }
}

// ---------------------------------------------------------------------------------------------
// The list

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    section: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

pub async fn list(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::UseNewsroom)?;
    let filter = DeskFilter {
        status: ArticleStatus::parse(&query.status),
        section_id: query.section.parse().ok(),
        author_id: query.author.parse().ok(),
        headline_contains: Some(query.q.trim().to_owned()).filter(|q| !q.is_empty()),
        // Who cannot touch other people's drafts sees only their own work.
        owned_by: (!staff.may(Action::EditDraft, false)).then(|| owner(&staff)),
    };
    let page = query
        .page
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(1, paging::MAX_PAGE);
    let store = state.store();
    let total = store.articles().count_desk(&filter).await?;
    let pages = paging::count(total, PAGE_SIZE);
    let articles = store
        .articles()
        .desk(
            &filter,
            PAGE_SIZE,
            paging::offset(page, PAGE_SIZE).unwrap_or(0),
        )
        .await?;
    let zone = Zone::load(&state).await?;
    let rows: Vec<Value> = articles
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "headline": a.headline,
                "status": a.status.as_str(),
                "status_label": a.status.label(),
                "section": a.section_name,
                "authors": a.authors.iter().map(|au| au.name.as_str()).collect::<Vec<_>>().join(", "),
                "updated": zone.display(a.updated_at),
                "scheduled_for": a.scheduled_for.map(|t| zone.display(t)),
            })
        })
        .collect();
    let keep = |n: i64| {
        let mut url = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("status", &query.status),
            ("section", &query.section),
            ("author", &query.author),
            ("q", &query.q),
        ] {
            if !value.is_empty() {
                url.append_pair(key, value);
            }
        }
        url.append_pair("page", &n.to_string());
        format!("/newsroom/articles?{}", url.finish())
    };
    render(
        &state,
        Some(&staff),
        &csrf,
        "newsroom/articles.html",
        StatusCode::OK,
        json!({
            "articles": rows,
            "total": total,
            "filter": {
                "status": query.status, "section": query.section,
                "author": query.author, "q": query.q,
            },
            "statuses": ArticleStatus::ALL.iter().map(|s| json!({"value": s.as_str(), "label": s.label()})).collect::<Vec<_>>(),
            "sections": store.site().sections().await?,
            "authors": store.people().authors().await?,
            "may_create": staff.may(Action::CreateDraft, true),
            "pagination": {
                "page": page, "pages": pages,
                "previous": (page > 1).then(|| keep(page - 1)),
                "next": (page < pages).then(|| keep(page + 1)),
            },
        }),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The form

/// What the form holds, exactly as typed (so a refused form shows it again unchanged).
#[derive(Debug, Clone, Default, serde::Serialize)]
struct ArticleFields {
    headline: String,
    standfirst: String,
    slug: String,
    section_id: String,
    /// One entry per byline row, in order; empty rows are blank.
    authors: Vec<String>,
    tags: String,
    dateline_place: String,
    body: String,
    hero_image_id: String,
    comments_open: bool,
    language: String,
    expected_version: String,
    intent: String,
}

impl ArticleFields {
    fn parse(body: &[u8]) -> Self {
        let mut fields = Self::default();
        for (key, value) in form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "headline" => fields.headline = value,
                "standfirst" => fields.standfirst = value,
                "slug" => fields.slug = value,
                "section_id" => fields.section_id = value,
                "author" => fields.authors.push(value),
                "tags" => fields.tags = value,
                "dateline_place" => fields.dateline_place = value,
                "body" => fields.body = value,
                "hero_image_id" => fields.hero_image_id = value,
                "comments_open" => fields.comments_open = true,
                "language" => fields.language = value,
                "expected_version" => fields.expected_version = value,
                "intent" => fields.intent = value,
                _ => {}
            }
        }
        fields.pad_authors();
        fields
    }

    fn pad_authors(&mut self) {
        let mut named: Vec<String> = self
            .authors
            .iter()
            .filter(|a| !a.trim().is_empty())
            .cloned()
            .collect();
        named.resize(AUTHOR_ROWS.max(named.len()), String::new());
        self.authors = named;
    }

    fn from_article(page: &ArticlePage) -> Self {
        let article = &page.article;
        let mut fields = Self {
            headline: article.headline.clone(),
            standfirst: article.standfirst.clone(),
            slug: article.slug.clone(),
            section_id: article.section_id.to_string(),
            authors: page.authors.iter().map(|a| a.id.to_string()).collect(),
            tags: page
                .tags
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            dateline_place: article.dateline_place.clone().unwrap_or_default(),
            body: article.body.clone(),
            hero_image_id: article
                .hero_image_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            comments_open: article.comments_open,
            language: article.language.clone(),
            expected_version: article.version.to_string(),
            intent: String::new(),
        };
        fields.pad_authors();
        fields
    }

    /// The typed values as hidden fields, for the preview's way back to the form.
    fn as_hidden_fields(&self, csrf: &str) -> Value {
        let mut list = vec![
            ("csrf", csrf.to_owned()),
            ("headline", self.headline.clone()),
            ("standfirst", self.standfirst.clone()),
            ("slug", self.slug.clone()),
            ("section_id", self.section_id.clone()),
            ("tags", self.tags.clone()),
            ("dateline_place", self.dateline_place.clone()),
            ("body", self.body.clone()),
            ("hero_image_id", self.hero_image_id.clone()),
            ("language", self.language.clone()),
            ("expected_version", self.expected_version.clone()),
        ];
        list.extend(
            self.authors
                .iter()
                .filter(|a| !a.is_empty())
                .map(|a| ("author", a.clone())),
        );
        if self.comments_open {
            list.push(("comments_open", "on".to_owned()));
        }
        Value::Array(
            list.into_iter()
                .map(|(name, value)| json!({ "name": name, "value": value }))
                .collect(),
        )
    }

    /// The typed fields laid over `base`, for comparing with another version; what cannot be
    /// read keeps `base`'s value.
    fn snapshot_over(&self, base: &ArticleSnapshot) -> ArticleSnapshot {
        let ids = |texts: &[String]| -> Vec<i64> {
            texts.iter().filter_map(|t| t.trim().parse().ok()).collect()
        };
        ArticleSnapshot {
            section_id: self.section_id.trim().parse().unwrap_or(base.section_id),
            slug: Some(self.slug.trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| base.slug.clone()),
            headline: self.headline.trim().to_owned(),
            standfirst: self.standfirst.trim().to_owned(),
            body: self.body.clone(),
            dateline_place: Some(self.dateline_place.trim().to_owned()).filter(|p| !p.is_empty()),
            hero_image_id: self.hero_image_id.trim().parse().ok(),
            author_ids: ids(&self.authors),
            tags: self
                .tags
                .split(',')
                .map(|t| t.trim().to_owned())
                .filter(|t| !slug::slugify(t).is_empty())
                .collect(),
            language: self.language.trim().to_owned(),
            comments_open: self.comments_open,
        }
    }

    /// What was typed, as the article use cases take it: every field given (the form shows
    /// them all), ids as typed, so a bad one is refused like any other.
    fn changes(&self) -> ArticleChanges {
        ArticleChanges {
            section: Some(SectionChoice::from_form(&self.section_id)),
            headline: Some(self.headline.clone()),
            slug: Some(self.slug.clone()),
            standfirst: Some(self.standfirst.clone()),
            body: Some(self.body.clone()),
            dateline_place: Some(Some(self.dateline_place.clone())),
            hero_image: Some(match self.hero_image_id.trim() {
                "" => None,
                // Not a number: an id no image has, refused as "not in the library".
                text => Some(text.parse().unwrap_or(-1)),
            }),
            authors: Some(
                self.authors
                    .iter()
                    .filter(|a| !a.trim().is_empty())
                    .map(|a| AuthorChoice::from_form(a))
                    .collect(),
            ),
            tags: Some(self.tags.split(',').map(str::to_owned).collect()),
            language: Some(self.language.clone()),
            comments_open: Some(self.comments_open),
        }
    }
}

/// Refusals keyed by the form's own field names, worded for the person at the form.
fn form_errors(refusals: &Refusals) -> Map<String, Value> {
    refusals
        .by_field()
        .into_iter()
        .map(|(field, message)| {
            let name = match field {
                Some(Field::Section) => "section_id",
                Some(Field::HeroImage) => "hero_image_id",
                Some(field) => field.as_str(),
                None => "form",
            };
            (name.to_owned(), Value::from(message))
        })
        .collect()
}

/// The newsroom's time zone, for showing and reading times.
pub(super) struct Zone {
    pub(super) name: String,
    pub(super) zone: jiff::tz::TimeZone,
}

impl Zone {
    pub(super) async fn load(state: &AppState) -> Result<Self, WebError> {
        let settings = state.store().site().settings().await?;
        let zone = jiff::tz::TimeZone::get(&settings.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        Ok(Self {
            name: settings.time_zone,
            zone,
        })
    }

    pub(super) fn display(&self, at: Timestamp) -> String {
        at.to_zoned_datetime(self.zone.clone())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string()
    }

    /// The `datetime-local` form of an instant.
    fn local_input(&self, at: Timestamp) -> String {
        at.to_zoned_datetime(self.zone.clone())
            .strftime("%Y-%m-%dT%H:%M")
            .to_string()
    }
}

/// What else the edit page shows besides the fields.
#[derive(Default)]
struct PageExtras {
    errors: Map<String, Value>,
    notice: Option<String>,
    schedule_value: Option<String>,
    schedule_error: Option<String>,
    note_kind: String,
    note_text: String,
    note_error: Option<String>,
    /// The correction request this note answers, when it was opened from the tips inbox.
    note_tip: Option<i64>,
}

async fn form_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    article: Option<&Article>,
    fields: &ArticleFields,
    extras: PageExtras,
    status: StatusCode,
) -> Result<Response, WebError> {
    let store = state.store();
    let zone = Zone::load(state).await?;
    let mut context = json!({
        "fields": fields,
        "errors": extras.errors,
        "notice": extras.notice,
        "sections": store.site().sections().await?,
        "authors": store.people().authors().await?,
        "images": store.library().recent_images(HERO_CHOICES).await?,
        "zone": zone.name,
        "action": article.map_or("/newsroom/articles/new".to_owned(), |a| format!("/newsroom/articles/{}/edit", a.id)),
        "editor_js": state.theme().asset_url("newsroom-editor.js"),
    });
    if let (Some(article), Some(object)) = (article, context.as_object_mut()) {
        let owns = store.articles().owned_by(article.id, owner(staff)).await?;
        let buttons: Vec<Value> = next_statuses(article.status)
            .iter()
            .filter(|to| **to != ArticleStatus::Scheduled)
            .filter(|to| staff.may(transition_action(article.status, **to), owns))
            .map(|to| json!({ "to": to.as_str(), "label": transition_label(article.status, *to) }))
            .collect();
        let may_schedule = next_statuses(article.status).contains(&ArticleStatus::Scheduled)
            && staff.may(Action::Schedule, owns);
        let notes = store.articles().notes(article.id).await?;
        object.extend([
            (
                "article".to_owned(),
                json!({
                    "id": article.id,
                    "status": article.status.as_str(),
                    "status_label": article.status.label(),
                    "version": article.version,
                    "updated": zone.display(article.updated_at),
                    "scheduled_for": article.scheduled_for.map(|t| zone.display(t)),
                }),
            ),
            ("workflow".to_owned(), Value::from(buttons)),
            (
                "schedule".to_owned(),
                json!({
                    "allowed": may_schedule,
                    "value": extras.schedule_value.or(article.scheduled_for.map(|t| zone.local_input(t))).unwrap_or_default(),
                    "error": extras.schedule_error,
                }),
            ),
            (
                "notes".to_owned(),
                json!({
                    "allowed": article.status == ArticleStatus::Published
                        && staff.may(Action::AddUpdateNote, owns),
                    "list": notes.iter().map(|n| json!({
                        "label": n.kind.label(), "text": n.text, "time": zone.display(n.published_at),
                    })).collect::<Vec<_>>(),
                    "kinds": NoteKind::ALL.iter().map(|k| json!({"value": k.as_str(), "label": k.label()})).collect::<Vec<_>>(),
                    "kind": extras.note_kind,
                    "text": extras.note_text,
                    "error": extras.note_error,
                    "tip": extras.note_tip,
                }),
            ),
            (
                "may_revisions".to_owned(),
                Value::from(staff.may(Action::UseRevisions, owns)),
            ),
            (
                "audio".to_owned(),
                super::narration::audio_panel(
                    store.narration().article_audio(article.id).await?.as_ref(),
                    staff.may(Action::NarrateArticle, owns),
                ),
            ),
        ]);
    }
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/article_edit.html",
        status,
        context,
    )
    .await
}

pub async fn new_form(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
) -> Result<Response, WebError> {
    staff.require(Action::CreateDraft)?;
    let settings = state.store().site().settings().await?;
    let mut fields = ArticleFields {
        language: settings.language,
        comments_open: true,
        ..ArticleFields::default()
    };
    if let Some(author) = staff.member.author_id {
        fields.authors.push(author.to_string());
    }
    fields.pad_authors();
    form_page(
        &state,
        &staff,
        &csrf,
        None,
        &fields,
        PageExtras::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    body: Bytes,
) -> Result<Response, WebError> {
    staff.require(Action::CreateDraft)?;
    let fields = ArticleFields::parse(&body);
    let refused = |errors: Map<String, Value>| PageExtras {
        errors,
        ..PageExtras::default()
    };
    match fields.intent.as_str() {
        "preview" => return preview(&state, &csrf, None, &fields, "/newsroom/articles/new").await,
        "edit" => {
            return form_page(
                &state,
                &staff,
                &csrf,
                None,
                &fields,
                PageExtras::default(),
                StatusCode::OK,
            )
            .await;
        }
        _ => {}
    }
    match articles::create(
        state.ctx(),
        &staff.as_actor(),
        fields.changes(),
        ArticleStatus::Draft,
        Timestamp::now(),
    )
    .await
    {
        Ok(article) => Ok(
            Redirect::to(&format!("/newsroom/articles/{}/edit?saved=1", article.id))
                .into_response(),
        ),
        Err(UseCaseError::Refused(refusals)) => {
            form_page(
                &state,
                &staff,
                &csrf,
                None,
                &fields,
                refused(form_errors(&refusals)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct EditQuery {
    #[serde(default)]
    saved: String,
    /// "Publish correction" from a correction request in the tips inbox.
    tip: Option<i64>,
}

/// Loads an article and checks the viewer may edit it as it stands.
pub(super) async fn editable(
    state: &AppState,
    staff: &CurrentStaff,
    id: i64,
) -> Result<(ArticlePage, bool), WebError> {
    permitted_page(state, staff, id, |page| edit_action(page.article.status)).await
}

/// Loads an article and checks the viewer may take `action` on it (which may depend on the
/// article, e.g. on its status); also says whether it is the viewer's own.
async fn permitted_page(
    state: &AppState,
    staff: &CurrentStaff,
    id: i64,
    action: impl FnOnce(&ArticlePage) -> Action,
) -> Result<(ArticlePage, bool), WebError> {
    Ok(articles::permitted(state.ctx(), &staff.as_actor(), id, action).await?)
}

pub async fn edit_form(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Query(query): Query<EditQuery>,
) -> Result<Response, WebError> {
    let (page, _) = editable(&state, &staff, id).await?;
    let mut extras = PageExtras {
        notice: (query.saved == "1").then(|| "Saved.".to_owned()),
        ..PageExtras::default()
    };
    if let Some(tip) = correction_request(&state, &staff, query.tip, id).await? {
        extras.note_kind = NoteKind::Correction.as_str().to_owned();
        extras.note_text =
            "An earlier version of this article said … It has been corrected.".to_owned();
        extras.note_tip = Some(tip);
        extras.notice = Some(format!(
            "Correcting from tip {tip}: the correction you publish here is linked to it."
        ));
    }
    form_page(
        &state,
        &staff,
        &csrf,
        Some(&page.article),
        &ArticleFields::from_article(&page),
        extras,
        StatusCode::OK,
    )
    .await
}

pub async fn save(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let fields = ArticleFields::parse(&body);
    let autosave = fields.intent == "autosave";
    match fields.intent.as_str() {
        "preview" => {
            let (page, _) = editable(&state, &staff, id).await?;
            let action = format!("/newsroom/articles/{id}/edit");
            return preview(&state, &csrf, Some(&page), &fields, &action).await;
        }
        "edit" => {
            let (page, _) = editable(&state, &staff, id).await?;
            return form_page(
                &state,
                &staff,
                &csrf,
                Some(&page.article),
                &fields,
                PageExtras::default(),
                StatusCode::OK,
            )
            .await;
        }
        _ => {}
    }
    let Ok(expected_version) = fields.expected_version.parse::<i64>() else {
        return Err(WebError::bad_request(
            "the form lacks the version it was opened at",
        ));
    };
    let saved = articles::save(
        state.ctx(),
        &staff.as_actor(),
        id,
        expected_version,
        fields.changes(),
        Timestamp::now(),
    )
    .await;
    match saved {
        Ok(saved) if autosave => {
            let zone = Zone::load(&state).await?;
            Ok(autosave_answer(
                StatusCode::OK,
                json!({ "version": saved.version, "saved_at": zone.display(saved.updated_at) }),
            ))
        }
        Ok(_) => Ok(Redirect::to(&format!("/newsroom/articles/{id}/edit?saved=1")).into_response()),
        Err(UseCaseError::Conflict { current_version }) if autosave => Ok(autosave_answer(
            StatusCode::CONFLICT,
            json!({ "current_version": current_version }),
        )),
        Err(UseCaseError::Conflict { current_version }) => {
            conflict_page(&state, &staff, &csrf, id, current_version, &fields).await
        }
        Err(UseCaseError::Refused(refusals)) if autosave => Ok(autosave_answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "errors": form_errors(&refusals) }),
        )),
        Err(UseCaseError::Refused(refusals)) => {
            let (page, _) = editable(&state, &staff, id).await?;
            form_page(
                &state,
                &staff,
                &csrf,
                Some(&page.article),
                &fields,
                PageExtras {
                    errors: form_errors(&refusals),
                    ..PageExtras::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(error) => Err(error.into()),
    }
}

fn autosave_answer(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Someone saved since this form was opened: both versions side by side, the typed one still in
/// an editable form based on the current version, so sending it again saves it on top.
async fn conflict_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    id: i64,
    current_version: i64,
    fields: &ArticleFields,
) -> Result<Response, WebError> {
    let store = state.store();
    let latest: Revision = store
        .articles()
        .latest_revision(id)
        .await?
        .ok_or(WebError::NotFound)?;
    let zone = Zone::load(state).await?;
    let mut yours = fields.clone();
    yours.expected_version = current_version.to_string();
    let diff = compare(&latest.snapshot, &fields.snapshot_over(&latest.snapshot));
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/article_conflict.html",
        StatusCode::CONFLICT,
        json!({
            "id": id,
            "fields": yours,
            "theirs": {
                "number": latest.number,
                "saved_by": latest.saved_by.name,
                "saved_at": zone.display(latest.saved_at),
                "headline": latest.snapshot.headline,
                "standfirst": latest.snapshot.standfirst,
                "body": latest.snapshot.body,
            },
            "diff": diff,
        }),
    )
    .await
}

/// The article as readers would see it with what was typed, without saving anything.
async fn preview(
    state: &AppState,
    csrf: &Csrf,
    saved: Option<&ArticlePage>,
    fields: &ArticleFields,
    back_to: &str,
) -> Result<Response, WebError> {
    let store = state.store();
    let sections = store.site().sections().await?;
    let section = fields
        .section_id
        .parse::<i64>()
        .ok()
        .and_then(|id| sections.iter().find(|s| s.id == id))
        .or(saved.map(|p| &p.section))
        .or(sections.first())
        .cloned()
        .ok_or_else(|| WebError::bad_request("there is no section to preview the article in"))?;
    let authors = store.people().authors().await?;
    let byline = fields
        .authors
        .iter()
        .filter_map(|text| text.parse::<i64>().ok())
        .filter_map(|id| authors.iter().find(|a| a.id == id).cloned())
        .collect();
    let hero = match fields.hero_image_id.trim().parse::<i64>() {
        Ok(id) => store.library().image(id).await?,
        Err(_) => None,
    };
    let now = Timestamp::now();
    let headline = fields.headline.trim().to_owned();
    let article = Article {
        id: saved.map_or(0, |p| p.article.id),
        section_id: section.id,
        slug: Some(fields.slug.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| slug::slugify(&headline)),
        headline,
        standfirst: fields.standfirst.trim().to_owned(),
        body: fields.body.clone(),
        dateline_place: Some(fields.dateline_place.trim().to_owned()).filter(|p| !p.is_empty()),
        status: saved.map_or(ArticleStatus::Draft, |p| p.article.status),
        scheduled_for: saved.and_then(|p| p.article.scheduled_for),
        first_published_at: saved.and_then(|p| p.article.first_published_at),
        updated_at: now,
        created_at: saved.map_or(now, |p| p.article.created_at),
        hero_image_id: hero.as_ref().map(|h| h.id),
        comments_open: fields.comments_open,
        language: fields.language.trim().to_owned(),
        reading_minutes: markdown::article_reading_minutes(&fields.body, hero.is_some()),
        version: saved.map_or(0, |p| p.article.version),
        // A live article previews with its entries as readers see them.
        live: saved.and_then(|p| p.article.live),
    };
    let page = ArticlePage {
        article,
        section,
        authors: byline,
        tags: fields
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !slug::slugify(t).is_empty())
            .map(|name| Tag {
                id: 0,
                slug: slug::slugify(name),
                name: name.to_owned(),
            })
            .collect(),
        hero,
        notes: saved.map(|p| p.notes.clone()).unwrap_or_default(),
    };
    let hidden = fields.as_hidden_fields(&csrf.0);
    render_article(
        state,
        &page,
        ArticleMode::Preview {
            action: back_to,
            fields: &hidden,
        },
    )
    .await
}

/// The body's HTML as the article page renders it, for preview-as-you-type.
pub async fn preview_body(staff: CurrentStaff, body: Bytes) -> Result<Response, WebError> {
    staff.require(Action::CreateDraft)?;
    let fields = ArticleFields::parse(&body);
    let mut response = markdown::render_html(&fields.body).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// Workflow

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    to: String,
}

pub async fn change_status(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<StatusForm>,
) -> Result<Response, WebError> {
    let to = ArticleStatus::parse(&form.to)
        .ok_or_else(|| WebError::bad_request(format!("“{}” is not a status", form.to)))?;
    match articles::change_status(state.ctx(), &staff.as_actor(), id, to, Timestamp::now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/newsroom/articles/{id}/edit")).into_response()),
        Err(UseCaseError::Refused(refusals)) => {
            status_refused(&state, &staff, &csrf, id, refusals.to_string()).await
        }
        Err(error) => Err(error.into()),
    }
}

async fn status_refused(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    id: i64,
    message: String,
) -> Result<Response, WebError> {
    let page = state
        .store()
        .articles()
        .article_page(id)
        .await?
        .ok_or(WebError::NotFound)?;
    let mut errors = Map::new();
    errors.insert("workflow".into(), message.into());
    form_page(
        state,
        staff,
        csrf,
        Some(&page.article),
        &ArticleFields::from_article(&page),
        PageExtras {
            errors,
            ..PageExtras::default()
        },
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[derive(Deserialize)]
pub struct ScheduleForm {
    #[serde(default)]
    publish_at: String,
}

pub async fn schedule(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<ScheduleForm>,
) -> Result<Response, WebError> {
    let (page, _) = permitted_page(&state, &staff, id, |_| Action::Schedule).await?;
    let zone = Zone::load(&state).await?;
    let outcome = articles::schedule(
        state.ctx(),
        &staff.as_actor(),
        id,
        PublishTime::Local(form.publish_at.clone()),
        Timestamp::now(),
    )
    .await
    .map(|scheduled| (scheduled.article, scheduled.notice))
    .map_err(|error| match error {
        UseCaseError::Refused(refusals) => Ok(refusals.to_string()),
        other => Err(other),
    });
    let (article, extras, status) = match outcome {
        Ok((article, notice)) => {
            let notice = format!(
                "Scheduled for {}.{}",
                article
                    .scheduled_for
                    .map(|t| zone.display(t))
                    .unwrap_or_default(),
                notice.map(|n| format!(" {n}")).unwrap_or_default()
            );
            (
                article,
                PageExtras {
                    notice: Some(notice),
                    ..PageExtras::default()
                },
                StatusCode::OK,
            )
        }
        Err(Ok(message)) => (
            page.article.clone(),
            PageExtras {
                schedule_value: Some(form.publish_at.clone()),
                schedule_error: Some(message),
                ..PageExtras::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(Err(error)) => return Err(error.into()),
    };
    let mut fields = ArticleFields::from_article(&page);
    fields.expected_version = article.version.to_string();
    form_page(
        &state,
        &staff,
        &csrf,
        Some(&article),
        &fields,
        extras,
        status,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Notes

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    tip: Option<i64>,
}

async fn correction_request(
    state: &AppState,
    staff: &CurrentStaff,
    tip: Option<i64>,
    article_id: i64,
) -> Result<Option<i64>, WebError> {
    Ok(articles::correction_request(state.ctx(), &staff.as_actor(), tip, article_id).await?)
}

pub async fn add_note(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<NoteForm>,
) -> Result<Response, WebError> {
    let (page, _) = permitted_page(&state, &staff, id, |_| Action::AddUpdateNote).await?;
    let added = articles::add_note(
        state.ctx(),
        &staff.as_actor(),
        id,
        &form.kind,
        &form.text,
        form.tip,
        Timestamp::now(),
    )
    .await;
    match added {
        Ok(note) => {
            let page = state
                .store()
                .articles()
                .article_page(id)
                .await?
                .unwrap_or(page);
            let extras = PageExtras {
                notice: Some(format!("{} added.", note.kind.label())),
                ..PageExtras::default()
            };
            form_page(
                &state,
                &staff,
                &csrf,
                Some(&page.article),
                &ArticleFields::from_article(&page),
                extras,
                StatusCode::OK,
            )
            .await
        }
        Err(UseCaseError::Refused(refusals)) => {
            let extras = PageExtras {
                note_kind: form.kind.clone(),
                note_text: form.text.clone(),
                note_error: Some(refusals.to_string()),
                note_tip: form.tip,
                ..PageExtras::default()
            };
            form_page(
                &state,
                &staff,
                &csrf,
                Some(&page.article),
                &ArticleFields::from_article(&page),
                extras,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(error) => Err(error.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Revisions

#[derive(Deserialize, Default)]
pub struct CompareQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    stale: String,
}

pub async fn revisions(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Query(query): Query<CompareQuery>,
) -> Result<Response, WebError> {
    let store = state.store();
    let article = store
        .articles()
        .by_id(id)
        .await?
        .ok_or(WebError::NotFound)?;
    let owns = store.articles().owned_by(id, owner(&staff)).await?;
    staff.require_on(Action::UseRevisions, owns)?;
    let zone = Zone::load(&state).await?;
    let list = store.articles().revisions(id).await?;
    let comparison = match (query.from.parse::<i64>(), query.to.parse::<i64>()) {
        (Ok(from), Ok(to)) => match store.articles().compare_revisions(id, from, to).await {
            Ok(diff) => Some(json!({ "from": from, "to": to, "diff": diff })),
            Err(DbError::NotFound) => return Err(WebError::NotFound),
            Err(error) => return Err(error.into()),
        },
        _ => None,
    };
    render(
        &state,
        Some(&staff),
        &csrf,
        "newsroom/article_revisions.html",
        StatusCode::OK,
        json!({
            "article": { "id": id, "headline": article.headline, "version": article.version },
            "revisions": list.iter().map(|r| json!({
                "number": r.number,
                "saved_by": r.saved_by.name,
                "saved_at": zone.display(r.saved_at),
                "restored_from": r.restored_from,
                "headline": r.headline,
            })).collect::<Vec<_>>(),
            "comparison": comparison,
            "stale": query.stale == "1",
            "may_restore": staff.may(edit_action(article.status), owns),
        }),
    )
    .await
}

#[derive(Deserialize)]
pub struct RestoreForm {
    #[serde(default)]
    expected_version: String,
}

pub async fn restore(
    State(state): State<AppState>,
    staff: CurrentStaff,
    Path((id, number)): Path<(i64, i64)>,
    axum::Form(form): axum::Form<RestoreForm>,
) -> Result<Response, WebError> {
    let expected = form.expected_version.parse::<i64>().unwrap_or(-1);
    match articles::restore_revision(
        state.ctx(),
        &staff.as_actor(),
        id,
        number,
        expected,
        Timestamp::now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/newsroom/articles/{id}/edit?saved=1")).into_response()),
        // Someone saved after the history was opened: show it again, with what changed.
        Err(UseCaseError::Conflict { .. }) => {
            Ok(Redirect::to(&format!("/newsroom/articles/{id}/revisions?stale=1")).into_response())
        }
        Err(error) => Err(error.into()),
    }
}
