//! Tips through the front door: the box on the article, the form without cookies, encryption
//! before anything is written (checked byte by byte on disk, and with the stock `age` tool),
//! codename follow-ups, bad input and the limits, request privacy.

// The workspace denies `unwrap` outside `#[test]` functions; these are plain `async fn`s.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use dateline_db::testing::TestStore;
use dateline_db::{Actor, NewTipRecipient, Store};
use dateline_tips::{EditorIdentity, NewIdentity, Recipients};
use http::{Request, StatusCode, header};
use tower::ServiceExt;

use super::{Answer, get, newsroom, site};

pub(crate) const BOUNDARY: &str = "----datelineTipBoundary93XkQ";
const SECRET_MESSAGE: &str = "The harbour contract was signed before the tender closed";
const SECRET_CONTACT: &str = "signal-me-at-5550199";
const SECRET_FILE: &[u8] = b"%PDF-1.4\nminutes: the deputy minister approved payment 4471\n";
const PROBE_AGENT: &str = "TipPrivacyProbe/7.31 (distinctive)";
const PROBE_ADDRESS: &str = "203.0.113.77";

dateline_db::both_backends!(
    the_box_and_the_form_need_no_cookie,
    without_a_recipient_the_form_says_so_and_stores_nothing,
    a_tip_reaches_the_editor_and_replies_reach_the_codename,
    bad_input_is_explained_kept_and_not_stored,
    wrong_codenames_are_rate_limited,
    tips_and_codename_guesses_through_several_nodes_count_against_one_limit,
    a_busy_address_gets_through_with_a_proof_of_work,
    a_proof_of_work_passes_once_on_any_node,
    refusals_come_before_the_upload_is_read,
    a_malformed_upload_is_refused_after_a_few_kilobytes,
    a_large_attachment_streams_into_storage,
    nothing_is_left_behind_when_an_upload_stops_halfway,
);

/// An editor's identity registered as the newsroom's recipient.
pub(crate) async fn register_editor(store: &Store) -> NewIdentity {
    let identity = dateline_tips::generate_identity("Test editor", "today");
    store
        .tips()
        .add_recipient(
            &NewTipRecipient {
                staff_id: None,
                label: "Test editor".to_owned(),
                public_key: identity.public_key.clone(),
                recovery: false,
                wrapped_identity: None,
            },
            &Actor::system("test"),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    identity
}

pub(crate) enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a [u8]),
}

pub(crate) fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                );
                body.extend_from_slice(value.as_bytes());
            }
            Part::File(file_name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"attachments\"; \
                         filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn send(app: &Router, request: http::request::Builder, body: impl Into<Body>) -> Answer {
    let mut request = request
        .header(header::USER_AGENT, PROBE_AGENT)
        .body(body.into())
        .expect("request");
    let address: SocketAddr = format!("{PROBE_ADDRESS}:41234").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(address));
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// Sends the tip form as the page does: the form token (and a proof of work, if any) in the
/// URL, the fields in a multipart body. `Part::Text("token", …)` and `Part::Text("pow", …)` go
/// into the URL.
pub(crate) async fn post_tip(app: &Router, parts: &[Part<'_>]) -> Answer {
    let mut query = form_urlencoded::Serializer::new(String::new());
    let mut body_parts = Vec::new();
    for part in parts {
        match part {
            Part::Text(name @ ("token" | "pow"), value) => {
                query.append_pair(name, value);
            }
            Part::Text(name, value) => body_parts.push(Part::Text(name, value)),
            Part::File(name, bytes) => body_parts.push(Part::File(name, bytes)),
        }
    }
    let body = multipart(&body_parts);
    send(
        app,
        Request::post(format!("/tips?{}", query.finish()))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header(header::CONTENT_LENGTH, body.len()),
        body,
    )
    .await
}

pub(crate) async fn post_follow_up(app: &Router, fields: &[(&str, &str)]) -> Answer {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    send(
        app,
        Request::post("/tips/follow-up")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
        body.into_bytes(),
    )
    .await
}

/// The value of the hidden `name` input of a page.
pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    let end = html[start..].find('"').expect("end of value");
    html[start..start + end].to_owned()
}

/// The form token of a freshly served tip form, from where the page puts it: the form's URL.
pub(crate) async fn form_token(app: &Router) -> String {
    token_in_action(&get(app, "/tips").await.body)
}

pub(crate) fn token_in_action(html: &str) -> String {
    let marker = "action=\"/tips?token=";
    let start = html
        .find(marker)
        .expect("the form's action carries its token")
        + marker.len();
    let end = html[start..].find('"').expect("end of action");
    html[start..start + end].to_owned()
}

