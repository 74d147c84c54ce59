#!/usr/bin/env bash
# Fault: `studentaid migrate` is killed (kill -9) in the middle of a migration.
#
# The fault-test build holds the first migration at migrate.mid: its first
# statement has run (MySQL DDL commits on its own), the rest of it and its
# schema_migrations row have not. There the script reads, from a second
# connection, the table that statement made and no recorded migration, and
# kills the process. Then:
#   - a start of the server on the half-migrated database migrates it to the
#     latest version and serves (readyz 200, demo login);
#   - `studentaid migrate` once more changes nothing (the same version).
#
# Usage: scripts/faults/kill-during-migrate.sh
source "$(dirname "$0")/lib.sh"

need_tools
build
db_init
db_start
db_create "$DB_NAME"

# migrate_cmd: `studentaid migrate` with the environment the servers get.
migrate_cmd() {
  exec env STUDENTAID_DATABASE_DRIVER=mysql STUDENTAID_DATABASE_DSN="$(dsn)" STUDENTAID_DATA_DIR="$WORK/data-m" \
    STUDENTAID_DATA_KEY_FILE="$WORK/data.key" STUDENTAID_FAULT_DIR="$FAULT_DIR" "$@" "$BIN" migrate
}

log "studentaid migrate on an empty database, held at migrate.mid"
(migrate_cmd STUDENTAID_FAULT=migrate.mid:wait >"$WORK/migrate-1.log" 2>&1) &
MIG=$!
EXTRA_PIDS+=("$MIG")
fault_wait migrate.mid 60 "$MIG" || die "migrate never reached migrate.mid: $(tail -3 "$WORK/migrate-1.log")"
# The proof that the kill strikes inside the migration: its first statement's
# table is there, the migration is not recorded.
expect_eq "at migrate.mid, the first statement's table exists (second connection)" \
  "$(sql "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$DB_NAME' AND table_name = 'settings'")" 1
expect_eq "at migrate.mid, the migration's later tables" \
  "$(sql "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$DB_NAME' AND table_name IN ('regions', 'schools')")" 0
expect_eq "at migrate.mid, migrations recorded" "$(sql 'SELECT COUNT(*) FROM schema_migrations')" 0
expect_eq "the process held at migrate.mid is studentaid migrate" "$(cat "$FAULT_DIR/migrate.mid.reached")" "$MIG"
kill -9 "$MIG" 2>/dev/null || true
wait "$MIG" 2>/dev/null || true
check "migrate was killed" -- test "$(kill -0 "$MIG" 2>/dev/null && echo alive || echo dead)" = dead

# The killed process's migration lease outlives it until its heartbeat is
# 20 s old: the server waits for it (the lease is not edited by hand).
expect_eq "the killed process's migration lease is still held" "$(sql 'SELECT COUNT(*) FROM schema_migration_lease')" 1
log "the server starts on the half-migrated database"
PORT=$(free_port 18950)
S0=$(date +%s)
server_start a "$PORT" --demo --demo-term=false
echo "INFO  the server answered after $(($(date +%s) - S0)) s (it waited for the dead holder's lease to expire)"
req a "" GET /readyz
expect_eq "/readyz on the database migrated at start" "$CODE" 200
T=$(login a county_nanxian "$DEMO_PW")
check "demo login works" -- test -n "$T"
WANT=$(sql 'SELECT MAX(version) FROM schema_migrations')
expect_eq "every migration recorded once" "$(sql 'SELECT COUNT(*) FROM schema_migrations')" "$(sql 'SELECT COUNT(DISTINCT version) FROM schema_migrations')"
OUT=$( (migrate_cmd) 2>&1) && rc=0 || rc=$?
expect_eq "studentaid migrate once more ($OUT)" "$rc $OUT" "0 database schema is at version $WANT"
check "audit chain valid" -- test "$(audit_verify a | cut -d' ' -f1)" = true
summary
