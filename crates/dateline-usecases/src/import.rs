//! Imports: a plan read from a WordPress, Ghost or Disqus export (`dateline_import`) written into
//! the newsroom, one item per transaction, through the same rules as anything typed by hand.
//!
//! Articles go through the article rules of [`crate::articles`] (headline, slug, standfirst and
//! body limits, byline, tags) and pages through those of [`crate::pages`]; only their status and
//! original dates are kept as the old site had them, which no newsroom door allows. Pictures
//! found in the `--uploads`/`--content` folder enter the library through [`crate::library`]'s
//! upload, before the articles and pages that show them: a featured image becomes the article's
//! hero, and a body's address of an imported picture is rewritten to the library's copy. Every item is remembered by its stable id in the old
//! system, so a second run of the same export updates what the first wrote and never duplicates
//! it. An item the rules turn away is skipped with its reason; the run goes on.

use std::collections::{BTreeMap, HashMap};

use dateline_core::comments::{
    BODY_MAX_CHARS, CommentError, CommentStatus, NAME_MAX_CHARS, check_body, check_display_name,
};
use dateline_core::refusal::limits;
use dateline_core::{
    Action, ArticleRefusal, ArticleStatus, PageStatus, Role, StaticPage, paths, slug,
};
use dateline_db::{
    ArticleInput, AuthorInput, DbError, Imported, ImportedComment, LibraryImage, NewStaff,
    PageInput, RedirectTo, SectionInput,
};
use dateline_import::plan::{
    self, CommentState, ItemKind, NotImported, Outcome, Plan, RedirectTarget, Source, SourceId,
    Warning,
};
use dateline_storage::ImageLimits;
use jiff::Timestamp;
use serde::Serialize;

use crate::articles::{ArticleChanges, AuthorChoice, SectionChoice};
use crate::library::{self, ImageWords};
use crate::pages::PageChanges;
use crate::{Actor, Context, UseCaseError};

/// The section an article without a category files into.
const FALLBACK_SECTION: (&str, &str) = ("archive", "Archive");

/// What a run did (or, dry, would do), item by item: the report file.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub source: Source,
    pub dry_run: bool,
    /// By kind: how many were created, updated, left unchanged, skipped (or, dry, would be).
    pub counts: BTreeMap<&'static str, KindCounts>,
    pub items: Vec<ItemOutcome>,
    /// What reading the export noticed (placeholders, flattened categories, missing images).
    pub warnings: Vec<Warning>,
    pub not_imported: Vec<NotImported>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KindCounts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub skipped: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemOutcome {
    pub kind: ItemKind,
    pub source_id: SourceId,
    pub title: String,
    /// `created`, `updated`, `unchanged` or `skipped`; dry, `would_create` or `would_update`.
    pub outcome: &'static str,
    /// Where it is on the site now, if readers can see it there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What was changed to make it fit (a headline cut to the limit, tags beyond the limit).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl ImportReport {
    fn new(plan: &Plan, dry_run: bool) -> Self {
        let mut report = Self {
            source: plan.source,
            dry_run,
            counts: BTreeMap::new(),
            items: Vec::new(),
            warnings: plan.report.warnings.clone(),
            not_imported: plan.report.not_imported.clone(),
        };
        // What reading the export already left out.
        for item in &plan.report.items {
            if let Outcome::Skipped(reason) = &item.outcome {
                report.skip(item.kind, &item.source_id, &item.title, reason.clone());
            }
        }
        report
    }

    /// How many items of `kind` ended `outcome` (`created`, `updated`, `unchanged`, `skipped`).
    pub fn count(&self, kind: ItemKind, outcome: &str) -> usize {
        self.counts.get(kind.as_str()).map_or(0, |c| match outcome {
            "created" | "would_create" => c.created,
            "updated" | "would_update" => c.updated,
            "unchanged" => c.unchanged,
            "skipped" => c.skipped,
            _ => 0,
        })
    }

    fn record(
        &mut self,
        kind: ItemKind,
        source_id: &SourceId,
        title: &str,
        outcome: &'static str,
        url: Option<String>,
        reason: Option<String>,
    ) {
        let counts = self.counts.entry(kind.as_str()).or_default();
        match outcome {
            "created" | "would_create" => counts.created += 1,
            "updated" | "would_update" => counts.updated += 1,
            "unchanged" => counts.unchanged += 1,
            _ => counts.skipped += 1,
        }
        self.items.push(ItemOutcome {
            kind,
            source_id: source_id.clone(),
            title: title.to_owned(),
            outcome,
            url,
            reason,
            notes: Vec::new(),
        });
    }

    fn done(&mut self, kind: ItemKind, source_id: &SourceId, title: &str, imported: Imported) {
        self.record(kind, source_id, title, imported.as_str(), None, None);
    }

    fn skip(&mut self, kind: ItemKind, source_id: &SourceId, title: &str, reason: String) {
        self.record(kind, source_id, title, "skipped", None, Some(reason));
    }

    /// Reports one item's write, done or skipped with its reason; what was written, if it was.
    fn written(
        &mut self,
        kind: ItemKind,
        source_id: &SourceId,
        title: &str,
        outcome: Result<Imported, UseCaseError>,
    ) -> Option<Imported> {
        match outcome {
            Ok(imported) => {
                self.done(kind, source_id, title, imported);
                Some(imported)
            }
            Err(error) => {
                self.skip(kind, source_id, title, reason(error));
                None
            }
        }
    }

    fn set_url(&mut self, url: String) {
        if let Some(last) = self.items.last_mut() {
            last.url = Some(url);
        }
    }
}

/// How many items a run writes, for a progress bar.
pub fn item_count(plan: &Plan) -> usize {
    plan.sections.len()
        + plan.authors.len()
        + plan.readers.len()
        + plan.articles.len()
        + plan
            .articles
            .iter()
            .map(|a| a.comments.len() + a.live.as_ref().map_or(0, |l| l.entries.len()))
            .sum::<usize>()
        + plan.threads.len()
        + plan.threads.iter().map(|t| t.comments.len()).sum::<usize>()
        + plan.pages.len()
        + plan.images.len()
        + plan.redirects.len()
}

