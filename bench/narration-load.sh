#!/usr/bin/env bash
# Does narration starve page serving? Cached article page p99 with the narration worker idle,
# then again while it narrates, in the same run; plus the narration's own figures.
#
# Starts the release binary on a fresh data folder (the demo newsroom, narrated by the fallback
# voice unless neural assets are installed), lets the worker narrate the lead story and sets the
# rest of the backlog aside, loads the reference article with wrk (idle), then clears the
# paragraph cache and queues every article so the worker synthesises from scratch, and loads the
# same page while it works (busy).
# The newsroom holds ARTICLES generated articles besides the demo (issue 14's benchmark: 10,000),
# so the busy run has a real archive to narrate.
# Prints both p99s and their ratio, seconds of audio narrated per wall-clock second during the
# busy run, and the memory of the web process (sampled during the busy run, and its VmHWM since
# start) and of its narration worker process (VmHWM). A benchmark, not a test; only loopback.
#
# Environment: ARTICLES (10000), DURATION (30s), CONNECTIONS (16), THREADS (1), DATELINE_BIN (skip
# the build), KEEP=1 (keep the temporary folder).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib.sh
. bench/lib.sh

ARTICLES=${ARTICLES:-10000}
DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-1}
REF=/politics/trump-invites-colombias-gustavo-petro-to-white-house-after-confrontation

