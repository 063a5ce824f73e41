'use strict';
// Search as a reader uses it, in real headless Chromium: type into the masthead box on the front
// page, get highlighted results, narrow them with a filter, open a result. The server builds its
// index in the background after start, so the test first waits until the API finds the lead.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { REFERENCE_ARTICLE, launchBrowser, url, loose } = require('./lib');

async function waitForIndex() {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const res = await fetch(url('/api/v1/search?q=Petro'));
    assert.equal(res.status, 200, `search API answered ${res.status}`);
    const body = await res.json();
    if (body.total > 0) return body;
    if (Date.now() > deadline) throw new Error('the search index never found "Petro" (90 s)');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('search', { timeout: 180_000 }, () => {
  let browser;
  let page;

  before(async () => {
    await waitForIndex();
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  });

  after(async () => {
    if (browser) await browser.close();
  });

  it('finds the lead story from the masthead box, with the words marked', async () => {
    await page.goto(url('/'), { waitUntil: 'load' });
    await page.locator('#masthead-q').fill('Gustavo Petro white house');
    await Promise.all([page.waitForURL(/\/search\?q=/), page.locator('#masthead-q').press('Enter')]);
    const results = page.locator('.search-result');
    assert.ok(await results.count() >= 1, 'no results');
    const first = results.first();
    const href = await first.locator('h2 a').getAttribute('href');
    assert.equal(href, REFERENCE_ARTICLE, 'the lead story ranks first');
    const marked = await first.locator('mark').allInnerTexts();
    assert.ok(marked.map(loose).includes('petro'), `marked words: ${marked.join(', ')}`);
    assert.equal(await page.locator('#search-q').inputValue(), 'Gustavo Petro white house', 'the box keeps the query');
  });

  it('tolerates a typo and narrows by section', async () => {
    await page.goto(url('/search?q=Colmbia'), { waitUntil: 'load' });
    const all = await page.locator('.search-result').count();
    assert.ok(all >= 1, 'a one-letter typo in a long word still finds Colombia');
    await page.locator('#search-section').selectOption('politics');
    await Promise.all([page.waitForURL(/section=politics/), page.locator('.search-main button').click()]);
    const kickers = await page.locator('.search-result .kicker').allInnerTexts();
    assert.ok(kickers.length >= 1 && kickers.length <= all, `${kickers.length} of ${all}`);
    for (const kicker of kickers) assert.equal(loose(kicker), 'politics');
  });

  it('shows a date error next to the field and keeps what was typed', async () => {
    const res = await page.goto(url('/search?q=Petro&from=yesterday'), { waitUntil: 'load' });
    assert.equal(res.status(), 400);
    assert.match(await page.locator('#from-error').innerText(), /YYYY-MM-DD/);
    assert.equal(await page.locator('#search-from').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#search-q').inputValue(), 'Petro');
  });

  it('lists related stories on the article page, never the article itself', async () => {
    await page.goto(url(REFERENCE_ARTICLE), { waitUntil: 'load' });
    const related = page.locator('section.related a.card-headline, section.related .card-headline a');
    const hrefs = await related.evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    assert.ok(hrefs.length >= 1, 'a Related list');
    assert.ok(!hrefs.includes(REFERENCE_ARTICLE), 'the article is not related to itself');
    const more = await page.locator('section.more-in-section:not(.related) .card-headline a')
      .evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    for (const href of hrefs) assert.ok(!more.includes(href), `${href} is already in More in Politics`);
  });
});
