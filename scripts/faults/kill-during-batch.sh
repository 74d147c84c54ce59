#!/usr/bin/env bash
# Fault: the process is killed (kill -9) during batch generation.
#
# Two schools of 南县 upload large rosters, boarding aid for both terms of
# 2025-2026 is calculated, submitted, put on notice (notice period 0) and
# approved by the county: tens of thousands of approved entitlements. Finance
# runs batch_boarding (POST /jobs/batch_boarding/run); as soon as its first
# batch has committed and the next is being written, the server gets SIGKILL.
# Then the server is restarted and:
#   - a run started at once is skipped: the dead run's lease still holds;
#   - after the lease expires (2 minutes; bounded wait) the next run marks the
#     killed run failed and completes the batches;
#   - exactly one batch per county × program × term, every approved
#     entitlement in exactly one line, no line of the killed transaction,
#     every ledger stored whole (download SHA-256 = ledger_sha256);
#   - the audit chain is valid (GET /audit/verify as auditor_yiyang).
#
# Usage: scripts/faults/kill-during-batch.sh   (ROWS1/ROWS2 change the roster sizes)
source "$(dirname "$0")/lib.sh"

ROWS1=${ROWS1:-60000}   # 南县南洲镇中心小学 (primary)
ROWS2=${ROWS2:-70000}   # 南县茅草街镇九年制学校 (nine-year)
TERMS=(2025-2026-1 2025-2026-2)

need_tools
build
build_genroster
db_init
db_start
db_create "$DB_NAME"
PORT=$(free_port 18300)
server_start a "$PORT" --demo
log "server on 127.0.0.1:$PORT, private MariaDB on 127.0.0.1:$DB_PORT"

T1=$(login a school_nanzhou "$DEMO_PW")
T2=$(login a school_maocaojie "$DEMO_PW")
FT=$(login a finance_nanxian "$DEMO_PW")
[ -n "$T1" ] && [ -n "$T2" ] && [ -n "$FT" ] || die "demo logins failed"
S1=$(school_id a "$T1" 2143092101)
S2=$(school_id a "$T2" 2143092102)
genroster "$WORK/r1.xlsx" "$ROWS1" 2143092101 primary 31
genroster "$WORK/r2.xlsx" "$ROWS2" 2143092102 nine_year 32

log "uploading two rosters ($ROWS1 + $ROWS2 rows)"
# One after the other: the two rosters share a few hundred ID numbers (as real
# ones do: a student on two schools' lists), and two imports writing the same
# student at once deadlock on MySQL (see multi/three-instances.sh).
upload_roster a "$T1" "$WORK/r1.xlsx" "$S1"; I1=$(jqb .id)
wait_import a "$T1" "$I1" 240; st1=$IMPORT_STATUS
upload_roster a "$T2" "$WORK/r2.xlsx" "$S2"; I2=$(jqb .id)
wait_import a "$T2" "$I2" 240; st2=$IMPORT_STATUS
expect_eq "both rosters imported" "$st1/$st2" done/done

log "calculate, submit, notice and approve boarding aid for both terms"
for term in "${TERMS[@]}"; do
  n1=$(approve_flow a school_nanzhou "$S1" county_nanxian boarding "$term")
  n2=$(approve_flow a school_maocaojie "$S2" county_nanxian boarding "$term")
  echo "      $term: approved $n1 + $n2"
done
APPROVED=$(sql "SELECT COUNT(*) FROM entitlements WHERE program = 'boarding' AND status = 'approved'")
PAYABLE=$(sql "SELECT COUNT(*) FROM entitlements ent JOIN students s ON s.id = ent.student_id
  WHERE ent.program = 'boarding' AND ent.status = 'approved' AND s.account_enc <> '' AND NOT (s.holder = '监护人' AND s.guardian = '')")
echo "      approved boarding entitlements: $APPROVED, of them payable (bank account on file): $PAYABLE"
[ "$PAYABLE" -gt 0 ] || die "nothing to batch"

log "finance runs batch_boarding; kill -9 once the first batch has committed"
( REQ_TIMEOUT=600 req a "$FT" POST /api/v1/jobs/batch_boarding/run; echo "$CODE $BODY" >"$WORK/run1.out" ) &
RUNNER=$!
killed=""
for _ in $(seq 1 1200); do
  nb=$(sql "SELECT COUNT(*) FROM batches")
  if [ "$nb" -ge 1 ]; then server_kill9 a; killed=1; break; fi
  kill -0 "$RUNNER" 2>/dev/null || break
  sleep 0.05
done
wait "$RUNNER" 2>/dev/null || true
[ -n "$killed" ] || die "the run ended before it could be killed: $(cat "$WORK/run1.out")"
RUN1=$(sql "SELECT MAX(id) FROM job_runs WHERE job = 'batch_boarding'")
B_AFTER_KILL=$(sql "SELECT COUNT(*) FROM batches")
L_AFTER_KILL=$(sql "SELECT COUNT(*) FROM batch_lines")
pass "server killed during run $RUN1 with $B_AFTER_KILL batch(es) committed ($L_AFTER_KILL lines) of the ${#TERMS[@]} due"
expect_eq "the killed run is still recorded as running" "$(sql "SELECT status FROM job_runs WHERE id = $RUN1")" running
expect_eq "committed batches whose line count matches their lines" \
  "$(sql "SELECT COUNT(*) FROM batches b WHERE b.line_count = (SELECT COUNT(*) FROM batch_lines l WHERE l.batch_id = b.id)")" "$B_AFTER_KILL"
expect_eq "lines outside a committed batch (half-written batch)" \
  "$(sql "SELECT COUNT(*) FROM batch_lines l WHERE NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = l.batch_id)")" 0

