'use strict';
// HTTP edge cases against the real server, with raw sockets where a client library would hide what
// the server actually sent (a body after HEAD, compressed bytes).

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const zlib = require('node:zlib');
const { BASE, REFERENCE_ARTICLE } = require('./lib');

const { hostname, port } = new URL(BASE);
const HOST = hostname.replace(/^\[|\]$/g, '');
const PORT = Number(port || 80);

/**
 * Sends one raw HTTP/1.1 request and reads until the server closes the connection.
 * Returns { status, headers (lower-case names), body (Buffer, undecoded), raw }.
 */
function rawRequest(method, target, headers = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port: PORT });
    const chunks = [];
    socket.setTimeout(15_000, () => socket.destroy(new Error(`timeout on ${method} ${target}`)));
    socket.on('connect', () => {
      const head = [`${method} ${target} HTTP/1.1`, `Host: ${HOST}:${PORT}`, 'Connection: close'];
      for (const [k, v] of Object.entries(headers)) head.push(`${k}: ${v}`);
      socket.write(`${head.join('\r\n')}\r\n\r\n`);
    });
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks);
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no complete response head for ${method} ${target}: ${JSON.stringify(raw.toString('latin1').slice(0, 200))}`));
      const [statusLine, ...headerLines] = raw.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(statusLine.split(' ')[1]);
      const hdrs = {};
      for (const line of headerLines) {
        const i = line.indexOf(':');
        hdrs[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      let body = raw.subarray(end + 4);
      if ((hdrs['transfer-encoding'] || '').toLowerCase() === 'chunked') body = dechunk(body);
      return resolve({ status, headers: hdrs, body, raw });
    });
  });
}

function dechunk(buf) {
  const out = [];
  let i = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = parseInt(buf.subarray(i, eol).toString('latin1'), 16);
    if (!size) break;
    out.push(buf.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

describe('HTTP behaviour', { timeout: 60_000 }, () => {
  it('answers an unknown path with a themed 404 HTML page', async () => {
    const r = await rawRequest('GET', '/no-such-page');
    assert.equal(r.status, 404);
    assert.match(r.headers['content-type'] || '', /^text\/html/);
    assert.match(r.body.toString('utf8'), /<html/i);
  });

  it('answers malformed percent-encoding (/%zz) with a 4xx, not a 5xx', async () => {
    const r = await rawRequest('GET', '/%zz');
    assert.ok(r.status >= 400 && r.status < 500, `GET /%zz answered ${r.status}`);
  });

  it('survives a 16 KB request header without a 5xx', async () => {
    const r = await rawRequest('GET', REFERENCE_ARTICLE, { 'X-Padding': 'a'.repeat(16 * 1024) });
    assert.ok(r.status < 500, `a 16 KB header got ${r.status}`);
  });

  it('ignores unknown query parameters', async () => {
    const r = await rawRequest('GET', `${REFERENCE_ARTICLE}?utm_source=test&fbclid=abc&ref=front`);
    assert.equal(r.status, 200);
  });

  it('answers HEAD with 200 and no body', async () => {
    const r = await rawRequest('HEAD', REFERENCE_ARTICLE);
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 0, `HEAD sent ${r.body.length} body bytes`);
  });

  it('answers a repeated GET with If-None-Match: <ETag> with 304', async () => {
    const first = await rawRequest('GET', REFERENCE_ARTICLE, { 'Accept-Encoding': 'gzip' });
    assert.equal(first.status, 200);
    const etag = first.headers.etag;
    assert.ok(etag, `no ETag on the article; headers: ${JSON.stringify(first.headers)}`);
    const second = await rawRequest('GET', REFERENCE_ARTICLE, { 'Accept-Encoding': 'gzip', 'If-None-Match': etag });
    assert.equal(second.status, 304, `If-None-Match ${etag} answered ${second.status}`);
    assert.equal(second.body.length, 0, '304 carried a body');
  });

  for (const [enc, decode] of [['br', zlib.brotliDecompressSync], ['gzip', zlib.gunzipSync]]) {
    it(`sends Content-Encoding: ${enc} when asked for ${enc}, the same page decoded`, async () => {
      const plain = await rawRequest('GET', REFERENCE_ARTICLE, { 'Accept-Encoding': 'identity' });
      assert.equal(plain.status, 200);
      assert.ok(!plain.headers['content-encoding'] || plain.headers['content-encoding'] === 'identity',
        `identity request got Content-Encoding ${plain.headers['content-encoding']}`);
      const r = await rawRequest('GET', REFERENCE_ARTICLE, { 'Accept-Encoding': enc });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-encoding'], enc, `Accept-Encoding: ${enc} got Content-Encoding ${r.headers['content-encoding']}`);
      assert.match(r.headers.vary || '', /accept-encoding/i, 'no Vary: Accept-Encoding on a compressed response');
      const decoded = decode(r.body).toString('utf8');
      assert.equal(decoded, plain.body.toString('utf8'), `the ${enc} body does not decode to the identity body`);
    });
  }
});
