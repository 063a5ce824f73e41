//! Tips: recipients, ciphertext rows, the conversation, triage with its history and audit, and
//! retention that deletes for real. The store never sees plaintext, so these tests use opaque
//! bytes; `dateline-web`'s tests drive real encryption end to end.

use dateline_core::{Role, TipKind, TipResolution, TipStatus};
use dateline_db::testing::TestStore;
use dateline_db::{
    Actor, DbError, NewStaff, NewTip, NewTipAttachment, NewTipRecipient, Store, TipAction,
    TipSender,
};

use crate::support::{article_input, author, base_time, hours_after_base, section};

dateline_db::both_backends!(
    the_install_secret_is_made_once,
    an_editor_has_one_key_at_a_time_and_recovery_keys_add_up,
    a_tip_keeps_ciphertext_and_is_found_by_its_codename_key,
    the_conversation_notes_and_triage_leave_a_history,
    resolving_needs_a_resolution_and_unknown_tips_are_not_found,
    retention_purges_resolved_tips_and_spam_with_their_objects,
    tips_commit_durably_while_other_writes_go_on,
    a_proof_is_spent_once_until_it_expires,
    leftover_uploads_are_told_from_attachments,
);

async fn editor(store: &Store, email: &str, name: &str) -> Actor {
    let member = store
        .people()
        .create_staff(
            &NewStaff {
                email: email.to_owned(),
                display_name: name.to_owned(),
                role: Role::Editor,
                password_hash: None,
                author_id: None,
            },
            base_time(),
        )
        .await
        .unwrap();
    Actor::staff(member.id, member.display_name)
}

fn new_tip(codename_key: &str, attachments: &[&str]) -> NewTip {
    NewTip {
        kind: TipKind::Tip,
        article_id: None,
        codename_key: codename_key.to_owned(),
        reply_public_key: "age1replykey".to_owned(),
        message: b"ciphertext of the message".to_vec(),
        contact: Some(b"ciphertext of the contact".to_vec()),
        attachments: attachments
            .iter()
            .map(|key| NewTipAttachment {
                object_key: (*key).to_owned(),
                description: b"ciphertext of the name".to_vec(),
                size: 1234,
            })
            .collect(),
    }
}

async fn the_install_secret_is_made_once(store: TestStore) {
    let first = store.tips().install_secret(&[1u8; 32]).await.unwrap();
    assert_eq!(first, vec![1u8; 32]);
    let again = store.tips().install_secret(&[2u8; 32]).await.unwrap();
    assert_eq!(again, first, "a second node keeps the first node's secret");
}

async fn an_editor_has_one_key_at_a_time_and_recovery_keys_add_up(store: TestStore) {
    let ana = editor(&store, "ana@example.org", "Ana Ruiz").await;
    assert!(store.tips().recipients().await.unwrap().is_empty());
    let first = store
        .tips()
        .add_recipient(
            &NewTipRecipient {
                staff_id: ana.staff_id,
                label: "Ana Ruiz".to_owned(),
                public_key: "age1first".to_owned(),
                recovery: false,
                wrapped_identity: Some(b"wrapped".to_vec()),
            },
            &ana,
            base_time(),
        )
        .await
        .unwrap();
    assert_eq!(first.wrapped_identity.as_deref(), Some(&b"wrapped"[..]));
    store
        .tips()
        .add_recipient(
            &NewTipRecipient {
                staff_id: ana.staff_id,
                label: "Ana Ruiz".to_owned(),
                public_key: "age1second".to_owned(),
                recovery: false,
                wrapped_identity: None,
            },
            &ana,
            hours_after_base(1),
        )
        .await
        .unwrap();
    store
        .tips()
        .add_recipient(
            &NewTipRecipient {
                staff_id: None,
                label: "Offline safe".to_owned(),
                public_key: "age1recovery".to_owned(),
                recovery: true,
                wrapped_identity: None,
            },
            &Actor::system("command line"),
            hours_after_base(2),
        )
        .await
        .unwrap();
    let active: Vec<(String, bool)> = store
        .tips()
        .recipients()
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.public_key, r.recovery))
        .collect();
    assert_eq!(
        active,
        vec![
            ("age1second".to_owned(), false),
            ("age1recovery".to_owned(), true)
        ]
    );
    // Old keys stay known to their owner: older tips still need them.
    let history: Vec<String> = store
        .tips()
        .recipients_of(ana.staff_id.unwrap())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.public_key)
        .collect();
    assert_eq!(history, vec!["age1second", "age1first"]);
    let audit = store.audit().log(None, 10).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "tips.key_registered")
            .count(),
        3
    );
}

