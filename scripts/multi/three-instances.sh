#!/usr/bin/env bash
# Three `serve` instances on one private MariaDB database, driven at once.
#
# Instances a, b and c listen on three loopback ports and share the database
# and the data key. The load is bounded (a few hundred requests in all):
#   1. roster uploads at the same time: five schools in two counties spread
#      over the instances, and the same roster uploaded at a and b at once;
#      readers list students, entitlements and batches at every instance;
#   2. calculations: every school's lists calculated at two instances at
#      once, then submitted, put on notice and approved (notice period 0);
#   3. job triggers: every batch job started at all three instances at once,
#      twice, by finance (南县) and admin (all counties), then once more by
#      admin one after the other;
# while /metrics is scraped from every instance (loopback). Then the database
# is checked: no student twice, no two entitlements per student, program and
# term, no entitlement in two pending/paid lines, every batched entitlement in
# exactly one line, exactly one batch per county × program × term, batch
# totals equal to their lines, every ledger served byte-identical by another
# instance, and the audit chain valid at every instance.
#
# Usage: scripts/multi/three-instances.sh   (ROWS changes the roster size)
source "$(dirname "$0")/../faults/lib.sh"
source "$(dirname "$0")/load.sh"

need_tools
build
build_genroster
db_init
db_start
db_create "$DB_NAME"
P0=$(free_port 18600)
server_start a "$P0" --demo --demo-term=false
server_start b "$(free_port $((P0 + 1)))"
server_start c "$(free_port $((P0 + 2)))"
log "instances a=${SERVER_PORT[a]} b=${SERVER_PORT[b]} c=${SERVER_PORT[c]} on one MariaDB (127.0.0.1:$DB_PORT/$DB_NAME)"
load_prepare
scrape_start
load_uploads
load_calculations
load_read_rates
load_jobs
scrape_stop
load_checks
load_report
summary
