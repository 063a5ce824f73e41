'use strict';
// The discussion in real headless Chromium: readers sign up, confirm their address with the link
// the server wrote to its log (no SMTP in tests: the operator's path), comment with hostile markup,
// reply, edit and report; an editor approves, features and bans in the newsroom. Throughout, no
// script from a comment or a display name may run and no event-handler attribute may survive.
// scripts/test passes DATELINE_SERVER_LOG (the server's output) and the e2e editor's account.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { launchBrowser, url, REFERENCE_ARTICLE } = require('./lib');

const LOG = process.env.DATELINE_SERVER_LOG;
const EDITOR = process.env.DATELINE_E2E_EDITOR_EMAIL;
const EDITOR_PASSWORD = process.env.DATELINE_E2E_EDITOR_PASSWORD;
const STAMP = Date.now().toString(36);
const PASSWORD = `reader password ${STAMP}`;

// Classic payloads; each sets window.__xss or opens a dialog if it ever runs.
const PAYLOADS = [
  '<script>window.__xss = "script"</script>',
  '<img src=x onerror="window.__xss = \'img\'">',
  '[click me](javascript:window.__xss=\'link\')',
  '<svg onload="window.__xss = \'svg\'"><circle r="5"/></svg>',
  '<a href="jav&#x61;script:window.__xss=1">encoded</a>',
  '"><iframe src="javascript:parent.__xss=1"></iframe>',
  '<details open ontoggle="window.__xss = \'details\'">',
  '<scr<script>ipt>window.__xss = "nested"</script>',
];
const HOSTILE_NAME = `<img src=x onerror=alert(1)> Eve ${STAMP}`;

async function poll(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The newest verification link the server logged after `offset` bytes of its log. */
async function verificationLink(offset) {
  return poll('a verification link in the server log', async () => {
    const text = fs.readFileSync(LOG, 'utf8').slice(offset);
    const links = text.match(/\/readers\/verify\/[0-9a-f]{64}/g);
    return links && links[links.length - 1];
  }, 10_000);
}

async function signUp(page, email, name) {
  const offset = fs.statSync(LOG).size;
  await page.goto(url('/readers/sign-up'), { waitUntil: 'load' });
  await page.locator('#email').fill(email);
  await page.locator('#display_name').fill(name);
  await page.locator('#password').fill(PASSWORD);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Create account' }).click()]);
  const link = await verificationLink(offset);
  await page.goto(url(link), { waitUntil: 'load' });
  assert.match(await page.locator('main').innerText(), /address is confirmed/i);
  // Signing up signs no one in (an address with an account gets the same answer), and following
  // the link only confirms it (a mail scanner may follow it first): the reader signs in.
  await page.goto(url('/readers/sign-in'), { waitUntil: 'load' });
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(PASSWORD);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
  assert.doesNotMatch(page.url(), /sign-in/, 'the reader is signed in');
}

/** No script ran, no handler attribute and no javascript: URL is in the discussion. */
async function assertInert(page, where) {
  assert.equal(await page.evaluate(() => window.__xss), undefined, `${where}: a payload ran`);
  const found = await page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('.discussion *, .own-comments *')) {
      for (const attr of el.attributes) {
        if (/^on/i.test(attr.name)) bad.push(`${el.tagName} ${attr.name}`);
        if (/^\s*javascript:/i.test(attr.value)) bad.push(`${el.tagName} ${attr.name}=${attr.value}`);
      }
      if (['SCRIPT', 'IFRAME', 'SVG', 'IMG', 'OBJECT', 'EMBED'].includes(el.tagName.toUpperCase())) bad.push(el.tagName);
    }
    return bad;
  });
  assert.deepEqual(found, [], `${where}: active markup survived`);
}