log "restarting the server"
server_start a "$PORT"
FT=$(login a finance_nanxian "$DEMO_PW")
req a "$FT" POST /api/v1/jobs/batch_boarding/run
expect_eq "a run while the dead run's lease holds is skipped" "$(jqb .status)" skipped
echo "      its error: $(jqb .error)"
expect_eq "batches unchanged by the skipped run" "$(sql 'SELECT COUNT(*) FROM batches')" "$B_AFTER_KILL"

log "waiting for the lease to expire (bounded: 150 s)"
for _ in $(seq 1 150); do
  left=$(sql "SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), expires_at) FROM job_leases WHERE job = 'batch_boarding'")
  [ "${left:-0}" -lt 0 ] && break
  sleep 1
done
sleep 1
s=$(date +%s%N)
REQ_TIMEOUT=600 req a "$FT" POST /api/v1/jobs/batch_boarding/run
ms=$((($(date +%s%N) - s) / 1000000))
expect_eq "the run after the lease expired" "$(jqb .status)" succeeded
echo "      it made: $(jqb '[.made.batches[] | "\(.number) \(.lines) lines"] | join(", ")') in ${ms} ms"
RUN1_STATUS=$(sql "SELECT status FROM job_runs WHERE id = $RUN1")
expect_eq "the killed run is now marked" "$RUN1_STATUS" failed
echo "      its error: $(sql "SELECT error FROM job_runs WHERE id = $RUN1")"
req a "$FT" POST /api/v1/jobs/batch_boarding/run
expect_eq "one more run makes nothing" "$(jqb '.status + " " + (.made.batches | length | tostring)')" "succeeded 0"

# --- the database after the fault ------------------------------------------
expect_eq "groups (county × program × term) with more than one batch" \
  "$(sql "SELECT COUNT(*) FROM (SELECT region_code, program, term FROM batches GROUP BY region_code, program, term HAVING COUNT(*) > 1) d")" 0
expect_eq "batches" "$(sql "SELECT COUNT(*) FROM batches")" "${#TERMS[@]}"
LINES=$(sql "SELECT COUNT(*) FROM batch_lines")
expect_eq "batch lines = payable approved entitlements" "$LINES" "$PAYABLE"
expect_eq "entitlements in more than one line" \
  "$(sql "SELECT COUNT(*) FROM (SELECT entitlement_id FROM batch_lines GROUP BY entitlement_id HAVING COUNT(*) > 1) d")" 0
expect_eq "batched entitlements without exactly one line" \
  "$(sql "SELECT COUNT(*) FROM entitlements e WHERE e.status = 'batched' AND (SELECT COUNT(*) FROM batch_lines l WHERE l.entitlement_id = e.id) <> 1")" 0
expect_eq "batched entitlements" "$(sql "SELECT COUNT(*) FROM entitlements WHERE status = 'batched'")" "$PAYABLE"
expect_eq "approved entitlements left (no bank account: held)" \
  "$(sql "SELECT COUNT(*) FROM entitlements WHERE program = 'boarding' AND status = 'approved'")" "$((APPROVED - PAYABLE))"
expect_eq "batches whose totals match their lines" \
  "$(sql "SELECT COUNT(*) FROM batches b WHERE b.line_count = (SELECT COUNT(*) FROM batch_lines l WHERE l.batch_id = b.id)
          AND b.total_fen = (SELECT SUM(amount_fen) FROM batch_lines l WHERE l.batch_id = b.id)")" "${#TERMS[@]}"
for id in $(sql "SELECT id FROM batches ORDER BY id"); do
  want=$(sql "SELECT ledger_sha256 FROM batches WHERE id = $id")
  REQ_OUT=$WORK/ledger-$id.xlsx req a "$FT" GET "/api/v1/batches/$id/ledger.xlsx"
  got=$(sha256sum "$WORK/ledger-$id.xlsx" | cut -d' ' -f1)
  expect_eq "ledger of batch $id downloads with its stored SHA-256 ($(stat -c %s "$WORK/ledger-$id.xlsx") bytes)" "$got" "$want"
done
check "audit chain valid (auditor_yiyang)" -- test "$(audit_verify a | cut -d' ' -f1)" = true
echo "      audit: $(audit_verify a)"
echo "      runs: $(sql "SELECT GROUP_CONCAT(CONCAT(id, ':', trigger_kind, ':', status) ORDER BY id) FROM job_runs WHERE job = 'batch_boarding'")"
echo "      batches: $(sql "SELECT GROUP_CONCAT(CONCAT(number, ' ', line_count, ' lines, run ', job_run_id) ORDER BY id SEPARATOR '; ') FROM batches")"
summary
