#!/usr/bin/env bash
# Rebuilds the Excel 97–2003 files: the fixtures in service/roster/testdata/xls
# and the .xls roster template service/roster/assets/template.xls (run it
# after a change to the roster's columns). The Go tests
# TestWriteXLS*Source write .xlsx sources, LibreOffice saves them as .xls
# (and roster.xls back as .xlsx, for the test that both read alike).
# Needs soffice (apt-get install -y libreoffice-calc-nogui).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
STUDENTAID_XLS_SOURCES="$work" go test ./service/roster -run '^TestWriteXLS(Fixture|Template)Sources?$' -count=1 >/dev/null
soffice --headless --convert-to xls --outdir "$work/xls" "$work/roster.xlsx" "$work/merged.xlsx" "$work/template.xlsx" >/dev/null
soffice --headless --convert-to xlsx --outdir "$work/back" "$work/xls/roster.xls" >/dev/null
out=service/roster/testdata/xls
cp "$work/xls/roster.xls" "$work/xls/merged.xls" "$out/"
cp "$work/back/roster.xlsx" "$out/roster-libreoffice.xlsx"
cp "$work/xls/template.xls" service/roster/assets/template.xls
ls -l "$out" service/roster/assets
