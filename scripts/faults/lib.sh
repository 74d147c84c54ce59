# shellcheck shell=bash
# Shared helpers for the fault and multi-instance scripts (sourced, not run).
#
# Every script gets: a private temporary directory ($WORK) removed at exit, a
# private MariaDB (its own mariadbd on a spare loopback port and data
# directory: the system MariaDB is never touched), the studentaid binary built
# from this checkout, servers started on loopback ports, curl helpers that
# keep the last status and body, and a PASS/FAIL tally printed at the end.
#
# Environment knobs:
#   STUDENTAID_BIN   use this binary instead of building one from the checkout
#   GENROSTER_BIN    the same for scripts/genroster (CLOCKJUMP_BIN: scripts/faults/clockjump)
#   MARIADB_TEMPLATE copy this fresh MariaDB data directory instead of running mariadb-install-db
#   KEEP=1           keep $WORK (logs, database files) after the run
#   VERBOSE=1        echo every API call
#   MARIADB_ARGS     extra mariadbd options for the private database (e.g. --innodb-autoinc-lock-mode=2)

set -euo pipefail
set -o errtrace
trap 'echo "ABORT  $(basename "$0") line $LINENO: $BASH_COMMAND (exit $?)" >&2' ERR

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCRIPT_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "/tmp/studentaid-${SCRIPT_NAME}.XXXXXX")
DEMO_PW=demo-password-2026
ADMIN_PW=fault-admin-password-2026

declare -A SERVER_PID=() SERVER_PORT=()
DB_PID=""
EXTRA_PIDS=()   # other processes a script starts (a second mariadbd …), killed at exit
MOUNTS=()       # filesystems a script mounts (a small tmpfs …), unmounted at exit
DB_PORT=""
DB_DIR=""
DB_NAME=studentaid
PASSES=0
FAILS=0
FAILED_CHECKS=()
T0=$(date +%s)

log() { printf '== [%s +%ss] %s\n' "$SCRIPT_NAME" "$(($(date +%s) - T0))" "$*" >&2; }

# --- result tally --------------------------------------------------------

pass() { PASSES=$((PASSES + 1)); printf 'PASS  %s\n' "$*"; }
failc() { FAILS=$((FAILS + 1)); FAILED_CHECKS+=("$*"); printf 'FAIL  %s\n' "$*"; }

# check DESCRIPTION -- COMMAND...: PASS when the command succeeds.
check() {
  local desc=$1; shift
  [ "${1:-}" = "--" ] && shift
  if "$@"; then pass "$desc"; else failc "$desc"; fi
}

# expect_eq DESCRIPTION ACTUAL EXPECTED
expect_eq() {
  if [ "$2" = "$3" ]; then pass "$1 ($2)"; else failc "$1: got '$2', want '$3'"; fi
}

# summary prints the tally and sets the exit status; call it last.
summary() {
  local secs=$(($(date +%s) - T0))
  echo
  echo "=================== $SCRIPT_NAME: $PASSES passed, $FAILS failed (${secs}s) ==================="
  if [ "$FAILS" -gt 0 ]; then
    for f in "${FAILED_CHECKS[@]}"; do echo "  FAILED: $f"; done
    echo "RESULT: FAIL ($SCRIPT_NAME)  logs: $WORK (kept)"
    KEEP=1
    SUMMARY_DONE=1
    exit 1
  fi
  echo "RESULT: PASS ($SCRIPT_NAME)"
  SUMMARY_DONE=1
}

# die stops the script at once (setup could not be done): a FAIL.
die() {
  failc "$*"
  for n in "${!SERVER_PID[@]}"; do
    echo "--- last lines of server $n log:"; tail -n 20 "$WORK/server-$n.log" 2>/dev/null || true
  done
  summary
}

# --- cleanup ---------------------------------------------------------------

