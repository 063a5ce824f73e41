'use strict';
// The newsroom's editor (issue 17) in real headless Chromium against the real server: a story
// written with the keyboard alone, Google Docs' clipboard HTML pasted as clean Markdown, a picture
// dropped in and described, a byline reordered, two browser contexts on one article (the second
// warned before anything is lost), and every demo article's Markdown round-tripped byte for byte
// through the rich editor, its reading time agreeing with the public page's.
//
// DATELINE_UPDATE_SCREENSHOTS=1 also writes the editor, dashboard and picture-picker screenshots
// to docs/screenshots/ (they always go to the artefacts folder).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { launchBrowser, url, ARTIFACTS, signInEditor } = require('./lib');

const EMAIL = process.env.DATELINE_E2E_EDITOR_EMAIL;
const PASSWORD = process.env.DATELINE_E2E_EDITOR_PASSWORD;
const STAMP = Date.now().toString(36);
const SCREENSHOTS = path.resolve(__dirname, '..', '..', '..', 'docs', 'screenshots');
const FIXTURES = path.resolve(__dirname, '..', 'fixtures');
const MOD = process.platform === 'darwin' ? 'Meta' : 'Control';

function watchErrors(page, into) {
  page.on('pageerror', (err) => into.push(`${page.url()}: ${err}`));
  page.on('console', (msg) => {
    // The stale autosave of the two-editors test is refused on purpose (409), and the browser
    // logs every refused request.
    if (msg.type() === 'error' && !/status of 409/.test(msg.text())) into.push(`${page.url()}: ${msg.text()}`);
  });
}

async function openEditor(page, p) {
  await page.goto(url(p), { waitUntil: 'load' });
  await page.waitForFunction(() => window.datelineEditor && performance.getEntriesByName('editor-ready').length > 0);
}

async function markdown(page) {
  return page.evaluate(() => window.datelineEditor.markdown());
}

/** A small real PNG (a gradient), made here: `width` × `height`, 8-bit RGB. */
function png(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; header[9] = 2; header[10] = 0; header[11] = 0; header[12] = 0;
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      row[1 + x * 3] = (x * 255) / width;
      row[2 + x * 3] = (y * 255) / height;
      row[3 + x * 3] = 120;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: false });
  if (process.env.DATELINE_UPDATE_SCREENSHOTS === '1') {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
  }
}

/** The id of the article whose headline contains `text`, from the newsroom's filtered list. */
async function idOf(page, text) {
  await page.goto(url(`/newsroom/articles?q=${encodeURIComponent(text)}`), { waitUntil: 'load' });
  const href = await page.locator('.newsroom-table a[href$="/edit"]').first().getAttribute('href');
  return +href.split('/')[3];
}

/** Every article id on the newsroom's list (all pages). */
async function articleIds(page) {
  const ids = [];
  for (let n = 1; n < 20; n++) {
    await page.goto(url(`/newsroom/articles?page=${n}`), { waitUntil: 'load' });
    const found = await page.$$eval('.newsroom-table a[href$="/edit"]', (links) => links.map((a) => +a.getAttribute('href').split('/')[3]));
    ids.push(...found);
    if (!(await page.locator('a[rel="next"]').count())) break;
  }
  return ids;
}