describe('discussion', { timeout: 300_000 }, () => {
  let browser;
  const dialogs = [];
  const errors = [];
  let eve;
  let ana;
  let desk;
  let discussionUrl;
  let eveCommentId;

  function watch(page) {
    page.on('dialog', (dialog) => { dialogs.push(dialog.message()); dialog.dismiss().catch(() => {}); });
    page.on('pageerror', (err) => errors.push(String(err)));
    return page;
  }

  before(async () => {
    assert.ok(LOG && fs.existsSync(LOG), 'DATELINE_SERVER_LOG must name the server log (scripts/test sets it)');
    assert.ok(EDITOR && EDITOR_PASSWORD, 'DATELINE_E2E_EDITOR_EMAIL and _PASSWORD must name an editor');
    browser = await launchBrowser();
    eve = watch(await (await browser.newContext()).newPage());
    ana = watch(await (await browser.newContext()).newPage());
    desk = watch(await (await browser.newContext()).newPage());
  });

  after(async () => {
    if (browser) await browser.close();
  });

  it('signs a reader up with a hostile name and confirms the address from the log', async () => {
    await signUp(eve, `eve-${STAMP}@readers.example`, HOSTILE_NAME);
    await eve.goto(url(REFERENCE_ARTICLE), { waitUntil: 'load' });
    discussionUrl = await eve.locator('.discussion-join a').getAttribute('href');
    assert.match(discussionUrl, /^\/discussion\/\d+#comment-form$/);
    discussionUrl = discussionUrl.replace(/#.*/, '');
  });

  it('posts hostile comments that render inert, waiting for a moderator', async () => {
    // Three at once is what the per-reader limit allows; the payloads share them.
    const bodies = [PAYLOADS.slice(0, 3), PAYLOADS.slice(3, 6), PAYLOADS.slice(6)].map((p) => p.join('\n\n'));
    for (const body of bodies) {
      await eve.goto(url(discussionUrl), { waitUntil: 'load' });
      await eve.locator('#comment-body').fill(body);
      await eve.getByRole('button', { name: 'Post comment' }).click();
      await poll('the posted notice', async () => /moderator|posted/i.test(await eve.locator('.comment-form-status').innerText()), 10_000);
    }
    await eve.goto(url(discussionUrl), { waitUntil: 'load' });
    const own = eve.locator('.own-comments .comment');
    assert.equal(await own.count(), 3, 'new commenters wait for a moderator');
    assert.match(await own.first().innerText(), /Waiting for a moderator/);
    eveCommentId = Number((await own.first().getAttribute('id')).replace('comment-', ''));
    assert.match(await eve.locator('.own-comments').innerText(), /<script>window.__xss/, 'the markup shows as text');
    await assertInert(eve, 'the reader\'s own comments');
  });

  it('lets an editor approve and feature in the newsroom', async () => {
    await desk.goto(url('/newsroom/login'), { waitUntil: 'load' });
    await desk.locator('#email').fill(EDITOR);
    await desk.locator('#password').fill(EDITOR_PASSWORD);
    await Promise.all([desk.waitForLoadState('load'), desk.getByRole('button', { name: 'Sign in' }).click()]);
    await desk.goto(url('/newsroom/comments?queue=pending'), { waitUntil: 'load' });
    await assertInert(desk, 'the moderation queue');
    const item = desk.locator(`#comment-${eveCommentId}`);
    await Promise.all([desk.waitForLoadState('load'), item.getByRole('button', { name: /^Approve/ }).click()]);
    for (let n = 0; n < 2; n++) {
      const next = desk.locator('.moderation-item').filter({ hasText: `Eve ${STAMP}` }).first();
      await Promise.all([desk.waitForLoadState('load'), next.getByRole('button', { name: /^Approve/ }).click()]);
    }
    await desk.goto(url('/newsroom/comments?queue=approved'), { waitUntil: 'load' });
    await Promise.all([desk.waitForLoadState('load'), desk.locator(`#comment-${eveCommentId}`).getByRole('button', { name: /^Feature/ }).click()]);
    const article = await poll('the approved comments on the article page', async () => {
      const html = await (await fetch(url(REFERENCE_ARTICLE))).text();
      return html.includes(`id="comment-${eveCommentId}"`) ? html : null;
    }, 15_000);
    assert.match(article, /Editor’s pick/);
    const reader = watch(await (await browser.newContext()).newPage());
    await reader.goto(url(REFERENCE_ARTICLE), { waitUntil: 'load' });
    assert.equal(await reader.locator(`#comment-${eveCommentId}[class*="comment-featured"]`).count(), 1);
    assert.match(await reader.locator(`#comment-${eveCommentId} .comment-author`).innerText(), /<img src=x onerror=alert\(1\)>/);
    await assertInert(reader, 'the article page');
  });

  it('lets another reader reply, edit and report', async () => {
    await signUp(ana, `ana-${STAMP}@readers.example`, `Ana ${STAMP}`);
    await ana.goto(url(`${discussionUrl}?reply=${eveCommentId}`), { waitUntil: 'load' });
    assert.match(await ana.locator('#comment-form-heading').innerText(), /Reply to/);
    await ana.locator('#comment-body').fill(`A reply with a typo ${STAMP}`);
    await ana.getByRole('button', { name: 'Post comment' }).click();
    await poll('the reply notice', async () => /moderator|posted/i.test(await ana.locator('.comment-form-status').innerText()), 10_000);
    // The desk approves the newcomer's reply so that it shows, then she fixes the typo in time.
    await desk.goto(url('/newsroom/comments?queue=pending'), { waitUntil: 'load' });
    const reply = desk.locator('.moderation-item').filter({ hasText: `A reply with a typo ${STAMP}` });
    await Promise.all([desk.waitForLoadState('load'), reply.getByRole('button', { name: /^Approve/ }).click()]);
    await ana.goto(url(discussionUrl), { waitUntil: 'load' });
    const mine = ana.locator('.comment').filter({ hasText: `A reply with a typo ${STAMP}` });
    await Promise.all([ana.waitForLoadState('load'), mine.getByRole('link', { name: /^Edit/ }).click()]);
    await ana.locator('#comment-body').fill(`A reply, typo fixed ${STAMP}`);
    await Promise.all([ana.waitForLoadState('load'), ana.getByRole('button', { name: 'Save changes' }).click()]);
    const edited = ana.locator('.comment').filter({ hasText: `A reply, typo fixed ${STAMP}` });
    assert.match(await edited.innerText(), /\(edited\)/);
    assert.match(await edited.getAttribute('class'), /comment-depth-1/);

    await ana.goto(url(`${discussionUrl}?report=${eveCommentId}`), { waitUntil: 'load' });
    await ana.locator('#reason-abuse').check();
    await ana.locator('#report-detail').fill('Markup games');
    await Promise.all([ana.waitForLoadState('load'), ana.getByRole('button', { name: 'Send the report' }).click()]);
    assert.match(await ana.locator('.discussion-notice').innerText(), /moderator will look/);
    await desk.goto(url('/newsroom/comments?queue=reported'), { waitUntil: 'load' });
    assert.match(await desk.locator(`#comment-${eveCommentId}`).innerText(), /Markup games/);
  });

  it('lets the editor ban a reader, who then cannot post', async () => {
    await desk.goto(url('/newsroom/comments?queue=reported'), { waitUntil: 'load' });
    const item = desk.locator(`#comment-${eveCommentId}`);
    await item.locator('select[name="standing"]').selectOption('banned');
    await item.locator('input[name="reason"]').last().fill('XSS attempts');
    await Promise.all([desk.waitForLoadState('load'), item.getByRole('button', { name: 'Apply' }).click()]);
    await eve.goto(url(discussionUrl), { waitUntil: 'load' });
    await eve.locator('#comment-body').fill('Am I still here?');
    await eve.getByRole('button', { name: 'Post comment' }).click();
    const refusal = await poll('an answer', async () => (await eve.locator('.comment-form-status').innerText()).trim(), 10_000);
    assert.match(refusal, /may not post/i);
    assert.equal(await eve.locator('#comment-body').inputValue(), 'Am I still here?', 'the text is kept');
  });

  it('ran no payload anywhere', () => {
    assert.deepEqual(dialogs, [], 'no dialog opened');
    assert.deepEqual(errors.filter((e) => /xss/i.test(e)), [], 'no payload error');
  });
});
