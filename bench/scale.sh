#!/usr/bin/env bash
# Three `dateline serve` nodes behind Varnish, on loopback: PostgreSQL (a throwaway cluster),
# SeaweedFS (S3) and Varnish with the shipped VCL, 10,000 generated articles. Measures
#   - cached requests/s and p99 through Varnish (wrk) on the front page and an article, against
#     Varnish serving a static stand-in page as the reference measured in the same run;
#   - publish-to-visible: from the Admin API's answer to a publish until the front page through
#     Varnish shows the new headline (ROUNDS times; median and worst);
#   - each node's resident memory (VmRSS, VmHWM) after the load.
# Not a test: it prints figures. Environment: ARTICLES (10000), DURATION (10s), CONNECTIONS (64),
# ROUNDS (20), DATELINE_BIN (skip the release build), DATELINE_TEST_WEED (the weed binary),
# KEEP=1 (keep the temporary folder with the logs).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ARTICLES=${ARTICLES:-10000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-20}
need_tools wrk curl varnishd python3
dateline_binary
WEED=${DATELINE_TEST_WEED:-tests/.venv/bin/weed}
[ -x "$WEED" ] || { echo "no weed binary at $WEED: run scripts/test once, or set DATELINE_TEST_WEED" >&2; exit 1; }
PGBIN=${DATELINE_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}