async fn a_tip_keeps_ciphertext_and_is_found_by_its_codename_key(store: TestStore) {
    let politics = section(&store, "politics", 0).await;
    let writer = author(&store, "ada").await;
    let article = store
        .articles()
        .create(
            &article_input(politics.id, "budget", &[writer.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let mut tip = new_tip("lookup-1", &["tips/a.age", "tips/b.age"]);
    tip.kind = TipKind::Correction;
    tip.article_id = Some(article.id);
    let stored = store.tips().create(&tip, base_time()).await.unwrap();
    assert_eq!(stored.kind, TipKind::Correction);
    assert_eq!(stored.article_id, Some(article.id));
    assert_eq!(stored.status, TipStatus::New);
    assert_eq!(stored.attachment_count, 2);
    assert_eq!(stored.message, b"ciphertext of the message");
    assert_eq!(stored.received_at, base_time());
    let found = store.tips().by_codename_key("lookup-1").await.unwrap();
    assert_eq!(found.as_ref().map(|t| t.id), Some(stored.id));
    assert_eq!(
        store.tips().by_codename_key("lookup-2").await.unwrap(),
        None
    );
    let attachments = store.tips().attachments(stored.id).await.unwrap();
    let keys: Vec<&str> = attachments.iter().map(|a| a.object_key.as_str()).collect();
    assert_eq!(keys, vec!["tips/a.age", "tips/b.age"]);
    // A codename opens one tip only.
    assert!(matches!(
        store
            .tips()
            .create(&new_tip("lookup-1", &[]), base_time())
            .await,
        Err(DbError::Duplicate(_))
    ));
    assert_eq!(store.tips().list(None).await.unwrap().len(), 1);
}

async fn the_conversation_notes_and_triage_leave_a_history(store: TestStore) {
    let ana = editor(&store, "ana@example.org", "Ana Ruiz").await;
    let ben = editor(&store, "ben@example.org", "Ben Okafor").await;
    let tip = store
        .tips()
        .create(&new_tip("lookup-1", &[]), base_time())
        .await
        .unwrap();
    store
        .tips()
        .record_access(
            tip.id,
            TipAction {
                kind: "viewed",
                detail: "opened the tip".to_owned(),
            },
            &ana,
            hours_after_base(1),
        )
        .await
        .unwrap();
    store
        .tips()
        .add_message(tip.id, b"reply ct", Some(&ana), hours_after_base(2))
        .await
        .unwrap();
    store
        .tips()
        .add_message(tip.id, b"follow-up ct", None, hours_after_base(3))
        .await
        .unwrap();
    store
        .tips()
        .add_note(tip.id, b"note ct", &ana, hours_after_base(4))
        .await
        .unwrap();
    store
        .tips()
        .assign(
            tip.id,
            Some((ben.staff_id.unwrap(), "Ben Okafor")),
            &ana,
            hours_after_base(5),
        )
        .await
        .unwrap();
    let triaged = store
        .tips()
        .set_status(tip.id, TipStatus::Triaged, None, &ana, hours_after_base(6))
        .await
        .unwrap();
    assert_eq!(triaged.status, TipStatus::Triaged);
    assert_eq!(triaged.assignee_staff_id, ben.staff_id);
    let resolved = store
        .tips()
        .set_status(
            tip.id,
            TipStatus::Resolved,
            Some(TipResolution::FollowUpStory),
            &ben,
            hours_after_base(7),
        )
        .await
        .unwrap();
    assert_eq!(resolved.resolution, Some(TipResolution::FollowUpStory));
    assert_eq!(resolved.resolved_at, Some(hours_after_base(7)));

    let messages = store.tips().messages(tip.id).await.unwrap();
    let senders: Vec<TipSender> = messages.iter().map(|m| m.sender).collect();
    assert_eq!(senders, vec![TipSender::Newsroom, TipSender::Source]);
    assert_eq!(messages[0].staff_id, ana.staff_id);
    assert_eq!(messages[1].body, b"follow-up ct");
    let notes = store.tips().notes(tip.id).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].staff_name, "Ana Ruiz");

    let history: Vec<(String, String, String)> = store
        .tips()
        .events(tip.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor_name, e.kind, e.detail))
        .collect();
    let expected = [
        ("Ana Ruiz", "viewed", "opened the tip"),
        ("Ana Ruiz", "replied", "replied to the source"),
        ("Source", "follow_up", "the source wrote again"),
        ("Ana Ruiz", "note", "added an internal note"),
        ("Ana Ruiz", "assigned", "assigned to Ben Okafor"),
        ("Ana Ruiz", "status", "New → Triaged"),
        (
            "Ben Okafor",
            "status",
            "Triaged → Resolved (Follow-up story)",
        ),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, k, d)| ((*a).to_owned(), (*k).to_owned(), (*d).to_owned()))
        .collect();
    assert_eq!(history, expected);
    // Staff actions reach the audit log; the source's follow-up does not name anyone.
    let audited: Vec<String> = store
        .audit()
        .for_subject("tip", tip.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        audited,
        vec![
            "tip.viewed",
            "tip.replied",
            "tip.note",
            "tip.assigned",
            "tip.status",
            "tip.status"
        ]
    );
}

