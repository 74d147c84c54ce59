#!/usr/bin/env bash
# Three MariaDB Galera nodes (galera-4, gcomm on loopback ports, rsync state
# transfer; scripts/multi/galera-node.cnf), one service instance on each
# (a on node 1, b on node 2, c on node 3), the load of three-instances.sh:
# uploads, calculations at two instances at once, every batch job triggered
# at every instance twice. While the batch jobs run, the node of the instance
# that is generating a batch gets kill -9; it is started again and
# rejoins (IST, or SST when its state is too old) while the others go on.
# Once the dead run's lease has expired the jobs run again. Then the checks
# of three-instances.sh, and the money tables' checksums equal on all three
# nodes (the killed one included).
#
# Figures printed for docs/deploy.md: reads at one instance (one node) and
# at three (three nodes) in the same run, each batch job's duration, the
# time the killed node took to be Synced again.
#
# Needs galera-4 and rsync (installed with apt when root). mariadbd runs as
# the mysql user on mysql-owned data directories when the script is root:
# the rsync donor cannot write into root-owned ones.
#
# Usage: scripts/multi/galera.sh   (ROWS changes the roster size)
source "$(dirname "$0")/../faults/lib.sh"
source "$(dirname "$0")/load.sh"

need_tools
need rsync rsync
[ -e /usr/lib/galera/libgalera_smm.so ] || need galera-4-provider-missing galera-4
build
build_genroster

# --- the cluster ---------------------------------------------------------------
GDIR=$WORK/galera
RUN_AS=$(id -un)
[ "$(id -u)" = 0 ] && RUN_AS=mysql
chmod 711 "$WORK"   # the mysql user must reach its data directories
declare -A NODE_PID=() NODE_PORT=()
PEERS=""
for i in 1 2 3; do
  NODE_PORT[$i]=$(free_port $((36000 + 1000 * i)))
  G[$i]=$(free_port $((NODE_PORT[$i] + 1)))
  PEERS="$PEERS${PEERS:+,}127.0.0.1:${G[$i]}"
done
for i in 1 2 3; do
  d=$GDIR/node$i
  mkdir -p "$d/data" "$d/tmp"
  sed -e "s#@DIR@#$d#g" -e "s/@PORT@/${NODE_PORT[$i]}/" -e "s/@GPORT@/${G[$i]}/" \
    -e "s/@IPORT@/$(free_port $((G[$i] + 1)))/" -e "s/@SPORT@/$(free_port $((G[$i] + 2)))/" \
    -e "s/@NAME@/node$i/" -e "s/@PEERS@/$PEERS/" -e "s/^user=mysql/user=$RUN_AS/" \
    "$ROOT/scripts/multi/galera-node.cnf" >"$d/my.cnf"
  chown -R "$RUN_AS" "$d"
done
mariadb-install-db --defaults-file="$GDIR/node1/my.cnf" --auth-root-authentication-method=normal >"$GDIR/install.log" 2>&1 ||
  die "mariadb-install-db failed (see $GDIR/install.log)"

nsql() { mariadb --no-defaults -h127.0.0.1 -P"${NODE_PORT[$1]}" -uroot -N -B "${3:-$DB_NAME}" -e "$2"; }
node_state() { nsql "$1" "SHOW STATUS LIKE 'wsrep_local_state_comment'" mysql 2>/dev/null | cut -f2; }
node_start() { # I [mariadbd options]
  local i=$1; shift
  mariadbd --defaults-file="$GDIR/node$i/my.cnf" "$@" >>"$GDIR/node$i/stdout.log" 2>&1 &
  NODE_PID[$i]=$!
  EXTRA_PIDS+=("${NODE_PID[$i]}")
}
node_wait() { # I SECONDS: until the node says Synced
  for _ in $(seq 1 $(($2 * 4))); do
    [ "$(node_state "$1")" = Synced ] && return 0
    kill -0 "${NODE_PID[$1]}" 2>/dev/null || break
    sleep 0.25
  done
  tail -n 20 "$GDIR/node$1/server.log" >&2
  return 1
}
S=$(date +%s)
node_start 1 --wsrep-new-cluster
node_wait 1 60 || die "node 1 did not bootstrap"
node_start 2
node_start 3
node_wait 2 180 || die "node 2 did not join"
node_wait 3 180 || die "node 3 did not join"
expect_eq "cluster size" "$(nsql 1 "SHOW STATUS LIKE 'wsrep_cluster_size'" mysql | cut -f2)" 3
log "three Galera nodes synced in $(($(date +%s) - S))s: SQL ports ${NODE_PORT[1]} ${NODE_PORT[2]} ${NODE_PORT[3]}"

