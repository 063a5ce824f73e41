'use strict';
// Feeds of the demo newsroom — the site's, the Politics section's and James Thompson's, each as RSS
// 2.0, Atom and JSON Feed 1.1 — read the way feed readers read them. Python's feedparser (pinned
// in tests/python/feeds.txt, installed in tests/.venv by scripts/test) fetches each RSS and Atom
// feed over HTTP and must parse it without the `bozo` flag (feedparser's "this feed is
// malformed"), find entries, and find the reference article with its full text, not just its
// standfirst. feedparser 6 does not read JSON Feed, so the JSON feeds go through JSON.parse and
// the same checks.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { REFERENCE_ARTICLE, url, loose } = require('./lib');

const PYTHON = path.resolve(__dirname, '..', '..', '.venv', 'bin', 'python');
// A sentence from the reference article's last paragraphs: only a full-text feed carries it.
const BODY_TEXT = 'Analysts say the coming days will be critical';

const FOLDERS = ['/feeds', '/feeds/sections/politics', '/feeds/authors/james-thompson'];
const FORMATS = [
  { file: 'rss.xml', type: 'application/rss+xml; charset=utf-8', version: /^rss20$/ },
  { file: 'atom.xml', type: 'application/atom+xml; charset=utf-8', version: /^atom10$/ },
];
const FEEDS = FOLDERS.flatMap((folder) => FORMATS.map((f) => ({ ...f, path: `${folder}/${f.file}` })));

// Prints one JSON line per URL: what feedparser made of it.
const READER = `
import json, sys
import feedparser
for address in sys.argv[1:]:
    d = feedparser.parse(address)
    entries = []
    for e in d.entries:
        text = " ".join(c.get("value", "") for c in e.get("content", []))
        entries.append({"link": e.get("link"), "title": e.get("title"), "content": text,
                        "published": bool(e.get("published_parsed") or e.get("updated_parsed")),
                        "authors": [a.get("name") for a in e.get("authors", [])]})
    print(json.dumps({"url": address, "bozo": bool(d.bozo),
                      "bozo_exception": repr(d.get("bozo_exception")) if d.bozo else None,
                      "status": d.get("status"), "version": d.get("version"),
                      "title": d.feed.get("title"), "entries": entries}))
`;

function readFeeds() {
  assert.ok(fs.existsSync(PYTHON), `${PYTHON} is missing: scripts/test creates tests/.venv from tests/python/*.txt`);
  const run = spawnSync(PYTHON, ['-c', READER, ...FEEDS.map((f) => url(f.path))], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  if (run.error) throw new Error(`could not run ${PYTHON}: ${run.error.message}`);
  assert.equal(run.status, 0, `feedparser failed:\n${run.stderr}`);
  return new Map(run.stdout.trim().split('\n').map((line) => {
    const result = JSON.parse(line);
    return [result.url, result];
  }));
}

describe('feeds (feedparser)', { timeout: 180_000 }, () => {
  let parsed;
  const results = () => {
    parsed ??= readFeeds();
    return parsed;
  };

  for (const feed of FEEDS) {
    it(`${feed.path} parses cleanly with full text`, async () => {
      const res = await fetch(url(feed.path));
      assert.equal(res.status, 200, `GET ${feed.path}`);
      assert.equal(res.headers.get('content-type'), feed.type, `content type of ${feed.path}`);
      assert.ok(res.headers.get('etag'), `${feed.path} has no ETag`);
      const again = await fetch(url(feed.path), { headers: { 'if-none-match': res.headers.get('etag') } });
      assert.equal(again.status, 304, `conditional GET of ${feed.path}`);

      const result = results().get(url(feed.path));
      assert.ok(result, `feedparser gave nothing for ${feed.path}`);
      assert.equal(result.bozo, false, `${feed.path} is malformed for feedparser: ${result.bozo_exception}`);
      assert.match(result.version || '', feed.version, `${feed.path} detected as ${result.version}`);
      assert.ok(result.title, `${feed.path} has no title`);
      assert.ok(result.entries.length > 0, `${feed.path} has no entries`);
      for (const entry of result.entries) {
        assert.ok(entry.title && entry.link && entry.published, `${feed.path}: incomplete entry ${JSON.stringify(entry.title)}`);
        assert.ok(entry.authors.length > 0, `${feed.path}: no author on ${entry.link}`);
      }
      const reference = result.entries.find((e) => e.link === url(REFERENCE_ARTICLE));
      assert.ok(reference, `${feed.path} lacks the reference article ${REFERENCE_ARTICLE}`);
      assert.ok(loose(reference.content).includes(loose(BODY_TEXT)), `${feed.path}: the reference entry has no full text`);
    });
  }

  for (const folder of FOLDERS) {
    it(`${folder}/feed.json is JSON Feed 1.1 with full text`, async () => {
      const res = await fetch(url(`${folder}/feed.json`));
      assert.equal(res.status, 200, `GET ${folder}/feed.json`);
      assert.equal(res.headers.get('content-type'), 'application/feed+json');
      const etag = res.headers.get('etag');
      assert.ok(etag, `${folder}/feed.json has no ETag`);
      const again = await fetch(url(`${folder}/feed.json`), { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304, `conditional GET of ${folder}/feed.json`);
      const feed = JSON.parse(await res.text());
      assert.equal(feed.version, 'https://jsonfeed.org/version/1.1');
      assert.equal(feed.feed_url, url(`${folder}/feed.json`));
      assert.ok(feed.home_page_url.startsWith('http'), 'home_page_url is absolute');
      assert.ok(feed.items.length > 0 && feed.items.length <= 50);
      for (const item of feed.items) {
        assert.ok(item.id && item.url && item.title && item.content_html, `incomplete item ${item.id}`);
        assert.ok(!Number.isNaN(Date.parse(item.date_published)), `date_published of ${item.id}`);
        assert.ok(item.authors.length > 0, `no authors on ${item.id}`);
      }
      const reference = feed.items.find((i) => i.url === url(REFERENCE_ARTICLE));
      assert.ok(reference, `${folder}/feed.json lacks the reference article`);
      assert.ok(loose(reference.content_html).includes(loose(BODY_TEXT)));
      if (reference.image) assert.match(reference.image, /^https?:\/\//);
    });
  }

  it('pages announce their feeds', async () => {
    const expectations = [
      ['/', ['/feeds/rss.xml', '/feeds/atom.xml', '/feeds/feed.json']],
      ['/politics', ['/feeds/rss.xml', '/feeds/sections/politics/rss.xml']],
      [REFERENCE_ARTICLE, ['/feeds/atom.xml', '/feeds/sections/politics/atom.xml']],
      ['/authors/james-thompson', ['/feeds/feed.json', '/feeds/authors/james-thompson/rss.xml']],
    ];
    for (const [page, feeds] of expectations) {
      const html = await (await fetch(url(page))).text();
      const links = [...html.matchAll(/<link rel="alternate" type="([^"]+)" title="[^"]+" href="([^"]+)">/g)].map((m) => m[2]);
      for (const feed of feeds) assert.ok(links.includes(feed), `${page} does not announce ${feed} (has ${links.join(', ')})`);
    }
  });
});
