//! Tips: a tipster sending one and writing again under their codename, and the desk answering,
//! noting, triaging, assigning and deleting them.
//!
//! What anyone writes about a tip is checked here and encrypted here (`dateline-tips`, age) before
//! the store sees it: the store holds ciphertext only, and nothing here ever quotes a tip in a
//! refusal or a log. A tipster is no [`Actor`]: the codename, which the door opens (with its own
//! limits on guesses), is their only credential, and nothing about them is recorded. The desk's
//! actions are [`Action::TriageTips`]; the store writes each one with its line in the tip's history
//! and the audit log, in one transaction.
//!
//! The limits on how many tips arrive (per address, per site, proofs of work) are the door's, in
//! its memory and the database's counters; what they cost to check is the web's business. Only
//! spending a proof of work, which must hold on every node, is a write here ([`spend_proof`]).

use std::sync::Arc;

use dateline_core::{Action, Refusal, Refusals, TipKind, TipRefusal, TipResolution, TipStatus};
use dateline_db::{AuditEntry, NewTip, NewTipAttachment, Tip, TipAction};
use dateline_tips::{Codename, InstallSecret, MAX_CONTACT_CHARS, MAX_MESSAGE_CHARS, Recipients};
use jiff::Timestamp;

use crate::{Actor, Context, UseCaseError};

impl From<dateline_tips::TipCryptoError> for UseCaseError {
    fn from(error: dateline_tips::TipCryptoError) -> Self {
        Self::Crypto(error.to_string())
    }
}

impl From<dateline_tips::CodenameError> for UseCaseError {
    fn from(error: dateline_tips::CodenameError) -> Self {
        Self::Crypto(error.to_string())
    }
}

// ----- the installation -----

/// This installation's secret (codename keys, form tokens, the limits' salts), made by whichever
/// node needs it first; every node reads the same one.
pub async fn install_secret(ctx: &Context) -> Result<InstallSecret, UseCaseError> {
    let fresh = InstallSecret::generate()?;
    let secret = ctx.store.tips().install_secret(fresh.as_bytes()).await?;
    Ok(InstallSecret::from_bytes(secret))
}

/// The newsroom's keys tips are encrypted to; a newsroom without any cannot take a tip
/// ([`TipRefusal::NoRecipients`]).
pub async fn recipients(ctx: &Context) -> Result<Recipients, UseCaseError> {
    let keys = ctx.store.tips().recipients().await?;
    if keys.is_empty() {
        return Err(UseCaseError::refused(TipRefusal::NoRecipients));
    }
    Ok(Recipients::parse(
        keys.iter().map(|key| key.public_key.as_str()),
    )?)
}

/// A public key to encrypt tips to, as `dateline tips keygen` made it: an editor's (whose
/// identity may be kept in the database, wrapped with their passphrase) or an offline recovery
/// key.
#[derive(Debug, Clone)]
pub enum NewKey {
    Editor {
        staff_id: i64,
        /// How the newsroom lists the key; the editor's name when none is given.
        label: Option<String>,
        public_key: String,
        /// The identity wrapped with the editor's passphrase, when they chose to keep it here.
        wrapped_identity: Option<Vec<u8>>,
    },
    Recovery {
        label: String,
        public_key: String,
        wrapped_identity: Option<Vec<u8>>,
    },
}

/// Registers a key tips are encrypted to from now on. An editor's key belongs to an active
/// editor or admin (the people who read tips) and is labelled with their name; a recovery key
/// is never stored wrapped, as it is meant to be kept offline. Settings-level: admins, or the
/// operator's command line.
pub async fn register_key(
    ctx: &Context,
    actor: &Actor,
    key: NewKey,
    now: Timestamp,
) -> Result<dateline_db::TipRecipient, UseCaseError> {
    actor.require(Action::ManageSettings, false)?;
    let recipient = match key {
        NewKey::Editor {
            staff_id,
            label,
            public_key,
            wrapped_identity,
        } => {
            let member = ctx.store.people().staff_by_id(staff_id).await?;
            if !reads_tips(&member) {
                return Err(UseCaseError::refused(TipRefusal::KeyHolderNotEditor {
                    role: if member.disabled_at.is_some() {
                        "disabled".to_owned()
                    } else {
                        member.role.to_string()
                    },
                    name: member.display_name,
                }));
            }
            dateline_db::NewTipRecipient {
                staff_id: Some(member.id),
                label: label.unwrap_or(member.display_name),
                public_key,
                recovery: false,
                wrapped_identity,
            }
        }
        NewKey::Recovery {
            label,
            public_key,
            wrapped_identity,
        } => {
            if wrapped_identity.is_some() {
                return Err(UseCaseError::refused(TipRefusal::RecoveryKeyStored));
            }
            dateline_db::NewTipRecipient {
                staff_id: None,
                label,
                public_key,
                recovery: true,
                wrapped_identity: None,
            }
        }
    };
    // A key that does not parse would make every later tip fail to encrypt.
    if dateline_tips::parse_recipient(&recipient.public_key).is_err() {
        return Err(UseCaseError::refused(TipRefusal::KeyInvalid));
    }
    Ok(ctx
        .store
        .tips()
        .add_recipient(&recipient, &actor.audit(), now)
        .await?)
}

