//! "Listen to this article": the player appears once the fallback voice has narrated an article
//! (no neural assets here), its files are served with ranges, and JSON-LD describes the audio.

use dateline_db::AudioFiles;
use dateline_jobs::narration::{EngineProvider, NarrationOutcome, narrate_article};

use super::*;

dateline_db::both_backends!(
    a_narrated_article_offers_the_player_and_its_files,
    the_demo_lead_story_lasts_what_its_player_says,
    archive_stories_wait_for_their_first_listener_who_queues_one_narration,
    the_archive_is_queued_on_request_and_an_update_brings_a_story_back,
);

async fn narrate(site: &Site, article_id: i64) -> AudioFiles {
    let outcome = narrate_article(
        site.state.store(),
        site.state.media(),
        &EngineProvider::fallback_only(),
        article_id,
    )
    .await
    .expect("narrates");
    match outcome {
        NarrationOutcome::Narrated { files, .. } => files,
        other => panic!("expected a narration, got {other:?}"),
    }
}

/// The "M:SS" the page shows next to "Listen to this article", in seconds.
fn shown_seconds(html: &str) -> i64 {
    let heading = html
        .split("Listen to this article")
        .nth(1)
        .expect("the player's heading");
    let time = heading
        .split("\">")
        .nth(2)
        .and_then(|rest| rest.split('<').next())
        .expect("M:SS");
    let (minutes, seconds) = time.split_once(':').expect("M:SS");
    minutes.parse::<i64>().expect("minutes") * 60 + seconds.parse::<i64>().expect("seconds")
}

