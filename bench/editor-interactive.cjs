'use strict';
// How soon the newsroom editor is usable on the demo's reference article, in headless Chromium
// (run by bench/editor.sh, which starts the server and makes the editor account).
//
// For RUNS fresh browser contexts (a cold HTTP cache, as on a reporter's first visit of the
// day) it loads the reference article's edit page and reads `editor-ready`, the mark the editor
// sets once ProseMirror holds the story and every enhancement is in place, in milliseconds since
// navigation start. As the reference measured in the same run, it loads the public article page
// and reads its load event. One run is also recorded as a Chromium performance trace.

const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require(path.resolve(__dirname, '../tests/browser/node_modules/playwright-core'));

const BASE = process.env.DATELINE_URL;
const EMAIL = process.env.DATELINE_E2E_EDITOR_EMAIL;
const PASSWORD = process.env.DATELINE_E2E_EDITOR_PASSWORD;
const RUNS = +(process.env.RUNS || 15);
const TRACE = process.env.TRACE || path.resolve(__dirname, '../target/browser-artifacts/editor-trace.json');
const ARTICLE = '/politics/trump-invites-colombias-gustavo-petro-to-white-house-after-confrontation';

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  const signIn = async (context) => {
    const page = await context.newPage();
    await page.goto(`${BASE}/newsroom/login`);
    await page.fill('#email', EMAIL);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(/\/newsroom\/?$/), page.press('#password', 'Enter')]);
    await page.goto(`${BASE}/newsroom/articles?q=${encodeURIComponent('Gustavo Petro')}`);
    const href = await page.locator('.newsroom-table a[href$="/edit"]').first().getAttribute('href');
    return { page, edit: `${BASE}${href}` };
  };
  const editor = [];
  const reference = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const { page, edit } = await signIn(context);
    // The sign-in warmed nothing the edit page needs but the session: clear the HTTP cache.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.clearBrowserCache');
    if (run === 0) {
      fs.mkdirSync(path.dirname(TRACE), { recursive: true });
      await browser.startTracing(page, { path: TRACE, screenshots: false });
    }
    await page.goto(edit, { waitUntil: 'load' });
    await page.waitForFunction(() => performance.getEntriesByName('editor-ready').length > 0);
    if (run === 0) await browser.stopTracing();
    editor.push(await page.evaluate(() => performance.getEntriesByName('editor-ready')[0].startTime));
    const reader = await context.newPage();
    await cdp.send('Network.clearBrowserCache');
    await reader.goto(`${BASE}${ARTICLE}`, { waitUntil: 'load' });
    reference.push(await reader.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd));
    await context.close();
  }
  await browser.close();
  const row = (name, values) => `${name.padEnd(34)} median ${quantile(values, 0.5).toFixed(0).padStart(5)} ms   p90 ${quantile(values, 0.9).toFixed(0).padStart(5)} ms   max ${Math.max(...values).toFixed(0).padStart(5)} ms`;
  console.log(row('editor ready (edit page)', editor));
  console.log(row('reference: public article loaded', reference));
  console.log(`ratio editor/reference (medians): ${(quantile(editor, 0.5) / quantile(reference, 0.5)).toFixed(2)}`);
  console.log(`trace of the first run: ${TRACE}`);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
