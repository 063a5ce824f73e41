'use strict';
// The load of bench/live.sh: READERS readers hold the event stream of one live page while an
// editor posts ENTRIES entries on the live desk, one every GAP_MS, and PAGE_FETCHERS readers load
// the (cached) live page all along. For each entry, the time from the desk's POST being sent to
// the `entries` event naming it arriving at each reader; the live page's latencies; the server's
// RSS sampled every 100 ms. Prints one JSON object.
//
// Usage: node live-load.js BASE LIVE_PATH SERVER_PID EMAIL PASSWORD
// A reader is a plain HTTP/1.1 connection reading `text/event-stream` (RFC: WHATWG HTML
// §9.2 "Server-sent events"), as a browser's EventSource holds one; a 503 (the node's stream cap
// or its admission slots) is retried after a second, as EventSource would after `Retry-After`.

const fs = require('node:fs');
const http = require('node:http');

const [base, livePath, serverPid, email, password] = process.argv.slice(2);
const READERS = Number(process.env.READERS || 2000);
const ENTRIES = Number(process.env.ENTRIES || 5);
const GAP_MS = Number(process.env.GAP_MS || 3000);
const PAGE_FETCHERS = Number(process.env.PAGE_FETCHERS || 4);
const CONNECT_BATCH = Number(process.env.CONNECT_BATCH || 100);
const origin = new URL(base).origin;
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function now() {
  return Number(process.hrtime.bigint()) / 1e6;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return Number(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)].toFixed(2));
}

function summary(values) {
  const sorted = values.slice().sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? Number(sorted[sorted.length - 1].toFixed(2)) : null,
  };
}

function request(method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

// The editor's browser: cookies kept by name, forms posted with the page's CSRF token.
const jar = new Map();
function keep(headers) {
  for (const line of headers['set-cookie'] || []) {
    const [pair, ...attributes] = line.split(';');
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    const gone = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
    if (gone) jar.delete(name); else jar.set(name, value);
  }
}
function cookieHeader() {
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
}
function csrfOf(html) {
  const found = /name="csrf" value="([^"]+)"/.exec(html);
  if (!found) throw new Error('no CSRF token on the page');
  return found[1];
}
async function browse(path) {
  const res = await request('GET', path, { headers: { cookie: cookieHeader() } });
  keep(res.headers);
  return res;
}
async function post(path, fields) {
  const res = await request('POST', path, {
    headers: {
      cookie: cookieHeader(),
      origin,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(fields).toString(),
  });
  keep(res.headers);
  return res;
}

// One reader's stream: resolves once the response head arrived; `arrivals` gets, per entry id,
// when the first event naming it came.
// Real readers come from many addresses, and a node lets one address hold only
// `max_event_streams_per_client` streams: each reader gets a loopback address of its own
// (Linux routes all of 127.0.0.0/8 to the loopback interface).
function readerAddress(index) {
  return `127.1.${Math.floor(index / 250)}.${1 + (index % 250)}`;
}

function openStream(eventsUrl, reader) {
  return new Promise((resolve) => {
    const attempt = () => {
      const options = { agent: false, localAddress: reader.address, headers: { accept: 'text/event-stream' } };
      const req = http.get(`${base}${eventsUrl}`, options, (res) => {
        if (res.statusCode !== 200) {
          reader.refused += 1;
          res.resume();
          setTimeout(attempt, 1000);
          return;
        }
        res.setEncoding('utf8');
        let buffered = '';
        res.on('data', (chunk) => {
          const at = now();
          buffered += chunk;
          let end;
          while ((end = buffered.indexOf('\n\n')) >= 0) {
            const block = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            let event = 'message';
            let data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data += line.slice(5).trim();
            }
            if (event === 'entries') {
              for (const id of data.split(',')) {
                if (!reader.arrivals.has(id)) reader.arrivals.set(id, at);
              }
            }
          }
        });
        res.on('close', () => { reader.closed = true; });
        resolve();
      });
      req.on('error', () => {
        reader.errors += 1;
        setTimeout(attempt, 1000);
      });
    };
    attempt();
  });
}

async function pageFetcher(until, times, failures) {
  while (!until.done) {
    const started = now();
    try {
      const res = await request('GET', livePath);
      if (res.status !== 200) failures.count += 1;
    } catch (error) {
      failures.count += 1;
    }
    times.push(now() - started);
  }
}

