'use strict';
// axe-core on each reader page type, in light and dark colour schemes: zero violations.
//
// The site's CSP forbids inline and injected scripts, so this file alone runs the browser context
// with bypassCSP; the article test checks the page under its real CSP.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { PAGES, launchBrowser, url } = require('./lib');

const AXE = require.resolve('axe-core');

function describeViolations(violations) {
  return violations.map((v) => {
    const nodes = v.nodes.map((n) => {
      const summary = (n.failureSummary || '').replace(/\n/g, '\n        ');
      return `    at ${n.target.join(' ')}\n      ${n.html}\n      ${summary}`;
    }).join('\n');
    return `  [${v.impact}] ${v.id}: ${v.help}\n    ${v.helpUrl}\n${nodes}`;
  }).join('\n');
}

describe('accessibility (axe-core)', { timeout: 180_000 }, () => {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    if (browser) await browser.close();
  });

  for (const scheme of ['light', 'dark']) {
    for (const { name, path } of PAGES) {
      it(`${name} page (${path}), ${scheme} scheme: no violations`, async () => {
        const context = await browser.newContext({
          bypassCSP: true,
          colorScheme: scheme,
          viewport: { width: 1280, height: 900 },
        });
        try {
          const page = await context.newPage();
          const res = await page.goto(url(path), { waitUntil: 'load' });
          assert.equal(res.status(), 200, `GET ${path} answered ${res.status()}`);
          await page.addScriptTag({ path: AXE });
          // Default rule set: WCAG 2.x A/AA plus axe's best practices (experimental rules excluded).
          const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
          assert.equal(result.violations.length, 0,
            `${result.violations.length} axe violation(s) on ${path} (${scheme}):\n${describeViolations(result.violations)}`);
        } finally {
          await context.close();
        }
      });
    }
  }
});
