'use strict';
// The load of bench/comments.sh: READERS signed-in readers post comments for SECONDS while
// PAGE_FETCHERS readers load the article page; prints every success answer (comment id and the
// body it posted) to a file and the article page's latency percentiles to stdout as JSON.
//
// Usage: node comments-load.js BASE ARTICLE_PATH ARTICLE_ID SESSIONS_FILE OUT_FILE
// SESSIONS_FILE has one "token csrf" line per reader.

const fs = require('node:fs');

const [base, articlePath, articleId, sessionsFile, outFile] = process.argv.slice(2);
const SECONDS = Number(process.env.SECONDS_TO_RUN || 30);
const PAGE_FETCHERS = Number(process.env.PAGE_FETCHERS || 4);
const sessions = fs.readFileSync(sessionsFile, 'utf8').trim().split('\n').map((line) => line.split(' '));
const origin = new URL(base).origin;
const deadline = Date.now() + SECONDS * 1000;
const successes = [];
const statuses = {};
const pageTimes = [];
let pageErrors = 0;

async function reader(index, [token, csrf]) {
  let n = 0;
  while (Date.now() < deadline) {
    const body = `Bench comment ${index}-${n++}: load test of the discussion.`;
    const form = new URLSearchParams({ csrf, body });
    try {
      const res = await fetch(`${base}/discussion/${articleId}/comments`, {
        method: 'POST',
        headers: {
          cookie: `dateline_reader=${token}`,
          origin,
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: form,
      });
      statuses[res.status] = (statuses[res.status] || 0) + 1;
      const answer = await res.json().catch(() => ({}));
      if (res.status === 201) {
        successes.push(`${answer.id}\t${body}`);
      } else if (res.status === 429) {
        // The per-reader limit answered: wait a little as a person would, then try again.
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    } catch (error) {
      statuses.error = (statuses.error || 0) + 1;
    }
  }
}

async function pageFetcher() {
  while (Date.now() < deadline) {
    const started = process.hrtime.bigint();
    try {
      const res = await fetch(`${base}${articlePath}`);
      await res.arrayBuffer();
      if (res.status !== 200) pageErrors++;
    } catch (error) {
      pageErrors++;
    }
    pageTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

(async () => {
  await Promise.all([
    ...sessions.map((session, index) => reader(index, session)),
    ...Array.from({ length: PAGE_FETCHERS }, pageFetcher),
  ]);
  fs.writeFileSync(outFile, successes.join('\n') + (successes.length ? '\n' : ''));
  const sorted = pageTimes.slice().sort((a, b) => a - b);
  console.log(JSON.stringify({
    readers: sessions.length,
    seconds: SECONDS,
    posts_by_status: statuses,
    comments_accepted: successes.length,
    article_requests: sorted.length,
    article_errors: pageErrors,
    article_ms: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1] ?? null,
    },
  }, null, 2));
})();
