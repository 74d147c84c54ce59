# shellcheck shell=bash
# The load of scripts/multi/three-instances.sh, shared with replica.sh and
# galera.sh (sourced after ../faults/lib.sh): instances INST (default a b c)
# already started, ROWS students a school. Each phase is a function, so a
# script can run them around its own faults.
#
#   load_prepare       school ids, one roster per school (genroster)
#   scrape_start/stop  /metrics from every instance in the background
#   load_uploads       1. roster uploads at all instances at once, readers
#   load_calculations  2. calculations at two instances at once, the flow
#   load_jobs          3. every batch job at all instances at once, twice
#   load_checks        the database checks and ledgers from every instance
#   load_report        what the metrics showed, each batch run's duration
#   load_read_rates    list requests a second at one instance, then at three

ROWS=${ROWS:-3000}
TERMS=(2025-2026-1 2025-2026-2)
[ -n "${INST+x}" ] || INST=(a b c)

# note INSTANCE WHAT: one line per driven request, for the tally.
note() { echo "$1|$2|$CODE" >>"$CALLS"; }

load_prepare() {
  CALLS=$WORK/calls.log
  : >"$CALLS"

  declare -gA SID=()
  AT=$(login a admin "$ADMIN_PW")
  req a "$AT" GET "/api/v1/schools?page_size=200"
  while IFS=$'\t' read -r code id; do SID[$code]=$id; done < <(jq -r '.items[] | [.code, (.id | tostring)] | @tsv' <<<"$BODY")

  # school code, type, officer, county officer, programs
  SCHOOLS=(
    "2143092101 primary school_nanzhou county_nanxian boarding,nonboarding"
    "2143092102 nine_year school_maocaojie county_nanxian boarding,nonboarding"
    "2143092301 primary school_dongping county_anhua boarding,nonboarding"
    "2143092103 senior school_yizhong county_nanxian senior_grant"
    "2143092104 vocational school_zhizhuan county_nanxian vocational_grant"
  )
  i=0
  for s in "${SCHOOLS[@]}"; do
    read -r code type _ <<<"$s"
    rows=$ROWS
    case $type in senior | vocational) rows=$((ROWS / 2)) ;; esac
    genroster "$WORK/roster-$code.xlsx" "$rows" "$code" "$type" $((101 + i))
    i=$((i + 1))
  done

}

# --- metrics scraper ---------------------------------------------------------
scrape() {
  local n=0
  while [ -e "$WORK/scraping" ]; do
    for x in "${INST[@]}"; do
      curl -s -m 5 "$(base "$x")/metrics" >"$WORK/metrics-$x.txt.tmp" 2>/dev/null && mv "$WORK/metrics-$x.txt.tmp" "$WORK/metrics-$x.txt"
      if grep -q '^studentaid_job_lease_held' "$WORK/metrics-$x.txt" 2>/dev/null; then
        grep '^studentaid_job_lease_held' "$WORK/metrics-$x.txt" | sed "s/^/$(date +%T) $x /" >>"$WORK/lease-seen.txt"
      fi
    done
    n=$((n + 1))
    sleep "${SCRAPE_EVERY:-0.3}"
  done
  echo "$n" >"$WORK/scrapes"
}
scrape_start() {
  touch "$WORK/scraping"
  scrape &
  SCRAPER=$!
  EXTRA_PIDS+=("$SCRAPER")
}

scrape_stop() {
  rm -f "$WORK/scraping"
  wait "$SCRAPER" || true
}

# readers: a bounded loop of list requests at one instance.
readers() {
  local x=$1 t; t=$(login "$x" county_nanxian "$DEMO_PW")
  for _ in $(seq 1 "${READS:-15}"); do
    req "$x" "$t" GET "/api/v1/students?page_size=20"; note "$x" "GET /students"
    req "$x" "$t" GET "/api/v1/entitlements?page_size=20"; note "$x" "GET /entitlements"
    req "$x" "$t" GET "/api/v1/batches"; note "$x" "GET /batches"
    sleep 0.3
  done
}

