//! The discussion through the front door: reader sign-up, verification by the emailed link,
//! posting and replying, what the cached article page shows and when it changes, hostile input,
//! the form token, rate limits, editing, reporting, and the reader's data — on both backends.

// These are plain `async fn`s the backend macro wraps, which `allow-unwrap-in-tests` does not see.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use dateline_core::comments::{CommentStatus, ModeratorDecision};
use dateline_db::Actor;
use dateline_db::testing::TestStore;
use dateline_web::{ReaderMail, ReaderMessage, SmtpMail};
use http::StatusCode;

use super::newsroom_auth::{Browser, ORIGIN, PASSWORD, csrf_in, staff};
use super::{get, newsroom, site};

dateline_db::both_backends!(
    a_reader_signs_up_verifies_and_comments,
    the_verification_link_arrives_over_smtp,
    hostile_comments_and_names_render_inert,
    reader_forms_need_the_token_and_bad_input_keeps_the_text,
    edit_delete_report_and_the_readers_data,
    moderators_approve_feature_ban_and_set_the_rules,
    the_newsroom_replies_as_staff_reopens_and_sets_the_mode,
    hidden_comments_never_leak,
    next_only_leads_to_this_site,
    one_address_creates_few_accounts_and_asks_few_links,
);

/// Keeps what would be emailed, the way an SMTP server would receive it.
#[derive(Default, Clone)]
struct Outbox(Arc<Mutex<Vec<ReaderMessage>>>);

impl ReaderMail for Outbox {
    fn send<'a>(
        &'a self,
        message: ReaderMessage,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            self.0.lock().unwrap().push(message);
            Ok(())
        })
    }
}

