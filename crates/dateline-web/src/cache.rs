//! The page cache: rendered bytes, precompressed, tagged with what they show.
//!
//! A hit costs a hash lookup and a reference-count increment: no database, no rendering, no
//! compression. Entries carry cache tags (`dateline_core::cache_tags`); a change drops exactly the
//! entries that carry one of its tags. Memory is bounded: past the byte budget the oldest entries
//! go first.
//!
//! Compression never runs on the threads that answer hits. A miss is compressed at quick levels
//! on the blocking pool (a few milliseconds for an article page), and one low-priority thread
//! later recompresses the stored page at the best levels (brotli 10, gzip 9: about four times the
//! work for 10–15 % fewer bytes) and swaps the bodies in place. When that thread falls behind,
//! pages simply keep their quick encodings until they are rendered again.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Write;
use std::sync::Arc;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::HeaderValue;
use sha2::{Digest, Sha256};

/// One cached response body in every encoding we serve.
#[derive(Debug)]
pub struct CachedPage {
    pub content_type: HeaderValue,
    pub identity: Bytes,
    pub gzip: Bytes,
    pub brotli: Bytes,
    /// Strong validator over the identity bytes (RFC 9110 §8.8.3).
    pub etag: HeaderValue,
    /// The tags, space-separated, for a CDN's `Surrogate-Key` purge.
    pub surrogate_key: HeaderValue,
    pub cache_control: HeaderValue,
    pub tags: Vec<String>,
    /// For the first page of a list: how many pages it has (the other pages are cached under
    /// `?page=N`, and a number past the last is a 404 without asking the handler). `None` for
    /// everything else, whose answer does not depend on the query at all.
    pub list_pages: Option<i64>,
}

/// How hard to compress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// For the answer to a miss: gzip 1, brotli 3. The reader waits for these, so they are
    /// the levels that cost least per byte: on a 900 KB monthly sitemap, 1.3 ms and 3.7 ms
    /// against 12 ms and 9 ms at gzip 6 and brotli 5 (brotli 3 still beats gzip 6 on size).
    /// The stored copy is polished at the best levels right after.
    Quick,
    /// For what stays in the cache: gzip 9, brotli 10 (brotli 11 costs three times as much again
    /// for another 2–3 %).
    Best,
}

impl Effort {
    fn gzip_level(self) -> u32 {
        match self {
            Self::Quick => 1,
            Self::Best => 9,
        }
    }

    fn brotli_quality(self) -> i32 {
        match self {
            Self::Quick => 3,
            Self::Best => 10,
        }
    }
}

impl CachedPage {
    /// A page compressed at the best levels (theme assets, compressed once at start).
    pub fn new(
        content_type: &'static str,
        cache_control: &'static str,
        body: Bytes,
        tags: Vec<String>,
    ) -> Self {
        Self::compressed(content_type, cache_control, body, tags, Effort::Best)
    }

    pub fn compressed(
        content_type: &'static str,
        cache_control: &'static str,
        body: Bytes,
        tags: Vec<String>,
        effort: Effort,
    ) -> Self {
        let digest = Sha256::digest(&body);
        let etag = format!("\"{}\"", hex::encode(&digest[..12]));
        let gzip = gzip(&body, effort);
        let brotli = brotli(&body, effort);
        let surrogate_key = tags.join(" ");
        Self {
            content_type: HeaderValue::from_static(content_type),
            identity: body,
            gzip,
            brotli,
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
            surrogate_key: HeaderValue::from_str(&surrogate_key)
                .unwrap_or(HeaderValue::from_static("")),
            cache_control: HeaderValue::from_static(cache_control),
            tags,
            list_pages: None,
        }
    }

    /// The same page (bytes, validator, tags) with its encodings redone at the best levels.
    pub fn polished(&self) -> Self {
        Self {
            content_type: self.content_type.clone(),
            identity: self.identity.clone(),
            gzip: gzip(&self.identity, Effort::Best),
            brotli: brotli(&self.identity, Effort::Best),
            etag: self.etag.clone(),
            surrogate_key: self.surrogate_key.clone(),
            cache_control: self.cache_control.clone(),
            tags: self.tags.clone(),
            list_pages: self.list_pages,
        }
    }