/// What a run would do, writing nothing: each item the plan holds, and whether it would be
/// created or would update what an earlier run imported.
pub async fn preview(ctx: &Context, plan: &Plan) -> Result<ImportReport, UseCaseError> {
    let mut report = ImportReport::new(plan, true);
    let mut items: Vec<(ItemKind, &SourceId, &str)> = Vec::new();
    items.extend(
        plan.sections
            .iter()
            .map(|s| (ItemKind::Section, &s.source_id, s.name.as_str())),
    );
    items.extend(
        plan.authors
            .iter()
            .map(|a| (ItemKind::Author, &a.source_id, a.name.as_str())),
    );
    items.extend(
        plan.readers
            .iter()
            .map(|r| (ItemKind::Reader, &r.source_id, r.name.as_str())),
    );
    for article in &plan.articles {
        items.push((ItemKind::Article, &article.source_id, &article.headline));
        items.extend(article.live.iter().flat_map(|live| {
            live.entries
                .iter()
                .map(|e| (ItemKind::LiveEntry, &e.source_id, e.author_name.as_str()))
        }));
        items.extend(
            article
                .comments
                .iter()
                .map(|c| (ItemKind::Comment, &c.source_id, c.author_name.as_str())),
        );
    }
    for thread in &plan.threads {
        items.push((ItemKind::Thread, &thread.source_id, &thread.title));
        items.extend(
            thread
                .comments
                .iter()
                .map(|c| (ItemKind::Comment, &c.source_id, c.author_name.as_str())),
        );
    }
    items.extend(
        plan.pages
            .iter()
            .map(|p| (ItemKind::Page, &p.source_id, p.title.as_str())),
    );
    items.extend(
        plan.images
            .iter()
            .map(|i| (ItemKind::Image, &i.source_id, image_title(i))),
    );
    for (kind, source_id, title) in items {
        let before = ctx.store.imports().entity(source_id.as_str()).await?;
        let outcome = if before.is_some() {
            "would_update"
        } else {
            "would_create"
        };
        report.record(kind, source_id, title, outcome, None, None);
    }
    for redirect in &plan.redirects {
        let id = SourceId(redirect.from.clone());
        report.record(
            ItemKind::Redirect,
            &id,
            &redirect.from,
            "would_create",
            None,
            None,
        );
    }
    Ok(report)
}

/// What the run has imported so far: the old system's ids to the new ones.
#[derive(Default)]
struct Written {
    sections: HashMap<SourceId, (i64, String)>,
    authors: HashMap<SourceId, i64>,
    readers: HashMap<SourceId, i64>,
    articles: HashMap<SourceId, i64>,
    /// Each comment's id and, when this run wrote it, where it sits in its thread.
    comments: HashMap<SourceId, (i64, Option<dateline_db::ThreadPlace>)>,
    pages: HashMap<SourceId, i64>,
    /// Each picture's library id and the address a body shows it at.
    images: HashMap<SourceId, (i64, String)>,
}

