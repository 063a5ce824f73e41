'use strict';
// Live coverage in real headless Chromium, on the demo's running live page: two journalists post
// on the live desk (each desk announcing the other's entry) while a reader's open page says "N new updates — show" and, on click, shows the
// entries without a reload; the reader opens an entry's permalink and lands on it; with
// JavaScript off, the pages and the refresh link show every entry, each once.
// scripts/test makes the e2e editor and a second journalist (DATELINE_E2E_REPORTER_EMAIL and
// _PASSWORD); without the second, the editor posts from two browser contexts.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { launchBrowser, url } = require('./lib');

const LIVE = '/politics/brennan-falls-votes-live-results';
const STAMP = Date.now().toString(36);
const JOURNALISTS = [
  [process.env.DATELINE_E2E_EDITOR_EMAIL, process.env.DATELINE_E2E_EDITOR_PASSWORD],
  [
    process.env.DATELINE_E2E_REPORTER_EMAIL || process.env.DATELINE_E2E_EDITOR_EMAIL,
    process.env.DATELINE_E2E_REPORTER_PASSWORD || process.env.DATELINE_E2E_EDITOR_PASSWORD,
  ],
];
// Enough to push the first entries of this run to the second page (20 entries a page).
const MORE_ENTRIES = 22;

async function signIn(context, [email, password]) {
  const page = await context.newPage();
  await page.goto(url('/newsroom/login'), { waitUntil: 'load' });
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await Promise.all([page.waitForURL(/\/newsroom\/?$/), page.locator('#password').press('Enter')]);
  return page;
}