function rssKb() {
  try {
    const status = fs.readFileSync(`/proc/${serverPid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  } catch (error) {
    return null;
  }
}

(async () => {
  // The live page names its event stream (with the newest entry it shows) and its article.
  const page = await request('GET', livePath);
  const events = /data-live-events="([^"]+)"/.exec(page.body);
  if (!events) throw new Error(`${livePath} is not running live coverage`);
  const eventsUrl = events[1].replace(/&amp;/g, '&');
  const articleId = /\/live\/(\d+)\/events/.exec(eventsUrl)[1];

  // The editor signs in and opens the live desk.
  const login = await browse('/newsroom/login');
  const signedIn = await post('/newsroom/login', { csrf: csrfOf(login.body), next: '/newsroom', email, password });
  if (signedIn.status !== 303 && signedIn.status !== 302) throw new Error(`sign-in answered ${signedIn.status}`);
  const desk = `/newsroom/articles/${articleId}/live`;
  const deskPage = await browse(desk);
  if (deskPage.status !== 200) throw new Error(`the desk answered ${deskPage.status}`);
  const csrf = csrfOf(deskPage.body);

  let rssPeak = rssKb();
  const rssBefore = rssPeak;
  const sampler = setInterval(() => {
    const rss = rssKb();
    if (rss !== null && rss > rssPeak) rssPeak = rss;
  }, 100);

  const readers = Array.from({ length: READERS }, (_, index) => ({ address: readerAddress(index), arrivals: new Map(), refused: 0, errors: 0, closed: false }));
  const connectStarted = now();
  for (let i = 0; i < readers.length; i += CONNECT_BATCH) {
    await Promise.all(readers.slice(i, i + CONNECT_BATCH).map((reader) => openStream(eventsUrl, reader)));
  }
  const connectMs = now() - connectStarted;
  const rssConnected = rssKb();

  const until = { done: false };
  const pageTimes = [];
  const pageFailures = { count: 0 };
  const fetchers = Array.from({ length: PAGE_FETCHERS }, () => pageFetcher(until, pageTimes, pageFailures));

  const posted = [];
  for (let n = 0; n < ENTRIES; n++) {
    await new Promise((resolve) => setTimeout(resolve, GAP_MS));
    const sent = now();
    const answer = await post(`${desk}/entries`, { csrf, headline: '', body: `Bench entry ${n}: the count continues.`, embed_url: '', image_id: '' });
    const answered = now();
    if (answer.status !== 303) throw new Error(`posting an entry answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    const id = /#entry-(\d+)/.exec(answer.headers.location || '');
    posted.push({ sent, answered, id: id ? id[1] : null });
  }
  // Time for the last entry to arrive everywhere.
  await new Promise((resolve) => setTimeout(resolve, Math.max(GAP_MS, 2000)));
  until.done = true;
  await Promise.all(fetchers);
  clearInterval(sampler);

  const arrival = [];
  const allReaders = [];
  let missing = 0;
  for (const entry of posted) {
    let last = 0;
    for (const reader of readers) {
      const at = reader.arrivals.get(entry.id);
      if (at === undefined) { missing += 1; continue; }
      arrival.push(at - entry.sent);
      last = Math.max(last, at - entry.sent);
    }
    allReaders.push(last);
  }
  console.log(JSON.stringify({
    readers: READERS,
    entries: posted.length,
    connect_ms: Math.round(connectMs),
    streams_refused_then_retried: readers.reduce((sum, r) => sum + r.refused, 0),
    stream_errors: readers.reduce((sum, r) => sum + r.errors, 0),
    streams_closed: readers.filter((r) => r.closed).length,
    post_answer_ms: summary(posted.map((p) => p.answered - p.sent)),
    arrival_ms: summary(arrival),
    all_readers_ms: summary(allReaders),
    arrivals_missing: missing,
    live_page_requests: pageTimes.length,
    live_page_failures: pageFailures.count,
    live_page_ms: summary(pageTimes),
    server_rss_mb: {
      before: rssBefore && Number((rssBefore / 1024).toFixed(1)),
      streams_open: rssConnected && Number((rssConnected / 1024).toFixed(1)),
      peak: rssPeak && Number((rssPeak / 1024).toFixed(1)),
    },
  }, null, 2));
  process.exit(0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