/// Writes `plan` into the newsroom as `actor`, each item in its own transaction, reporting
/// every item's outcome. `progress(done, total)` is called after each item.
pub async fn run(
    ctx: &Context,
    actor: &Actor,
    plan: &Plan,
    now: Timestamp,
    mut progress: impl FnMut(usize, usize),
) -> Result<ImportReport, UseCaseError> {
    // An import writes everything a newsroom has; only the platform (the command line) and an
    // admin may.
    for action in [
        Action::ManageSections,
        Action::ManageUsers,
        Action::Publish,
        Action::EditPublished,
        Action::EditOthersByline,
        Action::ModerateComments,
        Action::ManagePages,
        Action::UploadImages,
        Action::RunLiveCoverage,
    ] {
        actor.require(action, false)?;
    }
    let total = item_count(plan);
    let mut done = 0;
    let mut tick = |progress: &mut dyn FnMut(usize, usize)| {
        done += 1;
        progress(done, total);
    };
    let mut report = ImportReport::new(plan, false);
    let mut ids = Written::default();
    let imports = ctx.store.imports();

    for section in &plan.sections {
        let mut slug = section.slug.clone();
        if paths::RESERVED_SECTION_SLUGS.contains(&slug.as_str()) {
            slug = format!("{slug}-section");
        }
        let input = SectionInput {
            slug: slug.clone(),
            name: non_blank(&section.name, &section.slug),
            description: section.description.clone(),
            position: 0,
        };
        let outcome = imports
            .section(section.source_id.as_str(), &input, now)
            .await
            .map_err(UseCaseError::from);
        if let Some(imported) = report.written(
            ItemKind::Section,
            &section.source_id,
            &section.name,
            outcome,
        ) {
            ids.sections
                .insert(section.source_id.clone(), (imported.id(), slug.clone()));
            report.set_url(paths::section(&slug));
        }
        tick(&mut progress);
    }

    for author in &plan.authors {
        let input = AuthorInput {
            slug: author.slug.clone(),
            name: non_blank(&author.name, &author.slug),
            role: String::new(),
            bio: author.bio.clone(),
        };
        let staff = author.email.as_ref().map(|email| NewStaff {
            email: email.clone(),
            display_name: input.name.clone(),
            role: Role::Author,
            password_hash: None,
            author_id: None,
        });
        let source = author.source_id.as_str();
        let outcome = match imports.author(source, &input, staff.as_ref(), now).await {
            // An address that is no address: the profile comes without a staff account.
            Err(DbError::Invalid(_)) if staff.is_some() => {
                imports.author(source, &input, None, now).await
            }
            other => other,
        };
        let outcome = outcome.map_err(UseCaseError::from);
        if let Some(imported) =
            report.written(ItemKind::Author, &author.source_id, &author.name, outcome)
        {
            ids.authors.insert(author.source_id.clone(), imported.id());
        }
        tick(&mut progress);
    }

    for reader in &plan.readers {
        let email = reader
            .email
            .clone()
            .filter(|e| e.contains('@'))
            .unwrap_or_else(|| unreachable_address(&reader.source_id));
        let name = reader_name(&reader.name);
        let source = reader.source_id.as_str();
        let outcome = match imports.reader(source, &email, &name, now).await {
            // The old site let in an address this one does not take: the comments still come,
            // under a profile nobody can claim.
            Err(DbError::Invalid(_)) => {
                let email = unreachable_address(&reader.source_id);
                imports.reader(source, &email, &name, now).await
            }
            other => other,
        };
        let outcome = outcome.map_err(UseCaseError::from);
        if let Some(imported) =
            report.written(ItemKind::Reader, &reader.source_id, &reader.name, outcome)
        {
            ids.readers.insert(reader.source_id.clone(), imported.id());
        }
        tick(&mut progress);
    }

    // Pictures before what shows them: heroes and body addresses need their library ids.
    for image in &plan.images {
        let title = image_title(image);
        match import_image(ctx, actor, plan, image, now).await {
            Ok((imported, item, notes)) => {
                report.done(ItemKind::Image, &image.source_id, title, imported);
                if let Some(last) = report.items.last_mut() {
                    last.notes = notes;
                    last.url = body_address(&item.image);
                }
                if let Some(address) = body_address(&item.image) {
                    ids.images
                        .insert(image.source_id.clone(), (item.image.id, address));
                }
            }
            Err(why) => report.skip(ItemKind::Image, &image.source_id, title, why),
        }
        tick(&mut progress);
    }

    let tag_names: HashMap<&SourceId, &str> = plan
        .tags
        .iter()
        .map(|t| (&t.source_id, t.name.as_str()))
        .collect();
    // The site's language for every article: read once, not once per article.
    let language = ctx.store.site().settings().await?.language;
    for article in &plan.articles {
        let written =
            import_article(ctx, actor, article, &mut ids, &tag_names, &language, now).await;
        match written {
            Ok((imported, url, notes)) => {
                ids.articles
                    .insert(article.source_id.clone(), imported.id());
                report.done(
                    ItemKind::Article,
                    &article.source_id,
                    &article.headline,
                    imported,
                );
                if let Some(last) = report.items.last_mut() {
                    last.url = url;
                    last.notes = notes;
                }
            }
            Err(error) => report.skip(
                ItemKind::Article,
                &article.source_id,
                &article.headline,
                reason(error),
            ),
        }
        tick(&mut progress);
        let article_id = ids.articles.get(&article.source_id).copied();
        if let Some(live) = &article.live {
            let url = report.items.last().and_then(|i| i.url.clone());
            let place = article_id.map(|id| (id, url));
            let authors = byline_names(plan, article, &ids);
            import_live(
                ctx,
                live,
                place,
                &authors,
                &ids,
                &mut report,
                now,
                &mut || tick(&mut progress),
            )
            .await;
        }
        for comment in &article.comments {
            import_comment(ctx, comment, article_id, &mut ids, &mut report, now).await;
            tick(&mut progress);
        }
    }

    for thread in &plan.threads {
        let article_id = match thread_article(ctx, &thread.path).await? {
            Some(id) => {
                report.record(
                    ItemKind::Thread,
                    &thread.source_id,
                    &thread.title,
                    "unchanged",
                    Some(thread.path.clone()),
                    None,
                );
                Some(id)
            }
            None => {
                report.skip(
                    ItemKind::Thread,
                    &thread.source_id,
                    &thread.title,
                    format!("no article answers to {}", thread.url),
                );
                None
            }
        };
        tick(&mut progress);
        for comment in &thread.comments {
            import_comment(ctx, comment, article_id, &mut ids, &mut report, now).await;
            tick(&mut progress);
        }
    }

    let page_titles: HashMap<&SourceId, &plan::Page> =
        plan.pages.iter().map(|p| (&p.source_id, p)).collect();
    for page in &plan.pages {
        match import_page(ctx, actor, page, &page_titles, &ids, now).await {
            Ok((imported, stored, notes)) => {
                ids.pages.insert(page.source_id.clone(), imported.id());
                report.done(ItemKind::Page, &page.source_id, &page.title, imported);
                if let Some(last) = report.items.last_mut() {
                    last.notes = notes;
                    last.url = (stored.status == PageStatus::Published).then(|| stored.path());
                }
            }
            Err(error) => report.skip(ItemKind::Page, &page.source_id, &page.title, reason(error)),
        }
        tick(&mut progress);
    }

    // Old addresses go in together, a batch at a time (`Imports::redirects`); a batch the store
    // refuses is written again one address at a time, so only the bad one is skipped.
    let mut batch: Vec<(&str, RedirectTo)> = Vec::with_capacity(REDIRECT_BATCH);
    for redirect in &plan.redirects {
        match redirect_target(ctx, &redirect.to, &ids, &tag_names).await? {
            Ok(to) => batch.push((&redirect.from, to)),
            Err(why) => {
                let id = SourceId(redirect.from.clone());
                report.skip(ItemKind::Redirect, &id, &redirect.from, why);
                tick(&mut progress);
            }
        }
        if batch.len() == REDIRECT_BATCH {
            write_redirects(ctx, &batch, &mut report, now).await;
            batch.iter().for_each(|_| tick(&mut progress));
            batch.clear();
        }
    }
    write_redirects(ctx, &batch, &mut report, now).await;
    batch.iter().for_each(|_| tick(&mut progress));
    Ok(report)
}

/// Old addresses written in one transaction.
const REDIRECT_BATCH: usize = 1_000;