    fn weight(&self) -> usize {
        self.identity.len() + self.gzip.len() + self.brotli.len() + 256
    }
}

fn gzip(body: &[u8], effort: Effort) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::new(effort.gzip_level()),
    );
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(body);
    Bytes::from(encoder.finish().unwrap_or_default())
}

fn brotli(body: &[u8], effort: Effort) -> Bytes {
    let mut out = Vec::with_capacity(body.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality: effort.brotli_quality(),
        lgwin: brotli_window_bits(body.len()),
        size_hint: body.len(),
        ..Default::default()
    };
    let mut input = body;
    if brotli::BrotliCompress(&mut input, &mut out, &params).is_err() {
        out.clear();
    }
    Bytes::from(out)
}

/// The smallest brotli window (RFC 7932 §9.1: 2^bits − 16 bytes, 10 to 24 bits) that holds the
/// whole body, up to 22 bits. The encoder allocates and zeroes a ring buffer of the window's
/// size on every call: at a fixed 22 bits that was 4 MB for a 2 KB sitemap index, most of the
/// CPU a small page's miss cost; at the best level (assets, at start) the match finder also zeroed
/// 32 MB per call, half the page faults of a node's start.
fn brotli_window_bits(len: usize) -> i32 {
    let needed = len.saturating_add(16);
    let bits = usize::BITS - needed.saturating_sub(1).leading_zeros();
    i32::try_from(bits).unwrap_or(22).clamp(10, 22)
}

#[derive(Default)]
struct Entries {
    pages: HashMap<String, Arc<CachedPage>>,
    by_tag: HashMap<String, HashSet<String>>,
    order: VecDeque<String>,
    bytes: usize,
    /// Paths of pages a change dropped that have not been stored again: pages readers were
    /// reading a moment ago, whose renders come first (`limits::Capacity::rerender`).
    dropped: HashSet<String>,
}

/// Dropped paths remembered at most; past it the memory starts again (a change that drops more
/// pages than this at once is a rebuild, where no page is more urgent than another).
const DROPPED_REMEMBERED: usize = 4096;

/// The path a cache key is for (a list's later pages share their list's path).
fn path_of(key: &str) -> &str {
    key.split_once('?').map_or(key, |(path, _)| path)
}

impl Entries {
    fn remove(&mut self, key: &str) {
        if let Some(page) = self.pages.remove(key) {
            self.bytes = self.bytes.saturating_sub(page.weight());
            for tag in &page.tags {
                if let Some(keys) = self.by_tag.get_mut(tag) {
                    keys.remove(key);
                    if keys.is_empty() {
                        self.by_tag.remove(tag);
                    }
                }
            }
        }
    }
}

pub struct PageCache {
    entries: RwLock<Entries>,
    max_bytes: usize,
    /// Bumped by every invalidation; a render that started before a bump may be stale and is
    /// not stored.
    generation: AtomicU64,
    /// Pages stored since the start: each one a render (for tests and metrics).
    insertions: AtomicU64,
    /// Pages pushed out by the byte budget since the start (not those a change dropped).
    evictions: AtomicU64,
}

