//! The image library and site management in the newsroom, through the front door, on real files
//! the tests make: a JPEG declaring its source type in XMP, a PNG declaring nothing, a truncated
//! JPEG and a decompression bomb; then sections, settings and their audit entries.

// The workspace denies `unwrap` outside `#[test]` functions; these are plain `async fn`s.
#![allow(clippy::unwrap_used)]

use std::io::Cursor;

use axum::body::Body;
use dateline_core::Role;
use dateline_core::provenance::DigitalSourceType;
use dateline_db::testing::TestStore;
use dateline_provenance::{ImageFormat as MetadataFormat, embed_source_type};
use http::{Request, StatusCode, header};
use image::{DynamicImage, ImageFormat, RgbImage};

use super::newsroom_auth::{Browser, ORIGIN, PASSWORD, csrf_in, input_value, staff};
use super::{Answer, site};

const BOUNDARY: &str = "----datelineTestBoundary7MA4YWxk";

fn encode(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    picture.write_to(&mut out, format).expect("encodes");
    out.into_inner()
}

/// A picture with some texture, so the encoders have something to do.
fn scene(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    }))
}

fn jpeg_declaring(source_type: DigitalSourceType) -> Vec<u8> {
    let plain = encode(&scene(800, 600), ImageFormat::Jpeg);
    embed_source_type(&plain, MetadataFormat::Jpeg, source_type).expect("xmp embeds")
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A valid 1×1 PNG whose header (with a correct CRC) claims 100,000 × 100,000 pixels.
fn decompression_bomb() -> Vec<u8> {
    let mut png = encode(
        &DynamicImage::ImageRgb8(RgbImage::new(1, 1)),
        ImageFormat::Png,
    );
    assert_eq!(&png[12..16], b"IHDR");
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

/// Everything under the media folder, at any depth.
fn stored_files(root: &std::path::Path) -> usize {
    std::fs::read_dir(root)
        .expect("media folder")
        .map(|entry| {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stored_files(&path)
            } else {
                1
            }
        })
        .sum()
}

/// Uploads from the upload page, the way a browser sends the form: the token first.
async fn upload(browser: &mut Browser, fields: &[(&str, &str)], file: &[u8]) -> Answer {
    upload_accepting(browser, fields, file, "text/html").await
}

/// The same upload, asking for `accept` (the editor's script asks for JSON).
async fn upload_accepting(
    browser: &mut Browser,
    fields: &[(&str, &str)],
    file: &[u8],
    accept: &str,
) -> Answer {
    let token = csrf_in(&browser.get("/newsroom/images/new").await.body);
    let mut body = Vec::new();
    let mut text_part = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    text_part("csrf", &token);
    for (name, value) in fields {
        text_part(name, value);
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; \
             filename=\"picture\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let request = Request::post("/newsroom/images")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(header::HOST, "news.example")
        .header(header::ORIGIN, ORIGIN)
        .header(header::ACCEPT, accept);
    browser.send(request, Body::from(body)).await
}

fn location(answer: &Answer) -> String {
    answer.headers[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned()
}

/// The text of the `<option>` marked selected in the select `id`, if any.
fn selected_option(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!(r#"<select id="{id}""#))?;
    let select = &html[start..start + html[start..].find("</select>")?];
    let at = select.find(" selected>")?;
    let value_start = select[..at].rfind("value=\"")? + 7;
    Some(select[value_start..at - 1].to_owned())
}

async fn signed_in(app: &axum::Router, email: &str) -> Browser {
    let mut browser = Browser::new(app);
    let answer = browser.sign_in(email, PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    browser
}

dateline_db::both_backends!(
    the_editor_uploads_and_finds_pictures_as_json,
    uploads_take_the_source_type_from_the_files_own_metadata,
    broken_files_and_missing_alt_text_are_refused_keeping_what_was_typed,
    editing_the_source_type_says_who_set_it_and_roles_are_checked,
    sections_and_settings_are_managed_with_errors_beside_fields,
    author_profiles_get_a_photo_and_links_on_the_public_page,
);

/// The editor's script drops a picture into the text and picks a hero: the same upload and
/// search, answered as JSON, with the same checks (alt text first, nothing stored when refused).
async fn the_editor_uploads_and_finds_pictures_as_json(store: TestStore) {
    staff(&store, "ed@example.org", Role::Editor, Some(PASSWORD)).await;
    let site = site(store).await;
    let mut editor = signed_in(&site.app, "ed@example.org").await;
    let json = "application/json";

    let refused = upload_accepting(
        &mut editor,
        &[("alt", "  "), ("caption", "Kept")],
        &jpeg_declaring(DigitalSourceType::TrainedAlgorithmicMedia),
        json,
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let answer: serde_json::Value = serde_json::from_str(&refused.body).unwrap();
    assert!(
        answer["errors"]["alt"]
            .as_str()
            .unwrap()
            .starts_with("Alt text is required"),
        "{answer}"
    );
    assert_eq!(
        site.state
            .store()
            .library()
            .library_images("", 0, 10)
            .await
            .unwrap()
            .total,
        0
    );

    let placed = upload_accepting(
        &mut editor,
        &[
            ("alt", "A harbour that does not exist"),
            ("caption", "Generated for the explainer"),
            ("credit", "Illustration: Dateline Studio"),
        ],
        &jpeg_declaring(DigitalSourceType::TrainedAlgorithmicMedia),
        json,
    )
    .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    let image: serde_json::Value = serde_json::from_str(&placed.body).unwrap();
    assert_eq!(image["alt"], "A harbour that does not exist");
    assert_eq!(image["credit"], "Illustration: Dateline Studio");
    // The provenance came from the file, as on the upload page.
    assert_eq!(image["source_type"], "trainedAlgorithmicMedia");
    assert_eq!(image["source_type_origin"], "from XMP");
    // The text gets the widest variant up to 1,600 pixels (the 800 px original gives 480).
    assert_eq!(
        (image["src_width"].as_u64(), image["src_height"].as_u64()),
        (Some(480), Some(360))
    );
    let src = image["src"].as_str().unwrap();
    assert!(src.starts_with("/media/") && src.ends_with(".jpg"), "{src}");
    assert_eq!(super::get(&site.app, src).await.status, StatusCode::OK);

    let id = image["id"].as_i64().unwrap();
    let one = editor
        .send(
            Request::get(format!("/newsroom/images/{id}")).header(header::ACCEPT, json),
            Body::empty(),
        )
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&one.body).unwrap()["id"],
        id
    );

    let found = editor
        .send(
            Request::get("/newsroom/images?q=harbour").header(header::ACCEPT, json),
            Body::empty(),
        )
        .await;
    let found: serde_json::Value = serde_json::from_str(&found.body).unwrap();
    assert_eq!(found["total"], 1);
    assert_eq!(found["images"][0]["id"], id);
    let none = editor
        .send(
            Request::get("/newsroom/images?q=budget").header(header::ACCEPT, json),
            Body::empty(),
        )
        .await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&none.body).unwrap()["total"],
        0
    );

    // Someone signed out gets no JSON about the library.
    let mut stranger = Browser::new(&site.app);
    let anonymous = stranger
        .send(
            Request::get("/newsroom/images?q=harbour").header(header::ACCEPT, json),
            Body::empty(),
        )
        .await;
    assert_ne!(anonymous.status, StatusCode::OK);
    assert!(!anonymous.body.contains("harbour"), "{}", anonymous.body);
}

async fn uploads_take_the_source_type_from_the_files_own_metadata(store: TestStore) {
    staff(&store, "ed@example.org", Role::Editor, Some(PASSWORD)).await;
    let site = site(store).await;
    let mut editor = signed_in(&site.app, "ed@example.org").await;

    let ai = upload(
        &mut editor,
        &[
            ("alt", "A harbour that does not exist"),
            ("caption", "Generated for the explainer"),
            ("credit", "Illustration: Dateline Studio"),
        ],
        &jpeg_declaring(DigitalSourceType::TrainedAlgorithmicMedia),
    )
    .await;
    assert_eq!(ai.status, StatusCode::SEE_OTHER, "{}", ai.body);
    let edit_url = location(&ai);
    assert!(edit_url.ends_with("?uploaded=1"), "{edit_url}");
    let page = editor.get(&edit_url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("(from XMP)"), "{}", page.body);
    assert!(page.body.contains("Uploaded."), "a notice: {}", page.body);
    assert_eq!(
        selected_option(&page.body, "source_type").as_deref(),
        Some("trainedAlgorithmicMedia"),
        "the select is pre-filled"
    );
    assert_eq!(
        input_value(&page.body, "alt"),
        "A harbour that does not exist"
    );
    assert!(page.body.contains("uploaded by editor person"));

    let png = encode(&scene(640, 480), ImageFormat::Png);
    let plain = upload(&mut editor, &[("alt", "A chart of the budget")], &png).await;
    assert_eq!(plain.status, StatusCode::SEE_OTHER, "{}", plain.body);
    let page = editor.get(&location(&plain)).await;
    assert!(page.body.contains("(not declared)"), "{}", page.body);
    assert_eq!(selected_option(&page.body, "source_type"), None);

    let library = site
        .state
        .store()
        .library()
        .library_images("", 0, 10)
        .await
        .unwrap();
    assert_eq!(library.total, 2);
    let png_item = &library.images[0];
    assert_eq!(png_item.image.original_mime, "image/png");
    assert_eq!(png_item.image.source_type, None);
    assert_eq!(
        png_item.source_type_origin,
        dateline_db::SourceTypeOrigin::None
    );

    let list = editor.get("/newsroom/images").await;
    assert_eq!(list.status, StatusCode::OK);
    let thumbnail = png_item
        .image
        .variants
        .iter()
        .find(|v| v.width == 480 && v.format == "jpeg")
        .expect("a 480 variant");
    assert!(
        list.body.contains(&format!("/media/{}", thumbnail.key)),
        "the 480 variant is the thumbnail: {}",
        list.body
    );
    let search = editor.get("/newsroom/images?q=harbour").await;
    assert!(search.body.contains("A harbour that does not exist"));
    assert!(!search.body.contains("A chart of the budget"));
    assert!(search.body.contains("1 image matching"));
}

async fn broken_files_and_missing_alt_text_are_refused_keeping_what_was_typed(store: TestStore) {
    staff(&store, "ed@example.org", Role::Editor, Some(PASSWORD)).await;
    let site = site(store).await;
    let mut editor = signed_in(&site.app, "ed@example.org").await;

    let whole = encode(&scene(800, 600), ImageFormat::Jpeg);
    let truncated = upload(
        &mut editor,
        &[("alt", "Flooded street"), ("caption", "Water on Calle 5")],
        &whole[..whole.len() / 2],
    )
    .await;
    assert_eq!(truncated.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        truncated
            .body
            .contains("The image file is damaged or incomplete"),
        "{}",
        truncated.body
    );
    assert!(truncated.body.contains(r#"id="file-error""#));
    assert_eq!(input_value(&truncated.body, "alt"), "Flooded street");
    assert!(truncated.body.contains(">Water on Calle 5</textarea>"));

    let bomb = upload(
        &mut editor,
        &[("alt", "Nothing really")],
        &decompression_bomb(),
    )
    .await;
    assert_eq!(bomb.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bomb.body.contains("100000 × 100000"),
        "the reason names the size: {}",
        bomb.body
    );

    let no_alt = upload(
        &mut editor,
        &[("alt", "  "), ("caption", "Typed & kept <caption>")],
        &encode(&scene(300, 200), ImageFormat::Png),
    )
    .await;
    assert_eq!(no_alt.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_alt.body.contains(r#"id="alt-error""#), "{}", no_alt.body);
    assert!(no_alt.body.contains("Alt text is required"));
    assert!(
        no_alt
            .body
            .contains(">Typed &amp; kept &lt;caption&gt;</textarea>"),
        "{}",
        no_alt.body
    );

    assert_eq!(
        site.state
            .store()
            .library()
            .library_images("", 0, 10)
            .await
            .unwrap()
            .total,
        0,
        "nothing in the library"
    );
    assert_eq!(stored_files(site._media.path()), 0, "nothing stored");
    assert!(
        site.state
            .store()
            .audit()
            .log(None, 50)
            .await
            .unwrap()
            .iter()
            .all(|e| e.action != "image.upload")
    );
}

async fn editing_the_source_type_says_who_set_it_and_roles_are_checked(store: TestStore) {
    staff(&store, "ed@example.org", Role::Editor, Some(PASSWORD)).await;
    let contributor = staff(&store, "co@example.org", Role::Contributor, Some(PASSWORD)).await;
    let site = site(store).await;
    let mut editor = signed_in(&site.app, "ed@example.org").await;
    let mut writer = signed_in(&site.app, "co@example.org").await;

    let uploaded = upload(
        &mut editor,
        &[("alt", "Crowd at the square")],
        &jpeg_declaring(DigitalSourceType::DigitalCapture),
    )
    .await;
    let edit_url = location(&uploaded);
    let page_url = edit_url.trim_end_matches("?uploaded=1").to_owned();

    // Someone else's picture: a contributor sees it but may not change it.
    let seen = writer.get(&page_url).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.body.contains(r#"<select id="source_type""#));
    let refused = writer
        .submit(
            &page_url,
            &page_url,
            &[("alt", "Changed"), ("source_type", "compositeSynthetic")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let id: i64 = page_url.rsplit('/').next().unwrap().parse().unwrap();
    let unchanged = site
        .state
        .store()
        .library()
        .library_image(id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged.image.alt, "Crowd at the square");

    // Their own upload they may describe.
    let own = upload(
        &mut writer,
        &[("alt", "My sketch")],
        &encode(&scene(300, 200), ImageFormat::Png),
    )
    .await;
    assert_eq!(own.status, StatusCode::SEE_OTHER, "{}", own.body);
    let own_url = location(&own).trim_end_matches("?uploaded=1").to_owned();
    let saved = writer
        .submit(
            &own_url,
            &own_url,
            &[
                ("alt", "My sketch of the square"),
                ("source_type", "digitalCreation"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = writer.get(&location(&saved)).await;
    assert!(
        page.body
            .contains(&format!("(set by {})", contributor.display_name)),
        "{}",
        page.body
    );

    // Empty alt text on edit: refused, the typed caption shown again, nothing saved.
    let bad = editor
        .submit(
            &page_url,
            &page_url,
            &[
                ("alt", ""),
                ("caption", "Kept caption"),
                ("source_type", "digitalCapture"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains(r#"id="alt-error""#));
    assert!(bad.body.contains(">Kept caption</textarea>"));

    let changed = editor
        .submit(
            &page_url,
            &page_url,
            &[
                ("alt", "Crowd at the square"),
                ("caption", "Composite of two frames"),
                ("source_type", "compositeCapture"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let page = editor.get(&location(&changed)).await;
    assert!(
        page.body.contains("(set by editor person)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Saved."));
    assert_eq!(
        selected_option(&page.body, "source_type").as_deref(),
        Some("compositeCapture")
    );

    let audit = site
        .state
        .store()
        .audit()
        .for_subject("image", id)
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["image.upload", "image.edit"]);
    assert_eq!(audit[1].actor.name, "editor person");
    assert!(
        audit[1]
            .detail
            .contains("source type digitalCapture → compositeCapture"),
        "{}",
        audit[1].detail
    );
}

async fn sections_and_settings_are_managed_with_errors_beside_fields(store: TestStore) {
    staff(&store, "admin@example.org", Role::Admin, Some(PASSWORD)).await;
    staff(&store, "ed@example.org", Role::Editor, Some(PASSWORD)).await;
    let site = site(store).await;
    let mut admin = signed_in(&site.app, "admin@example.org").await;
    let mut editor = signed_in(&site.app, "ed@example.org").await;

    for page in ["/newsroom/sections", "/newsroom/settings"] {
        assert_eq!(
            editor.get(page).await.status,
            StatusCode::FORBIDDEN,
            "{page}"
        );
    }

    let bad = admin
        .submit(
            "/newsroom/sections",
            "/newsroom/sections",
            &[
                ("name", "Climate desk"),
                ("slug", "Climate Desk!"),
                ("position", "x"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains(r#"id="slug-error""#), "{}", bad.body);
    assert!(bad.body.contains(r#"id="position-error""#));
    assert_eq!(input_value(&bad.body, "name"), "Climate desk");
    assert_eq!(input_value(&bad.body, "slug"), "Climate Desk!");

    let created = admin
        .submit(
            "/newsroom/sections",
            "/newsroom/sections",
            &[
                ("name", "Climate"),
                ("slug", ""),
                ("description", "Heat, water, energy."),
                ("position", "3"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let section = site
        .state
        .store()
        .site()
        .section_by_slug("climate")
        .await
        .unwrap()
        .expect("the slug is made from the name");
    assert_eq!(section.position, 3);
    let listed = admin.get(&location(&created)).await;
    assert!(listed.body.contains("Saved."));

    let form_url = format!("/newsroom/sections/{}", section.id);
    let renamed = admin
        .submit(
            &form_url,
            &form_url,
            &[
                ("name", "Climate & Environment"),
                ("slug", "climate-environment"),
                ("description", "Heat, water, energy."),
                ("position", "1"),
            ],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
    let old = super::get_with(&site.app, "/climate", &[]).await;
    assert!(old.status.is_redirection(), "{}", old.status);
    assert_eq!(old.headers[header::LOCATION], "/climate-environment");

    let reserved = admin
        .submit(
            &form_url,
            &form_url,
            &[("name", "Search"), ("slug", "search"), ("position", "1")],
        )
        .await;
    assert_eq!(reserved.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reserved.body.contains("is reserved"), "{}", reserved.body);

    let audit = site
        .state
        .store()
        .audit()
        .for_subject("section", section.id)
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["section.create", "section.update"]);
    assert!(
        audit[1]
            .detail
            .contains("address /climate → /climate-environment"),
        "{}",
        audit[1].detail
    );

    let settings = [
        ("name", "The Harbour Times"),
        ("tagline", "News from the bay"),
        ("language", "es"),
        ("time_zone", "Mars/Olympus_Mons"),
        ("corrections_policy_url", "/about/corrections"),
        ("ethics_policy_url", "not a link"),
        ("ai_policy_url", ""),
    ];
    let refused = admin
        .submit("/newsroom/settings", "/newsroom/settings", &settings)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(r#"id="time-zone-error""#),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("is not a time zone"));
    assert!(refused.body.contains(r#"id="ethics-policy-url-error""#));
    assert!(
        !refused
            .body
            .contains(r#"id="corrections-policy-url-error""#)
    );
    assert_eq!(input_value(&refused.body, "name"), "The Harbour Times");
    assert_eq!(input_value(&refused.body, "time_zone"), "Mars/Olympus_Mons");
    assert_ne!(
        site.state.store().site().settings().await.unwrap().name,
        "The Harbour Times"
    );

    let logo = upload(
        &mut admin,
        &[("alt", "The Harbour Times wordmark")],
        &encode(&scene(1200, 200), ImageFormat::Png),
    )
    .await;
    let logo_id = location(&logo)
        .trim_end_matches("?uploaded=1")
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let mut fixed = settings.to_vec();
    fixed[3] = ("time_zone", "America/Bogota");
    fixed[5] = ("ethics_policy_url", "https://harbour.example/ethics");
    fixed.push(("logo_image_id", "999999"));
    let gone = admin
        .submit("/newsroom/settings", "/newsroom/settings", &fixed)
        .await;
    assert_eq!(gone.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        gone.body.contains(r#"id="logo-image-id-error""#),
        "{}",
        gone.body
    );
    fixed[7] = ("logo_image_id", logo_id.as_str());
    let saved = admin
        .submit("/newsroom/settings", "/newsroom/settings", &fixed)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(admin.get(&location(&saved)).await.body.contains("Saved."));
    let stored = site.state.store().site().settings().await.unwrap();
    assert_eq!(stored.name, "The Harbour Times");
    assert_eq!(stored.time_zone, "America/Bogota");
    assert_eq!(stored.ai_policy_url, None);
    assert_eq!(stored.logo_image_id, Some(logo_id.parse().unwrap()));
    let front = super::get_with(&site.app, "/", &[]).await;
    assert_eq!(front.status, StatusCode::OK);
    assert!(
        front.body.contains(r#"class="site-logo" src="/media/"#),
        "the masthead shows the library logo: {}",
        front.body
    );
    assert!(front.body.contains(r#"alt="The Harbour Times""#));
    let entry = site
        .state
        .store()
        .audit()
        .log(None, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == "settings.update")
        .expect("an audit entry for the settings");
    assert!(entry.detail.contains("time zone"), "{}", entry.detail);
    assert!(
        entry.detail.contains("“America/Bogota”"),
        "{}",
        entry.detail
    );
}

async fn author_profiles_get_a_photo_and_links_on_the_public_page(store: TestStore) {
    staff(&store, "admin@example.org", Role::Admin, Some(PASSWORD)).await;
    let site = site(store).await;
    let mut admin = signed_in(&site.app, "admin@example.org").await;
    let portrait = upload(
        &mut admin,
        &[("alt", "Lucía Méndez on the Quindío ridge")],
        &encode(&scene(900, 900), ImageFormat::Jpeg),
    )
    .await;
    assert_eq!(portrait.status, StatusCode::SEE_OTHER, "{}", portrait.body);
    let photo_id = location(&portrait)
        .trim_end_matches("?uploaded=1")
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();

    let typed = [
        ("name", "Lucía Méndez"),
        ("slug", ""),
        ("role", "Climate correspondent"),
        ("bio", "Covers the Andes & the coast."),
        ("photo_image_id", photo_id.as_str()),
        ("links", "Mastodon https://social.example/@lucia\nfeed:nope"),
    ];
    let refused = admin
        .submit("/newsroom/authors", "/newsroom/authors", &typed)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(r#"id="links-error""#),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(">Covers the Andes &amp; the coast.</textarea>")
    );
    assert_eq!(
        selected_option(&refused.body, "photo_image_id").as_deref(),
        Some(photo_id.as_str()),
        "the chosen photo stays chosen"
    );

    let mut fixed = typed;
    fixed[5] = (
        "links",
        "Mastodon https://social.example/@lucia\nhttps://www.lucia.example/",
    );
    let created = admin
        .submit("/newsroom/authors", "/newsroom/authors", &fixed)
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let profile = site
        .state
        .store()
        .people()
        .author_profile_by_slug("lucia-mendez")
        .await
        .unwrap()
        .expect("the slug is made from the name");
    assert_eq!(profile.photo_image_id, Some(photo_id.parse().unwrap()));
    assert_eq!(profile.links[1].label, "lucia.example");

    let public = super::get_with(&site.app, "/authors/lucia-mendez", &[]).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(
        public.body.contains(r#"class="listing-photo""#),
        "{}",
        public.body
    );
    assert!(
        public
            .body
            .contains(r#"alt="Lucía Méndez on the Quindío ridge""#)
    );
    assert!(
        public
            .body
            .contains(r#"<a href="https://social.example/@lucia" rel="me">Mastodon</a>"#)
    );
    assert!(public.body.contains(">lucia.example</a>"));

    // The byline's own writer edits it; another author may not.
    let store = site.state.store();
    for (email, author_id) in [
        ("lucia@example.org", Some(profile.author.id)),
        ("other@example.org", None),
    ] {
        store
            .people()
            .create_staff(
                &dateline_db::NewStaff {
                    email: email.to_owned(),
                    display_name: email.to_owned(),
                    role: Role::Author,
                    password_hash: Some(
                        dateline_web::newsroom::secrets::hash_password(PASSWORD).unwrap(),
                    ),
                    author_id,
                },
                jiff::Timestamp::now(),
            )
            .await
            .unwrap();
    }
    let url = format!("/newsroom/authors/{}", profile.author.id);
    let mut lucia = signed_in(&site.app, "lucia@example.org").await;
    let mut other = signed_in(&site.app, "other@example.org").await;
    assert_eq!(other.get(&url).await.status, StatusCode::FORBIDDEN);
    let mut own = fixed;
    own[3] = ("bio", "Covers the Andes, the coast and the rivers between.");
    let saved = lucia.submit(&url, &url, &own).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(lucia.get(&location(&saved)).await.body.contains("Saved."));
    let refused = other.submit(&url, &url, &own).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let audit = store
        .audit()
        .for_subject("author", profile.author.id)
        .await
        .unwrap();
    let actors: Vec<(&str, &str)> = audit
        .iter()
        .map(|e| (e.action.as_str(), e.actor.name.as_str()))
        .collect();
    assert_eq!(
        actors,
        [
            ("author.create", "admin person"),
            ("author.update", "lucia@example.org")
        ]
    );
}
