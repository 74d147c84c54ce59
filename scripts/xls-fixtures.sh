#!/usr/bin/env bash
# Rebuilds the Excel 97–2003 fixtures in service/roster/testdata/xls: the Go
# test TestWriteXLSFixtureSources writes .xlsx sources, LibreOffice saves
# them as .xls (and roster.xls back as .xlsx, for the test that both read
# alike). Needs soffice (apt-get install -y libreoffice-calc-nogui).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
STUDENTAID_XLS_SOURCES="$work" go test ./service/roster -run '^TestWriteXLSFixtureSources$' -count=1 >/dev/null
soffice --headless --convert-to xls --outdir "$work/xls" "$work/roster.xlsx" "$work/merged.xlsx" >/dev/null
soffice --headless --convert-to xlsx --outdir "$work/back" "$work/xls/roster.xls" >/dev/null
out=service/roster/testdata/xls
cp "$work/xls/roster.xls" "$work/xls/merged.xls" "$out/"
cp "$work/back/roster.xlsx" "$out/roster-libreoffice.xlsx"
ls -l "$out"
