#!/usr/bin/env bash
# Fault: the clock jumps (a machine started with a wrong date).
#
# The cron catch-up runs, at start, each scheduled job whose latest due time
# has no successful run. This script shows it neither runs a year of missed
# jobs nor skips the one that was due:
#   1. the real binary on an empty database at the real date: one catch-up
#      run per scheduled job, for the latest due time;
#   2. restarted at the real date: no new run;
#   3. the service started with its clock a year ahead (two due times of each
#      job, April and October, passed in that "year"): exactly one new run
#      per job, for the latest due time only;
#   4. restarted with the real date again: no new run (the later run covers
#      the earlier due time);
#   5. started with its clock a year behind: one run per job, for the latest
#      due time by that clock (runs dated after "now" may have been made under
#      a clock that ran ahead, step 3, so they cannot stop it), and a second
#      start with that clock runs nothing more;
#   6. half a year on, a due time missed while down after the wrong-date run
#      of step 3 is caught up once per job (the future-dated run does not
#      hide it); the yearly loan jobs, whose latest due time has a run (step
#      1's, or step 3's made under the wrong date), run nothing.
# Runs are read with GET /jobs/runs (as admin) and counted in the database.
#
# The shifted clock: faketime (libfaketime) cannot shift a Go program's
# clock (Go reads the time through the vDSO, not libc; the script shows it when
# faketime is installed). So steps 3 and 5 run scripts/faults/clockjump, which
# wires the same service, scheduler and API as `studentaid serve` with a
# shifted clock. The service itself is unchanged.
#
# Usage: scripts/faults/clock-jump.sh
source "$(dirname "$0")/lib.sh"

YEAR_H=8760h

need_tools
build
build_clockjump
db_init
db_start
db_create "$DB_NAME"
PORT=$(free_port 18500)

if command -v faketime >/dev/null; then
  echo "INFO  faketime '2027-12-01' on a Go binary: time.Now = $(faketime '2027-12-01 00:00:00' "$CLOCKJUMP" now) (not shifted: Go bypasses libc)"
fi

runs_total() { sql "SELECT COUNT(*) FROM job_runs"; }

# wait_runs N: until at least N runs exist and none is running (bounded 60 s),
# then a few seconds more so that a late extra run would be seen.
wait_runs() {
  for _ in $(seq 1 120); do
    [ "$(runs_total)" -ge "$1" ] && [ "$(sql "SELECT COUNT(*) FROM job_runs WHERE status = 'running'")" = 0 ] && break
    sleep 0.5
  done
  sleep "${SETTLE:-4}"
}

# show_runs SINCE_ID: the runs after SINCE_ID as GET /jobs/runs lists them.
show_runs() {
  local t; t=$(login a admin "$ADMIN_PW")
  req a "$t" GET "/api/v1/jobs/runs?page_size=200"
  jq -r --argjson since "$1" '.items | sort_by(.id)[] | select(.id > $since) |
    "      run \(.id) \(.job) \(.trigger) scheduled_for=\(.scheduled_for) \(.status)"' <<<"$BODY"
}