/// Whether `member` is among the people who read tips: active, and allowed to triage them.
/// They alone hold a key and are assigned tips.
fn reads_tips(member: &dateline_core::StaffMember) -> bool {
    member.disabled_at.is_none() && dateline_core::permits(member.role, Action::TriageTips, false)
}

// ----- the tipster -----

/// A tip as the tipster typed it: the fields of the form, untrimmed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TipDraft {
    /// `tip` or `correction` ([`TipKind::parse`]).
    pub kind: String,
    pub message: String,
    pub contact: String,
    /// The id of the article a correction is about, as the form carries it; blank for none.
    pub article: String,
}

/// Checks what a tipster typed, with the problems the door found in the upload as it streamed
/// (`upload`: files refused, too many, the upload interrupted), all in one answer, those first.
/// Gives what the tip is.
pub fn check(draft: &TipDraft, upload: Vec<TipRefusal>) -> Result<TipKind, UseCaseError> {
    let mut refused: Vec<Refusal> = upload.into_iter().map(Refusal::from).collect();
    let kind = TipKind::parse(&draft.kind);
    if kind.is_none() {
        refused.push(TipRefusal::KindUnknown.into());
    }
    let chars = draft.message.chars().count();
    if draft.message.trim().is_empty() {
        refused.push(TipRefusal::MessageMissing.into());
    } else if chars > MAX_MESSAGE_CHARS {
        refused.push(
            TipRefusal::MessageTooLong {
                chars,
                max: MAX_MESSAGE_CHARS,
            }
            .into(),
        );
    }
    if draft.contact.chars().count() > MAX_CONTACT_CHARS {
        refused.push(
            TipRefusal::ContactTooLong {
                max: MAX_CONTACT_CHARS,
            }
            .into(),
        );
    }
    match (Refusals::from_list(refused), kind) {
        (Some(refusals), _) => Err(UseCaseError::Refused(refusals)),
        (None, Some(kind)) => Ok(kind),
        (None, None) => Err(UseCaseError::refused(TipRefusal::KindUnknown)),
    }
}

/// What sealing a tip needs from the node it arrives on: the installation's secret (a codename's
/// keys are derived with it) and the node's turns for those derivations, argon2id over 19 MiB
/// each, which the node bounds (a burst of tips must not hold that memory many times over).
pub struct Sealer {
    pub install: InstallSecret,
    pub turns: Arc<tokio::sync::Semaphore>,
}

/// A stored tip and the codename its tipster is shown, once: nothing keeps it.
pub struct Submitted {
    pub tip: Tip,
    pub codename: Codename,
}

/// Stores the tip of `draft` with `attachments` (already encrypted into storage by the door, as
/// they streamed): checked, its text encrypted to `recipients`, a codename made for it, written in
/// one durable transaction. The article a correction names is kept only if it is published.
pub async fn submit(
    ctx: &Context,
    draft: &TipDraft,
    attachments: Vec<NewTipAttachment>,
    recipients: &Recipients,
    sealer: &Sealer,
    now: Timestamp,
) -> Result<Submitted, UseCaseError> {
    let kind = check(draft, Vec::new())?;
    let article_id = match draft.article.parse::<i64>() {
        Ok(id) => ctx
            .store
            .public()
            .stories_by_ids(&[id])
            .await?
            .first()
            .map(|story| story.id),
        Err(_) => None,
    };
    let turn = Arc::clone(&sealer.turns)
        .acquire_owned()
        .await
        .map_err(|closed| UseCaseError::Crypto(closed.to_string()))?;
    let install = sealer.install.clone();
    let recipients = recipients.clone();
    let (message, contact) = (draft.message.clone(), draft.contact.trim().to_owned());
    let sealed = tokio::task::spawn_blocking(move || -> Result<_, UseCaseError> {
        let codename = Codename::generate()?;
        let codename_key = codename.lookup_key(&install)?;
        let reply_public_key = codename.reply_identity(&install)?.public_key();
        drop(turn);
        let message = dateline_tips::encrypt(&recipients, message.as_bytes())?;
        let contact = match contact.as_str() {
            "" => None,
            contact => Some(dateline_tips::encrypt(&recipients, contact.as_bytes())?),
        };
        let tip = NewTip {
            kind,
            article_id,
            codename_key,
            reply_public_key,
            message,
            contact,
            attachments,
        };
        Ok((tip, codename))
    })
    .await
    .map_err(|failed| UseCaseError::Crypto(failed.to_string()))??;
    let (tip, codename) = sealed;
    let tip = ctx.store.tips().create(&tip, now).await?;
    Ok(Submitted { tip, codename })
}

