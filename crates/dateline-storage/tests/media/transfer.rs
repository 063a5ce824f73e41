//! Copying a store into another, as `dateline storage migrate` does: every object arrives
//! byte-identical, a second run skips what is there and equal, and a damaged copy is replaced.

use bytes::Bytes;
use dateline_storage::testing::TestMedia;
use dateline_storage::{Copied, ImageLimits, MediaStore, StoredObject};
use futures_util::TryStreamExt;

use super::jpeg;

async fn listing(store: &MediaStore) -> Vec<StoredObject> {
    let mut objects: Vec<StoredObject> = store.objects().try_collect().await.unwrap();
    objects.sort_by(|a, b| a.key.cmp(&b.key));
    objects
}

async fn copy_all(from: &MediaStore, to: &MediaStore) -> Vec<(String, Copied)> {
    let mut done = Vec::new();
    for object in listing(from).await {
        let copied = to.copy_from(from, &object).await.unwrap();
        done.push((object.key, copied));
    }
    done
}

/// A site's kinds of object: picture original and variants, narration, the paragraph cache,
/// tip ciphertext, and one episode larger than a multipart part.
async fn site(store: &MediaStore) -> Vec<String> {
    let image = store
        .ingest_image(jpeg(1000, 600), &ImageLimits::default())
        .await
        .unwrap();
    let long_episode: Vec<u8> = (0..20_000_003u32).map(|i| (i * 7 % 251) as u8).collect();
    store
        .put("audio/long.mp3", Bytes::from(long_episode))
        .await
        .unwrap();
    store
        .put(
            "audio/paragraphs/p1.pcm",
            Bytes::from_static(b"pcm samples"),
        )
        .await
        .unwrap();
    store
        .put(
            "tips/7/1.age",
            Bytes::from_static(b"age-encryption.org/v1 ..."),
        )
        .await
        .unwrap();
    store.put("empty", Bytes::new()).await.unwrap();
    let mut keys: Vec<String> = image.variants.into_iter().map(|v| v.key).collect();
    keys.push(image.original_key);
    keys
}

async fn copies_into(target: TestMedia) {
    let source = TestMedia::local();
    let image_keys = site(&source).await;
    let copied = copy_all(&source, &target).await;
    assert!(
        copied.iter().all(|(_, c)| *c == Copied::Written),
        "{copied:?}"
    );
    assert_eq!(listing(&target).await, listing(&source).await);
    for object in listing(&source).await {
        assert_eq!(
            target.get(&object.key).await.unwrap(),
            source.get(&object.key).await.unwrap(),
            "{}",
            object.key
        );
    }
    for key in &image_keys {
        assert!(target.get(key).await.unwrap().is_some(), "{key}");
    }

    // Run again: everything is there and equal, nothing is written.
    let again = copy_all(&source, &target).await;
    assert!(
        again.iter().all(|(_, c)| *c == Copied::AlreadyThere),
        "{again:?}"
    );

    // A copy damaged (same size, other bytes) or missing is written again; the rest is skipped.
    let damaged = "tips/7/1.age";
    let size = source.get(damaged).await.unwrap().unwrap().len();
    target
        .put(damaged, Bytes::from(vec![b'x'; size]))
        .await
        .unwrap();
    target.delete("audio/paragraphs/p1.pcm").await.unwrap();
    let repaired = copy_all(&source, &target).await;
    for (key, copied) in &repaired {
        let expected = if key == damaged || key == "audio/paragraphs/p1.pcm" {
            Copied::Written
        } else {
            Copied::AlreadyThere
        };
        assert_eq!(*copied, expected, "{key}");
    }
    assert_eq!(
        target.get(damaged).await.unwrap(),
        source.get(damaged).await.unwrap()
    );
}

dateline_storage::both_stores!(copies_into);
