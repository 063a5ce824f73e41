//! The page cache: rendered bytes, precompressed, tagged with what they show.
//!
//! A hit costs a hash lookup and a reference-count increment: no database, no rendering, no
//! compression. Entries carry cache tags (`dateline_core::cache_tags`); a change drops exactly the
//! entries that carry one of its tags. Memory is bounded: past the byte budget the oldest entries
//! go first.

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
}

impl CachedPage {
    pub fn new(
        content_type: &'static str,
        cache_control: &'static str,
        body: Bytes,
        tags: Vec<String>,
    ) -> Self {
        let digest = Sha256::digest(&body);
        let etag = format!("\"{}\"", hex::encode(&digest[..12]));
        let gzip = gzip(&body);
        let brotli = brotli(&body);
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
        }
    }

    fn weight(&self) -> usize {
        self.identity.len() + self.gzip.len() + self.brotli.len() + 256
    }
}

fn gzip(body: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::best(),
    );
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(body);
    Bytes::from(encoder.finish().unwrap_or_default())
}

fn brotli(body: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(body.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 10,
        lgwin: 22,
        ..Default::default()
    };
    let mut input = body;
    if brotli::BrotliCompress(&mut input, &mut out, &params).is_err() {
        out.clear();
    }
    Bytes::from(out)
}

#[derive(Default)]
struct Entries {
    pages: HashMap<String, Arc<CachedPage>>,
    by_tag: HashMap<String, HashSet<String>>,
    order: VecDeque<String>,
    bytes: usize,
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
}

impl PageCache {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            entries: RwLock::new(Entries::default()),
            max_bytes,
            generation: AtomicU64::new(0),
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.pages.get(key).cloned()
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
        entries.order.push_back(key.clone());
        entries.pages.insert(key, page);
        while entries.bytes > self.max_bytes {
            let Some(oldest) = entries.order.pop_front() else {
                break;
            };
            entries.remove(&oldest);
        }
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
        }
        keys.len()
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
    fn invalidation_drops_exactly_the_tagged_pages() {
        let cache = PageCache::new(1 << 20);
        let generation = cache.generation();
        assert!(cache.insert("/a".into(), page("a", &["article:1", "site"]), generation));
        assert!(cache.insert("/b".into(), page("b", &["article:2", "site"]), generation));
        assert_eq!(cache.invalidate(&["article:1"]), 1);
        assert!(!cache.contains("/a"));
        assert!(cache.contains("/b"));
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
