#!/usr/bin/env bash
# Kill -9 under writes (issue 12): readers post comments and tipsters send tips to the release
# server for SECONDS_TO_RUN s (default 30); halfway through it is killed with SIGKILL and started
# again. Every comment and tip that was answered with success must be stored exactly once, on
# SQLite and on PostgreSQL. This runs the suite's own test (crates/dateline/tests/durability.rs)
# against the release binary for longer; scripts/test --quick starts the throwaway PostgreSQL.
#
#   bench/durability.sh                    builds the release binary (DATELINE_BIN=path uses that one)
#   SECONDS_TO_RUN=60 bench/durability.sh

set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
. bench/lib.sh

dateline_binary
say "kill -9 halfway through ${SECONDS_TO_RUN:-30} s of comments and tips, against $BIN"
DATELINE_BIN=$BIN DATELINE_DURABILITY_SECONDS=${SECONDS_TO_RUN:-30} \
  scripts/test --quick -- -p dateline -E 'test(/kill_9/)' --no-capture 2>&1 \
  | grep -E '^durability:|PASS|FAIL|panicked|assert'
