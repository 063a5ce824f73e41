#!/usr/bin/env bash
# Load test of the discussion (issue 5): 200 signed-in readers post comments for 30 s against the
# real release server (demo newsroom, SQLite) while four readers load the article page. Afterwards
# every comment that got a success answer must be in the database exactly once, and nothing else
# from the run may be there; the article page's p99 must stay under 50 ms.
#
#   bench/comments.sh              builds the release binary (or DATELINE_BIN=path uses that one)
#   READERS=50 SECONDS_TO_RUN=10 bench/comments.sh   a smaller run
#
# Readers and their sessions are written straight into the database (the sign-up path has a
# per-address limit, as it should): each gets a random session token, stored as its SHA-256
# digest like the server's own sessions. Moderation is set to post-moderation with nobody held, so
# every comment is approved and drops the article page from the cache: the worst case for p99.

set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
. bench/lib.sh

READERS=${READERS:-200}
export SECONDS_TO_RUN=${SECONDS_TO_RUN:-30}
export PAGE_FETCHERS=${PAGE_FETCHERS:-4}
LEAD=/politics/trump-invites-colombias-gustavo-petro-to-white-house-after-confrontation

need_tools sqlite3 curl node
dateline_binary
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dateline-bench-comments.XXXXXX")
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
SERVER_PID=""
cleanup() { stop_pid "$SERVER_PID"; rm -rf "$WORK"; }
trap cleanup EXIT

say "starting $BIN serve on $BASE (demo newsroom)"
DATELINE_NEURAL_VOICE=off "$BIN" serve --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
wait_http "$BASE/healthz" "$SERVER_PID" "$WORK/server.log"
DB="$WORK/data/dateline.sqlite"

ARTICLE_ID=$(curl -fsS "$BASE$LEAD" | grep -o 'href="/discussion/[0-9]*#comment-form"' | head -1 | grep -o '[0-9]\+')
[ -n "$ARTICLE_ID" ] || { echo "no discussion link on $LEAD" >&2; exit 1; }

say "creating $READERS verified readers with sessions"
{
  echo "BEGIN;"
  echo "UPDATE comment_settings SET mode = 'post', premoderate_first = 0, premoderate_links = 0;"
  reader_sessions_sql "$READERS" bench "Bench reader" "$WORK/sessions"
  echo "COMMIT;"
} | sqlite3 -cmd ".timeout 10000" "$DB"

say "$READERS readers posting for $SECONDS_TO_RUN s, $PAGE_FETCHERS readers loading $LEAD"
node bench/comments-load.js "$BASE" "$LEAD" "$ARTICLE_ID" "$WORK/sessions" "$WORK/accepted" | tee "$WORK/result.json"

say "checking the database against every success answer"
sqlite3 -cmd ".timeout 10000" -separator $'\t' "$DB" \
  "SELECT id, body FROM comments WHERE body LIKE 'Bench comment %' ORDER BY id" >"$WORK/stored"
accepted=$(wc -l <"$WORK/accepted")
stored=$(wc -l <"$WORK/stored")
missing=$(comm -23 <(sort "$WORK/accepted") <(sort "$WORK/stored") | wc -l)
unanswered=$(comm -13 <(sort "$WORK/accepted") <(sort "$WORK/stored") | wc -l)
twice=$(cut -f2 "$WORK/stored" | sort | uniq -d | wc -l)
echo "accepted: $accepted, stored: $stored, missing: $missing, stored without a success answer: $unanswered, bodies stored twice: $twice"
p99=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).article_ms.p99)' "$WORK/result.json")
status=0
[ "$missing" -eq 0 ] && [ "$twice" -eq 0 ] || { echo "FAIL: the database does not match the answers" >&2; status=1; }
awk -v p="$p99" 'BEGIN { exit !(p < 50) }' || { echo "FAIL: article page p99 ${p99} ms is not under 50 ms" >&2; status=1; }
[ $status -eq 0 ] && say "ok: every accepted comment stored exactly once; article page p99 ${p99} ms"
exit $status