SERVER_PID=""
WORK=$(mktemp -d /tmp/dateline-bench.XXXXXX)
cleanup() {
  stop_pid "$SERVER_PID"
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need_tools wrk curl sqlite3 espeak-ng lame
dateline_binary

DATA="$WORK/data"
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
DB="$DATA/dateline.sqlite"
say "dateline serve (fresh demo newsroom)"
# The neural voice when its assets are installed in VOICE_ASSETS (a data folder holding voices/,
# as `dateline voices install --data-dir` leaves it); the fallback voice otherwise. Never a download.
VOICE_ASSETS=${VOICE_ASSETS:-/var/cache/dateline}
mkdir -p "$DATA"
if [ -f "$VOICE_ASSETS/voices/installed" ]; then
  ln -s "$VOICE_ASSETS/voices" "$DATA/voices"
  echo "    neural voice from $VOICE_ASSETS/voices"
else
  echo "    no neural voice in $VOICE_ASSETS/voices: the fallback voice narrates"
fi
if [ "$ARTICLES" -gt 0 ]; then
  say "the demo newsroom and $ARTICLES generated articles"
  DATELINE_NARRATION=off "$BIN" demo --articles "$ARTICLES" --data-dir "$DATA" >"$WORK/demo.log" 2>&1
fi
DATELINE_NEURAL_VOICE=installed \
  "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" >"$WORK/dateline.log" 2>&1 &
SERVER_PID=$!
wait_http "$URL/healthz" "$SERVER_PID" "$WORK/dateline.log"

narrated_seconds() { # sum of the audio seconds the log reports as narrated
  grep -a 'article narrated' "$WORK/dateline.log" | sed -E 's/\x1b\[[0-9;]*m//g' \
    | grep -oE 'seconds=[0-9.]+' | cut -d= -f2 | awk '{s+=$1} END{printf "%.1f", s}'
}
pending() {
  sqlite3 "file:$DB?mode=ro" \
    "SELECT COUNT(*) FROM jobs WHERE kind = 'narration.narrate_article' AND state IN ('queued', 'running')"
}
# The idle run needs an idle worker: only the lead story (narrated first) is kept in the queue,
# the rest of the demo's backlog is set aside; the busy run queues everything again.
LEAD_SLUG=${REF##*/}
sqlite3 "$DB" "UPDATE jobs SET state = 'done' WHERE kind = 'narration.narrate_article' AND state = 'queued'
  AND dedup_key <> 'narration.narrate_article:' || (SELECT id FROM articles WHERE slug = '$LEAD_SLUG')"
say "waiting for the lead story's narration"
t0=$SECONDS
while [ "$(pending)" != 0 ]; do
  [ $((SECONDS - t0)) -lt 900 ] || { echo "narration still running after 15 min" >&2; exit 1; }
  sleep 1
done
echo "    narrated $(narrated_seconds) s of audio; the worker is idle $((SECONDS - t0)) s after start"

run_wrk() { # NAME
  say "$1: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -H 'Accept-Encoding: gzip' $REF"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -H 'Accept-Encoding: gzip' "$URL$REF" >/dev/null # warm-up
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H 'Accept-Encoding: gzip' "$URL$REF" \
    | tee "$WORK/wrk-$1.txt"
  if grep -q 'Non-2xx' "$WORK/wrk-$1.txt"; then echo "warning: $1 answered some requests with errors" >&2; fi
}
rps() { awk '/^Requests\/sec:/{print $2}' "$1"; }
p99_ms() {
  awk '$1=="99%"{v=$2; u=v; gsub(/[0-9.]/,"",u); gsub(/[a-z]/,"",v);
    if(u=="us") v/=1000; else if(u=="s") v*=1000; else if(u=="m") v*=60000; printf "%.3f", v}' "$1"
}

curl -fsS -o /dev/null -H 'Accept-Encoding: gzip' "$URL$REF" # cached from here on
run_wrk idle

say "queueing every article again with an empty paragraph cache"
rm -rf "$DATA/media/audio/paragraphs"
now_us=$(($(date +%s) * 1000000))
sqlite3 "$DB" "UPDATE article_audio SET text_hash = NULL;
  INSERT INTO jobs (kind, payload, dedup_key, priority, state, run_at, max_attempts, created_at)
  SELECT 'narration.narrate_article', '{\"article_id\":' || id || '}', 'narration.narrate_article:' || id, -5, 'queued', $now_us, 5, $now_us
  FROM articles WHERE status = 'published'
  ON CONFLICT (dedup_key) WHERE state = 'queued' DO NOTHING;"
until [ "$(sqlite3 "file:$DB?mode=ro" "SELECT COUNT(*) FROM article_audio WHERE status = 'generating'")" != 0 ]; do
  sleep 0.2
done
WORKER_PID=$(pgrep -P "$SERVER_PID" -f ' worker' | head -1 || true)
rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
sample_memory() { # the web process's and the worker's VmRSS every 0.5 s, until killed
  while true; do
    echo "$(rss_kb "$SERVER_PID") $( [ -n "$WORKER_PID" ] && rss_kb "$WORKER_PID" || echo 0)"
    sleep 0.5
  done >"$WORK/rss.txt"
}
sample_memory &
SAMPLER=$!
before=$(narrated_seconds)
t_busy=$(date +%s.%N)
run_wrk busy
t_end=$(date +%s.%N)
kill "$SAMPLER" 2>/dev/null || true
after=$(narrated_seconds)
left=$(pending)
[ "$left" != 0 ] || echo "warning: the worker ran out of work before the busy run ended" >&2

hwm=$(awk '/^VmHWM/{print $2, $3}' "/proc/$SERVER_PID/status")
worker_hwm=$( [ -n "$WORKER_PID" ] && awk '/^VmHWM/{print $2, $3}' "/proc/$WORKER_PID/status" 2>/dev/null || echo "no worker process found")
web_max=$(awk '{if ($1 > m) m = $1} END {printf "%.1f MB", m / 1024}' "$WORK/rss.txt")
worker_max=$(awk '{if ($2 > m) m = $2} END {printf "%.1f MB", m / 1024}' "$WORK/rss.txt")
idle=$(p99_ms "$WORK/wrk-idle.txt")
busy=$(p99_ms "$WORK/wrk-busy.txt")
echo
echo "==> result: cached reference article, gzip, $CONNECTIONS connections, $THREADS wrk thread(s), $DURATION each, $(nproc) cores"
printf '    %-28s %10s req/s   p99 %8s ms\n' "narration worker idle" "$(rps "$WORK/wrk-idle.txt")" "$idle"
printf '    %-28s %10s req/s   p99 %8s ms\n' "narration worker busy" "$(rps "$WORK/wrk-busy.txt")" "$busy"
printf '    p99 ratio busy/idle: %s\n' "$(awk -v a="$busy" -v b="$idle" 'BEGIN{printf "%.2f", (b>0)? a/b : 0}')"
printf '    narrated during the busy run: %s s of audio in %s s (%s× real time, while serving)\n' \
  "$(awk -v a="$after" -v b="$before" 'BEGIN{printf "%.1f", a-b}')" \
  "$(awk -v a="$t_end" -v b="$t_busy" 'BEGIN{printf "%.1f", a-b}')" \
  "$(awk -v a="$after" -v b="$before" -v e="$t_end" -v s="$t_busy" 'BEGIN{printf "%.1f", (a-b)/(e-s)}')"
printf '    web process during the busy run: VmRSS max %s (VmHWM since start %s)\n' "$web_max" "$hwm"
printf '    narration worker process: VmRSS max %s during the busy run, VmHWM %s\n' "$worker_max" "$worker_hwm"
echo "    newsroom: $ARTICLES generated articles plus the demo"