impl Outbox {
    /// The path of the last link sent to `to`.
    fn last_link(&self, to: &str) -> String {
        let messages = self.0.lock().unwrap();
        let message = messages
            .iter()
            .rev()
            .find(|m| m.to == to)
            .unwrap_or_else(|| panic!("no email to {to}"));
        let start = message.text.find("https://news.example").expect("a link")
            + "https://news.example".len();
        message.text[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }
}

/// Fills in the sign-up form; the answer is the same whether or not the address has an account.
async fn sign_up(browser: &mut Browser, email: &str, name: &str) -> super::Answer {
    let answer = browser
        .submit(
            "/readers/sign-up",
            "/readers/sign-up",
            &[
                ("email", email),
                ("display_name", name),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(answer.body.contains("Check your email"), "{}", answer.body);
    answer
}

async fn reader_signs_in(browser: &mut Browser, email: &str) {
    let answer = browser
        .submit(
            "/readers/sign-in",
            "/readers/sign-in",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
}

/// Signs a new reader up through the form, follows the verification link and signs in.
async fn signed_up(browser: &mut Browser, outbox: &Outbox, email: &str, name: &str) {
    sign_up(browser, email, name).await;
    let link = outbox.last_link(email);
    assert!(link.starts_with("/readers/verify/"), "{link}");
    let verified = browser.get(&link).await;
    assert_eq!(verified.status, StatusCode::OK);
    assert!(
        verified.body.contains("Email address confirmed"),
        "{}",
        verified.body
    );
    reader_signs_in(browser, email).await;
    let account = browser.get("/readers/account").await;
    assert!(account.body.contains("Signed in as"), "{}", account.body);
    assert!(!account.body.contains("not confirmed"), "{}", account.body);
}

async fn open_rules(store: &dateline_db::Store) {
    let mut settings = store.comments().settings().await.unwrap();
    settings.premoderate_first = 0;
    settings.premoderate_links = false;
    store
        .comments()
        .save_settings(&settings, &Actor::system("test"), jiff::Timestamp::now())
        .await
        .unwrap();
}

async fn post(browser: &mut Browser, article_id: i64, fields: &[(&str, &str)]) -> super::Answer {
    let page = format!("/discussion/{article_id}");
    browser
        .submit(&page, &format!("{page}/comments"), fields)
        .await
}

fn comment_id_from(location: &str) -> i64 {
    location
        .rsplit("#comment-")
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn a_reader_signs_up_verifies_and_comments(store: TestStore) {
    let room = newsroom(&store).await;
    let site = site(store).await;
    let outbox = Outbox::default();
    let state = site
        .state
        .clone()
        .with_reader_mail(Arc::new(outbox.clone()));
    let article = "/politics/budget-vote";

    // The cached article page: a count, the way in, no per-reader state.
    let page = get(&site.app, article).await;
    assert!(
        page.body
            .contains("Discussion <span class=\"comment-count\">(0 comments)"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("href=\"/discussion/{}#comment-form\"", room.first))
    );
    assert!(page.body.contains("\"commentCount\":0"), "{}", page.body);
    assert!(!page.body.contains("name=\"csrf\""));

    // Signed out, the discussion page sends people to sign in, and posting does too.
    let mut lia = Browser::new(&site.app);
    let discussion = lia.get(&format!("/discussion/{}", room.first)).await;
    assert_eq!(discussion.status, StatusCode::OK);
    assert_eq!(discussion.headers["cache-control"], "private, no-store");
    assert!(discussion.body.contains("/readers/sign-in?next="));
    let token = csrf_in(&lia.get("/readers/sign-in").await.body);
    let anonymous = lia
        .post_raw(
            &format!("/discussion/{}/comments", room.first),
            &[("csrf", &token), ("body", "Hello")],
            &[("origin", ORIGIN)],
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert!(
        anonymous.headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/readers/sign-in")
    );

    // An unverified reader is told to confirm first, and keeps what they typed.
    sign_up(&mut lia, "lia@readers.example", "Lia").await;
    reader_signs_in(&mut lia, "lia@readers.example").await;
    let early = post(&mut lia, room.first, &[("body", "Too early")]).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        early.body.contains("Confirm your email address"),
        "{}",
        early.body
    );
    assert!(early.body.contains(">Too early</textarea>"));
    let link = outbox.last_link("lia@readers.example");
    assert_eq!(lia.get(&link).await.status, StatusCode::SEE_OTHER);
    // A used link is not valid again.
    assert_eq!(lia.get(&link).await.status, StatusCode::NOT_FOUND);

    // New commenters wait for a moderator (the default rule): the reader sees their comment,
    // the cached article page does not.
    let first = post(&mut lia, room.first, &[("body", "First *thoughts*.")]).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let first_id = comment_id_from(first.headers["location"].to_str().unwrap());
    let own = lia.get(&format!("/discussion/{}", room.first)).await;
    assert!(own.body.contains("Waiting for a moderator"), "{}", own.body);
    state.apply_changes().await.unwrap();
    assert!(get(&site.app, article).await.body.contains("(0 comments)"));
    // The list pages, now cached, show no count while nothing is approved.
    let card_count = |count: &str| format!("<a href=\"{article}#discussion\">{count}</a>");
    for list in ["/", "/politics"] {
        let body = get(&site.app, list).await.body;
        assert!(body.contains(article), "{body}");
        assert!(!body.contains(&format!("{article}#discussion")), "{body}");
    }

    // Approval shows it on the article page, whose cached copy is dropped by the change.
    let moderator = Actor::system("test moderator");
    state
        .store()
        .comments()
        .moderate(
            first_id,
            ModeratorDecision::Approve,
            "",
            &moderator,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    state.apply_changes().await.unwrap();
    let page = get(&site.app, article).await;
    assert!(page.body.contains("(1 comment)"), "{}", page.body);
    assert!(page.body.contains("First <em>thoughts</em>."));
    assert!(page.body.contains("data-nosnippet"));
    assert!(page.body.contains("\"commentCount\":1"));
    for list in ["/", "/politics"] {
        let body = get(&site.app, list).await.body;
        assert!(body.contains(&card_count("1 comment")), "{list}: {body}");
    }

    // Another reader replies; with the rules open it is shown at once, indented under it.
    open_rules(state.store()).await;
    let mut ana = Browser::new(&site.app);
    signed_up(&mut ana, &outbox, "ana@readers.example", "Ana").await;
    let reply_form = ana
        .get(&format!("/discussion/{}?reply={first_id}", room.first))
        .await;
    assert!(
        reply_form.body.contains("Reply to Lia"),
        "{}",
        reply_form.body
    );
    let reply = post(
        &mut ana,
        room.first,
        &[
            ("body", "I disagree."),
            ("parent_id", &first_id.to_string()),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let reply_id = comment_id_from(reply.headers["location"].to_str().unwrap());
    assert_eq!(
        state
            .store()
            .comments()
            .by_id(reply_id)
            .await
            .unwrap()
            .status,
        CommentStatus::Approved
    );
    state.apply_changes().await.unwrap();
    for list in ["/", "/politics"] {
        let body = get(&site.app, list).await.body;
        assert!(body.contains(&card_count("2 comments")), "{list}: {body}");
    }
    let page = get(&site.app, article).await;
    assert!(
        page.body.contains(&format!(
            "class=\"comment comment-depth-1\" id=\"comment-{reply_id}\""
        )),
        "{}",
        page.body
    );

    // The script's way in: JSON instead of a redirect.
    let page_html = ana.get(&format!("/discussion/{}", room.first)).await.body;
    let token = csrf_in(&page_html);
    let json = ana
        .post_raw(
            &format!("/discussion/{}/comments", room.first),
            &[("csrf", &token), ("body", "Posted without a reload")],
            &[("origin", ORIGIN), ("accept", "application/json")],
        )
        .await;
    assert_eq!(json.status, StatusCode::CREATED, "{}", json.body);
    let value: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(value["status"], "approved");

    // Rate limit: a burst of three, then a wait — the text is kept.
    let flood = post(&mut ana, room.first, &[("body", "One more")]).await;
    assert_eq!(flood.status, StatusCode::SEE_OTHER);
    let too_fast = post(&mut ana, room.first, &[("body", "And another")]).await;
    assert_eq!(too_fast.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(too_fast.body.contains("You are commenting very fast"));
    assert!(too_fast.body.contains(">And another</textarea>"));
}

async fn hostile_comments_and_names_render_inert(store: TestStore) {
    let room = newsroom(&store).await;
    open_rules(&store).await;
    let site = site(store).await;
    let outbox = Outbox::default();
    let state = site
        .state
        .clone()
        .with_reader_mail(Arc::new(outbox.clone()));
    let mut eve = Browser::new(&site.app);
    signed_up(
        &mut eve,
        &outbox,
        "eve@readers.example",
        "<img src=x onerror=alert(1)>",
    )
    .await;
    let payloads = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(2)>",
        "[click](javascript:alert(3))",
        "<svg onload=alert(4)>",
        "<a href=\"jav&#x61;script:alert(5)\">x</a>",
        "\"><script>alert(6)</script>",
    ];
    // Three comments (the burst a reader may post at once), two payloads each.
    for pair in payloads.chunks(2) {
        let body = pair.join("\n\n");
        let answer = post(&mut eve, room.first, &[("body", &body)]).await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "{body}: {}",
            answer.body
        );
    }
    state.apply_changes().await.unwrap();
    for page in [
        get(&site.app, "/politics/budget-vote").await.body,
        eve.get(&format!("/discussion/{}", room.first)).await.body,
    ] {
        let from = page.find("class=\"comment-list\"").expect("comments");
        let discussion = &page[from..from + page[from..].find("</ol>").expect("end of list")];
        // Every tag in the list: none may be a script, picture or SVG, carry a handler or a
        // javascript: URL. The payloads may appear as text: that is what inert means.
        for tag in discussion.split('<').skip(1) {
            let tag = tag.split('>').next().unwrap().to_lowercase();
            let name = tag.split_whitespace().next().unwrap_or("");
            assert!(
                !["script", "img", "svg", "iframe"].contains(&name),
                "<{tag}> in {discussion}"
            );
            assert!(!tag.contains(" on"), "<{tag}> in {discussion}");
            assert!(!tag.contains("javascript:"), "<{tag}> in {discussion}");
        }
        assert!(
            discussion.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "the name is shown as text: {discussion}"
        );
        assert!(
            discussion.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{discussion}"
        );
    }
}

async fn reader_forms_need_the_token_and_bad_input_keeps_the_text(store: TestStore) {
    let room = newsroom(&store).await;
    open_rules(&store).await;
    let site = site(store).await;
    let outbox = Outbox::default();
    let state = site
        .state
        .clone()
        .with_reader_mail(Arc::new(outbox.clone()));
    let mut lia = Browser::new(&site.app);
    signed_up(&mut lia, &outbox, "lia@readers.example", "Lia").await;

    // No token, a wrong token, another origin: refused, nothing written.
    let action = format!("/discussion/{}/comments", room.first);
    let no_token = lia
        .post_raw(&action, &[("body", "forged")], &[("origin", ORIGIN)])
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let token = csrf_in(&lia.get(&format!("/discussion/{}", room.first)).await.body);
    let elsewhere = lia
        .post_raw(
            &action,
            &[("csrf", &token), ("body", "forged")],
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
    assert!(
        state
            .store()
            .comments()
            .approved_counts(&[room.first])
            .await
            .unwrap()
            .is_empty()
    );

    // Bad input: a clear message next to the field, the text kept.
    let long = "x".repeat(5_001);
    let too_long = post(&mut lia, room.first, &[("body", &long)]).await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_long.body.contains("at most 5000 characters"),
        "{}",
        too_long.body
    );
    assert!(too_long.body.contains(&format!(">{long}</textarea>")));
    assert!(too_long.body.contains("aria-invalid=\"true\""));

    // Signing up with an address that has an account answers exactly like a new sign-up (no
    // session, no hint); the owner of the address hears about it by email.
    let mut other = Browser::new(&site.app);
    let taken = sign_up(&mut other, "LIA@readers.example", "Lia Two").await;
    let mut newcomer = Browser::new(&site.app);
    let fresh = sign_up(&mut newcomer, "new-lia@readers.example", "Lia Two").await;
    let same = |answer: &super::Answer, email: &str| answer.body.replace(email, "EMAIL");
    assert_eq!(
        same(&taken, "LIA@readers.example"),
        same(&fresh, "new-lia@readers.example")
    );
    assert_eq!(taken.headers.get("set-cookie"), None);
    assert_eq!(fresh.headers.get("set-cookie"), None);
    {
        let sent = outbox.0.lock().unwrap();
        let warning = sent.last().filter(|m| m.to == "new-lia@readers.example");
        assert!(
            warning.is_some(),
            "the newcomer got their confirmation link"
        );
        let notice = sent
            .iter()
            .rev()
            .find(|m| m.to == "lia@readers.example")
            .unwrap();
        assert!(
            notice.subject.contains("You already have an account"),
            "{}",
            notice.subject
        );
        assert!(notice.text.contains("/readers/sign-in"), "{}", notice.text);
    }
    // Sign-up errors keep the email and name, never the password.
    let weak = other
        .submit(
            "/readers/sign-up",
            "/readers/sign-up",
            &[
                ("email", "new@readers.example"),
                ("display_name", "N"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("at least 12 characters"));

    // A sign-in link: asked for on the sign-in page, confirmed with a button (a POST).
    let asked = other
        .submit(
            "/readers/sign-in",
            "/readers/sign-in-link",
            &[("email", "lia@readers.example")],
        )
        .await;
    assert!(asked.body.contains("a sign-in link is on its way"));
    let unknown = other
        .submit(
            "/readers/sign-in",
            "/readers/sign-in-link",
            &[("email", "nobody@readers.example")],
        )
        .await;
    assert!(
        unknown.body.contains("a sign-in link is on its way"),
        "the same answer either way"
    );
    let link = outbox.last_link("lia@readers.example");
    assert!(link.starts_with("/readers/magic/"), "{link}");
    let confirm = other.get(&link).await;
    assert!(confirm.body.contains("Sign in now"));
    assert!(
        other
            .get("/readers/account")
            .await
            .headers
            .contains_key("location"),
        "not signed in by a GET"
    );
    let signed_in = other.submit(&link, &link, &[]).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert!(
        other
            .get("/readers/account")
            .await
            .body
            .contains("lia@readers.example")
    );
}

async fn edit_delete_report_and_the_readers_data(store: TestStore) {
    let room = newsroom(&store).await;
    open_rules(&store).await;
    let site = site(store).await;
    let outbox = Outbox::default();
    let state = site
        .state
        .clone()
        .with_reader_mail(Arc::new(outbox.clone()));
    let mut lia = Browser::new(&site.app);
    signed_up(&mut lia, &outbox, "lia@readers.example", "Lia").await;
    let mut ana = Browser::new(&site.app);
    signed_up(&mut ana, &outbox, "ana@readers.example", "Ana").await;
    let posted = post(&mut lia, room.first, &[("body", "Teh budget")]).await;
    let id = comment_id_from(posted.headers["location"].to_str().unwrap());

    let edit_page = lia
        .get(&format!("/discussion/{}?edit={id}", room.first))
        .await;
    assert!(
        edit_page.body.contains(">Teh budget</textarea>"),
        "{}",
        edit_page.body
    );
    let edit_action = format!("/discussion/comments/{id}/edit");
    let edited = lia
        .submit(
            &format!("/discussion/{}", room.first),
            &edit_action,
            &[("body", "The budget")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER);
    state.apply_changes().await.unwrap();
    let page = get(&site.app, "/politics/budget-vote").await.body;
    assert!(
        page.contains("The budget") && page.contains("(edited)"),
        "{page}"
    );
    // Someone else cannot edit it.
    let hijack = ana
        .submit(
            &format!("/discussion/{}", room.first),
            &edit_action,
            &[("body", "Mine now")],
        )
        .await;
    assert_eq!(hijack.status, StatusCode::NOT_FOUND);

    // Reporting needs a reason; then the comment is in the reported queue.
    let report_action = format!("/discussion/comments/{id}/report");
    let no_reason = ana
        .submit(
            &format!("/discussion/{}?report={id}", room.first),
            &report_action,
            &[("detail", "rude")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("Choose why"));
    let reported = ana
        .submit(
            &format!("/discussion/{}?report={id}", room.first),
            &report_action,
            &[("reason", "abuse"), ("detail", "rude")],
        )
        .await;
    assert_eq!(reported.status, StatusCode::SEE_OTHER);
    let queue = state
        .store()
        .comments()
        .moderation_queue(dateline_db::Queue::Reported, None, 10)
        .await
        .unwrap();
    assert_eq!(queue.len(), 1);

    // Download my data, then delete the account: the comment becomes a tombstone.
    let data = lia.get("/readers/account/data.json").await;
    assert_eq!(data.headers["content-type"], "application/json");
    let value: serde_json::Value = serde_json::from_str(&data.body).unwrap();
    assert_eq!(value["account"]["email"], "lia@readers.example");
    assert_eq!(value["comments"][0]["body"], "The budget");
    let unconfirmed = lia
        .submit("/readers/account", "/readers/account/delete", &[])
        .await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let deleted = lia
        .submit(
            "/readers/account",
            "/readers/account/delete",
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert!(deleted.body.contains("Your account is deleted"));
    assert!(matches!(
        state
            .store()
            .people()
            .reader_by_email("lia@readers.example")
            .await,
        Ok(None)
    ));
    state.apply_changes().await.unwrap();
    let page = get(&site.app, "/politics/budget-vote").await.body;
    assert!(!page.contains("The budget"));
    assert!(
        !page.contains("This comment was deleted."),
        "a deleted comment without replies is not shown"
    );
    assert!(
        matches!(state.store().comments().by_id(id).await, Ok(c) if c.status == CommentStatus::Deleted)
    );
}

async fn moderators_approve_feature_ban_and_set_the_rules(store: TestStore) {
    let room = newsroom(&store).await;
    let editor = staff(
        &store,
        "desk@news.example",
        dateline_core::Role::Editor,
        Some(PASSWORD),
    )
    .await;
    let author = staff(
        &store,
        "writer@news.example",
        dateline_core::Role::Author,
        Some(PASSWORD),
    )
    .await;
    let site = site(store).await;
    let outbox = Outbox::default();
    let state = site
        .state
        .clone()
        .with_reader_mail(Arc::new(outbox.clone()));
    let mut lia = Browser::new(&site.app);
    signed_up(&mut lia, &outbox, "lia@readers.example", "Lia").await;
    let posted = post(&mut lia, room.first, &[("body", "Waiting for the desk")]).await;
    let id = comment_id_from(posted.headers["location"].to_str().unwrap());

    // Authors do not moderate.
    let mut writer = Browser::new(&site.app);
    writer.sign_in(&author.email, PASSWORD).await;
    assert_eq!(
        writer.get("/newsroom/comments").await.status,
        StatusCode::FORBIDDEN
    );

    let mut desk = Browser::new(&site.app);
    assert_eq!(
        desk.sign_in(&editor.email, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let queue = desk.get("/newsroom/comments").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(
        queue.body.contains("Waiting for the desk"),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("queued: new commenter"));
    assert!(
        queue.body.contains(">Comments</a>"),
        "the menu links the queues"
    );

    let decision = format!("/newsroom/comments/{id}/decision");
    let approved = desk
        .submit(
            "/newsroom/comments",
            &decision,
            &[("decision", "approve"), ("queue", "pending")],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    let featured = desk
        .submit(
            "/newsroom/comments",
            &format!("/newsroom/comments/{id}/feature"),
            &[("featured", "yes"), ("queue", "approved")],
        )
        .await;
    assert_eq!(featured.status, StatusCode::SEE_OTHER);
    state.apply_changes().await.unwrap();
    let page = get(&site.app, "/politics/budget-vote").await.body;
    assert!(
        page.contains("Waiting for the desk") && page.contains("Editor’s pick"),
        "{page}"
    );
    let featured_tab = lia
        .get(&format!("/discussion/{}?sort=featured", room.first))
        .await
        .body;
    assert!(featured_tab.contains("Waiting for the desk"));

    // Ban the reader: posting is refused with a clear message.
    let reader_id = state
        .store()
        .comments()
        .by_id(id)
        .await
        .unwrap()
        .reader_id
        .unwrap();
    let banned = desk
        .submit(
            "/newsroom/comments",
            &format!("/newsroom/readers/{reader_id}/standing"),
            &[
                ("standing", "banned"),
                ("reason", "abuse"),
                ("queue", "approved"),
            ],
        )
        .await;
    assert_eq!(banned.status, StatusCode::SEE_OTHER);
    let refused = post(&mut lia, room.first, &[("body", "Let me back in")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Your account may not post comments."));
    let actions: Vec<String> = state
        .store()
        .audit()
        .log(None, 20)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    for action in ["comment.approve", "comment.feature", "reader.ban"] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action} in {actions:?}"
        );
    }

    // Rules: a bad number is shown again with the message and what was typed.
    let bad = desk
        .submit(
            "/newsroom/comments/settings",
            "/newsroom/comments/settings",
            &[
                ("mode", "pre"),
                ("premoderate_first", "lots"),
                ("banned_words", "scumbag\nidiot"),
                ("auto_close_days", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Enter a whole number"));
    assert!(bad.body.contains("scumbag\nidiot"));
    let saved = desk
        .submit(
            "/newsroom/comments/settings",
            "/newsroom/comments/settings",
            &[
                ("mode", "pre"),
                ("premoderate_first", "2"),
                ("banned_words", "scumbag"),
                ("auto_close_days", "14"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let rules = state.store().comments().settings().await.unwrap();
    assert_eq!(rules.premoderate_first, 2);
    assert_eq!(rules.banned_words, vec!["scumbag".to_owned()]);
    assert_eq!(rules.auto_close_days, Some(14));
    assert!(!rules.premoderate_links, "an unticked box is off");

    // Closing by hand: the cached article page says so.
    let closed = desk
        .submit(
            "/newsroom/comments",
            &format!("/newsroom/articles/{}/discussion", room.first),
            &[("open", "no"), ("queue", "approved")],
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    state.apply_changes().await.unwrap();
    assert!(
        get(&site.app, "/politics/budget-vote")
            .await
            .body
            .contains("Comments are closed.")
    );
}

/// A mail server that speaks just enough SMTP for one message, and hands back what it received
/// after the DATA command: headers and body, as they came over the wire.
async fn smtp_sink() -> (u16, tokio::sync::oneshot::Receiver<(String, String)>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (done, received) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (reader, mut writer) = socket.into_split();
        let mut lines = BufReader::new(reader).lines();
        writer.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
        let mut recipient = String::new();
        let mut data = String::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            let command = line.to_ascii_uppercase();
            let answer: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
                b"250 sink.test\r\n"
            } else if command.starts_with("MAIL FROM:") {
                b"250 sender ok\r\n"
            } else if command.starts_with("RCPT TO:") {
                recipient = line["RCPT TO:".len()..].trim().to_owned();
                b"250 recipient ok\r\n"
            } else if command == "DATA" {
                writer.write_all(b"354 go ahead\r\n").await.unwrap();
                while let Some(line) = lines.next_line().await.unwrap() {
                    if line == "." {
                        break;
                    }
                    // Undo the dot-stuffing of lines that begin with a dot.
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                    data.push('\n');
                }
                b"250 queued\r\n"
            } else if command == "QUIT" {
                writer.write_all(b"221 bye\r\n").await.unwrap();
                break;
            } else {
                b"502 not implemented\r\n"
            };
            writer.write_all(answer).await.unwrap();
        }
        let _ = done.send((recipient, data));
    });
    (port, received)
}

/// Quoted-printable as far as a plain-text email with long links needs: soft line breaks and
/// an encoded equals sign.
fn unquote_printable(text: &str) -> String {
    text.replace("=\n", "").replace("=3D", "=")
}

async fn the_verification_link_arrives_over_smtp(store: TestStore) {
    let site = site(store).await;
    let (port, received) = smtp_sink().await;
    let mail = SmtpMail::new(
        &format!("smtp://127.0.0.1:{port}"),
        "Dateline Discussion <discussion@news.example>",
    )
    .unwrap();
    // The state shares its reader side with the router, so the router now mails over SMTP.
    let _state = site.state.clone().with_reader_mail(Arc::new(mail));
    let mut browser = Browser::new(&site.app);
    let answer = browser
        .submit(
            "/readers/sign-up",
            "/readers/sign-up",
            &[
                ("email", "mo@example.org"),
                ("display_name", "Mo"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    let (recipient, data) = tokio::time::timeout(std::time::Duration::from_secs(10), received)
        .await
        .expect("the email within 10 s")
        .unwrap();
    assert_eq!(recipient, "<mo@example.org>");
    let (headers, body) = data.split_once("\n\n").expect("headers, then the body");
    assert!(
        headers.contains("From: \"Dateline Discussion\" <discussion@news.example>"),
        "{headers}"
    );
    assert!(headers.contains("To: mo@example.org"), "{headers}");
    let body = unquote_printable(body);
    let start = body
        .find("https://news.example/readers/verify/")
        .expect(&body)
        + "https://news.example".len();
    let link = body[start..].split_whitespace().next().unwrap().to_owned();

    // The link that went over the wire is the one that confirms the address.
    assert_eq!(browser.get(&link).await.status, StatusCode::OK);
    reader_signs_in(&mut browser, "mo@example.org").await;
    let account = browser.get("/readers/account").await;
    assert!(account.body.contains("Signed in as"), "{}", account.body);
    assert!(!account.body.contains("not confirmed"), "{}", account.body);
}

async fn the_newsroom_replies_as_staff_reopens_and_sets_the_mode(store: TestStore) {
    use dateline_core::comments::ModerationMode;

    let room = newsroom(&store).await;
    let editor = staff(
        &store,
        "desk@news.example",
        dateline_core::Role::Editor,
        Some(PASSWORD),
    )
    .await;
    let site = site(store).await;
    let outbox = Outbox::default();
    let state = site
        .state
        .clone()
        .with_reader_mail(Arc::new(outbox.clone()));
    open_rules(state.store()).await;
    let mut lia = Browser::new(&site.app);
    signed_up(&mut lia, &outbox, "lia@readers.example", "Lia").await;
    let posted = post(&mut lia, room.first, &[("body", "Who paid for this?")]).await;
    let id = comment_id_from(posted.headers["location"].to_str().unwrap());
    let article = "/politics/budget-vote";
    let queue_page = "/newsroom/comments?queue=approved";

    let mut desk = Browser::new(&site.app);
    desk.sign_in(&editor.email, PASSWORD).await;
    let queue = desk.get(queue_page).await.body;
    assert!(queue.contains("Reply as staff to Lia"), "{queue}");
    assert!(
        queue.contains("<option value=\"site\" selected>Site default"),
        "{queue}"
    );
    assert!(queue.contains(">Close comments on"), "{queue}");

    // An empty reply is refused, saying why, and stores nothing.
    let reply_action = format!("/newsroom/comments/{id}/reply");
    let empty = desk
        .submit(
            queue_page,
            &reply_action,
            &[("body", "  "), ("queue", "approved")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty.body.contains("Write something before posting."),
        "{}",
        empty.body
    );
    assert!(!desk.get(queue_page).await.body.contains("comment-depth-1"));

    // A staff reply goes out at once, threaded under the reader's, with the badge.
    let replied = desk
        .submit(
            queue_page,
            &reply_action,
            &[
                ("body", "The council did, from reserves."),
                ("queue", "approved"),
            ],
        )
        .await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER);
    assert!(
        replied.headers["location"]
            .to_str()
            .unwrap()
            .ends_with("done=replied")
    );
    state.apply_changes().await.unwrap();
    let page = get(&site.app, article).await.body;
    let reply_at = page.find("The council did, from reserves.").expect(&page);
    let badge_at = page
        .find("<span class=\"comment-badge\">Staff</span>")
        .expect(&page);
    assert!(page.find("Who paid for this?").unwrap() < badge_at && badge_at < reply_at);
    assert!(page.contains("(2 comments)"), "{page}");

    // Close, then reopen with the button the queue now shows.
    let discussion_action = format!("/newsroom/articles/{}/discussion", room.first);
    desk.submit(
        queue_page,
        &discussion_action,
        &[("open", "no"), ("queue", "approved")],
    )
    .await;
    let queue = desk.get(queue_page).await.body;
    assert!(queue.contains(">Reopen comments on"), "{queue}");
    let form = queue
        .split("<form")
        .find(|form| form.contains("Reopen comments on"))
        .unwrap();
    assert!(form.contains("name=\"open\" value=\"yes\""), "{form}");
    desk.submit(
        queue_page,
        &discussion_action,
        &[("open", "yes"), ("queue", "approved")],
    )
    .await;
    state.apply_changes().await.unwrap();
    assert!(
        !get(&site.app, article)
            .await
            .body
            .contains("Comments are closed.")
    );
    assert!(
        state
            .store()
            .comments()
            .article_discussion(room.first)
            .await
            .unwrap()
            .comments_open
    );

    // The article's own moderation mode, shown as chosen, and back to the site's.
    desk.submit(
        queue_page,
        &discussion_action,
        &[("mode", "pre"), ("queue", "approved")],
    )
    .await;
    assert_eq!(
        state
            .store()
            .comments()
            .article_discussion(room.first)
            .await
            .unwrap()
            .mode,
        Some(ModerationMode::Pre)
    );
    let queue = desk.get(queue_page).await.body;
    assert!(
        queue.contains("<option value=\"pre\" selected>Pre-moderation"),
        "{queue}"
    );
    let held = post(&mut lia, room.first, &[("body", "Now it waits")]).await;
    let held_id = comment_id_from(held.headers["location"].to_str().unwrap());
    assert_eq!(
        state
            .store()
            .comments()
            .by_id(held_id)
            .await
            .unwrap()
            .status,
        CommentStatus::Pending
    );
    desk.submit(
        queue_page,
        &discussion_action,
        &[("mode", "site"), ("queue", "approved")],
    )
    .await;
    assert_eq!(
        state
            .store()
            .comments()
            .article_discussion(room.first)
            .await
            .unwrap()
            .mode,
        None
    );
}

/// The attacks from issue 12: a refusal page quoting "the comment you answered or reported"
/// must not show a comment the reader may not see (waiting, rejected, on an unpublished
/// article) nor one from another article, in HTML or JSON, and neither may any other page.
async fn hidden_comments_never_leak(store: TestStore) {
    let room = newsroom(&store).await;
    let other_article = store
        .articles()
        .create(
            &super::article(room.world, room.author, "elsewhere", "Elsewhere", 2),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap()
        .id;
    let pulled_article = store
        .articles()
        .create(
            &super::article(room.world, room.author, "pulled", "Pulled", 2),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap()
        .id;
    open_rules(&store).await;
    let site = site(store).await;
    let outbox = Outbox::default();
    let state = site
        .state
        .clone()
        .with_reader_mail(Arc::new(outbox.clone()));
    let mut author = Browser::new(&site.app);
    signed_up(&mut author, &outbox, "sam@readers.example", "Sam").await;
    let mut attacker = Browser::new(&site.app);
    signed_up(&mut attacker, &outbox, "eve@readers.example", "Eve").await;

    // Sam's comments: one waiting for a moderator, one rejected, one shown on another article,
    // one shown on an article that is then unpublished, and one shown here.
    let posted = |article: i64, text: &'static str| {
        let state = state.clone();
        async move {
            let reader = state
                .store()
                .people()
                .reader_by_email("sam@readers.example")
                .await
                .unwrap()
                .unwrap();
            state
                .store()
                .comments()
                .post(
                    &dateline_db::NewComment {
                        article_id: article,
                        parent_id: None,
                        author: dateline_db::CommentAuthor::Reader(reader.id),
                        body: text.to_owned(),
                    },
                    jiff::Timestamp::now(),
                )
                .await
                .unwrap()
                .id
        }
    };
    let moderator = Actor::system("test moderator");
    // Waiting, as on a pre-moderated site.
    let mut rules = state.store().comments().settings().await.unwrap();
    rules.mode = dateline_core::comments::ModerationMode::Pre;
    state
        .store()
        .comments()
        .save_settings(&rules, &moderator, jiff::Timestamp::now())
        .await
        .unwrap();
    let pending = posted(room.first, "SECRET-WAITING words").await;
    assert_eq!(
        state
            .store()
            .comments()
            .by_id(pending)
            .await
            .unwrap()
            .status,
        CommentStatus::Pending
    );
    rules.mode = dateline_core::comments::ModerationMode::Post;
    state
        .store()
        .comments()
        .save_settings(&rules, &moderator, jiff::Timestamp::now())
        .await
        .unwrap();
    let rejected = posted(room.first, "SECRET-REJECTED words").await;
    state
        .store()
        .comments()
        .moderate(
            rejected,
            ModeratorDecision::Reject,
            "rude",
            &moderator,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let pulled = posted(pulled_article, "SECRET-PULLED words").await;
    state
        .store()
        .articles()
        .set_status(
            pulled_article,
            dateline_core::ArticleStatus::Unpublished,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let shown = posted(room.first, "Shown words everyone may read").await;

    let discussion = format!("/discussion/{}", room.first);
    for hidden in [pending, rejected, pulled] {
        // Attack 1: report it with a reason that is not on the list.
        let reported = attacker
            .submit(
                &discussion,
                &format!("/discussion/comments/{hidden}/report"),
                &[("reason", "no-such-reason"), ("detail", "my words")],
            )
            .await;
        assert_no_secret(&reported.body, hidden);
        assert_eq!(reported.status, StatusCode::NOT_FOUND, "report of {hidden}");
        // Attack 2: an empty reply to it, from this article's page.
        for body in ["", "My reply"] {
            let replied = post(
                &mut attacker,
                room.first,
                &[("body", body), ("parent_id", &hidden.to_string())],
            )
            .await;
            assert_eq!(replied.status, StatusCode::UNPROCESSABLE_ENTITY, "{hidden}");
            assert_no_secret(&replied.body, hidden);
            assert!(
                replied
                    .body
                    .contains("You can only reply to a published comment."),
                "{}",
                replied.body
            );
            assert!(
                replied.body.contains(&format!(">{body}</textarea>")),
                "the text is kept"
            );
        }
        // The script's JSON answer says no more.
        let token = csrf_in(&attacker.get(&discussion).await.body);
        let json = attacker
            .post_raw(
                &format!("{discussion}/comments"),
                &[
                    ("csrf", &token),
                    ("body", ""),
                    ("parent_id", &hidden.to_string()),
                ],
                &[("origin", ORIGIN), ("accept", "application/json")],
            )
            .await;
        assert_eq!(json.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_no_secret(&json.body, hidden);
        // Nor do the discussion page's reply, report and edit views, or a thread page.
        for view in ["reply", "report", "edit"] {
            let page = attacker.get(&format!("{discussion}?{view}={hidden}")).await;
            assert_no_secret(&page.body, hidden);
        }
        let thread = attacker.get(&format!("/discussion/comment/{hidden}")).await;
        assert_eq!(thread.status, StatusCode::NOT_FOUND);
        assert_no_secret(&thread.body, hidden);
    }
    // A reply to a shown comment of another article is refused too, without quoting it.
    let elsewhere = posted(other_article, "Shown elsewhere").await;
    let replied = post(
        &mut attacker,
        room.first,
        &[("body", "x"), ("parent_id", &elsewhere.to_string())],
    )
    .await;
    assert_eq!(replied.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!replied.body.contains("Shown elsewhere"));
    // A parent that is not a number is refused, not quietly posted at the top level.
    let replied = post(
        &mut attacker,
        room.first,
        &[("body", "x"), ("parent_id", "1e3")],
    )
    .await;
    assert_eq!(replied.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The shown comment is quoted as before, and its author still sees their own.
    let refused = post(
        &mut attacker,
        room.first,
        &[("body", ""), ("parent_id", &shown.to_string())],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Shown words everyone may read"));
    let own = author.get(&discussion).await;
    assert!(
        own.body.contains("SECRET-WAITING words"),
        "one's own waiting comment"
    );
    let own_report = author
        .submit(
            &discussion,
            &format!("/discussion/comments/{rejected}/report"),
            &[("reason", "no-such-reason")],
        )
        .await;
    assert_eq!(own_report.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        own_report.body.contains("SECRET-REJECTED words"),
        "one's own words"
    );

    // An absurd page number is a 404, not an overflowing offset.
    for page in ["0", "-1", "100001", "9223372036854775807", "999"] {
        let answer = attacker.get(&format!("{discussion}?page={page}")).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "page {page}");
    }
    assert_eq!(
        attacker.get(&format!("{discussion}?page=1")).await.status,
        StatusCode::OK
    );
}

fn assert_no_secret(body: &str, id: i64) {
    assert!(!body.contains("SECRET-"), "comment {id} leaked: {body}");
}

/// `next=` after sign-in, after sign-up and on the account page only ever leads to a path on
/// this site; everything else falls back to the account page.
async fn next_only_leads_to_this_site(store: TestStore) {
    let site = site(store).await;
    let outbox = Outbox::default();
    let _state = site
        .state
        .clone()
        .with_reader_mail(Arc::new(outbox.clone()));
    let mut lia = Browser::new(&site.app);
    signed_up(&mut lia, &outbox, "lia@readers.example", "Lia").await;
    let bypasses = [
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "/%09/evil.example",
        "%2f%2fevil.example",
        "/%2f%2fevil.example",
        "https://evil.example",
        "https:evil.example",
        "\\\\evil.example",
        "/\nevil.example",
    ];
    let mut visitor = Browser::new(&site.app);
    for (n, next) in bypasses.into_iter().enumerate() {
        // After sign-in (each from its own address: the sign-in limits are not under test).
        let mut fresh = Browser::at(&site.app, &format!("192.0.2.{n}"));
        let answer = fresh
            .submit(
                "/readers/sign-in",
                "/readers/sign-in",
                &[
                    ("email", "lia@readers.example"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(answer.headers["location"], "/readers/account", "{next:?}");
        // Already signed in, the sign-in and sign-up pages send one on at once.
        let query = percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC);
        for page in ["/readers/sign-in", "/readers/sign-up"] {
            let answer = lia.get(&format!("{page}?next={query}")).await;
            assert_eq!(
                answer.headers["location"], "/readers/account",
                "{page} {next:?}"
            );
        }
        // The account page offers no way on, and the sign-up form carries none.
        let account = lia.get(&format!("/readers/account?next={query}")).await;
        assert!(!account.body.contains("evil.example"), "{next:?}");
        let form = visitor.get(&format!("/readers/sign-up?next={query}")).await;
        assert!(!form.body.contains("evil.example"), "{next:?}");
    }
    // A path on this site is kept.
    let mut fresh = Browser::new(&site.app);
    let answer = fresh
        .submit(
            "/readers/sign-in",
            "/readers/sign-in",
            &[
                ("email", "lia@readers.example"),
                ("password", PASSWORD),
                ("next", "/discussion/1"),
            ],
        )
        .await;
    assert_eq!(answer.headers["location"], "/discussion/1");
}

/// Sign-ups and emailed links are limited per client address (a burst, then a trickle): the
/// refusal says why and keeps what was typed, and another address is not affected.
async fn one_address_creates_few_accounts_and_asks_few_links(store: TestStore) {
    let site = site(store).await;
    let outbox = Outbox::default();
    let _state = site
        .state
        .clone()
        .with_reader_mail(Arc::new(outbox.clone()));
    let mut script = Browser::at(&site.app, "2001:db8:5:6::1");
    for n in 0..5 {
        sign_up(
            &mut script,
            &format!("bot{n}@readers.example"),
            "Bot Reader",
        )
        .await;
    }
    // Another address in the same IPv6 /64 is the same client.
    let mut same_network = Browser::at(&site.app, "2001:db8:5:6:ffff::2");
    let refused = same_network
        .submit(
            "/readers/sign-up",
            "/readers/sign-up",
            &[
                ("email", "bot5@readers.example"),
                ("display_name", "Bot Reader"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused.body.contains("Too many accounts"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("bot5@readers.example"),
        "the email is kept"
    );
    assert!(
        refused.body.contains("value=\"Bot Reader\""),
        "the name is kept"
    );
    let mut neighbour = Browser::at(&site.app, "2001:db8:5:7::1");
    sign_up(&mut neighbour, "human@readers.example", "Human").await;

    let mut asked = 0;
    loop {
        let answer = script
            .submit(
                "/readers/sign-in",
                "/readers/sign-in-link",
                &[("email", "bot0@readers.example")],
            )
            .await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(
                answer.body.contains("Too many sign-in links"),
                "{}",
                answer.body
            );
            break;
        }
        asked += 1;
        assert!(asked <= 10, "the limit held");
    }
    assert_eq!(asked, 10);
}