/// Spends a proof of work (`dateline_tips::spent_proof_key` of its form token) until the token
/// expires: true the first time on any node, false for a replay.
pub async fn spend_proof(
    ctx: &Context,
    proof_key: &[u8; 32],
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<bool, UseCaseError> {
    Ok(ctx
        .store
        .tips()
        .spend_proof(proof_key, expires_at, now)
        .await?)
}

/// The tipster of `tip` (the door opened it with their codename) writes again: `text`, encrypted
/// to the newsroom and to the codename's reply key, so the tipster can read it back. A blank
/// text sends nothing: `Ok(false)`.
pub async fn follow_up(
    ctx: &Context,
    tip: &Tip,
    text: &str,
    now: Timestamp,
) -> Result<bool, UseCaseError> {
    let text = text.trim();
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(UseCaseError::refused(TipRefusal::FollowUpTooLong {
            max: MAX_MESSAGE_CHARS,
        }));
    }
    if text.is_empty() {
        return Ok(false);
    }
    let recipients = recipients(ctx).await?;
    let reply_key = dateline_tips::parse_recipient(&tip.reply_public_key)?;
    let body = dateline_tips::encrypt(&recipients.with(reply_key), text.as_bytes())?;
    ctx.store
        .tips()
        .add_message(tip.id, &body, None, now)
        .await?;
    Ok(true)
}

// ----- the desk -----

/// A reply or a note as the desk typed it, trimmed, or why it cannot be sent.
fn desk_text(text: &str) -> Result<&str, UseCaseError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(UseCaseError::refused(TipRefusal::TextMissing));
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(UseCaseError::refused(TipRefusal::TextTooLong {
            max: MAX_MESSAGE_CHARS,
        }));
    }
    Ok(text)
}

async fn tip(ctx: &Context, tip_id: i64) -> Result<Tip, UseCaseError> {
    ctx.store
        .tips()
        .by_id(tip_id)
        .await?
        .ok_or(UseCaseError::NotFound)
}

/// Answers the tipster of tip `tip_id`: encrypted to the newsroom and to the codename's reply
/// key, which only the tipster can open.
pub async fn reply(
    ctx: &Context,
    actor: &Actor,
    tip_id: i64,
    text: &str,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    actor.require(Action::TriageTips, false)?;
    let tip = tip(ctx, tip_id).await?;
    let text = desk_text(text)?;
    let reply_key = dateline_tips::parse_recipient(&tip.reply_public_key)?;
    let body = dateline_tips::encrypt(&recipients(ctx).await?.with(reply_key), text.as_bytes())?;
    Ok(ctx
        .store
        .tips()
        .add_message(tip_id, &body, Some(&actor.audit()), now)
        .await?)
}

/// An internal note on tip `tip_id`: encrypted to the newsroom only, never to the tipster.
pub async fn add_note(
    ctx: &Context,
    actor: &Actor,
    tip_id: i64,
    text: &str,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    actor.require(Action::TriageTips, false)?;
    tip(ctx, tip_id).await?;
    let text = desk_text(text)?;
    let body = dateline_tips::encrypt(&recipients(ctx).await?, text.as_bytes())?;
    Ok(ctx
        .store
        .tips()
        .add_note(tip_id, &body, &actor.audit(), now)
        .await?)
}

/// Moves tip `tip_id` through triage: `status` as the form names it (`new`, `in_progress`, …),
/// or `resolved:<resolution>` (`resolved:spam`, …), since a resolved tip says how.
pub async fn set_status(
    ctx: &Context,
    actor: &Actor,
    tip_id: i64,
    status: &str,
    now: Timestamp,
) -> Result<Tip, UseCaseError> {
    actor.require(Action::TriageTips, false)?;
    let (status, resolution) = match status.trim().split_once(':') {
        Some(("resolved", resolution)) => {
            (Some(TipStatus::Resolved), TipResolution::parse(resolution))
        }
        _ => (TipStatus::parse(status.trim()), None),
    };
    let Some(status) = status.filter(|s| *s != TipStatus::Resolved || resolution.is_some()) else {
        return Err(UseCaseError::refused(TipRefusal::StatusUnknown));
    };
    Ok(ctx
        .store
        .tips()
        .set_status(tip_id, status, resolution, &actor.audit(), now)
        .await?)
}

