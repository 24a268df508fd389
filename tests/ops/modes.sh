#!/usr/bin/env bash
# What billrun writes is for its owner and group only, whatever umask it is
# started with (issue #17: invoices carry names, addresses and tax ids). The
# units and the crontab set umask 0027, but a person running billrun by hand
# may have 0022 or 0000, and 0077 would hide the files from the group
# (node_exporter, the accountants): the workbooks and the summary of close
# and invoices and the metrics files are 0640, every folder billrun creates
# (the --out folder and its parents, YYYY-MM/) 0750. Every step needs the
# change to billrun itself (explicit modes) and fails until it lands.
source "$(dirname "$0")/lib.sh"

AS_OF=2026-12-01T00:00:00+08:00
LOG=$SCRATCH/log
br() { "$BIN" "$@" --db "dbname=$DB"; }
# modes_ok FOLDER: everything under it is a 0640 file or a 0750 folder
modes_ok() {
    local bad
    bad=$(find "$1" -mindepth 1 ! \( -type f -perm 0640 -o -type d -perm 0750 \) -printf '%m %p\n')
    [[ -z $bad ]] || fail "not a 0640 file or a 0750 folder: $bad"
}

for m in 000 022 077; do
    step "[needs C: explicit modes] umask $m: a run's metrics, a close, the invoices again"
    new_db "u$m" # a month closes once: a database for each umask
    mkdir -p "$SCRATCH/u$m/metrics"
    (
        umask "$m"
        br run --quiet --inbox "$SRC/samples/inbox" --as-of "$AS_OF" \
            --metrics-file "$SCRATCH/u$m/metrics/run.prom" >"$LOG" 2>&1 || [[ $? == 3 ]]
        br close --quiet --period 2026-11 --out "$SCRATCH/u$m/new/invoices" --seller "$SRC/samples/seller.conf" \
            --metrics-file "$SCRATCH/u$m/metrics/close.prom" >"$LOG" 2>&1
        br invoices --quiet --period 2026-11 --out "$SCRATCH/u$m/copy" >"$LOG" 2>&1
    ) || fail "umask $m: $(cat "$LOG")"
    [[ -f $SCRATCH/u$m/new/invoices/2026-11/summary-202611.xlsx ]] || fail "umask $m: no summary"
    [[ -f $SCRATCH/u$m/copy/2026-11/summary-202611.xlsx ]] || fail "umask $m: no summary again"
    modes_ok "$SCRATCH/u$m/new"
    modes_ok "$SCRATCH/u$m/copy"
    modes_ok "$SCRATCH/u$m/metrics"
done
echo "modes.sh: passed"
