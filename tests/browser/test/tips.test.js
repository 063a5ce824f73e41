'use strict';
// Tips in real headless Chromium, end to end: a reader sends a correction request with an
// attachment from the article's tip box (no cookies), keeps the codename; the e2e editor unlocks
// their tips key in the newsroom, reads the tip and replies; the reader comes back with the
// codename, reads the reply and answers; the editor sees the answer. scripts/test gives the e2e
// editor a tips key (`dateline tips keygen --store-passphrase`) whose passphrase is their password.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { launchBrowser, url, REFERENCE_ARTICLE } = require('./lib');

const EMAIL = process.env.DATELINE_E2E_EDITOR_EMAIL;
const PASSWORD = process.env.DATELINE_E2E_EDITOR_PASSWORD;
const STAMP = Date.now().toString(36);
const MESSAGE = `The second paragraph gives the wrong date for the call (${STAMP}).`;
const REPLY = `Thank you. Can you say how you know? (${STAMP})`;
const ANSWER = `I was on the call; the note is attached (${STAMP}).`;
const ATTACHMENT = Buffer.from(`%PDF-1.4\nmeeting note ${STAMP}\n`);

describe('tips', { timeout: 300_000 }, () => {
  let browser;
  let reader;
  let desk;
  let codename;
  let tipUrl;
  const pageErrors = [];

  before(async () => {
    assert.ok(EMAIL && PASSWORD, 'DATELINE_E2E_EDITOR_EMAIL and DATELINE_E2E_EDITOR_PASSWORD must name an editor with a tips key (scripts/test sets them)');
    browser = await launchBrowser();
    reader = await browser.newContext({ viewport: { width: 390, height: 900 } });
    desk = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    for (const context of [reader, desk]) {
      context.on('page', (page) => {
        page.on('pageerror', (err) => pageErrors.push(String(err)));
        page.on('console', (msg) => { if (msg.type() === 'error') pageErrors.push(msg.text()); });
      });
    }
  });

  after(async () => {
    if (browser) await browser.close();
  });

  it('sends a correction request with an attachment from the article and shows the codename once', async () => {
    const page = await reader.newPage();
    await page.goto(url(REFERENCE_ARTICLE), { waitUntil: 'load' });
    const box = page.locator('.tip-box');
    assert.match(await box.innerText(), /Know something we missed\?[\s\S]*Have a correction or additional information\?/);
    await Promise.all([page.waitForURL(/\/tips\/new\?article=\d+/), box.getByRole('link', { name: 'Submit a Tip' }).click()]);
    assert.match(await page.locator('.tips-about').innerText(), /About:/);
    assert.equal(await page.locator('#kind-correction').isChecked(), true);
    await page.locator('#tip-message').fill(MESSAGE);
    await page.locator('#tip-contact').fill('Only by codename, please');
    await page.locator('#tip-attachments').setInputFiles({ name: 'note.pdf', mimeType: 'application/pdf', buffer: ATTACHMENT });
    // The form token (and the proof of work the page found for it) travel in the form's URL,
    // so the server judges them before it reads the upload.
    await Promise.all([page.waitForURL(/\/tips\?token=[^&]+&pow=\d+$/), page.getByRole('button', { name: 'Send securely' }).click()]);
    assert.match(await page.locator('h1').innerText(), /your tip was received/);
    codename = (await page.locator('[data-codename]').innerText()).trim();
    assert.equal(codename.split(/\s+/).length, 7, `a seven-word codename, got ${codename}`);
    assert.deepEqual(await reader.cookies(), [], 'the tip pages set no cookie');
    await page.close();
  });

  it('shows where a photo was taken before upload and removes it in the browser', async () => {
    const page = await reader.newPage();
    await page.goto(url('/tips'), { waitUntil: 'load' });
    // A real JPEG drawn by the browser, with an EXIF block (camera make and a GPS IFD) spliced in
    // after its start-of-image marker, as a phone would write it.
    const findings = await page.evaluate(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 16;
      canvas.height = 16;
      canvas.getContext('2d').fillRect(0, 0, 8, 8);
      const jpeg = new Uint8Array(await (await new Promise((r) => canvas.toBlob(r, 'image/jpeg'))).arrayBuffer());
      const make = 'TipCam\0';
      const tiff = [0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8,
        0, 2,
        0x01, 0x0f, 0, 2, 0, 0, 0, make.length, 0, 0, 0, 38,
        0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 45,
        0, 0, 0, 0,
        ...Array.from(make, (c) => c.charCodeAt(0)),
        0, 1, 0x00, 0x01, 0, 2, 0, 0, 0, 2, 0x4e, 0, 0, 0, 0, 0, 0, 0];
      const body = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
      const app1 = [0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
      const bytes = new Uint8Array([0xff, 0xd8, ...app1, ...jpeg.slice(2)]);
      const input = document.getElementById('tip-attachments');
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'harbour.jpg', { type: 'image/jpeg' }));
      input.files = transfer.files;
      input.dispatchEvent(new Event('change'));
      return bytes.length;
    });
    assert.ok(findings > 100);
    const panel = page.locator('[data-tips-metadata]');
    await panel.waitFor({ state: 'visible' });
    const warning = await panel.innerText();
    assert.match(warning, /harbour\.jpg: the location where it was taken \(GPS\); the camera: TipCam/);
    await panel.getByRole('button', { name: 'Remove these details from the pictures' }).click();
    await page.waitForFunction(() => /were removed/.test(document.querySelector('[data-tips-metadata]').textContent));
    const stillExif = await page.evaluate(async () => {
      const file = document.getElementById('tip-attachments').files[0];
      const text = new TextDecoder('latin1').decode(new Uint8Array(await file.arrayBuffer()));
      return { name: file.name, exif: text.includes('Exif') || text.includes('TipCam') };
    });
    assert.deepEqual(stillExif, { name: 'harbour.jpg', exif: false });
    await page.close();
  });

  it('lets the editor unlock their key, read the tip and its attachment, and reply', async () => {
    const page = await desk.newPage();
    await page.goto(url('/newsroom/login'), { waitUntil: 'load' });
    await page.locator('#email').fill(EMAIL);
    await page.locator('#password').fill(PASSWORD);
    await Promise.all([page.waitForURL(/\/newsroom\/?$/), page.locator('#password').press('Enter')]);
    await page.goto(url('/newsroom/tips'), { waitUntil: 'load' });
    await page.locator('#tips-passphrase').fill(PASSWORD);
    await Promise.all([page.waitForURL(/\/newsroom\/tips$/), page.getByRole('button', { name: 'Unlock to read tips' }).click()]);
    assert.match(await page.locator('main').innerText(), /unlocked for this session/);
    await Promise.all([
      page.waitForURL(/\/newsroom\/tips\/\d+$/),
      page.locator('table a[href^="/newsroom/tips/"]').first().click(),
    ]);
    tipUrl = page.url();
    const main = await page.locator('main').innerText();
    assert.ok(main.includes(MESSAGE), `the tip reads in clear for the editor:\n${main}`);
    assert.ok(main.includes('Only by codename, please'));
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'note.pdf' }).click(),
    ]);
    const saved = await download.path();
    assert.deepEqual(require('node:fs').readFileSync(saved), ATTACHMENT, 'the original attachment, byte for byte');
    await page.locator('#tip-reply').fill(REPLY);
    await Promise.all([page.waitForURL(tipUrl), page.getByRole('button', { name: 'Send reply' }).click()]);
    assert.ok((await page.locator('main').innerText()).includes(REPLY));
    await page.close();
  });

  it('lets the reader read the reply with the codename and answer it', async () => {
    const page = await reader.newPage();
    await page.goto(url('/tips/follow-up'), { waitUntil: 'load' });
    await page.locator('#follow-codename').fill(codename);
    await Promise.all([page.waitForURL(/\/tips\/follow-up$/), page.getByRole('button', { name: 'Open' }).click()]);
    const conversation = await page.locator('.tips-conversation').innerText();
    assert.ok(conversation.includes(REPLY), `the reply reads with the codename:\n${conversation}`);
    await page.locator('#follow-message').fill(ANSWER);
    await Promise.all([page.waitForURL(/\/tips\/follow-up$/), page.getByRole('button', { name: 'Send securely' }).click()]);
    assert.match(await page.locator('main').innerText(), /was encrypted and sent/);
    assert.ok((await page.locator('.tips-conversation').innerText()).includes(ANSWER));
    assert.deepEqual(await reader.cookies(), [], 'still no cookie');
    await page.close();
  });

  it('shows the answer to the editor, and the history of what happened', async () => {
    const page = await desk.newPage();
    await page.goto(tipUrl, { waitUntil: 'load' });
    const main = await page.locator('main').innerText();
    assert.ok(main.includes(ANSWER), 'the answer reads in the newsroom');
    for (const line of ['read the tip', 'downloaded attachment 1', 'replied to the source', 'the source wrote again']) {
      assert.ok(main.includes(line), `history shows "${line}"`);
    }
    assert.deepEqual(pageErrors, [], 'no script errors');
    await page.close();
  });
});
