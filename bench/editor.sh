#!/usr/bin/env bash
# The newsroom editor: how soon it is usable on the demo's reference article (a Chromium
# performance trace and the editor's own `editor-ready` mark), and how big its bundle is on the
# wire. See bench/README.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
. bench/lib.sh

dateline_binary
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dateline-bench-editor.XXXXXX")
PID=""
cleanup() { stop_pid "$PID"; [ "${KEEP:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT

PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
DATELINE_NEURAL_VOICE=off "$BIN" serve --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
PID=$!
wait_http "$URL/healthz" "$PID" "$WORK/server.log"
EMAIL=bench-editor@dateline.example
PASSWORD="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$PASSWORD" | "$BIN" user create --data-dir "$WORK/data" --email "$EMAIL" \
  --name "Bench Editor" --role editor >>"$WORK/server.log" 2>&1

say "bundle size (raw, and as the server precompresses it: gzip -9 and brotli)"
for asset in newsroom-editor.js newsroom-editor.css; do
  node -e '
    const fs = require("fs"), zlib = require("zlib");
    const b = fs.readFileSync(process.argv[1]);
    console.log(`    ${process.argv[2].padEnd(22)} ${String(b.length).padStart(8)} bytes ${String(zlib.gzipSync(b, { level: 9 }).length).padStart(8)} gzip ${String(zlib.brotliCompressSync(b).length).padStart(8)} brotli`);
  ' "crates/dateline-web/themes/default/static/$asset" "$asset"
done
say "editor ready on the reference article (RUNS=${RUNS:-15} cold loads)"
(cd tests/browser && [ -d node_modules ] || npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
DATELINE_URL="$URL" DATELINE_E2E_EDITOR_EMAIL="$EMAIL" DATELINE_E2E_EDITOR_PASSWORD="$PASSWORD" \
  node bench/editor-interactive.cjs
printf '    server RSS after the runs: %s\n' "$(grep VmRSS /proc/$PID/status | awk '{print $2, $3}')"
