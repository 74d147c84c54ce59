# shellcheck shell=bash
# Shared by the batch fault scripts (sourced after lib.sh): approved boarding
# aid to batch, and the promises a batch run interrupted in any way must keep.

TERMS=(2025-2026-1 2025-2026-2)

# approve_boarding ROWS1 ROWS2: two schools of 南县 upload rosters; boarding aid
# for both terms is calculated, submitted, put on notice (period 0) and
# approved. Sets T1 T2 FT S1 S2 APPROVED PAYABLE.
approve_boarding() {
  T1=$(login a school_nanzhou "$DEMO_PW")
  T2=$(login a school_maocaojie "$DEMO_PW")
  FT=$(login a finance_nanxian "$DEMO_PW")
  [ -n "$T1" ] && [ -n "$T2" ] && [ -n "$FT" ] || die "demo logins failed"
  S1=$(school_id a "$T1" 2143092101)
  S2=$(school_id a "$T2" 2143092102)
  genroster "$WORK/r1.xlsx" "$1" 2143092101 primary 31
  genroster "$WORK/r2.xlsx" "$2" 2143092102 nine_year 32
  log "uploading two rosters ($1 + $2 rows)"
  # One after the other: the two rosters share a few ID numbers (as real
  # ones do: a student on two schools' lists), and two imports writing the
  # same student at once deadlock on MySQL (see multi/three-instances.sh).
  local st1 st2
  upload_roster a "$T1" "$WORK/r1.xlsx" "$S1"
  wait_import a "$T1" "$(jqb .id)" 120; st1=$IMPORT_STATUS
  upload_roster a "$T2" "$WORK/r2.xlsx" "$S2"
  wait_import a "$T2" "$(jqb .id)" 120; st2=$IMPORT_STATUS
  expect_eq "both rosters imported" "$st1/$st2" done/done
  log "calculate, submit, notice and approve boarding aid for both terms"
  local term n1 n2
  for term in "${TERMS[@]}"; do
    n1=$(approve_flow a school_nanzhou "$S1" county_nanxian boarding "$term")
    n2=$(approve_flow a school_maocaojie "$S2" county_nanxian boarding "$term")
    echo "      $term: approved $n1 + $n2"
  done
  APPROVED=$(sql "SELECT COUNT(*) FROM entitlements WHERE program = 'boarding' AND status = 'approved'")
  PAYABLE=$(sql "SELECT COUNT(*) FROM entitlements ent JOIN students s ON s.id = ent.student_id
    WHERE ent.program = 'boarding' AND ent.status = 'approved' AND s.account_enc <> '' AND NOT (s.holder = '监护人' AND s.guardian = '')")
  echo "      approved boarding entitlements: $APPROVED, of them payable (bank account on file): $PAYABLE"
  [ "$(int "$PAYABLE")" -gt 0 ] || die "nothing to batch"
}

# check_batches_whole: after the interrupted run and a completed one, one
# batch per county × program × term, every payable entitlement in exactly one
# line (nobody paid twice), totals that match, ledgers stored whole, the
# audit chain valid.
check_batches_whole() {
  expect_eq "groups (county × program × term) with more than one batch" \
    "$(sql "SELECT COUNT(*) FROM (SELECT region_code, program, term FROM batches GROUP BY region_code, program, term HAVING COUNT(*) > 1) d")" 0
  expect_eq "batches" "$(sql "SELECT COUNT(*) FROM batches")" "${#TERMS[@]}"
  expect_eq "batch lines = payable approved entitlements" "$(sql "SELECT COUNT(*) FROM batch_lines")" "$PAYABLE"
  expect_eq "entitlements in more than one line (paid twice)" \
    "$(sql "SELECT COUNT(*) FROM (SELECT entitlement_id FROM batch_lines GROUP BY entitlement_id HAVING COUNT(*) > 1) d")" 0
  expect_eq "batched entitlements without exactly one line" \
    "$(sql "SELECT COUNT(*) FROM entitlements e WHERE e.status = 'batched' AND (SELECT COUNT(*) FROM batch_lines l WHERE l.entitlement_id = e.id) <> 1")" 0
  expect_eq "batched entitlements" "$(sql "SELECT COUNT(*) FROM entitlements WHERE status = 'batched'")" "$PAYABLE"
  expect_eq "approved entitlements left (no bank account: held)" \
    "$(sql "SELECT COUNT(*) FROM entitlements WHERE program = 'boarding' AND status = 'approved'")" "$((APPROVED - PAYABLE))"
  expect_eq "batches whose totals match their lines" \
    "$(sql "SELECT COUNT(*) FROM batches b WHERE b.line_count = (SELECT COUNT(*) FROM batch_lines l WHERE l.batch_id = b.id)
            AND b.total_fen = (SELECT SUM(amount_fen) FROM batch_lines l WHERE l.batch_id = b.id)")" "${#TERMS[@]}"
  local id want got
  for id in $(sql "SELECT id FROM batches ORDER BY id"); do
    want=$(sql "SELECT ledger_sha256 FROM batches WHERE id = $id")
    REQ_OUT=$WORK/ledger-$id.xlsx req a "$FT" GET "/api/v1/batches/$id/ledger.xlsx"
    got=$(sha256sum "$WORK/ledger-$id.xlsx" | cut -d' ' -f1)
    expect_eq "ledger of batch $id downloads with its stored SHA-256 ($(stat -c %s "$WORK/ledger-$id.xlsx") bytes)" "$got" "$want"
  done
  check "audit chain valid (auditor_yiyang)" -- test "$(audit_verify a | cut -d' ' -f1)" = true
  echo "      runs: $(sql "SELECT GROUP_CONCAT(CONCAT(id, ':', trigger_kind, ':', status) ORDER BY id) FROM job_runs WHERE job = 'batch_boarding'")"
  echo "      batches: $(sql "SELECT GROUP_CONCAT(CONCAT(number, ' ', line_count, ' lines, run ', job_run_id) ORDER BY id SEPARATOR '; ') FROM batches")"
}
