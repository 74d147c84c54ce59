#!/usr/bin/env bash
# Fault: the process is killed (kill -9) during a roster import.
#
# A 60k-row roster (over roster.async_bytes, so the upload answers 202 and
# imports in the background) is uploaded; while its transaction is writing,
# the server gets SIGKILL. Then:
#   - no student of that import exists (the transaction rolled back);
#   - a restart within a minute leaves the record "processing" (its heartbeat
#     is fresh: on MySQL another instance could still be running it), so the
#     script waits, bounded, until the heartbeat is a minute old and restarts
#     again: the record now says failed, with a message;
#   - uploading the roster again imports every row exactly once, and a third
#     upload changes nothing.
#
# Usage: scripts/faults/kill-during-import.sh
source "$(dirname "$0")/lib.sh"

ROWS=${ROWS:-60000}

need_tools
build
build_genroster
db_init
db_start
db_create "$DB_NAME"
PORT=$(free_port 18200)
server_start a "$PORT" --demo
log "server on 127.0.0.1:$PORT, private MariaDB on 127.0.0.1:$DB_PORT"

T=$(login a school_nanzhou "$DEMO_PW")
[ -n "$T" ] || die "login failed"
SID=$(school_id a "$T" 2143092101)
genroster "$WORK/roster.xlsx" "$ROWS" 2143092101 primary 21
log "roster: $ROWS rows, $(stat -c %s "$WORK/roster.xlsx") bytes"

upload_roster a "$T" "$WORK/roster.xlsx" "$SID"
expect_eq "upload answered 202 (background import)" "$CODE" 202
IMPORT=$(jqb .id)
for _ in $(seq 1 240); do
  p=$(sql "SELECT progress FROM roster_imports WHERE id = $IMPORT")
  [ "${p:-0}" -gt 55 ] && break
  sleep 0.25
done
log "import $IMPORT at $p% (rows being written): kill -9 the server"
server_kill9 a
KILLED=$(date +%s)

expect_eq "students right after the kill (mariadb client)" "$(sql 'SELECT COUNT(*) FROM students')" 0
LEFT=$(find "$WORK/data-a" -name 'roster-*.xlsx' | wc -l)
echo "INFO  temporary upload copies left in the data directory by the killed process: $LEFT"

# A restart right away: the heartbeat is fresh, so the import may be alive on
# another instance and is left alone.
server_start a "$PORT"
req a "$T" GET "/api/v1/rosters/$IMPORT"
echo "INFO  right after a restart the record says: $(jqb .status) (heartbeat $(sql "SELECT TIMESTAMPDIFF(SECOND, heartbeat_at, UTC_TIMESTAMP()) FROM roster_imports WHERE id = $IMPORT")s old)"

log "waiting (bounded, 90 s) until the import's heartbeat is over a minute old"
for _ in $(seq 1 90); do
  age=$(sql "SELECT TIMESTAMPDIFF(SECOND, heartbeat_at, UTC_TIMESTAMP()) FROM roster_imports WHERE id = $IMPORT")
  [ "${age:-0}" -gt 61 ] && break
  sleep 1
done
log "heartbeat ${age}s old; restarting the server"
server_stop a
server_start a "$PORT"
T=$(login a school_nanzhou "$DEMO_PW")
req a "$T" GET "/api/v1/rosters/$IMPORT"
expect_eq "GET /rosters/{id} of the killed import: status" "$(jqb .status)" failed
echo "      message: $(jqb .message)"
check "the start logged the imports it marked failed" -- grep -q 'roster imports cut short by a restart marked failed' "$WORK/server-a.log"
expect_eq "students of the killed import" "$(sql 'SELECT COUNT(*) FROM students')" 0
expect_eq "enrolments of the killed import" "$(sql 'SELECT COUNT(*) FROM enrolments')" 0

log "uploading the same roster again"
s=$(date +%s%N)
upload_roster a "$T" "$WORK/roster.xlsx" "$SID"
expect_eq "re-upload answered 202" "$CODE" 202
ID2=$(jqb .id)
wait_import a "$T" "$ID2" 180
secs=$((($(date +%s%N) - s) / 1000000))
expect_eq "re-upload finished" "$IMPORT_STATUS" done
expect_eq "re-upload created" "$(jqb .created)" "$ROWS"
echo "      import of $ROWS rows took ${secs} ms ($((ROWS * 1000 / (secs > 0 ? secs : 1))) rows/s)"
expect_eq "students in the database" "$(sql 'SELECT COUNT(*) FROM students')" "$ROWS"
expect_eq "enrolments for 2025-2026" "$(sql "SELECT COUNT(*) FROM enrolments WHERE school_year = '2025-2026'")" "$ROWS"
expect_eq "duplicate ID hashes" "$(sql 'SELECT COUNT(*) FROM (SELECT id_hash FROM students GROUP BY id_hash HAVING COUNT(*) > 1) d')" 0

upload_roster a "$T" "$WORK/roster.xlsx" "$SID"
ID3=$(jqb .id)
wait_import a "$T" "$ID3" 180
expect_eq "third upload: nothing new (unchanged)" "$(jqb .unchanged)/$(jqb .created)" "$ROWS/0"
expect_eq "students still" "$(sql 'SELECT COUNT(*) FROM students')" "$ROWS"
check "audit chain valid" -- test "$(audit_verify a | cut -d' ' -f1)" = true
echo "      import statuses: $(sql "SELECT GROUP_CONCAT(CONCAT(id, '=', status) ORDER BY id) FROM roster_imports")"
summary