/// Writes `batch` of old addresses together, or, when the store refuses the batch, one at a
/// time so that only the address at fault is skipped with its reason.
async fn write_redirects(
    ctx: &Context,
    batch: &[(&str, RedirectTo)],
    report: &mut ImportReport,
    now: Timestamp,
) {
    let imports = ctx.store.imports();
    let together = imports.redirects(batch, now).await;
    for &(from, to) in batch {
        let id = SourceId(from.to_owned());
        let written = match &together {
            Ok(()) => Ok(()),
            Err(_) => imports.redirect(from, to, now).await,
        };
        match written {
            Ok(()) => report.record(ItemKind::Redirect, &id, from, "created", None, None),
            Err(error) => report.skip(ItemKind::Redirect, &id, from, reason(error.into())),
        }
    }
}

/// One article through the newsroom's article rules, with the old site's status and dates.
/// Answers what became of it, its public address, and a note for the report.
async fn import_article(
    ctx: &Context,
    actor: &Actor,
    article: &plan::Article,
    ids: &mut Written,
    tag_names: &HashMap<&SourceId, &str>,
    language: &str,
    now: Timestamp,
) -> Result<(Imported, Option<String>, Vec<String>), UseCaseError> {
    let mut notes = Vec::new();
    let (section_id, section_slug) =
        match article.section.as_ref().and_then(|s| ids.sections.get(s)) {
            Some(found) => found.clone(),
            None => fallback_section(ctx, ids, now).await?,
        };
    let mut authors = Vec::new();
    for source in &article.authors {
        match ids.authors.get(source) {
            Some(id) if !authors.contains(&AuthorChoice::Id(*id)) => {
                authors.push(AuthorChoice::Id(*id));
            }
            Some(_) => {}
            None => {
                return Err(UseCaseError::refused(ArticleRefusal::AuthorUnknown));
            }
        }
    }
    let mut tags: Vec<String> = article
        .tags
        .iter()
        .filter_map(|t| tag_names.get(t).map(|name| (*name).to_owned()))
        .collect();
    if tags.len() > limits::TAGS {
        notes.push(format!(
            "{} tags: the first {} kept",
            tags.len(),
            limits::TAGS
        ));
        tags.truncate(limits::TAGS);
    }
    // An address the old site made that the newsroom's rules do not take: one from the headline.
    let slug = if slug::is_valid_slug(&article.slug) {
        article.slug.clone()
    } else if !slug::slugify(&article.headline).is_empty() {
        notes.push(format!("address {:?} made from the headline", article.slug));
        String::new()
    } else {
        let made = format!(
            "imported-{}",
            slug::slugify(source_tail(&article.source_id))
        );
        notes.push(format!(
            "address {:?} made from the old id: {made}",
            article.slug
        ));
        made
    };
    let fields = ArticleChanges {
        section: Some(SectionChoice::Id(section_id)),
        headline: Some(fit(
            &article.headline,
            limits::HEADLINE_CHARS,
            "headline",
            &mut notes,
        )),
        slug: Some(slug),
        standfirst: Some(fit(
            &article.standfirst,
            limits::STANDFIRST_CHARS,
            "standfirst",
            &mut notes,
        )),
        body: Some(with_library_addresses(&article.body, ids)),
        dateline_place: None,
        hero_image: Some(hero_of(article, ids, &mut notes)),
        authors: Some(authors),
        tags: Some(tags),
        language: None,
        comments_open: Some(article.comments_open),
    };
    // A scheduled article is written as a draft and then scheduled, as the newsroom does it.
    let status = article.status;
    let base = ArticleInput {
        section_id,
        slug: String::new(),
        headline: String::new(),
        standfirst: String::new(),
        body: String::new(),
        dateline_place: None,
        hero_image_id: None,
        author_ids: Vec::new(),
        tags: Vec::new(),
        language: language.to_owned(),
        comments_open: true,
        status,
        first_published_at: article.published_at.filter(|_| {
            matches!(
                status,
                ArticleStatus::Published | ArticleStatus::Unpublished
            )
        }),
        updated_at: article.updated_at.or(article.published_at),
    };
    let mut input = crate::articles::merge(ctx, actor, fields, base, &[], true).await?;
    let source = article.source_id.as_str();
    let imported = match ctx
        .store
        .imports()
        .article(source, &input, &actor.audit(), now)
        .await
    {
        // Another article of the section has the address: this one gets the old id after it.
        Err(DbError::Duplicate(_)) => {
            let suffix = slug::slugify(source_tail(&article.source_id));
            input.slug = format!("{}-{suffix}", input.slug);
            ctx.store
                .imports()
                .article(source, &input, &actor.audit(), now)
                .await?
        }
        other => other?,
    };
    if article.status == ArticleStatus::Scheduled {
        match article.published_at {
            Some(at) if at > now => {
                let current = ctx.store.articles().by_id(imported.id()).await?;
                if current.map(|a| a.status) != Some(ArticleStatus::Scheduled) {
                    ctx.store
                        .articles()
                        .schedule(imported.id(), at, &actor.audit(), now)
                        .await?;
                }
            }
            _ => notes.push("scheduled for a time that has passed: kept as a draft".to_owned()),
        }
    }
    let url = (input.status == ArticleStatus::Published)
        .then(|| paths::article(&section_slug, &input.slug));
    Ok((imported, url, notes))
}

/// The author ids of an article's bylines, by the names the old site showed them under.
fn byline_names(plan: &Plan, article: &plan::Article, ids: &Written) -> HashMap<String, i64> {
    article
        .authors
        .iter()
        .filter_map(|source| {
            let author = plan.authors.iter().find(|a| &a.source_id == source)?;
            Some((author.name.trim().to_owned(), *ids.authors.get(source)?))
        })
        .collect()
}