describe('the article editor', { timeout: 900_000 }, () => {
  let browser;
  let context;
  let page;
  const errors = [];

  before(async () => {
    assert.ok(EMAIL && PASSWORD, 'DATELINE_E2E_EDITOR_EMAIL and DATELINE_E2E_EDITOR_PASSWORD must name an editor (scripts/test sets them)');
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    page = await signInEditor(context);
    watchErrors(page, errors);
  });

  after(async () => {
    if (browser) await browser.close();
  });

  it('writes a story with the keyboard alone', async () => {
    await openEditor(page, '/newsroom/articles/new');
    const headline = `Ferry Trial Wins Council Vote ${STAMP}`;
    await page.locator('#headline').focus();
    await page.keyboard.type(headline);
    await page.keyboard.press('Tab');
    await page.keyboard.type('Boats would run until 2 a.m. for six months.');
    // Tab reaches the formatting toolbar (one stop), then the source switch, then the text.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Bold');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'body-editor');
    await page.keyboard.type('The council voted ');
    await page.keyboard.press(`${MOD}+b`);
    await page.keyboard.type('5 to 2');
    await page.keyboard.press(`${MOD}+b`);
    await page.keyboard.type(' on Tuesday.');
    await page.keyboard.press('Enter');
    await page.keyboard.type('## What changes');
    await page.keyboard.press('Enter');
    await page.keyboard.type('- Night boats');
    await page.keyboard.press('Enter');
    await page.keyboard.type('A trial of ');
    await page.keyboard.press(`${MOD}+i`);
    await page.keyboard.type('six months');
    await page.keyboard.press(`${MOD}+i`);
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Read the report');
    // Select the last two words and link them with Mod-K and the dialog.
    for (let i = 0; i < 'the report'.length; i++) await page.keyboard.press('Shift+ArrowLeft');
    await page.keyboard.press(`${MOD}+k`);
    await page.keyboard.type('https://example.org/report');
    await page.keyboard.press('Enter');
    await page.keyboard.press('End');
    await page.keyboard.type('.');
    assert.equal(await markdown(page),
      'The council voted **5 to 2** on Tuesday.\n\n## What changes\n\n- Night boats\n- A trial of *six months*\n\nRead [the report](https://example.org/report).');

    // The section with the keyboard, a byline from the type-ahead, a tag as a chip.
    await page.locator('#section_id').focus();
    await page.keyboard.press('ArrowDown');
    await page.locator('.byline-fields .combo input').focus();
    await page.keyboard.type('Elena');
    await page.waitForSelector('.byline-fields [role="option"]');
    await page.keyboard.press('Enter');
    await page.locator('.tags-field .combo input').focus();
    await page.keyboard.type(`Harbour${STAMP}`);
    await page.keyboard.press('Enter');
    // `?` lists the shortcuts when no field has the focus; Escape closes the list.
    await page.locator('.preview-toggle').focus();
    await page.keyboard.press('?');
    assert.match(await page.locator('dialog[open]').innerText(), /Keyboard shortcuts[\s\S]*Save[\s\S]*Bold[\s\S]*Italic[\s\S]*Link/);
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('dialog[open]').count(), 0);

    await Promise.all([page.waitForURL(/\/newsroom\/articles\/\d+\/edit\?saved=1/), page.keyboard.press(`${MOD}+s`)]);
    assert.equal(await page.locator('#headline').inputValue(), headline);
    assert.equal(await page.locator('#body').inputValue(),
      'The council voted **5 to 2** on Tuesday.\n\n## What changes\n\n- Night boats\n- A trial of *six months*\n\nRead [the report](https://example.org/report).');
    assert.deepEqual(await page.$$eval('.byline-item .byline-name', (n) => n.map((x) => x.textContent)).then((names) => names.some((n) => /Elena/.test(n))), true);
    assert.match(await page.locator('#tags').inputValue(), new RegExp(`Harbour${STAMP}`));
  });

  it("pastes Google Docs' HTML as clean Markdown", async () => {
    await openEditor(page, '/newsroom/articles/new');
    await page.locator('#body-editor').click();
    const html = fs.readFileSync(path.join(FIXTURES, 'google-docs-paste.html'), 'utf8');
    await page.evaluate((clipboard) => {
      const data = new DataTransfer();
      data.setData('text/html', clipboard);
      data.setData('text/plain', 'Council votes on the harbour budget');
      document.querySelector('#body-editor').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, html);
    const text = await markdown(page);
    assert.equal(text, [
      '## Council votes on the harbour budget',
      'The council voted **5 to 2** on Tuesday, *after a long debate*. Read the [full report](https://example.org/harbour/report?id=7).',
      '- Night ferries until 2 a.m.\n- A six-month trial',
      '> We listened to the night workers.',
    ].join('\n\n'));
    for (const junk of ['style', 'span', 'utm_', 'google.com/url', 'docs-internal', 'font-weight', '<']) {
      assert.ok(!text.includes(junk), `the pasted Markdown carries ${junk}`);
    }
    // Word marks its lists with mso-list paragraphs; a web page links through tracking.
    await page.evaluate(() => window.datelineEditor.setMarkdown(''));
    await page.locator('#body-editor').click();
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.setData('text/html', '<html xmlns:o="urn:schemas-microsoft-com:office:office"><body><p class=MsoNormal><b><span style="font-family:Calibri">Budget</span></b><span> passes<o:p></o:p></span></p>'
        + '<p class=MsoListParagraphCxSpFirst style="mso-list:l0 level1 lfo1"><span style="mso-list:Ignore">·<span style="font:7.0pt">&nbsp;</span></span>Parks</p>'
        + '<p class=MsoListParagraphCxSpLast style="mso-list:l0 level1 lfo1"><span style="mso-list:Ignore">·<span>&nbsp;</span></span>Libraries</p>'
        + '<p>See <a href="https://news.example.com/story?utm_source=x&amp;fbclid=abc&amp;page=2" class="track" style="color:red">the story</a>.</p></body></html>');
      document.querySelector('#body-editor').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    });
    assert.equal(await markdown(page), '**Budget** passes\n\n- Parks\n- Libraries\n\nSee [the story](https://news.example.com/story?page=2).');
  });

  it('takes a dropped picture into the library with its alt text and places it', async () => {
    await openEditor(page, '/newsroom/articles/new');
    await page.evaluate(() => window.datelineEditor.setMarkdown('A first paragraph.'));
    const bytes = png(320, 200).toString('base64');
    await page.evaluate((b64) => {
      const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const file = new File([raw], 'harbour.png', { type: 'image/png' });
      const data = new DataTransfer();
      data.items.add(file);
      const target = document.querySelector('#body-editor p');
      const box = target.getBoundingClientRect();
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true, clientX: box.left + 5, clientY: box.top + 5 }));
    }, bytes);
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Describe the picture/);
    // Alt text is required: the dialog says so and uploads nothing.
    await dialog.getByRole('button', { name: 'Upload and place' }).click();
    assert.match(await dialog.locator('.field-error:not([hidden])').first().innerText(), /Alt text is required/);
    await screenshot(page, 'editor-picture-dialog-1280');
    await dialog.getByLabel('Alt text').fill(`Night ferry at the harbour wall ${STAMP}`);
    await dialog.getByLabel('Caption').fill('The trial boat on its first night.');
    await dialog.getByLabel('Credit').fill('Photo: Dateline Studio');
    await dialog.getByRole('button', { name: 'Upload and place' }).click();
    await page.waitForFunction(() => !document.querySelector('dialog[open]'));
    const text = await markdown(page);
    const figure = /<figure><img src="(\/media\/[^"]+)" alt="Night ferry at the harbour wall [a-z0-9]+" width="(\d+)" height="(\d+)"><figcaption>The trial boat on its first night\. <small>Photo: Dateline Studio<\/small><\/figcaption><\/figure>/.exec(text);
    assert.ok(figure, text);
    assert.ok(text.startsWith('A first paragraph.\n\n<figure>'), text);
    assert.equal((await fetch(url(figure[1]))).status, 200, 'the placed picture is served');
    // It is in the library, findable by its alt text.
    const found = await page.evaluate(async (q) => (await fetch(`/newsroom/images?q=${encodeURIComponent(q)}`, { headers: { Accept: 'application/json' } })).json(), STAMP);
    assert.equal(found.total, 1);
  });

  it('picks the hero from a searchable grid of thumbnails', async () => {
    await openEditor(page, '/newsroom/articles/new');
    await page.locator('.hero-open').click();
    const dialog = page.locator('dialog.hero-dialog[open]');
    await dialog.waitFor();
    await page.waitForSelector('.hero-choice img');
    await page.keyboard.type(STAMP);
    await page.waitForFunction((stamp) => [...document.querySelectorAll('.hero-choice')].length === 1
      && document.querySelector('.hero-choice').textContent.includes(stamp), STAMP);
    await screenshot(page, 'editor-hero-picker-1280');
    await page.locator('.hero-choice').first().click();
    const chosen = await page.locator('#hero_image_id').inputValue();
    assert.ok(+chosen > 0, 'the hero select holds the chosen picture');
    await page.waitForSelector('.hero-chosen img');
  });

  it('reorders a byline', async () => {
    await openEditor(page, '/newsroom/articles/new');
    await page.locator('#headline').fill(`Byline order ${STAMP}`);
    await page.locator('#section_id').selectOption({ index: 1 });
    for (const item of await page.locator('.byline-remove').all()) await item.click();
    for (const name of ['Amara', 'Elena', 'Priya']) {
      await page.locator('.byline-fields .combo input').fill(name);
      await page.waitForSelector('.byline-fields [role="option"]');
      await page.keyboard.press('Enter');
    }
    const names = () => page.$$eval('.byline-item .byline-name', (n) => n.map((x) => x.textContent));
    assert.deepEqual((await names()).map((n) => n.split(' ')[0]), ['Amara', 'Elena', 'Priya']);
    // With the mouse: Elena up to first. With the keyboard: Priya up past Amara.
    await page.getByRole('button', { name: /Move Elena .* up/ }).click();
    assert.deepEqual((await names()).map((n) => n.split(' ')[0]), ['Elena', 'Amara', 'Priya']);
    await page.locator('.byline-item', { hasText: 'Priya' }).getByRole('button', { name: /Remove/ }).focus();
    await page.keyboard.press('Alt+ArrowUp');
    assert.deepEqual((await names()).map((n) => n.split(' ')[0]), ['Elena', 'Priya', 'Amara']);
    const posted = await page.$$eval('input[name="author"]:not([disabled])', (inputs) => inputs.map((i) => i.value));
    assert.equal(posted.length, 3);
    await Promise.all([page.waitForURL(/\/edit\?saved=1/), page.locator('button[name="intent"][value="save"]').click()]);
    await page.waitForSelector('.byline-item');
    assert.deepEqual((await names()).map((n) => n.split(' ')[0]), ['Elena', 'Priya', 'Amara'], 'the saved byline keeps the order');
  });

  it('warns the second of two editors of the same article before anything is lost', async () => {
    await openEditor(page, '/newsroom/articles/new');
    await page.locator('#headline').fill(`Two editors ${STAMP}`);
    await page.locator('#section_id').selectOption({ index: 1 });
    await page.evaluate(() => window.datelineEditor.setMarkdown('The first version.'));
    await Promise.all([page.waitForURL(/\/edit\?saved=1/), page.locator('button[name="intent"][value="save"]').click()]);
    const editPath = new URL(page.url()).pathname;

    const other = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const second = await signInEditor(other);
    watchErrors(second, errors);
    await openEditor(second, editPath);
    await openEditor(page, editPath);
    // Each is told the other is there.
    await second.waitForSelector('.presence-editing:not([hidden])');
    assert.match(await second.locator('.presence-editing').innerText(), /is editing this article too/);
    await page.waitForSelector('.presence-editing:not([hidden])');

    // Both type; the first saves a newer version while the second's words are not saved yet.
    await page.locator('#body-editor').click();
    await page.keyboard.press(`${MOD}+End`);
    await page.keyboard.type(' The first editor adds this.');
    await second.locator('#body-editor').click();
    await second.keyboard.press(`${MOD}+End`);
    await second.keyboard.type(' Words only the second editor typed.');
    await Promise.all([page.waitForURL(/\/edit\?saved=1/), page.keyboard.press(`${MOD}+s`)]);

    // The second hears of it at once, before saving anything.
    await second.waitForSelector('.presence-newer:not([hidden])', { timeout: 10_000 });
    assert.match(await second.locator('.presence-newer').innerText(), /saved a newer version[\s\S]*compare/);
    assert.match(await second.locator('.presence-newer a').getAttribute('href'), /\/revisions\?from=\d+&to=\d+/);
    // Saving now shows both versions; the second's words are all there.
    await second.keyboard.press(`${MOD}+s`);
    await second.waitForSelector('h1');
    assert.match(await second.locator('h1').innerText(), /someone else saved first/i);
    assert.match(await second.locator('#body').inputValue(), /Words only the second editor typed\./);
    assert.match(await second.locator('.conflict-theirs').innerText(), /The first editor adds this\./);
    await other.close();
  });

  it("round-trips every demo article's Markdown through the rich editor, and counts its reading time as the public page does", async () => {
    const ids = await articleIds(page);
    assert.ok(ids.length >= 37, `the newsroom lists ${ids.length} articles`);
    const demo = [];
    for (const id of ids) {
      await openEditor(page, `/newsroom/articles/${id}/edit`);
      const result = await page.evaluate(() => {
        const field = document.querySelector('#body');
        return {
          stored: field.defaultValue,
          written: window.datelineEditor.markdown(),
          headline: document.querySelector('#headline').value,
          path: `/${document.querySelector('#section_id').selectedOptions[0].dataset.slug}/${document.querySelector('#slug').value}`,
          reading: document.querySelector('.stat-reading').textContent,
          status: document.querySelector('.status')?.textContent,
        };
      });
      if (result.headline.includes(STAMP) || !/Published/i.test(result.status || '')) continue;
      demo.push(result);
      assert.equal(result.written, result.stored, `${result.path}: the editor changed the Markdown`);
      const html = await (await fetch(url(result.path))).text();
      const minutes = /class="reading-time"[^>]*>([^<]+)</.exec(html);
      assert.ok(minutes, `${result.path} shows a reading time`);
      assert.equal(result.reading.trim(), minutes[1].trim(), `${result.path}: reading time`);
    }
    assert.ok(demo.length >= 37, `${demo.length} published demo articles round-tripped`);
  });

  it('takes the screenshots of the editor and the dashboard at 1280 and 390 px', async () => {
    for (const width of [1280, 390]) {
      const shots = await browser.newContext({ viewport: { width, height: width === 390 ? 844 : 1000 } });
      const p = await signInEditor(shots);
      await screenshot(p, `dashboard-${width}`);
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the dashboard is ${overflow}px wider than ${width}px`);
      await openEditor(p, `/newsroom/articles/${await idOf(p, 'Gustavo Petro')}/edit`);
      await screenshot(p, `editor-${width}`);
      const wide = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(wide <= 0, `the editor is ${wide}px wider than ${width}px`);
      await p.locator('.hero-open').click();
      await p.waitForSelector('.hero-choice img');
      await screenshot(p, `image-picker-${width}`);
      await shots.close();
    }
    assert.deepEqual(errors, [], 'no script errors in the editor');
  });
});
