//! The newsroom's tips inbox through the front door: only editors get in, the key is unlocked
//! per session with the passphrase and forgotten on sign-out, and reading, downloading,
//! answering, noting, assigning and resolving all land in the tip's history.

// The workspace denies `unwrap` outside `#[test]` functions; these are plain `async fn`s.
#![allow(clippy::unwrap_used)]

use dateline_core::Role;
use dateline_db::testing::TestStore;
use dateline_db::{Actor, NewTipRecipient};
use http::StatusCode;

use super::newsroom_auth::{Browser, PASSWORD, staff};
use super::tips::{Part, codename_in, form_token, post_follow_up, post_tip};
use super::{another_node, get, newsroom, site};

const PASSPHRASE: &str = "an editor's long tips passphrase";

dateline_db::both_backends!(
    an_editor_unlocks_reads_answers_and_triages_tips,
    a_correction_published_from_a_request_is_linked_and_resolves_it,
    an_unlocked_key_follows_its_session_to_another_node_and_nowhere_else,
);

/// A tips key for `editor`, stored wrapped with [`PASSPHRASE`] so the inbox can unlock it.
async fn register_key(
    store: &dateline_db::Store,
    editor: &dateline_core::StaffMember,
) -> dateline_tips::NewIdentity {
    let identity = dateline_tips::generate_identity("Editor", "today");
    let wrapped = dateline_tips::wrap_identity(&identity.file_text, PASSPHRASE).unwrap();
    store
        .tips()
        .add_recipient(
            &NewTipRecipient {
                staff_id: Some(editor.id),
                label: editor.display_name.clone(),
                public_key: identity.public_key.clone(),
                recovery: false,
                wrapped_identity: Some(wrapped),
            },
            &Actor::system("test"),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    identity
}

/// Issue 16: an editor who unlocked the inbox on one node reads tips through another without
/// typing the passphrase again; the key is sealed in the session's row (never in the clear), a
/// second session of the same editor is not unlocked by it, and locking on one node locks on all.
async fn an_unlocked_key_follows_its_session_to_another_node_and_nowhere_else(store: TestStore) {
    let editor = staff(&store, "ed@example.org", Role::Editor, Some(PASSWORD)).await;
    let identity = register_key(&store, &editor).await;
    let site = site(store).await;
    let token = form_token(&site.app).await;
    let sent = post_tip(
        &site.app,
        &[
            Part::Text("token", &token),
            Part::Text("kind", "tip"),
            Part::Text("message", "The harbour master takes cash"),
        ],
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK);
    let tip_url = format!(
        "/newsroom/tips/{}",
        site.state.store().tips().list(None).await.unwrap()[0].id
    );
    let other_node = another_node(&site).await;

    let mut desk = Browser::new(&site.app);
    desk.sign_in("ed@example.org", PASSWORD).await;
    let unlocked = desk
        .submit(
            "/newsroom/tips",
            "/newsroom/tips/unlock",
            &[("passphrase", PASSPHRASE)],
        )
        .await;
    assert_eq!(unlocked.status, StatusCode::SEE_OTHER);
    let mut same_desk_elsewhere = Browser::new(&other_node);
    same_desk_elsewhere.cookies = desk.cookies.clone();
    let page = same_desk_elsewhere.get(&tip_url).await;
    assert!(
        page.body.contains("The harbour master takes cash"),
        "read on the other node without the passphrase: {}",
        page.body
    );

    // What the database holds for the session: a seal, not the key.
    let mut sealed_rows = 0;
    // Session ids count from one; the desk's is among the first few.
    for session_id in 1..10 {
        if let Some(sealed) = site
            .state
            .store()
            .tips()
            .sealed_for_session(session_id)
            .await
            .unwrap()
        {
            sealed_rows += 1;
            let secret = identity.file_text.lines().last().unwrap();
            let text = String::from_utf8_lossy(&sealed);
            assert!(!text.contains("AGE-SECRET-KEY"), "never in the clear");
            assert!(!text.contains(&secret[20..40]));
        }
    }
    assert_eq!(sealed_rows, 1);

    // The same editor signed in again elsewhere: another session, still locked.
    let mut second_session = Browser::new(&other_node);
    second_session.sign_in("ed@example.org", PASSWORD).await;
    let locked = second_session.get(&tip_url).await;
    assert!(locked.body.contains("The contents are encrypted"));
    assert!(!locked.body.contains("harbour master"));

    // Locking on the other node locks on the first too.
    same_desk_elsewhere
        .submit("/newsroom/tips", "/newsroom/tips/lock", &[])
        .await;
    let page = desk.get(&tip_url).await;
    assert!(
        page.body.contains("The contents are encrypted"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("harbour master"));
}

async fn an_editor_unlocks_reads_answers_and_triages_tips(store: TestStore) {
    let editor = staff(&store, "ed@example.org", Role::Editor, Some(PASSWORD)).await;
    staff(&store, "au@example.org", Role::Author, Some(PASSWORD)).await;
    register_key(&store, &editor).await;
    let site = site(store).await;
    let token = form_token(&site.app).await;
    let sent = post_tip(
        &site.app,
        &[
            Part::Text("token", &token),
            Part::Text("kind", "tip"),
            Part::Text("message", "The mayor's office shredded the audit"),
            Part::Text("contact", "call the blue phone"),
            Part::File("audit.txt", b"page one of the audit"),
        ],
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK);
    let codename = codename_in(&sent.body);
    let tip_id = site.state.store().tips().list(None).await.unwrap()[0].id;
    let tip_url = format!("/newsroom/tips/{tip_id}");

    let mut author = Browser::new(&site.app);
    author.sign_in("au@example.org", PASSWORD).await;
    assert_eq!(
        author.get("/newsroom/tips").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(author.get(&tip_url).await.status, StatusCode::FORBIDDEN);

    let mut desk = Browser::new(&site.app);
    desk.sign_in("ed@example.org", PASSWORD).await;
    let inbox = desk.get("/newsroom/tips").await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert!(
        inbox.body.contains("href=\"/newsroom/tips\""),
        "menu links the inbox"
    );
    assert!(inbox.body.contains("Unlock to read tips"));
    assert!(inbox.body.contains(&format!("Tip {tip_id}")));
    let locked = desk.get(&tip_url).await;
    assert!(locked.body.contains("The contents are encrypted"));
    assert!(!locked.body.contains("shredded the audit"));

    let wrong = desk
        .submit(
            "/newsroom/tips",
            "/newsroom/tips/unlock",
            &[("passphrase", "not it at all")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.body.contains("does not open your tips key"));
    let unlocked = desk
        .submit(
            "/newsroom/tips",
            "/newsroom/tips/unlock",
            &[("passphrase", PASSPHRASE)],
        )
        .await;
    assert_eq!(unlocked.status, StatusCode::SEE_OTHER);

    let page = desk.get(&tip_url).await;
    assert!(
        page.body
            .contains("The mayor&#39;s office shredded the audit"),
        "{}",
        page.body
    );
    assert!(page.body.contains("call the blue phone"));
    assert!(page.body.contains(">audit.txt</a>"));
    let download_url = {
        let start = page
            .body
            .find(&format!("/newsroom/tips/{tip_id}/attachments/"))
            .unwrap();
        let end = page.body[start..].find('"').unwrap();
        page.body[start..start + end].to_owned()
    };
    let download = desk.get(&download_url).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body, "page one of the audit");
    assert!(
        download.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment; filename=\"audit.txt\"")
    );

    let replied = desk
        .submit(
            &tip_url,
            &format!("{tip_url}/reply"),
            &[("text", "Can we meet?")],
        )
        .await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER);
    let empty_reply = desk
        .submit(&tip_url, &format!("{tip_url}/reply"), &[("text", "  ")])
        .await;
    assert_eq!(empty_reply.status, StatusCode::BAD_REQUEST);
    assert!(empty_reply.body.contains("Write something first."));
    desk.submit(
        &tip_url,
        &format!("{tip_url}/notes"),
        &[("text", "Check with legal")],
    )
    .await;
    let bogus = desk
        .submit(
            &tip_url,
            &format!("{tip_url}/status"),
            &[("status", "resolved:bogus")],
        )
        .await;
    assert_eq!(bogus.status, StatusCode::BAD_REQUEST);
    desk.submit(
        &tip_url,
        &format!("{tip_url}/status"),
        &[("status", "triaged")],
    )
    .await;
    let editor_id = editor.id.to_string();
    desk.submit(
        &tip_url,
        &format!("{tip_url}/assign"),
        &[("assignee", &editor_id)],
    )
    .await;

    // The source reads the reply with the codename; the note stays internal.
    let token = form_token(&site.app).await;
    let follow = post_follow_up(&site.app, &[("token", &token), ("codename", &codename)]).await;
    assert!(follow.body.contains("Can we meet?"));
    assert!(!follow.body.contains("Check with legal"));

    let page = desk.get(&tip_url).await;
    assert!(page.body.contains("Check with legal"));
    assert!(page.body.contains("Can we meet?"));
    for line in [
        "read the tip",
        "downloaded attachment 1",
        "replied to the source",
        "added an internal note",
        "New → Triaged",
        "assigned to editor person",
    ] {
        assert!(page.body.contains(line), "history shows {line:?}");
    }

    // Signing out forgets the key: a new session starts locked.
    desk.submit("/newsroom", "/newsroom/logout", &[]).await;
    desk.sign_in("ed@example.org", PASSWORD).await;
    let again = desk.get(&tip_url).await;
    assert!(again.body.contains("The contents are encrypted"));
    assert_eq!(desk.get(&download_url).await.status, StatusCode::FORBIDDEN);

    // Spam goes for good, attachment objects included.
    desk.submit(
        &tip_url,
        &format!("{tip_url}/status"),
        &[("status", "resolved:spam")],
    )
    .await;
    let objects_before = std::fs::read_dir(site._media.path().join("tips"))
        .unwrap()
        .count();
    assert_eq!(objects_before, 1);
    desk.submit("/newsroom/tips", "/newsroom/tips/delete-spam", &[])
        .await;
    assert!(
        site.state
            .store()
            .tips()
            .list(None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        std::fs::read_dir(site._media.path().join("tips"))
            .unwrap()
            .count(),
        0
    );
}

async fn a_correction_published_from_a_request_is_linked_and_resolves_it(store: TestStore) {
    let room = newsroom(&store).await;
    staff(&store, "ed@example.org", Role::Editor, Some(PASSWORD)).await;
    super::tips::register_editor(&store).await;
    let site = site(store).await;
    let token = form_token(&site.app).await;
    let article = room.first.to_string();
    post_tip(
        &site.app,
        &[
            Part::Text("token", &token),
            Part::Text("kind", "correction"),
            Part::Text("article", &article),
            Part::Text("message", "The vote was 52 to 48, not 48 to 52."),
        ],
    )
    .await;
    let tip = site
        .state
        .store()
        .tips()
        .list(None)
        .await
        .unwrap()
        .remove(0);
    let tip_url = format!("/newsroom/tips/{}", tip.id);
    let mut desk = Browser::new(&site.app);
    desk.sign_in("ed@example.org", PASSWORD).await;
    let page = desk.get(&tip_url).await;
    let correct_url = format!(
        "/newsroom/articles/{}/edit?tip={}#notes-heading",
        room.first, tip.id
    );
    assert!(
        page.body
            .contains(&format!("href=\"{correct_url}\">Publish correction</a>")),
        "{}",
        page.body
    );
    let form = desk.get(&correct_url).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body
            .contains(&format!("name=\"tip\" value=\"{}\"", tip.id))
    );
    assert!(form.body.contains("<option value=\"correction\" selected>"));
    let tip_id = tip.id.to_string();
    let published = desk
        .submit(
            &correct_url,
            &format!("/newsroom/articles/{}/notes", room.first),
            &[
                ("kind", "correction"),
                (
                    "text",
                    "An earlier version gave the vote the wrong way round.",
                ),
                ("tip", &tip_id),
            ],
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    let tip = site
        .state
        .store()
        .tips()
        .by_id(tip.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tip.status, dateline_core::TipStatus::Resolved);
    assert_eq!(
        tip.resolution,
        Some(dateline_core::TipResolution::CorrectionPublished)
    );
    let note_id = tip.correction_note_id.expect("linked");
    let page = desk.get(&tip_url).await;
    assert!(
        page.body
            .contains(&format!("Published from this tip (note {note_id})"))
    );
    assert!(!page.body.contains(">Publish correction</a>"));
    let public = get(&site.app, "/politics/budget-vote").await;
    assert!(public.body.contains("the wrong way round"));
}