/// An article's live coverage: the article becomes live coverage as the old site ran it, and
/// each entry goes in with its time and byline, checked by the live desk's rules. `place` is
/// the article's id and public address, when it was imported.
#[allow(clippy::too_many_arguments)]
async fn import_live(
    ctx: &Context,
    live: &plan::LiveCoverage,
    place: Option<(i64, Option<String>)>,
    bylines: &HashMap<String, i64>,
    ids: &Written,
    report: &mut ImportReport,
    now: Timestamp,
    tick: &mut impl FnMut(),
) {
    let skip_all = |report: &mut ImportReport, why: &str| {
        for entry in &live.entries {
            report.skip(
                ItemKind::LiveEntry,
                &entry.source_id,
                &entry.author_name,
                why.to_owned(),
            );
        }
    };
    let Some((article_id, url)) = place else {
        skip_all(report, "its article was not imported");
        live.entries.iter().for_each(|_| tick());
        return;
    };
    let ended_at = live.ended.then(|| {
        live.entries
            .iter()
            .filter_map(|e| e.posted_at)
            .max()
            .unwrap_or(now)
    });
    if let Err(error) = ctx
        .store
        .imports()
        .live_coverage(article_id, ended_at, now)
        .await
    {
        skip_all(report, &reason(error.into()));
        live.entries.iter().for_each(|_| tick());
        return;
    }
    for entry in &live.entries {
        let written = import_entry(ctx, entry, article_id, bylines, ids, now).await;
        match written {
            Ok((imported, notes)) => {
                report.done(
                    ItemKind::LiveEntry,
                    &entry.source_id,
                    &entry.author_name,
                    imported,
                );
                if let Some(last) = report.items.last_mut() {
                    last.notes = notes;
                    last.url = url.as_ref().map(|url| {
                        format!("{url}#{}", dateline_core::live::entry_anchor(imported.id()))
                    });
                }
            }
            Err(error) => report.skip(
                ItemKind::LiveEntry,
                &entry.source_id,
                &entry.author_name,
                reason(error),
            ),
        }
        tick();
    }
}

/// One live entry through the live desk's text rules. A headline over the limit is cut and an
/// entry longer than the desk takes now comes whole, as the old site published it; both noted.
async fn import_entry(
    ctx: &Context,
    entry: &plan::LiveEntry,
    article_id: i64,
    bylines: &HashMap<String, i64>,
    ids: &Written,
    now: Timestamp,
) -> Result<(Imported, Vec<String>), UseCaseError> {
    let mut notes = Vec::new();
    let headline = entry.headline.as_deref().map_or(String::new(), |h| {
        fit(
            &h.replace(['\n', '\r'], " "),
            dateline_core::live::limits::HEADLINE_CHARS,
            "headline",
            &mut notes,
        )
    });
    let body = with_library_addresses(&entry.body, ids);
    let text = dateline_core::live::EntryText {
        headline,
        body: body.clone(),
        embed_url: String::new(),
    };
    let checked = match dateline_core::live::check_entry(&text) {
        Ok(checked) => checked,
        Err(refusals)
            if refusals
                .iter()
                .all(|r| matches!(r, dateline_core::LiveRefusal::BodyTooLong { .. })) =>
        {
            notes.push(format!(
                "{} characters, over the {} the live desk takes now: kept whole",
                body.trim().chars().count(),
                dateline_core::live::limits::BODY_CHARS
            ));
            dateline_core::live::CheckedEntry {
                headline: Some(text.headline.trim().to_owned()).filter(|h| !h.is_empty()),
                body: body.trim().to_owned(),
                embed_url: None,
            }
        }
        Err(refusals) => {
            let refused = refusals
                .into_iter()
                .map(dateline_core::Refusal::from)
                .collect();
            return Err(match dateline_core::Refusals::from_list(refused) {
                Some(refusals) => UseCaseError::Refused(refusals),
                None => UseCaseError::refused(dateline_core::LiveRefusal::BodyMissing),
            });
        }
    };
    let input = dateline_db::ImportedEntry {
        headline: checked.headline,
        body: checked.body,
        key_event: entry.key_event,
        author_id: bylines.get(entry.author_name.trim()).copied(),
        posted_by_name: shown_name(&entry.author_name),
        posted_at: entry.posted_at.unwrap_or(now),
    };
    let imported = ctx
        .store
        .imports()
        .live_entry(entry.source_id.as_str(), article_id, &input, now)
        .await?;
    Ok((imported, notes))
}

/// The name an entry was posted under, as the old site showed it: trimmed, cut to a headline's
/// length, "Staff" when blank.
fn shown_name(name: &str) -> String {
    let name: String = name.trim().chars().take(limits::HEADLINE_CHARS).collect();
    if name.is_empty() {
        "Staff".to_owned()
    } else {
        name
    }
}

/// The section for articles the old site filed nowhere.
async fn fallback_section(
    ctx: &Context,
    ids: &mut Written,
    now: Timestamp,
) -> Result<(i64, String), UseCaseError> {
    let source = SourceId("import:section:fallback".to_owned());
    if let Some(found) = ids.sections.get(&source) {
        return Ok(found.clone());
    }
    let (slug, name) = FALLBACK_SECTION;
    let input = SectionInput {
        slug: slug.to_owned(),
        name: name.to_owned(),
        description: String::new(),
        position: 0,
    };
    let imported = ctx
        .store
        .imports()
        .section(source.as_str(), &input, now)
        .await?;
    let found = (imported.id(), slug.to_owned());
    ids.sections.insert(source, found.clone());
    Ok(found)
}

