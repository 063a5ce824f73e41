'use strict';
// "Listen to this article" in real headless Chromium: the demo's lead story gets its narration
// (the fallback voice on a fresh server without neural assets) soon after start; the player
// loads nothing until play, then plays, changes speed, skips, and highlights the sentence being
// read, all from the keyboard as well as the mouse.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { launchBrowser, url, REFERENCE_ARTICLE } = require('./lib');

const PYTHON = path.resolve(__dirname, '..', '..', '.venv', 'bin', 'python');
// What a podcast app sees: feedparser's view of the feed, its episodes and their enclosures.
const PODCAST_READER = `
import json, sys
import feedparser
d = feedparser.parse(sys.argv[1])
print(json.dumps({"bozo": bool(d.bozo), "error": repr(d.get("bozo_exception")) if d.bozo else None,
                  "image": (d.feed.get("image") or {}).get("href"),
                  "episodes": [{"link": e.get("link"), "duration": e.get("itunes_duration"),
                                "enclosures": [dict(x) for x in e.get("enclosures", [])]}
                               for e in d.entries]}))
`;

async function poll(what, check, timeoutMs, everyMs = 1000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

describe('listen to this article', { timeout: 420_000 }, () => {
  let browser;
  let page;
  const audioRequests = [];
  const pageErrors = [];

  before(async () => {
    // The narration worker starts with the server, lead story first; on a busy machine the
    // niced worker takes a while.
    await poll('the lead story\'s narration', async () => {
      const response = await fetch(url(REFERENCE_ARTICLE));
      return (await response.text()).includes('class="listen-audio"');
    }, 300_000, 2000);
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    page = await context.newPage();
    page.on('request', (request) => { if (new URL(request.url()).pathname.startsWith('/audio/')) audioRequests.push(request.url()); });
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => { if (msg.type() === 'error') pageErrors.push(msg.text()); });
  });

  after(async () => {
    if (browser) await browser.close();
  });

  it('shows the real duration and loads no audio before play', async () => {
    await page.goto(url(REFERENCE_ARTICLE), { waitUntil: 'load' });
    const heading = await page.locator('.listen-heading').innerText();
    assert.match(heading, /^Listen to this article \d+:\d\d min$/);
    assert.equal(await page.locator('.listen-play').count(), 1, 'the script built the controls');
    assert.equal(await page.locator('.listen-audio').isHidden(), true, 'native controls replaced');
    assert.deepEqual(audioRequests, [], 'nothing fetched before play');
  });

  it('plays, and the clock matches the M:SS shown within a second', async () => {
    await page.locator('.listen-play').click();
    await poll('playback', () => page.evaluate(() => document.querySelector('.listen-audio').currentTime > 0.5), 30_000, 250);
    const [shown, duration] = await page.evaluate(() => [
      document.querySelector('.listen-duration time').textContent,
      document.querySelector('.listen-audio').duration,
    ]);
    const [m, s] = shown.split(':').map(Number);
    assert.ok(Math.abs(m * 60 + s - duration) <= 1, `shown ${shown}, audio lasts ${duration} s`);
    assert.equal(await page.locator('.listen-play').getAttribute('aria-pressed'), 'true');
    assert.ok(audioRequests.length > 0, 'audio fetched once the reader pressed play');
  });

  it('changes speed', async () => {
    await page.locator('.listen-speed').selectOption('1.5');
    assert.equal(await page.evaluate(() => document.querySelector('.listen-audio').playbackRate), 1.5);
  });

  it('highlights the sentence being read, and the highlight moves', async () => {
    const first = Number(await poll('a highlighted sentence', () => page.evaluate(() => {
      const index = document.querySelector('.listen').getAttribute('data-sentence');
      return index !== null && Number(index) >= 0 ? index : null;
    }), 30_000, 250));
    const highlighted = await page.evaluate(() => {
      const highlight = CSS.highlights.get('listen-sentence');
      return highlight ? [...highlight][0].toString() : '';
    });
    assert.ok(highlighted.length > 3, 'a range over the article text is highlighted');
    assert.ok((await page.locator('.article').innerText()).includes(highlighted));
    await page.locator('.listen-forward').click();
    await page.locator('.listen-forward').click();
    const later = Number(await poll('the highlight to move on', () => page.evaluate((before) => {
      const index = Number(document.querySelector('.listen').getAttribute('data-sentence'));
      return index > before ? String(index) : null;
    }, first), 30_000, 250));
    assert.ok(later > first, `sentence ${first} then ${later}`);
  });

  it('is an episode of the site\'s and the section\'s podcast, with its MP3', async () => {
    assert.ok(fs.existsSync(PYTHON), `${PYTHON} is missing: scripts/test creates tests/.venv`);
    for (const feed of ['/feeds/podcast.xml', '/feeds/sections/politics/podcast.xml']) {
      const run = spawnSync(PYTHON, ['-c', PODCAST_READER, url(feed)], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(run.status, 0, run.stderr);
      const podcast = JSON.parse(run.stdout);
      assert.equal(podcast.bozo, false, `${feed}: ${podcast.error}`);
      assert.ok(podcast.image, `${feed}: artwork`);
      const lead = podcast.episodes.find((e) => e.link === url(REFERENCE_ARTICLE));
      assert.ok(lead, `${feed}: the lead story is an episode`);
      const [mp3] = lead.enclosures;
      assert.equal(mp3.type, 'audio/mpeg');
      const response = await fetch(mp3.href);
      assert.equal(response.status, 200);
      assert.equal(Number(mp3.length), (await response.arrayBuffer()).byteLength, 'length is the file size');
      assert.match(lead.duration, /^\d+:\d\d:\d\d$/);
    }
  });

  it('works from the keyboard and remembers where the reader stopped', async () => {
    await page.locator('.listen-play').focus();
    await page.keyboard.press('Space');
    await poll('pause', () => page.evaluate(() => document.querySelector('.listen-audio').paused), 5_000, 100);
    // The button follows the audio element's 'pause' event, which comes a moment after `paused`.
    await poll('the button to show paused', async () => (await page.locator('.listen-play').getAttribute('aria-pressed')) === 'false', 5_000, 50);
    const stoppedAt = await page.evaluate(() => Math.floor(document.querySelector('.listen-audio').currentTime));
    assert.ok(stoppedAt >= 30, `skipped ahead twice: ${stoppedAt} s`);
    await page.reload({ waitUntil: 'load' });
    assert.equal(Number(await page.locator('.listen-scrub').inputValue()), stoppedAt, 'resumes where it stopped');
    assert.deepEqual(pageErrors, []);
  });
});
