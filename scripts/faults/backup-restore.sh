#!/usr/bin/env bash
# Backup and restore, tested (the procedure of docs/deploy.md).
#
# A private MariaDB gets real data through the API: a 100k-row roster,
# boarding aid calculated, approved and batched (a ~20k-line ledger, whose
# size is measured), the batch approved and downloaded. Then:
#   1. logical backup: mariadb-dump --single-transaction while the server
#      runs; restored into a new database; `studentaid migrate` on it; a
#      server on the restored database: audit chain valid with the same number
#      of entries, the ledger downloads with the same SHA-256, batch lines as
#      finance sees them (ID and account numbers decrypted) identical;
#   2. the same restore with a different data key is refused: without the key
#      the ID and account numbers cannot be read;
#   3. physical backup: mariadb-backup --backup/--prepare (when installed, or
#      installable with apt), a second mariadbd started on the prepared copy,
#      the same checks.
# Prints the measured sizes docs/deploy.md uses.
#
# Usage: scripts/faults/backup-restore.sh   (ROWS=100000 by default)
source "$(dirname "$0")/lib.sh"

ROWS=${ROWS:-100000}
TERM_=2025-2026-1

need_tools
need mariadb-dump mariadb-client
build
build_genroster
db_init
db_start
db_create "$DB_NAME"
PORT=$(free_port 18700)
server_start a "$PORT" --demo --demo-term=false
log "server on 127.0.0.1:$PORT, private MariaDB on 127.0.0.1:$DB_PORT"

T=$(login a school_nanzhou "$DEMO_PW")
FT=$(login a finance_nanxian "$DEMO_PW")
SID=$(school_id a "$T" 2143092101)
genroster "$WORK/roster.xlsx" "$ROWS" 2143092101 primary 51
RSIZE=$(stat -c %s "$WORK/roster.xlsx")
s=$(date +%s%N)
upload_roster a "$T" "$WORK/roster.xlsx" "$SID"
[ "$CODE" = 202 ] && wait_import a "$T" "$(jqb .id)" 300
IMPORT_MS=$((($(date +%s%N) - s) / 1000000))
expect_eq "roster of $ROWS rows imported" "$(jqb .status)/$(jqb .created)" "done/$ROWS"
n=$(approve_flow a school_nanzhou "$SID" county_nanxian boarding "$TERM_")
s=$(date +%s%N)
REQ_TIMEOUT=300 req a "$FT" POST /api/v1/jobs/batch_boarding/run
GEN_MS=$((($(date +%s%N) - s) / 1000000))
expect_eq "batch generated" "$(jqb .status)" succeeded
BATCH=$(jqb '.made.batches[0].id')
LINES=$(jqb '.made.batches[0].lines')
req a "$FT" POST "/api/v1/batches/$BATCH/approve"
expect_eq "batch approved by finance" "$(jqb .status)" approved
REQ_OUT=$WORK/ledger-orig.xlsx req a "$FT" GET "/api/v1/batches/$BATCH/ledger.xlsx"
LEDGER_SHA=$(sql "SELECT ledger_sha256 FROM batches WHERE id = $BATCH")
LEDGER_BYTES=$(stat -c %s "$WORK/ledger-orig.xlsx")
expect_eq "original ledger download matches ledger_sha256" "$(sha256sum "$WORK/ledger-orig.xlsx" | cut -d' ' -f1)" "$LEDGER_SHA"
req a "$FT" GET "/api/v1/batches/$BATCH/lines?page_size=50"
jq -c '[.items[] | [.seq, .name, .id_number, .bank_account, .amount_fen]]' <<<"$BODY" >"$WORK/lines-orig.json"
AUDIT_ORIG=$(audit_verify a)
AUDIT_N=$(sql "SELECT MAX(id) FROM audit_entries")
AUDIT_HASH=$(sql "SELECT hash FROM audit_entries WHERE id = $AUDIT_N")
COUNTS_Q="SELECT CONCAT_WS(' ', (SELECT COUNT(*) FROM students), (SELECT COUNT(*) FROM entitlements), (SELECT COUNT(*) FROM batch_lines),
  (SELECT COUNT(*) FROM ledger_chunks), (SELECT COUNT(*) FROM audit_entries))"
COUNTS_ORIG=$(sql "$COUNTS_Q")
echo "      data: students/entitlements/lines/ledger chunks/audit = $COUNTS_ORIG; audit verify: $AUDIT_ORIG"

