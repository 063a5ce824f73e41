//! Author profiles: the byline (name, address, role, bio), a photo from the image library and
//! links. Staff edit the profile their account writes under; admins create and edit any
//! ([`Action::EditAuthorProfile`]).

use dateline_core::{Action, AuthorRefusal, Refusal, Refusals, slug};
use dateline_db::{AuthorInput, AuthorLink, AuthorProfile, AuthorProfileInput, DbError};
use jiff::Timestamp;

use crate::{Actor, Context, UseCaseError};

/// A profile as someone typed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorDraft {
    pub name: String,
    /// Blank means "from the name".
    pub slug: String,
    /// What they do, e.g. "Political correspondent".
    pub role: String,
    pub bio: String,
    /// A library picture's id; blank for none.
    pub photo_image_id: String,
    /// One link a line: a label, then the address (`Mastodon https://…`); a bare address is
    /// labelled with its host.
    pub links: String,
}

/// Starts a new profile (admins only: a byline is the newsroom's to hand out).
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    draft: &AuthorDraft,
    now: Timestamp,
) -> Result<AuthorProfile, UseCaseError> {
    actor.require(Action::EditAuthorProfile, false)?;
    let input = check(ctx, draft).await?;
    save(ctx, actor, None, &input, now).await
}

/// Replaces profile `id`; its own writer may, as may an admin.
pub async fn update(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    draft: &AuthorDraft,
    now: Timestamp,
) -> Result<AuthorProfile, UseCaseError> {
    permitted(ctx, actor, id).await?;
    let input = check(ctx, draft).await?;
    save(ctx, actor, Some(id), &input, now).await
}

/// Profile `id`, for someone who may edit it.
pub async fn permitted(
    ctx: &Context,
    actor: &Actor,
    id: i64,
) -> Result<AuthorProfile, UseCaseError> {
    let profile = ctx
        .store
        .people()
        .author_profile(id)
        .await?
        .ok_or(UseCaseError::NotFound)?;
    actor.require(Action::EditAuthorProfile, actor.own_author() == Some(id))?;
    Ok(profile)
}

async fn save(
    ctx: &Context,
    actor: &Actor,
    id: Option<i64>,
    input: &AuthorProfileInput,
    now: Timestamp,
) -> Result<AuthorProfile, UseCaseError> {
    match ctx
        .store
        .people()
        .save_author_profile(id, input, &actor.audit(), now)
        .await
    {
        Err(DbError::Duplicate(_)) => Err(UseCaseError::refused(AuthorRefusal::SlugTaken)),
        other => Ok(other?),
    }
}

/// The profile the store saves, or everything wrong with `draft` at once.
async fn check(ctx: &Context, draft: &AuthorDraft) -> Result<AuthorProfileInput, UseCaseError> {
    let mut refused: Vec<Refusal> = Vec::new();
    let name = draft.name.trim();
    if name.is_empty() {
        refused.push(AuthorRefusal::NameMissing.into());
    }
    // A blank address is made from the name, as people expect of a new byline.
    let slug = match draft.slug.trim() {
        "" => slug::slugify(name),
        typed => typed.to_owned(),
    };
    if draft.slug.trim().is_empty() && slug.is_empty() {
        if !name.is_empty() {
            refused.push(AuthorRefusal::SlugUnusable.into());
        }
    } else if !slug::is_valid_slug(&slug) {
        refused.push(AuthorRefusal::SlugInvalid.into());
    }
    let photo_image_id = match draft.photo_image_id.trim() {
        "" => None,
        typed => match typed.parse::<i64>() {
            Ok(id) if ctx.store.library().image(id).await?.is_some() => Some(id),
            _ => {
                refused.push(AuthorRefusal::PhotoUnknown.into());
                None
            }
        },
    };
    let mut links = Vec::new();
    for line in draft.links.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match link(line) {
            Some(link) => links.push(link),
            None => {
                refused.push(
                    AuthorRefusal::LinkInvalid {
                        line: line.to_owned(),
                    }
                    .into(),
                );
                break;
            }
        }
    }
    if let Some(refusals) = Refusals::from_list(refused) {
        return Err(UseCaseError::Refused(refusals));
    }
    Ok(AuthorProfileInput {
        author: AuthorInput {
            slug,
            name: name.to_owned(),
            role: draft.role.trim().to_owned(),
            bio: draft.bio.trim().to_owned(),
        },
        photo_image_id,
        links,
    })
}

/// One line of the links field: `label address`, or a bare address labelled with its host.
/// Only web addresses: a profile link is printed on a public page.
fn link(line: &str) -> Option<AuthorLink> {
    let (label, url) = match line.rsplit_once(char::is_whitespace) {
        Some((label, url)) => (label.trim().to_owned(), url.to_owned()),
        None => (host_of(line).unwrap_or_default(), line.to_owned()),
    };
    let web = url.starts_with("https://") || url.starts_with("http://");
    (web && !label.is_empty()).then_some(AuthorLink { label, url })
}

fn host_of(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| host.trim_start_matches("www.").to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_a_label_and_a_web_address() {
        assert_eq!(
            link("Mastodon https://social.example/@ana"),
            Some(AuthorLink {
                label: "Mastodon".into(),
                url: "https://social.example/@ana".into()
            })
        );
        assert_eq!(
            link("https://www.ana.example/about").map(|l| l.label),
            Some("ana.example".into())
        );
        assert_eq!(link("Mail mailto:ana@example.org"), None);
        assert_eq!(link("javascript:alert(1)"), None);
        assert_eq!(link("https://"), None);
    }
}