async fn resolving_needs_a_resolution_and_unknown_tips_are_not_found(store: TestStore) {
    let ana = editor(&store, "ana@example.org", "Ana Ruiz").await;
    let tip = store
        .tips()
        .create(&new_tip("lookup-1", &[]), base_time())
        .await
        .unwrap();
    assert!(matches!(
        store
            .tips()
            .set_status(tip.id, TipStatus::Resolved, None, &ana, base_time())
            .await,
        Err(DbError::Invalid(_))
    ));
    assert_eq!(
        store.tips().by_id(tip.id).await.unwrap().unwrap().status,
        TipStatus::New
    );
    assert!(matches!(
        store
            .tips()
            .set_status(tip.id + 100, TipStatus::Triaged, None, &ana, base_time())
            .await,
        Err(DbError::NotFound)
    ));
    assert!(matches!(
        store
            .tips()
            .add_message(tip.id + 100, b"x", None, base_time())
            .await,
        Err(DbError::NotFound)
    ));
    // Moving a resolved tip back clears how it ended.
    store
        .tips()
        .set_status(
            tip.id,
            TipStatus::Resolved,
            Some(TipResolution::NoAction),
            &ana,
            base_time(),
        )
        .await
        .unwrap();
    let reopened = store
        .tips()
        .set_status(
            tip.id,
            TipStatus::InProgress,
            Some(TipResolution::Spam),
            &ana,
            base_time(),
        )
        .await
        .unwrap();
    assert_eq!(reopened.resolution, None);
    assert_eq!(reopened.resolved_at, None);
}

async fn retention_purges_resolved_tips_and_spam_with_their_objects(store: TestStore) {
    let ana = editor(&store, "ana@example.org", "Ana Ruiz").await;
    let old = store
        .tips()
        .create(&new_tip("old", &["tips/old-1.age"]), base_time())
        .await
        .unwrap();
    let recent = store
        .tips()
        .create(&new_tip("recent", &["tips/recent-1.age"]), base_time())
        .await
        .unwrap();
    let open = store
        .tips()
        .create(&new_tip("open", &["tips/open-1.age"]), base_time())
        .await
        .unwrap();
    let spam = store
        .tips()
        .create(
            &new_tip("spam", &["tips/spam-1.age", "tips/spam-2.age"]),
            base_time(),
        )
        .await
        .unwrap();
    store
        .tips()
        .set_status(
            old.id,
            TipStatus::Resolved,
            Some(TipResolution::NoAction),
            &ana,
            hours_after_base(1),
        )
        .await
        .unwrap();
    store
        .tips()
        .set_status(
            recent.id,
            TipStatus::Resolved,
            Some(TipResolution::FollowUpStory),
            &ana,
            hours_after_base(100),
        )
        .await
        .unwrap();
    store
        .tips()
        .set_status(
            spam.id,
            TipStatus::Resolved,
            Some(TipResolution::Spam),
            &ana,
            hours_after_base(100),
        )
        .await
        .unwrap();
    store
        .tips()
        .add_note(old.id, b"note", &ana, hours_after_base(2))
        .await
        .unwrap();

    let purged = store
        .tips()
        .purge_resolved(
            hours_after_base(50),
            &Actor::system("retention"),
            hours_after_base(200),
        )
        .await
        .unwrap();
    assert_eq!(purged.tips, 1);
    assert_eq!(purged.object_keys, vec!["tips/old-1.age"]);
    assert_eq!(store.tips().by_id(old.id).await.unwrap(), None);
    assert!(store.tips().notes(old.id).await.unwrap().is_empty());
    assert!(store.tips().events(old.id).await.unwrap().is_empty());
    assert!(store.tips().attachments(old.id).await.unwrap().is_empty());

    let spam_deleted = store
        .tips()
        .delete_spam(&ana, hours_after_base(201))
        .await
        .unwrap();
    assert_eq!(spam_deleted.tips, 1);
    assert_eq!(
        spam_deleted.object_keys,
        vec!["tips/spam-1.age", "tips/spam-2.age"]
    );
    let left: Vec<i64> = store
        .tips()
        .list(None)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(left.len(), 2);
    assert!(left.contains(&recent.id) && left.contains(&open.id));
    assert_eq!(
        store.tips().list(Some(TipStatus::New)).await.unwrap().len(),
        1
    );
    let actions: Vec<String> = store
        .audit()
        .log(None, 5)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(&actions[..2], ["tips.spam_deleted", "tips.purged"]);
}