# --- 1. logical backup while the server runs -----------------------------------
log "1. mariadb-dump --single-transaction (server running)"
s=$(date +%s%N)
mariadb-dump --no-defaults -h127.0.0.1 -P"$DB_PORT" -uroot --single-transaction --quick --hex-blob \
  --routines --triggers --events --default-character-set=utf8mb4 "$DB_NAME" | gzip -1 >"$WORK/backup.sql.gz" || die "dump failed"
DUMP_MS=$((($(date +%s%N) - s) / 1000000))
DUMP_GZ=$(stat -c %s "$WORK/backup.sql.gz")
DB_BYTES=$(sql "SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = '$DB_NAME'")
pass "dump taken in ${DUMP_MS} ms: $DUMP_GZ bytes gzipped (database on disk: $DB_BYTES bytes)"
cp "$WORK/data.key" "$WORK/backup-data.key"   # the key is backed up separately, never inside the dump

# --- physical backup, taken now (before anything else is in this server) ----------
if ! command -v mariadb-backup >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "installing mariadb-backup with apt"
  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-backup >/dev/null 2>&1) || true
fi
PHYS=""
if command -v mariadb-backup >/dev/null; then
  log "mariadb-backup --backup / --prepare (server running)"
  s=$(date +%s%N)
  mariadb-backup --no-defaults --backup --target-dir="$WORK/phys" --host=127.0.0.1 --port="$DB_PORT" --user=root \
    >"$WORK/mariabackup.log" 2>&1 || die "mariadb-backup --backup failed (see $WORK/mariabackup.log)"
  mariadb-backup --no-defaults --prepare --target-dir="$WORK/phys" >>"$WORK/mariabackup.log" 2>&1 || die "mariadb-backup --prepare failed"
  PHYS_MS=$((($(date +%s%N) - s) / 1000000))
  pass "physical backup taken and prepared in ${PHYS_MS} ms ($(du -sb "$WORK/phys" | cut -f1) bytes with InnoDB logs and system tables)"
  PHYS=1
else
  echo "INFO  mariadb-backup not installed and not installable here: the physical backup is not tested"
fi

db_create studentaid_restored
s=$(date +%s%N)
gunzip -c "$WORK/backup.sql.gz" | mysql_root studentaid_restored || die "restore failed"
RESTORE_MS=$((($(date +%s%N) - s) / 1000000))
pass "restored into studentaid_restored in ${RESTORE_MS} ms"
MIG=$(STUDENTAID_DATABASE_DRIVER=mysql STUDENTAID_DATABASE_DSN="$(dsn studentaid_restored)" STUDENTAID_DATA_DIR="$WORK/data-r" \
  STUDENTAID_DATA_KEY_FILE="$WORK/backup-data.key" "$BIN" migrate 2>&1) && rc=0 || rc=$?
expect_eq "studentaid migrate on the restored database ($MIG)" "$rc" 0
expect_eq "row counts of the restored database" "$(sql "$COUNTS_Q" studentaid_restored)" "$COUNTS_ORIG"

# verify_copy NAME LABEL DB [PORT]: a server NAME running on a restored copy gives the same audit, ledger and lines.
verify_copy() {
  local x=$1 label=$2 ft
  # The check's own login is audited, so the copy has a few more entries: its
  # chain must be valid and hold the original's last entry unchanged.
  local v; v=$(audit_verify "$x")
  expect_eq "$label: audit chain valid" "$(cut -d' ' -f1 <<<"$v")" true
  expect_eq "$label: audit entry #$AUDIT_N has the original hash (copy has $(cut -d' ' -f2 <<<"$v") entries)" \
    "$(mariadb --no-defaults -h127.0.0.1 -P"${4:-$DB_PORT}" -uroot -N -B "$3" -e "SELECT hash FROM audit_entries WHERE id = $AUDIT_N")" "$AUDIT_HASH"
  ft=$(login "$x" finance_nanxian "$DEMO_PW")
  REQ_OUT=$WORK/ledger-$x.xlsx req "$x" "$ft" GET "/api/v1/batches/$BATCH/ledger.xlsx"
  expect_eq "$label: ledger download SHA-256" "$(sha256sum "$WORK/ledger-$x.xlsx" | cut -d' ' -f1)" "$LEDGER_SHA"
  req "$x" "$ft" GET "/api/v1/batches/$BATCH/lines?page_size=50"
  expect_eq "$label: batch lines with decrypted ID and account numbers" \
    "$(jq -c '[.items[] | [.seq, .name, .id_number, .bank_account, .amount_fen]]' <<<"$BODY" | sha256sum | cut -c1-16)" \
    "$(sha256sum <"$WORK/lines-orig.json" | cut -c1-16)"
}
SERVER_ENV=(STUDENTAID_DATABASE_DSN="$(dsn studentaid_restored)" STUDENTAID_DATA_KEY_FILE="$WORK/backup-data.key")
server_start r "$(free_port 18750)"
verify_copy r "logical restore" studentaid_restored
server_stop r