SUMMARY_DONE=""
cleanup() {
  local rc=$?
  set +e
  trap - ERR
  if [ -z "$SUMMARY_DONE" ]; then
    echo "RESULT: FAIL ($SCRIPT_NAME): stopped before its summary (exit $rc, $PASSES passed, $FAILS failed so far)"
    [ "$rc" -eq 0 ] && rc=1
  fi
  for n in "${!SERVER_PID[@]}"; do
    local p=${SERVER_PID[$n]}
    [ -n "$p" ] && kill -9 "$p" 2>/dev/null && wait "$p" 2>/dev/null
  done
  for p in "${EXTRA_PIDS[@]}"; do
    kill "$p" 2>/dev/null
    for _ in $(seq 1 60); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  if [ -n "$DB_PID" ]; then
    kill "$DB_PID" 2>/dev/null
    for _ in $(seq 1 60); do kill -0 "$DB_PID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$DB_PID" 2>/dev/null
    wait "$DB_PID" 2>/dev/null
  fi
  for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
  if [ "${KEEP:-}" = 1 ] || [ "$rc" -ne 0 ]; then
    echo "(work directory kept: $WORK)" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -----------------------------------------------------------------

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port BASE: the first port at or above BASE (+ a random offset) that nobody answers on.
# Every BASE is below the kernel's ephemeral range (32768 and up here): a port
# chosen there can be taken as the local port of an outgoing connection before
# the server binds it ("Address already in use").
free_port() {
  local p=$(($1 + RANDOM % 500))
  while port_open "$p"; do p=$((p + 1)); done
  echo "$p"
}

# need CMD PACKAGE: install a Debian package when the command is missing (root only).
need() {
  command -v "$1" >/dev/null && return 0
  [ -x "/usr/sbin/$1" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing $2 with apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq "$2" >/dev/null || die "could not install $2"
  else
    die "$1 is missing: install the Debian package $2"
  fi
}

need_tools() {
  need curl curl
  need jq jq
  need mariadbd mariadb-server
  need mariadb mariadb-client
  need go golang-go
}

# --- private MariaDB -------------------------------------------------------

# db_init: a fresh data directory under $WORK/mariadb on a spare port.
db_init() {
  DB_DIR="$WORK/mariadb"
  DB_PORT=$(free_port 26000)
  mariadb_install "$DB_DIR"
}

# mariadb_install DIR: a fresh data directory DIR/data (a copy of
# $MARIADB_TEMPLATE when run-all made one).
mariadb_install() {
  mkdir -p "$1"
  if [ -n "${MARIADB_TEMPLATE:-}" ] && [ -d "$MARIADB_TEMPLATE" ]; then
    cp -a "$MARIADB_TEMPLATE" "$1/data" || die "copying $MARIADB_TEMPLATE failed"
    return 0
  fi
  mariadb-install-db --no-defaults --datadir="$1/data" --user="$(id -un)" \
    --auth-root-authentication-method=normal >"$1/install.log" 2>&1 || die "mariadb-install-db failed (see $1/install.log)"
}

# db_start: start (or restart) mariadbd on $DB_DIR/data, $DB_PORT.
db_start() {
  mariadb_start "$DB_DIR" "$DB_PORT" ${MARIADB_ARGS:-}
  DB_PID=$MARIADB_PID
}

# mariadb_start DIR PORT [mariadbd options...]: a private mariadbd on
# DIR/data (made with mariadb-install-db when missing) and PORT, waited for;
# sets MARIADB_PID. The primary and the replica of replica.sh start here.
mariadb_start() {
  local dir=$1 port=$2; shift 2
  local mariadbd; mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
  [ -d "$dir/data" ] || mariadb_install "$dir"
  # Its own tmpdir: at start MariaDB deletes #sql* files in its tmpdir, which
  # in /tmp would include the system server's temporary tables.
  mkdir -p "$dir/tmp"
  "$mariadbd" --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" --port="$port" --bind-address=127.0.0.1 \
    --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" --user="$(id -un)" --skip-log-bin \
    --innodb-buffer-pool-size=512M --innodb-log-file-size=256M --max-connections=500 \
    --max-allowed-packet=64M "$@" >>"$dir/server.log" 2>&1 &
  MARIADB_PID=$!
  for _ in $(seq 1 120); do
    if mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -e 'SELECT 1' >/dev/null 2>&1; then return 0; fi
    kill -0 "$MARIADB_PID" 2>/dev/null || break
    sleep 0.5
  done
  tail -n 30 "$dir/server.log" >&2
  die "private MariaDB did not start on port $port"
}

# db_kill: the database dies (SIGKILL: no clean shutdown, crash recovery on restart).
db_kill() {
  [ -n "$DB_PID" ] || return 0
  kill -9 "$DB_PID" 2>/dev/null || true
  wait "$DB_PID" 2>/dev/null || true
  DB_PID=""
  for _ in $(seq 1 40); do port_open "$DB_PORT" || return 0; sleep 0.25; done
}

# db_create NAME: an empty utf8mb4 database.
db_create() {
  mysql_root -e "CREATE DATABASE \`$1\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
}

mysql_root() { mariadb --no-defaults -h127.0.0.1 -P"$DB_PORT" -uroot "$@"; }

# sql QUERY [DB]: one value per line, tab-separated columns, no headers.
sql() { mysql_root -N -B "${2:-$DB_NAME}" -e "$1"; }

# sql_dirty QUERY: as sql, but reading what open transactions have written
# and not committed (READ UNCOMMITTED): proof that a fault struck inside one.
sql_dirty() { sql "SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED; $1"; }

# trx_wait TIMEOUT: 0 once the database holds no open transaction (a killed
# client's is rolled back by InnoDB after the connection drops); 1 on timeout.
trx_wait() {
  local deadline=$(($(date +%s) + $1))
  until [ "$(sql 'SELECT COUNT(*) FROM information_schema.innodb_trx')" = 0 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# int VALUE: VALUE when it is an integer, else -1 (NULL, empty, an error).
int() { if [[ "${1:-}" =~ ^-?[0-9]+$ ]]; then echo "$1"; else echo -1; fi; }

dsn() { echo "root@tcp(127.0.0.1:$DB_PORT)/${1:-$DB_NAME}?parseTime=true&charset=utf8mb4"; }

# --- the service -----------------------------------------------------------

# build: the binary (and genroster) from this checkout, or $STUDENTAID_BIN.
build() {
  if [ -n "${STUDENTAID_BIN:-}" ]; then
    BIN=$STUDENTAID_BIN
  else
    log "building studentaid from $ROOT"
    # The fault-test build: STUDENTAID_FAULT is read only by it (main_faults.go).
    (cd "$ROOT" && go build -tags faults -o "$WORK/studentaid" .) || die "go build failed"
    BIN=$WORK/studentaid
  fi
}

build_genroster() {
  GENROSTER=${GENROSTER_BIN:-$WORK/genroster}
  [ -n "${GENROSTER_BIN:-}" ] && return 0
  (cd "$ROOT" && go build -o "$WORK/genroster" ./scripts/genroster) || die "building genroster failed"
}

# build_clockjump: scripts/faults/clockjump (the service with a shifted clock), or $CLOCKJUMP_BIN.
build_clockjump() {
  CLOCKJUMP=${CLOCKJUMP_BIN:-$WORK/clockjump}
  [ -n "${CLOCKJUMP_BIN:-}" ] && return 0
  (cd "$ROOT" && go build -o "$WORK/clockjump" ./scripts/faults/clockjump) || die "building clockjump failed"
}

# genroster OUT ROWS SCHOOL TYPE [SEED]
genroster() {
  "$GENROSTER" -rows "$2" -school "$3" -type "$4" -year "${YEAR:-2025-2026}" -seed "${5:-1}" -out "$1" || die "genroster failed"
}

# server_start NAME PORT [serve flags...]: start `serve` in the background
# with the environment the scripts share, wait until /healthz answers.
# Extra environment goes in SERVER_ENV (an array of VAR=value). Each server
# may migrate the scripts' fresh database itself (database.migrate_on_start).
SERVER_ENV=()
server_start() {
  local name=$1 port=$2; shift 2
  mkdir -p "$WORK/data-$name"
  env STUDENTAID_DATABASE_DRIVER=mysql STUDENTAID_DATABASE_DSN="$(dsn)" STUDENTAID_LISTEN="127.0.0.1:$port" \
    STUDENTAID_ADMIN_PASSWORD="$ADMIN_PW" STUDENTAID_DATA_DIR="$WORK/data-$name" STUDENTAID_DATA_KEY_FILE="$WORK/data.key" \
    STUDENTAID_LOG_FORMAT=json STUDENTAID_NOTICE_WORKING_DAYS=0 STUDENTAID_NOTICE_TRIAL=true STUDENTAID_AUTH_FAILURE_DELAY=0s STUDENTAID_FAULT_DIR="$FAULT_DIR" \
    STUDENTAID_DATABASE_MIGRATE_ON_START=true "${SERVER_ENV[@]}" "${SERVER_CMD:-$BIN}" serve "$@" >>"$WORK/server-$name.log" 2>&1 &
  SERVER_PID[$name]=$!
  SERVER_PORT[$name]=$port
  for _ in $(seq 1 240); do
    if curl -fsS -m 2 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then return 0; fi
    kill -0 "${SERVER_PID[$name]}" 2>/dev/null || break
    sleep 0.25
  done
  tail -n 30 "$WORK/server-$name.log" >&2
  die "server $name did not start on port $port"
}

# server_kill9 NAME: the process dies at once, as with a power cut.
server_kill9() {
  local p=${SERVER_PID[$1]:-}
  [ -n "$p" ] || return 0
  kill -9 "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  SERVER_PID[$1]=""
}

# server_stop NAME: a graceful stop (SIGTERM), waited for.
server_stop() {
  local p=${SERVER_PID[$1]:-}
  [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 1 120); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  SERVER_PID[$1]=""
}

# --- HTTP ------------------------------------------------------------------

# base NAME: the server's base URL.
base() { echo "http://127.0.0.1:${SERVER_PORT[$1]}"; }

# req NAME TOKEN METHOD PATH [curl args...]: sets CODE and BODY (also in $WORK/body).
CODE=""
BODY=""
req() {
  local name=$1 token=$2 method=$3 path=$4; shift 4
  local auth=()
  [ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
  # Per-process files: background subshells call req at the same time.
  local tmp="$WORK/body.$BASHPID"
  local out=${REQ_OUT:-$tmp}
  rm -f "$tmp"
  CODE=$(curl -sS -m "${REQ_TIMEOUT:-120}" -o "$out" -w '%{http_code}' -X "$method" "${auth[@]}" "$@" \
    "$(base "$name")$path" 2>"$WORK/curl.err.$BASHPID") || CODE=${CODE:-000}
  BODY=$(cat "$tmp" 2>/dev/null || true)
  rm -f "$tmp"
  [ "${VERBOSE:-}" = 1 ] && echo "   $method $path -> $CODE ${BODY:0:200}" >&2
  return 0
}

# json_req NAME TOKEN METHOD PATH JSON
json_req() { req "$1" "$2" "$3" "$4" -H 'Content-Type: application/json' --data-binary "$5"; }

# login NAME USER PASSWORD: prints the token (empty on failure). With
# LOGIN_ONCE=1 (the multi-instance load) a user's token at an instance is
# kept in $WORK and reused: each login is a bcrypt at cost 12, and the load's
# hundred-odd logins, many at once, were most of its CPU on a busy machine.
login() {
  local kept="$WORK/token-$1-$2"
  if [ "${LOGIN_ONCE:-}" = 1 ] && [ -s "$kept" ]; then cat "$kept"; return 0; fi
  req "$1" "" POST /api/v1/auth/login -H 'Content-Type: application/json' \
    --data-binary "{\"username\":\"$2\",\"password\":\"$3\"}"
  if [ "$CODE" != 200 ]; then echo ""; return 0; fi
  local token; token=$(jq -r .token <<<"$BODY")
  # Written whole and renamed: a subshell reading it meanwhile sees all or nothing.
  [ "${LOGIN_ONCE:-}" = 1 ] && echo "$token" >"$kept.$BASHPID" && mv -f "$kept.$BASHPID" "$kept"
  echo "$token"
}

# jqb FILTER: apply jq to the last body (empty when it is not JSON: a
# server killed mid-answer).
jqb() { jq -r "$1" <<<"$BODY" 2>/dev/null || true; }

# school_id NAME TOKEN CODE: a school's id by its 10-digit code.
school_id() {
  req "$1" "$2" GET "/api/v1/schools?page_size=200"
  jq -r --arg c "$3" '.items[] | select(.code == $c) | .id' <<<"$BODY"
}

# upload_roster NAME TOKEN FILE SCHOOL_ID [YEAR]: POST /rosters (sets CODE, BODY).
upload_roster() {
  req "$1" "$2" POST /api/v1/rosters -F "file=@$3" -F "school_year=${5:-${YEAR:-2025-2026}}" -F "school_id=$4" \
    -F mode=valid_rows
}

# wait_import NAME TOKEN ID TIMEOUT: poll GET /rosters/{id} until it is no
# longer processing; sets IMPORT_STATUS and leaves the report in BODY.
IMPORT_STATUS=""
wait_import() {
  local deadline=$(($(date +%s) + $4))
  IMPORT_STATUS=""
  while [ "$(date +%s)" -lt "$deadline" ]; do
    req "$1" "$2" GET "/api/v1/rosters/$3"
    IMPORT_STATUS=$(jqb .status)
    [ "$IMPORT_STATUS" != processing ] && break
    sleep 0.5
  done
}

# audit_verify NAME: GET /audit/verify as the demo auditor; prints "ok entries".
audit_verify() {
  local t; t=$(login "$1" auditor_yiyang "$DEMO_PW")
  req "$1" "$t" GET /api/v1/audit/verify
  echo "$(jqb .ok) $(jqb .entries)"
}

# approved_flow NAME SCHOOL_USER SCHOOL_ID COUNTY_USER PROGRAM TERM: calculate,
# submit, open the notice, approve (notice period 0). Prints the approved count.
approve_flow() {
  local name=$1 su=$2 sid=$3 cu=$4 prog=$5 term=$6 st ct
  st=$(login "$name" "$su" "$DEMO_PW")
  ct=$(login "$name" "$cu" "$DEMO_PW")
  json_req "$name" "$st" POST /api/v1/entitlements/calculate "{\"program\":\"$prog\",\"term\":\"$term\",\"school_id\":$sid}"
  [ "$CODE" = 200 ] || { echo "calculate: $CODE $BODY" >&2; echo 0; return; }
  json_req "$name" "$st" POST /api/v1/entitlements/submit "{\"program\":\"$prog\",\"term\":\"$term\",\"school_id\":$sid}"
  [ "$CODE" = 200 ] || { echo "submit: $CODE $BODY" >&2; echo 0; return; }
  REQ_OUT=$WORK/notice.$BASHPID.xlsx req "$name" "$st" GET "/api/v1/notices?program=$prog&term=$term&school_id=$sid"
  [ "$CODE" = 200 ] || { echo "notice: $CODE $BODY" >&2; echo 0; return; }
  json_req "$name" "$ct" POST /api/v1/entitlements/approve "{\"program\":\"$prog\",\"term\":\"$term\",\"school_id\":$sid}"
  [ "$CODE" = 200 ] || { echo "approve: $CODE $BODY" >&2; echo 0; return; }
  jqb .count
}

# --- fault points (the fault-test build, main_faults.go) ----------------------
# A server started with SERVER_ENV=(STUDENTAID_FAULT=point:action) writes
# $FAULT_DIR/POINT.reached when the point strikes; a "wait" point holds its
# step until $FAULT_DIR/POINT.release exists.
FAULT_DIR=$WORK/faults
mkdir -p "$FAULT_DIR"

# fault_wait POINT TIMEOUT [PID]: 0 once the point has struck; 1 when TIMEOUT
# seconds pass, or PID (the process that should reach it) has ended, first.
fault_wait() {
  local marker="$FAULT_DIR/$1.reached" deadline=$(($(date +%s) + $2))
  while [ ! -e "$marker" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then [ -e "$marker" ]; return; fi
    sleep 0.1
  done
}

# fault_release POINT: a waiting point carries on.
fault_release() { touch "$FAULT_DIR/$1.release"; }

# log_wait NAME TEXT TIMEOUT: 0 once server NAME's log holds TEXT, 1 after TIMEOUT seconds.
log_wait() {
  local deadline=$(($(date +%s) + $3))
  until grep -qF -- "$2" "$WORK/server-$1.log" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
