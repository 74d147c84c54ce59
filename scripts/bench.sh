#!/usr/bin/env bash
# Benchmarks of studentaid's heavy work, each against a reference measured in
# the same run, each task in its own process (peak RSS is the task's own).
#
# usage: scripts/bench.sh [--quick] [--only GROUPS] [--profile DIR] [--keep] [--strict] [--tune-server]
#
#   --quick          CI smoke, run by scripts/test.sh: a 10k-row roster, 20k students
#                    over 20 schools, a 20k-line batch; no HTTP load test. About 20 s
#                    with a warm build cache; needs no root.
#   (no --quick)     full: a 100k-row roster (MariaDB and SQLite), 1,000,000 students
#                    over 200 schools, a 1,000,000-line batch with its ledger, and the API
#                    load test (the built binary on loopback, 50 connections, 10 s per
#                    endpoint, 100k students). About 9 minutes on 2 cores with
#                    --tune-server; about 25 on Debian's default MariaDB settings, where
#                    loading 1M students takes 3.5, the calculation 6 and the batch 8.5.
#                    The calculation and the anomaly scan are stopped (and reported as
#                    failed) after 10 minutes.
#   --only GROUPS    comma-separated subset of roster,calc,batch,anomaly,api,loans
#   --profile DIR    write, per task, a pprof CPU profile of the timed part, an
#                    allocation profile and the service's SQL statements by total time
#                    to DIR (go tool pprof -top DIR/roster-import-mysql.cpu.pprof;
#                    DIR/calc-mysql.sql.txt)
#   --keep           keep the bench databases and the work directory
#   --strict         exit 3 when a target is missed (errors always exit 1)
#   --tune-server    for the run, raise the server's innodb_buffer_pool_size to 2 GB and
#                    innodb_log_file_size to 1 GB (what docs/deploy.md asks of a province's
#                    server; both dynamic on MariaDB 10.11), and restore them at the end.
#                    Debian's 128 MB / 96 MB make the million-line batch 4–5 times slower
#                    (index pages read back from disk). The table's note line names the
#                    server's settings either way.
#   BENCH_TMPDIR     where the scratch directory goes (default /var/tmp)
#
# Tasks and targets (references are measured in the same run):
#   roster import, POST /rosters   ≤ 1.5 × (excelize Rows() read + INSERT batches of 1,000
#                                  rows × 25 columns in one transaction), peak RSS ≤ 300 MB
#   roster re-import, unchanged    ≤ 1.0 × the same reference
#   entitlement calculation        ≤ 60 s (1,000,000 students, 200 schools, one county)
#   batch generation + ledger      ≤ 1.3 × a bare excelize StreamWriter of as many lines,
#                                  peak RSS ≤ 300 MB; then the ledger download is timed
#   anomaly scan                   ≤ 60 s over the entitlements (service.ScanAnomalies)
#   GET /students, /students/{id}  ≥ 2,000 req/s, p99 ≤ 50 ms, 50 connections (full only)
#
# MySQL/MariaDB: $MYSQL_TEST_DSN (a server DSN such as "root@tcp(127.0.0.1:3306)/"),
# else a server answering on 127.0.0.1:3306. Every task creates its own database
# named bench_<task>_<pid> and the run drops them at the end. Without MySQL,
# --quick runs the SQLite rows only and says so; full mode needs MySQL. Large
# ledgers are stored in chunks, so the server's max_allowed_packet does not matter.
# Load tool: wrk when installed (full mode as root installs it with apt-get),
# else a built-in Go load generator with the same connections and duration.
#
# Prints one markdown table on stdout (progress on stderr). Exit status 1 when a
# task fails; missed targets are FAIL rows (exit 3 with --strict).
set -euo pipefail
cd "$(dirname "$0")/.."

quick="" only="" profile="" keep="" strict="" tune=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --only) only="$2"; shift ;;
    --only=*) only="${1#--only=}" ;;
    --profile) profile="$2"; shift ;;
    --profile=*) profile="${1#--profile=}" ;;
    --keep) keep=1 ;;
    --strict) strict=1 ;;
    --tune-server) tune=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '== %s\n' "$*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The tasks run the service in their own process: give them the soft memory
# limit `serve` sets by default (configs/config.yaml memory_limit). The
# reference processes get it too.
export GOMEMLIMIT="${GOMEMLIMIT:-256MiB}"

# Scratch space (roster file, SQLite files, binaries): under /var/tmp, away
# from cleanups of /tmp/studentaid-* that other scripts' runs may do.
work=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/sa-bench.XXXXXX")
cleanup() { [ -n "$keep" ] || rm -rf "$work"; }
trap cleanup EXIT

mysql_dsn="${MYSQL_TEST_DSN:-}"
if [ -z "$mysql_dsn" ] && port_open 3306; then
  mysql_dsn="root@tcp(127.0.0.1:3306)/"
fi
if [ -z "$mysql_dsn" ] && [ -z "$quick" ]; then
  echo "bench.sh: full mode needs MySQL/MariaDB: set MYSQL_TEST_DSN or start one on 127.0.0.1:3306" >&2
  exit 1
fi

log "building"
go build -o "$work/bench" ./scripts/bench
args=(-work "$work/run" -mysql "$mysql_dsn")
if [ -z "$quick" ]; then
  go build -o "$work/studentaid" .
  args+=(-bin "$work/studentaid")
  wrk=$(command -v wrk || true)
  if [ -z "$wrk" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing wrk with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; then
      wrk=$(command -v wrk || true)
    fi
  fi
  if [ -n "$wrk" ]; then
    args+=(-wrk "$wrk")
  else
    log "wrk not available: the built-in Go load generator drives the API test"
  fi
else
  args+=(-quick)
fi
[ -n "$only" ] && args+=(-only "$only")
[ -n "$profile" ] && args+=(-profile "$(realpath -m "$profile")")
[ -n "$keep" ] && args+=(-keep)
[ -n "$strict" ] && args+=(-strict)
[ -n "$tune" ] && args+=(-tune-server)
# The bench runs in the background so that a TERM or INT (Ctrl-C, `timeout`)
# reaches it: it stops its task, prints what it has and drops its databases
# before this script removes the work directory.
"$work/bench" "${args[@]}" &
bench_pid=$!
trap 'kill -TERM "$bench_pid" 2>/dev/null || true' TERM INT
set +e
wait "$bench_pid"; status=$?
while kill -0 "$bench_pid" 2>/dev/null; do wait "$bench_pid"; status=$?; done
exit "$status"
