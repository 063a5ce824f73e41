#!/usr/bin/env bash
# End-to-end import benchmark (issue 15): a generated WordPress export of POSTS posts and COMMENTS
# comments (10,000 and 50,000 by default, the issue's size; images excluded) imported by the
# release binary into an empty SQLite site, every item its own transaction. Reports the wall
# time and peak RSS of the import, and, measured in the same run on the same file, of reading it
# into a plan only (the `import_parse` example), so the writing's share shows as a ratio. Then a
# second run of the same import (everything unchanged), which is what a re-run costs.
# Writes nothing outside a temporary folder, which it removes.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

POSTS=${POSTS:-10000}
COMMENTS=${COMMENTS:-50000}

[ -x /usr/bin/time ] || { say "installing GNU time"; apt-get install -y -qq time >/dev/null; }

say "building the release binary and the generator"
cargo build --release -q -p dateline --bin dateline
cargo build --release -q -p dateline-import --example import_parse
target_dir=${CARGO_TARGET_DIR:-target}
dateline="$target_dir/release/dateline"
parse="$target_dir/release/examples/import_parse"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export_file="$work/export.xml"
say "generating $POSTS posts with $COMMENTS comments"
"$parse" generate "$export_file" "$POSTS" "$COMMENTS"
say "export: $(du -h "$export_file" | cut -f1)"

timed() { # label command...
  local label=$1; shift
  /usr/bin/time -f '%e %M' -o "$work/$label.time" "$@" >"$work/$label.out" 2>"$work/$label.err" || {
    tail -n 20 "$work/$label.err" >&2; exit 1; }
  cat "$work/$label.time"
}

say "reference: reading the export into a plan"
read -r ref_s ref_kb < <(timed parse "$parse" wordpress "$export_file")
say "import into an empty site"
export DATELINE_DATA_DIR="$work/site"
read -r imp_s imp_kb < <(timed import "$dateline" import wordpress "$export_file" --report "$work/report.json")
cat "$work/import.out"
say "the same import again (everything unchanged)"
read -r again_s again_kb < <(timed again "$dateline" import wordpress "$export_file" --report "$work/again.json")

printf '\n%-40s %10s %12s\n' "" "seconds" "peak RSS MB"
printf '%-40s %10s %12.1f\n' "read into a plan (reference)" "$ref_s" "$(echo "$ref_kb / 1024" | bc -l)"
printf '%-40s %10s %12.1f\n' "dateline import wordpress" "$imp_s" "$(echo "$imp_kb / 1024" | bc -l)"
printf '%-40s %10s %12.1f\n' "dateline import wordpress, again" "$again_s" "$(echo "$again_kb / 1024" | bc -l)"
printf 'ratio import/reference: %.1fx time\n' "$(echo "$imp_s / $ref_s" | bc -l)"
