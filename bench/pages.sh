#!/usr/bin/env bash
# Every public page rendered on a page-cache MISS at archive scale (issue 13's benchmark: "with
# 100,000 articles, every public page renders on a miss in under 20 ms at p99").
#
# Builds the release binary (or takes DATELINE_BIN), makes a newsroom of ARTICLES generated
# articles (or reuses DATA_DIR), and starts `dateline serve` with a page cache of 0 MB, so that
# no page is ever stored and every request is a render: the cost of a miss, including the quick
# compression a miss pays; narration is off and the search index is built beforehand, so nothing
# else runs beside the requests. Then, one request at a time over one keep-alive connection (so the
# figure is the render, not queueing), it asks for each kind of page REQUESTS times, rotating
# over every list of the kind (each section, each author, the largest tags, each month):
#   front; section, author and tag pages at page 1, the middle page and the last page; the site,
#   section, author and corrections feeds in RSS, Atom and JSON Feed, and the site and section
#   podcasts; the sitemap index, each monthly sitemap, the sections, authors and news sitemaps;
#   the corrections page; and the article page as the reference (ratios are p99 against the
#   article's p99).
# Prints p50 and p99 per kind, the server's CPU time per request of the kind (user + system, all
# threads: the figure a busy neighbour on the machine disturbs least), and the server's resident
# memory (VmRSS, peak VmHWM) at the end.
# A benchmark, not a test: scripts/test does not run it. Only loopback is used.
#
# Environment: ARTICLES (100000), REQUESTS (200 per kind), DATELINE_BIN (skip the build),
# DATA_DIR (a data folder that has the articles already; skips generation; it is migrated by the
# binary under test, so give an older binary a copy), KEEP=1 (keep the temporary folder).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib.sh
. bench/lib.sh

ARTICLES=${ARTICLES:-100000}
REQUESTS=${REQUESTS:-200}

SERVER_PID=""
WORK=$(mktemp -d /tmp/dateline-pages-bench.XXXXXX)

cleanup() {
  stop_pid "$SERVER_PID"
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need_tools curl sqlite3

dateline_binary

DATA=${DATA_DIR:-$WORK/data}
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"

start_dateline() { # extra environment, e.g. DATELINE_PAGE_CACHE_MB=0
  env DATELINE_NEURAL_VOICE=off DATELINE_NARRATION=off "$@" "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" \
    >>"$WORK/dateline.log" 2>&1 &
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
  # With the search index written now, the server starts without building it during the run.
  say "dateline reindex"
  "$BIN" reindex --data-dir "$DATA"
fi

# No page is stored, so every answer below is a miss. The uncached-work limit is left as it is:
# one request at a time never reaches it.
say "dateline serve with DATELINE_PAGE_CACHE_MB=0 (every request a miss)"
start_dateline DATELINE_PAGE_CACHE_MB=0
DB="$DATA/dateline.sqlite"
sql() { sqlite3 -separator " " -cmd ".timeout 10000" "$DB" "$1"; }

published=$(sql "SELECT COUNT(*) FROM articles WHERE status = 'published'")
now_us=$(($(date +%s) * 1000000))

# ---- the URLs of each kind ------------------------------------------------------------------
# A list's pages: page 1, the middle page and the last, for every list given as "slug count".
list_urls() { # PREFIX KIND (reads "slug count" lines)
  while read -r slug count; do
    pages=$(( (count + 19) / 20 ))
    [ "$pages" -ge 1 ] || pages=1
    case $2 in
      1) echo "$1/$slug" ;;
      mid) [ "$pages" -ge 3 ] && echo "$1/$slug?page=$(( (pages + 1) / 2 ))" ;;
      last) [ "$pages" -ge 2 ] && echo "$1/$slug?page=$pages" ;;
    esac
  done
}
sections=$(sql "SELECT s.slug, COUNT(a.id) FROM sections s LEFT JOIN articles a ON a.section_id = s.id \
  AND a.status = 'published' AND a.first_published_at <= $now_us GROUP BY s.id ORDER BY s.position")
authors=$(sql "SELECT au.slug, COUNT(*) FROM authors au JOIN article_authors aa ON aa.author_id = au.id \
  JOIN articles a ON a.id = aa.article_id AND a.status = 'published' AND a.first_published_at <= $now_us \
  GROUP BY au.id ORDER BY au.slug")
# The twenty largest tags: the deepest tag pages there are.
tags=$(sql "SELECT t.slug, COUNT(*) AS n FROM tags t JOIN article_tags x ON x.tag_id = t.id \
  JOIN articles a ON a.id = x.article_id AND a.status = 'published' AND a.first_published_at <= $now_us \
  GROUP BY t.id ORDER BY n DESC LIMIT 20")
