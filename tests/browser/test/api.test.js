'use strict';
// The Content API's OpenAPI 3.1 document against the running server: it validates
// (openapi-spec-validator, PyPI) and schemathesis (PyPI) finds no failure of any check when it
// fuzzes every operation from the document — answers match their schemas and status codes, bad
// input is a 4xx, valid input is accepted, nothing is a 5xx. Both tools come pinned and hashed
// from tests/python/api.txt, installed in tests/.venv by scripts/test.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { BASE, url, tmpDir } = require('./lib');

const VENV_BIN = path.resolve(__dirname, '..', '..', '.venv', 'bin');
const PYTHON = path.join(VENV_BIN, 'python');
const SCHEMATHESIS = path.join(VENV_BIN, 'schemathesis');
const SPEC = '/api/v1/openapi.json';

function run(command, args, cwd, timeout) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout,
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (result.error) throw new Error(`could not run ${command}: ${result.error.message} (scripts/test creates tests/.venv)`);
  return result;
}

describe('Content API (OpenAPI 3.1)', { timeout: 150_000 }, () => {
  const dir = tmpDir('dateline-api-');
  const specFile = path.join(dir, 'openapi.json');

  before(async () => {
    const res = await fetch(url(SPEC));
    assert.equal(res.status, 200, `GET ${SPEC} answered ${res.status}`);
    assert.match(res.headers.get('content-type') || '', /^application\/json/);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    fs.writeFileSync(specFile, await res.text());
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the document is OpenAPI 3.1 and lists the API paths', () => {
    const doc = JSON.parse(fs.readFileSync(specFile, 'utf8'));
    assert.match(doc.openapi, /^3\.1\./);
    assert.deepEqual(Object.keys(doc.paths).sort(), [
      '/api/v1/admin/articles', '/api/v1/admin/articles/{id}', '/api/v1/admin/articles/{id}/discussion',
      '/api/v1/admin/articles/{id}/notes', '/api/v1/admin/articles/{id}/publish',
      '/api/v1/admin/articles/{id}/schedule', '/api/v1/admin/articles/{id}/submit',
      '/api/v1/admin/articles/{id}/unpublish', '/api/v1/admin/comment-rules',
      '/api/v1/admin/comments/{id}/decision', '/api/v1/admin/comments/{id}/feature',
      '/api/v1/admin/comments/{id}/replies', '/api/v1/admin/images', '/api/v1/admin/pages',
      '/api/v1/admin/pages/{id}', '/api/v1/admin/pages/{id}/publish', '/api/v1/admin/pages/{id}/unpublish',
      '/api/v1/admin/readers/{id}/standing', '/api/v1/admin/whoami',
      '/api/v1/articles', '/api/v1/articles/{id}', '/api/v1/authors', '/api/v1/search', '/api/v1/sections',
    ]);
    // Every Admin API operation declares the bearer scheme; the Content API needs none.
    assert.equal(doc.components.securitySchemes.bearerAuth.scheme, 'bearer');
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        assert.equal(Boolean(op.security && op.security.some((s) => 'bearerAuth' in s)),
          p.startsWith('/api/v1/admin/'), `${method} ${p}`);
      }
    }
  });

  it('openapi-spec-validator accepts the document', () => {
    const r = run(PYTHON, ['-m', 'openapi_spec_validator', specFile], dir, 60_000);
    assert.equal(r.status, 0, `openapi-spec-validator failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  });

  it('a list answer walks to the reference article by id and revalidates with 304', async () => {
    const list = await fetch(url('/api/v1/articles?limit=1'));
    assert.equal(list.status, 200);
    const { data } = await list.json();
    assert.equal(data.length, 1);
    const one = await fetch(url(`/api/v1/articles/${data[0].id}`));
    assert.equal(one.status, 200);
    const etag = one.headers.get('etag');
    assert.ok(etag, 'no ETag');
    const again = await fetch(url(`/api/v1/articles/${data[0].id}`), { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
  });

  it('schemathesis finds no failure (all checks)', () => {
    // A bounded run: 30 examples per operation and phase keeps it well under a minute.
    const r = run(SCHEMATHESIS, [
      'run', url(SPEC),
      '--url', BASE,
      '--checks', 'all',
      '--max-examples', '30',
      '--no-color',
    ], dir, 120_000);
    assert.equal(r.status, 0, `schemathesis reported failures (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  });
});