/** Posts `text` on the desk open in `desk`; returns the new entry's id (the desk's anchor). */
async function post(desk, text) {
  await desk.locator('#new-body').fill(text);
  await Promise.all([desk.waitForURL(/#entry-\d+$/), desk.getByRole('button', { name: 'Post entry' }).click()]);
  return Number(desk.url().match(/#entry-(\d+)$/)[1]);
}

/** Entry ids on a reader's page, in order. */
async function entryIds(page) {
  return page.$$eval('.live-entries > li.live-entry', (items) => items.map((li) => Number(li.id.replace('entry-', ''))));
}

describe('live coverage', () => {
  let browser;
  let articleId;
  let desks;
  const contexts = [];

  before(async () => {
    browser = await launchBrowser();
    const html = await (await fetch(url(LIVE))).text();
    const events = html.match(/data-live-events="\/live\/(\d+)\/events/);
    assert.ok(events, `${LIVE} is running live coverage with an event stream`);
    articleId = Number(events[1]);
    desks = [];
    for (const journalist of JOURNALISTS) {
      const context = await browser.newContext();
      contexts.push(context);
      const desk = await signIn(context, journalist);
      await desk.goto(url(`/newsroom/articles/${articleId}/live`), { waitUntil: 'load' });
      await desk.locator('#new-body').waitFor();
      desks.push(desk);
    }
  });

  after(async () => {
    for (const context of contexts) await context.close();
    if (browser) await browser.close();
  });

  it('announces entries from two journalists and shows them on click, without a reload', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    contexts.push(context);
    const reader = await context.newPage();
    const errors = [];
    reader.on('pageerror', (error) => errors.push(error.message));
    // The page is listening (its event stream answered) before anything is posted.
    const listening = reader.waitForResponse((response) => /\/live\/\d+\/events\?after=\d+$/.test(response.url()) && response.status() === 200);
    await reader.goto(url(LIVE), { waitUntil: 'load' });
    await listening;
    const before = await entryIds(reader);
    // A reload would lose this.
    await reader.evaluate(() => { window.__stillHere = true; });
    const button = reader.locator('.live-show');
    assert.equal(await button.isHidden(), true, 'nothing to show yet');

    // The second journalist is typing when the first posts: their desk announces the entry and
    // shows it on click, and what they typed stays.
    const typing = `Second journalist ${STAMP}: precinct 40 reports.`;
    await desks[1].locator('#new-body').fill(typing);
    const first = await post(desks[0], `First journalist ${STAMP}: precinct 12 reports.`);
    const deskShow = desks[1].locator('.live-desk-show');
    await deskShow.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal((await deskShow.textContent()).trim(), '1 new entry — show');
    await deskShow.click();
    await desks[1].locator(`#entry-${first}`).waitFor({ timeout: 10_000 });
    assert.equal(await desks[1].locator(`#entry-${first} textarea[name="body"]`).inputValue(), `First journalist ${STAMP}: precinct 12 reports.`);
    assert.equal(await desks[1].locator('#new-body').inputValue(), typing, 'what the journalist typed is kept');
    assert.equal(await deskShow.isHidden(), true);
    const second = await post(desks[1], typing);
    await button.waitFor({ state: 'visible', timeout: 10_000 });
    await reader.waitForFunction(() => /^2 new updates — show$/.test(document.querySelector('.live-show').textContent), null, { timeout: 10_000 });
    // The text under the reader did not move: the new entries are not in the list yet.
    assert.deepEqual(await entryIds(reader), before);

    await button.click();
    await reader.locator(`#entry-${second}`).waitFor({ timeout: 10_000 });
    const pinned = await reader.$$eval('.live-entries > li.live-entry--pinned', (items) => items.length);
    assert.deepEqual(
      await entryIds(reader),
      [...before.slice(0, pinned), second, first, ...before.slice(pinned)],
      'the new entries on top of the stream (below the pinned ones), newest first',
    );
    assert.equal(await reader.evaluate(() => window.__stillHere), true, 'no reload');
    assert.equal(await button.isHidden(), true);
    assert.equal(await reader.evaluate(() => document.activeElement && document.activeElement.id), `entry-${second}`, 'focus on the newest entry');
    assert.match(await reader.locator(`#entry-${first}`).innerText(), new RegExp(`First journalist ${STAMP}`));
    assert.deepEqual(errors, []);
  });

  it('lands on an entry from its permalink, and pages through every entry without JavaScript', async () => {
    const posted = [];
    for (let n = 0; n < MORE_ENTRIES; n++) {
      posted.push(await post(desks[n % 2], `Paging entry ${n} ${STAMP}.`));
    }
    // The oldest of them is on page 2 now; its share permalink finds that page and the entry.
    const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
    contexts.push(context);
    const reader = await context.newPage();
    await reader.goto(url(LIVE), { waitUntil: 'load' });
    const share = await reader.locator(`#entry-${posted[MORE_ENTRIES - 1]} .live-entry-share a[data-network="email"]`).getAttribute('href');
    assert.ok(share, 'an entry has its own share links');
    const permalink = `/live/${articleId}/entries/${posted[0]}`;
    await reader.goto(url(permalink), { waitUntil: 'load' });
    assert.match(reader.url(), new RegExp(`\\?page=2#entry-${posted[0]}$`));
    assert.equal(await reader.evaluate(() => document.querySelector(':target') && document.querySelector(':target').id), `entry-${posted[0]}`);
    // The page scrolls smoothly (unless the reader asks for reduced motion): give it a moment.
    await reader.waitForFunction(() => {
      const top = document.querySelector(':target').getBoundingClientRect().top;
      return top > -2 && top < window.innerHeight / 2;
    }, null, { timeout: 5_000 });

    // Without JavaScript: the pages, from the refresh link on, show every entry exactly once.
    const noScript = await browser.newContext({ javaScriptEnabled: false });
    contexts.push(noScript);
    const page = await noScript.newPage();
    await page.goto(url(LIVE), { waitUntil: 'load' });
    await Promise.all([page.waitForLoadState('load'), page.getByRole('link', { name: 'Refresh for the latest updates' }).click()]);
    const seen = [];
    for (let n = 0; n < 20; n++) {
      seen.push(...await entryIds(page));
      const next = page.locator('a[rel="next"]');
      if (await next.count() === 0) break;
      await Promise.all([page.waitForLoadState('load'), next.first().click()]);
    }
    assert.equal(new Set(seen).size, seen.length, 'no entry twice');
    for (const id of posted) assert.ok(seen.includes(id), `entry ${id} is on a page`);
    assert.ok(await page.locator('text=At the Albright campaign').count() > 0, 'the oldest entry is on the last page');
  });
});
