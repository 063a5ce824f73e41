#!/usr/bin/env bash
# Neural narration speed and memory (issue 7's benchmark, the synthesis part).
#
# Synthesises the reference article's spoken text (reference/seed-article.txt: headline, standfirst
# and body, normalised and split as the narration job does) with the Kokoro voice on 2 intra-op
# threads, and reports seconds of audio per wall-clock second (goal >= 2x) and the peak resident
# memory of the process (goal <= 600 MB, from /usr/bin/time -v). The machine's other load counts:
# note it (uptime) next to the figures.
#
# Environment: VOICE (af_heart), DATA_DIR (a data folder with voices/ installed; default
# /var/cache/dateline, installed with `dateline voices install` when missing), ARTICLE (the saved
# page), WAV=path (also write the audio, to listen to it).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib.sh
. bench/lib.sh

VOICE=${VOICE:-af_heart}
DATA_DIR=${DATA_DIR:-/var/cache/dateline}
ARTICLE=${ARTICLE:-/work/shared/reference/seed-article.txt}
[ -f "$ARTICLE" ] || ARTICLE="$ROOT/reference/seed-article.txt"
[ -f "$ARTICLE" ] || { echo "no reference article; set ARTICLE" >&2; exit 1; }
[ -x /usr/bin/time ] || need_tools time

say "cargo build --release -p dateline-kokoro --example narrate"
cargo build --release -p dateline-kokoro --example narrate
TARGET=$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

if [ ! -f "$DATA_DIR/voices/installed" ]; then
  say "installing the voice assets into $DATA_DIR"
  cargo run --release --quiet -p dateline -- voices install --data-dir "$DATA_DIR"
fi

say "load before: $(uptime)"
TIMES=$(mktemp /tmp/dateline-narration-bench.XXXXXX)
trap 'rm -f "$TIMES"' EXIT
OUT=$(mktemp /tmp/dateline-narration-out.XXXXXX)
trap 'rm -f "$TIMES" "$OUT"' EXIT
/usr/bin/time -v -o "$TIMES" "$TARGET/release/examples/narrate" "$DATA_DIR" "$ARTICLE" "$VOICE" ${WAV:+"$WAV"} | tee "$OUT"
say "load after:  $(uptime)"
peak_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TIMES")
cpu=$(awk -F': ' '/Percent of CPU this job got/ {print $2}' "$TIMES")
echo "peak RSS         $((peak_kb / 1024)) MB"
cpu_seconds=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$TIMES")
audio=$(awk '/^audio / {print $2}' "$OUT")
echo "CPU              $cpu of one core on average, $cpu_seconds CPU-seconds (2 intra-op threads)"
echo "audio per CPU-s  $(awk -v a="$audio" -v c="$cpu_seconds" 'BEGIN {printf "%.2f", a / c}') s (x2 is what two idle cores would give)"
