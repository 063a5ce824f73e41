'use strict';
// The newsroom in real headless Chromium, end to end: an editor signs in, writes an article with a
// picture from the library, previews it, schedules it a minute ahead, sees it appear on the public
// site and in its section, then adds a correction and sees the note on the page and `correction`
// in its JSON-LD. scripts/test creates the editor through `dateline user create`; with --url, set
// DATELINE_E2E_EDITOR_EMAIL and DATELINE_E2E_EDITOR_PASSWORD for an editor of that server.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { launchBrowser, url, loose } = require('./lib');

const EMAIL = process.env.DATELINE_E2E_EDITOR_EMAIL;
const PASSWORD = process.env.DATELINE_E2E_EDITOR_PASSWORD;
const STAMP = Date.now().toString(36);
const HEADLINE = `Harbour Authority Approves Night Ferry Trial ${STAMP}`;
const CORRECTION = `An earlier version of this story misstated the trial's length (${STAMP}).`;

/** `YYYY-MM-DDTHH:MM` (a datetime-local value) of `date` in `zone`. */
function localInput(date, zone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

async function poll(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

describe('newsroom', { timeout: 420_000 }, () => {
  let browser;
  let page;
  let editUrl;
  let publicPath;
  const pageErrors = [];

  before(async () => {
    assert.ok(EMAIL && PASSWORD, 'DATELINE_E2E_EDITOR_EMAIL and DATELINE_E2E_EDITOR_PASSWORD must name an editor (scripts/test sets them)');
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => { if (msg.type() === 'error') pageErrors.push(msg.text()); });
  });

  after(async () => {
    if (browser) await browser.close();
  });

  it('signs in', async () => {
    await page.goto(url('/newsroom/login'), { waitUntil: 'load' });
    await page.locator('#email').fill(EMAIL);
    await page.locator('#password').fill(PASSWORD);
    await Promise.all([page.waitForURL(/\/newsroom\/?$/), page.locator('#password').press('Enter')]);
    assert.match(await page.locator('main').innerText(), /My drafts[\s\S]*Waiting for review[\s\S]*Scheduled today/);
  });

  it('writes an article with a picture and previews it as readers will see it', async () => {
    await page.goto(url('/newsroom/articles/new'), { waitUntil: 'load' });
    await page.waitForFunction(() => window.datelineEditor);
    await page.locator('#headline').fill(HEADLINE);
    await page.locator('#standfirst').fill('Boats would run until 2 a.m. for six months.');
    await page.locator('#section_id').selectOption({ label: 'Politics' });
    // The byline and tags are type-aheads; the body is the rich editor (its Markdown source view
    // is the form's field).
    await page.locator('.byline-fields .combo input').fill('James');
    await page.waitForSelector('.byline-fields [role="option"]');
    await page.keyboard.press('Enter');
    for (const tag of ['Transport', 'Harbour']) {
      await page.locator('.tags-field .combo input').fill(tag);
      await page.keyboard.press(',');
    }
    assert.equal(await page.locator('#tags').inputValue(), 'Transport, Harbour');
    await page.getByRole('button', { name: 'Markdown source' }).click();
    await page.locator('#body').fill('The **harbour authority** voted 5 to 2 on Tuesday.\n\nA second paragraph.');
    await page.getByRole('button', { name: 'Markdown source' }).click();
    const picture = await page.locator('#hero_image_id option:not([value=""])').first().getAttribute('value');
    assert.ok(picture, 'the library offers a picture');
    await page.locator('#hero_image_id').selectOption(picture);
    await Promise.all([
      page.waitForURL(/\/newsroom\/articles\/\d+\/edit/),
      page.locator('button[name="intent"][value="save"]').click(),
    ]);
    editUrl = page.url();

    await Promise.all([page.waitForLoadState('load'), page.locator('button[name="intent"][value="preview"]').click()]);
    assert.equal(loose(await page.locator('h1.headline').innerText()), loose(HEADLINE));
    assert.match(await page.locator('.article-body').innerText(), /harbour authority voted 5 to 2/i);
    assert.equal(await page.locator('.article-body strong').first().innerText(), 'harbour authority');
    assert.equal(await page.locator('figure.hero img').count(), 1, 'the preview shows the picture');
  });

  it('schedules it a minute ahead and it appears on the site and in its section', async () => {
    await page.goto(editUrl, { waitUntil: 'load' });
    const label = await page.locator('label[for="publish_at"]').innerText();
    const zone = /\(([^)]+) time\)/.exec(label)?.[1];
    assert.ok(zone, `the schedule form names the newsroom's zone: ${label}`);
    // The next whole minute at least 60 s from now, in the newsroom's time zone.
    const at = new Date(Math.ceil((Date.now() + 60_000) / 60_000) * 60_000);
    await page.locator('#publish_at').fill(localInput(at, zone));
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Schedule' }).click()]);
    assert.match(await page.locator('.status').innerText(), /scheduled/i);

    assert.equal((await fetch(url('/politics'))).status, 200);
    publicPath = await poll('the article in Politics', async () => {
      const html = await (await fetch(url('/politics'))).text();
      const match = new RegExp(`href="(/politics/[^"]+)">${HEADLINE}<`).exec(html);
      return match && match[1];
    }, 240_000);
    assert.ok(Date.now() >= at.getTime() - 1000, 'not published before its time');
    const res = await page.goto(url(publicPath), { waitUntil: 'load' });
    assert.equal(res.status(), 200);
    assert.equal(loose(await page.locator('h1.headline').innerText()), loose(HEADLINE));
  });

  it('adds a correction that readers and machines see', async () => {
    await page.goto(editUrl, { waitUntil: 'load' });
    await page.locator('#note-kind').selectOption('correction');
    await page.locator('#note-text').fill(CORRECTION);
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Add note' }).click()]);
    const html = await poll('the correction on the public page', async () => {
      const body = await (await fetch(url(publicPath))).text();
      return body.includes(`misstated the trial`) && body.includes(`(${STAMP})`) ? body : null;
    }, 30_000);
    // A reader who has not seen the page before (this browser's HTTP cache may keep the earlier
    // copy for the page's max-age, as any reader's would).
    const reader = await (await browser.newContext()).newPage();
    await reader.goto(url(publicPath), { waitUntil: 'load' });
    assert.match(await reader.locator('.article-notes .note').first().innerText(), /misstated the trial/);
    const ld = JSON.parse(/<script type="application\/ld\+json">(.*?)<\/script>/s.exec(html)[1]);
    const article = Array.isArray(ld['@graph']) ? ld['@graph'].find((n) => n['@type'] === 'NewsArticle') : ld;
    const corrections = [].concat(article.correction || []);
    assert.ok(corrections.some((c) => c['@type'] === 'CorrectionComment' && c.text === CORRECTION),
      JSON.stringify(article.correction));
    assert.deepEqual(pageErrors, [], 'no script errors in the newsroom or on the page');
  });
});