async fn import_comment(
    ctx: &Context,
    comment: &plan::Comment,
    article_id: Option<i64>,
    ids: &mut Written,
    report: &mut ImportReport,
    now: Timestamp,
) {
    let title = comment.author_name.as_str();
    let skip = |report: &mut ImportReport, why: String| {
        report.skip(ItemKind::Comment, &comment.source_id, title, why);
    };
    let Some(article_id) = article_id else {
        return skip(report, "its article was not imported".into());
    };
    let Some(&reader_id) = ids.readers.get(&comment.reader) else {
        return skip(report, "its author was not imported".into());
    };
    let (parent_id, parent_place) = match &comment.parent {
        None => (None, None),
        Some(parent) => match ids.comments.get(parent) {
            Some(&(id, place)) => (Some(id), place),
            None => return skip(report, "the comment it answers was not imported".into()),
        },
    };
    // The limit on what a reader may post now does not unmake what the old site published:
    // a longer comment comes whole, and the report says so. An empty one has nothing to show.
    let mut notes = Vec::new();
    let body = match check_body(&comment.body_markdown) {
        Ok(body) => body.to_owned(),
        Err(CommentError::BodyTooLong(chars)) => {
            notes.push(format!(
                "{chars} characters, over the {BODY_MAX_CHARS} readers may post now: kept whole"
            ));
            comment.body_markdown.trim().to_owned()
        }
        Err(error) => return skip(report, error.to_string()),
    };
    let (status, reject_reason) = match comment.state {
        CommentState::Approved => (CommentStatus::Approved, None),
        CommentState::Pending => (CommentStatus::Pending, None),
        CommentState::Spam => (
            CommentStatus::Rejected,
            Some("marked as spam on the old site".to_owned()),
        ),
        CommentState::Trash | CommentState::Deleted => (CommentStatus::Deleted, None),
    };
    let input = ImportedComment {
        article_id,
        parent_id,
        parent_place,
        reader_id,
        body,
        status,
        reject_reason,
        created_at: comment.posted_at.unwrap_or(now),
    };
    match ctx
        .store
        .imports()
        .comment(comment.source_id.as_str(), &input, now)
        .await
    {
        Ok((imported, place)) => {
            ids.comments
                .insert(comment.source_id.clone(), (imported.id(), place));
            report.done(ItemKind::Comment, &comment.source_id, title, imported);
            if let Some(last) = report.items.last_mut() {
                last.notes = notes;
            }
        }
        Err(error) => skip(report, reason(error.into())),
    }
}

/// The article a Disqus thread was about: by the old address an import redirects, or by the
/// article's own address on this site.
async fn thread_article(ctx: &Context, path: &str) -> Result<Option<i64>, UseCaseError> {
    let store = &ctx.store;
    let found = match store.imports().moved_to(path).await? {
        Some(dateline_db::MovedTo::Article { section, slug }) => Some((section, slug)),
        _ => {
            let mut parts = path.trim_matches('/').split('/');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(section), Some(slug), None) => Some((section.to_owned(), slug.to_owned())),
                _ => None,
            }
        }
    };
    let Some((section, slug)) = found else {
        return Ok(None);
    };
    Ok(
        match store.articles().published_at(&section, &slug).await? {
            dateline_db::ArticleLookup::Found(page) => Some(page.article.id),
            _ => None,
        },
    )
}

/// Where an old address points, or why it cannot.
async fn redirect_target(
    ctx: &Context,
    to: &RedirectTarget,
    ids: &Written,
    tag_names: &HashMap<&SourceId, &str>,
) -> Result<Result<RedirectTo, String>, UseCaseError> {
    let not_imported = |what: &str| Err(format!("its {what} was not imported"));
    Ok(match to {
        RedirectTarget::Article(source) => match ids.articles.get(source) {
            Some(&id) => Ok(RedirectTo::Article(id)),
            None => not_imported("article"),
        },
        RedirectTarget::Page(source) => match ids.pages.get(source) {
            Some(&id) => Ok(RedirectTo::Page(id)),
            None => not_imported("page"),
        },
        RedirectTarget::Section(source) => match ids.sections.get(source) {
            Some(&(id, _)) => Ok(RedirectTo::Section(id)),
            None => not_imported("section"),
        },
        RedirectTarget::SectionFeed(source) => match ids.sections.get(source) {
            Some(&(id, _)) => Ok(RedirectTo::SectionFeed(id)),
            None => not_imported("section"),
        },
        RedirectTarget::Author(source) => match ids.authors.get(source) {
            Some(&id) => Ok(RedirectTo::Author(id)),
            None => not_imported("author"),
        },
        RedirectTarget::AuthorFeed(source) => match ids.authors.get(source) {
            Some(&id) => Ok(RedirectTo::AuthorFeed(id)),
            None => not_imported("author"),
        },
        // Dateline has no feed per tag: its subscribers land on the tag's page.
        RedirectTarget::Tag(source) | RedirectTarget::TagFeed(source) => {
            tag_target(ctx, tag_names.get(source).copied()).await?
        }
        RedirectTarget::SiteFeed => Ok(RedirectTo::SiteFeed),
    })
}

/// The tag named `name`, made by the imported articles that carry it.
async fn tag_target(
    ctx: &Context,
    name: Option<&str>,
) -> Result<Result<RedirectTo, String>, UseCaseError> {
    let Some(name) = name else {
        return Ok(Err("its tag was not imported".to_owned()));
    };
    Ok(match ctx.store.imports().tag_named(name).await? {
        Some(id) => Ok(RedirectTo::Tag(id)),
        None => Err("no imported article has its tag".to_owned()),
    })
}

/// How the report names a picture: its title, or the address it had.
fn image_title(image: &plan::Image) -> &str {
    if image.title.trim().is_empty() {
        &image.url
    } else {
        &image.title
    }
}

