'use strict';
// The load of bench/abuse.sh. Two phases, each printing one JSON object on stdout:
//
//   node abuse-load.js capacity BASE SERVER_PID PLAN
//       closed loop, CONCURRENCY workers over the uncached mix for SECONDS: how many uncached
//       requests per second the node completes (its uncached capacity).
//   node abuse-load.js overload BASE SERVER_PID PLAN RATE
//       open loop at RATE requests/s over the same mix for SECONDS, while PAGE_FETCHERS readers
//       load the cached article page; latencies of the excess answers (503/429) and of the page.
//   node abuse-load.js slow BASE SERVER_PID PLAN
//       SLOW_CONNECTIONS sockets that trickle request heads or bodies a byte at a time (and come
//       back when the server closes them) while PAGE_FETCHERS readers load the cached page.
//
// PLAN is a JSON file written by abuse.sh: the article path, the article ids, search words, the
// readers' sessions ("token csrf"), and where to append accepted comments and tips
// (ACCEPTED_COMMENTS, ACCEPTED_TIPS: the lines the kill -9 check of issue 12 compares with the
// database). The server's memory is sampled from /proc/SERVER_PID/status every 250 ms.

const fs = require('node:fs');
const net = require('node:net');

const [mode, base, serverPid, planFile, rateText] = process.argv.slice(2);
const plan = JSON.parse(fs.readFileSync(planFile, 'utf8'));
const SECONDS = Number(process.env.SECONDS_TO_RUN || 30);
const PAGE_FETCHERS = Number(process.env.PAGE_FETCHERS || 4);
const CONCURRENCY = Number(process.env.CONCURRENCY || 16);
const SLOW_CONNECTIONS = Number(process.env.SLOW_CONNECTIONS || 1000);
const MAX_IN_FLIGHT = Number(process.env.MAX_IN_FLIGHT || 4000);
const origin = new URL(base).origin;
const url = new URL(base);

// ---- measuring --------------------------------------------------------------------------------

function percentiles(values) {
  const sorted = values.slice().sort((a, b) => a - b);
  const at = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);
  const round = (v) => (v === null ? null : Math.round(v * 100) / 100);
  return { count: sorted.length, p50: round(at(50)), p90: round(at(90)), p99: round(at(99)), max: round(sorted.length ? sorted[sorted.length - 1] : null) };
}

function rssKb() {
  try {
    const status = fs.readFileSync(`/proc/${serverPid}/status`, 'utf8');
    const match = status.match(/VmRSS:\s+(\d+) kB/);
    return match ? Number(match[1]) : null;
  } catch (error) {
    return null;
  }
}

function memorySampler() {
  const before = rssKb();
  let peak = before;
  const timer = setInterval(() => {
    const now = rssKb();
    if (now !== null && now > peak) peak = now;
  }, 250);
  return () => {
    clearInterval(timer);
    const after = rssKb();
    return { rss_before_mb: before / 1024, rss_peak_mb: peak / 1024, rss_after_mb: after / 1024, growth_mb: (peak - before) / 1024 };
  };
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

// ---- the uncached mix -------------------------------------------------------------------------

let counter = 0;
const pick = (list) => list[Math.floor(Math.random() * list.length)];

// The tip form as the site serves it without JavaScript: its action, every hidden field, the
// first kind offered. Read from /tips/new (the tips form's shape is the tips code's business).
let tipForm = null;
async function loadTipForm() {
  const res = await fetch(`${base}/tips/new`);
  const html = await res.text();
  const form = html.match(/<form[^>]*class="tips-form"[^>]*>([\s\S]*?)<\/form>/);
  if (!form) throw new Error('no tips form on /tips/new');
  const action = (form[0].match(/action="([^"]*)"/) || [])[1] || '/tips';
  const hidden = [...form[1].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]);
  const kind = (form[1].match(/name="kind" value="([^"]+)"/) || [])[1] || 'tip';
  tipForm = { action: action.replace(/&amp;/g, '&'), hidden, kind };
}

const kinds = {
  async search() {
    const words = `${pick(plan.words)} ${pick(plan.words)}`;
    return fetch(`${base}/search?q=${encodeURIComponent(words)}&n=${counter++}`);
  },
  async miss() {
    // Pages no cache holds: each article's discussion page (per reader, never cached).
    return fetch(`${base}/discussion/${pick(plan.article_ids)}?sort=newest`);
  },
  async comment() {
    const index = counter++ % plan.sessions.length;
    const [token, csrf] = plan.sessions[index];
    const body = `Abuse bench comment ${index}-${counter}-${Date.now()}: under load.`;
    const res = await fetch(`${base}/discussion/${plan.article_id}/comments`, {
      method: 'POST',
      headers: { cookie: `dateline_reader=${token}`, origin, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, body }),
    });
    if (res.status === 201) {
      const answer = await res.clone().json().catch(() => ({}));
      fs.appendFileSync(plan.accepted_comments, `${answer.id}\t${body}\n`);
    }
    return res;
  },
  async tip() {
    const form = new FormData();
    for (const [name, value] of tipForm.hidden) form.append(name, value);
    form.append('kind', tipForm.kind);
    const message = `Abuse bench tip ${counter++}-${Date.now()}`;
    form.append('message', message);
    form.append('contact', '');
    const res = await fetch(new URL(tipForm.action, base), { method: 'POST', headers: { origin }, body: form, redirect: 'manual' });
    if (res.status === 200 || res.status === 201 || res.status === 303) {
      fs.appendFileSync(plan.accepted_tips, `${message}\n`);
    }
    return res;
  },
};
const mix = ['search', 'search', 'miss', 'miss', 'comment', 'tip'];