articles=$(sql "SELECT '/' || s.slug || '/' || a.slug FROM articles a JOIN sections s ON s.id = a.section_id \
  WHERE a.status = 'published' ORDER BY random() LIMIT $REQUESTS")

mkdir -p "$WORK/kinds"
kind() { cat >"$WORK/kinds/$1"; }
echo "$articles" | kind article
echo / | kind front
for page in 1 mid last; do
  list_urls "" "$page" <<<"$sections" | kind "section-$page"
  list_urls /authors "$page" <<<"$authors" | kind "author-$page"
  list_urls /tags "$page" <<<"$tags" | kind "tag-$page"
done
# Podcasts exist for the site and the sections only (`feeds::PODCAST_FILE`).
for file in rss.xml atom.xml feed.json podcast.xml; do
  echo "/feeds/$file" | kind "feed-site-$file"
  awk -v f="$file" '{print "/feeds/sections/" $1 "/" f}' <<<"$sections" | kind "feed-section-$file"
  [ "$file" = podcast.xml ] && continue
  awk -v f="$file" '{print "/feeds/authors/" $1 "/" f}' <<<"$authors" | kind "feed-author-$file"
  echo "/feeds/corrections/$file" | kind "feed-corrections-$file"
done
echo /sitemap.xml | kind sitemap-index
# Every monthly file the index lists: a busy month is split into parts (`URLS_PER_SITEMAP`).
curl -fsS "$URL/sitemap.xml" | grep -o '/sitemaps/articles-[0-9-]*\.xml' | kind sitemap-month
[ -s "$WORK/kinds/sitemap-month" ] || { echo "no monthly sitemap in the index" >&2; exit 1; }
for file in sections authors news; do echo "/sitemaps/$file.xml" | kind "sitemap-$file"; done
echo /corrections | kind corrections

# ---- measure ----------------------------------------------------------------------------------
# One connection, one request at a time, gzip as browsers ask; a first pass over every URL warms
# the database's pages (what stays cold on a real site is the page cache, not SQLite's).
python3 - "$URL" "$REQUESTS" "$WORK/kinds" "$SERVER_PID" <<'PY' | tee "$WORK/result.txt"
import http.client, os, sys, time, urllib.parse

base, requests, folder, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
host = urllib.parse.urlparse(base)
connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)

def get(path):
    connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
    response = connection.getresponse()
    response.read()
    return response.status

TICKS = os.sysconf("SC_CLK_TCK")

def server_cpu_ms():
    # utime + stime of the server (every thread), from /proc/PID/stat after the command name.
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / TICKS

def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]

order = ["article", "front"] + [f"{k}-{p}" for k in ("section", "author", "tag") for p in ("1", "mid", "last")]
order += sorted(k for k in os.listdir(folder) if k.startswith("feed-"))
order += ["sitemap-index", "sitemap-month", "sitemap-sections", "sitemap-authors", "sitemap-news", "corrections"]
results = {}
for kind in order:
    with open(os.path.join(folder, kind)) as f:
        paths = [line.split()[0] for line in f if line.strip()]
    if not paths:
        continue
    for path in paths:
        get(path)
    timings, failures = [], 0
    cpu_before = server_cpu_ms()
    for n in range(requests):
        path = paths[n % len(paths)]
        start = time.perf_counter()
        status = get(path)
        timings.append((time.perf_counter() - start) * 1000)
        failures += status != 200
    cpu = (server_cpu_ms() - cpu_before) / requests
    results[kind] = (percentile(timings, 50), percentile(timings, 99), cpu, len(paths), failures)

reference = results["article"][1]
print(f"{'kind':<32} {'p50 ms':>8} {'p99 ms':>8} {'p99/article':>11} {'cpu ms':>7} {'urls':>5}")
for kind, (p50, p99, cpu, urls, failures) in results.items():
    note = f"  ({failures} not 200)" if failures else ""
    print(f"{kind:<32} {p50:8.2f} {p99:8.2f} {p99 / reference:11.2f} {cpu:7.2f} {urls:5d}{note}")
worst = max((v[1], k) for k, v in results.items() if k != "article")
print(f"slowest kind at p99: {worst[1]} {worst[0]:.2f} ms")
with open(f"/proc/{pid}/status") as f:
    memory = {line.split(":")[0]: line.split(":")[1].strip() for line in f if line.startswith("Vm")}
print(f"server VmRSS {memory.get('VmRSS')}, VmHWM {memory.get('VmHWM')}")
PY

echo "==> $published published articles, $(nproc) cores, $REQUESTS requests per kind, page cache 0 MB"
