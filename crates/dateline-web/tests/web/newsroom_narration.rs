//! Narration in the newsroom: the article's audio status and actions, the lexicon editor with
//! validation that keeps what was typed, voices, and regenerate-all — with the roles' limits.

use dateline_core::JobKind;
use dateline_core::Role;
use dateline_db::AudioStatus;
use dateline_db::testing::TestStore;
use http::StatusCode;

use super::newsroom_auth::{Browser, PASSWORD, staff};
use super::{newsroom, site};

dateline_db::both_backends!(
    the_editor_shows_audio_status_and_its_actions_work,
    the_lexicon_editor_validates_and_keeps_what_was_typed,
    contributors_cannot_manage_narration,
);

async fn signed_in(site: &super::Site, email: &str, role: Role) -> Browser {
    staff(site.state.store(), email, role, Some(PASSWORD)).await;
    let mut browser = Browser::new(&site.app);
    let answer = browser.sign_in(email, PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    browser
}

async fn the_editor_shows_audio_status_and_its_actions_work(store: TestStore) {
    let room = newsroom(&store).await;
    let site = site(store).await;
    let mut editor = signed_in(&site, "editor@example.org", Role::Editor).await;
    let edit = format!("/newsroom/articles/{}/edit", room.first);
    let page = editor.get(&edit).await;
    assert!(page.body.contains(r#"id="audio-heading""#));
    assert!(page.body.contains("Queued"), "published, so queued");

    let failed = "espeak-ng exited with 1";
    site.state
        .store()
        .narration()
        .fail(room.first, failed, jiff::Timestamp::now())
        .await
        .expect("fails");
    let page = editor.get(&edit).await;
    assert!(page.body.contains(&format!("Failed: {failed}")));

    let action = format!("/newsroom/articles/{}/audio", room.first);
    let opted = editor
        .submit(&edit, &action, &[("intent", "opt_out")])
        .await;
    assert_eq!(opted.status, StatusCode::SEE_OTHER);
    let audio = site
        .state
        .store()
        .narration()
        .article_audio(room.first)
        .await
        .expect("reads")
        .expect("row");
    assert_eq!(audio.status, AudioStatus::OptedOut);
    assert!(
        editor
            .get(&edit)
            .await
            .body
            .contains("Narrate this article again")
    );
    editor.submit(&edit, &action, &[("intent", "opt_in")]).await;
    let audio = site
        .state
        .store()
        .narration()
        .article_audio(room.first)
        .await
        .expect("reads")
        .expect("row");
    assert_eq!(audio.status, AudioStatus::Queued);
    let audit = site
        .state
        .store()
        .audit()
        .for_subject("article", room.first)
        .await
        .expect("audit");
    assert!(audit.iter().any(|e| e.action == "article.audio_opt_out"));
    assert!(audit.iter().any(|e| e.action == "article.audio_opt_in"));
}

async fn the_lexicon_editor_validates_and_keeps_what_was_typed(store: TestStore) {
    newsroom(&store).await;
    let site = site(store).await;
    let mut editor = signed_in(&site, "editor@example.org", Role::Editor).await;
    let page = editor.get("/newsroom/narration").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Pronunciation lexicon"));
    assert!(
        page.body.contains(r#"href="/newsroom/narration""#),
        "in the menu"
    );

    let refused = editor
        .submit(
            "/newsroom/narration",
            "/newsroom/narration/lexicon",
            &[
                ("word", "Petro"),
                ("kind", "respelling"),
                ("value", "PEH-troh <b>"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("A respelling uses letters"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(r#"value="PEH-troh &lt;b&gt;""#),
        "what was typed stays"
    );
    assert!(
        site.state
            .store()
            .narration()
            .pronunciations()
            .await
            .expect("reads")
            .is_empty()
    );

    let saved = editor
        .submit(
            "/newsroom/narration",
            "/newsroom/narration/lexicon",
            &[
                ("word", "Petro"),
                ("kind", "respelling"),
                ("value", "PEH-troh"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK);
    assert!(saved.body.contains("<th scope=\"row\">petro</th>"));
    editor
        .submit(
            "/newsroom/narration",
            "/newsroom/narration/voice",
            &[("voice", "en-gb")],
        )
        .await;
    assert_eq!(
        site.state
            .store()
            .narration()
            .site_voice()
            .await
            .expect("voice"),
        "en-gb"
    );

    // Three published articles, one job each already waiting: the backfill finds them queued.
    let all = editor
        .submit(
            "/newsroom/narration",
            "/newsroom/narration/regenerate-all",
            &[],
        )
        .await;
    assert!(all.body.contains("0 articles queued"), "{}", all.body);
    let jobs = site
        .state
        .store()
        .jobs()
        .claim(
            "t",
            &[JobKind::NarrateArticle.name()],
            std::time::Duration::from_secs(9),
            jiff::Timestamp::now(),
        )
        .await
        .expect("claims");
    assert!(jobs.is_some());
}

async fn contributors_cannot_manage_narration(store: TestStore) {
    let room = newsroom(&store).await;
    let site = site(store).await;
    let mut contributor = signed_in(&site, "c@example.org", Role::Contributor).await;
    assert_eq!(
        contributor.get("/newsroom/narration").await.status,
        StatusCode::FORBIDDEN
    );
    let page = contributor.get("/newsroom").await;
    assert!(!page.body.contains(r#"href="/newsroom/narration""#));
    let refused = contributor
        .submit(
            "/newsroom",
            &format!("/newsroom/articles/{}/audio", room.first),
            &[("intent", "opt_out")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
