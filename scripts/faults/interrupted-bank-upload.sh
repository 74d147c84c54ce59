#!/usr/bin/env bash
# Fault: a bank result upload is interrupted half way.
#
# A batch is generated and approved by finance; the bank's result sheet is
# written from its lines (a few failed, the rest paid). Then the upload is cut
# off three ways, and after each the batch, its lines, its entitlements, the
# upload records and the audit log are compared with a snapshot taken before:
#   1. curl sends the body slowly (--limit-rate) and gives up half way (-m);
#   2. a raw connection announces the full Content-Length, sends half the
#      body and closes;
#   3. the whole request arrives but the file in it is cut in half (a
#      workbook truncated on its way to the uploader's disk);
#   4. the server (the fault-test build, bank_results.mid_file:wait) is
#      killed (kill -9) in the middle of applying the file: half of the lines
#      are marked inside the upload's transaction, which a second connection
#      reads uncommitted, and none committed.
# Then the full upload, on the restarted server, applies every line, and
# sending it again changes nothing.
#
# Usage: scripts/faults/interrupted-bank-upload.sh
source "$(dirname "$0")/lib.sh"

# Large enough that the result sheet (~55 bytes a line) is well over curl's
# 64 KiB upload buffer, so a rate-limited curl really stops half way.
ROWS=${ROWS:-8000}
FAILED=${FAILED:-5}
TERM_=2025-2026-1

need_tools
build
build_genroster
(cd "$ROOT" && go build -o "$WORK/bankresult" ./scripts/faults/bankresult) || die "building bankresult failed"
db_init
db_start
db_create "$DB_NAME"
PORT=$(free_port 18400)
# Armed from the start: only an upload that reaches its transaction (step 4) strikes.
SERVER_ENV=(STUDENTAID_FAULT=bank_results.mid_file:wait)
server_start a "$PORT" --demo --demo-term=false
log "server on 127.0.0.1:$PORT, private MariaDB on 127.0.0.1:$DB_PORT"

T=$(login a school_nanzhou "$DEMO_PW")
FT=$(login a finance_nanxian "$DEMO_PW")
SID=$(school_id a "$T" 2143092101)
genroster "$WORK/roster.xlsx" "$ROWS" 2143092101 primary 41
upload_roster a "$T" "$WORK/roster.xlsx" "$SID"
[ "$CODE" = 202 ] && wait_import a "$T" "$(jqb .id)" 120
expect_eq "roster imported" "$(jqb .status)" done
n=$(approve_flow a school_nanzhou "$SID" county_nanxian boarding "$TERM_")
echo "      approved boarding entitlements: $n"
req a "$FT" POST /api/v1/jobs/batch_boarding/run
expect_eq "batch_boarding run" "$(jqb .status)" succeeded
BATCH=$(jqb '.made.batches[0].id')
LINES=$(jqb '.made.batches[0].lines')
req a "$FT" POST "/api/v1/batches/$BATCH/approve"
expect_eq "finance approves batch $BATCH ($LINES lines)" "$CODE $(jqb .status)" "200 approved"

# The bank's result sheet, from the lines as finance sees them.
echo '[]' >"$WORK/lines.json"
for p in $(seq 1 $(((LINES + 199) / 200))); do
  req a "$FT" GET "/api/v1/batches/$BATCH/lines?page=$p&page_size=200"
  jq -s '.[0] + .[1].items' "$WORK/lines.json" - <<<"$BODY" >"$WORK/lines.tmp" && mv "$WORK/lines.tmp" "$WORK/lines.json"
done
expect_eq "lines fetched for the result sheet" "$(jq length "$WORK/lines.json")" "$LINES"
"$WORK/bankresult" -in "$WORK/lines.json" -out "$WORK/results.xlsx" -fail "$FAILED" || die "bankresult failed"
SIZE=$(stat -c %s "$WORK/results.xlsx")
log "result sheet: $LINES rows ($FAILED failed), $SIZE bytes"

# state: everything an applied upload would change, as one line.
state() {
  sql "SELECT CONCAT_WS(' | ',
    (SELECT CONCAT(status, ' paid_at=', COALESCE(paid_at, '-')) FROM batches WHERE id = $BATCH),
    (SELECT CONCAT('lines ', COUNT(*), ' crc ', COALESCE(SUM(CRC32(CONCAT_WS('/', id, status, fail_reason, COALESCE(result_at, '-'), COALESCE(open_entitlement_id, 0)))), 0))
       FROM batch_lines WHERE batch_id = $BATCH),
    (SELECT CONCAT('entitlements ', GROUP_CONCAT(CONCAT(status, '=', n) ORDER BY status))
       FROM (SELECT status, COUNT(*) n FROM entitlements GROUP BY status) e),
    (SELECT CONCAT('uploads ', COUNT(*)) FROM bank_result_uploads WHERE batch_id = $BATCH),
    (SELECT CONCAT('audit ', COUNT(*)) FROM audit_entries WHERE action <> 'download'))"
}
BEFORE=$(state)
echo "      before: $BEFORE"