async fn a_narrated_article_offers_the_player_and_its_files(store: TestStore) {
    let room = newsroom(&store).await;
    let site = site(store).await;
    let files = narrate(&site, room.first).await;

    let page = get(&site.app, "/politics/budget-vote").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.body;
    assert!(html.contains("Listen to this article"));
    assert_eq!(shown_seconds(html), (files.duration_ms + 500) / 1000);
    // Nothing loads until play; Opus first (smaller), MP3 for every other player.
    assert!(html.contains(r#"<audio class="listen-audio" controls preload="none">"#));
    let player = html.split("<audio").nth(1).expect("an audio element");
    let opus_at = player
        .find(&format!("/{}", files.opus_key))
        .expect("opus source");
    let mp3_at = player
        .find(&format!("/{}", files.mp3_key))
        .expect("mp3 source");
    assert!(opus_at < mp3_at);
    assert!(
        html.contains("Read by a synthetic voice."),
        "the fallback voice is said"
    );
    assert!(
        html.contains("/static/listen."),
        "the player script, fingerprinted"
    );
    assert!(!html.contains("<script>"), "no inline script");
    assert!(html.contains(r#""@type":"AudioObject""#));
    assert!(html.contains(&format!(
        r#""contentUrl":"https://news.example/{}""#,
        files.mp3_key
    )));
    assert!(html.contains(r#""encodingFormat":"audio/mpeg""#));

    // An article not yet narrated has no player, only word that its audio is coming.
    let other = get(&site.app, "/politics/senate-race").await;
    assert!(!other.body.contains("<audio"));
    assert!(!other.body.contains("AudioObject"));
    assert!(other.body.contains("The audio is being prepared."));

    let mp3_url = format!("/{}", files.mp3_key);
    let whole = get(&site.app, &mp3_url).await;
    assert_eq!(whole.status, StatusCode::OK);
    assert_eq!(whole.headers[header::CONTENT_TYPE], "audio/mpeg");
    assert_eq!(whole.headers[header::ACCEPT_RANGES], "bytes");
    assert_eq!(
        whole.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        whole.headers[header::CONTENT_LENGTH],
        files.mp3_bytes.to_string().as_str()
    );
    let part = get_with(&site.app, &mp3_url, &[("range", "bytes=100-199")]).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.headers[header::CONTENT_LENGTH], "100");
    assert_eq!(
        part.headers[header::CONTENT_RANGE],
        format!("bytes 100-199/{}", files.mp3_bytes).as_str()
    );
    let beyond = get_with(
        &site.app,
        &mp3_url,
        &[("range", &format!("bytes={}-", files.mp3_bytes))],
    )
    .await;
    assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);
    let opus = get(&site.app, &format!("/{}", files.opus_key)).await;
    assert_eq!(opus.headers[header::CONTENT_TYPE], "audio/ogg; codecs=opus");
    let timings = get(&site.app, &format!("/{}", files.timings_key)).await;
    let timings: serde_json::Value = serde_json::from_str(&timings.body).expect("timings JSON");
    assert_eq!(timings["sentences"][0]["text"], "Budget vote passes");
    // The podcasts: only narrated articles, each with its MP3 and running time.
    for feed in ["/feeds/podcast.xml", "/feeds/sections/politics/podcast.xml"] {
        let podcast = get(&site.app, feed).await;
        assert_eq!(podcast.status, StatusCode::OK, "{feed}");
        assert_eq!(
            podcast.headers[header::CONTENT_TYPE],
            "application/rss+xml; charset=utf-8"
        );
        let xml = &podcast.body;
        assert!(xml.contains(r#"xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd""#));
        assert!(xml.contains(&format!(
            r#"<enclosure url="https://news.example/{}" length="{}" type="audio/mpeg"/>"#,
            files.mp3_key, files.mp3_bytes
        )));
        let seconds = (files.duration_ms + 500) / 1000;
        assert!(xml.contains(&format!(
            "<itunes:duration>0:{:02}:{:02}</itunes:duration>",
            seconds / 60,
            seconds % 60
        )));
        assert!(xml.contains("<itunes:image href="), "artwork");
        assert!(xml.contains("<itunes:explicit>false</itunes:explicit>"));
        assert_eq!(
            xml.matches("<item>").count(),
            1,
            "{feed}: only narrated articles"
        );
        assert!(xml.contains(&format!(
            r#"<atom:link href="https://news.example{}" rel="self""#,
            feed
        )));
    }
    let world = get(&site.app, "/feeds/sections/world/podcast.xml").await;
    assert_eq!(world.status, StatusCode::OK);
    assert_eq!(world.body.matches("<item>").count(), 0);
    assert_eq!(
        get(&site.app, "/feeds/sections/politics/podcast.json")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The paragraph cache is not public.
    let cache = get(&site.app, &format!("/audio/{}.pcm", "0".repeat(64))).await;
    assert_eq!(cache.status, StatusCode::NOT_FOUND);
}

fn mp3_seconds(bytes: Vec<u8>) -> f64 {
    use symphonia::core::codecs::DecoderOptions;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    use symphonia::core::probe::Hint;

    let stream = MediaSourceStream::new(Box::new(std::io::Cursor::new(bytes)), Default::default());
    let mut hint = Hint::new();
    hint.with_extension("mp3");
    let mut format = symphonia::default::get_probe()
        .format(
            &hint,
            stream,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .expect("an MP3")
        .format;
    let track = format.default_track().expect("a track").clone();
    let rate = f64::from(track.codec_params.sample_rate.expect("rate"));
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .expect("decoder");
    let mut frames = 0u64;
    while let Ok(packet) = format.next_packet() {
        frames += decoder.decode(&packet).expect("decodes").frames() as u64;
    }
    frames as f64 / rate
}

async fn the_demo_lead_story_lasts_what_its_player_says(store: TestStore) {
    let site = site(store).await;
    let report = dateline_demo::load_newsroom(
        site.state.store(),
        site.state.media(),
        jiff::Timestamp::now(),
    )
    .await
    .expect("demo loads");
    let (section, slug) = report
        .lead_path
        .trim_start_matches('/')
        .split_once('/')
        .expect("path");
    let dateline_db::ArticleLookup::Found(lead) = site
        .state
        .store()
        .articles()
        .published_at(section, slug)
        .await
        .expect("lookup")
    else {
        panic!("the lead story is published");
    };
    let files = narrate(&site, lead.article.id).await;
    let page = get(&site.app, &report.lead_path).await;
    let shown = shown_seconds(&page.body);
    let mp3 = site
        .state
        .media()
        .get(&files.mp3_key)
        .await
        .expect("reads")
        .expect("stored");
    let actual = mp3_seconds(mp3.to_vec());
    assert!(
        (actual - shown as f64).abs() <= 1.0,
        "the page says {shown} s, the MP3 lasts {actual:.2} s"
    );
    // The reference article is a few minutes long read aloud.
    assert!((60..600).contains(&shown), "{shown} s");
}

/// Narration jobs waiting now.
async fn narrations_waiting(store: &dateline_db::Store) -> i64 {
    store
        .jobs()
        .queue_depths(jiff::Timestamp::now())
        .await
        .expect("queue")
        .iter()
        .find(|queue| queue.kind == dateline_core::JobKind::NarrateArticle.name())
        .map_or(0, |queue| queue.waiting)
}

async fn post(app: &Router, uri: &str) -> Answer {
    let response = app
        .clone()
        .oneshot(Request::post(uri).body(Body::empty()).expect("request"))
        .await
        .expect("response");
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        body: String::new(),
    }
}

/// A story 40 days old, never changed since: archive under the default budget of 30 days.
async fn archive_story(store: &dateline_db::Store, room: &Newsroom) -> i64 {
    store
        .articles()
        .create(
            &article(
                room.politics,
                room.author,
                "old-inquiry",
                "The old inquiry",
                24 * 40,
            ),
            jiff::Timestamp::now(),
        )
        .await
        .expect("archive story")
        .id
}

async fn archive_stories_wait_for_their_first_listener_who_queues_one_narration(store: TestStore) {
    let room = newsroom(&store).await;
    let fresh = narrations_waiting(&store).await;
    assert_eq!(fresh, 3, "the three new stories are narrated at once");
    let old = archive_story(&store, &room).await;
    assert_eq!(
        narrations_waiting(&store).await,
        fresh,
        "an archive story is not queued by itself"
    );
    let site = site(store).await;
    let page = get(&site.app, "/politics/old-inquiry").await;
    assert!(!page.body.contains("<audio"));
    let action = format!(r#"<form method="post" action="/audio/request/{old}">"#);
    assert!(page.body.contains(&action), "a button asks for the audio");

    let asked = post(&site.app, &format!("/audio/request/{old}")).await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    assert_eq!(
        asked.headers[header::LOCATION],
        "/politics/old-inquiry#listen-heading"
    );
    assert_eq!(narrations_waiting(site.state.store()).await, fresh + 1);
    // The reader waits for it: it is read before the stories queued earlier.
    let job = site
        .state
        .store()
        .jobs()
        .claim(
            "test-worker",
            &[dateline_core::JobKind::NarrateArticle.name()],
            std::time::Duration::from_secs(60),
            jiff::Timestamp::now(),
        )
        .await
        .expect("claim")
        .expect("a narration job");
    assert_eq!(job.payload["article_id"], old);
    site.state
        .store()
        .jobs()
        .release("test-worker", jiff::Timestamp::now())
        .await
        .expect("released");
    site.state.apply_changes().await.expect("changes");
    let page = get(&site.app, "/politics/old-inquiry").await;
    assert!(page.body.contains("The audio is being prepared."));
    assert!(!page.body.contains(&action));
    // Asking again (or twenty readers at once) queues nothing more; past the node's allowance
    // the answer is 429 before the database is asked.
    let mut limited = 0;
    for _ in 0..30 {
        let again = post(&site.app, &format!("/audio/request/{old}")).await;
        match again.status {
            StatusCode::SEE_OTHER => {}
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("answered {other}"),
        }
    }
    assert!(limited >= 10, "the node's limit holds: {limited} refused");
    assert_eq!(narrations_waiting(site.state.store()).await, fresh + 1);
    // Nothing that is not a published article can be asked for.
    for uri in ["/audio/request/999999", "/audio/request/x"] {
        assert_eq!(post(&site.app, uri).await.status, StatusCode::NOT_FOUND);
    }
}

async fn the_archive_is_queued_on_request_and_an_update_brings_a_story_back(store: TestStore) {
    let room = newsroom(&store).await;
    let old = archive_story(&store, &room).await;
    let older_input = article(room.world, room.author, "old-summit", "Old summit", 24 * 60);
    let older = store
        .articles()
        .create(&older_input, jiff::Timestamp::now())
        .await
        .expect("archive story");
    // Anything imported is archive, however recent its date.
    let imported = store
        .imports()
        .article(
            "wordpress:post:77",
            &article(
                room.politics,
                room.author,
                "imported-yesterday",
                "Imported",
                20,
            ),
            &dateline_db::Actor::system("import"),
            jiff::Timestamp::now(),
        )
        .await
        .expect("imported");
    let dateline_db::Imported::Created(imported_id) = imported else {
        panic!("a new import creates the story: {imported:?}");
    };
    let fresh = narrations_waiting(&store).await;
    assert_eq!(
        fresh, 3,
        "neither the old nor the imported stories were queued"
    );
    // A better voice arrives: only what is not archive is read again.
    assert_eq!(
        store
            .narration()
            .queue_all(false, jiff::Timestamp::now())
            .await
            .expect("requeue"),
        0
    );
    assert_eq!(narrations_waiting(&store).await, fresh);

    // A correction to an old story makes it current again: narrated at once.
    let mut corrected = older_input.clone();
    corrected.body = "The summit ended a day early, officials now say.".to_owned();
    store
        .articles()
        .save(
            older.id,
            older.version,
            &corrected,
            &dateline_db::Actor::system("test"),
            jiff::Timestamp::now(),
        )
        .await
        .expect("saved");
    assert_eq!(narrations_waiting(&store).await, fresh + 1);

    // `dateline narrate --archive`: every archive story without audio, newest first.
    let mut reported = Vec::new();
    let queued = store
        .narration()
        .queue_archive(
            |done, total| reported.push((done, total)),
            jiff::Timestamp::now(),
        )
        .await
        .expect("archive queued");
    assert_eq!(queued, vec![imported_id, old]);
    assert_eq!(
        reported.last(),
        Some(&(2, 6)),
        "progress: queued, of those looked at"
    );
    assert_eq!(narrations_waiting(&store).await, fresh + 3);
}
