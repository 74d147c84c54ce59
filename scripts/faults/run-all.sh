#!/usr/bin/env bash
# Runs every fault script and the multi-instance scripts (one database,
# a replica, a Galera cluster) one after the other
# (each starts and removes its own private MariaDB) and prints one line per
# script. Exits non-zero when any failed. The fault-test build (-tags
# faults) is made once for all of them.
#
# Usage: scripts/faults/run-all.sh [NAME ...]   (names as in scripts/faults, e.g. db-outage)
set -uo pipefail
cd "$(dirname "$0")/../.."
all=(db-outage kill-during-import kill-during-batch db-restart-during-batch interrupted-bank-upload kill-during-migrate
  disk-full clock-jump clock-back backup-restore ../multi/three-instances ../multi/replica ../multi/galera)
[ $# -gt 0 ] && all=("$@")
out=$(mktemp -d /tmp/studentaid-run-all.XXXXXX)
# Built and installed once for all the scripts: the binary, genroster and a
# fresh MariaDB data directory that each script copies.
if [ -z "${STUDENTAID_BIN:-}" ]; then
  go build -tags faults -o "$out/studentaid" . || { echo "go build failed"; exit 1; }
  export STUDENTAID_BIN=$out/studentaid
fi
go build -o "$out/genroster" ./scripts/genroster && export GENROSTER_BIN=$out/genroster
go build -o "$out/clockjump" ./scripts/faults/clockjump && export CLOCKJUMP_BIN=$out/clockjump
if command -v mariadb-install-db >/dev/null &&
  mariadb-install-db --no-defaults --datadir="$out/mariadb-template" --user="$(id -un)" \
    --auth-root-authentication-method=normal >"$out/install.log" 2>&1; then
  export MARIADB_TEMPLATE=$out/mariadb-template
fi
fails=0
for n in "${all[@]}"; do
  s=$(date +%s)
  # backup-restore at 20,000 rows here (its sizes for deploy.md come from a
  # run on its own at 100,000), so that every script stays under 3 minutes.
  size=()
  [ "$n" = backup-restore ] && size=(ROWS="${BACKUP_ROWS:-20000}")
  env "${size[@]}" scripts/faults/"$n".sh >"$out/$(basename "$n").log" 2>&1
  rc=$?
  res=$(grep -E '^RESULT:' "$out/$(basename "$n").log" | tail -1)
  printf '%-26s rc=%d %4ss  %s\n' "$(basename "$n")" "$rc" "$(($(date +%s) - s))" "${res:-RESULT: FAIL (no summary)}"
  [ "$rc" -eq 0 ] || fails=$((fails + 1))
done
rm -rf "$out/studentaid" "$out/genroster" "$out/clockjump" "$out/mariadb-template"
echo "logs: $out"
[ "$fails" -eq 0 ] && echo "ALL PASS" || { echo "$fails FAILED"; exit 1; }