WORK=$(mktemp -d /tmp/dateline-scale.XXXXXX)
# The cluster runs as the postgres user, who must reach its folder inside.
chmod 0755 "$WORK"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  [ -f "$WORK/pg/data/postmaster.pid" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m fast stop >/dev/null 2>&1 || true
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

say "PostgreSQL (throwaway cluster)"
mkdir -p "$WORK/pg"; chown postgres: "$WORK/pg"
PGPORT=$(free_port)
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/pg/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
cat >>"$WORK/pg/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$WORK/pg'
max_connections = 200
CONF
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w start >/dev/null
export DATELINE_DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"

say "SeaweedFS (S3 on loopback)"
mkdir -p "$WORK/weed"
cat >"$WORK/weed/s3.json" <<'JSON'
{"identities": [{"name": "dateline", "credentials": [{"accessKey": "bench", "secretKey": "bench-secret"}],
  "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}
JSON
S3PORT=$(free_port)
MASTER=$(free_port)
"$WEED" mini -dir="$WORK/weed/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$S3PORT" \
  -s3.config="$WORK/weed/s3.json" -master.port="$MASTER" -volume.port="$(free_port)" \
  -filer.port="$(free_port)" -admin.port="$(free_port)" -master.telemetry=false -webdav=false \
  -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0 >"$WORK/weed/log" 2>&1 &
PIDS+=($!)
until curl -s -o /dev/null "http://127.0.0.1:$S3PORT/"; do sleep 0.3; done
export DATELINE_STORAGE_URL="s3://dateline-bench?endpoint=http://127.0.0.1:$S3PORT&region=us-east-1&access_key_id=bench&secret_access_key=bench-secret"
export DATELINE_NEURAL_VOICE=off DATELINE_NARRATION=off
# The bucket, made with weed's own shell (S3 clients sign; this needs no keys on loopback).
# The shell can hang while the master is still electing itself; each try gets 20 s.
until echo "s3.bucket.create -name dateline-bench" | timeout 20 "$WEED" shell -master="127.0.0.1:$MASTER" \
  >>"$WORK/weed/shell.log" 2>&1 && ! curl -s "http://127.0.0.1:$S3PORT/dateline-bench" | grep -q NoSuchBucket; do
  sleep 0.5
done

NODE_PORTS=($(free_port) $(free_port) $(free_port))
VPORT=$(free_port)
export DATELINE_CDN_PURGE_URLS="http://127.0.0.1:$VPORT"

say "the demo newsroom, then $ARTICLES generated articles"
"$BIN" migrate --data-dir "$WORK/node0" >"$WORK/migrate.log" 2>&1
"$BIN" serve --data-dir "$WORK/node0" --listen "127.0.0.1:${NODE_PORTS[0]}" >"$WORK/first.log" 2>&1 &
first=$!
wait_http "http://127.0.0.1:${NODE_PORTS[0]}/healthz" "$first" "$WORK/first.log"
stop_pid "$first"
"$BIN" demo --articles "$ARTICLES" --data-dir "$WORK/node0" >"$WORK/demo.log" 2>&1

say "an Admin API token for the publishing rounds"
TOKEN="dlt_bench_scale_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
DIGEST=$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)
psql -q "$DATELINE_DATABASE_URL" <<SQL
INSERT INTO api_tokens (name, role, secret_hash, created_by, created_at, expires_at)
SELECT 'bench scale', 'editor', '$DIGEST', id, EXTRACT(EPOCH FROM now())::BIGINT * 1000000,
       (EXTRACT(EPOCH FROM now())::BIGINT + 86400) * 1000000
FROM staff WHERE role = 'admin' ORDER BY id LIMIT 1;
SQL
# A token speaks for no author of its own, so each publish names a byline.
BYLINE=$(psql -qtA "$DATELINE_DATABASE_URL" -c "SELECT slug FROM authors ORDER BY id LIMIT 1")

say "three nodes"
for n in 0 1 2; do
  "$BIN" serve --no-demo --data-dir "$WORK/node$n" --listen "127.0.0.1:${NODE_PORTS[$n]}" >"$WORK/node$n.log" 2>&1 &
  NODE_PIDS[$n]=$!
  PIDS+=(${NODE_PIDS[$n]})
  wait_http "http://127.0.0.1:${NODE_PORTS[$n]}/healthz" "${NODE_PIDS[$n]}" "$WORK/node$n.log"
done

say "Varnish in front (deploy/varnish/dateline.vcl)"
mkdir -p "$WORK/varnish"
{
  for n in 0 1 2; do echo "backend node$n { .host = \"127.0.0.1\"; .port = \"${NODE_PORTS[$n]}\"; }"; done
  echo 'acl dateline_purgers { "127.0.0.1"; }'
  echo 'sub vcl_init { new dateline_nodes = directors.round_robin();'
  for n in 0 1 2; do echo "  dateline_nodes.add_backend(node$n);"; done
  echo '}'
} >"$WORK/varnish/dateline-site.vcl"
varnishd -F -j none -T none -n "$WORK/varnish/n" -P "$WORK/varnish/pid" -a "127.0.0.1:$VPORT" \
  -f "$PWD/deploy/varnish/dateline.vcl" -p "vcl_path=$WORK/varnish" -s malloc,256m \
  >"$WORK/varnish/log" 2>&1 &
PIDS+=($!)
until curl -s -o /dev/null "http://127.0.0.1:$VPORT/healthz"; do sleep 0.2; done
V="http://127.0.0.1:$VPORT"

ARTICLE=$(curl -s "$V/" | grep -o 'href="/[a-z-]*/[a-z0-9-]*"' | head -1 | cut -d'"' -f2)
STATIC=$(curl -s "$V/" | grep -o '/static/[^"]*\.css' | head -1)
for path in / "$ARTICLE" "$STATIC"; do curl -s -o /dev/null -H 'Accept-Encoding: gzip' "$V$path"; done

bench_path() { # LABEL PATH
  local out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H 'Accept-Encoding: gzip' "$V$2")
  printf '%-28s %10s req/s   p99 %s\n' "$1" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1 == "99%" {print $2}' <<<"$out")"
}
say "cached requests through Varnish ($DURATION, $CONNECTIONS connections)"
bench_path "reference: static asset" "$STATIC"
bench_path "front page" "/"
bench_path "article $ARTICLE" "$ARTICLE"

say "publish to visible through Varnish ($ROUNDS rounds)"
: >"$WORK/visible.txt"
for round in $(seq 1 "$ROUNDS"); do
  headline="Scale bench round $round $(date +%s%N)"
  id=$(curl -fsS -X POST "http://127.0.0.1:${NODE_PORTS[$((round % 3))]}/api/v1/admin/articles" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"section\": \"politics\", \"headline\": \"$headline\", \"standfirst\": \"Bench.\", \"body\": \"Bench.\", \"authors\": [\"$BYLINE\"]}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  curl -fsS -o /dev/null -X POST "http://127.0.0.1:${NODE_PORTS[$((round % 3))]}/api/v1/admin/articles/$id/publish" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{}'
  start=$(date +%s%N)
  until curl -s "$V/" | grep -q "$headline"; do
    [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 10000 ] || { echo "round $round: not visible in 10 s" >&2; break; }
    sleep 0.02
  done
  echo $(( ($(date +%s%N) - start) / 1000000 )) >>"$WORK/visible.txt"
done
sort -n "$WORK/visible.txt" | awk '{v[NR]=$1} END {printf "publish to visible: median %d ms, worst %d ms (%d rounds)\n", v[int((NR+1)/2)], v[NR], NR}'

say "resident memory of each node after the load"
for n in 0 1 2; do
  printf 'node %d: %s, peak %s\n' "$n" \
    "$(awk '/VmRSS/ {print $2" "$3}' "/proc/${NODE_PIDS[$n]}/status")" \
    "$(awk '/VmHWM/ {print $2" "$3}' "/proc/${NODE_PIDS[$n]}/status")"
done
