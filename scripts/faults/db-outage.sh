#!/usr/bin/env bash
# Fault: the database goes away in the middle of a roster import's
# transaction, and comes back.
#
# A private MariaDB is started and `serve --demo` (the fault-test build) runs
# on it with roster.mid_write:wait: a background import stops after writing
# its first chunk of rows inside its open transaction. There a second
# connection sees those rows uncommitted (READ UNCOMMITTED) and none committed,
# and mariadbd is killed (SIGKILL); the import is let go and fails. Then:
#   - /readyz answers 503, an API call answers 503 database_unavailable with a
#     Chinese message, login answers 503 (not 500, not a hang);
#   - mariadbd is restarted on the same data directory (crash recovery);
#   - the same server process, never restarted, is ready again within a
#     bounded time and login and reads work;
#   - nothing of the import in flight was written (students counted with the
#     mariadb client), GET /rosters/{id} reports it failed in Chinese once its
#     heartbeat is a minute old, and uploading it again imports it whole.
#
# Usage: scripts/faults/db-outage.sh   (root, or MariaDB and jq installed)
source "$(dirname "$0")/lib.sh"

ROWS=${ROWS:-3000}

need_tools
build
build_genroster
db_init
db_start
db_create "$DB_NAME"
PORT=$(free_port 18100)
SERVER_ENV=(STUDENTAID_ROSTER_ASYNC_BYTES=65536 STUDENTAID_FAULT=roster.mid_write:wait)
server_start a "$PORT" --demo --demo-term=false
log "server on 127.0.0.1:$PORT, private MariaDB on 127.0.0.1:$DB_PORT"

T=$(login a school_nanzhou "$DEMO_PW")
[ -n "$T" ] || die "login as school_nanzhou failed"
SID=$(school_id a "$T" 2143092101)
genroster "$WORK/roster.xlsx" "$ROWS" 2143092101 primary 7

log "starting a $ROWS-row roster import"
upload_roster a "$T" "$WORK/roster.xlsx" "$SID"
expect_eq "roster upload accepted for background import" "$CODE" 202
IMPORT=$(jqb .id)
fault_wait roster.mid_write 120 "${SERVER_PID[a]}" ||
  die "the import never reached roster.mid_write (record: $(sql "SELECT CONCAT(status, ' ', message) FROM roster_imports WHERE id = $(int "$IMPORT")"))"
# The proof that the outage strikes inside the transaction.
DIRTY=$(int "$(sql_dirty 'SELECT COUNT(*) FROM students')")
if [ "$DIRTY" -gt 0 ] && [ "$DIRTY" -lt "$ROWS" ]; then
  pass "at roster.mid_write, $DIRTY of $ROWS students written in the open transaction (read uncommitted)"
else
  failc "at roster.mid_write, students written in the open transaction: $DIRTY (want between 1 and $((ROWS - 1)))"
fi
expect_eq "at roster.mid_write, committed students (second connection)" "$(sql 'SELECT COUNT(*) FROM students')" 0
log "import $IMPORT held at roster.mid_write: killing mariadbd (SIGKILL), then letting the import go on"
db_kill
KILLED_AT=$(date +%s)
fault_release roster.mid_write
check "the import gives up while the database is down (server log, bounded 90 s)" -- \
  log_wait a "background roster import ended with an error" 90

# --- while the database is down --------------------------------------------
req a "" GET /readyz
expect_eq "/readyz while the database is down" "$CODE" 503
req a "$T" GET "/api/v1/students?page_size=1"
expect_eq "GET /students while the database is down: status" "$CODE" 503
expect_eq "GET /students while the database is down: code" "$(jqb .error.code)" database_unavailable
MSG=$(jqb .error.message)
if printf '%s' "$MSG" | grep -qP '\p{Han}'; then pass "the 503 carries a Chinese message: $MSG"; else failc "503 message not Chinese: $MSG"; fi
req a "" POST /api/v1/auth/login -H 'Content-Type: application/json' \
  --data-binary "{\"username\":\"county_nanxian\",\"password\":\"$DEMO_PW\"}"
expect_eq "login while the database is down" "$CODE" 503
s=$(date +%s%N)
req a "$T" GET "/api/v1/rosters/$IMPORT"
ms=$((($(date +%s%N) - s) / 1000000))
expect_eq "GET /rosters/{id} while the database is down" "$CODE" 503
if [ "$ms" -lt 10000 ]; then pass "a request fails fast while the database is down (${ms} ms)"; else failc "request took ${ms} ms"; fi
check "the server process is still running" -- kill -0 "${SERVER_PID[a]}"
sleep 3

# --- the database comes back ------------------------------------------------
log "restarting mariadbd on the same data directory"
db_start
DOWN=$(($(date +%s) - KILLED_AT))
ready=""
for i in $(seq 1 60); do
  req a "" GET /readyz
  if [ "$CODE" = 200 ]; then ready=$i; break; fi
  sleep 0.5
done
if [ -n "$ready" ]; then pass "/readyz 200 again without restarting the server (after ${DOWN}s down, ${ready} polls)"; else failc "/readyz did not recover: $CODE"; fi
T2=$(login a county_nanxian "$DEMO_PW")
check "login works again on the same server process" -- test -n "$T2"
req a "$T2" GET "/api/v1/students?page_size=1"
expect_eq "GET /students works again" "$CODE" 200
check "the server was never restarted (same pid)" -- kill -0 "${SERVER_PID[a]}"

expect_eq "students written by the import cut off by the outage (mariadb client)" "$(sql_dirty 'SELECT COUNT(*) FROM students')" 0
expect_eq "enrolments written by it" "$(sql_dirty 'SELECT COUNT(*) FROM enrolments')" 0
expect_eq "difficulty records written by it" "$(sql_dirty 'SELECT COUNT(*) FROM difficulty_records')" 0
expect_eq "audit entries for a roster import" "$(sql "SELECT COUNT(*) FROM audit_entries WHERE entity = 'roster'")" 0
log "waiting (bounded, 100 s) until GET /rosters/$IMPORT reports the cut-off import failed"
st=""
for _ in $(seq 1 100); do
  req a "$T" GET "/api/v1/rosters/$IMPORT"
  st=$(jqb .status)
  [ "$st" = processing ] || break
  sleep 1
done
expect_eq "the interrupted import is recorded as failed" "$st" failed
MSG=$(jqb .message)
if printf '%s' "$MSG" | grep -qP '\p{Han}'; then pass "its message is Chinese: $MSG"; else failc "message not Chinese: '$MSG'"; fi

log "uploading the roster again"
upload_roster a "$T" "$WORK/roster.xlsx" "$SID"
expect_eq "re-upload accepted" "$CODE" 202
ID2=$(jqb .id)
wait_import a "$T" "$ID2" 120
expect_eq "re-upload finishes" "$IMPORT_STATUS" done
expect_eq "re-upload created every row" "$(jqb .created)" "$ROWS"
expect_eq "students after the re-upload" "$(sql 'SELECT COUNT(*) FROM students')" "$ROWS"
echo "      audit chain: $(audit_verify a)"
check "audit chain valid" -- test "$(audit_verify a | cut -d' ' -f1)" = true
if grep -q '"level":"ERROR"' "$WORK/server-a.log"; then
  echo "INFO  server logged $(grep -c '"level":"ERROR"' "$WORK/server-a.log") error lines during the outage (expected)"
fi
summary
