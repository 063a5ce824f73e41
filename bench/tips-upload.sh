#!/usr/bin/env bash
# Memory of slow tip uploads (issue 12, finding 4): CLIENTS tipsters each send the no-JavaScript
# tip form with five 24 MB attachments (120 MB), throttled to RATE, at the same time, against the
# real server (SQLite, local storage). The server's resident memory (VmRSS) is sampled every
# 0.2 s from before the first byte to after the last answer; every upload must be answered 200
# and stored as five encrypted attachments.
#
#   bench/tips-upload.sh                      builds the release binary (DATELINE_BIN=path uses that one)
#   REFERENCE_BIN=path bench/tips-upload.sh   also runs the same uploads against another binary
#                                             (say, a build of main) in the same run, for a ratio
#   CLIENTS=3 RATE=4M FILE_MB=24 bench/tips-upload.sh
#
# Before streaming, the whole multipart body was read into memory before any check: three slow
# uploads took the server from 1.07 GB to 1.47 GB.

set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
. bench/lib.sh

CLIENTS=${CLIENTS:-3}
RATE=${RATE:-4M}
FILE_MB=${FILE_MB:-24}

need_tools curl sqlite3
dateline_binary
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dateline-bench-tips.XXXXXX")
SERVER_PID=""
cleanup() { stop_pid "$SERVER_PID"; rm -rf "$WORK"; }
trap cleanup EXIT

say "making 5 files of $FILE_MB MB"
for i in 1 2 3 4 5; do
  yes "ledger line $i: payment approved before the tender closed" | head -c "$((FILE_MB * 1000 * 1000))" >"$WORK/file$i.txt"
done

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# Runs the uploads against one binary; prints "before_kb peak_kb after_kb seconds".
run() {
  local bin=$1 name=$2 data="$WORK/data-$2" port base
  port=$(free_port)
  base="http://127.0.0.1:$port"
  "$bin" tips keygen --data-dir "$data" --recovery "bench" --output "$WORK/key-$name.txt" \
    >"$WORK/keygen-$name.log" 2>&1
  DATELINE_NEURAL_VOICE=off "$bin" serve --no-demo --data-dir "$data" --listen "127.0.0.1:$port" \
    >"$WORK/server-$name.log" 2>&1 &
  SERVER_PID=$!
  wait_http "$base/healthz" "$SERVER_PID" "$WORK/server-$name.log"
  # Warm up: one small tip, so the first upload's allocations are not counted as its own.
  local form action
  form=$(curl -fsS "$base/tips")
  action=$(grep -o 'action="/tips[^"]*"' <<<"$form" | head -1 | sed 's/^action="//; s/"$//; s/&amp;/\&/g')
  curl -sS -o /dev/null -F kind=tip -F message=warm-up "$base$action"
  sleep 1
  local before peak=0 pids=() started
  before=$(rss_kb "$SERVER_PID")
  peak=$before
  started=$(date +%s.%N)
  for c in $(seq 1 "$CLIENTS"); do
    form=$(curl -fsS "$base/tips")
    action=$(grep -o 'action="/tips[^"]*"' <<<"$form" | head -1 | sed 's/^action="//; s/"$//; s/&amp;/\&/g')
    # As a browser sends it: no `Expect: 100-continue`; the token where the form puts it (the
    # URL now; a hidden field in builds before issue 12, such as a reference build of main).
    local fields=()
    if grep -q 'name="token"' <<<"$form"; then
      fields=(-F "token=$(grep -o 'name="token" value="[^"]*"' <<<"$form" | head -1 | sed 's/.*value="//; s/"$//')")
    fi
    curl -sS -o "$WORK/answer-$name-$c.html" -w '%{http_code}\n' --limit-rate "$RATE" \
      -H 'Expect:' "${fields[@]}" -F kind=tip -F "message=bench tip $c" \
      -F attachments=@"$WORK/file1.txt" -F attachments=@"$WORK/file2.txt" \
      -F attachments=@"$WORK/file3.txt" -F attachments=@"$WORK/file4.txt" \
      -F attachments=@"$WORK/file5.txt" "$base$action" >"$WORK/status-$name-$c" &
    pids+=($!)
  done
  while :; do
    local now running=0
    now=$(rss_kb "$SERVER_PID")
    [ "$now" -gt "$peak" ] && peak=$now
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && running=1; done
    [ $running = 1 ] || break
    sleep 0.2
  done
  local seconds
  seconds=$(echo "$(date +%s.%N) - $started" | bc)
  sleep 1
  local after
  after=$(rss_kb "$SERVER_PID")
  for c in $(seq 1 "$CLIENTS"); do
    local status
    status=$(cat "$WORK/status-$name-$c")
    [ "$status" = 200 ] || { echo "upload $c against $name answered $status" >&2; tail -20 "$WORK/server-$name.log" >&2; }
  done
  local stored
  stored=$(sqlite3 "$data/dateline.sqlite" 'SELECT COUNT(*) FROM tip_attachments')
  stop_pid "$SERVER_PID"
  SERVER_PID=""
  echo "$before $peak $after $seconds $stored"
}

report() { # NAME before peak after seconds stored
  printf '%-10s RSS before %6.1f MB, peak %6.1f MB (+%5.1f MB), after %6.1f MB; %d x %d MB in %.0f s; %s attachments stored\n' \
    "$1" "$(echo "$2/1024" | bc -l)" "$(echo "$3/1024" | bc -l)" "$(echo "($3-$2)/1024" | bc -l)" \
    "$(echo "$4/1024" | bc -l)" "$CLIENTS" "$((FILE_MB * 5))" "$5" "$6"
}

say "$CLIENTS uploads of $((FILE_MB * 5)) MB at $RATE/s each against $BIN"
read -r b p a s n < <(run "$BIN" this)
report "this" "$b" "$p" "$a" "$s" "$n"
if [ -n "${REFERENCE_BIN:-}" ]; then
  say "the same against $REFERENCE_BIN"
  read -r rb rp ra rs rn < <(run "$REFERENCE_BIN" reference)
  report "reference" "$rb" "$rp" "$ra" "$rs" "$rn"
  printf 'growth ratio this/reference: %.3f\n' "$(echo "($p-$b)/($rp-$rb)" | bc -l)"
fi
