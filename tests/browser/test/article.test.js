'use strict';
// The reference article in real headless Chromium: what a reader sees, what the browser logs, and
// where it sends requests. Screenshots at phone and desktop width go to target/browser-artifacts/.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {
  ORIGIN, REFERENCE_ARTICLE, REFERENCE_HEADLINE, ARTIFACTS, launchBrowser, url, lines, loose,
} = require('./lib');

const SHARE_NETWORKS = ['x', 'facebook', 'linkedin', 'whatsapp', 'bluesky', 'threads', 'reddit', 'telegram', 'email'];
const VISIBLE = { state: 'visible', timeout: 5_000 };

describe('article page', { timeout: 120_000 }, () => {
  let browser;
  let context;
  let page;
  const requests = []; // every URL the browser asked for, in every page of this file
  const consoleErrors = [];
  const pageErrors = [];
  const badResponses = [];

  function watch(ctx) {
    ctx.on('request', (req) => requests.push(req.url()));
    ctx.on('response', (res) => {
      if (res.status() >= 400) badResponses.push(`${res.status()} ${res.url()}`);
    });
    ctx.on('requestfailed', (req) => badResponses.push(`failed (${req.failure()?.errorText}) ${req.url()}`));
    ctx.on('page', (p) => {
      p.on('console', (msg) => {
        if (msg.type() === 'error') consoleErrors.push(`${msg.text()} @ ${JSON.stringify(msg.location())}`);
      });
      p.on('pageerror', (err) => pageErrors.push(String(err && err.stack ? err.stack : err)));
    });
  }

  before(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    watch(context);
    page = await context.newPage();
    const res = await page.goto(url(REFERENCE_ARTICLE), { waitUntil: 'load' });
    assert.ok(res, 'no response for the reference article');
    assert.equal(res.status(), 200, `GET ${REFERENCE_ARTICLE} answered ${res.status()}`);
  });

  after(async () => {
    if (browser) await browser.close();
  });

  it('shows the kicker, headline and standfirst', async () => {
    const kicker = page.locator('.kicker').first();
    await kicker.waitFor(VISIBLE);
    assert.equal(loose(await kicker.innerText()), 'politics');
    const h1 = page.locator('h1.headline');
    assert.equal(await h1.count(), 1, 'exactly one h1.headline');
    await h1.waitFor(VISIBLE);
    assert.equal(loose(await h1.innerText()), loose(REFERENCE_HEADLINE));
    const standfirst = page.locator('.standfirst').first();
    await standfirst.waitFor(VISIBLE);
    assert.ok((await standfirst.innerText()).trim().length > 40, 'standfirst is too short to be real');
  });

  it('shows the byline, reading time and publication time', async () => {
    const author = page.locator('.byline a[rel=author]').first();
    await author.waitFor(VISIBLE);
    assert.equal(loose(await author.innerText()), 'james thompson');
    const href = await author.getAttribute('href');
    assert.equal(new URL(href, page.url()).pathname, '/authors/james-thompson', `author link is ${href}`);
    const rt = page.locator('.reading-time').first();
    await rt.waitFor(VISIBLE);
    assert.equal(loose(await rt.innerText()), '3 min read');
    const published = page.locator('time.published').first();
    await published.waitFor(VISIBLE);
    const dt = await published.getAttribute('datetime');
    assert.ok(dt, 'time.published has no datetime attribute');
    assert.ok(!Number.isNaN(Date.parse(dt)), `time.published datetime "${dt}" does not parse`);
    assert.match(dt, /(Z|[+-]\d\d:\d\d)$/, `time.published datetime "${dt}" has no time zone`);
  });

  it('shows the hero image, loaded, with its size and provenance label', async () => {
    const img = page.locator('figure.hero img').first();
    await img.waitFor(VISIBLE);
    for (const attr of ['width', 'height']) {
      const v = await img.getAttribute(attr);
      assert.ok(v && Number(v) > 0, `hero img has no ${attr} attribute (got ${v})`);
    }
    assert.ok(await img.getAttribute('alt'), 'hero img has no alt text');
    await page.waitForFunction((el) => el.complete, await img.elementHandle(), { timeout: 10_000 });
    const natural = await img.evaluate((el) => el.naturalWidth);
    assert.ok(natural > 0, `hero image did not load (naturalWidth ${natural}, src ${await img.evaluate((el) => el.currentSrc)})`);
    const label = page.locator('.provenance-label').first();
    await label.waitFor(VISIBLE);
    assert.equal(loose(await label.innerText()), 'ai-generated illustration');
  });

  it('has the article body', async () => {
    const body = page.locator('.article-body').first();
    await body.waitFor(VISIBLE);
    const paragraphs = await page.locator('.article-body p').count();
    assert.ok(paragraphs >= 6, `.article-body has ${paragraphs} paragraphs, expected 6 or more`);
  });

  it('has share links for every network', async () => {
    const found = await page.locator('.share a[data-network]').evaluateAll(
      (as) => as.map((a) => ({ network: a.dataset.network, href: a.getAttribute('href') })),
    );
    const networks = found.map((f) => f.network);
    const missing = SHARE_NETWORKS.filter((n) => !networks.includes(n));
    assert.deepEqual(missing, [], `missing share networks; found ${JSON.stringify(networks)}`);
    for (const f of found) assert.ok(f.href, `share link for ${f.network} has no href`);
    await page.locator('.share a[data-network="x"]').first().waitFor(VISIBLE);
  });

  it('has "More in Politics" with 4 to 6 stories', async () => {
    const more = page.locator('.more-in-section').first();
    await more.waitFor(VISIBLE);
    const heading = await more.locator('h2').first().innerText();
    assert.equal(loose(heading), 'more in politics');
    const cards = await more.locator('.story-card').count();
    assert.ok(cards >= 4 && cards <= 6, `.more-in-section has ${cards} .story-card, expected 4–6`);
  });

  it('carries NewsArticle JSON-LD', async () => {
    const blocks = await page.locator('script[type="application/ld+json"]').evaluateAll(
      (ss) => ss.map((s) => s.textContent),
    );
    assert.ok(blocks.length > 0, 'no <script type="application/ld+json">');
    const docs = blocks.map((text, i) => {
      try {
        return JSON.parse(text);
      } catch (e) {
        throw new Error(`JSON-LD block ${i} does not parse: ${e.message}\n${text}`);
      }
    });
    const nodes = docs.flatMap((d) => (Array.isArray(d) ? d : d['@graph'] ? d['@graph'] : [d]));
    const article = nodes.find((n) => [].concat(n['@type']).includes('NewsArticle'));
    assert.ok(article, `no NewsArticle among @types ${JSON.stringify(nodes.map((n) => n['@type']))}`);
    assert.equal(loose(article.headline), loose(REFERENCE_HEADLINE));
    assert.ok(Array.isArray(article.image) && article.image.length > 0, `NewsArticle.image is not a non-empty array: ${JSON.stringify(article.image)}`);
    const dst = article.image[0] && article.image[0].digitalSourceType;
    assert.ok(typeof dst === 'string' && dst.endsWith('trainedAlgorithmicMedia'),
      `image[0].digitalSourceType is ${JSON.stringify(dst)}, expected …/trainedAlgorithmicMedia`);
  });

  it('takes screenshots at 390px and 1280px', async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    for (const [width, height] of [[390, 844], [1280, 900]]) {
      const p = await context.newPage();
      await p.setViewportSize({ width, height });
      await p.goto(url(REFERENCE_ARTICLE), { waitUntil: 'load' });
      const file = path.join(ARTIFACTS, `article-${width}.png`);
      await p.screenshot({ path: file, fullPage: true });
      // Nothing may be wider than the viewport (no sideways scrolling on a phone).
      const scrollWidth = await p.evaluate(() => document.documentElement.scrollWidth);
      await p.close();
      assert.ok(fs.statSync(file).size > 0, `empty screenshot ${file}`);
      assert.ok(scrollWidth <= width, `page is ${scrollWidth}px wide at a ${width}px viewport (horizontal scroll)`);
    }
  });

  it('logs no console error and throws no page error', () => {
    assert.deepEqual(pageErrors, [], `page errors:\n${lines(pageErrors)}`);
    assert.deepEqual(consoleErrors, [], `console errors:\n${lines(consoleErrors)}`);
  });

  it('loads every resource from the server itself, none failing', () => {
    const foreign = requests.filter((u) => {
      if (u.startsWith('data:') || u.startsWith('blob:')) return false;
      return new URL(u).origin !== ORIGIN;
    });
    assert.deepEqual([...new Set(foreign)], [], `requests to other hosts than ${ORIGIN}:\n${lines([...new Set(foreign)])}`);
    assert.deepEqual(badResponses, [], `failed requests:\n${lines(badResponses)}`);
    assert.ok(requests.length > 0, 'no request was recorded at all');
  });
});

describe('front page', { timeout: 60_000 }, () => {
  it('leads with the reference article', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const res = await page.goto(url('/'), { waitUntil: 'load' });
      assert.equal(res.status(), 200);
      // The lead card's story link is its headline link (the card's kicker links to the section).
      const href = await page.locator('.story-card').first().locator(':is(h1,h2,h3,h4) a').first().getAttribute('href');
      assert.ok(href, 'the front page has no .story-card with a headline link');
      assert.equal(new URL(href, page.url()).pathname, REFERENCE_ARTICLE);
    } finally {
      await browser.close();
    }
  });
});
