#!/usr/bin/env bash
# Search and listing pages at archive scale (issue 6's benchmark).
#
# Builds the release binary, makes a newsroom of 100,000 generated articles, then measures:
#   1. a full `dateline reindex` (wall time; goal under 60 s);
#   2. `/search?q=…` latency for one-, two- and three-word queries drawn from the archive's own
#      headlines, one wrk run per class, queries rotating on every request (goal p50 < 5 ms,
#      p99 < 50 ms, at SEARCH_CONNECTIONS concurrent readers);
#   3. the front page and a section page against the article page, all from the page cache
#      (goal: the same speed; reported as ratios to the article page measured in the same run).
# A benchmark, not a test: scripts/test does not run it. Only loopback is used.
#
# Environment: ARTICLES (100000), DURATION (10s), CONNECTIONS (64), SEARCH_CONNECTIONS (4),
# THREADS (2), DATELINE_BIN (skip the build), DATA_DIR (reuse a data folder that already has the
# articles; skips generation), KEEP=1 (keep the temporary folder).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib.sh
. bench/lib.sh

ARTICLES=${ARTICLES:-100000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
SEARCH_CONNECTIONS=${SEARCH_CONNECTIONS:-4}
THREADS=${THREADS:-2}
REF=/politics/trump-invites-colombias-gustavo-petro-to-white-house-after-confrontation

SERVER_PID=""
WORK=$(mktemp -d /tmp/dateline-search-bench.XXXXXX)

cleanup() {
  stop_pid "$SERVER_PID"
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need_tools wrk curl

dateline_binary

DATA=${DATA_DIR:-$WORK/data}
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"

start_dateline() {
  DATELINE_NEURAL_VOICE=off "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" >>"$WORK/dateline.log" 2>&1 &
  SERVER_PID=$!
  wait_http "$URL/healthz" "$SERVER_PID" "$WORK/dateline.log"
}

if [ -z "${DATA_DIR:-}" ]; then
  say "first start (demo newsroom)"
  start_dateline
  stop_pid "$SERVER_PID"; SERVER_PID=""
  say "dateline demo --articles $ARTICLES"
  t0=$SECONDS
  "$BIN" demo --articles "$ARTICLES" --data-dir "$DATA"
  echo "    took $((SECONDS - t0)) s"
fi

# ---- 1. full reindex ------------------------------------------------------------------------
say "dateline reindex"
start_ns=$(date +%s%N)
"$BIN" reindex --data-dir "$DATA" | tee "$WORK/reindex.txt"
reindex_s=$(awk -v a="$start_ns" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}')
published=$(awk '/^Indexed/{print $2}' "$WORK/reindex.txt")

start_dateline
# The cursor written by the reindex lets the server start without rebuilding.
hits=$(curl -fsS "$URL/api/v1/search?q=Petro&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
[ "$hits" -gt 0 ] || { echo "the index does not find the lead story" >&2; exit 1; }

# ---- 2. search latency ----------------------------------------------------------------------
# Queries from the archive's own headlines: words of four letters or more, lower-cased, in the
# order they appear, so two- and three-word queries are real neighbours that match something.
curl -fsS "$URL/api/v1/articles?limit=100" | python3 -c '
import json, re, sys, random, urllib.parse
random.seed(7)
heads = [a["headline"] for a in json.load(sys.stdin)["data"]]
words = [[w.lower() for w in re.findall(r"[A-Za-z]{4,}", h)] for h in heads]
for n in (1, 2, 3):
    qs = []
    for ws in words:
        for i in range(0, max(len(ws) - n + 1, 0)):
            qs.append(" ".join(ws[i:i + n]))
    random.shuffle(qs)
    with open(sys.argv[1] + f"/queries-{n}.txt", "w") as f:
        for q in qs[:200]:
            f.write("/search?q=" + urllib.parse.quote_plus(q) + "\n")
' "$WORK"

cat >"$WORK/rotate.lua" <<'LUA'
local paths = {}
local index = 0
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  index = math.random(#paths)
end
function request()
  index = index % #paths + 1
  return wrk.format("GET", paths[index])
end
LUA

ms() { # FILE PERCENTILE -> milliseconds
  awk -v p="$2" '$1==p{v=$2; u=v; gsub(/[0-9.]/,"",u); gsub(/[a-z]/,"",v);
    if (u=="us") v=v/1000; else if (u=="s") v=v*1000; printf "%.2f", v}' "$1"
}
rps() { awk '/^Requests\/sec:/{print $2}' "$1"; }

# wrk needs at least one connection per thread.
SEARCH_THREADS=$(( THREADS < SEARCH_CONNECTIONS ? THREADS : SEARCH_CONNECTIONS ))
for n in 1 2 3; do
  say "search, $n-word queries: wrk -t$SEARCH_THREADS -c$SEARCH_CONNECTIONS -d$DURATION"
  wrk -t"$SEARCH_THREADS" -c"$SEARCH_CONNECTIONS" -d2s -s "$WORK/rotate.lua" "$URL" -- "$WORK/queries-$n.txt" >/dev/null
  wrk -t"$SEARCH_THREADS" -c"$SEARCH_CONNECTIONS" -d"$DURATION" --latency -s "$WORK/rotate.lua" "$URL" -- "$WORK/queries-$n.txt" \
    | tee "$WORK/wrk-search-$n.txt"
  if grep -q 'Non-2xx' "$WORK/wrk-search-$n.txt"; then echo "warning: some searches failed" >&2; fi
done

# ---- 3. cached listing pages against the article page ---------------------------------------
run_page() { # NAME PATH
  say "$1: wrk -t$THREADS -c$CONNECTIONS -d$DURATION (gzip)"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -H 'Accept-Encoding: gzip' "$URL$2" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H 'Accept-Encoding: gzip' "$URL$2" | tee "$WORK/wrk-$1.txt"
}
run_page article "$REF"
run_page front "/"
run_page section "/politics"

echo
echo "==> result: $published published articles, $(nproc) cores"
echo "    full reindex: $reindex_s s (goal < 60 s)"
for n in 1 2 3; do
  f="$WORK/wrk-search-$n.txt"
  printf '    search %d-word: p50 %6s ms  p90 %6s ms  p99 %6s ms  %8s req/s  (%d readers)\n' \
    "$n" "$(ms "$f" 50%)" "$(ms "$f" 90%)" "$(ms "$f" 99%)" "$(rps "$f")" "$SEARCH_CONNECTIONS"
done
a_rps=$(rps "$WORK/wrk-article.txt")
for page in article front section; do
  f="$WORK/wrk-$page.txt"
  printf '    %-8s %10s req/s  p99 %6s ms  ratio to article %s\n' "$page" "$(rps "$f")" "$(ms "$f" 99%)" \
    "$(awk -v a="$(rps "$f")" -v b="$a_rps" 'BEGIN{printf "%.2f", (b>0)? a/b : 0}')"
done
