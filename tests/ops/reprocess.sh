#!/usr/bin/env bash
# billrun reprocess on the samples: a usage row and an order rejected
# unknown_account, and a usage row rejected no_price, are rated once an
# accounts file and a price file have arrived (through `billrun run`, then
# `billrun reprocess`), and show status 'reprocessed'; a row whose account
# is still missing stays open; a reprocess killed half way commits nothing;
# `reprocess --inbox` brings reference data and retries in one go; billrun
# verify passes throughout.
source "$(dirname "$0")/lib.sh"

AS_OF=2026-12-01T00:00:00+08:00
INBOX=$SCRATCH/inbox
LOG=$SCRATCH/log
new_db
br() { "$BIN" "$@" --db "dbname=$DB"; }
# state: what a reprocess changes (batches, outcomes, rated lines, entries).
state() {
    sql "SELECT (SELECT count(*) FROM ledger.batches), (SELECT count(*) FROM billing.reject_outcomes),
                (SELECT count(*) FROM billing.usage_lines), (SELECT count(*) FROM ledger.entries),
                (SELECT count(*) FROM billing.orders)"
}
reject() { # FILE LINE: reason|status|latest_reason
    sql "SELECT reason || '|' || status || '|' || coalesce(latest_reason, '') FROM billing.rejects
         WHERE file = '$1' AND line = $2"
}
verify() { br verify --quiet >"$LOG" || fail "billrun verify: $(cat "$LOG")"; }

