#!/usr/bin/env bash
# Runs the worked examples of tests/examples/ against a real PostgreSQL (the
# one libpq's PG* variables name). Each NN-name/*.test is a scenario on a
# fresh database: billrun db init, then its steps in order, then billrun
# verify, then its .sql through psql diffed with its .out.
#
# A .test file holds comment lines (#) and steps, one per line:
#   run: INBOX AS-OF EXIT [FLAGS...]    billrun run --inbox NN-name/INBOX
#   reprocess: INBOX AS-OF EXIT [FLAGS...]  billrun reprocess (INBOX - for none)
#   close: PERIOD EXIT [FLAGS...]       billrun close --period PERIOD
#   init: FLAGS...                      flags for billrun db init (first line)
# EXIT is the exit status the step must end with; FLAGS are passed as they are.
# The examples are fixed in time (late 2026): every run and reprocess is
# given --future-as-of and every close --early, so that they mean the same
# whatever the machine's clock says (the clock guards themselves are tested
# by tests/integration/corrections_test.c).
# Usage: tests/run-examples.sh BILLRUN [SCENARIO_FILTER]
set -u
billrun=${1:?usage: run-examples.sh BILLRUN [FILTER]}
filter=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
seller=$here/examples/seller.conf
pass=0 fail=0 failed=()

# has FLAG ARGS...: prints FLAG unless ARGS already hold it
has() {
    local f=$1 a
    shift
    for a; do [[ "$a" == "$f" ]] && return; done
    echo "$f"
}

# step LOG WANT CMD...: runs a billrun command, checks its exit status
step() {
    local log=$1 want=$2
    shift 2
    "$@" >"$log" 2>&1
    local got=$?
    if [[ "$got" != "$want" ]]; then
        echo "FAIL $name: '${*:2}' exit $got, want $want"
        cat "$log"
        return 1
    fi
}

for t in "$here"/examples/*/*.test; do
    dir=$(dirname "$t")
    name=$(basename "$dir")/$(basename "$t" .test)
    [[ -n "$filter" && "$name" != *$filter* ]] && continue
    db="brx_$(echo "$name" | tr -c 'a-z0-9' '_')"
    out=$(mktemp -d)
    ok=1
    dropdb --if-exists "$db" 2>/dev/null
    createdb "$db" || { echo "cannot create $db"; exit 1; }
    init=$(sed -n 's/^init: *//p' "$t")
    # shellcheck disable=SC2086
    step "$out/init.log" 0 "$billrun" db init --db "dbname=$db" --quiet $init || ok=0
    n=0
    while ((ok)) && read -r kind rest; do
        n=$((n + 1))
        # shellcheck disable=SC2086
        set -- $rest
        case "$kind" in
        run: | reprocess:)
            verb=${kind%:}
            inbox=()
            [[ "$1" == - ]] || inbox=(--inbox "$dir/$1")
            step "$out/$n.log" "$3" "$billrun" "$verb" --db "dbname=$db" "${inbox[@]}" \
                --as-of "$2" --quiet "${@:4}" $(has --future-as-of "${@:4}") || ok=0
            ;;
        close:)
            step "$out/$n.log" "$2" "$billrun" close --db "dbname=$db" --period "$1" \
                --out "$out/invoices" --seller "$seller" --quiet "${@:3}" $(has --early "${@:3}") ||
                ok=0
            ;;
        esac
    done < <(grep -E '^(run|reprocess|close):' "$t")
    # whatever the scenario, the ledger it leaves must verify
    if ((ok)) && ! "$billrun" verify --db "dbname=$db" >"$out/verify.log" 2>&1; then
        ok=0
        echo "FAIL $name: verify"
        cat "$out/verify.log"
    fi
    if ((ok)); then
        psql -X -At -F '|' -q -v ON_ERROR_STOP=1 -d "$db" -f "${t%.test}.sql" >"$out/got.out" 2>&1
        if ! diff -u "${t%.test}.out" "$out/got.out" >"$out/diff"; then
            ok=0
            echo "FAIL $name: views differ"
            cat "$out/diff"
        fi
    fi
    if ((ok)); then
        pass=$((pass + 1))
        dropdb "$db"
    else
        fail=$((fail + 1))
        failed+=("$name")
    fi
    rm -rf "$out"
done
echo "examples: $pass passed, $fail failed ${failed[*]:-}"
((fail == 0))