impl PageCache {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            entries: RwLock::new(Entries::default()),
            max_bytes,
            generation: AtomicU64::new(0),
            insertions: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.pages.get(key).cloned()
    }

    /// How many pages were stored since the cache was made.
    pub fn insertions(&self) -> u64 {
        self.insertions.load(Ordering::Relaxed)
    }

    /// How many pages the byte budget pushed out since the cache was made.
    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    /// Bytes held now (every encoding of every page), of the budget [`Self::max_bytes`].
    pub fn bytes(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).bytes
    }

    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores a page rendered when the cache was at `generation`, unless something was invalidated
    /// since (the page might show what that change replaced).
    pub fn insert(&self, key: String, page: Arc<CachedPage>, generation: u64) -> bool {
        if page.weight() > self.max_bytes / 4 {
            return false;
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) != generation {
            return false;
        }
        entries.remove(&key);
        entries.order.retain(|k| k != &key);
        for tag in &page.tags {
            entries
                .by_tag
                .entry(tag.clone())
                .or_default()
                .insert(key.clone());
        }
        entries.bytes += page.weight();
        entries.dropped.remove(path_of(&key));
        self.insertions.fetch_add(1, Ordering::Relaxed);
        entries.order.push_back(key.clone());
        entries.pages.insert(key, page);
        while entries.bytes > self.max_bytes {
            let Some(oldest) = entries.order.pop_front() else {
                break;
            };
            entries.remove(&oldest);
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
        true
    }

    /// Puts `better` in place of `current` under `key`, if `current` is still what is stored
    /// there (not invalidated, evicted or re-rendered meanwhile).
    pub fn replace(&self, key: &str, current: &Arc<CachedPage>, better: Arc<CachedPage>) -> bool {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        let Some(stored) = entries.pages.get_mut(key) else {
            return false;
        };
        if !Arc::ptr_eq(stored, current) {
            return false;
        }
        let (before, after) = (current.weight(), better.weight());
        *stored = better;
        entries.bytes = entries.bytes.saturating_sub(before) + after;
        true
    }

    /// Drops every page carrying one of `tags`; returns how many went.
    pub fn invalidate<S: AsRef<str>>(&self, tags: &[S]) -> usize {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        let keys: HashSet<String> = tags
            .iter()
            .filter_map(|tag| entries.by_tag.get(tag.as_ref()))
            .flatten()
            .cloned()
            .collect();
        for key in &keys {
            entries.remove(key);
        }
        if !keys.is_empty() {
            entries.order.retain(|k| !keys.contains(k));
            if entries.dropped.len() + keys.len() > DROPPED_REMEMBERED {
                entries.dropped.clear();
            }
            let paths: Vec<String> = keys.iter().map(|key| path_of(key).to_owned()).collect();
            entries.dropped.extend(paths);
        }
        keys.len()
    }

    /// Whether a change dropped the page at `path` and it has not been rendered again since.
    pub fn was_dropped(&self, path: &str) -> bool {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.dropped.contains(path)
    }

    /// The page at `path` has been rendered again, whether or not it could be stored.
    pub fn forget_dropped(&self, path: &str) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.dropped.remove(path);
    }

    pub fn clear(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        *entries = Entries::default();
    }

    pub fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .pages
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

/// Pages waiting for their best encodings; past this, a page keeps its quick ones.
const POLISH_QUEUE: usize = 64;

/// Recompresses stored pages at the best levels, one at a time, on a thread of the lowest
/// priority, so that it only ever uses CPU the site does not need. The thread ends when the
/// site (every `Polisher`) is dropped.
pub(crate) struct Polisher {
    queue: std::sync::mpsc::SyncSender<(String, Arc<CachedPage>)>,
}

impl Polisher {
    pub(crate) fn start(cache: Arc<PageCache>) -> Self {
        let (queue, pages) =
            std::sync::mpsc::sync_channel::<(String, Arc<CachedPage>)>(POLISH_QUEUE);
        let started = std::thread::Builder::new()
            .name("page-polisher".to_owned())
            .spawn(move || {
                use thread_priority::{ThreadPriority, set_current_thread_priority};
                if let Err(error) = set_current_thread_priority(ThreadPriority::Min) {
                    tracing::debug!(?error, "page polisher keeps normal priority");
                }
                while let Ok((key, page)) = pages.recv() {
                    cache.replace(&key, &page, Arc::new(page.polished()));
                }
            });
        if let Err(error) = started {
            tracing::warn!(%error, "no page polisher: cached pages keep quick compression");
        }
        Self { queue }
    }

    /// Asks for `page`, stored under `key`, to be recompressed; dropped when the queue is full.
    pub(crate) fn polish(&self, key: String, page: Arc<CachedPage>) {
        let _ = self.queue.try_send((key, page));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &str, tags: &[&str]) -> Arc<CachedPage> {
        Arc::new(CachedPage::new(
            "text/html; charset=utf-8",
            "public, max-age=60",
            Bytes::from(body.to_owned()),
            tags.iter().map(|t| (*t).to_owned()).collect(),
        ))
    }

