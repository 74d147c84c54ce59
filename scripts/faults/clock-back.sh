#!/usr/bin/env bash
# Fault: the clock jumps backwards across a scheduled run.
#
# batch_boarding is scheduled every minute (a config file) and the service
# runs as scripts/faults/clockjump, whose clock offset is read from a file at
# every reading of the clock. Boarding aid for the autumn term is approved;
# the run at a due time D batches it. Then the clock is set back a minute
# (an NTP correction, a host resumed from a snapshot): the cron reaches D a
# second time, and the spring term is approved meanwhile. Then:
#   - at the second D no run happens (no job_runs row; the server logs that
#     the due time has run); the spring aid stays approved, not batched by a
#     run for a due time that was already done;
#   - a run by hand batches the spring aid once: one batch per county ×
#     program × term, every payable entitlement in exactly one line (nobody
#     paid twice), ledgers whole, the audit chain valid.
#
# Usage: scripts/faults/clock-back.sh
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/batch-common.sh"

need_tools
build
build_genroster
build_clockjump
db_init
db_start
db_create "$DB_NAME"
PORT=$(free_port 18900)

# The demo data and the approvals, on the real binary with its own schedules.
server_start a "$PORT" --demo --demo-term=false
T1=$(login a school_nanzhou "$DEMO_PW")
FT=$(login a finance_nanxian "$DEMO_PW")
S1=$(school_id a "$T1" 2143092101)
genroster "$WORK/r1.xlsx" 1000 2143092101 primary 71
upload_roster a "$T1" "$WORK/r1.xlsx" "$S1"
wait_import a "$T1" "$(jqb .id)" 120
expect_eq "roster imported" "$IMPORT_STATUS" done
echo "      autumn term approved: $(approve_flow a school_nanzhou "$S1" county_nanxian boarding "${TERMS[0]}")"
server_stop a

printf 'jobs:\n  schedules:\n    batch_boarding: "* * * * *"\n' >"$WORK/config.yaml"
echo 0s >"$WORK/offset"
MARK=$(sql "SELECT COALESCE(MAX(id), 0) FROM job_runs")
SERVER_CMD=$CLOCKJUMP server_start a "$PORT" -offset-file "$WORK/offset" -config "$WORK/config.yaml"
log "clockjump serving, batch_boarding every minute; waiting (bounded 130 s) for a scheduled run to succeed"
D=""
for _ in $(seq 1 260); do
  D=$(sql "SELECT DATE_FORMAT(MIN(scheduled_for), '%Y-%m-%d %H:%i:%s') FROM job_runs
    WHERE id > $MARK AND job = 'batch_boarding' AND trigger_kind = 'schedule' AND status = 'succeeded'")
  [ -n "$D" ] && [ "$D" != NULL ] && break
  sleep 0.5
done
[ -n "$D" ] && [ "$D" != NULL ] || die "no scheduled run of batch_boarding succeeded within 130 s"
echo -60s >"$WORK/offset"
JUMPED=$(date +%s)
pass "the run for due time D = $D UTC succeeded; the clock is set back 60 s, across D"
expect_eq "batches after D (the autumn term)" "$(sql 'SELECT COUNT(*) FROM batches')" 1
AFTER=$(sql "SELECT MAX(id) FROM job_runs")

T1=$(login a school_nanzhou "$DEMO_PW")
FT=$(login a finance_nanxian "$DEMO_PW")
echo "      spring term approved meanwhile: $(approve_flow a school_nanzhou "$S1" county_nanxian boarding "${TERMS[1]}")"
SPRING=$(sql "SELECT COUNT(*) FROM entitlements WHERE term = '${TERMS[1]}' AND status = 'approved'")

# The cron fires at the next real minute, when the shifted clock reads D again.
log "waiting for the cron to reach D a second time (at most 70 s)"
check "the server logs that D has run and is not run again" -- log_wait a "due time already run" 75
sleep 2
expect_eq "runs since the jump" "$(sql "SELECT COUNT(*) FROM job_runs WHERE id > $AFTER")" 0
expect_eq "runs for D" "$(sql "SELECT COUNT(*) FROM job_runs WHERE job = 'batch_boarding' AND scheduled_for = '$D'")" 1
expect_eq "spring aid still approved, not batched for D" \
  "$(sql "SELECT COUNT(*) FROM entitlements WHERE term = '${TERMS[1]}' AND status = 'approved'")" "$SPRING"
echo "      (the second D came $(($(date +%s) - JUMPED)) s after the jump)"

req a "$FT" POST /api/v1/jobs/batch_boarding/run
expect_eq "a run by hand batches the spring term" "$(jqb '.status + " " + (.made.batches | length | tostring)')" "succeeded 1"
server_stop a
echo 0s >"$WORK/offset"
APPROVED=$(sql "SELECT COUNT(*) FROM entitlements WHERE program = 'boarding' AND status IN ('approved', 'batched')")
PAYABLE=$(sql "SELECT COUNT(*) FROM batch_lines")
server_start a "$PORT"
FT=$(login a finance_nanxian "$DEMO_PW")
check_batches_whole
summary