# 1. curl gives up half way through a slow upload.
RATE=$((SIZE / 6 + 1))
set +e
curl -sS -o "$WORK/cut1.out" -m 3 --limit-rate "$RATE" -H "Authorization: Bearer $FT" \
  -F "file=@$WORK/results.xlsx" "$(base a)/api/v1/batches/$BATCH/results" 2>"$WORK/cut1.err"
rc=$?
set -e
expect_eq "curl cut off by its timeout (exit 28) about half way through $SIZE bytes" "$rc" 28
[ "$SIZE" -gt 131072 ] || echo "WARN  the sheet is small: curl may have sent it whole before its timeout"
sleep 1
expect_eq "state after the upload cut off by the client" "$(state)" "$BEFORE"

# 2. A raw connection: full Content-Length announced, half the body sent, closed.
B=----faultboundary7e3
{ printf -- '--%s\r\nContent-Disposition: form-data; name="file"; filename="results.xlsx"\r\n' "$B"
  printf 'Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n'
  cat "$WORK/results.xlsx"
  printf -- '\r\n--%s--\r\n' "$B"; } >"$WORK/multipart.body"
LEN=$(stat -c %s "$WORK/multipart.body")
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /api/v1/batches/%s/results HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=%s\r\nContent-Length: %s\r\n\r\n' \
  "$BATCH" "$FT" "$B" "$LEN" >&3
head -c $((LEN / 2)) "$WORK/multipart.body" >&3
sleep 0.5
exec 3>&- 3<&-
sleep 1
pass "raw upload: sent $((LEN / 2)) of $LEN announced bytes, then closed the connection"
expect_eq "state after the connection closed half way" "$(state)" "$BEFORE"

# 3. The request is whole but the workbook in it was cut in half.
head -c $((SIZE / 2)) "$WORK/results.xlsx" >"$WORK/results-half.xlsx"
req a "$FT" POST "/api/v1/batches/$BATCH/results" -F "file=@$WORK/results-half.xlsx"
expect_eq "a half workbook is refused" "$CODE" 400
echo "      $(jqb .error.code): $(jqb .error.message)"
expect_eq "state after the half workbook" "$(state)" "$BEFORE"
check "the server is still up" -- kill -0 "${SERVER_PID[a]}"

# 4. The server dies half way through applying the file.
( req a "$FT" POST "/api/v1/batches/$BATCH/results" -F "file=@$WORK/results.xlsx"; echo "$CODE" >"$WORK/cut4.out" ) &
UPLOADER=$!
fault_wait bank_results.mid_file 60 "${SERVER_PID[a]}" || die "the upload never reached bank_results.mid_file"
# The proof that the kill strikes inside the upload's transaction.
expect_eq "at bank_results.mid_file, lines marked in the open transaction (read uncommitted)" \
  "$(sql_dirty "SELECT COUNT(*) FROM batch_lines WHERE batch_id = $BATCH AND status <> 'pending'")" "$((LINES / 2))"
expect_eq "at bank_results.mid_file, lines marked and committed (second connection)" \
  "$(sql "SELECT COUNT(*) FROM batch_lines WHERE batch_id = $BATCH AND status <> 'pending'")" 0
server_kill9 a
wait "$UPLOADER" 2>/dev/null || true
echo "      the upload's answer: $(cat "$WORK/cut4.out" 2>/dev/null) (000: the connection died with the server)"
check "InnoDB rolls the killed transaction back (bounded 60 s)" -- trx_wait 60
expect_eq "state after the kill in the middle of the file" "$(state)" "$BEFORE"
SERVER_ENV=()
server_start a "$PORT"

# The whole upload, then a replay.
req a "$FT" POST "/api/v1/batches/$BATCH/results" -F "file=@$WORK/results.xlsx"
expect_eq "the full upload" "$CODE" 200
expect_eq "paid/failed/pending" "$(jqb '"\(.paid)/\(.failed)/\(.pending)"')" "$((LINES - FAILED))/$FAILED/0"
expect_eq "batch status" "$(jqb .batch_status)" partially_paid
AFTER=$(state)
echo "      after:  $AFTER"
expect_eq "lines paid / failed in the database" \
  "$(sql "SELECT CONCAT(SUM(status = 'paid'), '/', SUM(status = 'failed')) FROM batch_lines WHERE batch_id = $BATCH")" "$((LINES - FAILED))/$FAILED"
expect_eq "failed lines' entitlements back to approved for the next batch" \
  "$(sql "SELECT COUNT(*) FROM entitlements e JOIN batch_lines l ON l.entitlement_id = e.id WHERE l.batch_id = $BATCH AND l.status = 'failed' AND e.status = 'approved'")" "$FAILED"
req a "$FT" POST "/api/v1/batches/$BATCH/results" -F "file=@$WORK/results.xlsx"
expect_eq "the same upload again changes nothing" "$CODE $(jqb '"\(.paid)/\(.failed)/\(.unchanged)"')" "200 0/0/$LINES"
NOW=$(state)
expect_eq "lines and entitlements after the replay" "$(cut -d'|' -f1-3 <<<"$NOW")" "$(cut -d'|' -f1-3 <<<"$AFTER")"
check "audit chain valid" -- test "$(audit_verify a | cut -d' ' -f1)" = true
summary
