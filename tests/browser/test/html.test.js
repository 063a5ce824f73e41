'use strict';
// The Nu Html Checker (vnu.jar, from the npm package vnu-jar, run with the machine's Java) on every
// reader page type and the 404 page: no errors.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { PAGES, url, tmpDir, lines } = require('./lib');

const VNU = path.join(path.dirname(require.resolve('vnu-jar/package.json')), 'build', 'dist', 'vnu.jar');
const CHECKED = [...PAGES, { name: 'not-found', path: '/no-such-page', status: 404 }];

describe('HTML5 validity (Nu Html Checker)', { timeout: 180_000 }, () => {
  const dir = tmpDir('dateline-vnu-');
  let messages = [];

  before(async () => {
    for (const p of CHECKED) {
      const res = await fetch(url(p.path), { redirect: 'manual' });
      const expected = p.status || 200;
      assert.equal(res.status, expected, `GET ${p.path} answered ${res.status}, expected ${expected}`);
      assert.match(res.headers.get('content-type') || '', /^text\/html/, `GET ${p.path} is not text/html`);
      fs.writeFileSync(path.join(dir, `${p.name}.html`), await res.text());
    }
    assert.ok(fs.existsSync(VNU), `${VNU} is missing: run npm ci in tests/browser`);
    const files = CHECKED.map((p) => path.join(dir, `${p.name}.html`));
    const run = spawnSync('java', ['-jar', VNU, '--errors-only', '--format', 'json', ...files], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    });
    if (run.error) throw new Error(`could not run java -jar vnu.jar: ${run.error.message} (is Java installed?)`);
    // vnu prints its JSON report on stderr; its exit code is 1 when it found errors.
    let report;
    try {
      report = JSON.parse(run.stderr);
    } catch (e) {
      throw new Error(`vnu.jar gave no JSON report (exit ${run.status}):\n${run.stderr}\n${run.stdout}`);
    }
    messages = report.messages || [];
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const p of CHECKED) {
    it(`${p.name} page (${p.path}) has no HTML errors`, () => {
      const mine = messages.filter((m) => (m.url || '').endsWith(`/${p.name}.html`) || !m.url);
      const errors = mine.filter((m) => m.type === 'error' || m.type === 'non-document-error');
      const text = errors.map((m) => `${p.name}.html:${m.lastLine ?? '?'}:${m.firstColumn ?? m.lastColumn ?? '?'} ${m.message}`
        + (m.extract ? `\n      ${JSON.stringify(m.extract)}` : ''));
      assert.deepEqual(text, [], `${errors.length} HTML error(s) in ${p.path}:\n${lines(text)}`);
    });
  }
});
