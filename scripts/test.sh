#!/usr/bin/env bash
# Runs go vet and every test against SQLite and a real MySQL/MariaDB.
# MySQL: $MYSQL_TEST_DSN if set (a server DSN such as "root@tcp(127.0.0.1:3306)/");
# else a server answering on 127.0.0.1:3306; else a private MariaDB started here
# (installed with apt when root and missing) on a spare port with its own data
# directory, stopped at the end. It never skips MySQL silently.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '== %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

private_dir=""
private_pid=""
cleanup() {
  if [ -n "$private_pid" ]; then
    kill "$private_pid" 2>/dev/null || true
    wait "$private_pid" 2>/dev/null || true
  fi
  [ -n "$private_dir" ] && rm -rf "$private_dir"
  return 0
}
trap cleanup EXIT

start_private_mariadb() {
  if ! command -v mariadbd >/dev/null && ! [ -x /usr/sbin/mariadbd ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      log "installing MariaDB with apt"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >/dev/null
      apt-get install -y -qq mariadb-server >/dev/null
    else
      echo "no MySQL/MariaDB: set MYSQL_TEST_DSN, start one on 127.0.0.1:3306, or run as root to install MariaDB" >&2
      exit 1
    fi
  fi
  local mariadbd; mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
  local port=23306 # below the ephemeral range (32768 and up), where an outgoing connection may take it first
  while port_open "$port"; do port=$((port + 1)); done
  private_dir=$(mktemp -d /tmp/studentaid-mariadb.XXXXXX)
  log "starting a private MariaDB on 127.0.0.1:$port ($private_dir)"
  # Its own tmpdir: at start MariaDB deletes #sql* files in its tmpdir, which
  # in /tmp would include another server's temporary tables.
  mkdir -p "$private_dir/tmp"
  mariadb-install-db --no-defaults --datadir="$private_dir/data" --user="$(id -un)" \
    --auth-root-authentication-method=normal >"$private_dir/install.log" 2>&1
  "$mariadbd" --no-defaults --datadir="$private_dir/data" --tmpdir="$private_dir/tmp" --port="$port" --bind-address=127.0.0.1 \
    --socket="$private_dir/mysqld.sock" --user="$(id -un)" --skip-log-bin \
    --innodb-buffer-pool-size=256M --max-connections=500 >"$private_dir/server.log" 2>&1 &
  private_pid=$!
  for _ in $(seq 1 60); do
    port_open "$port" && break
    sleep 0.5
  done
  port_open "$port" || { cat "$private_dir/server.log" >&2; echo "private MariaDB did not start" >&2; exit 1; }
  export MYSQL_TEST_DSN="root@tcp(127.0.0.1:$port)/"
}

if [ -n "${MYSQL_TEST_DSN:-}" ]; then
  log "MySQL from MYSQL_TEST_DSN"
elif [ "${STUDENTAID_PRIVATE_DB:-}" != 1 ] && port_open 3306; then
  log "MySQL/MariaDB answering on 127.0.0.1:3306"
  export MYSQL_TEST_DSN="root@tcp(127.0.0.1:3306)/"
else
  start_private_mariadb
fi
export STUDENTAID_REQUIRE_MYSQL=1

# The web page's end-to-end tests drive Debian's headless Chromium: install it
# when root and missing (CJK fonts so the screenshots are readable), and make a
# missing browser a failure rather than a skip.
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing Chromium with apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "no chromium: run as root to install it, or apt-get install chromium" >&2
    exit 1
  fi
fi
export STUDENTAID_REQUIRE_BROWSER=1

# The Galera test (service/galera_test.go) starts a three-node cluster from
# the galera-4 package, joined by rsync state transfer: install both when
# root and missing, and run it whenever the provider is there.
if ! [ -e /usr/lib/galera/libgalera_smm.so ] || ! command -v rsync >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing galera-4 and rsync with apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq galera-4 rsync >/dev/null
  fi
fi
if [ -e /usr/lib/galera/libgalera_smm.so ] && command -v rsync >/dev/null; then
  export STUDENTAID_GALERA_TEST=1
else
  log "galera-4 or rsync missing (not root): the Galera cluster test is skipped"
fi

log "gofmt, go vet, go mod tidy"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  printf 'not gofmt-formatted:\n%s\n' "$unformatted" >&2
  exit 1
fi
go vet ./...
# go.mod and go.sum are what tidy makes of the code: direct requirements
# without "// indirect", test-only modules' sums present.
if ! go mod tidy -diff; then
  echo "go.mod/go.sum differ from what go mod tidy writes: run go mod tidy" >&2
  exit 1
fi
log "go test (SQLite and MySQL)"
results=$(mktemp)
go test -count=1 -timeout 15m ./... 2>&1 | tee "$results"
passed=$(grep -c '^ok' "$results" || true)
rm -f "$results"

# The fault-test build's own tests, and one fault script, so that every change
# shows the mechanism working: the database restarts at a named point inside
# a batch's transaction, and nothing of it is left (see docs/operations.md).
log "fault points (go test -tags faults; scripts/faults/db-restart-during-batch.sh, small)"
go test -count=1 -tags faults -run Fault .
fault_log=$(mktemp)
ROWS1=400 ROWS2=400 scripts/faults/db-restart-during-batch.sh >"$fault_log" 2>&1 ||
  { tail -n 40 "$fault_log" >&2; echo "fault script failed" >&2; exit 1; }
grep -E '^RESULT' "$fault_log"
rm -f "$fault_log"

# Each fuzzer briefly, beyond its committed corpus. A count, not a duration:
# this Go reports a timed -fuzztime that ends mid-input as a failure.
log "fuzz (briefly)"
fuzz() {
  local out
  if ! out=$(go test -run '^$' -fuzz "^$1\$" -fuzztime "$2" "$3" 2>&1); then
    printf '%s\nfuzzer %s failed\n' "$out" "$1" >&2
    exit 1
  fi
}
fuzz FuzzParseIDNumber 5000x ./model/
fuzz FuzzFenCapital 5000x ./model/
fuzz FuzzParse 500x ./service/roster/
fuzz FuzzParseCells 200x ./service/roster/
fuzz FuzzReadBankResults 500x ./service/ledger/
fuzz FuzzParseResultAmount 5000x ./service/ledger/
fuzz FuzzReadDepartmentList 500x ./service/roster/
fuzz FuzzLogin 300x ./api/

# The benchmarks in quick mode, so they never rot: it fails on errors, not
# on missed targets (those are for the full run, scripts/bench.sh).
log "benchmarks (quick)"
scripts/bench.sh --quick

echo "packages: $passed passed, 0 failed"
