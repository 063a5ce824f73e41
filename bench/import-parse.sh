#!/usr/bin/env bash
# Parse + convert benchmark for the importer's reading half (issue 15): a generated WordPress export
# of POSTS posts and COMMENTS comments (10,000 and 50,000 by default, the issue's size) read into an
# import plan by the release build, RUNS times. Reports the median wall time and peak resident memory
# (GNU time's maximum RSS), and the same for a reference measured in the same run on the same file:
# libxml2's streaming parser (`xmllint --stream --noout`), which only checks the XML.
# Writes nothing outside a temporary folder, which it removes.
# First run (2026-12-07, shared 2-core machine at load ~14): 80 MB export, import 12.84 s median and
# 191 MB peak RSS; xmllint 1.68 s, 4.9 MB: 7.6x the reference.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

POSTS=${POSTS:-10000}
COMMENTS=${COMMENTS:-50000}
RUNS=${RUNS:-3}

command -v xmllint >/dev/null || { say "installing libxml2-utils (xmllint)"; apt-get install -y -qq libxml2-utils >/dev/null; }
[ -x /usr/bin/time ] || { say "installing GNU time"; apt-get install -y -qq time >/dev/null; }

say "building the release example"
cargo build --release -q -p dateline-import --example import_parse
target_dir=${CARGO_TARGET_DIR:-target}
bin="$target_dir/release/examples/import_parse"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export_file="$work/export.xml"
say "generating $POSTS posts with $COMMENTS comments"
"$bin" generate "$export_file" "$POSTS" "$COMMENTS"
say "export: $(du -h "$export_file" | cut -f1)"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

measure() { # label command...
  local label=$1; shift
  : >"$work/$label.times"
  for _ in $(seq 1 "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$work/$label.one" "$@" >"$work/$label.out"
    cat "$work/$label.one" >>"$work/$label.times"
  done
  echo "$(cut -d' ' -f1 "$work/$label.times" | median) $(cut -d' ' -f2 "$work/$label.times" | median)"
}

say "reference: xmllint --stream --noout ($RUNS runs)"
read -r ref_s ref_kb < <(measure reference xmllint --stream --noout "$export_file")
say "dateline-import: parse + convert to a plan ($RUNS runs)"
read -r imp_s imp_kb < <(measure import "$bin" wordpress "$export_file")
cat "$work/import.out"

printf '\n%-34s %10s %12s\n' "" "median s" "peak RSS MB"
printf '%-34s %10s %12.1f\n' "xmllint --stream (reference)" "$ref_s" "$(echo "$ref_kb / 1024" | bc -l)"
printf '%-34s %10s %12.1f\n' "dateline-import wordpress::read" "$imp_s" "$(echo "$imp_kb / 1024" | bc -l)"
printf 'ratio import/reference: %.1fx time\n' "$(echo "$imp_s / $ref_s" | bc -l)"
