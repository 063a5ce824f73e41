//! Tips' use cases: what a tipster types is refused all at once and otherwise stored encrypted,
//! under a codename only they hold; follow-ups and replies reach the right readers; the desk
//! needs the right to triage, and every one of its acts leaves a line in the tip's history and
//! the audit log; a proof of work is spent once.

// The workspace denies `unwrap` outside tests; these are plain `async fn`s the macro wraps.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bytes::Bytes;
use dateline_core::{Role, TipKind, TipRefusal, TipResolution, TipStatus};
use dateline_db::testing::TestStore;
use dateline_db::{
    Actor as StoreActor, NewStaff, NewTipAttachment, NewTipRecipient, SessionLimits,
};
use dateline_storage::MediaStore;
use dateline_tips::{EditorIdentity, Recipients};
use dateline_usecases::tips::{self, Sealer, TipDraft};
use dateline_usecases::{Actor, Context, UseCaseError};
use jiff::{SignedDuration, Timestamp};

dateline_db::both_backends!(
    tips_bad_input_is_refused_all_at_once_and_nothing_is_stored,
    tips_a_tip_is_stored_encrypted_under_a_codename,
    tips_follow_ups_and_replies_reach_the_tipster_and_the_newsroom,
    tips_the_desk_needs_the_right_and_leaves_a_history,
    tips_a_proof_of_work_is_spent_once,
    tips_unlocking_a_session_is_audited_in_the_same_write,
    tips_a_key_is_registered_only_for_someone_who_reads_tips,
);

fn now() -> Timestamp {
    Timestamp::from_second(1_767_614_400).unwrap()
}

struct Desk {
    ctx: Context,
    _media: tempfile::TempDir,
    editor: Actor,
    contributor: Actor,
    identity: EditorIdentity,
    recipients: Recipients,
    sealer: Sealer,
}

async fn desk(store: &TestStore) -> Desk {
    let media = tempfile::tempdir().unwrap();
    let ctx = Context::new(
        store.store.clone(),
        MediaStore::local(media.path()).unwrap(),
    );
    let staff = |email: &str, name: &str, role| NewStaff {
        email: email.into(),
        display_name: name.into(),
        role,
        password_hash: None,
        author_id: None,
    };
    let editor = ctx
        .store
        .people()
        .create_staff(
            &staff("ed@dateline.test", "Eda Editor", Role::Editor),
            now(),
        )
        .await
        .unwrap();
    let contributor = ctx
        .store
        .people()
        .create_staff(
            &staff("co@dateline.test", "Cole Contributor", Role::Contributor),
            now(),
        )
        .await
        .unwrap();
    let key = dateline_tips::generate_identity("Eda Editor", "today");
    ctx.store
        .tips()
        .add_recipient(
            &NewTipRecipient {
                staff_id: Some(editor.id),
                label: "Eda Editor".into(),
                public_key: key.public_key.clone(),
                recovery: false,
                wrapped_identity: None,
            },
            &StoreActor::system("test"),
            now(),
        )
        .await
        .unwrap();
    let sealer = Sealer {
        install: tips::install_secret(&ctx).await.unwrap(),
        turns: Arc::new(tokio::sync::Semaphore::new(1)),
    };
    Desk {
        recipients: tips::recipients(&ctx).await.unwrap(),
        identity: EditorIdentity::from_file_text(&key.file_text).unwrap(),
        editor: Actor::staff(editor),
        contributor: Actor::staff(contributor),
        ctx,
        _media: media,
        sealer,
    }
}

fn draft(kind: &str, message: &str, contact: &str) -> TipDraft {
    TipDraft {
        kind: kind.into(),
        message: message.into(),
        contact: contact.into(),
        article: String::new(),
    }
}

fn codes(result: Result<impl std::fmt::Debug, UseCaseError>) -> Vec<&'static str> {
    match result {
        Err(UseCaseError::Refused(refusals)) => refusals.codes(),
        other => panic!("expected refusals, got {other:?}"),
    }
}

fn read(identity: &EditorIdentity, ciphertext: &[u8]) -> String {
    let plain = dateline_tips::decrypt(std::slice::from_ref(identity), ciphertext).unwrap();
    String::from_utf8(plain.to_vec()).unwrap()
}