load_uploads() {
  log "1. roster uploads at all instances at once (the 南洲 roster at a and b together)"
  upload_at() { # INSTANCE SCHOOL_CODE USER LABEL
    local t; t=$(login "$1" "$3" "$DEMO_PW")
    upload_roster "$1" "$t" "$WORK/roster-$2.xlsx" "${SID[$2]}"
    if [ "$CODE" = 202 ]; then wait_import "$1" "$t" "$(jqb .id)" 120; fi
    note "$1" "POST /rosters"
    echo "$4|$1|$2|$CODE|$(jqb '"\(.status // .error.code) created=\(.created // .error.details.created // "-") unchanged=\(.unchanged // .error.details.unchanged // "-") \(.error.message // .message // "")"')" >>"$WORK/uploads.txt"
  }
  : >"$WORK/uploads.txt"
  pids=()
  upload_at a 2143092101 school_nanzhou "南洲 at a" & pids+=($!)
  upload_at b 2143092101 school_nanzhou "南洲 again at b" & pids+=($!)
  upload_at b 2143092102 school_maocaojie "茅草街 at b" & pids+=($!)
  upload_at c 2143092301 school_dongping "东坪 at c" & pids+=($!)
  upload_at a 2143092103 school_yizhong "一中 at a" & pids+=($!)
  upload_at c 2143092104 school_zhizhuan "职专 at c" & pids+=($!)
  for x in "${INST[@]}"; do readers "$x" & pids+=($!); done
  wait "${pids[@]}"
  sort "$WORK/uploads.txt" | sed 's/^/      /'
  DEADLOCKS=$(cat "$WORK"/server-*.log | grep -c 'Deadlock found' || true)
  UPLOAD_FAILS=$(grep -vc '|200|done\||202|done' "$WORK/uploads.txt" || true)
  if [ "$UPLOAD_FAILS" -gt 0 ]; then
    echo "WARN  $UPLOAD_FAILS concurrent upload(s) did not finish 'done' ($DEADLOCKS MySQL deadlock(s) in the server logs): uploading again one by one"
  fi
  for s in "${SCHOOLS[@]}"; do
    read -r code _ user _ <<<"$s"
    upload_at a "$code" "$user" "again, one by one"
  done
  grep '^again' "$WORK/uploads.txt" | sed 's/^/      /'
  expect_eq "every roster imported once the uploads are sequential" "$(grep '^again' "$WORK/uploads.txt" | grep -c '|done')" "${#SCHOOLS[@]}"
  expect_eq "students with the same ID number twice" \
    "$(sql 'SELECT COUNT(*) FROM (SELECT id_hash FROM students GROUP BY id_hash HAVING COUNT(*) > 1) d')" 0
  echo "      students: $(sql 'SELECT COUNT(*) FROM students'), enrolments: $(sql 'SELECT COUNT(*) FROM enrolments')"

}

load_calculations() {
  log "2. calculations at two instances at once, then submit, notice, approve"
  calc_at() { # INSTANCE USER SCHOOL_ID PROGRAM TERM
    local t; t=$(login "$1" "$2" "$DEMO_PW")
    json_req "$1" "$t" POST /api/v1/entitlements/calculate "{\"program\":\"$4\",\"term\":\"$5\",\"school_id\":$3}"
    note "$1" "POST /entitlements/calculate"
    echo "$1 $2 $4 $5 $CODE $(jqb '"created=\(.created // "-") unchanged=\(.unchanged // "-") \(.error.code // "")"')" >>"$WORK/calcs.txt"
  }
  : >"$WORK/calcs.txt"
  pids=()
  k=0
  for s in "${SCHOOLS[@]}"; do
    read -r code _ user _ progs <<<"$s"
    for prog in ${progs//,/ }; do
      for term in "${TERMS[@]}"; do
        x=${INST[$((k % 3))]}; y=${INST[$(((k + 1) % 3))]}
        calc_at "$x" "$user" "${SID[$code]}" "$prog" "$term" & pids+=($!)
        calc_at "$y" "$user" "${SID[$code]}" "$prog" "$term" & pids+=($!)
        k=$((k + 1))
      done
    done
  done
  wait "${pids[@]}"
  echo "      calculations: $(awk '{print $5}' "$WORK/calcs.txt" | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')"
  flow_at() { # INSTANCE SCHOOL_USER SCHOOL_ID COUNTY_USER PROGRAM TERM
    local n; n=$(approve_flow "$1" "$2" "$3" "$4" "$5" "$6" 2>>"$WORK/flow.err")
    CODE=$([ "${n:-0}" -gt 0 ] && echo 200 || echo "-"); note "$1" "calculate+submit+notice+approve"
    echo "$1 $2 $5 $6 approved=$n" >>"$WORK/flows.txt"
  }
  : >"$WORK/flows.txt"
  pids=()
  k=0
  for s in "${SCHOOLS[@]}"; do
    read -r code _ user county progs <<<"$s"
    for prog in ${progs//,/ }; do
      for term in "${TERMS[@]}"; do
        flow_at "${INST[$((k % 3))]}" "$user" "${SID[$code]}" "$county" "$prog" "$term" & pids+=($!)
        k=$((k + 1))
      done
    done
  done
  for x in "${INST[@]}"; do READS=5 readers "$x" & pids+=($!); done
  wait "${pids[@]}"
  sort "$WORK/flows.txt" | sed 's/^/      /'
  [ -s "$WORK/flow.err" ] && sed 's/^/      flow: /' "$WORK/flow.err" | head -5
  APPROVED=$(sql "SELECT COUNT(*) FROM entitlements WHERE status = 'approved'")
  PAYABLE=$(sql "SELECT COUNT(*) FROM entitlements ent JOIN students s ON s.id = ent.student_id
    WHERE ent.status = 'approved' AND s.account_enc <> '' AND NOT (s.holder = '监护人' AND s.guardian = '')")
  echo "      approved entitlements: $APPROVED (payable: $PAYABLE)"
  check "lists were approved" -- test "$APPROVED" -gt 0
  expect_eq "entitlements twice for one student, program and term" \
    "$(sql 'SELECT COUNT(*) FROM (SELECT student_id, program, term FROM entitlements GROUP BY student_id, program, term HAVING COUNT(*) > 1) d')" 0

}

load_jobs() {
  log "3. every batch job triggered at all three instances at once, twice"
  SCRAPE_EVERY=0.1
  FT_USER=finance_nanxian
  run_at() { # INSTANCE USER PASSWORD JOB
    local t; t=$(login "$1" "$2" "$3")
    REQ_TIMEOUT=300 req "$1" "$t" POST "/api/v1/jobs/$4/run"
    note "$1" "POST /jobs/run"
    echo "$1 $2 $4 $CODE $(jqb '"\(.status) batches=\(.made.batches // [] | length) \(.error // "")"')" >>"$WORK/runs.txt"
  }
  : >"$WORK/runs.txt"
  JOBS=(batch_boarding batch_nonboarding batch_senior_grant batch_vocational_grant)
  for round in 1 2; do
    pids=()
    for j in "${JOBS[@]}"; do
      run_at a "$FT_USER" "$DEMO_PW" "$j" & pids+=($!)
      run_at b "$FT_USER" "$DEMO_PW" "$j" & pids+=($!)
      run_at c admin "$ADMIN_PW" "$j" & pids+=($!)
    done
    wait "${pids[@]}"
  done
  for j in "${JOBS[@]}"; do run_at "${INST[$((RANDOM % 3))]}" admin "$ADMIN_PW" "$j"; done
  awk '{print $3, $4, $5}' "$WORK/runs.txt" | sort | uniq -c | sed 's/^/      /'
}

load_checks() {
  log "checking the database"
  expect_eq "job runs left running" "$(sql "SELECT COUNT(*) FROM job_runs WHERE status = 'running'")" 0
  FAILED_RUNS=$(sql "SELECT COUNT(*) FROM job_runs WHERE status = 'failed'")
  if [ "$FAILED_RUNS" -gt 0 ]; then
    if [ "${STRICT:-}" = 1 ]; then failc "job runs failed: $FAILED_RUNS"; else
      echo "WARN  $FAILED_RUNS job run(s) failed (counted as failures with STRICT=1); their errors:"
    fi
    sql "SELECT CONCAT('      run ', id, ' ', job, ': ', LEFT(error, 110)) FROM job_runs WHERE status = 'failed' ORDER BY id" | sort -k4 | uniq -f3 -c | head -5
    # What the engine says of the last deadlock, for the service's developers.
    mysql_root -e 'SHOW ENGINE INNODB STATUS\G' 2>/dev/null | sed -n '/LATEST DETECTED DEADLOCK/,/^TRANSACTIONS/p' >"$WORK/deadlock.txt" || true
    if [ -s "$WORK/deadlock.txt" ]; then
      echo "      last deadlock (full text in \$WORK/deadlock.txt): the two statements and the locks they waited for:"
      grep -E '^(INSERT|UPDATE|DELETE|SELECT)|WAITING FOR THIS LOCK|^RECORD LOCKS|^TABLE LOCK|WE ROLL BACK' "$WORK/deadlock.txt" | cut -c1-170 | sed 's/^/        /' | head -12
    fi
  fi
  expect_eq "lines of a batch that does not exist (a half-written batch)" \
    "$(sql 'SELECT COUNT(*) FROM batch_lines l WHERE NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = l.batch_id)')" 0
  # Each chunk is sealed: 40 bytes more than its plain part (magic, key id, nonce, tag).
  expect_eq "batches without a stored ledger" \
    "$(sql "SELECT COUNT(*) FROM batches b WHERE b.ledger_sha256 = '' OR b.ledger_size <> (SELECT COALESCE(SUM(LENGTH(data) - 40), 0) FROM ledger_chunks c WHERE c.batch_id = b.id)")" 0
  echo "      job runs by status: $(sql "SELECT GROUP_CONCAT(CONCAT(status, '=', n) ORDER BY status) FROM (SELECT status, COUNT(*) n FROM job_runs WHERE trigger_kind = 'manual' GROUP BY status) r")"
  echo "      runs by instance: $(sql "SELECT GROUP_CONCAT(CONCAT(SUBSTRING_INDEX(instance, '/', 1), ':', status, '=', n) ORDER BY 1 SEPARATOR ', ') FROM (SELECT instance, status, COUNT(*) n FROM job_runs WHERE trigger_kind = 'manual' GROUP BY SUBSTRING_INDEX(instance, '/', 1), status) r")"
  expect_eq "students with the same ID number twice" \
    "$(sql 'SELECT COUNT(*) FROM (SELECT id_hash FROM students GROUP BY id_hash HAVING COUNT(*) > 1) d')" 0
  expect_eq "entitlements twice for one student, program and term" \
    "$(sql 'SELECT COUNT(*) FROM (SELECT student_id, program, term FROM entitlements GROUP BY student_id, program, term HAVING COUNT(*) > 1) d')" 0
  expect_eq "entitlements in two pending/paid lines (paid twice)" \
    "$(sql "SELECT COUNT(*) FROM (SELECT entitlement_id FROM batch_lines WHERE status IN ('pending', 'paid') GROUP BY entitlement_id HAVING COUNT(*) > 1) d")" 0
  expect_eq "students in two pending/paid lines of one program and term" \
    "$(sql "SELECT COUNT(*) FROM (SELECT l.student_id, b.program, b.term FROM batch_lines l JOIN batches b ON b.id = l.batch_id
            WHERE l.status IN ('pending', 'paid') GROUP BY l.student_id, b.program, b.term HAVING COUNT(*) > 1) d")" 0
  expect_eq "batched entitlements not in exactly one line" \
    "$(sql "SELECT COUNT(*) FROM entitlements e WHERE e.status = 'batched' AND (SELECT COUNT(*) FROM batch_lines l WHERE l.entitlement_id = e.id) <> 1")" 0
  expect_eq "payable approved entitlements left out of a batch" \
    "$(sql "SELECT COUNT(*) FROM entitlements ent JOIN students s ON s.id = ent.student_id
            WHERE ent.status = 'approved' AND s.account_enc <> '' AND NOT (s.holder = '监护人' AND s.guardian = '')")" 0
  expect_eq "batch lines = payable approved entitlements" "$(sql 'SELECT COUNT(*) FROM batch_lines')" "$PAYABLE"
  GROUPS_WANT=$(sql "SELECT COUNT(DISTINCT sc.region_code, e.program, e.term) FROM entitlements e JOIN schools sc ON sc.id = e.school_id WHERE e.status = 'batched'")
  expect_eq "county × program × term with more than one batch" \
    "$(sql 'SELECT COUNT(*) FROM (SELECT region_code, program, term FROM batches GROUP BY region_code, program, term HAVING COUNT(*) > 1) d')" 0
  expect_eq "batches (one per county × program × term with payable aid)" "$(sql 'SELECT COUNT(*) FROM batches')" "$GROUPS_WANT"
  expect_eq "batches whose count and total match their lines" \
    "$(sql "SELECT COUNT(*) FROM batches b WHERE b.line_count = (SELECT COUNT(*) FROM batch_lines l WHERE l.batch_id = b.id)
            AND b.total_fen = (SELECT SUM(amount_fen) FROM batch_lines l WHERE l.batch_id = b.id)")" "$GROUPS_WANT"
  ok=0
  AUD=$(login b auditor_yiyang "$DEMO_PW")
  for id in $(sql "SELECT id FROM batches"); do
    x=${INST[$((id % 3))]}
    REQ_OUT=$WORK/ledger.xlsx req "$x" "$AUD" GET "/api/v1/batches/$id/ledger.xlsx"
    [ "$(sha256sum "$WORK/ledger.xlsx" | cut -d' ' -f1)" = "$(sql "SELECT ledger_sha256 FROM batches WHERE id = $id")" ] && ok=$((ok + 1))
  done
  expect_eq "ledgers served byte-identical (SHA-256) by instances other than their maker" "$ok" "$GROUPS_WANT"
  for x in "${INST[@]}"; do
    v=$(audit_verify "$x")
    expect_eq "audit chain valid at instance $x ($(cut -d' ' -f2 <<<"$v") entries)" "$(cut -d' ' -f1 <<<"$v")" true
  done
  echo "      batches:"
  sql "SELECT CONCAT('        ', number, '  ', line_count, ' lines  ', total_fen, ' fen  run ', job_run_id) FROM batches ORDER BY number"

}

load_report() {
  echo
  echo "---- batch runs that made batches, seconds each: $(sql "SELECT GROUP_CONCAT(CONCAT(job, '=',
    ROUND(TIMESTAMPDIFF(MICROSECOND, started_at, finished_at) / 1e6, 2)) ORDER BY id SEPARATOR ' ')
    FROM job_runs WHERE status = 'succeeded' AND made LIKE '%number%'")"
  echo "---- metrics scraped from each instance ($(cat "$WORK/scrapes" 2>/dev/null || echo '?') rounds during the run)"
  if [ -s "$WORK/lease-seen.txt" ]; then
    echo "studentaid_job_lease_held seen while jobs ran ($(wc -l <"$WORK/lease-seen.txt") samples; first ones):"
    sort -u -k2 "$WORK/lease-seen.txt" | head -8 | sed 's/^/  /'
  else
    echo "studentaid_job_lease_held: no scrape fell inside a run (runs are short)"
  fi
  for x in "${INST[@]}"; do
    curl -s -m 5 "$(base "$x")/metrics" >"$WORK/metrics-$x.txt"
    echo "instance $x (127.0.0.1:${SERVER_PORT[$x]}):"
    awk '/^studentaid_http_requests_total/ { match($0, /status="[0-9]+"/); s = substr($0, RSTART + 8, 3); n[s] += $NF; t += $NF }
         END { printf "  studentaid_http_requests_total: %d (", t; for (k in n) printf "%s=%d ", k, n[k]; print ")" }' "$WORK/metrics-$x.txt"
    { grep -E '^studentaid_http_requests_total\{.*(rosters|calculate|jobs/:name/run)' "$WORK/metrics-$x.txt" || true; } | sed 's/^/    /'
    { grep -E '^studentaid_(batches|entitlements|roster_imports|job_runs)\{' "$WORK/metrics-$x.txt" || true; } | sed 's/^/  /'
    { grep -E '^go_sql_(open_connections|in_use_connections|wait_count_total)' "$WORK/metrics-$x.txt" || true; } | sed 's/^/  /'
  done
  echo
  echo "driven requests: $(wc -l <"$CALLS") ($(awk -F'|' '{print $1}' "$CALLS" | sort | uniq -c | awk '{printf "%s at %s, ", $1, $2}'))"
  echo "statuses: $(awk -F'|' '{print $3}' "$CALLS" | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')"
  DEADLOCKS=$(cat "$WORK"/server-*.log | grep -c 'Deadlock found' || true)
  if [ "$DEADLOCKS" -gt 0 ]; then
    echo "WARN  $DEADLOCKS MySQL deadlock(s) in the server logs (roster imports and batch runs at once); each rolled back whole (see the checks above)"
  fi
}

# read_rate INSTANCES...: 6 clients × 40 GET /students pages, the clients
# spread over the given instances; prints requests a second. Run with one
# instance and then three for the "one vs three" figure of docs/deploy.md.
read_rate() {
  local inst=("$@") s e c pids=()
  s=$(date +%s.%N)
  for c in 1 2 3 4 5 6; do
    (
      x=${inst[$((c % ${#inst[@]}))]}
      t=$(login "$x" county_nanxian "$DEMO_PW")
      for _ in $(seq 1 40); do req "$x" "$t" GET "/api/v1/students?page_size=50&page=$((RANDOM % 20 + 1))"; done
    ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  e=$(date +%s.%N)
  echo "scale=1; 240 / ($e - $s)" | bc
}

# load_read_rates: read_rate at instance a alone, then at a, b and c.
load_read_rates() {
  READ_ONE=$(read_rate a)
  READ_THREE=$(read_rate "${INST[@]}")
  echo "      reads (GET /students, 6 clients, 240 requests): one instance $READ_ONE req/s, three instances $READ_THREE req/s"
}