pub(crate) fn codename_in(html: &str) -> String {
    let start = html.find("data-codename>").expect("codename shown") + "data-codename>".len();
    let end = html[start..].find('<').expect("end");
    html[start..start + end].trim().to_owned()
}

fn editor(identity: &NewIdentity) -> EditorIdentity {
    EditorIdentity::from_file_text(&identity.file_text).unwrap()
}

fn assert_private(answer: &Answer) {
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(answer.headers[header::REFERRER_POLICY], "no-referrer");
    let csp = answer.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert!(csp.contains("form-action 'self'"));
    assert!(answer.headers.get(header::SET_COOKIE).is_none());
}

fn files_under(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

async fn the_box_and_the_form_need_no_cookie(store: TestStore) {
    let room = newsroom(&store).await;
    register_editor(&store).await;
    let site = site(store).await;
    let article = get(&site.app, "/politics/budget-vote").await;
    assert!(article.body.contains("Know something we missed?"));
    assert!(
        article
            .body
            .contains("Have a correction or additional information?")
    );
    let link = format!("href=\"/tips/new?article={}\">Submit a Tip</a>", room.first);
    assert!(article.body.contains(&link), "tip box links the form");

    let form = get(&site.app, &format!("/tips/new?article={}", room.first)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_private(&form);
    assert!(
        form.body
            .contains("About: <a href=\"/politics/budget-vote\">Budget vote passes</a>")
    );
    assert!(form.body.contains("value=\"correction\" checked"));
    assert!(form.body.contains("enctype=\"multipart/form-data\""));
    assert!(!token_in_action(&form.body).is_empty());
    assert!(
        !form.body.contains("name=\"token\""),
        "the token is checked from the URL before the body is read, so it is not a field"
    );
    let general = get(&site.app, "/tips").await;
    assert!(general.body.contains("value=\"tip\" checked"));
    assert!(!general.body.contains("About:"));
    // An article that is not published is not named.
    let unknown = get(&site.app, "/tips/new?article=999999").await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert!(!unknown.body.contains("About:"));
    let follow = get(&site.app, "/tips/follow-up").await;
    assert_private(&follow);
}

async fn without_a_recipient_the_form_says_so_and_stores_nothing(store: TestStore) {
    let site = site(store).await;
    let form = get(&site.app, "/tips").await;
    assert!(form.body.contains("not set up"));
    assert!(!form.body.contains("<textarea"));
    let token = hidden(&get(&site.app, "/tips/follow-up").await.body, "token");
    let answer = post_tip(
        &site.app,
        &[
            Part::Text("token", &token),
            Part::Text("kind", "tip"),
            Part::Text("message", SECRET_MESSAGE),
            Part::File("memo.pdf", SECRET_FILE),
        ],
    )
    .await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.body.contains("Secure tips are not set up"));
    assert!(
        site.state
            .store()
            .tips()
            .list(None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(files_under(site._media.path()).is_empty());
}

async fn a_tip_reaches_the_editor_and_replies_reach_the_codename(store: TestStore) {
    let room = newsroom(&store).await;
    let identity = register_editor(&store).await;
    let site = site(store).await;
    let token = form_token(&site.app).await;
    let article = room.first.to_string();
    let answer = post_tip(
        &site.app,
        &[
            Part::Text("token", &token),
            Part::Text("article", &article),
            Part::Text("kind", "correction"),
            Part::Text("message", SECRET_MESSAGE),
            Part::Text("contact", SECRET_CONTACT),
            Part::File("minutes.pdf", SECRET_FILE),
        ],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_private(&answer);
    let codename = codename_in(&answer.body);
    assert_eq!(codename.split(' ').count(), 7);

    let store = site.state.store();
    let tips = store.tips().list(None).await.unwrap();
    assert_eq!(tips.len(), 1);
    let tip = &tips[0];
    assert_eq!(tip.kind, dateline_core::TipKind::Correction);
    assert_eq!(tip.article_id, Some(room.first));
    let editor = editor(&identity);
    assert_eq!(
        editor.decrypt(&tip.message).unwrap().as_slice(),
        SECRET_MESSAGE.as_bytes()
    );
    assert_eq!(
        editor
            .decrypt(tip.contact.as_ref().unwrap())
            .unwrap()
            .as_slice(),
        SECRET_CONTACT.as_bytes()
    );
    let attachments = store.tips().attachments(tip.id).await.unwrap();
    assert_eq!(attachments.len(), 1);
    let description = editor.decrypt(&attachments[0].description).unwrap();
    let description: serde_json::Value = serde_json::from_slice(&description).unwrap();
    assert_eq!(description["name"], "minutes.pdf");
    assert_eq!(description["type"], "application/pdf");
    let stored = site.state.media().get(&attachments[0].object_key).await;
    let stored = stored.unwrap().expect("object stored");
    assert_eq!(editor.decrypt(&stored).unwrap().as_slice(), SECRET_FILE);
    // Readers cannot fetch the ciphertext.
    let public = get(&site.app, &format!("/media/{}", attachments[0].object_key)).await;
    assert_eq!(public.status, StatusCode::NOT_FOUND);

    // The codename opens the tip, typed back in any case and spacing.
    let token = form_token(&site.app).await;
    let retyped = format!("  {}  ", codename.to_uppercase().replace(' ', "   "));
    let opened = post_follow_up(&site.app, &[("token", &token), ("codename", &retyped)]).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    assert_private(&opened);
    assert!(opened.body.contains("No replies yet"));

    // The newsroom replies: encrypted to its recipients and to the codename's key.
    let recipients = Recipients::parse([identity.public_key.as_str()]).unwrap();
    let reply_key = dateline_tips::parse_recipient(&tip.reply_public_key).unwrap();
    let reply =
        dateline_tips::encrypt(&recipients.with(reply_key), b"Can you share the tender?").unwrap();
    store
        .tips()
        .add_message(
            tip.id,
            &reply,
            Some(&Actor::system("Test editor")),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let token = form_token(&site.app).await;
    let answered = post_follow_up(
        &site.app,
        &[
            ("token", &token),
            ("codename", &codename),
            ("message", "Yes, I will send it next week."),
        ],
    )
    .await;
    assert_eq!(answered.status, StatusCode::OK);
    assert!(answered.body.contains("Can you share the tender?"));
    assert!(answered.body.contains("Yes, I will send it next week."));
    assert!(answered.body.contains("was encrypted and sent"));
    let messages = store.tips().messages(tip.id).await.unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        editor.decrypt(&messages[1].body).unwrap().as_slice(),
        b"Yes, I will send it next week."
    );
}

async fn bad_input_is_explained_kept_and_not_stored(store: TestStore) {
    register_editor(&store).await;
    let site = site(store).await;
    let token = form_token(&site.app).await;
    let typed = "What I typed & want to keep <b>";
    let escaped = "What I typed &amp; want to keep &lt;b&gt;";
    let too_long = "x".repeat(dateline_tips::MAX_MESSAGE_CHARS + 1);
    let big = vec![b'a'; dateline_tips::MAX_ATTACHMENT_BYTES + 1];
    let cases: Vec<(Vec<Part<'_>>, &str, &str)> = vec![
        (
            vec![
                Part::Text("token", &token),
                Part::Text("kind", "tip"),
                Part::Text("message", "   "),
                Part::Text("contact", typed),
            ],
            "Write your message",
            escaped,
        ),
        (
            vec![
                Part::Text("token", &token),
                Part::Text("kind", "tip"),
                Part::Text("message", &too_long),
            ],
            "the limit is 20000",
            too_long.as_str(),
        ),
        (
            vec![
                Part::Text("token", &token),
                Part::Text("kind", "tip"),
                Part::Text("message", typed),
                Part::File("tool.exe", b"MZ\x90\0"),
            ],
            "is not a type we accept",
            escaped,
        ),
        (
            vec![
                Part::Text("token", &token),
                Part::Text("kind", "tip"),
                Part::Text("message", typed),
                Part::File("huge.txt", &big),
            ],
            "is larger than 25 MB",
            escaped,
        ),
        (
            vec![
                Part::Text("token", &token),
                Part::Text("kind", "tip"),
                Part::Text("message", typed),
                Part::File("1.txt", b"one"),
                Part::File("2.txt", b"two"),
                Part::File("3.txt", b"three"),
                Part::File("4.txt", b"four"),
                Part::File("5.txt", b"five"),
                Part::File("6.txt", b"six"),
            ],
            "Attach at most 5 files",
            escaped,
        ),
        (
            vec![
                Part::Text("token", "1700000000.00ff"),
                Part::Text("kind", "tip"),
                Part::Text("message", typed),
            ],
            "did not come from this site",
            escaped,
        ),
        (
            vec![
                Part::Text("token", &token),
                Part::Text("kind", "gossip"),
                Part::Text("message", typed),
            ],
            "Choose what you are sending",
            escaped,
        ),
    ];
    for (parts, message, kept) in cases {
        let answer = post_tip(&site.app, &parts).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{message}");
        assert!(answer.body.contains(message), "{message}: {}", answer.body);
        assert!(
            answer.body.contains("aria-invalid=\"true\"") || answer.body.contains("role=\"alert\"")
        );
        assert!(answer.body.contains(kept), "{message}: typed text kept");
        assert_private(&answer);
    }
    assert!(
        site.state
            .store()
            .tips()
            .list(None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(files_under(site._media.path()).is_empty());
    // A follow-up is small: a body far over the longest message is not read into memory.
    let token = hidden(&get(&site.app, "/tips/follow-up").await.body, "token");
    let flood = "x".repeat(1024 * 1024);
    let answer = post_follow_up(&site.app, &[("token", &token), ("message", &flood)]).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

async fn wrong_codenames_are_rate_limited(store: TestStore) {
    register_editor(&store).await;
    let site = site(store).await;
    // A real tip, so the last attempt shows that even the right codename waits out the limit.
    let token = form_token(&site.app).await;
    let sent = post_tip(
        &site.app,
        &[
            Part::Text("token", &token),
            Part::Text("kind", "tip"),
            Part::Text("message", "hello"),
        ],
    )
    .await;
    let codename = codename_in(&sent.body);
    let wrong = "abacus abdomen abdominal abide abiding ability ablaze";
    for attempt in 0..10 {
        let token = form_token(&site.app).await;
        let answer = post_follow_up(&site.app, &[("token", &token), ("codename", wrong)]).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "attempt {attempt}");
        assert!(answer.body.contains("does not open a tip"));
        assert!(answer.body.contains(wrong), "typed codename kept");
    }
    let token = form_token(&site.app).await;
    let blocked = post_follow_up(&site.app, &[("token", &token), ("codename", &codename)]).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.body.contains("Too many attempts"));
    assert!(!blocked.body.contains("No replies yet"));
}

/// Issue 16: three nodes give an attacker no more than one. Tips and wrong codenames sent
/// through two nodes on one database count against the same limits.
async fn tips_and_codename_guesses_through_several_nodes_count_against_one_limit(store: TestStore) {
    register_editor(&store).await;
    let site = site(store).await;
    let other = super::another_node(&site).await;
    let nodes = [site.app.clone(), other];
    let mut codename = String::new();
    for attempt in 0..10 {
        let node = &nodes[attempt % 2];
        let token = form_token(node).await;
        let sent = post_tip(
            node,
            &[
                Part::Text("token", &token),
                Part::Text("kind", "tip"),
                Part::Text("message", "Through whichever node"),
            ],
        )
        .await;
        assert_eq!(sent.status, StatusCode::OK, "tip {attempt}");
        codename = codename_in(&sent.body);
    }
    for node in &nodes {
        let token = form_token(node).await;
        let refused = post_tip(
            node,
            &[
                Part::Text("token", &token),
                Part::Text("kind", "tip"),
                Part::Text("message", "One too many"),
            ],
        )
        .await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.body.contains("One too many"), "typed text kept");
    }
    assert_eq!(
        site.state.store().tips().list(None).await.unwrap().len(),
        10
    );

    let wrong = "abacus abdomen abdominal abide abiding ability ablaze";
    for attempt in 0..10 {
        let node = &nodes[attempt % 2];
        let token = form_token(node).await;
        let answer = post_follow_up(node, &[("token", &token), ("codename", wrong)]).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "guess {attempt}");
    }
    for node in &nodes {
        let token = form_token(node).await;
        let blocked = post_follow_up(node, &[("token", &token), ("codename", &codename)]).await;
        assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(!blocked.body.contains("No replies yet"));
    }
}

async fn a_busy_address_gets_through_with_a_proof_of_work(store: TestStore) {
    register_editor(&store).await;
    let site = site(store).await;
    let send = |token: String, pow: String| {
        let app = site.app.clone();
        async move {
            post_tip(
                &app,
                &[
                    Part::Text("token", &token),
                    Part::Text("pow", &pow),
                    Part::Text("kind", "tip"),
                    Part::Text("message", "From a shared address"),
                ],
            )
            .await
        }
    };
    let token = form_token(&site.app).await;
    for attempt in 0..10 {
        let answer = send(token.clone(), String::new()).await;
        assert_eq!(answer.status, StatusCode::OK, "submission {attempt}");
    }
    let refused = send(token.clone(), "12345".to_owned()).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused
            .body
            .contains("Too many attempts from your connection")
    );
    assert!(
        refused.body.contains("From a shared address"),
        "typed text kept"
    );
    let nonce = dateline_tips::solve_proof_of_work(&token);
    let admitted = send(token.clone(), nonce).await;
    assert_eq!(admitted.status, StatusCode::OK);
    assert!(admitted.body.contains("data-codename"));
    assert_eq!(
        site.state.store().tips().list(None).await.unwrap().len(),
        11
    );
}

/// The byte search: a tip with an attachment on a real SQLite file and a real storage folder,
/// then every byte of the database (with its WAL and shared-memory files) and of the storage is
/// searched for the message, the contact, the attachment, the client address and user agent.
/// The stored attachment is then decrypted by the stock `age` tool.
#[tokio::test(flavor = "current_thread")]
async fn nothing_readable_or_identifying_reaches_the_disk_or_the_log() {
    let log = LogCapture::default();
    let _logging = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(log.clone())
            .finish(),
    );
    let folder = tempfile::tempdir().unwrap();
    let database = folder.path().join("dateline.sqlite");
    let store = Store::open(&format!("sqlite://{}", database.display()))
        .await
        .unwrap();
    newsroom(&store).await;
    let identity = register_editor(&store).await;
    let media_folder = folder.path().join("media");
    let media = dateline_storage::MediaStore::local(&media_folder).unwrap();
    let state =
        dateline_web::AppState::new(store.clone(), media, dateline_web::WebConfig::default())
            .await
            .unwrap();
    let app = dateline_web::router(state);
    let token = form_token(&app).await;
    let answer = post_tip(
        &app,
        &[
            Part::Text("token", &token),
            Part::Text("kind", "tip"),
            Part::Text("message", SECRET_MESSAGE),
            Part::Text("contact", SECRET_CONTACT),
            Part::File("minutes.pdf", SECRET_FILE),
        ],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let codename = codename_in(&answer.body);
    let token = form_token(&app).await;
    let followed = post_follow_up(
        &app,
        &[
            ("token", &token),
            ("codename", &codename),
            ("message", "A second secret: ledger page 12"),
        ],
    )
    .await;
    assert_eq!(followed.status, StatusCode::OK);

    let mut searched = 0;
    let files: Vec<_> = files_under(folder.path());
    assert!(
        files.iter().any(|f| f.ends_with("dateline.sqlite-wal")),
        "{files:?}"
    );
    let needles: [&[u8]; 7] = [
        SECRET_MESSAGE.as_bytes(),
        SECRET_CONTACT.as_bytes(),
        b"deputy minister approved payment",
        b"ledger page 12",
        PROBE_AGENT.as_bytes(),
        PROBE_ADDRESS.as_bytes(),
        codename.as_bytes(),
    ];
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        searched += bytes.len();
        for needle in needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} holds {:?} in clear",
                file.display(),
                String::from_utf8_lossy(needle)
            );
        }
    }
    assert!(
        searched > 10_000,
        "the search read the files ({searched} bytes)"
    );
    let logged = log.text();
    for needle in needles {
        assert!(
            !logged.contains(&*String::from_utf8_lossy(needle)),
            "the log holds {:?}",
            String::from_utf8_lossy(needle)
        );
    }

    // Stock age reads the stored attachment with the editor's identity file.
    let key_file = folder.path().join("key.txt");
    std::fs::write(&key_file, identity.file_text.as_bytes()).unwrap();
    let tip = &store.tips().list(None).await.unwrap()[0];
    let attachment = &store.tips().attachments(tip.id).await.unwrap()[0];
    let object = media_folder.join(&attachment.object_key);
    let output = std::process::Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&key_file)
        .arg(&object)
        .output()
        .expect("the age command (Debian package `age`) is installed");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.stdout, SECRET_FILE);
    store.close().await;
}

