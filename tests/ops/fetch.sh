#!/usr/bin/env bash
# scripts/fetch-exports against rclone's local backend (a folder as the
# bucket): new files arrive whole, existing ones are skipped, a file whose
# size changed is refused, and a failed, truncated or corrupted transfer
# leaves nothing in the inbox (a fake rclone on PATH breaks the downloads).
# What it writes is 0640 in 0750 folders whatever the umask, and its
# messages carry syslog priorities when stderr is the journal.
source "$(dirname "$0")/lib.sh"

FETCH=$SRC/scripts/fetch-exports
BUCKET=$SCRATCH/bucket/exports
INBOX=$SCRATCH/inbox
LOG=$SCRATCH/log
mkdir -p "$BUCKET"
cp "$SRC"/samples/inbox/*.csv "$BUCKET/"
echo "not an export" >"$BUCKET/README.txt"
mkdir -p "$BUCKET/archive" && cp "$SRC/samples/inbox/eas-2026-11-w1.csv" "$BUCKET/archive/eas-old.csv"

# inbox_state: names, sizes and inodes of what billrun would see.
inbox_state() { (cd "$INBOX" && find . -maxdepth 1 -type f -printf '%f %s %i\n' | sort); }
# no_partials: nothing but the lock is left in .partial, and the inbox holds
# only whole files of the bucket (same bytes).
no_partials() {
    local left
    left=$(find "$INBOX/.partial" -mindepth 1 ! -name lock | wc -l)
    [[ $left == 0 ]] || fail "$left partial files left in $INBOX/.partial"
    local f
    for f in "$INBOX"/*.csv; do
        [[ -e $f ]] || continue
        cmp -s "$f" "$BUCKET/$(basename "$f")" || fail "$(basename "$f") in the inbox is not the bucket's"
    done
}

step "usage"
expect 2 "$FETCH" 2>"$LOG"
has "$LOG" "usage: fetch-exports REMOTE:BUCKET/PREFIX INBOX"
expect 2 "$FETCH" "" "$INBOX" 2>"$LOG"
expect 0 "$FETCH" --help >"$LOG"
has "$LOG" "Exit status"

step "a first fetch brings the 12 exports, nothing else"
expect 0 "$FETCH" "$BUCKET" "$INBOX" 2>"$LOG"
has "$LOG" "12 fetched, 0 already there, 0 refused"
[[ $(ls "$INBOX"/*.csv | wc -l) == 12 ]] || fail "not 12 files in the inbox"
[[ ! -e $INBOX/README.txt && ! -e $INBOX/eas-old.csv ]] || fail "fetched a file that is not an export"
no_partials
before=$(inbox_state)

step "files 0640, folders 0750, whatever the caller's umask"
# modes FOLDER: "mode type name" of everything under it
modes() { (cd "$1" && find . -mindepth 1 -printf '%m %y %p\n' | sort); }
for m in 000 077; do
    (umask $m && exec "$FETCH" "$BUCKET" "$SCRATCH/inbox-umask$m") 2>"$LOG"
    bad=$(modes "$SCRATCH/inbox-umask$m" | grep -vE '^(640 f|750 d) ' || true)
    [[ -z $bad ]] || fail "umask $m: $bad"
    [[ $(stat -c %a "$SCRATCH/inbox-umask$m") == 750 ]] || fail "umask $m: the inbox is not 0750"
done
rm -rf "$SCRATCH"/inbox-umask*

step "again: idempotent (nothing fetched, the same files)"
expect 0 "$FETCH" "$BUCKET" "$INBOX" 2>"$LOG"
has "$LOG" "0 fetched, 12 already there"
[[ $(inbox_state) == "$before" ]] || fail "a second fetch changed the inbox"

step "rclone's :local: remote syntax, and a new file"
printf 'account_id,name,address,tax_id,email\nacc-52860,Inkstone,Hangzhou,9133,ap@ink.example\n' \
    >"$BUCKET/accounts-2026-12.csv"
expect 0 "$FETCH" ":local:$BUCKET/" "$INBOX" 2>"$LOG"
has "$LOG" "fetched accounts-2026-12.csv"
has "$LOG" "1 fetched, 12 already there"
no_partials

step "a file that changed size in the bucket is refused; the rest is fetched"
cp "$INBOX/eas-2026-11-w4.csv" "$SCRATCH/w4.orig"
printf 'eas-extra-1,acc-10017,svc-x,comfyui,shared,A10,2026-11-29T02:00:00Z,2026-11-29T02:00:05Z,5000\n' \
    >>"$BUCKET/eas-2026-11-w4.csv"
printf 'item,spec,unit_price,effective_from,effective_to,tod_from,tod_to,free_per_month\n' \
    >"$BUCKET/prices-2026-12.csv"
expect 3 "$FETCH" "$BUCKET" "$INBOX" 2>"$LOG"
has "$LOG" "refused eas-2026-11-w4.csv"
has "$LOG" "fetched prices-2026-12.csv"
cmp -s "$INBOX/eas-2026-11-w4.csv" "$SCRATCH/w4.orig" || fail "the inbox copy was replaced"
cp "$SCRATCH/w4.orig" "$BUCKET/eas-2026-11-w4.csv"

# A fake rclone first on PATH: lists like the real one, but breaks the
# download of one file in the way $FAKE_MODE says.
mkdir -p "$SCRATCH/fakebin"
real_rclone=$(command -v rclone)
cat >"$SCRATCH/fakebin/rclone" <<EOF
#!/usr/bin/env bash
# rclone copyto -q SRC DEST, broken for oss-2026-11-w2.csv
if [[ \$1 == copyto && \$3 == *oss-2026-11-w2.csv ]]; then
    src=\${3#:local:}
    size=\$(stat -c %s "\$src")
    case \$FAKE_MODE in
    fail) head -c \$((size / 2)) "\$src" >"\$4"; echo "fake rclone: connection reset" >&2; exit 1 ;;
    short) head -c \$((size / 2)) "\$src" >"\$4"; exit 0 ;;
    corrupt) tr 'a-z' 'A-Z' <"\$src" >"\$4"; exit 0 ;;
    esac
fi
exec "$real_rclone" "\$@"
EOF
chmod +x "$SCRATCH/fakebin/rclone"
rm "$INBOX/oss-2026-11-w2.csv" "$INBOX/oss-2026-11-w3.csv"
for mode in fail short corrupt; do
    step "a $mode transfer: exit 1, nothing half-written in the inbox"
    before=$(inbox_state)
    expect 1 env FAKE_MODE=$mode PATH="$SCRATCH/fakebin:$PATH" "$FETCH" "$BUCKET" "$INBOX" 2>"$LOG"
    case $mode in
    fail) has "$LOG" "oss-2026-11-w2.csv: download failed" ;;
    short) has "$LOG" "oss-2026-11-w2.csv: downloaded" ;;
    corrupt) has "$LOG" "oss-2026-11-w2.csv: MD5" ;;
    esac
    [[ ! -e $INBOX/oss-2026-11-w2.csv ]] || fail "$mode: the broken file is in the inbox"
    [[ $(inbox_state) == "$before" ]] || fail "$mode: the inbox changed"
    no_partials
done

step "a crash left a partial file: the next fetch removes it and fetches whole"
head -c 100 "$BUCKET/oss-2026-11-w2.csv" >"$INBOX/.partial/oss-2026-11-w2.csv"
expect 0 "$FETCH" "$BUCKET" "$INBOX" 2>"$LOG"
has "$LOG" "2 fetched"
no_partials

step "one fetch at a time per inbox"
expect 1 flock "$INBOX/.partial/lock" "$FETCH" "$BUCKET" "$INBOX" 2>"$LOG"
has "$LOG" "another fetch-exports is filling"

step "a remote that cannot be listed: exit 1, inbox untouched"
before=$(inbox_state)
expect 1 "$FETCH" "$SCRATCH/no-such-bucket" "$INBOX" 2>"$LOG"
has "$LOG" "cannot list"
[[ $(inbox_state) == "$before" ]] || fail "the inbox changed"

step "stderr is the journal (JOURNAL_STREAM): syslog priorities; otherwise none"
: >"$LOG"
stream=$(stat -c '%d:%i' "$LOG")
expect 0 env JOURNAL_STREAM="$stream" "$FETCH" "$BUCKET" "$INBOX" 2>>"$LOG"
grep -qx '<6>fetch-exports: .* 0 fetched, 14 already there.*' "$LOG" || fail "no <6> summary: $(cat "$LOG")"
: >"$LOG"
expect 1 env JOURNAL_STREAM="$stream" "$FETCH" "$SCRATCH/no-such-bucket" "$INBOX" 2>>"$LOG"
grep -q '^<3>fetch-exports: cannot list' "$LOG" || fail "no <3> error: $(cat "$LOG")"
: >"$LOG"
expect 2 env JOURNAL_STREAM="$stream" BILLRUN_TZ_OFFSET=8 "$SRC/scripts/billrun-close-previous" --print 2>>"$LOG"
grep -q '^<3>billrun-close-previous: BILLRUN_TZ_OFFSET' "$LOG" || fail "close-previous: no <3>"
# another stream (stderr is a file, not the journal): plain lines
expect 0 env JOURNAL_STREAM=1:1 "$FETCH" "$BUCKET" "$INBOX" 2>"$LOG"
grep -q '^fetch-exports: ' "$LOG" || fail "a prefix without the journal: $(cat "$LOG")"

step "billrun reads the fetched inbox: the samples and the two new files"
new_db
expect 3 "$BIN" run --quiet --db "dbname=$DB" --inbox "$INBOX" --as-of 2026-12-01T00:00:00+08:00 >"$LOG"
has "$LOG" "files     14 seen: 14 applied, 0 skipped (already applied), 0 refused"
# the samples' 15 rejects, less the top-up of acc-52860 whose account came
[[ $(sql "SELECT count(*) FROM billing.rejects") == 14 ]] || fail "not 14 rejects"
echo "fetch.sh: passed"