# --- 2. the wrong key -----------------------------------------------------------
log "2. the restored database with another data key"
head -c 32 /dev/urandom | base64 >"$WORK/other.key"
OUT=$(STUDENTAID_DATABASE_DRIVER=mysql STUDENTAID_DATABASE_DSN="$(dsn studentaid_restored)" STUDENTAID_DATA_DIR="$WORK/data-w" \
  STUDENTAID_DATA_KEY_FILE="$WORK/other.key" "$BIN" migrate 2>&1) && rc=0 || rc=$?
if [ "$rc" -ne 0 ]; then pass "another key is refused: $OUT"; else failc "the restored database accepted another data key: $OUT"; fi
OUT=$(STUDENTAID_DATABASE_DRIVER=mysql STUDENTAID_DATABASE_DSN="$(dsn studentaid_restored)" STUDENTAID_DATA_DIR="$WORK/data-n" \
  STUDENTAID_DATA_KEY_FILE="$WORK/no-such.key" "$BIN" migrate 2>&1) && rc=0 || rc=$?
if [ "$rc" -ne 0 ]; then pass "no key at all is refused (no new key is made for a database with data): $OUT"; else failc "a missing key was accepted: $OUT"; fi

# --- 3. physical restore ----------------------------------------------------------
SERVER_ENV=()
if [ -n "$PHYS" ]; then
  log "3. a second mariadbd on the prepared physical copy"
  PPORT=$(free_port 27000)
  /usr/sbin/mariadbd --no-defaults --datadir="$WORK/phys" --port="$PPORT" --bind-address=127.0.0.1 \
    --socket="$WORK/phys.sock" --pid-file="$WORK/phys.pid" --user="$(id -un)" --skip-log-bin --innodb-buffer-pool-size=256M >"$WORK/phys-server.log" 2>&1 &
  PHYS_PID=$!
  EXTRA_PIDS+=("$PHYS_PID")
  for _ in $(seq 1 60); do mariadb --no-defaults -h127.0.0.1 -P"$PPORT" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.5; done
  PDSN="root@tcp(127.0.0.1:$PPORT)/$DB_NAME?parseTime=true&charset=utf8mb4"
  MIG=$(STUDENTAID_DATABASE_DRIVER=mysql STUDENTAID_DATABASE_DSN="$PDSN" STUDENTAID_DATA_DIR="$WORK/data-p" \
    STUDENTAID_DATA_KEY_FILE="$WORK/backup-data.key" "$BIN" migrate 2>&1) && rc=0 || rc=$?
  expect_eq "studentaid migrate on the physical copy ($MIG)" "$rc" 0
  SERVER_ENV=(STUDENTAID_DATABASE_DSN="$PDSN" STUDENTAID_DATA_KEY_FILE="$WORK/backup-data.key")
  server_start p "$(free_port 18780)"
  verify_copy p "physical restore" "$DB_NAME" "$PPORT"
  server_stop p
  SERVER_ENV=()
fi

echo
echo "---- measured figures (for docs/deploy.md)"
echo "roster:  $ROWS rows, $RSIZE bytes .xlsx, imported in ${IMPORT_MS} ms ($((ROWS * 1000 / IMPORT_MS)) rows/s)"
echo "batch:   $LINES lines generated with their ledger in ${GEN_MS} ms"
echo "ledger:  $LINES lines, $LEDGER_BYTES bytes ($((LEDGER_BYTES / LINES)) bytes/line), $(sql "SELECT COUNT(*) FROM ledger_chunks WHERE batch_id = $BATCH") chunk(s)"
echo "database: $DB_BYTES bytes on disk for $(cut -d' ' -f1 <<<"$COUNTS_ORIG") students; dump ${DUMP_GZ} bytes gzipped in ${DUMP_MS} ms; restore ${RESTORE_MS} ms"
sql "SELECT CONCAT('  ', table_name, ': ', table_rows, ' rows, ', data_length + index_length, ' bytes') FROM information_schema.tables
     WHERE table_schema = '$DB_NAME' AND data_length + index_length > 1000000 ORDER BY data_length + index_length DESC"
summary