const statuses = {};
const excessMs = [];
const admittedMs = [];
let errors = 0;

async function one(kind) {
  const started = now();
  try {
    const res = await kinds[kind]();
    await res.arrayBuffer();
    const took = now() - started;
    const key = `${kind} ${res.status}`;
    statuses[key] = (statuses[key] || 0) + 1;
    if (res.status === 503 || res.status === 429) excessMs.push(took);
    else admittedMs.push(took);
    return res.status;
  } catch (error) {
    errors++;
    return 0;
  }
}

// ---- the cached page, as readers see it during the attack ------------------------------------

async function pageFetchers(deadline) {
  const times = [];
  let failures = 0;
  const fetcher = async () => {
    while (Date.now() < deadline) {
      const started = now();
      try {
        const res = await fetch(`${base}${plan.article_path}`, { headers: { 'accept-encoding': 'gzip' } });
        await res.arrayBuffer();
        if (res.status !== 200) failures++;
      } catch (error) {
        failures++;
      }
      times.push(now() - started);
    }
  };
  await Promise.all(Array.from({ length: PAGE_FETCHERS }, fetcher));
  return { article_ms: percentiles(times), article_failures: failures };
}

// ---- phases -----------------------------------------------------------------------------------

async function capacity() {
  await loadTipForm();
  const deadline = Date.now() + SECONDS * 1000;
  let done = 0;
  const worker = async (n) => {
    let i = n;
    while (Date.now() < deadline) {
      const status = await one(mix[i++ % mix.length]);
      if (status !== 503 && status !== 429 && status !== 0) done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, n) => worker(n)));
  return { mode, seconds: SECONDS, concurrency: CONCURRENCY, completed: done, per_second: done / SECONDS, statuses, errors, admitted_ms: percentiles(admittedMs) };
}

async function overload(rate) {
  await loadTipForm();
  const memory = memorySampler();
  const deadline = Date.now() + SECONDS * 1000;
  const pages = pageFetchers(deadline);
  let inFlight = 0;
  let sent = 0;
  let skipped = 0;
  const pending = new Set();
  const started = Date.now();
  // Open loop: requests go out on schedule whatever the answers do, as an attacker's would.
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const due = Math.floor(((Date.now() - started) / 1000) * rate) - sent - skipped;
      for (let n = 0; n < due; n++) {
        if (inFlight >= MAX_IN_FLIGHT) {
          skipped++;
          continue;
        }
        sent++;
        inFlight++;
        const p = one(mix[sent % mix.length]).finally(() => {
          inFlight--;
          pending.delete(p);
        });
        pending.add(p);
      }
      if (Date.now() >= deadline) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  await Promise.all([...pending]);
  const page = await pages;
  return {
    mode, seconds: SECONDS, offered_per_second: rate, sent, not_sent_in_flight_cap: skipped, statuses, errors,
    excess_ms: percentiles(excessMs), admitted_ms: percentiles(admittedMs), ...page, ...memory(),
  };
}

// A socket that sends a request one byte per second: its head (`head`) or, after a whole head
// with a Content-Length, its body (`body`). When the server closes it, another takes its place.
function trickler(kind, deadline, stats) {
  const head = `GET ${plan.article_path} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: slow\r\nX-Padding: ${'a'.repeat(4000)}\r\n\r\n`;
  const bodyHead = `POST /discussion/${plan.article_id}/comments HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/x-www-form-urlencoded\r\nOrigin: ${origin}\r\nContent-Length: 60000\r\n\r\n`;
  const open = () => {
    if (Date.now() >= deadline) return;
    const openedAt = Date.now();
    const socket = net.connect(Number(url.port), url.hostname);
    let sentBytes = 0;
    let timer = null;
    socket.on('connect', () => {
      stats.opened++;
      if (kind === 'body') socket.write(bodyHead);
      timer = setInterval(() => {
        if (socket.destroyed) return;
        if (kind === 'head') socket.write(head[sentBytes++ % head.length]);
        else socket.write('a');
      }, 1000);
    });
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      if (Date.now() < deadline) {
        stats.closed_by_server++;
        stats.lifetimes.push((Date.now() - openedAt) / 1000);
        setTimeout(open, 100);
      }
    });
    stats.sockets.add(socket);
  };
  open();
}

async function slow() {
  const memory = memorySampler();
  const deadline = Date.now() + SECONDS * 1000;
  const stats = { opened: 0, closed_by_server: 0, lifetimes: [], sockets: new Set() };
  for (let n = 0; n < SLOW_CONNECTIONS; n++) trickler(n % 2 === 0 ? 'head' : 'body', deadline, stats);
  // Let them all connect before the readers start measuring.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const page = await pageFetchers(deadline);
  for (const socket of stats.sockets) socket.destroy();
  return {
    mode, seconds: SECONDS, slow_connections: SLOW_CONNECTIONS, opened: stats.opened, closed_by_server: stats.closed_by_server,
    held_seconds: percentiles(stats.lifetimes), ...page, ...memory(),
  };
}

(async () => {
  let result;
  if (mode === 'capacity') result = await capacity();
  else if (mode === 'overload') result = await overload(Number(rateText));
  else if (mode === 'slow') result = await slow();
  else throw new Error(`unknown mode ${mode}`);
  console.log(JSON.stringify(result));
  process.exit(0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