# check_phase LABEL SINCE_ID OFFSET: one catch_up run after SINCE_ID for each
# scheduled job whose latest due time under the clock shifted by OFFSET had no
# successful run dated from that due time up to that clock's now, and none for
# a job whose latest due time was already run (the yearly loan jobs at step 6:
# a run from step 1 or from step 3's wrong date covers it).
check_phase() {
  local label=$1 since=$2 offset=$3 name spec want got covered hours expected=0
  hours=${offset%h}
  [ "$hours" = "$offset" ] && hours=0
  declare -A WANT=()
  for name in "${!SCHEDULED[@]}"; do
    spec=${SCHEDULED[$name]}
    want=$("$CLOCKJUMP" due -spec "$spec" -offset "$offset")
    covered=$(sql "SELECT COUNT(*) FROM job_runs WHERE id <= $since AND job = '$name' AND status = 'succeeded'
      AND scheduled_for >= '$want' AND scheduled_for <= UTC_TIMESTAMP() + INTERVAL $hours HOUR")
    if [ "$covered" = 0 ]; then
      WANT[$name]="1 catch_up $want succeeded"
      expected=$((expected + 1))
    else
      WANT[$name]="0 - - -"
    fi
  done
  n=$(sql "SELECT COUNT(*) FROM job_runs WHERE id > $since")
  expect_eq "$label: new runs (one per job whose latest due time has no run)" "$n" "$expected"
  for name in "${!SCHEDULED[@]}"; do
    got=$(sql "SELECT CONCAT(COUNT(*), ' ', COALESCE(MAX(trigger_kind), '-'), ' ', COALESCE(DATE_FORMAT(MAX(scheduled_for), '%Y-%m-%d %H:%i:%s'), '-'), ' ', COALESCE(MAX(status), '-'))
      FROM job_runs WHERE id > $since AND job = '$name'")
    expect_eq "$label: $name (runs, trigger, due time, status)" "$got" "${WANT[$name]}"
  done
}

# --- 1. first start at the real date ---------------------------------------
log "1. the real binary on an empty database, real date $(date -u '+%F %T')"
server_start a "$PORT" --demo --demo-term=false
AT=$(login a admin "$ADMIN_PW")
req a "$AT" GET /api/v1/jobs
declare -A SCHEDULED=()
while IFS=$'\t' read -r n s; do SCHEDULED[$n]=$s; done < <(jq -r '.items[] | select(.schedule != "") | [.name, .schedule] | @tsv' <<<"$BODY")
echo "      scheduled jobs: ${!SCHEDULED[*]} (${SCHEDULED[batch_boarding]:-?})"
[ "${#SCHEDULED[@]}" -gt 0 ] || die "no scheduled jobs"
wait_runs "${#SCHEDULED[@]}"
show_runs 0
check_phase "1 first start" 0 0s
server_stop a

# --- 2. restart at the real date --------------------------------------------
log "2. restart at the real date"
MARK=$(sql "SELECT COALESCE(MAX(id), 0) FROM job_runs")
server_start a "$PORT"
wait_runs "$MARK"
expect_eq "2 restart, real date: new runs" "$(sql "SELECT COUNT(*) FROM job_runs WHERE id > $MARK")" 0
server_stop a

# --- 3. the clock a year ahead ------------------------------------------------
FUTURE=$(date -u -d '+365 days' '+%F %T')
log "3. start with the clock a year ahead ($FUTURE UTC)"
MARK=$(sql "SELECT COALESCE(MAX(id), 0) FROM job_runs")
SERVER_CMD=$CLOCKJUMP server_start a "$PORT" -offset "$YEAR_H"
sleep 0.5
wait_runs "$((MARK + ${#SCHEDULED[@]}))"
show_runs "$MARK"
echo "      (in that year every batch job fell due twice, 10 April and 10 October: only the latest may run)"
check_phase "3 clock +1 year" "$MARK" "$YEAR_H"
server_stop a

# --- 4. back to the real date -----------------------------------------------
log "4. restart with the real date"
MARK=$(sql "SELECT COALESCE(MAX(id), 0) FROM job_runs")
server_start a "$PORT"
wait_runs "$MARK"
expect_eq "4 real date after the jump: new runs" "$(sql "SELECT COUNT(*) FROM job_runs WHERE id > $MARK")" 0
server_stop a

# --- 5. the clock a year behind ---------------------------------------------
log "5. start with the clock a year behind"
MARK=$(sql "SELECT COALESCE(MAX(id), 0) FROM job_runs")
SERVER_CMD=$CLOCKJUMP server_start a "$PORT" -offset "-$YEAR_H"
wait_runs "$((MARK + ${#SCHEDULED[@]}))"
check_phase "5 clock -1 year" "$MARK" "-$YEAR_H"
server_stop a
MARK=$(sql "SELECT COALESCE(MAX(id), 0) FROM job_runs")
SERVER_CMD=$CLOCKJUMP server_start a "$PORT" -offset "-$YEAR_H"
wait_runs "$MARK"
expect_eq "5 clock -1 year, started again: new runs" "$(sql "SELECT COUNT(*) FROM job_runs WHERE id > $MARK")" 0
server_stop a

# --- 6. a due time missed after the wrong-date run ----------------------------
# Half a year on (real time), with the servers down on 10 April: the April run
# was missed and is due. The run from step 3 is dated 10 October of that year,
# later than the April due time: catch-up counts only runs dated up to now.
log "6. the clock half a year ahead, after the wrong-date run of step 3"
MARK=$(sql "SELECT COALESCE(MAX(id), 0) FROM job_runs")
SERVER_CMD=$CLOCKJUMP server_start a "$PORT" -offset 4380h
# The yearly jobs' latest due times were run (steps 1 and 3): the batch,
# scan and anchor jobs catch up.
wait_runs "$((MARK + ${#SCHEDULED[@]} - 2))"
check_phase "6 clock +half a year" "$MARK" 4380h
server_stop a

server_start a "$PORT"
check "audit chain valid" -- test "$(audit_verify a | cut -d' ' -f1)" = true
echo "      all runs: $(sql "SELECT GROUP_CONCAT(CONCAT(job, '@', DATE_FORMAT(scheduled_for, '%Y-%m-%d')) ORDER BY id SEPARATOR ', ') FROM job_runs")"
summary
