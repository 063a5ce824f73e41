'use strict';
// Sitemaps against their schemas with xmllint (libxml2-utils): the index at /sitemap.xml against
// sitemaps.org's index structure, and every sitemap it lists against sitemaps.org's sitemap.xsd
// (npm package `sitemap`) with Google's image and news extension schemas
// (../shared/reference/xsd). The wrappers that tie the schemas together are in ../xsd/.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { url, tmpDir } = require('./lib');

const XSD = path.resolve(__dirname, '..', 'xsd');
const INDEX_SCHEMA = path.join(XSD, 'siteindex.xsd');
const URLSET_SCHEMA = path.join(XSD, 'urlset.xsd');

/** The text of every <loc> in a sitemap or sitemap index. */
function locs(xml) {
  return [...xml.matchAll(/<loc>([^<]*)<\/loc>/g)].map((m) => m[1].replace(/&amp;/g, '&'));
}

/** Runs xmllint; returns its complaints, or [] when the file is valid. */
function xmllint(schema, file) {
  const run = spawnSync('xmllint', ['--noout', '--nonet', '--schema', schema, file], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.error) throw new Error(`could not run xmllint: ${run.error.message} (apt-get install libxml2-utils)`);
  return run.status === 0 ? [] : [`exit ${run.status}`, run.stderr.trim()];
}

async function fetchXml(pathname) {
  const res = await fetch(url(pathname), { redirect: 'manual' });
  assert.equal(res.status, 200, `GET ${pathname} answered ${res.status}`);
  assert.equal(res.headers.get('content-type'), 'application/xml; charset=utf-8', `GET ${pathname} content type`);
  return { text: await res.text(), headers: res.headers };
}

describe('sitemaps validate (xmllint, sitemaps.org and Google schemas)', { timeout: 120_000 }, () => {
  const dir = tmpDir('dateline-sitemaps-');
  let index = '';
  const listed = []; // { path, file, text }

  before(async () => {
    for (const schema of [INDEX_SCHEMA, URLSET_SCHEMA]) {
      assert.ok(fs.existsSync(schema), `${schema} is missing`);
    }
    assert.ok(
      fs.existsSync(path.resolve(XSD, '..', 'node_modules', 'sitemap', 'schema', 'sitemap.xsd')),
      'node_modules/sitemap/schema/sitemap.xsd is missing: run npm ci in tests/browser',
    );
    index = (await fetchXml('/sitemap.xml')).text;
    fs.writeFileSync(path.join(dir, 'sitemap.xml'), index);
    // The server's base URL may differ from the address the tests reach it at: fetch each
    // listed sitemap by its path.
    for (const loc of locs(index)) {
      const pathname = new URL(loc).pathname;
      const { text } = await fetchXml(pathname);
      const file = path.join(dir, path.basename(pathname));
      fs.writeFileSync(file, text);
      listed.push({ path: pathname, file, text });
    }
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('robots.txt names the sitemap index', async () => {
    const res = await fetch(url('/robots.txt'));
    const sitemapLines = (await res.text()).split('\n').filter((l) => l.startsWith('Sitemap: '));
    assert.equal(sitemapLines.length, 1, 'one Sitemap line');
    assert.equal(new URL(sitemapLines[0].slice('Sitemap: '.length)).pathname, '/sitemap.xml');
  });

  it('the index is a valid sitemap index listing months, sections, authors and news', () => {
    assert.deepEqual(xmllint(INDEX_SCHEMA, path.join(dir, 'sitemap.xml')), []);
    const paths = listed.map((s) => s.path);
    for (const p of ['/sitemaps/sections.xml', '/sitemaps/authors.xml', '/sitemaps/news.xml']) {
      assert.ok(paths.includes(p), `index lists ${p}: ${paths.join(' ')}`);
    }
    assert.ok(paths.some((p) => /^\/sitemaps\/articles-\d{4}-\d{2}\.xml$/.test(p)), 'at least one monthly sitemap');
  });

  it('every listed sitemap is valid against sitemap.xsd with the image and news extensions', () => {
    assert.ok(listed.length >= 4);
    for (const sitemap of listed) {
      assert.deepEqual(xmllint(URLSET_SCHEMA, sitemap.file), [], `${sitemap.path} is not valid`);
    }
  });

  it('monthly sitemaps carry pictures and the news sitemap carries the publication', () => {
    const months = listed.filter((s) => s.path.startsWith('/sitemaps/articles-'));
    assert.ok(months.some((s) => /<image:image><image:loc>[^<]+\.jpg<\/image:loc>/.test(s.text)), 'a hero JPEG');
    const news = listed.find((s) => s.path === '/sitemaps/news.xml');
    assert.match(news.text, /<news:publication><news:name>[^<]+<\/news:name><news:language>[a-z-]+<\/news:language>/);
    const count = (news.text.match(/<url>/g) || []).length;
    assert.ok(count >= 1 && count <= 1000, `news sitemap has ${count} entries`);
  });
});
