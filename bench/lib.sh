# Shared by the benchmark scripts in bench/: sourced, not run.

say() { printf '==> %s\n' "$*"; }

# Stops a process politely, then firmly after 10 s.
stop_pid() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_http() { # URL PID LOG
  local deadline=$((SECONDS + 300))
  until curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; do
    if ! kill -0 "$2" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
      echo "no answer from $1; output:" >&2
      tail -n 40 "$3" >&2
      exit 1
    fi
    sleep 0.3
  done
}

# Installs the named commands with apt-get when any is missing.
need_tools() {
  local missing=()
  for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# The release binary: DATELINE_BIN if set, else a fresh `cargo build --release -p dateline`.
dateline_binary() {
  if [ -n "${DATELINE_BIN:-}" ]; then
    BIN=$DATELINE_BIN
  else
    say "cargo build --release -p dateline"
    cargo build --release -p dateline
    local target
    target=$(cargo metadata --format-version 1 --no-deps \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    BIN="$target/release/dateline"
  fi
}

# The load generator of bench/abuse.sh (bench/loadgen), built in release beside the server:
# LOADGEN_BIN if set.
loadgen_binary() {
  if [ -n "${LOADGEN_BIN:-}" ]; then
    LOADGEN=$LOADGEN_BIN
  else
    say "cargo build --release -p dateline-loadgen"
    cargo build --release -p dateline-loadgen
    local target
    target=$(cargo metadata --format-version 1 --no-deps \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    LOADGEN="$target/release/loadgen"
  fi
}

# SQL for N verified readers with sessions (EMAIL_PREFIX1@readers.example, ...), written straight
# into the database because the sign-up path has a per-address limit, as it should. Each session
# token is random and stored as its SHA-256 digest, like the server's own; "token csrf" lines go
# to SESSIONS_FILE. Pipe the output into sqlite3 (inside a transaction of your own).
reader_sessions_sql() { # N EMAIL_PREFIX NAME_PREFIX SESSIONS_FILE
  local now token csrf digest
  now=$(($(date +%s) * 1000000))
  : >"$4"
  for n in $(seq 1 "$1"); do
    token=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
    csrf=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
    digest=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
    echo "$token $csrf" >>"$4"
    echo "INSERT INTO readers (email, display_name, password_hash, verified_at, created_at) VALUES ('$2$n@readers.example', '$3 $n', '!', $now, $now);"
    echo "INSERT INTO reader_sessions (token_hash, reader_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ('$digest', last_insert_rowid(), '$csrf', $now, $now, $((now + 86400000000)));"
  done
}