    #[test]
    fn the_brotli_window_fits_the_body() {
        assert_eq!(brotli_window_bits(0), 10);
        assert_eq!(brotli_window_bits(1008), 10);
        assert_eq!(brotli_window_bits(1009), 11);
        assert_eq!(brotli_window_bits(900_000), 20);
        assert_eq!(brotli_window_bits(usize::MAX), 22);
        for len in [0, 5_000, 200_000, 3_000_000] {
            let body: Vec<u8> = (0..len).map(|n| b"dateline "[n % 9]).collect();
            let page = CachedPage::compressed(
                "text/html; charset=utf-8",
                "public, max-age=60",
                Bytes::from(body.clone()),
                Vec::new(),
                Effort::Quick,
            );
            let mut decoded = Vec::new();
            brotli::BrotliDecompress(&mut &page.brotli[..], &mut decoded).unwrap();
            assert_eq!(decoded, body, "{len} bytes");
        }
    }

    #[test]
    fn invalidation_drops_exactly_the_tagged_pages() {
        let cache = PageCache::new(1 << 20);
        let generation = cache.generation();
        assert!(cache.insert("/a".into(), page("a", &["article:1", "site"]), generation));
        assert!(cache.insert("/b".into(), page("b", &["article:2", "site"]), generation));
        assert_eq!(cache.invalidate(&["article:1"]), 1);
        assert!(!cache.contains("/a"));
        assert!(cache.contains("/b"));
        assert!(cache.was_dropped("/a") && !cache.was_dropped("/b"));
        assert!(cache.insert("/a".into(), page("a", &["article:1"]), cache.generation()));
        assert!(!cache.was_dropped("/a"), "rendered again");
        assert_eq!(cache.invalidate(&["article:1"]), 1);
        assert_eq!(cache.invalidate(&["site"]), 1);
        assert!(cache.is_empty());
    }

    #[test]
    fn a_render_older_than_an_invalidation_is_not_stored() {
        let cache = PageCache::new(1 << 20);
        let generation = cache.generation();
        cache.invalidate(&["article:1"]);
        assert!(!cache.insert("/a".into(), page("a", &["article:1"]), generation));
        assert!(cache.is_empty());
    }

    #[test]
    fn byte_budget_evicts_oldest_first() {
        let body = "x".repeat(10_000);
        let cache = PageCache::new(4 * (page(&body, &[]).weight()) + 10);
        for n in 0..6 {
            let generation = cache.generation();
            cache.insert(format!("/{n}"), page(&body, &["t"]), generation);
        }
        assert!(!cache.contains("/0"));
        assert!(!cache.contains("/1"));
        assert!(cache.contains("/5"));
        assert_eq!(cache.len(), 4);
        assert_eq!(cache.evictions(), 2);
        assert!(cache.bytes() <= cache.max_bytes());
    }

    #[test]
    fn polishing_swaps_encodings_only_of_the_page_still_stored() {
        let body = "<p>The minister said the budget would pass.</p>".repeat(400);
        let quick = Arc::new(CachedPage::compressed(
            "text/html; charset=utf-8",
            "public, max-age=60",
            Bytes::from(body.clone()),
            vec!["article:1".to_owned()],
            Effort::Quick,
        ));
        let cache = PageCache::new(1 << 20);
        assert!(cache.insert("/a".into(), Arc::clone(&quick), cache.generation()));
        let polished = Arc::new(quick.polished());
        assert!(polished.brotli.len() <= quick.brotli.len());
        assert_eq!(polished.etag, quick.etag);
        assert!(cache.replace("/a", &quick, Arc::clone(&polished)));
        let stored = cache.get("/a").expect("stored");
        assert!(Arc::ptr_eq(&stored, &polished));
        // A page invalidated (or re-rendered) meanwhile is not brought back.
        cache.invalidate(&["article:1"]);
        assert!(!cache.replace("/a", &polished, Arc::new(quick.polished())));
        assert!(cache.is_empty());
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &stored.brotli[..], &mut decoded).expect("brotli decodes");
        assert_eq!(decoded, body.as_bytes());
    }

    #[test]
    fn precompressed_bodies_decode_to_the_original() {
        let body = "<p>Hello, readers</p>".repeat(100);
        let page = page(&body, &[]);
        let mut decoded = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(&page.gzip[..]),
            &mut decoded,
        )
        .expect("gzip decodes");
        assert_eq!(decoded, body);
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &page.brotli[..], &mut decoded).expect("brotli decodes");
        assert_eq!(decoded, body.as_bytes());
        assert!(page.etag.to_str().expect("ascii").starts_with('"'));
    }
}
