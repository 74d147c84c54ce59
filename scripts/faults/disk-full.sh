#!/usr/bin/env bash
# Fault: the data directory's disk is full during an upload.
#
# The server's data directory (where a large upload is kept for its
# background import) is a 256 KiB tmpfs; a roster of a few hundred KiB is
# uploaded. Without root or mount rights the same write failure comes from the
# fault-test build (roster.upload_copy:enospc) instead. Then:
#   - the upload answers 507 disk_full with a Chinese message, at once;
#   - the import is recorded failed in Chinese (not left "processing");
#   - no student is written and no partial copy stays in the data directory;
#   - the server stays up; once there is room (the tmpfs grown), the same
#     roster imports whole, and the audit chain verifies.
#
# Usage: scripts/faults/disk-full.sh   (NO_MOUNT=1: the fault point even where mounting works)
source "$(dirname "$0")/lib.sh"

ROWS=${ROWS:-3000}

need_tools
build
build_genroster
db_init
db_start
db_create "$DB_NAME"
PORT=$(free_port 18800)
DATA=$WORK/data-a
mkdir -p "$DATA"
SERVER_ENV=(STUDENTAID_ROSTER_ASYNC_BYTES=65536)
if [ "${NO_MOUNT:-}" != 1 ] && [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=256k tmpfs "$DATA" 2>/dev/null; then
  MOUNTS+=("$DATA")
  HOW="a 256 KiB tmpfs"
else
  SERVER_ENV+=(STUDENTAID_FAULT=roster.upload_copy:enospc)
  HOW="no mount here: the fault-test build's roster.upload_copy:enospc"
fi
server_start a "$PORT" --demo --demo-term=false
log "server on 127.0.0.1:$PORT, data directory on $HOW"

T=$(login a school_nanzhou "$DEMO_PW")
[ -n "$T" ] || die "login failed"
SID=$(school_id a "$T" 2143092101)
genroster "$WORK/roster.xlsx" "$ROWS" 2143092101 primary 61
log "roster: $ROWS rows, $(stat -c %s "$WORK/roster.xlsx") bytes; data directory: $(df -k --output=avail "$DATA" | tail -1) KiB free"

upload_roster a "$T" "$WORK/roster.xlsx" "$SID"
expect_eq "upload onto a full disk: status" "$CODE" 507
expect_eq "upload onto a full disk: code" "$(jqb .error.code)" disk_full
MSG=$(jqb .error.message)
if printf '%s' "$MSG" | grep -qP '\p{Han}'; then pass "the answer is Chinese: $MSG"; else failc "answer not Chinese: '$BODY'"; fi
expect_eq "the import record" "$(sql "SELECT status FROM roster_imports ORDER BY id DESC LIMIT 1")" failed
IMSG=$(sql "SELECT message FROM roster_imports ORDER BY id DESC LIMIT 1")
if printf '%s' "$IMSG" | grep -q '磁盘空间不足'; then pass "its message says the disk is full: $IMSG"; else failc "its message: '$IMSG'"; fi
expect_eq "students written" "$(sql 'SELECT COUNT(*) FROM students')" 0
expect_eq "partial copies left in the data directory" "$(find "$DATA" -name 'roster-*' | wc -l)" 0
req a "" GET /readyz
expect_eq "the server is still ready" "$CODE" 200

if [ -n "${MOUNTS[*]}" ]; then
  mount -o remount,size=64m "$DATA" || die "could not grow the tmpfs"
  log "the tmpfs grown to 64 MiB: uploading again"
else
  server_stop a
  SERVER_ENV=(STUDENTAID_ROSTER_ASYNC_BYTES=65536)
  server_start a "$PORT"
  T=$(login a school_nanzhou "$DEMO_PW")
  log "restarted without the fault: uploading again"
fi
upload_roster a "$T" "$WORK/roster.xlsx" "$SID"
expect_eq "upload once there is room" "$CODE" 202
wait_import a "$T" "$(jqb .id)" 120
expect_eq "the import" "$IMPORT_STATUS/$(jqb .created)" "done/$ROWS"
expect_eq "students" "$(sql 'SELECT COUNT(*) FROM students')" "$ROWS"
expect_eq "copies left in the data directory after the import" "$(find "$DATA" -name 'roster-*' | wc -l)" 0
check "audit chain valid" -- test "$(audit_verify a | cut -d' ' -f1)" = true
summary
