#!/usr/bin/env bash
# Runs the sample month (samples/inbox) through db init, run and close on a
# fresh database and compares every view with samples/expected/*.csv.
# Usage: tests/run-samples.sh BILLRUN
set -u
billrun=${1:?usage: run-samples.sh BILLRUN}
here=$(cd "$(dirname "$0")" && pwd)
root=$here/..
db=brx_samples_$$
out=$(mktemp -d)
trap 'rm -rf "$out"; dropdb --if-exists "$db" 2>/dev/null' EXIT
createdb "$db" || exit 1
fail=0
"$billrun" db init --db "dbname=$db" --quiet >/dev/null || { echo "FAIL samples: db init"; exit 1; }
"$billrun" run --db "dbname=$db" --inbox "$root/samples/inbox" --as-of 2026-12-01T00:00:00+08:00 --quiet >"$out/run.log" 2>&1
code=$?
[[ $code == 3 ]] || { echo "FAIL samples: run exit $code, want 3"; cat "$out/run.log"; fail=1; }
"$billrun" close --db "dbname=$db" --period 2026-11 --out "$out/invoices" --seller "$root/samples/seller.conf" --quiet >"$out/close.log" 2>&1 \
    || { echo "FAIL samples: close"; cat "$out/close.log"; fail=1; }
mkdir -p "$out/got"
psql -X -q -v ON_ERROR_STOP=1 -v outdir="$out/got" -d "$db" -f "$here/samples_views.sql" >/dev/null || fail=1
for f in "$root"/samples/expected/*.csv; do
    n=$(basename "$f")
    if ! diff -u "$f" "$out/got/$n" >"$out/diff"; then
        echo "FAIL samples: $n differs"; cat "$out/diff"; fail=1
    fi
done
"$billrun" verify --db "dbname=$db" >"$out/verify.log" 2>&1 || { echo "FAIL samples: verify"; cat "$out/verify.log"; fail=1; }
# an auditor's own recomputation of every batch hash (docs/hash.md)
/usr/bin/python3 "$root/docs/recompute_hash.py" "dbname=$db" >"$out/hash.log" 2>&1 \
    && [[ $(grep -c ' ok$' "$out/hash.log") == 2 ]] \
    || { echo "FAIL samples: docs/recompute_hash.py"; cat "$out/hash.log"; fail=1; }
((fail)) && exit 1
echo "samples: all views equal samples/expected"