/// One picture into the library from the pictures' folder, with its words; what became of it,
/// the library entry, and notes for the report. A picture imported before keeps its library id
/// and is brought up to date: a changed file replaces the old one, changed words replace
/// the old ones unless the newsroom has edited them since.
async fn import_image(
    ctx: &Context,
    actor: &Actor,
    plan: &Plan,
    image: &plan::Image,
    now: Timestamp,
) -> Result<(Imported, LibraryImage, Vec<String>), String> {
    let failed = |error: UseCaseError| reason(error);
    let source = image.source_id.as_str();
    let before = match ctx
        .store
        .imports()
        .entity(source)
        .await
        .map_err(|e| failed(e.into()))?
    {
        Some(id) => ctx
            .store
            .library()
            .library_image(id)
            .await
            .map_err(|e| failed(e.into()))?,
        None => None,
    };
    let mut notes = Vec::new();
    let words = image_words(image, &mut notes);
    let file = picture_file(plan, image).await;
    let (imported, item) = match (file, &before) {
        (Ok(bytes), _) => {
            let uploaded = library::upload(
                ctx,
                actor,
                bytes.into(),
                &words,
                &ImageLimits::default(),
                Some(source),
                now,
            )
            .await
            .map_err(failed)?;
            let imported = uploaded
                .imported
                .unwrap_or(Imported::Created(uploaded.image.image.id));
            (imported, uploaded.image)
        }
        (Err(why), None) => return Err(why),
        (Err(why), Some(current)) => {
            notes.push(format!("{why}: the library keeps the file imported before"));
            library::reimport_words(ctx, actor, source, current, &words, now)
                .await
                .map_err(failed)?
        }
    };
    if let Some(before) = &before
        && before.updated_at.is_some()
        && (before.image.alt != words.alt.trim()
            || before.image.caption != non_empty(&words.caption)
            || before.image.credit != non_empty(&words.credit))
    {
        notes.push(
            "the newsroom has edited its words since the last import: theirs are kept".to_owned(),
        );
    }
    Ok((imported, item, notes))
}

/// The picture's file from the pictures' folder, or why it cannot be had.
async fn picture_file(plan: &Plan, image: &plan::Image) -> Result<Vec<u8>, String> {
    let Some(file) = &image.file else {
        return Err(format!(
            "not in the pictures' folder ({}): the old address stays in the text",
            image.url
        ));
    };
    let Some(folder) = &plan.picture_folder else {
        return Err(format!(
            "{file}: no pictures' folder was given (--uploads or --content)"
        ));
    };
    let path = folder.join(file);
    let image_limits = ImageLimits::default();
    // The size first: a file over the library's limit is not read into memory at all.
    let size = match tokio::fs::metadata(&path).await {
        Ok(meta) if meta.is_file() => meta.len(),
        _ => return Err(format!("{file} is not in {}", folder.display())),
    };
    if size > image_limits.max_bytes as u64 {
        return Err(format!(
            "{file} is {size} bytes, over the library's {} byte limit",
            image_limits.max_bytes
        ));
    }
    tokio::fs::read(&path)
        .await
        .map_err(|error| format!("{file} could not be read: {error}"))
}