/// Tips and follow-ups commit under `synchronous = FULL` on SQLite (each transaction reads the
/// setting back and refuses to commit under less), even when they interleave with other writes
/// on the one writer connection; those other writes stay at NORMAL.
async fn tips_commit_durably_while_other_writes_go_on(store: TestStore) {
    let first = store
        .tips()
        .create(&new_tip("first", &[]), base_time())
        .await
        .unwrap();
    let mut writes = Vec::new();
    for i in 0..24 {
        let store = store.store.clone();
        writes.push(tokio::spawn(async move {
            match i % 3 {
                0 => store
                    .tips()
                    .create(&new_tip(&format!("key-{i}"), &[]), base_time())
                    .await
                    .map(drop),
                1 => {
                    store
                        .tips()
                        .add_message(first.id, b"ciphertext of a follow-up", None, base_time())
                        .await
                }
                _ => store
                    .tips()
                    .spend_proof(&[i as u8; 32], hours_after_base(6), base_time())
                    .await
                    .map(drop),
            }
        }));
    }
    for write in writes {
        write.await.unwrap().expect("every write commits");
    }
    assert_eq!(store.tips().list(None).await.unwrap().len(), 9);
    assert_eq!(store.tips().messages(first.id).await.unwrap().len(), 8);
    if let Some(level) = dateline_db::testing::sqlite_writer_synchronous(&store).await {
        assert_eq!(level, 1, "other writes commit under NORMAL again");
    }
    // A follow-up to a tip that does not exist rolls back and reports it.
    assert!(matches!(
        store
            .tips()
            .add_message(999_999, b"x", None, base_time())
            .await,
        Err(DbError::NotFound)
    ));
}

async fn a_proof_is_spent_once_until_it_expires(store: TestStore) {
    let key = [7u8; 32];
    let expires = hours_after_base(6);
    assert!(
        store
            .tips()
            .spend_proof(&key, expires, base_time())
            .await
            .unwrap()
    );
    for replay in 0..4 {
        assert!(
            !store
                .tips()
                .spend_proof(&key, expires, hours_after_base(replay))
                .await
                .unwrap(),
            "replay {replay}"
        );
    }
    assert!(
        store
            .tips()
            .spend_proof(&[8u8; 32], expires, base_time())
            .await
            .unwrap()
    );
    // Once its token has expired the record goes; a key spent after that is new again.
    assert_eq!(
        store
            .tips()
            .forget_spent_proofs(hours_after_base(5))
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.tips().forget_spent_proofs(expires).await.unwrap(), 2);
    assert!(
        store
            .tips()
            .spend_proof(&key, hours_after_base(12), expires)
            .await
            .unwrap()
    );
    // An expired record not yet forgotten does not block its key either.
    assert!(
        store
            .tips()
            .spend_proof(&key, hours_after_base(20), hours_after_base(12))
            .await
            .unwrap()
    );
    assert!(
        !store
            .tips()
            .spend_proof(&key, hours_after_base(20), hours_after_base(13))
            .await
            .unwrap()
    );
}

async fn leftover_uploads_are_told_from_attachments(store: TestStore) {
    store
        .tips()
        .create(&new_tip("key", &["tips/kept.age"]), base_time())
        .await
        .unwrap();
    let known = store
        .tips()
        .known_attachment_keys(&["tips/kept.age".to_owned(), "tips/left-over.age".to_owned()])
        .await
        .unwrap();
    assert_eq!(known.len(), 1);
    assert!(known.contains("tips/kept.age"));
}
