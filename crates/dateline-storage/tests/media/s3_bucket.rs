//! What only S3 storage can get wrong: objects reachable without keys, a wrong key, the server
//! going away.

use std::io::{Read, Write};
use std::net::TcpStream;

use bytes::Bytes;
use dateline_storage::testing::{BUCKET, SeaweedFs, TestMedia};
use dateline_storage::{ImageLimits, MediaError, MediaStore, S3Bucket};

use super::jpeg;

/// The status line of a plain, unsigned `GET path` to the S3 endpoint: what a reader (or anyone)
/// gets who finds the bucket's address.
fn anonymous_get(endpoint: &str, path: &str) -> String {
    let authority = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(authority).expect("connect to SeaweedFS");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_in_the_bucket_is_readable_without_keys() {
    let server = SeaweedFs::start().await;
    let store = server.store();
    let stored = store
        .ingest_image(jpeg(600, 400), &ImageLimits::default())
        .await
        .expect("ingest on S3");
    store
        .put(
            "tips/2026/abc.age",
            Bytes::from_static(b"age-encryption.org/v1"),
        )
        .await
        .expect("tip ciphertext");
    store
        .put("audio/paragraphs/k.pcm", Bytes::from_static(b"pcm"))
        .await
        .expect("paragraph cache");
    let endpoint = server.endpoint();
    for path in [
        format!("/{BUCKET}/{}", stored.original_key),
        format!("/{BUCKET}/{}", stored.variants[0].key),
        format!("/{BUCKET}/tips/2026/abc.age"),
        format!("/{BUCKET}/audio/paragraphs/k.pcm"),
        format!("/{BUCKET}/"),
        format!("/{BUCKET}?list-type=2"),
    ] {
        let status = anonymous_get(&endpoint, &path);
        assert!(status.contains(" 403 "), "{path}: {status}");
    }
    // The same objects are there for the nodes, which hold the keys.
    assert!(store.get("tips/2026/abc.age").await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_refused_without_showing_it() {
    let server = SeaweedFs::start().await;
    let url = server
        .storage_url()
        .replace("secret_access_key=", "secret_access_key=WRONG");
    let store = MediaStore::s3(&S3Bucket::from_url(&url, |_| None).unwrap()).unwrap();
    let refused = store
        .put("images/x.jpg", Bytes::from_static(b"x"))
        .await
        .expect_err("a wrong secret cannot write");
    assert!(matches!(refused, MediaError::Storage(_)), "{refused:?}");
    assert!(!refused.to_string().contains("WRONG"), "{refused}");
    assert_eq!(server.store().get("images/x.jpg").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_server_down_uploads_are_refused_with_a_message() {
    let mut media = TestMedia::s3().await;
    media
        .put("audio/before.mp3", Bytes::from_static(b"ID3"))
        .await
        .unwrap();
    media.seaweed().expect("an S3 store").kill();

    let refused = media
        .ingest_image(jpeg(800, 600), &ImageLimits::default())
        .await
        .expect_err("no storage, no upload");
    assert!(matches!(refused, MediaError::Storage(_)), "{refused:?}");
    assert!(
        refused.to_string().starts_with("Media storage failed: "),
        "{refused}"
    );
    let read = media.get("audio/before.mp3").await;
    assert!(matches!(read, Err(MediaError::Storage(_))), "{read:?}");
}