/// The words the library keeps beside an imported picture, with notes on what stood in or was
/// cut.
fn image_words(image: &plan::Image, notes: &mut Vec<String>) -> ImageWords {
    // The library requires alt text; the old site often had none. The title or caption stands in
    // until someone describes the picture, and the report says so.
    let alt = [
        Some(image.alt.as_str()),
        image.caption.as_deref(),
        Some(image.title.as_str()),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .find(|text| !text.is_empty())
    .map(str::to_owned);
    let alt = match alt {
        Some(alt) if alt == image.alt.trim() => alt,
        Some(stand_in) => {
            notes.push(format!(
                "no alt text on the old site: “{stand_in}” stands in; describe the picture in the library"
            ));
            stand_in
        }
        None => {
            let name = image
                .file
                .as_deref()
                .unwrap_or(&image.url)
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            notes.push(
                "no alt text, caption or title on the old site: describe the picture in the library"
                    .to_owned(),
            );
            format!("Picture {name} from the old site")
        }
    };
    let mut cut = |text: &str, what: &str| fit(text, limits::IMAGE_TEXT_CHARS, what, notes);
    ImageWords {
        alt: cut(&alt, "alt text"),
        caption: cut(image.caption.as_deref().unwrap_or(""), "caption"),
        credit: cut(image.credit.as_deref().unwrap_or(""), "credit"),
        source_type: String::new(),
    }
}

fn non_empty(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The address a story's text shows a library picture at: its widest JPEG up to the article
/// column's 2x width, as the newsroom's editor places pictures.
fn body_address(image: &dateline_core::Image) -> Option<String> {
    let jpegs = image.variants_of("jpeg");
    jpegs
        .iter()
        .rev()
        .find(|v| v.width <= 1600)
        .or(jpegs.first())
        .map(|v| paths::media(&v.key))
}

/// The body's Markdown with every imported picture's old address replaced by the library's.
/// Pictures that were not imported keep their old address.
fn with_library_addresses(body: &plan::Body, ids: &Written) -> String {
    let mut markdown = body.markdown.clone();
    for (source, old) in body.images.iter().zip(&body.image_urls) {
        if let Some((_, new)) = ids.images.get(source) {
            markdown = replace_address(&markdown, old, new);
        }
    }
    markdown
}

/// Replaces `old` where it stands as a whole address: followed by what ends one in Markdown or
/// HTML (a bracket, a quote, a space, the end), so `a.jpg` is not taken out of `a.jpg.webp`.
fn replace_address(text: &str, old: &str, new: &str) -> String {
    if old.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(old) {
        let after = &rest[at + old.len()..];
        let whole = after
            .chars()
            .next()
            .is_none_or(|c| matches!(c, ')' | '"' | '\'' | ' ' | '>' | '\n' | '<'));
        out.push_str(&rest[..at]);
        out.push_str(if whole { new } else { old });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The article's hero: its featured image, once in the library. `Some(None)` when it has none
/// or the picture did not come (noted).
fn hero_of(article: &plan::Article, ids: &Written, notes: &mut Vec<String>) -> Option<i64> {
    let hero = article.hero.as_ref()?;
    match ids.images.get(&hero.image) {
        Some(&(id, _)) => Some(id),
        None => {
            notes.push(format!(
                "its featured image ({}) was not imported: no hero",
                hero.image
            ));
            None
        }
    }
}

/// One static page through the page rules, with the old site's status and dates. Nested pages
/// are flattened to the top of the site; the report names the parent.
async fn import_page(
    ctx: &Context,
    actor: &Actor,
    page: &plan::Page,
    all: &HashMap<&SourceId, &plan::Page>,
    ids: &Written,
    now: Timestamp,
) -> Result<(Imported, StaticPage, Vec<String>), UseCaseError> {
    let mut notes = Vec::new();
    if let Some(parent) = &page.parent {
        let name = all.get(parent).map_or_else(
            || parent.to_string(),
            |p| format!("“{}” (/{})", p.title, p.slug),
        );
        notes.push(format!(
            "under {name} on the old site: flattened to the top of the site"
        ));
    }
    let status = match page.status {
        ArticleStatus::Published => PageStatus::Published,
        ArticleStatus::Draft => PageStatus::Draft,
        other => {
            notes.push(format!("{other} on the old site: kept as a draft"));
            PageStatus::Draft
        }
    };
    let own = ctx.store.imports().entity(page.source_id.as_str()).await?;
    let title = fit(&page.title, limits::PAGE_TITLE_CHARS, "title", &mut notes);
    let wanted = if slug::is_valid_slug(&page.slug) {
        page.slug.clone()
    } else {
        slug::slugify(&title)
    };
    let wanted = if wanted.is_empty() {
        format!("page-{}", slug::slugify(source_tail(&page.source_id)))
    } else {
        wanted
    };
    // The address may belong to a section or to the site itself, or to another page: the page
    // gets one of its own next to it, and the report says where.
    let mut candidates = vec![
        wanted.clone(),
        format!("{wanted}-page"),
        format!("{wanted}-{}", slug::slugify(source_tail(&page.source_id))),
    ];
    candidates.dedup();
    let mut chosen = None;
    for candidate in candidates {
        let changes = PageChanges {
            title: Some(title.clone()),
            slug: Some(candidate.clone()),
            description: Some(String::new()),
            body: Some(with_library_addresses(&page.body, ids)),
            position: None,
        };
        match crate::pages::check(ctx, None, &changes, own).await {
            Ok(fields) => {
                chosen = Some(fields);
                break;
            }
            Err(UseCaseError::Refused(refusals))
                if refusals
                    .iter()
                    .all(|r| r.field() == Some(dateline_core::Field::Slug)) =>
            {
                continue;
            }
            Err(other) => return Err(other),
        }
    }
    let Some(fields) = chosen else {
        return Err(UseCaseError::refused(dateline_core::PageRefusal::SlugTaken));
    };
    if fields.slug != page.slug {
        notes.push(format!(
            "address /{} was taken or unusable here: the page is at /{}",
            page.slug, fields.slug
        ));
    }
    let input = PageInput {
        slug: fields.slug,
        title: fields.title,
        description: fields.description,
        body: fields.body,
        position: fields.position,
        status,
        first_published_at: page
            .published_at
            .filter(|_| status == PageStatus::Published),
        updated_at: page.updated_at.or(page.published_at),
    };
    let imported = ctx
        .store
        .imports()
        .page(page.source_id.as_str(), &input, &actor.audit(), now)
        .await?;
    let stored = ctx
        .store
        .static_pages()
        .by_id(imported.id())
        .await?
        .ok_or(UseCaseError::NotFound)?;
    Ok((imported, stored, notes))
}

/// The reason for the report, in the words the newsroom's forms use.
fn reason(error: UseCaseError) -> String {
    match error {
        UseCaseError::Refused(refusals) => refusals
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// The old system's own id in a source id (`wordpress:post:123` → `123`).
fn source_tail(source: &SourceId) -> &str {
    source
        .as_str()
        .splitn(3, ':')
        .nth(2)
        .unwrap_or(source.as_str())
}

/// `text` cut to `max` characters at a word, with an ellipsis, noting it: the old site allowed
/// what the newsroom's limit does not, and the story is worth more than the last words of a
/// title.
fn fit(text: &str, max: usize, what: &str, notes: &mut Vec<String>) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max - 1).collect();
    let at_word = match cut.rfind(char::is_whitespace) {
        Some(space) if space > cut.len() / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    notes.push(format!("{what} cut to {max} characters"));
    format!("{}…", at_word.trim_end())
}

fn non_blank(text: &str, otherwise: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        otherwise.to_owned()
    } else {
        text.to_owned()
    }
}

/// A commenter's name as reader profiles take it: cut to the limit, "Reader" when nothing usable
/// is left.
fn reader_name(name: &str) -> String {
    let cut: String = name.trim().chars().take(NAME_MAX_CHARS).collect();
    check_display_name(&cut).unwrap_or_else(|_| "Reader".to_owned())
}

/// An address for a commenter the old site knew no address of. The `.invalid` top-level domain
/// can never receive mail (RFC 2606 §2), so nobody can claim the profile; the name is stable
/// across runs (FNV-1a of the source id) so a re-run finds the same reader.
fn unreachable_address(source: &SourceId) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in source.as_str().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("imported-{hash:016x}@readers.invalid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commenters_without_an_address_get_one_nobody_can_receive_mail_at() {
        let a = unreachable_address(&SourceId("disqus:reader:ana".into()));
        assert!(a.ends_with("@readers.invalid"), "{a}");
        assert_eq!(
            a,
            unreachable_address(&SourceId("disqus:reader:ana".into()))
        );
        assert_ne!(a, unreachable_address(&SourceId("disqus:reader:bo".into())));
    }

    #[test]
    fn an_over_long_headline_is_cut_at_a_word_and_noted() {
        let mut notes = Vec::new();
        let long = "word ".repeat(100);
        let cut = fit(&long, 300, "headline", &mut notes);
        assert!(cut.chars().count() <= 300, "{}", cut.chars().count());
        assert!(cut.ends_with("word…"), "{cut}");
        assert_eq!(notes, ["headline cut to 300 characters"]);
        assert_eq!(fit(" short ", 300, "headline", &mut notes), "short");
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn commenter_names_are_cut_to_the_profile_limit() {
        assert_eq!(reader_name("  Ana   Ruiz "), "Ana Ruiz");
        assert_eq!(reader_name(&"x".repeat(80)).chars().count(), NAME_MAX_CHARS);
        assert_eq!(reader_name("A"), "Reader");
        assert_eq!(reader_name("evil\u{202E}name"), "Reader");
    }
}