step "the samples: three rows wait for reference data"
mkdir -p "$INBOX"
cp "$SRC"/samples/inbox/*.csv "$INBOX/"
expect 3 br run --quiet --inbox "$INBOX" --as-of "$AS_OF" >"$LOG"
[[ $(reject orders-2026-11.csv 15) == "unknown_account|open|" ]] || fail "orders:15 $(reject orders-2026-11.csv 15)"
[[ $(reject eas-2026-11-w1.csv 10) == "unknown_account|open|" ]] || fail "eas-w1:10"
[[ $(reject eas-2026-11-w3.csv 7) == "no_price|open|" ]] || fail "eas-w3:7"
verify

step "the account of acc-52860 and the price of the gu60 spec arrive with a night"
cat >"$INBOX/accounts-2026-12-late.csv" <<'EOF'
account_id,name,address,tax_id,email
acc-52860,Hangzhou Inkstone Animation Co.,"9 Wensan Road, Hangzhou",91330106MA2H0Q1X7K,ap@inkstone.example
EOF
cat >"$INBOX/prices-2026-12-gu60.csv" <<'EOF'
item,spec,unit_price,effective_from,effective_to,tod_from,tod_to,free_per_month
compute_exclusive,ml.gu8is.c64m256.1-gu60,42.5,2026-01-01T00:00:00+08:00,,,,
EOF
expect 0 br run --quiet --inbox "$INBOX" --as-of "$AS_OF" >"$LOG"
has "$LOG" "2 applied, 12 skipped"
# a run does not retry rejects: they wait for reprocess
[[ $(reject orders-2026-11.csv 15) == "unknown_account|open|" ]] || fail "a run rated a reject"
before=$(state)
gross_before=$(sql "SELECT sum(gross_e8) FROM billing.usage_lines")

step "a reprocess killed half way (SIGKILL while posting) commits nothing"
BILLRUN_TEST_PAUSE=post:60 "$BIN" reprocess --db "dbname=$DB" --as-of "$AS_OF" >"$LOG" 2>&1 &
pid=$!
for _ in $(seq 300); do
    grep -q "event=test_pause" "$LOG" && break
    sleep 0.1
done
has "$LOG" "event=test_pause"
kill -KILL "$pid"
wait "$pid" || true
[[ $(state) == "$before" ]] || fail "the killed reprocess left something: $(state) vs $before"
[[ $(reject eas-2026-11-w3.csv 7) == "no_price|open|" ]] || fail "the killed reprocess rated a row"
verify

step "billrun reprocess: two rows rated, acc-10071 still unknown (exit 3)"
expect 3 br reprocess --as-of "$AS_OF" >"$LOG"
has "$LOG" "reprocess-"
[[ $(reject orders-2026-11.csv 15) == "unknown_account|reprocessed|" ]] || fail "orders:15 $(reject orders-2026-11.csv 15)"
[[ $(reject eas-2026-11-w3.csv 7) == "no_price|reprocessed|" ]] || fail "eas-w3:7 $(reject eas-2026-11-w3.csv 7)"
[[ $(reject eas-2026-11-w1.csv 10) == "unknown_account|open|" ]] ||
    fail "eas-w1:10 $(reject eas-2026-11-w1.csv 10)" # rejected again as before: nothing recorded
# the top-up of acc-52860 is applied, and the gu60 hour is rated at 42.5 CNY
[[ $(sql "SELECT count(*) FROM ledger.journal WHERE kind = 'topup' AND order_id = 'ORD-20261112-0013'") == 1 ]] ||
    fail "the reprocessed top-up is not in the journal"
[[ $(sql "SELECT sum(gross_e8) FROM billing.usage_lines") == $((gross_before + 4250000000)) ]] ||
    fail "the reprocessed usage is not rated at 42.5 CNY"
[[ $(sql "SELECT count(*) FROM billing.rejects") == 15 ]] || fail "reprocessing added reject rows"
verify

step "again: nothing is rated twice, and no batch is written for nothing"
rated=$(sql "SELECT count(*) FROM billing.usage_lines"),$(sql "SELECT sum(gross_e8) FROM billing.usage_lines")
nbatches=$(sql "SELECT count(*) FROM ledger.batches")
expect 3 br reprocess --as-of "$AS_OF" >"$LOG"
[[ $(sql "SELECT count(*) FROM ledger.batches") == "$nbatches" ]] || fail "a reprocess that changed nothing wrote a batch"
[[ $(sql "SELECT count(*) FROM billing.usage_lines"),$(sql "SELECT sum(gross_e8) FROM billing.usage_lines") == "$rated" ]] ||
    fail "a second reprocess rated again"
[[ $(sql "SELECT count(*) FROM billing.rejects WHERE status = 'reprocessed'") == 2 ]] || fail "reprocessed count"
verify

step "reprocess --inbox: the missing account arrives and its row is rated in the same batch"
mkdir -p "$SCRATCH/fix"
cat >"$SCRATCH/fix/accounts-2026-12-fix.csv" <<'EOF'
account_id,name,address,tax_id,email
acc-10071,Typo Holdings,"1 Nowhere Road, Shanghai",91310000MA1XXXXXXX,typo@example.com
EOF
expect 0 br reprocess --inbox "$SCRATCH/fix" --as-of "$AS_OF" >"$LOG"
batch=$(sql "SELECT max(batch_id) FROM ledger.batches")
[[ $(reject eas-2026-11-w1.csv 10) == "unknown_account|reprocessed|" ]] || fail "eas-w1:10 still open"
[[ $(sql "SELECT count(*) FROM billing.source_files WHERE batch_id = $batch AND name = 'accounts-2026-12-fix.csv'") == 1 ]] ||
    fail "the accounts file is not in the reprocessing batch"
[[ $(sql "SELECT count(*) FROM billing.usage_lines WHERE batch_id = $batch AND account_id = 'acc-10071'") -ge 1 ]] ||
    fail "the row is not rated in that batch"
[[ $(sql "SELECT count(*) FROM billing.rejects WHERE status = 'open' AND reason IN ('unknown_account', 'no_price')") == 0 ]] ||
    fail "rejects still open"
verify

step "with nothing left to retry, reprocess writes nothing"
n=$(sql "SELECT count(*) FROM ledger.batches")
expect 0 br reprocess --as-of "$AS_OF" >"$LOG"
has "$LOG" "nothing new to post"
[[ $(sql "SELECT count(*) FROM ledger.batches") == "$n" ]] || fail "an empty reprocess wrote a batch"
echo "reprocess.sh: passed"
