'use strict';
// The slow clients of bench/abuse.sh (its capacity and overload phases are bench/loadgen):
//
//   node abuse-load.js slow BASE SERVER_PID PLAN
//       SLOW_CONNECTIONS sockets that trickle request heads or bodies a byte at a time (and come
//       back when the server closes them) while PAGE_FETCHERS readers load the cached page.
//
// PLAN is the JSON file abuse.sh writes (the article path and id are what this phase reads). It
// prints one JSON object. The server's memory is sampled from /proc/SERVER_PID/status every 250 ms.

const fs = require('node:fs');
const net = require('node:net');

const [mode, base, serverPid, planFile] = process.argv.slice(2);
const plan = JSON.parse(fs.readFileSync(planFile, 'utf8'));
const SECONDS = Number(process.env.SECONDS_TO_RUN || 30);
const PAGE_FETCHERS = Number(process.env.PAGE_FETCHERS || 4);
const SLOW_CONNECTIONS = Number(process.env.SLOW_CONNECTIONS || 1000);
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
  if (mode === 'slow') result = await slow();
  else throw new Error(`unknown mode ${mode}`);
  console.log(JSON.stringify(result));
  process.exit(0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