/// A tip as a tipster sends it, with its codename.
async fn tip_sent(desk: &Desk, message: &str) -> tips::Submitted {
    tips::submit(
        &desk.ctx,
        &draft("tip", message, ""),
        Vec::new(),
        &desk.recipients,
        &desk.sealer,
        now(),
    )
    .await
    .unwrap()
}

async fn tips_bad_input_is_refused_all_at_once_and_nothing_is_stored(store: TestStore) {
    let desk = desk(&store).await;
    let long = "x".repeat(dateline_tips::MAX_MESSAGE_CHARS + 1);
    let contact = "y".repeat(dateline_tips::MAX_CONTACT_CHARS + 1);
    // What the upload found comes first, then the fields in the form's order.
    assert_eq!(
        codes(tips::check(
            &draft("rumour", &long, &contact),
            vec![TipRefusal::UploadInterrupted]
        )),
        [
            "tip_upload_interrupted",
            "tip_kind_unknown",
            "tip_message_too_long",
            "tip_contact_too_long"
        ]
    );
    assert_eq!(
        codes(tips::check(&draft("tip", "  \n ", ""), Vec::new())),
        ["tip_message_missing"]
    );
    let refused = tips::check(&draft("tip", &long, ""), Vec::new()).unwrap_err();
    assert_eq!(
        refused.to_string(),
        format!(
            "Your message is {} characters long; the limit is {}. Shorten it, or attach the \
             rest as a document.",
            long.len(),
            dateline_tips::MAX_MESSAGE_CHARS
        )
    );
    assert_eq!(
        tips::check(&draft("correction", "The date is wrong", ""), Vec::new()).unwrap(),
        TipKind::Correction
    );
    // Submitting checks again: a bad draft stores nothing.
    let refused = tips::submit(
        &desk.ctx,
        &draft("tip", "", ""),
        Vec::new(),
        &desk.recipients,
        &desk.sealer,
        now(),
    )
    .await;
    assert_eq!(codes(refused.map(|_| ())), ["tip_message_missing"]);
    assert!(desk.ctx.store.tips().list(None).await.unwrap().is_empty());
}

