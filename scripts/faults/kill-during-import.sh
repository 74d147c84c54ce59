#!/usr/bin/env bash
# Fault: the process is killed (kill -9) inside a roster import's transaction,
# just before it commits.
#
# The fault-test build holds the import at roster.before_commit: every row,
# the record saying "done" and the audit entry are written, the transaction
# is open. There a second connection reads (READ UNCOMMITTED) every row of the
# file and (READ COMMITTED) none: the point is inside the transaction. Then
# the server gets SIGKILL. After that:
#   - no student of that import exists (the transaction rolled back);
#   - a restart within a minute leaves the record "processing" (its heartbeat
#     is fresh: on MySQL another instance could still be running it); once the
#     heartbeat is a minute old, GET /rosters/{id} says failed, in Chinese
#     (bounded wait);
#   - uploading the roster again imports every row exactly once, a third
#     upload changes nothing, and the audit chain verifies.
#
# Usage: scripts/faults/kill-during-import.sh
source "$(dirname "$0")/lib.sh"

ROWS=${ROWS:-3000}

need_tools
build
build_genroster
db_init
db_start
db_create "$DB_NAME"
PORT=$(free_port 18200)
# A small async threshold: the upload answers 202 and imports in the background.
ASYNC=(STUDENTAID_ROSTER_ASYNC_BYTES=65536)
SERVER_ENV=("${ASYNC[@]}" STUDENTAID_FAULT=roster.before_commit:wait)
server_start a "$PORT" --demo --demo-term=false
log "server on 127.0.0.1:$PORT, private MariaDB on 127.0.0.1:$DB_PORT"

T=$(login a school_nanzhou "$DEMO_PW")
[ -n "$T" ] || die "login failed"
SID=$(school_id a "$T" 2143092101)
genroster "$WORK/roster.xlsx" "$ROWS" 2143092101 primary 21
log "roster: $ROWS rows, $(stat -c %s "$WORK/roster.xlsx") bytes"

upload_roster a "$T" "$WORK/roster.xlsx" "$SID"
expect_eq "upload answered 202 (background import)" "$CODE" 202
IMPORT=$(jqb .id)
fault_wait roster.before_commit 120 "${SERVER_PID[a]}" ||
  die "the import never reached roster.before_commit (record: $(sql "SELECT CONCAT(status, ' ', message) FROM roster_imports WHERE id = $(int "$IMPORT")"))"
# The proof that the fault strikes inside the transaction: what it wrote is
# there uncommitted, and nothing of it is committed.
expect_eq "at roster.before_commit, students written in the open transaction (read uncommitted)" \
  "$(sql_dirty 'SELECT COUNT(*) FROM students')" "$ROWS"
expect_eq "at roster.before_commit, the record inside the transaction" \
  "$(sql_dirty "SELECT status FROM roster_imports WHERE id = $IMPORT")" done
expect_eq "at roster.before_commit, committed students (second connection)" "$(sql 'SELECT COUNT(*) FROM students')" 0
expect_eq "at roster.before_commit, the committed record" "$(sql "SELECT status FROM roster_imports WHERE id = $IMPORT")" processing
log "import $IMPORT held at roster.before_commit: kill -9 the server"
server_kill9 a

expect_eq "students committed right after the kill" "$(sql 'SELECT COUNT(*) FROM students')" 0
check "InnoDB rolls the killed transaction back (bounded 60 s)" -- trx_wait 60
expect_eq "students after the rollback, even read uncommitted" "$(sql_dirty 'SELECT COUNT(*) FROM students')" 0
expect_eq "enrolments after the rollback" "$(sql_dirty 'SELECT COUNT(*) FROM enrolments')" 0
LEFT=$(find "$WORK/data-a" -name 'roster-*.xlsx' | wc -l)
echo "INFO  temporary upload copies left in the data directory by the killed process: $LEFT"

# A restart right away, without the fault: the heartbeat is fresh, so the
# import may be alive on another instance and is left alone.
SERVER_ENV=("${ASYNC[@]}")
server_start a "$PORT"
T=$(login a school_nanzhou "$DEMO_PW")
req a "$T" GET "/api/v1/rosters/$IMPORT"
expect_eq "right after a restart the record says (heartbeat fresh)" "$(jqb .status)" processing

log "waiting (bounded, 100 s) until GET /rosters/$IMPORT reports the dead import failed"
st=""
for _ in $(seq 1 100); do
  req a "$T" GET "/api/v1/rosters/$IMPORT"
  st=$(jqb .status)
  [ "$st" = processing ] || break
  sleep 1
done
expect_eq "GET /rosters/{id} of the killed import: status" "$st" failed
MSG=$(jqb .message)
if printf '%s' "$MSG" | grep -qP '\p{Han}'; then pass "its message is Chinese: $MSG"; else failc "message not Chinese: '$MSG'"; fi
expect_eq "students of the killed import" "$(sql 'SELECT COUNT(*) FROM students')" 0

log "uploading the same roster again"
upload_roster a "$T" "$WORK/roster.xlsx" "$SID"
expect_eq "re-upload answered 202" "$CODE" 202
ID2=$(jqb .id)
wait_import a "$T" "$ID2" 120
expect_eq "re-upload finished" "$IMPORT_STATUS" done
expect_eq "re-upload created" "$(jqb .created)" "$ROWS"
expect_eq "students in the database" "$(sql 'SELECT COUNT(*) FROM students')" "$ROWS"
expect_eq "enrolments for 2025-2026" "$(sql "SELECT COUNT(*) FROM enrolments WHERE school_year = '2025-2026'")" "$ROWS"
expect_eq "duplicate ID hashes" "$(sql 'SELECT COUNT(*) FROM (SELECT id_hash FROM students GROUP BY id_hash HAVING COUNT(*) > 1) d')" 0

upload_roster a "$T" "$WORK/roster.xlsx" "$SID"
ID3=$(jqb .id)
wait_import a "$T" "$ID3" 120
expect_eq "third upload: nothing new (unchanged/created)" "$(jqb .unchanged)/$(jqb .created)" "$ROWS/0"
expect_eq "students still" "$(sql 'SELECT COUNT(*) FROM students')" "$ROWS"
check "audit chain valid" -- test "$(audit_verify a | cut -d' ' -f1)" = true
echo "      import statuses: $(sql "SELECT GROUP_CONCAT(CONCAT(id, '=', status) ORDER BY id) FROM roster_imports")"
summary
