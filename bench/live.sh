#!/usr/bin/env bash
# Live coverage under load (issue 18): READERS readers (2,000) hold the event stream of the demo's
# running live page on one node (release build, SQLite, neural voice and narration off) while an
# editor posts ENTRIES entries on the live desk and PAGE_FETCHERS readers load the cached live
# page. Reports the time from the desk's POST to the entry's event at every reader (p99 goal
# under 1 s), the server's RSS (goal under 128 MB) and the live page's p99 meanwhile (goal
# under 20 ms), with the same page's p99 before the streams opened as the reference.
#
#   bench/live.sh                   builds the release binary (or DATELINE_BIN=path uses that one)
#   READERS=500 ENTRIES=3 bench/live.sh   a smaller run
#
# Each stream is its own connection, so the client needs READERS file descriptors and the server
# as many: both raise their soft limit (`ulimit -n`) first.

set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
. bench/lib.sh

export READERS=${READERS:-2000}
export ENTRIES=${ENTRIES:-5}
export PAGE_FETCHERS=${PAGE_FETCHERS:-4}
LIVE=/politics/brennan-falls-votes-live-results

need_tools curl node
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -gt $((READERS + 200)) ] || { echo "ulimit -n $(ulimit -n) is too low for $READERS streams" >&2; exit 1; }
dateline_binary
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dateline-bench-live.XXXXXX")
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
SERVER_PID=""
cleanup() { stop_pid "$SERVER_PID"; [ "${KEEP:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT

serve() {
  DATELINE_NEURAL_VOICE=off DATELINE_NARRATION=off \
    "$BIN" serve --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_http "$BASE/healthz" "$SERVER_PID" "$WORK/server.log"
}
# The first start draws the demo's pictures (hundreds of MB the allocator keeps): the node under
# test is a second start on the loaded data folder, as a node serves after a restart.
say "loading the demo newsroom (first start), then starting $BIN serve again on $BASE"
serve
stop_pid "$SERVER_PID"
serve
EMAIL=bench-live@dateline.example
PASSWORD="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$PASSWORD" | "$BIN" user create --data-dir "$WORK/data" --email "$EMAIL" \
  --name "Bench Editor" --role editor >>"$WORK/server.log" 2>&1

say "reference: the cached live page with no stream open (2,000 requests, 4 at a time)"
curl -fsS -o /dev/null "$BASE$LIVE"
node -e '
  const http = require("node:http");
  const agent = new http.Agent({ keepAlive: true });
  const url = process.argv[1];
  const times = [];
  const one = () => new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    http.get(url, { agent }, (res) => { res.resume(); res.on("end", () => { times.push(Number(process.hrtime.bigint() - started) / 1e6); resolve(); }); }).on("error", reject);
  });
  (async () => {
    await Promise.all(Array.from({ length: 4 }, async () => { for (let i = 0; i < 500; i++) await one(); }));
    times.sort((a, b) => a - b);
    const q = (p) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)].toFixed(2);
    console.log(JSON.stringify({ live_page_alone_ms: { p50: +q(0.5), p99: +q(0.99) } }));
  })();
' "$BASE$LIVE" | tee "$WORK/reference.json"
printf '    server RSS before the streams: %s\n' "$(grep VmRSS /proc/$SERVER_PID/status | awk '{print $2, $3}')"

say "$READERS readers hold the event stream; $ENTRIES entries posted on the desk"
node bench/live-load.js "$BASE" "$LIVE" "$SERVER_PID" "$EMAIL" "$PASSWORD" | tee "$WORK/result.json"
printf '    server peak RSS (VmHWM) over the whole run: %s\n' "$(grep VmHWM /proc/$SERVER_PID/status | awk '{print $2, $3}')"

read -r p99 missing rss page_p99 < <(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1]));
  console.log(r.arrival_ms.p99, r.arrivals_missing, r.server_rss_mb.peak, r.live_page_ms.p99);
' "$WORK/result.json")
reference_p99=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).live_page_alone_ms.p99)' "$WORK/reference.json")
status=0
[ "$missing" -eq 0 ] || { echo "FAIL: $missing arrivals missing" >&2; status=1; }
awk -v p="$p99" 'BEGIN { exit !(p < 1000) }' || { echo "FAIL: arrival p99 ${p99} ms is not under 1 s" >&2; status=1; }
awk -v r="$rss" 'BEGIN { exit !(r < 128) }' || { echo "FAIL: server RSS ${rss} MB is not under 128 MB" >&2; status=1; }
awk -v p="$page_p99" 'BEGIN { exit !(p < 20) }' || { echo "FAIL: live page p99 ${page_p99} ms is not under 20 ms" >&2; status=1; }
ratio=$(awk -v a="$page_p99" -v b="$reference_p99" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
say "arrival p99 ${p99} ms; server RSS peak ${rss} MB; live page p99 ${page_p99} ms (${ratio}× its p99 with no stream open, ${reference_p99} ms)"
[ $status -eq 0 ] && say "ok"
exit $status
