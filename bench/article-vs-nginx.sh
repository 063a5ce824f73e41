#!/usr/bin/env bash
# How close is Dateline's cached article page to nginx serving the same bytes from disk?
#
# Builds the release binary, makes a newsroom of 10,000 generated articles, saves the reference
# article exactly as Dateline serves it (plain and gzip), has nginx serve those bytes
# (gzip_static on), loads both with wrk, and prints requests/s, p99 latency and Dateline's memory.
# A benchmark, not a test: scripts/test does not run it. Only loopback is used.
#
# Environment: ARTICLES (10000), DURATION (10s), CONNECTIONS (64), THREADS (2),
# DATELINE_BIN (skip the build and use this binary), KEEP=1 (keep the temporary folder).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib.sh
. bench/lib.sh

ARTICLES=${ARTICLES:-10000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
REF=/politics/trump-invites-colombias-gustavo-petro-to-white-house-after-confrontation

SERVER_PID=""
NGINX_PID=""
WORK=$(mktemp -d /tmp/dateline-bench.XXXXXX)
chmod 755 "$WORK" # nginx workers run as an unprivileged user and must read the files

cleanup() {
  stop_pid "$SERVER_PID"
  stop_pid "$NGINX_PID"
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- tools ----------------------------------------------------------------------------------
need_tools nginx wrk curl

# ---- Dateline -------------------------------------------------------------------------------
dateline_binary

DATA="$WORK/data"
DPORT=$(free_port)
DURL="http://127.0.0.1:$DPORT"

start_dateline() {
  DATELINE_NEURAL_VOICE=off "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$DPORT" >>"$WORK/dateline.log" 2>&1 &
  SERVER_PID=$!
  wait_http "$DURL/healthz" "$SERVER_PID" "$WORK/dateline.log"
}

# The first start loads the demo newsroom (with the reference article) into the empty database;
# the generated articles go in while no server holds the database.
say "first start (demo newsroom)"
start_dateline
stop_pid "$SERVER_PID"; SERVER_PID=""
say "dateline demo --articles $ARTICLES"
t0=$SECONDS
"$BIN" demo --articles "$ARTICLES" --data-dir "$DATA"
echo "    took $((SECONDS - t0)) s"
start_dateline

# ---- the same bytes for nginx ---------------------------------------------------------------
mkdir -p "$WORK/www"
status=$(curl -sS -o "$WORK/www/article.html" -w '%{http_code}' -H 'Accept-Encoding: identity' "$DURL$REF")
[ "$status" = 200 ] || { echo "GET $REF answered $status" >&2; exit 1; }
enc=$(curl -sS -o "$WORK/www/article.html.gz" -D - -H 'Accept-Encoding: gzip' "$DURL$REF" \
  | tr -d '\r' | awk -F': ' 'tolower($1)=="content-encoding"{print $2}')
if [ "$enc" != gzip ]; then
  echo "note: Dateline answered Accept-Encoding: gzip with Content-Encoding '${enc:-none}'; nginx gets gzip -9 of the page" >&2
  gzip -9 -n -c "$WORK/www/article.html" >"$WORK/www/article.html.gz"
fi
chmod -R a+rX "$WORK/www"
echo "    article: $(stat -c %s "$WORK/www/article.html") bytes, gzip $(stat -c %s "$WORK/www/article.html.gz") bytes"

NPORT=$(free_port)
mkdir -p "$WORK/nginx/tmp"
cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  open_file_cache max=100;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  server {
    listen 127.0.0.1:$NPORT;
    root $WORK/www;
    gzip_static on;
    location = $REF { default_type text/html; try_files /article.html =404; }
  }
}
EOF
nginx -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
NURL="http://127.0.0.1:$NPORT"
wait_http "$NURL$REF" "$NGINX_PID" "$WORK/nginx/error.log"
nenc=$(curl -sS -o /dev/null -D - -H 'Accept-Encoding: gzip' "$NURL$REF" | tr -d '\r' \
  | awk -F': ' 'tolower($1)=="content-encoding"{print $2}')
[ "$nenc" = gzip ] || { echo "nginx did not serve the .gz file (Content-Encoding '${nenc:-none}')" >&2; exit 1; }

# ---- load -----------------------------------------------------------------------------------
run_wrk() { # NAME URL
  say "$1: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -H 'Accept-Encoding: gzip'"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -H 'Accept-Encoding: gzip' "$2" >/dev/null # warm-up
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H 'Accept-Encoding: gzip' "$2" | tee "$WORK/wrk-$1.txt"
  if grep -q 'Non-2xx' "$WORK/wrk-$1.txt"; then echo "warning: $1 answered some requests with errors" >&2; fi
}

rps() { awk '/^Requests\/sec:/{print $2}' "$1"; }
# wrk prints latency percentiles as e.g. "99%    1.23ms"; print milliseconds.
p99_ms() {
  awk '$1=="99%"{v=$2; u=v; gsub(/[0-9.]/,"",u); gsub(/[a-z]/,"",v);
    if(u=="us") v/=1000; else if(u=="s") v*=1000; else if(u=="m") v*=60000; printf "%.3f", v}' "$1"
}

run_wrk dateline "$DURL$REF"
run_wrk nginx "$NURL$REF"

rss=$(awk '/^VmRSS/{print $2, $3}' "/proc/$SERVER_PID/status")
hwm=$(awk '/^VmHWM/{print $2, $3}' "/proc/$SERVER_PID/status")
nginx_rss=0
for p in $(pgrep -P "$NGINX_PID") "$NGINX_PID"; do
  nginx_rss=$((nginx_rss + $(awk '/^VmRSS/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
done

d_rps=$(rps "$WORK/wrk-dateline.txt")
n_rps=$(rps "$WORK/wrk-nginx.txt")
echo
echo "==> result: reference article, gzip, $CONNECTIONS connections, $THREADS wrk threads, $DURATION, $(nproc) cores"
printf '    %-10s %12s req/s   p99 %9s ms\n' dateline "$d_rps" "$(p99_ms "$WORK/wrk-dateline.txt")"
printf '    %-10s %12s req/s   p99 %9s ms\n' nginx "$n_rps" "$(p99_ms "$WORK/wrk-nginx.txt")"
printf '    ratio dateline/nginx: %s\n' "$(awk -v a="$d_rps" -v b="$n_rps" 'BEGIN{printf "%.2f", (b>0)? a/b : 0}')"
printf '    dateline memory after the run: VmRSS %s, VmHWM %s (%s articles)\n' "$rss" "$hwm" "$ARTICLES"
printf '    nginx memory (master + workers): VmRSS %s kB\n' "$nginx_rss"
