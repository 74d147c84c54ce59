#!/usr/bin/env bash
# Fault: the database restarts while a batch is being generated.
#
# Approved boarding aid for two schools and two terms (as in
# kill-during-batch.sh). Finance runs batch_boarding on the fault-test build
# with batch.after_lines_insert:wait: the first batch's lines are inserted in
# its open transaction. There a second connection reads them uncommitted and
# none committed; mariadbd is killed (SIGKILL) and started again on the same
# data directory (crash recovery), and the run is let go on its dead
# connection. Then, with the same server process:
#   - the run answers failed, and its record says so in Chinese;
#   - nothing of its transaction survived the recovery;
#   - a new run at once (the failed run released its lease) completes: one
#     batch per county × program × term, every payable entitlement in exactly
#     one line (nobody paid twice), ledgers whole, the audit chain valid.
#
# Usage: scripts/faults/db-restart-during-batch.sh
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/batch-common.sh"

ROWS1=${ROWS1:-1500}
ROWS2=${ROWS2:-1500}

need_tools
build
build_genroster
db_init
db_start
db_create "$DB_NAME"
PORT=$(free_port 18600)
SERVER_ENV=(STUDENTAID_FAULT=batch.after_lines_insert:wait)
server_start a "$PORT" --demo --demo-term=false
log "server on 127.0.0.1:$PORT, private MariaDB on 127.0.0.1:$DB_PORT"
approve_boarding "$ROWS1" "$ROWS2"

log "finance runs batch_boarding; the database restarts at batch.after_lines_insert"
( REQ_TIMEOUT=300 req a "$FT" POST /api/v1/jobs/batch_boarding/run; echo "$CODE $BODY" >"$WORK/run1.out" ) &
RUNNER=$!
fault_wait batch.after_lines_insert 120 "${SERVER_PID[a]}" ||
  die "the run never reached batch.after_lines_insert: $(cat "$WORK/run1.out" 2>/dev/null)"
RUN1=$(sql "SELECT MAX(id) FROM job_runs WHERE job = 'batch_boarding'")
DIRTY=$(int "$(sql_dirty 'SELECT COUNT(*) FROM batch_lines')")
if [ "$DIRTY" -gt 0 ]; then pass "at batch.after_lines_insert, $DIRTY lines inserted in the open transaction (read uncommitted)"; else
  failc "at batch.after_lines_insert, lines in the open transaction: $DIRTY"; fi
expect_eq "at batch.after_lines_insert, committed batches/lines (second connection)" \
  "$(sql 'SELECT CONCAT((SELECT COUNT(*) FROM batches), "/", (SELECT COUNT(*) FROM batch_lines))')" 0/0
db_kill
log "mariadbd killed; starting it again on the same data directory"
db_start
fault_release batch.after_lines_insert
for _ in $(seq 1 120); do kill -0 "$RUNNER" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$RUNNER" 2>/dev/null; then die "the run did not answer within 60 s of the release"; fi
wait "$RUNNER" 2>/dev/null || true
read -r RCODE RBODY <"$WORK/run1.out" || true
expect_eq "the interrupted run answers" "$RCODE $(jq -r .status <<<"$RBODY" 2>/dev/null)" "200 failed"
expect_eq "its record" "$(sql "SELECT status FROM job_runs WHERE id = $RUN1")" failed
ERR1=$(sql "SELECT error FROM job_runs WHERE id = $RUN1")
if printf '%s' "$ERR1" | grep -qP '\p{Han}'; then pass "its error is Chinese: $ERR1"; else failc "its error is not Chinese: '$ERR1'"; fi
check "the server was never restarted (same pid)" -- kill -0 "${SERVER_PID[a]}"
expect_eq "batches and lines after the recovery, even read uncommitted" \
  "$(sql_dirty 'SELECT CONCAT((SELECT COUNT(*) FROM batches), "/", (SELECT COUNT(*) FROM batch_lines))')" 0/0
expect_eq "entitlements batched after the recovery" "$(sql "SELECT COUNT(*) FROM entitlements WHERE status = 'batched'")" 0

FT=$(login a finance_nanxian "$DEMO_PW")
REQ_TIMEOUT=300 req a "$FT" POST /api/v1/jobs/batch_boarding/run
expect_eq "a new run right away" "$(jqb .status)" succeeded
echo "      it made: $(jqb '[.made.batches[] | "\(.number) \(.lines) lines"] | join(", ")')"
req a "$FT" POST /api/v1/jobs/batch_boarding/run
expect_eq "one more run makes nothing" "$(jqb '.status + " " + (.made.batches | length | tostring)')" "succeeded 0"
check_batches_whole
summary