# lib.sh's sql, db_create and load_checks use node 1.
DB_PORT=${NODE_PORT[1]}
db_create "$DB_NAME"
P0=$(free_port 18800)
declare -A NODE_OF=([a]=1 [b]=2 [c]=3)
k=0
for x in a b c; do
  SERVER_ENV=(STUDENTAID_DATABASE_DSN="root@tcp(127.0.0.1:${NODE_PORT[${NODE_OF[$x]}]})/$DB_NAME?parseTime=true&charset=utf8mb4")
  if [ "$x" = a ]; then server_start a "$(free_port "$P0")" --demo --demo-term=false; else server_start "$x" "$(free_port $((P0 + k)))"; fi
  k=$((k + 1))
done
SERVER_ENV=()

load_prepare
scrape_start
load_uploads
load_calculations

load_read_rates

# --- batches, with a node killed mid-generation ----------------------------------------
KILLED=""
killer() {
  local inst x run
  while [ -e "$WORK/jobs-running" ]; do
    while read -r run inst; do
      # The instance is host-pid/run: the pid names the server.
      inst=${inst%%/*}
      for x in a b c; do
        if [ "$inst" != "" ] && [ "${inst##*-}" = "${SERVER_PID[$x]}" ]; then
          echo "$run $x" >"$WORK/killed"
          kill -9 "${NODE_PID[${NODE_OF[$x]}]}"
          return 0
        fi
      done
    done < <(sql "SELECT id, instance FROM job_runs WHERE status = 'running' AND job LIKE 'batch_%' ORDER BY id DESC" 2>/dev/null)
    sleep 0.05
  done
}
touch "$WORK/jobs-running"
killer &
KILLER=$!
EXTRA_PIDS+=("$KILLER")
load_jobs
rm -f "$WORK/jobs-running"
wait "$KILLER" || true
if [ -s "$WORK/killed" ]; then
  read -r KILLED_RUN KILLED_INST <"$WORK/killed"
  KN=${NODE_OF[$KILLED_INST]}
  wait "${NODE_PID[$KN]}" 2>/dev/null || true
  # lib.sh's sql and the checks ask node 1; while it is away, node 2.
  [ "$KN" = 1 ] && DB_PORT=${NODE_PORT[2]}
  log "node $KN (instance $KILLED_INST) was killed during run $KILLED_RUN: $(sql "SELECT job FROM job_runs WHERE id = $KILLED_RUN")"
  S=$(date +%s.%N)
  node_start "$KN"
  check "the killed node rejoined (Synced)" -- node_wait "$KN" 300
  RECOVER=$(echo "$(date +%s.%N) - $S" | bc | cut -c1-5)
  HOW=$(grep -Eo 'IST received|State transfer required|SST .* complete' "$GDIR/node$KN/server.log" | tail -1)
  echo "      node $KN back to Synced ${RECOVER}s after its start (${HOW:-see its log})"
else
  failc "no batch run was seen running: no node was killed"
  KN=2
fi

# The dead run's lease expires (2 minutes); then every job runs again at a
# surviving instance and completes what the dead run did not commit.
log "re-running the batch jobs once the dead run's lease has expired"
for _ in $(seq 1 40); do
  for j in "${JOBS[@]}"; do run_at a admin "$ADMIN_PW" "$j"; done
  [ "$(sql "SELECT COUNT(*) FROM job_runs WHERE status = 'running'")" = 0 ] &&
    [ "$(sql "SELECT COUNT(*) FROM entitlements ent JOIN students s ON s.id = ent.student_id
      WHERE ent.status = 'approved' AND s.account_enc <> '' AND NOT (s.holder = '监护人' AND s.guardian = '')")" = 0 ] && break
  sleep 5
done
scrape_stop
if [ -n "${KILLED_RUN:-}" ]; then
  echo "      the killed run: $(sql "SELECT CONCAT(status, ' — ', LEFT(COALESCE(error, ''), 90)) FROM job_runs WHERE id = $KILLED_RUN")"
fi
load_checks

log "the money tables on every node"
for i in 1 2 3; do
  for _ in $(seq 1 60); do [ "$(node_state "$i")" = Synced ] && break; sleep 0.5; done
done
TABLES="students, entitlements, adjustments, batches, batch_lines, ledger_chunks, audit_entries"
C1=$(nsql 1 "CHECKSUM TABLE $TABLES" | awk '{print $2}' | tr '\n' ' ')
for i in 2 3; do
  expect_eq "node $i money tables = node 1's (CHECKSUM TABLE)" "$(nsql "$i" "CHECKSUM TABLE $TABLES" | awk '{print $2}' | tr '\n' ' ')" "$C1"
done
echo "      certification retries: $(for x in a b c; do curl -s "$(base "$x")/metrics" | awk -v x="$x" '/^studentaid_db_tx_retries_total\{code="1213"\}/ {printf "%s=%s ", x, $NF}'; done)"
load_report
summary