async fn tips_a_tip_is_stored_encrypted_under_a_codename(store: TestStore) {
    let desk = desk(&store).await;
    let (article_id, _) = dateline_db::testing::published_article(&desk.ctx.store, "Body.").await;
    let object = "tips/attachment.age";
    desk.ctx
        .media
        .put(
            object,
            Bytes::from(dateline_tips::encrypt(&desk.recipients, b"%PDF").unwrap()),
        )
        .await
        .unwrap();
    let submitted = tips::submit(
        &desk.ctx,
        &TipDraft {
            kind: "correction".into(),
            message: "The minister's name is misspelt".into(),
            contact: "  call Jo  ".into(),
            article: article_id.to_string(),
        },
        vec![NewTipAttachment {
            object_key: object.into(),
            description: dateline_tips::encrypt(&desk.recipients, b"{}").unwrap(),
            size: 4,
        }],
        &desk.recipients,
        &desk.sealer,
        now(),
    )
    .await
    .unwrap();
    let tip = desk
        .ctx
        .store
        .tips()
        .by_id(submitted.tip.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tip.kind, TipKind::Correction);
    assert_eq!(tip.article_id, Some(article_id));
    assert_eq!(tip.attachment_count, 1);
    assert_eq!(
        read(&desk.identity, &tip.message),
        "The minister's name is misspelt"
    );
    assert_eq!(
        read(&desk.identity, tip.contact.as_deref().unwrap()),
        "call Jo"
    );
    // Only the codename finds the tip again: its key is derived, never stored as typed.
    let key = submitted.codename.lookup_key(&desk.sealer.install).unwrap();
    let found = desk.ctx.store.tips().by_codename_key(&key).await.unwrap();
    assert_eq!(found.map(|tip| tip.id), Some(tip.id));
    assert!(!key.contains(submitted.codename.as_str()));

    // An article that is not published is not kept on the tip.
    let elsewhere = tips::submit(
        &desk.ctx,
        &TipDraft {
            article: "999999".into(),
            ..draft("correction", "Wrong date", "")
        },
        Vec::new(),
        &desk.recipients,
        &desk.sealer,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(elsewhere.tip.article_id, None);
    assert!(
        elsewhere.tip.contact.is_none(),
        "no contact given, none stored"
    );
}

async fn tips_follow_ups_and_replies_reach_the_tipster_and_the_newsroom(store: TestStore) {
    let desk = desk(&store).await;
    let submitted = tip_sent(&desk, "Look at the harbour contract").await;
    let tipster = submitted
        .codename
        .reply_identity(&desk.sealer.install)
        .unwrap();
    let tip = submitted.tip;

    let long = "z".repeat(dateline_tips::MAX_MESSAGE_CHARS + 1);
    assert_eq!(
        codes(tips::follow_up(&desk.ctx, &tip, &long, now()).await),
        ["tip_follow_up_too_long"]
    );
    assert!(
        !tips::follow_up(&desk.ctx, &tip, "   ", now())
            .await
            .unwrap()
    );
    assert!(
        tips::follow_up(&desk.ctx, &tip, " It was signed on Monday. ", now())
            .await
            .unwrap()
    );
    assert_eq!(
        codes(tips::reply(&desk.ctx, &desk.editor, tip.id, " ", now()).await),
        ["tip_text_missing"]
    );
    tips::reply(&desk.ctx, &desk.editor, tip.id, "Who signed it?", now())
        .await
        .unwrap();
    tips::add_note(&desk.ctx, &desk.editor, tip.id, "Check the registry", now())
        .await
        .unwrap();

    let messages = desk.ctx.store.tips().messages(tip.id).await.unwrap();
    assert_eq!(messages.len(), 2);
    // The conversation is for both ends: the newsroom and the codename's holder.
    for message in &messages {
        let text = read(&tipster, &message.body);
        assert_eq!(read(&desk.identity, &message.body), text);
    }
    assert_eq!(
        read(&tipster, &messages[0].body),
        "It was signed on Monday."
    );
    assert_eq!(read(&tipster, &messages[1].body), "Who signed it?");
    // A note is the newsroom's alone.
    let notes = desk.ctx.store.tips().notes(tip.id).await.unwrap();
    assert_eq!(read(&desk.identity, &notes[0].body), "Check the registry");
    assert!(dateline_tips::decrypt(std::slice::from_ref(&tipster), &notes[0].body).is_err());
    assert_eq!(notes[0].staff_name, "Eda Editor");

    assert!(matches!(
        tips::reply(&desk.ctx, &desk.editor, tip.id + 100, "Hello?", now()).await,
        Err(UseCaseError::NotFound)
    ));
}

async fn tips_the_desk_needs_the_right_and_leaves_a_history(store: TestStore) {
    let desk = desk(&store).await;
    let tip = tip_sent(&desk, "Spam, probably").await.tip;
    let ctx = &desk.ctx;
    let not_permitted = |result: Result<(), UseCaseError>| {
        assert!(
            matches!(result, Err(UseCaseError::NotPermitted { .. })),
            "{result:?}"
        );
    };
    let contributor = &desk.contributor;
    not_permitted(tips::reply(ctx, contributor, tip.id, "Hi", now()).await);
    not_permitted(tips::add_note(ctx, contributor, tip.id, "Hi", now()).await);
    not_permitted(
        tips::set_status(ctx, contributor, tip.id, "resolved:spam", now())
            .await
            .map(|_| ()),
    );
    not_permitted(tips::assign(ctx, contributor, tip.id, "1", now()).await);
    not_permitted(tips::record_view(ctx, contributor, tip.id, now()).await);
    not_permitted(tips::delete_spam(ctx, contributor, now()).await.map(|_| ()));
    assert!(ctx.store.tips().events(tip.id).await.unwrap().is_empty());

    let editor = &desk.editor;
    assert_eq!(
        codes(tips::set_status(ctx, editor, tip.id, "resolved", now()).await),
        ["tip_status_unknown"],
        "a resolved tip says how"
    );
    assert_eq!(
        codes(tips::set_status(ctx, editor, tip.id, "filed", now()).await),
        ["tip_status_unknown"]
    );
    let Actor::Staff { member: cole, .. } = contributor else {
        unreachable!()
    };
    assert_eq!(
        codes(tips::assign(ctx, editor, tip.id, &cole.id.to_string(), now()).await),
        ["tip_assignee_not_editor"]
    );
    let Actor::Staff { member: eda, .. } = editor else {
        unreachable!()
    };
    tips::assign(ctx, editor, tip.id, &eda.id.to_string(), now())
        .await
        .unwrap();
    tips::record_view(ctx, editor, tip.id, now()).await.unwrap();
    let resolved = tips::set_status(ctx, editor, tip.id, "resolved:spam", now())
        .await
        .unwrap();
    assert_eq!(resolved.status, TipStatus::Resolved);
    assert_eq!(resolved.resolution, Some(TipResolution::Spam));
    assert_eq!(resolved.assignee_staff_id, Some(eda.id));
    let history: Vec<String> = ctx
        .store
        .tips()
        .events(tip.id)
        .await
        .unwrap()
        .into_iter()
        .map(|event| format!("{} {}", event.actor_name, event.kind))
        .collect();
    assert_eq!(
        history,
        [
            "Eda Editor assigned",
            "Eda Editor viewed",
            "Eda Editor status"
        ]
    );
    let audited: Vec<String> = ctx
        .store
        .audit()
        .log(None, 10)
        .await
        .unwrap()
        .into_iter()
        .filter(|entry| entry.subject_kind == "tip")
        .map(|entry| entry.action)
        .collect();
    assert_eq!(audited, ["tip.status", "tip.viewed", "tip.assigned"]);

    // Deleting spam takes its attachments out of storage too.
    let object = "tips/spam.age";
    ctx.media
        .put(object, Bytes::from_static(b"ciphertext"))
        .await
        .unwrap();
    let with_file = tips::submit(
        ctx,
        &draft("tip", "More spam", ""),
        vec![NewTipAttachment {
            object_key: object.into(),
            description: Vec::new(),
            size: 10,
        }],
        &desk.recipients,
        &desk.sealer,
        now(),
    )
    .await
    .unwrap();
    tips::set_status(ctx, editor, with_file.tip.id, "resolved:spam", now())
        .await
        .unwrap();
    assert_eq!(tips::delete_spam(ctx, editor, now()).await.unwrap(), 2);
    assert!(ctx.store.tips().list(None).await.unwrap().is_empty());
    assert!(ctx.media.get(object).await.unwrap().is_none());
}

async fn tips_a_proof_of_work_is_spent_once(store: TestStore) {
    let desk = desk(&store).await;
    let key = dateline_tips::spent_proof_key("1767614400.abc.token");
    let expires = now() + SignedDuration::from_hours(6);
    assert!(
        tips::spend_proof(&desk.ctx, &key, expires, now())
            .await
            .unwrap()
    );
    assert!(
        !tips::spend_proof(&desk.ctx, &key, expires, now())
            .await
            .unwrap()
    );
    // Once its token has expired, the spent key is forgotten and may be spent again.
    let later = expires + SignedDuration::from_secs(1);
    assert!(
        tips::spend_proof(
            &desk.ctx,
            &key,
            later + SignedDuration::from_hours(6),
            later
        )
        .await
        .unwrap()
    );
}

async fn tips_unlocking_a_session_is_audited_in_the_same_write(store: TestStore) {
    let desk = desk(&store).await;
    let Actor::Staff { member: eda, .. } = &desk.editor else {
        unreachable!()
    };
    let limits = SessionLimits {
        lifetime: SignedDuration::from_hours(8),
        idle_timeout: SignedDuration::from_hours(2),
    };
    let session = desk
        .ctx
        .store
        .sessions()
        .create_session(eda.id, "session-hash", "csrf", limits, now())
        .await
        .unwrap();
    assert!(matches!(
        tips::unlock(&desk.ctx, &desk.contributor, session, b"sealed", now()).await,
        Err(UseCaseError::NotPermitted { .. })
    ));
    assert!(matches!(
        tips::unlock(&desk.ctx, &desk.editor, session + 1000, b"sealed", now()).await,
        Err(UseCaseError::NotFound)
    ));
    let unlocked = |ctx: &Context| {
        let ctx = ctx.clone();
        async move {
            ctx.store
                .audit()
                .log(None, 10)
                .await
                .unwrap()
                .iter()
                .filter(|entry| entry.action == "tips.unlocked")
                .count()
        }
    };
    assert_eq!(
        unlocked(&desk.ctx).await,
        0,
        "nothing recorded for a refusal"
    );
    tips::unlock(&desk.ctx, &desk.editor, session, b"sealed", now())
        .await
        .unwrap();
    assert_eq!(
        desk.ctx
            .store
            .tips()
            .sealed_for_session(session)
            .await
            .unwrap(),
        Some(b"sealed".to_vec())
    );
    assert_eq!(unlocked(&desk.ctx).await, 1);
    tips::lock(&desk.ctx, session).await.unwrap();
    assert_eq!(
        desk.ctx
            .store
            .tips()
            .sealed_for_session(session)
            .await
            .unwrap(),
        None
    );
}

async fn tips_a_key_is_registered_only_for_someone_who_reads_tips(store: TestStore) {
    let desk = desk(&store).await;
    let ctx = &desk.ctx;
    let Actor::Staff { member: editor, .. } = &desk.editor else {
        unreachable!()
    };
    let Actor::Staff {
        member: contributor,
        ..
    } = &desk.contributor
    else {
        unreachable!()
    };
    let fresh = || dateline_tips::generate_identity("someone", "today").public_key;
    let refusal = |result: Result<_, UseCaseError>| match result {
        Err(UseCaseError::Refused(refusals)) => refusals.codes().first().copied(),
        other => panic!("expected a refusal, got {other:?}"),
    };
    let editor_key = |staff_id, public_key: String| tips::NewKey::Editor {
        staff_id,
        label: None,
        public_key,
        wrapped_identity: None,
    };

    // Only the people who read tips hold a key; a contributor's would let them read none the
    // less every tip encrypted to it.
    let as_contributor = tips::register_key(
        ctx,
        &Actor::system("cli"),
        editor_key(contributor.id, fresh()),
        now(),
    )
    .await;
    assert_eq!(refusal(as_contributor), Some("tip_key_holder_not_editor"));
    // Registering is the admins' (or the operator's): an editor cannot add keys.
    let by_editor =
        tips::register_key(ctx, &desk.editor, editor_key(editor.id, fresh()), now()).await;
    assert!(
        matches!(by_editor, Err(UseCaseError::NotPermitted { .. })),
        "{by_editor:?}"
    );
    // A recovery key is offline by definition, and a key must be one.
    let stored_recovery = tips::register_key(
        ctx,
        &Actor::system("cli"),
        tips::NewKey::Recovery {
            label: "safe".into(),
            public_key: fresh(),
            wrapped_identity: Some(vec![1, 2, 3]),
        },
        now(),
    )
    .await;
    assert_eq!(refusal(stored_recovery), Some("tip_recovery_key_stored"));
    let garbage = tips::register_key(
        ctx,
        &Actor::system("cli"),
        editor_key(editor.id, "age1notakey".into()),
        now(),
    )
    .await;
    assert_eq!(refusal(garbage), Some("tip_key_invalid"));
    assert_eq!(ctx.store.tips().recipients().await.unwrap().len(), 1);

    // The editor's new key replaces their old one, under their name; a recovery key joins.
    let replacement = fresh();
    let registered = tips::register_key(
        ctx,
        &Actor::system("cli"),
        editor_key(editor.id, replacement.clone()),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(registered.label, "Eda Editor");
    tips::register_key(
        ctx,
        &Actor::system("cli"),
        tips::NewKey::Recovery {
            label: "safe".into(),
            public_key: fresh(),
            wrapped_identity: None,
        },
        now(),
    )
    .await
    .unwrap();
    let keys = ctx.store.tips().recipients().await.unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(
        keys.iter()
            .any(|key| key.public_key == replacement && !key.recovery)
    );
    assert!(
        keys.iter()
            .any(|key| key.recovery && key.staff_id.is_none())
    );
    let audit = ctx.store.audit().log(None, 50).await.unwrap();
    assert!(
        audit
            .iter()
            .filter(|entry| entry.actor.name == "cli")
            .count()
            >= 2,
        "{audit:?}"
    );
}
