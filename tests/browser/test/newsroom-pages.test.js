'use strict';
// Every newsroom page an editor can open (issue 17, "Everywhere"): axe-core finds no violations
// in light and dark schemes (the editor also with its dialogs open), the Nu Html Checker finds no
// errors in the HTML the server sends, and nothing is wider than a 390 px phone.
//
// The pages are found the way a person finds them: the newsroom's menu, then the first link of
// each kind on those pages (an article's edit page, its revisions, a picture, an author…).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { launchBrowser, url, tmpDir, lines, signInEditor } = require('./lib');

const EMAIL = process.env.DATELINE_E2E_EDITOR_EMAIL;
const PASSWORD = process.env.DATELINE_E2E_EDITOR_PASSWORD;
const AXE = require.resolve('axe-core');
const VNU = path.join(path.dirname(require.resolve('vnu-jar/package.json')), 'build', 'dist', 'vnu.jar');

/** A page's kind: its path with numbers as N, so one of each kind is checked. */
function kind(p) {
  return p.replace(/\d+/g, 'N');
}

// Not pages: actions, streams, JSON, downloads, and paging through more of the same.
const SKIP = /\/logout$|\/presence|\/tags$|\/attachments\/|\/events|[?&]page=|\/restore$/;

function describeViolations(violations) {
  return violations.map((v) => `  [${v.impact}] ${v.id}: ${v.help}\n${v.nodes.map((n) => `    at ${n.target.join(' ')}\n      ${n.html}\n      ${(n.failureSummary || '').replace(/\n/g, '\n      ')}`).join('\n')}`).join('\n');
}

async function axe(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ path: AXE });
  return page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
}

describe('every newsroom page', { timeout: 900_000 }, () => {
  let browser;
  const pages = [];

  before(async () => {
    assert.ok(EMAIL && PASSWORD, 'DATELINE_E2E_EDITOR_EMAIL and DATELINE_E2E_EDITOR_PASSWORD must name an editor (scripts/test sets them)');
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signInEditor(context);
    const seen = new Set();
    const queue = ['/newsroom'];
    const menu = await page.$$eval('.newsroom-nav a', (links) => links.map((a) => a.getAttribute('href')));
    queue.push(...menu, '/newsroom/articles/new', '/newsroom/images/new');
    while (queue.length && pages.length < 45) {
      const next = queue.shift();
      if (seen.has(kind(next)) || SKIP.test(next)) continue;
      seen.add(kind(next));
      const res = await page.goto(url(next), { waitUntil: 'load' });
      if (res.status() !== 200) continue;
      pages.push(next);
      const links = await page.$$eval('main a[href^="/newsroom"]', (as) => as.map((a) => a.getAttribute('href').split('#')[0]));
      for (const link of links) if (!seen.has(kind(link))) queue.push(link);
    }
    pages.push('/newsroom/login');
    await context.close();
  });

  after(async () => {
    if (browser) await browser.close();
  });

  it('finds the newsroom pages to check', () => {
    for (const expected of ['/newsroom', '/newsroom/articles', '/newsroom/articles/new', '/newsroom/images', '/newsroom/images/new']) {
      assert.ok(pages.includes(expected), `${expected} in ${pages.join(', ')}`);
    }
    assert.ok(pages.some((p) => /\/newsroom\/articles\/\d+\/edit$/.test(p)), pages.join(', '));
    assert.ok(pages.some((p) => /\/revisions$/.test(p)), pages.join(', '));
    assert.ok(pages.length >= 15, `${pages.length} pages: ${pages.join(', ')}`);
  });

  for (const scheme of ['light', 'dark']) {
    it(`axe-core finds no violations on any of them (${scheme} scheme), nor in the editor's dialogs`, async () => {
      const context = await browser.newContext({ bypassCSP: true, colorScheme: scheme, viewport: { width: 1280, height: 900 } });
      const signedIn = await signInEditor(context);
      await signedIn.close();
      const failures = [];
      const page = await context.newPage();
      for (const p of pages) {
        if (p === '/newsroom/login') continue;
        await page.goto(url(p), { waitUntil: 'load' });
        await page.waitForLoadState('networkidle').catch(() => {});
        const result = await axe(page);
        if (result.violations.length) failures.push(`${p}:\n${describeViolations(result.violations)}`);
        if (/\/articles\/(new|\d+\/edit)$/.test(p)) {
          await page.waitForFunction(() => performance.getEntriesByName('editor-ready').length > 0);
          for (const [open, name] of [['.hero-open', 'hero picker'], ['button[aria-keyshortcuts="Shift+Slash"]', 'shortcuts']]) {
            await page.locator(open).click();
            await page.waitForSelector('dialog[open]');
            await page.waitForLoadState('networkidle').catch(() => {});
            const dialog = await axe(page);
            if (dialog.violations.length) failures.push(`${p} with the ${name} open:\n${describeViolations(dialog.violations)}`);
            await page.keyboard.press('Escape');
          }
        }
      }
      const out = await context.newPage();
      await context.clearCookies();
      await out.goto(url('/newsroom/login'), { waitUntil: 'load' });
      const login = await axe(out);
      if (login.violations.length) failures.push(`/newsroom/login:\n${describeViolations(login.violations)}`);
      await context.close();
      assert.deepEqual(failures, [], failures.join('\n\n'));
    });
  }

  it('fits a 390 px phone: no page is wider than the screen', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await signInEditor(context);
    const wide = [];
    for (const p of pages) {
      if (p === '/newsroom/login') continue;
      await page.goto(url(p), { waitUntil: 'load' });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (overflow > 1) wide.push(`${p}: ${overflow}px too wide`);
    }
    await context.close();
    assert.deepEqual(wide, [], lines(wide));
  });

  it('the Nu Html Checker finds no errors in what the server sends', async () => {
    const context = await browser.newContext();
    const page = await signInEditor(context);
    const dir = tmpDir('dateline-vnu-newsroom-');
    const files = [];
    for (const [i, p] of pages.entries()) {
      const res = await page.request.get(url(p));
      assert.equal(res.status(), 200, p);
      const file = path.join(dir, `page-${i}.html`);
      fs.writeFileSync(file, await res.text());
      files.push({ file, p });
    }
    await context.close();
    const run = spawnSync('java', ['-jar', VNU, '--errors-only', '--format', 'json', ...files.map((f) => f.file)], {
      encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 180_000,
    });
    if (run.error) throw new Error(`could not run java -jar vnu.jar: ${run.error.message}`);
    const report = JSON.parse(run.stderr);
    const errors = (report.messages || []).filter((m) => m.type === 'error' || m.type === 'non-document-error').map((m) => {
      const owner = files.find((f) => (m.url || '').endsWith(path.basename(f.file)));
      return `${owner ? owner.p : m.url}:${m.lastLine ?? '?'} ${m.message}${m.extract ? `\n      ${JSON.stringify(m.extract)}` : ''}`;
    });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(errors, [], lines(errors));
  });
});
