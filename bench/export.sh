#!/usr/bin/env bash
# Export and import benchmark (issue 15, item 5): a site of the demo newsroom plus ARTICLES
# generated articles (10,000 by default) is exported with `dateline export --to` and imported into
# an empty site with `dateline import dateline`, by the release build (or DATELINE_BIN). Reports
# wall time and peak resident memory (GNU time's maximum RSS) of each, against references measured
# in the same run on the same site: `dateline backup` (the same binary writing its archive) for the
# export, `dateline restore` of that archive for the import, and `sqlite3 .dump` (a plain SQL text
# dump of the same database) for both. Peak RSS that stays flat as ARTICLES grows is the point:
# rows are streamed 500 at a time.
# Writes nothing outside a temporary folder, which it removes.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ARTICLES=${ARTICLES:-10000}
need_tools sqlite3
[ -x /usr/bin/time ] || need_tools time

if [ -n "${DATELINE_BIN:-}" ]; then
  bin=$DATELINE_BIN
else
  say "building the release binary"
  cargo build --release -q -p dateline
  bin="${CARGO_TARGET_DIR:-target}/release/dateline"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DATELINE_NEURAL_VOICE=off DATELINE_LOG=warn
origin=(--data-dir "$work/origin")
copy=(--data-dir "$work/copy")
restored=(--data-dir "$work/restored")

say "generating the demo newsroom and $ARTICLES articles"
"$bin" demo "${origin[@]}" --articles "$ARTICLES" >/dev/null

measure() { # label command...: "seconds peak-MB"
  local label=$1; shift
  /usr/bin/time -f '%e %M' -o "$work/$label.time" "$@" >"$work/$label.out" 2>&1 \
    || { cat "$work/$label.out" >&2; exit 1; }
  awk '{printf "%s %.1f\n", $1, $2 / 1024}' "$work/$label.time"
}

say "dateline export --to"
read -r export_s export_mb < <(measure export "$bin" export "${origin[@]}" --to "$work/export")
say "dateline import dateline"
read -r import_s import_mb < <(measure import "$bin" import dateline "${copy[@]}" "$work/export")
say "reference: dateline backup"
read -r backup_s backup_mb < <(measure backup "$bin" backup "${origin[@]}" --to "$work/site.tar.gz")
say "reference: dateline restore"
read -r restore_s restore_mb < <(measure restore "$bin" restore "${restored[@]}" "$work/site.tar.gz")
say "reference: sqlite3 .dump"
db=$(ls "$work"/origin/*.sqlite | head -1)
read -r dump_s dump_mb < <(measure dump sh -c "sqlite3 '$db' .dump > '$work/dump.sql'")

rows=$(grep -o '"articles": [0-9]*' "$work/export/manifest.json" | head -1 | grep -o '[0-9]*$')
printf '\n%d articles exported (%s on disk, %s of it media)\n' "$rows" \
  "$(du -sh "$work/export" | cut -f1)" "$(du -sh "$work/export/media" | cut -f1)"
printf '%-34s %10s %12s\n' "" "seconds" "peak RSS MB"
printf '%-34s %10s %12s\n' "dateline export --to" "$export_s" "$export_mb"
printf '%-34s %10s %12s\n' "dateline import dateline" "$import_s" "$import_mb"
printf '%-34s %10s %12s\n' "dateline backup (reference)" "$backup_s" "$backup_mb"
printf '%-34s %10s %12s\n' "dateline restore (reference)" "$restore_s" "$restore_mb"
printf '%-34s %10s %12s\n' "sqlite3 .dump (reference)" "$dump_s" "$dump_mb"
printf 'ratios: export/backup %.2fx, import/restore %.2fx, export/.dump %.2fx\n' \
  "$(echo "$export_s / $backup_s" | bc -l)" "$(echo "$import_s / $restore_s" | bc -l)" \
  "$(echo "$export_s / $dump_s" | bc -l)"