/// Assigns tip `tip_id` to the staff member with id `assignee` as the form sends it (an active
/// editor or admin: the people who may triage tips), or to nobody when it is not a number.
pub async fn assign(
    ctx: &Context,
    actor: &Actor,
    tip_id: i64,
    assignee: &str,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    actor.require(Action::TriageTips, false)?;
    let assignee = match assignee.trim().parse::<i64>() {
        Ok(staff_id) => match ctx.store.people().staff_by_id(staff_id).await {
            Ok(member) if reads_tips(&member) => Some(member),
            Ok(_) | Err(dateline_db::DbError::NotFound) => {
                return Err(UseCaseError::refused(TipRefusal::AssigneeNotEditor));
            }
            Err(error) => return Err(error.into()),
        },
        Err(_) => None,
    };
    Ok(ctx
        .store
        .tips()
        .assign(
            tip_id,
            assignee
                .as_ref()
                .map(|member| (member.id, member.display_name.as_str())),
            &actor.audit(),
            now,
        )
        .await?)
}

/// Records that the actor read tip `tip_id` (its history and the audit log say who read what).
pub async fn record_view(
    ctx: &Context,
    actor: &Actor,
    tip_id: i64,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    let read = TipAction {
        kind: "viewed",
        detail: "read the tip".to_owned(),
    };
    record_access(ctx, actor, tip_id, read, now).await
}

/// Records that the actor downloaded attachment number `position` (from 0) of tip `tip_id`.
pub async fn record_download(
    ctx: &Context,
    actor: &Actor,
    tip_id: i64,
    position: i64,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    let downloaded = TipAction {
        kind: "downloaded",
        detail: format!("downloaded attachment {}", position + 1),
    };
    record_access(ctx, actor, tip_id, downloaded, now).await
}

async fn record_access(
    ctx: &Context,
    actor: &Actor,
    tip_id: i64,
    action: TipAction<'_>,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    actor.require(Action::TriageTips, false)?;
    Ok(ctx
        .store
        .tips()
        .record_access(tip_id, action, &actor.audit(), now)
        .await?)
}

/// Keeps the identities the actor unlocked with their passphrase for newsroom session
/// `session_id`, `sealed` for that session (`dateline_tips::seal_for_session`, so any node opens
/// them for this session and no other), with the audit entry, in one transaction.
pub async fn unlock(
    ctx: &Context,
    actor: &Actor,
    session_id: i64,
    sealed: &[u8],
    now: Timestamp,
) -> Result<(), UseCaseError> {
    actor.require(Action::TriageTips, false)?;
    let Actor::Staff { member, .. } = actor else {
        // Identities are unlocked by a person, for their own session.
        return Err(UseCaseError::NotPermitted {
            action: Action::TriageTips,
            role: None,
        });
    };
    let entry = AuditEntry::about(
        &actor.audit(),
        "tips.unlocked",
        "staff",
        member.id,
        "unlocked their tips key for this session",
    );
    Ok(ctx
        .store
        .tips()
        .unlock_for_session(session_id, sealed, &entry, now)
        .await?)
}

/// Forgets the identities newsroom session `session_id` unlocked, on every node: "lock" in the
/// inbox, or signing out. Anyone may lock their own session.
pub async fn lock(ctx: &Context, session_id: i64) -> Result<(), UseCaseError> {
    Ok(ctx.store.tips().seal_for_session(session_id, None).await?)
}

/// Deletes every tip resolved as spam, with its attachments in storage; gives how many went.
pub async fn delete_spam(
    ctx: &Context,
    actor: &Actor,
    now: Timestamp,
) -> Result<usize, UseCaseError> {
    actor.require(Action::TriageTips, false)?;
    let purged = ctx.store.tips().delete_spam(&actor.audit(), now).await?;
    delete_attachments(ctx, &purged.object_keys).await;
    Ok(purged.tips)
}

/// Deletes deleted tips' attachment objects. A failure is logged by key (ciphertext names say
/// nothing) and the rest go on; the hourly sweep removes what is left.
async fn delete_attachments(ctx: &Context, keys: &[String]) {
    for key in keys {
        if let Err(error) = ctx.media.delete(key).await {
            tracing::warn!(%error, key, "could not delete a deleted tip's attachment");
        }
    }
}