/// A log sink the test reads back.
#[derive(Clone, Default)]
struct LogCapture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LogCapture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A request body that hands out `pieces` one by one, then either ends, fails (the client went
/// away) or holds back the rest for ever (a client still sending, or slowly); `pulled` counts
/// the bytes the server took.
fn held_body(
    pieces: Vec<Vec<u8>>,
    then: Then,
) -> (Body, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use futures_util::StreamExt;
    let pulled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = pulled.clone();
    let pieces = futures_util::stream::iter(pieces.into_iter().map(Ok::<_, std::io::Error>));
    let rest: futures_util::stream::BoxStream<'static, Result<Vec<u8>, std::io::Error>> = match then
    {
        Then::End => futures_util::stream::empty().boxed(),
        // A moment later, as a reset connection is noticed after the data before it.
        Then::Fail => futures_util::stream::once(async {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            Err(std::io::Error::other("connection reset"))
        })
        .boxed(),
        Then::Hang => futures_util::stream::pending().boxed(),
    };
    let stream = pieces.chain(rest).inspect(move |piece| {
        if let Ok(piece) = piece {
            counter.fetch_add(piece.len(), std::sync::atomic::Ordering::SeqCst);
        }
    });
    (Body::from_stream(stream), pulled)
}

#[derive(Clone, Copy)]
enum Then {
    End,
    Fail,
    Hang,
}

/// The start of a multipart body: `parts`, then the headers of a file part whose contents are
/// still to come.
fn form_then_file(parts: &[Part<'_>], file_name: &str) -> Vec<u8> {
    let mut body = multipart(parts);
    body.truncate(body.len() - format!("--{BOUNDARY}--\r\n").len());
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachments\"; \
             filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body
}

/// Sends a tip form whose body is `body`, declaring `length`, with extra `headers`; gives up
/// (dropping the request, as a server does when a client leaves) after `patience`.
async fn post_streamed(
    app: &Router,
    query: &str,
    body: Body,
    length: Option<u64>,
    headers: &[(&str, &str)],
    patience: std::time::Duration,
) -> Option<Answer> {
    let mut request = Request::post(format!("/tips?{query}")).header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={BOUNDARY}"),
    );
    if let Some(length) = length {
        request = request.header(header::CONTENT_LENGTH, length);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    tokio::time::timeout(patience, send(app, request, body))
        .await
        .ok()
}

fn query_for(token: &str, pow: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("token", token);
    if let Some(pow) = pow {
        query.append_pair("pow", pow);
    }
    query.finish()
}

/// Attack 3 of issue 12: one token and nonce, solved once, passed again and again. Now a proof
/// passes the address limit once, with its form, on any node: four replays are refused (with
/// the typed text kept), so is another nonce for the same form, and so is the replay on a
/// second node that shares the database but has never seen the proof.
async fn a_proof_of_work_passes_once_on_any_node(store: TestStore) {
    register_editor(&store).await;
    let site = site(store).await;
    let typed = "Replayed from a shared address";
    let send = |app: Router, token: String, pow: Option<String>| async move {
        let mut parts = vec![
            Part::Text("token", &token),
            Part::Text("kind", "tip"),
            Part::Text("message", typed),
        ];
        if let Some(pow) = &pow {
            parts.push(Part::Text("pow", pow));
        }
        post_tip(&app, &parts).await
    };
    for attempt in 0..10 {
        let token = form_token(&site.app).await;
        let answer = send(site.app.clone(), token, None).await;
        assert_eq!(answer.status, StatusCode::OK, "plain submission {attempt}");
    }
    let token = form_token(&site.app).await;
    let nonce = dateline_tips::solve_proof_of_work(&token);
    let admitted = send(site.app.clone(), token.clone(), Some(nonce.clone())).await;
    assert_eq!(admitted.status, StatusCode::OK, "{}", admitted.body);
    for replay in 0..4 {
        let refused = send(site.app.clone(), token.clone(), Some(nonce.clone())).await;
        assert_eq!(
            refused.status,
            StatusCode::TOO_MANY_REQUESTS,
            "replay {replay}"
        );
        assert!(
            refused
                .body
                .contains("Too many attempts from your connection")
        );
        assert!(refused.body.contains(typed), "typed text kept");
        assert_eq!(refused.headers[header::RETRY_AFTER], "3600");
    }
    let first: u64 = nonce.parse().unwrap();
    let another = (first + 1..)
        .map(|n| n.to_string())
        .find(|n| dateline_tips::proof_of_work_holds(&token, n))
        .unwrap();
    let refused = send(site.app.clone(), token.clone(), Some(another)).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a second nonce for the same form is the same proof"
    );

    // A second node on the same database and storage.
    let node = super::another_node(&site).await;
    let token_two = form_token(&node).await;
    let plain = send(node.clone(), token_two, None).await;
    assert_eq!(
        plain.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the address's allowance was spent on the first node: the count is shared"
    );
    let replayed = send(node.clone(), token.clone(), Some(nonce.clone())).await;
    assert_eq!(
        replayed.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the other node knows the proof is spent"
    );
    let fresh = form_token(&node).await;
    let fresh_nonce = dateline_tips::solve_proof_of_work(&fresh);
    let admitted = send(node.clone(), fresh, Some(fresh_nonce)).await;
    assert_eq!(admitted.status, StatusCode::OK, "a new form's proof passes");
    assert_eq!(
        site.state.store().tips().list(None).await.unwrap().len(),
        12
    );
}

/// Attack 4 of issue 12: the whole upload was read before the token and the limits were
/// checked. Now every refusal that the URL and headers decide comes before the files: the
/// body here sends its text fields and the first 64 KiB of a file, then holds back the rest of
/// the 100 MB it declared, and every refusal still arrives, with what was typed shown back.
/// A client that waits for `100 Continue` has nothing read at all.
async fn refusals_come_before_the_upload_is_read(store: TestStore) {
    register_editor(&store).await;
    let site = site(store).await;
    let typed = "I will attach the ledger & the letters";
    let escaped = "I will attach the ledger &amp; the letters";
    let declared: u64 = 100 * 1024 * 1024;
    let head = form_then_file(
        &[Part::Text("kind", "tip"), Part::Text("message", typed)],
        "ledger.pdf",
    );
    let mut file_start = b"%PDF-1.4\n".to_vec();
    file_start.resize(64 * 1024, b'x');
    let patience = std::time::Duration::from_secs(10);
    let attempt =
        |query: String, length: Option<u64>, headers: Vec<(&'static str, &'static str)>| {
            let app = site.app.clone();
            let (body, pulled) = held_body(vec![head.clone(), file_start.clone()], Then::Hang);
            async move {
                let answer = post_streamed(&app, &query, body, length, &headers, patience)
                    .await
                    .expect("the refusal arrives while the upload is held back");
                (answer, pulled.load(std::sync::atomic::Ordering::SeqCst))
            }
        };
    let at_most_read = head.len() + file_start.len();
    let good_token = form_token(&site.app).await;

    let cases: Vec<(String, Option<u64>, StatusCode, &str)> = vec![
        (
            query_for("1700000000.00ff", None),
            Some(declared),
            StatusCode::BAD_REQUEST,
            "did not come from this site",
        ),
        (
            String::new(),
            Some(declared),
            StatusCode::BAD_REQUEST,
            "did not come from this site",
        ),
        (
            query_for(&good_token, None),
            Some(200 * 1024 * 1024),
            StatusCode::PAYLOAD_TOO_LARGE,
            "more than we can receive at once",
        ),
    ];
    for (query, length, status, message) in cases {
        let (answer, pulled) = attempt(query, length, vec![]).await;
        assert_eq!(answer.status, status, "{message}");
        assert!(answer.body.contains(message), "{message}: {}", answer.body);
        assert!(answer.body.contains(escaped), "{message}: typed text kept");
        assert!(pulled <= at_most_read, "{message}: read {pulled} bytes");
        assert_private(&answer);
    }

    // Without a declared length, or not multipart: refused, and nothing of the body is read.
    let (answer, pulled) = attempt(query_for(&good_token, None), None, vec![]).await;
    assert_eq!(answer.status, StatusCode::LENGTH_REQUIRED);
    assert!(answer.body.contains(escaped), "typed text kept");
    assert!(pulled <= at_most_read);
    let (body, pulled) = held_body(vec![head.clone()], Then::Hang);
    let request = Request::post(format!("/tips?{}", query_for(&good_token, None)))
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::CONTENT_LENGTH, declared)
        .body(body)
        .unwrap();
    let answer = tokio::time::timeout(patience, site.app.clone().oneshot(request))
        .await
        .expect("refused at once")
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(pulled.load(std::sync::atomic::Ordering::SeqCst), 0);
    let (answer, pulled) = attempt(
        query_for("1700000000.00ff", None),
        Some(declared),
        vec![("expect", "100-continue")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(pulled, 0, "a client waiting for 100 Continue is not read");

    // Past the address limit: refused before the files too.
    for _ in 0..10 {
        let token = form_token(&site.app).await;
        let sent = post_tip(
            &site.app,
            &[
                Part::Text("token", &token),
                Part::Text("kind", "tip"),
                Part::Text("message", "hello"),
            ],
        )
        .await;
        assert_eq!(sent.status, StatusCode::OK);
    }
    let token = form_token(&site.app).await;
    let (answer, pulled) = attempt(query_for(&token, Some("12345")), Some(declared), vec![]).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(answer.body.contains(escaped), "typed text kept");
    assert!(pulled <= at_most_read, "read {pulled} bytes");
    assert_eq!(
        site.state.store().tips().list(None).await.unwrap().len(),
        10
    );
    assert!(files_under(site._media.path()).is_empty());
}

/// A body that never reaches its first boundary, or whose part headers never end, is refused
/// after a few kilobytes instead of being held in memory until it ends.
async fn a_malformed_upload_is_refused_after_a_few_kilobytes(store: TestStore) {
    register_editor(&store).await;
    let site = site(store).await;
    let declared: u64 = 100 * 1024 * 1024;
    let endless_preamble: Vec<Vec<u8>> = (0..1600).map(|_| vec![b'a'; 64 * 1024]).collect();
    let mut endless_header =
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"message\"; x=\"")
            .into_bytes();
    endless_header.resize(64 * 1024, b'y');
    let endless_header: Vec<Vec<u8>> = std::iter::once(endless_header)
        .chain((0..1600).map(|_| vec![b'y'; 64 * 1024]))
        .collect();
    for pieces in [endless_preamble, endless_header] {
        let token = form_token(&site.app).await;
        let (body, pulled) = held_body(pieces, Then::End);
        let answer = post_streamed(
            &site.app,
            &query_for(&token, None),
            body,
            Some(declared),
            &[],
            std::time::Duration::from_secs(30),
        )
        .await
        .expect("answered");
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert!(answer.body.contains("interrupted"), "{}", answer.body);
        let pulled = pulled.load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            pulled <= 3 * 64 * 1024,
            "read {pulled} bytes of a 100 MB body"
        );
    }
    assert!(
        site.state
            .store()
            .tips()
            .list(None)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A large file streams through encryption into storage in parts and reads back whole.
async fn a_large_attachment_streams_into_storage(store: TestStore) {
    let identity = register_editor(&store).await;
    let site = site(store).await;
    let token = form_token(&site.app).await;
    // 12 MB of text: more than two storage parts and many age chunks.
    let document: Vec<u8> = (0..12_000_000u32)
        .map(|i| b"abcdefghijklmnopqrstuvwxyz\n"[(i % 27) as usize])
        .collect();
    let mut head = form_then_file(
        &[
            Part::Text("kind", "tip"),
            Part::Text("message", "the full register"),
        ],
        "register.txt",
    );
    let mut pieces = vec![std::mem::take(&mut head)];
    pieces.extend(document.chunks(100_003).map(<[u8]>::to_vec));
    pieces.push(format!("\r\n--{BOUNDARY}--\r\n").into_bytes());
    let length: usize = pieces.iter().map(Vec::len).sum();
    let (body, _) = held_body(pieces, Then::End);
    let answer = post_streamed(
        &site.app,
        &query_for(&token, None),
        body,
        Some(length as u64),
        &[],
        std::time::Duration::from_secs(120),
    )
    .await
    .expect("answered");
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let store = site.state.store();
    let tip = &store.tips().list(None).await.unwrap()[0];
    let attachment = &store.tips().attachments(tip.id).await.unwrap()[0];
    let stored = site
        .state
        .media()
        .get(&attachment.object_key)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(attachment.size, stored.len() as i64);
    let plain = editor(&identity).decrypt(&stored).unwrap();
    assert!(
        plain.as_slice() == document.as_slice(),
        "the file reads back whole"
    );
}

/// Nothing is left behind when an upload stops halfway: not when the client goes away in the
/// middle of the second file (the first is already in storage), and not when the request is
/// dropped while the second file is still arriving.
async fn nothing_is_left_behind_when_an_upload_stops_halfway(store: TestStore) {
    register_editor(&store).await;
    let site = site(store).await;
    let mut first_file = b"%PDF-1.4\n".to_vec();
    first_file.resize(300_000, b'p');
    for then in [Then::Fail, Then::Hang] {
        let token = form_token(&site.app).await;
        let mut head = form_then_file(
            &[
                Part::Text("kind", "tip"),
                Part::Text("message", "two files"),
                Part::File("first.pdf", &first_file),
            ],
            "second.pdf",
        );
        head.extend_from_slice(b"%PDF-1.4\npart of the second file");
        let (body, _) = held_body(vec![head], then);
        let app = site.app.clone();
        let request = tokio::spawn(async move {
            post_streamed(
                &app,
                &query_for(&token, None),
                body,
                Some(50_000_000),
                &[],
                std::time::Duration::from_secs(60),
            )
            .await
        });
        match then {
            Then::Fail => {
                let answer = request.await.unwrap().expect("answered");
                assert_eq!(answer.status, StatusCode::BAD_REQUEST);
                assert!(answer.body.contains("interrupted"));
                assert!(answer.body.contains("two files"), "typed text kept");
            }
            _ => {
                // Wait until the first file is in storage, then drop the request.
                let stored = |root: &Path| {
                    files_under(root)
                        .iter()
                        .any(|f| f.extension().is_some_and(|e| e == "age"))
                };
                for _ in 0..500 {
                    if stored(site._media.path()) {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                assert!(stored(site._media.path()), "the first file was stored");
                request.abort();
                let _ = request.await;
            }
        }
        for _ in 0..500 {
            if files_under(site._media.path()).is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            files_under(site._media.path()),
            Vec::<std::path::PathBuf>::new(),
            "no object or staged part is left"
        );
    }
    assert!(
        site.state
            .store()
            .tips()
            .list(None)
            .await
            .unwrap()
            .is_empty()
    );
}
