//! The newsroom's site forms through the front door: sections, settings, author profiles and a
//! picture's descriptions. What the use case refuses is shown beside its field, with what was
//! typed kept; what it accepts is in the audit log.

use dateline_core::Role;
use dateline_db::testing::{TestStore, library_picture, staff_member};
use dateline_db::{Actor, AuthorInput};
use dateline_web::newsroom::secrets;
use http::StatusCode;

use super::newsroom_auth::{Browser, PASSWORD, staff};
use super::site;

dateline_db::both_backends!(
    section_and_settings_forms_show_refusals_beside_their_fields,
    author_and_picture_forms_show_refusals_beside_their_fields,
);

/// Whether the page shows an error beside `field`, as the newsroom's templates mark it (the
/// message's id is the field's name with hyphens).
fn marked(body: &str, field: &str) -> bool {
    let id = field.replace('_', "-");
    body.contains(&format!(r#"aria-describedby="{id}-error""#))
}

async fn section_and_settings_forms_show_refusals_beside_their_fields(store: TestStore) {
    staff(&store, "boss@example.org", Role::Admin, Some(PASSWORD)).await;
    let site = site(store).await;
    let mut admin = Browser::new(&site.app);
    admin.sign_in("boss@example.org", PASSWORD).await;

    let refused = admin
        .submit(
            "/newsroom/sections",
            "/newsroom/sections",
            &[("name", "Search"), ("slug", ""), ("position", "first")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(marked(&refused.body, "slug") && marked(&refused.body, "position"));
    assert!(
        refused.body.contains("is reserved for the site"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(r#"value="first""#),
        "what was typed stays"
    );
    assert!(
        site.state
            .store()
            .site()
            .sections()
            .await
            .expect("sections")
            .is_empty()
    );

    let created = admin
        .submit(
            "/newsroom/sections",
            "/newsroom/sections",
            &[("name", "Politics"), ("position", "1")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let section = site
        .state
        .store()
        .site()
        .sections()
        .await
        .expect("sections")[0]
        .clone();
    assert_eq!(section.slug, "politics");
    let moved = admin
        .submit(
            &format!("/newsroom/sections/{}", section.id),
            &format!("/newsroom/sections/{}", section.id),
            &[("name", "Politics"), ("slug", "power"), ("position", "1")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);

    let refused = admin
        .submit(
            "/newsroom/settings",
            "/newsroom/settings",
            &[
                ("name", "The Courier"),
                ("language", "en"),
                ("time_zone", "Europe/Pariss"),
                ("corrections_policy_url", "javascript:alert(1)"),
                ("logo_image_id", "99"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["time_zone", "corrections_policy_url", "logo_image_id"] {
        assert!(marked(&refused.body, field), "{field}: {}", refused.body);
    }
    assert!(
        refused.body.contains("Europe/Pariss"),
        "what was typed stays"
    );
    let saved = admin
        .submit(
            "/newsroom/settings",
            "/newsroom/settings",
            &[
                ("name", "The Courier"),
                ("tagline", "News"),
                ("language", "en"),
                ("time_zone", "Europe/Paris"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        site.state
            .store()
            .site()
            .settings()
            .await
            .expect("settings")
            .name,
        "The Courier"
    );

    let audit = site
        .state
        .store()
        .audit()
        .log(None, 10)
        .await
        .expect("audit");
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .rev()
        .map(|e| (e.action.as_str(), e.detail.as_str()))
        .collect();
    assert_eq!(
        actions[actions.len() - 3..],
        [
            ("section.create", "“Politics” at /politics"),
            (
                "section.update",
                "address /politics → /power (old address redirects)"
            ),
            (
                "settings.update",
                "name “Dateline” → “The Courier”; tagline “Independent journalism” → “News”; \
                 time zone “UTC” → “Europe/Paris”"
            ),
        ]
    );
}

async fn author_and_picture_forms_show_refusals_beside_their_fields(store: TestStore) {
    let own = store
        .people()
        .create_author(
            &AuthorInput {
                slug: "cora".into(),
                name: "Cora".into(),
                role: String::new(),
                bio: String::new(),
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("author");
    let other = store
        .people()
        .create_author(
            &AuthorInput {
                slug: "bo".into(),
                name: "Bo".into(),
                role: String::new(),
                bio: String::new(),
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("author");
    let cora = staff_member(&store, "Cora", Role::Contributor, Some(own.id)).await;
    let password = secrets::hash_password(PASSWORD).expect("hash");
    let setup = Actor::system("test");
    let now = jiff::Timestamp::now();
    store
        .people()
        .change_staff_password(cora.id, &password, None, &setup, now)
        .await
        .expect("password");
    let picture = library_picture(&store, &Actor::staff(cora.id, "Cora")).await;
    let site = site(store).await;
    let mut browser = Browser::new(&site.app);
    browser.sign_in("cora@dateline.test", PASSWORD).await;

    let own_page = format!("/newsroom/authors/{}", own.id);
    let refused = browser
        .submit(
            &own_page,
            &own_page,
            &[("name", "Cora"), ("links", "Site javascript:alert(1)")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(marked(&refused.body, "links"), "{}", refused.body);
    assert!(refused.body.contains("is not a link"));
    let saved = browser
        .submit(
            &own_page,
            &own_page,
            &[("name", "Cora Lee"), ("links", "https://cora.example")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let others = format!("/newsroom/authors/{}", other.id);
    let forbidden = browser.submit(&own_page, &others, &[("name", "Bo")]).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);

    let image_page = format!("/newsroom/images/{}", picture.image.id);
    let long = "x".repeat(1_001);
    let refused = browser
        .submit(
            &image_page,
            &image_page,
            &[("alt", "Plaza"), ("caption", &long)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(marked(&refused.body, "caption"), "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Keep the caption to 1000 characters.")
    );
    let described = browser
        .submit(
            &image_page,
            &image_page,
            &[("alt", "Plaza"), ("caption", "At dawn")],
        )
        .await;
    assert_eq!(
        described.status,
        StatusCode::SEE_OTHER,
        "{}",
        described.body
    );
    let audit = site
        .state
        .store()
        .audit()
        .for_subject("author", own.id)
        .await
        .expect("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "author.update");
}
