#!/usr/bin/env bash
# Fault: the process is killed (kill -9) during batch generation, between the
# batch lines insert and the ledger store.
#
# Two schools of 南县 upload rosters, boarding aid for both terms of
# 2025-2026 is calculated, submitted, put on notice (notice period 0) and
# approved by the county. Finance runs batch_boarding (POST
# /jobs/batch_boarding/run) on the fault-test build with
# batch.after_lines_insert:wait: the first batch's lines are inserted inside
# its transaction, its entitlements not yet marked and its ledger not stored.
# There a second connection reads the lines uncommitted (READ UNCOMMITTED) and
# none committed, and the server gets SIGKILL. Then the server is restarted
# (lease TTL 20 s) and:
#   - a run started at once is skipped: the dead run's lease still holds;
#   - after the lease expires (bounded wait) the next run marks the killed
#     run failed, in Chinese, and completes the batches;
#   - exactly one batch per county × program × term, every approved
#     entitlement in exactly one line (nobody paid twice), no line of the
#     killed transaction, every ledger stored whole (download SHA-256 =
#     ledger_sha256);
#   - the audit chain is valid (GET /audit/verify as auditor_yiyang).
#
# Usage: scripts/faults/kill-during-batch.sh   (ROWS1/ROWS2 change the roster sizes)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/batch-common.sh"

ROWS1=${ROWS1:-2000}   # 南县南洲镇中心小学 (primary)
ROWS2=${ROWS2:-2000}   # 南县茅草街镇九年制学校 (nine-year)
LEASE=(STUDENTAID_JOBS_LEASE_TTL=20s)

need_tools
build
build_genroster
db_init
db_start
db_create "$DB_NAME"
PORT=$(free_port 18300)
SERVER_ENV=("${LEASE[@]}" STUDENTAID_FAULT=batch.after_lines_insert:wait)
server_start a "$PORT" --demo --demo-term=false
log "server on 127.0.0.1:$PORT, private MariaDB on 127.0.0.1:$DB_PORT"
approve_boarding "$ROWS1" "$ROWS2"

log "finance runs batch_boarding; kill -9 at batch.after_lines_insert"
( REQ_TIMEOUT=300 req a "$FT" POST /api/v1/jobs/batch_boarding/run; echo "$CODE $BODY" >"$WORK/run1.out" ) &
RUNNER=$!
fault_wait batch.after_lines_insert 120 "${SERVER_PID[a]}" ||
  die "the run never reached batch.after_lines_insert: $(cat "$WORK/run1.out" 2>/dev/null)"
RUN1=$(sql "SELECT MAX(id) FROM job_runs WHERE job = 'batch_boarding'")
# The proof that the kill strikes inside the batch's transaction, between
# the lines insert and the ledger store.
DIRTY=$(int "$(sql_dirty 'SELECT COUNT(*) FROM batch_lines')")
if [ "$DIRTY" -gt 0 ]; then pass "at batch.after_lines_insert, $DIRTY lines inserted in the open transaction (read uncommitted)"; else
  failc "at batch.after_lines_insert, lines in the open transaction: $DIRTY"; fi
expect_eq "at batch.after_lines_insert, ledger chunks in the open transaction" "$(sql_dirty 'SELECT COUNT(*) FROM ledger_chunks')" 0
expect_eq "at batch.after_lines_insert, entitlements marked batched in it" "$(sql_dirty "SELECT COUNT(*) FROM entitlements WHERE status = 'batched'")" 0
expect_eq "at batch.after_lines_insert, committed batches/lines (second connection)" \
  "$(sql 'SELECT CONCAT((SELECT COUNT(*) FROM batches), "/", (SELECT COUNT(*) FROM batch_lines))')" 0/0
server_kill9 a
wait "$RUNNER" 2>/dev/null || true
pass "server killed during run $RUN1: $(cat "$WORK/run1.out" 2>/dev/null | cut -c1-60)"
expect_eq "the killed run is still recorded as running" "$(sql "SELECT status FROM job_runs WHERE id = $RUN1")" running
check "InnoDB rolls the killed transaction back (bounded 60 s)" -- trx_wait 60
expect_eq "batches and lines after the kill, even read uncommitted" \
  "$(sql_dirty 'SELECT CONCAT((SELECT COUNT(*) FROM batches), "/", (SELECT COUNT(*) FROM batch_lines))')" 0/0
expect_eq "entitlements batched after the kill" "$(sql "SELECT COUNT(*) FROM entitlements WHERE status = 'batched'")" 0

log "restarting the server (without the fault)"
SERVER_ENV=("${LEASE[@]}")
server_start a "$PORT"
FT=$(login a finance_nanxian "$DEMO_PW")
req a "$FT" POST /api/v1/jobs/batch_boarding/run
expect_eq "a run while the dead run's lease holds is skipped" "$(jqb .status)" skipped
echo "      its error: $(jqb .error)"
expect_eq "batches unchanged by the skipped run" "$(sql 'SELECT COUNT(*) FROM batches')" 0

log "waiting for the lease to expire (bounded: 60 s)"
for _ in $(seq 1 60); do
  left=$(int "$(sql "SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), expires_at) FROM job_leases WHERE job = 'batch_boarding'")")
  [ "$left" -lt 0 ] && break
  sleep 1
done
sleep 1
s=$(date +%s%N)
REQ_TIMEOUT=300 req a "$FT" POST /api/v1/jobs/batch_boarding/run
ms=$((($(date +%s%N) - s) / 1000000))
expect_eq "the run after the lease expired" "$(jqb .status)" succeeded
echo "      it made: $(jqb '[.made.batches[] | "\(.number) \(.lines) lines"] | join(", ")') in ${ms} ms"
RUN1_STATUS=$(sql "SELECT status FROM job_runs WHERE id = $RUN1")
expect_eq "the killed run is now marked" "$RUN1_STATUS" failed
ERR1=$(sql "SELECT error FROM job_runs WHERE id = $RUN1")
if printf '%s' "$ERR1" | grep -qP '\p{Han}'; then pass "its error is Chinese: $ERR1"; else failc "its error is not Chinese: '$ERR1'"; fi
req a "$FT" POST /api/v1/jobs/batch_boarding/run
expect_eq "one more run makes nothing" "$(jqb '.status + " " + (.made.batches | length | tostring)')" "succeeded 0"

# --- the database after the fault ------------------------------------------
check_batches_whole
summary
