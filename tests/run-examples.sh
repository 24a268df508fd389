#!/usr/bin/env bash
# Runs the worked-example fixtures of tests/examples/ against a real
# PostgreSQL (the one libpq's PG* variables name): for each scenario a fresh
# database, billrun db init, run (and closes), billrun verify, then the .sql
# diffed with .out.
# Usage: tests/run-examples.sh BILLRUN [SCENARIO_FILTER]
set -u
# every batch's hash of what was written is also checked against its rows
export BILLRUN_TEST_HASH_READBACK=1
billrun=${1:?usage: run-examples.sh BILLRUN [FILTER]}
filter=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
spec=${BILLRUN_SPEC_DIR:-$here/../../shared/spec}
pass=0 fail=0 failed=()
for t in "$here"/examples/*/*.test; do
    name=$(basename "$(dirname "$t")")/$(basename "$t" .test)
    [[ -n "$filter" && "$name" != *$filter* ]] && continue
    case_=$(sed -n 's/^case: *//p' "$t")
    asof=$(sed -n 's/^as-of: *//p' "$t")
    want=$(sed -n 's/^exit: *//p' "$t")
    closes=$(sed -n 's/^close: *//p' "$t")
    cwant=$(sed -n 's/^close-exit: *//p' "$t"); cwant=${cwant:-0}
    db="brx_$(echo "$name" | tr -c 'a-z0-9' '_')"
    out=$(mktemp -d)
    ok=1
    dropdb --if-exists "$db" 2>/dev/null; createdb "$db" || { echo "cannot create $db"; exit 1; }
    if ! "$billrun" db init --db "dbname=$db" --quiet >"$out/init.log" 2>&1; then
        ok=0; echo "FAIL $name: db init"; cat "$out/init.log"
    fi
    if ((ok)); then
        "$billrun" run --db "dbname=$db" --inbox "$spec/examples/$case_/inbox" --as-of "$asof" --quiet >"$out/run.log" 2>&1
        got=$?
        if [[ "$got" != "$want" ]]; then ok=0; echo "FAIL $name: run exit $got, want $want"; cat "$out/run.log"; fi
    fi
    for p in $closes; do
        ((ok)) || break
        "$billrun" close --db "dbname=$db" --period "$p" --out "$out/invoices" --quiet >"$out/close.log" 2>&1
        got=$?
        if [[ "$got" != "$cwant" ]]; then ok=0; echo "FAIL $name: close $p exit $got, want $cwant"; cat "$out/close.log"; fi
    done
    # whatever the scenario, the ledger it leaves must verify
    if ((ok)) && ! "$billrun" verify --db "dbname=$db" >"$out/verify.log" 2>&1; then
        ok=0; echo "FAIL $name: verify"; cat "$out/verify.log"
    fi
    if ((ok)); then
        sql=${t%.test}.sql
        psql -X -At -F '|' -q -v ON_ERROR_STOP=1 -d "$db" -f "$sql" >"$out/got.out" 2>&1
        if ! diff -u "${t%.test}.out" "$out/got.out" >"$out/diff"; then
            ok=0; echo "FAIL $name: views differ"; cat "$out/diff"
        fi
    fi
    if ((ok)); then pass=$((pass + 1)); dropdb "$db"; else fail=$((fail + 1)); failed+=("$name"); fi
    rm -rf "$out"
done
echo "examples: $pass passed, $fail failed ${failed[*]:-}"
((fail == 0))
