-- 001_schema: the ledger (double entry, append-only, hash-chained batches)
-- and the billing facts and rating state it is derived from.
--
-- Amounts are bigint e8 (10^-8 CNY); the views of 002 show numeric CNY.
-- Every table is append-only: nothing is ever updated or deleted, and the
-- latest row of a key (by batch) is its current state. Every row a batch
-- writes is covered by the batch's content hash (docs/hash.md): its columns
-- but batch_id, in the order they are declared here.
--
-- Referential checks run once per statement, not per row: a night writes
-- millions of rows with COPY, and a per-row foreign key cost more than the
-- COPY itself. ledger.batch_claims stands in for the foreign keys to
-- ledger.batches (see there); ledger.check_transfers for those of transfers.
-- The chart of accounts and the items are filled by `billrun db init` from
-- the program's own tables (lib/core/chart.c, lib/core/items.c), and checked
-- against them on every later init.

CREATE SCHEMA IF NOT EXISTS ledger;
CREATE SCHEMA IF NOT EXISTS billing;
COMMENT ON SCHEMA ledger IS 'Double-entry ledger of billrun: chart of accounts, batches, journal entries and transfers (append-only).';
COMMENT ON SCHEMA billing IS 'Billing facts of billrun: source files, rejects, accounts, prices, orders, rated usage, rating state, periods and invoices (append-only).';

-- Refuses any change to a row once written: the ledger and its facts are append-only.
CREATE FUNCTION ledger.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'billrun: % on %.% refused: rows are append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
COMMENT ON FUNCTION ledger.refuse_change() IS 'Trigger function: refuses UPDATE, DELETE and TRUNCATE on append-only tables.';

CREATE TABLE billing.settings (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    tz_offset_s integer NOT NULL CHECK (tz_offset_s BETWEEN -86399 AND 86399),
    late_days integer NOT NULL CHECK (late_days BETWEEN 1 AND 366),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE billing.settings IS 'The billing calendar and the lateness window, fixed when the database is created.';
COMMENT ON COLUMN billing.settings.singleton IS 'Always true: one row.';
COMMENT ON COLUMN billing.settings.tz_offset_s IS 'Offset of the billing calendar east of UTC, in seconds (28800 = UTC+08:00).';
COMMENT ON COLUMN billing.settings.late_days IS 'The lateness window in days (billrun db init --late-days, corrections.md section 2): usage charged before a run''s as-of minus this many days is too_late, and record ids are remembered for as long.';
COMMENT ON COLUMN billing.settings.created_at IS 'When the database was initialised.';

CREATE TABLE ledger.chart (
    code integer PRIMARY KEY,
    name text NOT NULL,
    normal_side text NOT NULL CHECK (normal_side IN ('debit', 'credit')),
    sub_ledger text NOT NULL CHECK (sub_ledger IN ('customer', 'plan', 'order', 'item')),
    role text NOT NULL UNIQUE
);
COMMENT ON TABLE ledger.chart IS 'Chart of accounts (rules.md section 5). Codes are part of the interface. Filled by billrun db init from the program''s chart (lib/core/chart.c) and checked against it on every init.';
COMMENT ON COLUMN ledger.chart.code IS 'Account code, e.g. 1100 Accounts receivable.';
COMMENT ON COLUMN ledger.chart.name IS 'Account name.';
COMMENT ON COLUMN ledger.chart.normal_side IS 'The side on which the account normally carries its balance.';
COMMENT ON COLUMN ledger.chart.sub_ledger IS 'What sub_ledger names under this account: a customer account_id, a plan order_id, a coupon (or plan) order_id, or an item.';
COMMENT ON COLUMN ledger.chart.role IS 'What the account is for, by name (cash, receivable, prepaid, liability, revenue_<item group>, breakage, coupons, round_down, adjustments): views and checks find accounts by role, never by a spelled code.';

CREATE TABLE ledger.batches (
    batch_id bigint PRIMARY KEY CHECK (batch_id > 0),
    kind text NOT NULL CHECK (kind IN ('run', 'close', 'reprocess')),
    started_at timestamptz NOT NULL,
    as_of timestamptz NOT NULL,
    period text CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    tool_version text NOT NULL,
    prev_hash bytea CHECK (prev_hash IS NULL OR length(prev_hash) = 32),
    content_hash bytea NOT NULL CHECK (length(content_hash) = 32),
    hash bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
    summary text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX batches_one_genesis ON ledger.batches ((prev_hash IS NULL)) WHERE prev_hash IS NULL;
CREATE UNIQUE INDEX batches_linear_chain ON ledger.batches (prev_hash) WHERE prev_hash IS NOT NULL;
COMMENT ON TABLE ledger.batches IS 'One row per committed run, close or reprocessing: a link of the hash chain (docs/hash.md). content_hash covers every row the batch wrote in every table; hash = SHA-256 of ''billrun-chain-v2'', the previous batch''s hash and content_hash. billrun verify recomputes both from the stored rows.';
COMMENT ON COLUMN ledger.batches.batch_id IS 'Batch number, 1, 2, 3... in commit order.';
COMMENT ON COLUMN ledger.batches.kind IS 'run (billrun run), close (billrun close) or reprocess (billrun reprocess).';
COMMENT ON COLUMN ledger.batches.started_at IS 'When the batch started.';
COMMENT ON COLUMN ledger.batches.as_of IS 'Instant up to which expiries and straight-line recognition were processed (a close: its period end).';
COMMENT ON COLUMN ledger.batches.period IS 'The period closed (close batches).';
COMMENT ON COLUMN ledger.batches.tool_version IS 'billrun version that wrote the batch.';
COMMENT ON COLUMN ledger.batches.prev_hash IS 'hash of the previous batch (NULL for the first).';
COMMENT ON COLUMN ledger.batches.content_hash IS 'SHA-256 of the line ''billrun-batch-v2'', the line ''<batch_id> <kind> <as_of epoch seconds> <period or ->'', then one line ''<table> <rows> <section hash hex>'' per hashed table in a fixed order; a section hash is the SHA-256 of the sorted SHA-256 digests of the batch''s rows of that table, each row its columns but batch_id in declared order, as canonical text joined by TAB and ended by LF (docs/hash.md).';
COMMENT ON COLUMN ledger.batches.hash IS 'SHA-256 chaining this batch to the previous one.';
COMMENT ON COLUMN ledger.batches.summary IS 'One-line summary of the batch (files, rows, postings).';

-- Batches named by rows: the per-statement form of a foreign key from every
-- batch_id column. The deferred key makes a transaction that writes rows for
-- a batch it never records fail at commit; the trigger function refuses rows
-- for a batch that is already committed.
CREATE TABLE ledger.batch_claims (
    batch_id bigint PRIMARY KEY REFERENCES ledger.batches DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE ledger.batch_claims IS 'Batches named by rows written so far, one row per batch, filled by statement triggers on every table with a batch_id column. Its deferred foreign key makes a transaction that writes rows for a batch without recording that batch in ledger.batches fail at commit.';
COMMENT ON COLUMN ledger.batch_claims.batch_id IS 'A batch named by at least one row.';

CREATE FUNCTION ledger.claim_batches() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM ledger.batches b WHERE b.batch_id IN (SELECT batch_id FROM new_rows)) THEN
        RAISE EXCEPTION 'billrun: rows for a batch that is already committed are refused (%.%)',
            TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    INSERT INTO ledger.batch_claims (batch_id)
        SELECT DISTINCT batch_id FROM new_rows
        ON CONFLICT (batch_id) DO NOTHING;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION ledger.claim_batches() IS 'Trigger function: refuses rows for a committed batch, and records the batches named by the rows of one INSERT or COPY in ledger.batch_claims (checked against ledger.batches at commit).';

CREATE TABLE ledger.entries (
    entry_id bigint PRIMARY KEY,
    batch_id bigint NOT NULL,
    period text NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    effective_at timestamptz NOT NULL,
    account_id text,
    kind text NOT NULL CHECK (kind IN ('purchase', 'topup', 'payment', 'usage', 'recognition', 'breakage', 'round_down', 'adjustment')),
    item text,
    order_id text,
    late boolean NOT NULL,
    description text NOT NULL CHECK (description <> '')
);
-- A batch's entries are appended together: a BRIN on batch_id finds them
-- (readback, verify, the hash) at a fraction of a B-tree's upkeep, which
-- was a third of the night's time in ledger.entries (docs/database-share.md).
CREATE INDEX entries_batch ON ledger.entries USING brin (batch_id) WITH (autosummarize = on);
CREATE INDEX entries_period_account ON ledger.entries (period, account_id);
COMMENT ON TABLE ledger.entries IS 'Journal entries. Each entry is a set of transfers; each transfer debits one account and credits another by the same amount, so every entry balances by construction.';
COMMENT ON COLUMN ledger.entries.entry_id IS 'Entry number; a batch''s entries have consecutive numbers.';
COMMENT ON COLUMN ledger.entries.batch_id IS 'The batch that posted it.';
COMMENT ON COLUMN ledger.entries.period IS 'The period it is posted in (YYYY-MM of the billing calendar).';
COMMENT ON COLUMN ledger.entries.effective_at IS 'Its own time: the usage day''s start, the order time, the end of a straight-line share, a plan''s last valid instant.';
COMMENT ON COLUMN ledger.entries.account_id IS 'The customer account it concerns.';
COMMENT ON COLUMN ledger.entries.kind IS 'purchase, topup, payment, usage, recognition (straight line), breakage (plan expiry), round_down (close) or adjustment (a credit or debit note).';
COMMENT ON COLUMN ledger.entries.item IS 'The billable item (usage and adjustment entries).';
COMMENT ON COLUMN ledger.entries.order_id IS 'The order (purchases, top-ups, payments, recognition, breakage), the invoice (round-down) or the adjustment (adjustment entries).';
COMMENT ON COLUMN ledger.entries.late IS 'True when its own time lies in a period that was already closed: posted in the earliest open period after it.';
COMMENT ON COLUMN ledger.entries.description IS 'What the entry is, in words (never empty).';

CREATE TABLE ledger.transfers (
    transfer_id bigint PRIMARY KEY,
    entry_id bigint NOT NULL,
    debit_code integer NOT NULL,
    debit_sub text NOT NULL,
    credit_code integer NOT NULL,
    credit_sub text NOT NULL,
    amount_e8 bigint NOT NULL CHECK (amount_e8 > 0),
    CHECK (debit_code <> credit_code OR debit_sub <> credit_sub)
);
CREATE INDEX transfers_entry ON ledger.transfers (entry_id);
COMMENT ON TABLE ledger.transfers IS 'Double-entry transfers: amount_e8 is debited to (debit_code, debit_sub) and credited to (credit_code, credit_sub). Amounts are positive. A batch''s transfers are those of its entries.';
COMMENT ON COLUMN ledger.transfers.transfer_id IS 'Transfer number.';
COMMENT ON COLUMN ledger.transfers.entry_id IS 'The journal entry it belongs to.';
COMMENT ON COLUMN ledger.transfers.debit_code IS 'Account debited (ledger.chart).';
COMMENT ON COLUMN ledger.transfers.debit_sub IS 'Sub-ledger debited (customer account_id, plan/coupon order_id, or item).';
COMMENT ON COLUMN ledger.transfers.credit_code IS 'Account credited (ledger.chart).';
COMMENT ON COLUMN ledger.transfers.credit_sub IS 'Sub-ledger credited.';
COMMENT ON COLUMN ledger.transfers.amount_e8 IS 'Amount in 10^-8 CNY, > 0.';

-- The two checks are made per distinct value, not per transfer: a night's
-- million transfers name a few dozen account codes, and the entries of
-- their batch, whose ids run without a gap (if every id from the lowest to
-- the highest named is an entry, every named one is). Only when that range
-- has a gap is each transfer's entry looked up (docs/database-share.md:
-- 1.3 s a night, one lookup per transfer, before).
CREATE FUNCTION ledger.check_transfers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad bigint; lo bigint; hi bigint; bad_code ledger.chart.code%TYPE;
BEGIN
    SELECT x.code INTO bad_code FROM (SELECT debit_code AS code FROM new_rows
                                      UNION SELECT credit_code FROM new_rows) x
        WHERE NOT EXISTS (SELECT 1 FROM ledger.chart c WHERE c.code = x.code)
        LIMIT 1;
    IF FOUND THEN
        SELECT min(t.transfer_id) INTO bad FROM new_rows t
            WHERE t.debit_code = bad_code OR t.credit_code = bad_code;
        RAISE EXCEPTION 'billrun: transfer % names an account that is not in the chart of accounts', bad
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT min(entry_id), max(entry_id) INTO lo, hi FROM new_rows;
    IF lo IS NULL OR (SELECT count(*) FROM ledger.entries e WHERE e.entry_id BETWEEN lo AND hi) = hi - lo + 1 THEN
        RETURN NULL;
    END IF;
    SELECT t.transfer_id INTO bad FROM new_rows t
        WHERE NOT EXISTS (SELECT 1 FROM ledger.entries e WHERE e.entry_id = t.entry_id)
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'billrun: transfer % names an entry that does not exist', bad
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION ledger.check_transfers() IS 'Trigger function: refuses transfers whose entry does not exist or whose debit or credit code is not in the chart of accounts (the per-statement form of those foreign keys).';
CREATE TRIGGER transfers_references AFTER INSERT ON ledger.transfers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.check_transfers();

-- Source files and rejects.
CREATE TABLE billing.files (
    file_id bigint PRIMARY KEY,
    batch_id bigint NOT NULL,
    name text NOT NULL,
    sha256 bytea NOT NULL CHECK (length(sha256) = 32),
    size_bytes bigint NOT NULL,
    kind text NOT NULL CHECK (kind IN ('accounts', 'prices', 'orders', 'adjustments', 'eas', 'oss', 'reprocess')),
    status text NOT NULL CHECK (status IN ('applied', 'refused')),
    reason text,
    detail text,
    rows bigint NOT NULL CHECK (rows >= 0),
    accepted bigint NOT NULL CHECK (accepted >= 0),
    rejected bigint NOT NULL CHECK (rejected >= 0),
    CHECK (rows = accepted + rejected),
    CHECK ((status = 'applied') = (reason IS NULL))
);
CREATE UNIQUE INDEX files_applied_name ON billing.files (name) WHERE status = 'applied' AND kind <> 'reprocess';
CREATE INDEX files_name ON billing.files (name);
-- The batch_id indexes are BRIN (a few bytes per 128 pages: rows arrive in
-- batch order) with autosummarize: autovacuum summarises each page range as
-- soon as the next one is written. Without it the pages written since the
-- table's last vacuum stay unsummarised and every lookup of a batch reads
-- them all; autovacuum comes after 20% growth, so that tail grows with the
-- table (after a year of nights, 75 MB read to count one batch's usage
-- lines before its commit).
CREATE INDEX files_batch ON billing.files USING brin (batch_id) WITH (autosummarize = on);
COMMENT ON TABLE billing.files IS 'Every inbox file a batch read: applied (its rows accepted or rejected) or refused whole with a reason.';
COMMENT ON COLUMN billing.files.file_id IS 'File number.';
COMMENT ON COLUMN billing.files.batch_id IS 'The batch that read it.';
COMMENT ON COLUMN billing.files.name IS 'File name in the inbox (reprocessing batches: reprocess-<batch>-<kind>).';
COMMENT ON COLUMN billing.files.sha256 IS 'SHA-256 of the file''s bytes: with the name, the file''s identity.';
COMMENT ON COLUMN billing.files.size_bytes IS 'Size in bytes.';
COMMENT ON COLUMN billing.files.kind IS 'accounts, prices, orders, adjustments, eas, oss (or reprocess).';
COMMENT ON COLUMN billing.files.status IS 'applied or refused.';
COMMENT ON COLUMN billing.files.reason IS 'Why it was refused: bad_header, empty_file, changed_content, price_overlap, reprices_history.';
COMMENT ON COLUMN billing.files.detail IS 'The refusal in words.';
COMMENT ON COLUMN billing.files.rows IS 'Data rows (records) in the file; rows = accepted + rejected.';
COMMENT ON COLUMN billing.files.accepted IS 'Rows accepted.';
COMMENT ON COLUMN billing.files.rejected IS 'Rows rejected (see billing.rejects).';

CREATE TABLE billing.reject_rows (
    reject_id bigint PRIMARY KEY,
    batch_id bigint NOT NULL,
    file_id bigint NOT NULL,
    line bigint NOT NULL,
    reason text NOT NULL,
    raw text NOT NULL,
    raw_bytes bytea NOT NULL,
    truncated boolean NOT NULL,
    detail text
);
CREATE INDEX reject_rows_file ON billing.reject_rows (file_id);
CREATE INDEX reject_rows_batch ON billing.reject_rows USING brin (batch_id) WITH (autosummarize = on);
COMMENT ON TABLE billing.reject_rows IS 'Rows that failed validation: kept with file, line, raw text and reason, never lost.';
COMMENT ON COLUMN billing.reject_rows.reject_id IS 'Reject number.';
COMMENT ON COLUMN billing.reject_rows.batch_id IS 'The batch that rejected it.';
COMMENT ON COLUMN billing.reject_rows.file_id IS 'The file it came from.';
COMMENT ON COLUMN billing.reject_rows.line IS 'Physical line the record starts on (the header is line 1).';
COMMENT ON COLUMN billing.reject_rows.reason IS 'Reject reason code of formats.md.';
COMMENT ON COLUMN billing.reject_rows.raw IS 'The record as text; bytes that are not valid UTF-8 (and NUL) shown as \xNN.';
COMMENT ON COLUMN billing.reject_rows.raw_bytes IS 'The record''s exact bytes (for reprocessing).';
COMMENT ON COLUMN billing.reject_rows.truncated IS 'True when the record was longer than 64 KiB and only its start is kept.';
COMMENT ON COLUMN billing.reject_rows.detail IS 'More on the reason where there is more to say: for a duplicate_record whose id an earlier run billed, that batch and file.';

CREATE TABLE billing.reject_outcomes (
    reject_id bigint NOT NULL,
    batch_id bigint NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('rated', 'rejected')),
    reason text,
    PRIMARY KEY (reject_id, batch_id)
);
CREATE INDEX reject_outcomes_batch ON billing.reject_outcomes USING brin (batch_id) WITH (autosummarize = on);
COMMENT ON TABLE billing.reject_outcomes IS 'What reprocessing made of a rejected row: rated, or rejected again (with the new reason).';
COMMENT ON COLUMN billing.reject_outcomes.reject_id IS 'The rejected row.';
COMMENT ON COLUMN billing.reject_outcomes.batch_id IS 'The reprocessing batch.';
COMMENT ON COLUMN billing.reject_outcomes.outcome IS 'rated or rejected.';
COMMENT ON COLUMN billing.reject_outcomes.reason IS 'The reason when rejected again.';

-- Reference data.
CREATE TABLE billing.account_versions (
    account_id text NOT NULL,
    batch_id bigint NOT NULL,
    file_id bigint NOT NULL,
    line bigint NOT NULL,
    name text NOT NULL,
    address text NOT NULL,
    tax_id text NOT NULL,
    email text NOT NULL,
    PRIMARY KEY (account_id, batch_id)
);
CREATE INDEX account_versions_batch ON billing.account_versions USING brin (batch_id) WITH (autosummarize = on);
COMMENT ON TABLE billing.account_versions IS 'Customer accounts as each batch last set them; the latest version is current.';
COMMENT ON COLUMN billing.account_versions.account_id IS 'Customer account id.';
COMMENT ON COLUMN billing.account_versions.batch_id IS 'The batch that set this version.';
COMMENT ON COLUMN billing.account_versions.file_id IS 'The accounts file it came from.';
COMMENT ON COLUMN billing.account_versions.line IS 'Its line in that file.';
COMMENT ON COLUMN billing.account_versions.name IS 'Customer name (as written, never interpreted).';
COMMENT ON COLUMN billing.account_versions.address IS 'Postal address.';
COMMENT ON COLUMN billing.account_versions.tax_id IS 'Tax id.';
COMMENT ON COLUMN billing.account_versions.email IS 'Billing email.';

CREATE TABLE billing.prices (
    price_id bigint PRIMARY KEY,
    batch_id bigint NOT NULL,
    file_id bigint NOT NULL,
    line bigint NOT NULL,
    item text NOT NULL,
    spec text NOT NULL,
    unit_price_e10 bigint NOT NULL CHECK (unit_price_e10 >= 0),
    effective_from timestamptz NOT NULL,
    effective_to timestamptz,
    tod_from_s integer,
    tod_to_s integer,
    free_per_month_units bigint
);
CREATE INDEX prices_batch ON billing.prices USING brin (batch_id) WITH (autosummarize = on);
COMMENT ON TABLE billing.prices IS 'The effective-dated price book (rules.md section 3).';
COMMENT ON COLUMN billing.prices.price_id IS 'Price row number.';
COMMENT ON COLUMN billing.prices.batch_id IS 'The batch that loaded it.';
COMMENT ON COLUMN billing.prices.file_id IS 'Its prices file.';
COMMENT ON COLUMN billing.prices.line IS 'Its line.';
COMMENT ON COLUMN billing.prices.item IS 'Billable item.';
COMMENT ON COLUMN billing.prices.spec IS 'Spec, or * for any.';
COMMENT ON COLUMN billing.prices.unit_price_e10 IS 'Unit price in 10^-10 CNY per price unit.';
COMMENT ON COLUMN billing.prices.effective_from IS 'First instant it applies.';
COMMENT ON COLUMN billing.prices.effective_to IS 'First instant it no longer applies; NULL = open (until the next later open row of its item and spec).';
COMMENT ON COLUMN billing.prices.tod_from_s IS 'Time-of-day window start, seconds of the local day (NULL = all day).';
COMMENT ON COLUMN billing.prices.tod_to_s IS 'Time-of-day window end (86400 = 24:00); a window with from > to wraps past midnight.';
COMMENT ON COLUMN billing.prices.free_per_month_units IS 'Monthly free allowance in base units (NULL = none).';

CREATE TABLE billing.orders (
    order_id text PRIMARY KEY,
    batch_id bigint NOT NULL,
    file_id bigint NOT NULL,
    line bigint NOT NULL,
    account_id text NOT NULL,
    order_time timestamptz NOT NULL,
    kind text NOT NULL CHECK (kind IN ('plan', 'coupon', 'topup', 'payment')),
    scope text NOT NULL,
    scope_mask smallint NOT NULL,
    plan_type text CHECK (plan_type IN ('amount', 'pool', 'monthly', 'capacity')),
    quantity_e10 bigint,
    unit text,
    face bigint,
    paid_e8 bigint NOT NULL CHECK (paid_e8 >= 0),
    valid_days integer,
    valid_from timestamptz,
    valid_to timestamptz,
    bundle_id text,
    period text NOT NULL,
    late boolean NOT NULL
);
CREATE INDEX orders_account ON billing.orders (account_id);
CREATE INDEX orders_batch ON billing.orders USING brin (batch_id) WITH (autosummarize = on);
CREATE INDEX orders_topup_time ON billing.orders (order_time) WHERE kind = 'topup';
COMMENT ON INDEX billing.orders_topup_time IS 'Top-ups by time: those dated after a run''s earliest piece are added back to the balance at their own time.';
-- A run loads the plans that have not ended and the coupons still valid,
-- not every order ever stored (top-ups and payments pile up for years):
-- plans by their end (every plan that ended before the last run's as-of has
-- its expiry, `verify` checks it), coupons by theirs.
CREATE INDEX orders_plan_valid_to ON billing.orders (valid_to) WHERE kind = 'plan';
CREATE INDEX orders_coupon_valid_to ON billing.orders (valid_to) WHERE kind = 'coupon';
COMMENT ON INDEX billing.orders_plan_valid_to IS 'Plans by the end of their validity: a run loads those ending after the last run''s as-of (the others have ended).';
COMMENT ON INDEX billing.orders_coupon_valid_to IS 'Coupons by the end of their validity: a run loads those valid in its last 366 days.';
COMMENT ON TABLE billing.orders IS 'Accepted orders: plan purchases, coupon grants, top-ups and payments.';
COMMENT ON COLUMN billing.orders.order_id IS 'Order id.';
COMMENT ON COLUMN billing.orders.batch_id IS 'The batch that applied it.';
COMMENT ON COLUMN billing.orders.file_id IS 'Its orders file.';
COMMENT ON COLUMN billing.orders.line IS 'Its line.';
COMMENT ON COLUMN billing.orders.account_id IS 'Customer account.';
COMMENT ON COLUMN billing.orders.order_time IS 'When it was placed; plans and coupons are valid from then.';
COMMENT ON COLUMN billing.orders.kind IS 'plan, coupon, topup or payment.';
COMMENT ON COLUMN billing.orders.scope IS 'Items covered, as written (| separated, or *).';
COMMENT ON COLUMN billing.orders.scope_mask IS 'Items covered as a bit mask (bit = item number: compute_shared 0 .. get 5).';
COMMENT ON COLUMN billing.orders.plan_type IS 'amount, pool, monthly or capacity (plans).';
COMMENT ON COLUMN billing.orders.quantity_e10 IS 'Face as written, in 10^-10 plan units (NULL for topups and payments, and for a plan quantity too large to hold at 10 decimals in 63 bits: face is exact).';
COMMENT ON COLUMN billing.orders.unit IS 'CNY, gpu_second, hour, GB or request.';
COMMENT ON COLUMN billing.orders.face IS 'Face in e8 (CNY) or base units (gpu_ms, s, bytes or byte-hours, requests).';
COMMENT ON COLUMN billing.orders.paid_e8 IS 'Price paid in e8 (0 for coupons).';
COMMENT ON COLUMN billing.orders.valid_days IS 'Validity in days.';
COMMENT ON COLUMN billing.orders.valid_from IS 'First valid instant (= order_time).';
COMMENT ON COLUMN billing.orders.valid_to IS 'First instant no longer valid (order_time + valid_days days).';
COMMENT ON COLUMN billing.orders.bundle_id IS 'Bundle (package) it belongs to.';
COMMENT ON COLUMN billing.orders.period IS 'Period its postings went to.';
COMMENT ON COLUMN billing.orders.late IS 'Dated in a period already closed when it arrived.';

-- Rated usage and draws.
CREATE TABLE billing.usage_lines (
    batch_id bigint NOT NULL,
    account_id text NOT NULL,
    period text NOT NULL,
    own_period text NOT NULL,
    day date NOT NULL,
    item text NOT NULL,
    late boolean NOT NULL,
    pieces bigint NOT NULL,
    quantity bigint NOT NULL,
    gross_e8 bigint NOT NULL,
    free_e8 bigint NOT NULL,
    plan_e8 bigint NOT NULL,
    coupon_e8 bigint NOT NULL,
    balance_e8 bigint NOT NULL,
    outstanding_e8 bigint NOT NULL,
    free_units bigint NOT NULL,
    price_min_e10 bigint NOT NULL,
    price_max_e10 bigint NOT NULL,
    CHECK (gross_e8 = free_e8 + plan_e8 + coupon_e8 + balance_e8 + outstanding_e8)
);
CREATE INDEX usage_lines_period_account ON billing.usage_lines (period, account_id);
CREATE INDEX usage_lines_batch ON billing.usage_lines USING brin (batch_id) WITH (autosummarize = on);
COMMENT ON TABLE billing.usage_lines IS 'Rated usage per batch, account, posting period, local day and item, with its split over funding sources (gross = free + plan + coupon + balance + outstanding).';
COMMENT ON COLUMN billing.usage_lines.batch_id IS 'The batch that rated it.';
COMMENT ON COLUMN billing.usage_lines.account_id IS 'Customer account.';
COMMENT ON COLUMN billing.usage_lines.period IS 'Posting (invoice) period.';
COMMENT ON COLUMN billing.usage_lines.own_period IS 'The period of the usage''s own time (differs when late).';
COMMENT ON COLUMN billing.usage_lines.day IS 'Local day of the pieces.';
COMMENT ON COLUMN billing.usage_lines.item IS 'Billable item.';
COMMENT ON COLUMN billing.usage_lines.late IS 'Dated in a closed period.';
COMMENT ON COLUMN billing.usage_lines.pieces IS 'Priced pieces.';
COMMENT ON COLUMN billing.usage_lines.quantity IS 'Quantity in base units (gpu_ms, s, byte-hours, bytes, requests).';
COMMENT ON COLUMN billing.usage_lines.gross_e8 IS 'Gross at list price, e8.';
COMMENT ON COLUMN billing.usage_lines.free_e8 IS 'Covered by the free allowance.';
COMMENT ON COLUMN billing.usage_lines.plan_e8 IS 'Covered by resource plans.';
COMMENT ON COLUMN billing.usage_lines.coupon_e8 IS 'Covered by coupons.';
COMMENT ON COLUMN billing.usage_lines.balance_e8 IS 'Paid from the prepaid balance.';
COMMENT ON COLUMN billing.usage_lines.outstanding_e8 IS 'Owed by the customer (receivable).';
COMMENT ON COLUMN billing.usage_lines.free_units IS 'Base units taken from the free allowance.';
COMMENT ON COLUMN billing.usage_lines.price_min_e10 IS 'Lowest unit price of its pieces (e10 per price unit).';
COMMENT ON COLUMN billing.usage_lines.price_max_e10 IS 'Highest unit price of its pieces.';

CREATE TABLE billing.draws (
    batch_id bigint NOT NULL,
    account_id text NOT NULL,
    period text NOT NULL,
    own_period text NOT NULL,
    day date NOT NULL,
    item text NOT NULL,
    source text NOT NULL CHECK (source IN ('plan', 'coupon')),
    order_id text NOT NULL,
    units bigint NOT NULL,
    value_e8 bigint NOT NULL,
    recognised_e8 bigint NOT NULL
);
CREATE INDEX draws_period_account ON billing.draws (period, account_id);
CREATE INDEX draws_batch ON billing.draws USING brin (batch_id) WITH (autosummarize = on);
COMMENT ON TABLE billing.draws IS 'What each plan and coupon paid, per batch, account, period, day and item: the waterfall''s trail of the sources that have an order. The free allowance, the balance and the receivable are the usage line''s free_e8 (and free_units), balance_e8 and outstanding_e8.';
COMMENT ON COLUMN billing.draws.batch_id IS 'The batch.';
COMMENT ON COLUMN billing.draws.account_id IS 'Customer account.';
COMMENT ON COLUMN billing.draws.period IS 'Posting period.';
COMMENT ON COLUMN billing.draws.own_period IS 'Own period of the usage.';
COMMENT ON COLUMN billing.draws.day IS 'Local day.';
COMMENT ON COLUMN billing.draws.item IS 'Billable item.';
COMMENT ON COLUMN billing.draws.source IS 'plan or coupon.';
COMMENT ON COLUMN billing.draws.order_id IS 'The plan or coupon drawn.';
COMMENT ON COLUMN billing.draws.units IS 'Base units covered (unit-measured plans) or e8 (amount plans, coupons).';
COMMENT ON COLUMN billing.draws.value_e8 IS 'Value covered, e8.';
COMMENT ON COLUMN billing.draws.recognised_e8 IS 'Revenue recognised by these draws (amount and pool plans: increase of floor(paid * consumed / face)).';

CREATE TABLE billing.plan_events (
    batch_id bigint NOT NULL,
    order_id text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('straight', 'breakage', 'expiry')),
    period text NOT NULL,
    own_period text NOT NULL,
    effective_at timestamptz NOT NULL,
    amount_e8 bigint NOT NULL CHECK (amount_e8 >= 0)
);
CREATE INDEX plan_events_order ON billing.plan_events (order_id);
-- The plans that have ended: a night loads every plan not in it, and the
-- straight-line shares (all but a few rows of the table, a year of them
-- hundreds of thousands) must not be read to find them.
CREATE INDEX plan_events_ended ON billing.plan_events (order_id) WHERE kind IN ('breakage', 'expiry');
CREATE INDEX plan_events_batch ON billing.plan_events USING brin (batch_id) WITH (autosummarize = on);
COMMENT ON TABLE billing.plan_events IS 'Straight-line recognition shares and expiries of plans.';
COMMENT ON COLUMN billing.plan_events.batch_id IS 'The batch.';
COMMENT ON COLUMN billing.plan_events.order_id IS 'The plan.';
COMMENT ON COLUMN billing.plan_events.kind IS 'straight (a share of straight-line recognition), breakage (expiry of an amount or pool plan with liability left), expiry (expiry with nothing left).';
COMMENT ON COLUMN billing.plan_events.period IS 'Posting period.';
COMMENT ON COLUMN billing.plan_events.own_period IS 'The period it belongs to.';
COMMENT ON COLUMN billing.plan_events.effective_at IS 'Last instant of the share, or the plan''s last valid instant.';
COMMENT ON COLUMN billing.plan_events.amount_e8 IS 'Amount recognised, e8.';

-- Rating state as of each batch (only what the batch changed; the latest row of a key is current).
CREATE TABLE billing.order_state (
    order_id text NOT NULL,
    batch_id bigint NOT NULL,
    consumed bigint NOT NULL,
    recognised_e8 bigint NOT NULL,
    sl_elapsed_s bigint NOT NULL,
    breakage_e8 bigint NOT NULL,
    expired boolean NOT NULL,
    PRIMARY KEY (order_id, batch_id)
);
CREATE INDEX order_state_batch ON billing.order_state USING brin (batch_id) WITH (autosummarize = on);
COMMENT ON TABLE billing.order_state IS 'State of plans and coupons after each batch that changed them.';
COMMENT ON COLUMN billing.order_state.order_id IS 'Plan or coupon.';
COMMENT ON COLUMN billing.order_state.batch_id IS 'The batch.';
COMMENT ON COLUMN billing.order_state.consumed IS 'Drawn so far: e8 (amount plans, coupons), base units (pool, monthly), byte-hours covered (capacity).';
COMMENT ON COLUMN billing.order_state.recognised_e8 IS 'Revenue recognised so far.';
COMMENT ON COLUMN billing.order_state.sl_elapsed_s IS 'Seconds of validity recognised on the straight line so far (monthly, capacity).';
COMMENT ON COLUMN billing.order_state.breakage_e8 IS 'Breakage posted at expiry.';
COMMENT ON COLUMN billing.order_state.expired IS 'Expiry processed: covers nothing more.';

CREATE TABLE billing.balance_state (
    account_id text NOT NULL,
    batch_id bigint NOT NULL,
    balance_e8 bigint NOT NULL CHECK (balance_e8 >= 0),
    PRIMARY KEY (account_id, batch_id)
);
CREATE INDEX balance_state_batch ON billing.balance_state USING brin (batch_id) WITH (autosummarize = on);
COMMENT ON TABLE billing.balance_state IS 'Prepaid balance of a customer after each batch that changed it.';
COMMENT ON COLUMN billing.balance_state.account_id IS 'Customer.';
COMMENT ON COLUMN billing.balance_state.batch_id IS 'The batch.';
COMMENT ON COLUMN billing.balance_state.balance_e8 IS 'Balance left, e8.';

-- Keys that a night inserts into in one place: leading with the bucket or
-- the period keeps each night's inserts together at the end of the index
-- (a key leading with the order or the account landed on random pages of an
-- index that grows with the history).
CREATE TABLE billing.bucket_state (
    order_id text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('month', 'day')),
    bucket bigint NOT NULL,
    batch_id bigint NOT NULL,
    used bigint NOT NULL,
    hours bigint[],
    PRIMARY KEY (kind, bucket, order_id, batch_id),
    CHECK ((kind = 'day') = (hours IS NOT NULL)
           AND (hours IS NULL OR (cardinality(hours) = 24 AND array_ndims(hours) = 1
                                  AND array_lower(hours, 1) = 1 AND 0 <= ALL (hours))))
);
CREATE INDEX bucket_state_batch ON billing.bucket_state USING brin (batch_id) WITH (autosummarize = on);
COMMENT ON TABLE billing.bucket_state IS 'Units used of a monthly plan''s quota in a month (kind month, bucket = year*12+month-1), or of a capacity plan''s capacity in the hours of a UTC day (kind day, bucket = days since 1970-01-01 UTC, one value per hour in hours). The latest batch''s row of a key is current.';
COMMENT ON COLUMN billing.bucket_state.order_id IS 'The plan.';
COMMENT ON COLUMN billing.bucket_state.kind IS 'month (monthly plans) or day (capacity plans).';
COMMENT ON COLUMN billing.bucket_state.bucket IS 'The month or day number.';
COMMENT ON COLUMN billing.bucket_state.batch_id IS 'The batch.';
COMMENT ON COLUMN billing.bucket_state.used IS 'Base units used in it (for a day, the sum of its hours).';
COMMENT ON COLUMN billing.bucket_state.hours IS 'kind day only: byte-hours covered in each UTC hour of the day, hours[1] = 00:00-01:00 UTC.';

CREATE TABLE billing.allowance_state (
    account_id text NOT NULL,
    item text NOT NULL,
    period text NOT NULL,
    batch_id bigint NOT NULL,
    used bigint NOT NULL,
    PRIMARY KEY (period, account_id, item, batch_id)
);
CREATE INDEX allowance_state_batch ON billing.allowance_state USING brin (batch_id) WITH (autosummarize = on);
COMMENT ON TABLE billing.allowance_state IS 'Free allowance used per customer, item and month.';
COMMENT ON COLUMN billing.allowance_state.account_id IS 'Customer.';
COMMENT ON COLUMN billing.allowance_state.item IS 'Item.';
COMMENT ON COLUMN billing.allowance_state.period IS 'Billing month.';
COMMENT ON COLUMN billing.allowance_state.batch_id IS 'The batch.';
COMMENT ON COLUMN billing.allowance_state.used IS 'Base units used.';

CREATE TABLE billing.rated_spans (
    batch_id bigint NOT NULL,
    item text NOT NULL,
    spec text NOT NULL,
    hour_from bigint NOT NULL,
    hour_to bigint NOT NULL
);
CREATE INDEX rated_spans_item ON billing.rated_spans (item, spec);
CREATE INDEX rated_spans_batch ON billing.rated_spans USING brin (batch_id) WITH (autosummarize = on);
COMMENT ON TABLE billing.rated_spans IS 'Hours (since 1970, inclusive ranges) in which pieces of an item and price spec (* = priced by a * row) were rated: a later price file that would reprice them is refused.';
COMMENT ON COLUMN billing.rated_spans.batch_id IS 'The batch.';
COMMENT ON COLUMN billing.rated_spans.item IS 'Item.';
COMMENT ON COLUMN billing.rated_spans.spec IS 'Spec of the rate key (* when no exact price existed).';
COMMENT ON COLUMN billing.rated_spans.hour_from IS 'First hour.';
COMMENT ON COLUMN billing.rated_spans.hour_to IS 'Last hour.';

-- Adjustments: credit and debit notes (corrections.md section 3).
CREATE TABLE billing.adjustment_rows (
    adjustment_id text PRIMARY KEY,
    batch_id bigint NOT NULL,
    file_id bigint NOT NULL,
    line bigint NOT NULL,
    account_id text NOT NULL,
    adjustment_time timestamptz NOT NULL,
    kind text NOT NULL CHECK (kind IN ('credit', 'debit')),
    item text NOT NULL,
    amount_e8 bigint NOT NULL CHECK (amount_e8 > 0),
    invoice_no text,
    reason text NOT NULL CHECK (reason <> ''),
    period text NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    late boolean NOT NULL
);
CREATE INDEX adjustment_rows_period ON billing.adjustment_rows (period, account_id);
CREATE INDEX adjustment_rows_invoice ON billing.adjustment_rows (invoice_no) WHERE invoice_no IS NOT NULL;
CREATE INDEX adjustment_rows_credit_time ON billing.adjustment_rows (adjustment_time) WHERE kind = 'credit';
CREATE INDEX adjustment_rows_batch ON billing.adjustment_rows USING brin (batch_id) WITH (autosummarize = on);
COMMENT ON TABLE billing.adjustment_rows IS 'Accepted adjustments: credits (the customer is owed; Dr 4920 by item / Cr prepaid, joining the balance at their time) and debits (the customer owes more; Dr receivable / Cr 4920 by item).';
COMMENT ON COLUMN billing.adjustment_rows.adjustment_id IS 'Adjustment id.';
COMMENT ON COLUMN billing.adjustment_rows.batch_id IS 'The batch that applied it.';
COMMENT ON COLUMN billing.adjustment_rows.file_id IS 'Its adjustments file.';
COMMENT ON COLUMN billing.adjustment_rows.line IS 'Its line.';
COMMENT ON COLUMN billing.adjustment_rows.account_id IS 'Customer account.';
COMMENT ON COLUMN billing.adjustment_rows.adjustment_time IS 'When it takes effect.';
COMMENT ON COLUMN billing.adjustment_rows.kind IS 'credit or debit.';
COMMENT ON COLUMN billing.adjustment_rows.item IS 'The billable item it corrects.';
COMMENT ON COLUMN billing.adjustment_rows.amount_e8 IS 'Amount, e8, > 0.';
COMMENT ON COLUMN billing.adjustment_rows.invoice_no IS 'The final invoice it refers to, if any.';
COMMENT ON COLUMN billing.adjustment_rows.reason IS 'Why, in words.';
COMMENT ON COLUMN billing.adjustment_rows.period IS 'Posting period: the period of adjustment_time, or the first open period after it.';
COMMENT ON COLUMN billing.adjustment_rows.late IS 'Dated in a period already closed when it arrived.';

CREATE TABLE billing.adjustment_notes (
    note_no text PRIMARY KEY CHECK (note_no ~ '^(CN|DN)-[0-9]{6}-[0-9]{6}$'),
    adjustment_id text NOT NULL UNIQUE,
    period text NOT NULL,
    batch_id bigint NOT NULL
);
CREATE INDEX adjustment_notes_batch ON billing.adjustment_notes USING brin (batch_id) WITH (autosummarize = on);
COMMENT ON TABLE billing.adjustment_notes IS 'Credit and debit note numbers given at close: CN- and DN-YYYYMM-NNNNNN, each series gapless per period in (account_id, adjustment_time, adjustment_id) order.';
COMMENT ON COLUMN billing.adjustment_notes.note_no IS 'CN-YYYYMM-NNNNNN (credit) or DN-YYYYMM-NNNNNN (debit).';
COMMENT ON COLUMN billing.adjustment_notes.adjustment_id IS 'The adjustment.';
COMMENT ON COLUMN billing.adjustment_notes.period IS 'The period closed.';
COMMENT ON COLUMN billing.adjustment_notes.batch_id IS 'The close batch.';

-- The memory of billed record ids (corrections.md section 1; docs/record-ids.md).
CREATE TABLE billing.record_ids (
    batch_id bigint NOT NULL,
    source text NOT NULL CHECK (source IN ('eas', 'oss')),
    part smallint NOT NULL CHECK (part BETWEEN 0 AND 255),
    seq integer NOT NULL CHECK (seq >= 0),
    n integer NOT NULL CHECK (n BETWEEN 1 AND 262144),
    t_min timestamptz NOT NULL,
    t_max timestamptz NOT NULL CHECK (t_max >= t_min),
    files bigint[] NOT NULL,
    rice smallint NOT NULL CHECK (rice BETWEEN 0 AND 36),
    width smallint NOT NULL CHECK (width BETWEEN 1 AND 36),
    tbytes smallint NOT NULL CHECK (tbytes BETWEEN 0 AND 4),
    fbytes smallint NOT NULL CHECK (fbytes BETWEEN 0 AND 2),
    fps bytea NOT NULL,
    entries bytea NOT NULL CHECK (length(entries) = (6 + tbytes + fbytes) * n),
    PRIMARY KEY (batch_id, source, part, seq)
);
ALTER TABLE billing.record_ids ALTER COLUMN fps SET STORAGE EXTERNAL;
ALTER TABLE billing.record_ids ALTER COLUMN entries SET STORAGE EXTERNAL;
CREATE INDEX record_ids_window ON billing.record_ids (source, t_max);
COMMENT ON TABLE billing.record_ids IS 'The record ids of the usage rows each batch billed, by source and by part (the top 8 bits of the id''s first hash), so that a later run rejects an id billed within its window as duplicate_record. An auditor asks billing.billed_records(source, record_id) which batch and file billed an id; docs/record-ids.md gives the layout.';
COMMENT ON COLUMN billing.record_ids.batch_id IS 'The batch that billed them.';
COMMENT ON COLUMN billing.record_ids.source IS 'eas or oss: record ids are unique per source.';
COMMENT ON COLUMN billing.record_ids.part IS 'Top 8 bits of the ids'' first hash (billing.record_id_hash(id, 1)).';
COMMENT ON COLUMN billing.record_ids.seq IS 'Rows of one batch, source and part, from 0: a row holds at most 262144 ids.';
COMMENT ON COLUMN billing.record_ids.n IS 'Ids in the row.';
COMMENT ON COLUMN billing.record_ids.t_min IS 'Earliest charge time of their rows.';
COMMENT ON COLUMN billing.record_ids.t_max IS 'Latest charge time: the row matters to a run while t_max is within its window.';
COMMENT ON COLUMN billing.record_ids.files IS 'The files (file_id) the ids came from; an entry names one by its position.';
COMMENT ON COLUMN billing.record_ids.rice IS 'Rice parameter of fps.';
COMMENT ON COLUMN billing.record_ids.width IS 'Bits of each fingerprint: the top `width` bits of the first hash after its part bits.';
COMMENT ON COLUMN billing.record_ids.fps IS 'Each id''s fingerprint, sorted, as Rice-coded gaps (a gap g is g >> rice in unary as ones ended by a zero, then its low rice bits, most significant bit first): what a night reads to find candidates.';
COMMENT ON COLUMN billing.record_ids.tbytes IS 'Bytes of an entry''s charge time (enough for t_max - t_min seconds).';
COMMENT ON COLUMN billing.record_ids.fbytes IS 'Bytes of an entry''s file position (0 when the row has one file).';
COMMENT ON COLUMN billing.record_ids.entries IS 'Per id, in fingerprint order, 6 + tbytes + fbytes bytes, big-endian: the top 48 bits of its second hash, its charge time in seconds after t_min, its file''s position in files (from 0).';

-- Periods and invoices.
CREATE TABLE billing.period_closes (
    period text PRIMARY KEY CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    batch_id bigint NOT NULL,
    closed_at timestamptz NOT NULL,
    forced boolean NOT NULL,
    seller text NOT NULL
);
COMMENT ON TABLE billing.period_closes IS 'Closed (final) periods: nothing posts into them again.';
COMMENT ON COLUMN billing.period_closes.period IS 'The period.';
COMMENT ON COLUMN billing.period_closes.batch_id IS 'The close batch.';
COMMENT ON COLUMN billing.period_closes.closed_at IS 'When it was closed (the invoices'' issue time).';
COMMENT ON COLUMN billing.period_closes.forced IS 'Closed before any run had reached the period end (usage of its last days arriving later goes to the next open period, flagged late).';
COMMENT ON COLUMN billing.period_closes.seller IS 'The seller block printed on the invoices (key=value lines), frozen at close so the workbooks can be written again identically.';

CREATE TABLE billing.invoice_finals (
    invoice_no text PRIMARY KEY CHECK (invoice_no ~ '^INV-[0-9]{6}-[0-9]{6}$'),
    period text NOT NULL REFERENCES billing.period_closes,
    account_id text NOT NULL,
    batch_id bigint NOT NULL,
    gross_e8 bigint NOT NULL,
    free_e8 bigint NOT NULL,
    plan_e8 bigint NOT NULL,
    coupon_e8 bigint NOT NULL,
    balance_e8 bigint NOT NULL,
    outstanding_e8 bigint NOT NULL,
    credits_e8 bigint NOT NULL CHECK (credits_e8 >= 0),
    debits_e8 bigint NOT NULL CHECK (debits_e8 >= 0),
    round_down_e8 bigint NOT NULL CHECK (round_down_e8 >= 0 AND round_down_e8 < 1000000),
    amount_due_e8 bigint NOT NULL CHECK (amount_due_e8 % 1000000 = 0),
    buyer_name text NOT NULL,
    buyer_address text NOT NULL,
    buyer_tax_id text NOT NULL,
    buyer_email text NOT NULL,
    UNIQUE (period, account_id),
    CHECK (amount_due_e8 = outstanding_e8 + debits_e8 - round_down_e8)
);
CREATE INDEX invoice_finals_batch ON billing.invoice_finals USING brin (batch_id) WITH (autosummarize = on);
COMMENT ON TABLE billing.invoice_finals IS 'Final invoices, numbered gaplessly per period in ascending account_id order at close.';
COMMENT ON COLUMN billing.invoice_finals.invoice_no IS 'INV-YYYYMM-NNNNNN.';
COMMENT ON COLUMN billing.invoice_finals.period IS 'The period.';
COMMENT ON COLUMN billing.invoice_finals.account_id IS 'Customer.';
COMMENT ON COLUMN billing.invoice_finals.batch_id IS 'The close batch.';
COMMENT ON COLUMN billing.invoice_finals.gross_e8 IS 'Gross.';
COMMENT ON COLUMN billing.invoice_finals.free_e8 IS 'Free allowance.';
COMMENT ON COLUMN billing.invoice_finals.plan_e8 IS 'Plan deductions.';
COMMENT ON COLUMN billing.invoice_finals.coupon_e8 IS 'Coupon deductions.';
COMMENT ON COLUMN billing.invoice_finals.balance_e8 IS 'Balance deductions.';
COMMENT ON COLUMN billing.invoice_finals.outstanding_e8 IS 'Outstanding before round-down.';
COMMENT ON COLUMN billing.invoice_finals.credits_e8 IS 'Credit notes of the period (credited to the prepaid balance; they do not change the amount due).';
COMMENT ON COLUMN billing.invoice_finals.debits_e8 IS 'Debit notes of the period (owed).';
COMMENT ON COLUMN billing.invoice_finals.round_down_e8 IS 'Round-down discount (outstanding + debits below the fen), posted Dr round_down / Cr receivable.';
COMMENT ON COLUMN billing.invoice_finals.amount_due_e8 IS 'Amount due: outstanding + debits - round_down, whole fen.';
COMMENT ON COLUMN billing.invoice_finals.buyer_name IS 'Customer name as printed (frozen at close).';
COMMENT ON COLUMN billing.invoice_finals.buyer_address IS 'Customer address as printed.';
COMMENT ON COLUMN billing.invoice_finals.buyer_tax_id IS 'Customer tax id as printed.';
COMMENT ON COLUMN billing.invoice_finals.buyer_email IS 'Customer email as printed.';

-- Nothing posts into a closed period (checked for whole COPY statements).
CREATE FUNCTION ledger.check_open_period() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows n JOIN billing.period_closes c
               ON c.period = n.period AND c.batch_id <> n.batch_id) THEN
        RAISE EXCEPTION 'billrun: an entry was posted into a closed period' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION ledger.check_open_period() IS 'Trigger function: refuses journal entries dated in a period closed by an earlier batch.';
CREATE TRIGGER entries_open_period AFTER INSERT ON ledger.entries
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.check_open_period();

-- The claims of every table with a batch_id column.
CREATE TRIGGER entries_claim_batches AFTER INSERT ON ledger.entries
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER files_claim_batches AFTER INSERT ON billing.files
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER reject_rows_claim_batches AFTER INSERT ON billing.reject_rows
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER reject_outcomes_claim_batches AFTER INSERT ON billing.reject_outcomes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER account_versions_claim_batches AFTER INSERT ON billing.account_versions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER prices_claim_batches AFTER INSERT ON billing.prices
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER orders_claim_batches AFTER INSERT ON billing.orders
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER usage_lines_claim_batches AFTER INSERT ON billing.usage_lines
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER draws_claim_batches AFTER INSERT ON billing.draws
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER plan_events_claim_batches AFTER INSERT ON billing.plan_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER order_state_claim_batches AFTER INSERT ON billing.order_state
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER balance_state_claim_batches AFTER INSERT ON billing.balance_state
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER bucket_state_claim_batches AFTER INSERT ON billing.bucket_state
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER allowance_state_claim_batches AFTER INSERT ON billing.allowance_state
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER rated_spans_claim_batches AFTER INSERT ON billing.rated_spans
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER adjustment_rows_claim_batches AFTER INSERT ON billing.adjustment_rows
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER adjustment_notes_claim_batches AFTER INSERT ON billing.adjustment_notes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER record_ids_claim_batches AFTER INSERT ON billing.record_ids
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER period_closes_claim_batches AFTER INSERT ON billing.period_closes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();
CREATE TRIGGER invoice_finals_claim_batches AFTER INSERT ON billing.invoice_finals
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches();

-- The writers' lock: every writing batch (run, reprocess, close) locks this
-- table IN SHARE ROW EXCLUSIVE MODE, which only one transaction can hold and
-- which needs UPDATE on it: billrun_writer has it, billrun_auditor has no
-- privilege on it at all, so no auditor's session can make a night wait.
CREATE TABLE ledger.writer_lock (
    one boolean PRIMARY KEY DEFAULT true CHECK (one)
);
INSERT INTO ledger.writer_lock VALUES (true);
COMMENT ON TABLE ledger.writer_lock IS 'The lock billrun''s writing batches take (LOCK TABLE ... IN SHARE ROW EXCLUSIVE MODE); one row, never changed.';
COMMENT ON COLUMN ledger.writer_lock.one IS 'Always true.';

-- Append-only: every table of both schemas refuses UPDATE, DELETE and TRUNCATE.
-- (Spelled out per table: a reader of the schema sees each trigger's name.)
CREATE TRIGGER settings_append_only BEFORE UPDATE OR DELETE ON billing.settings FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER settings_no_truncate BEFORE TRUNCATE ON billing.settings FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER chart_append_only BEFORE UPDATE OR DELETE ON ledger.chart FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER writer_lock_append_only BEFORE UPDATE OR DELETE ON ledger.writer_lock FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER writer_lock_no_truncate BEFORE TRUNCATE ON ledger.writer_lock FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER chart_no_truncate BEFORE TRUNCATE ON ledger.chart FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER batches_append_only BEFORE UPDATE OR DELETE ON ledger.batches FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER batches_no_truncate BEFORE TRUNCATE ON ledger.batches FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER batch_claims_append_only BEFORE UPDATE OR DELETE ON ledger.batch_claims FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER batch_claims_no_truncate BEFORE TRUNCATE ON ledger.batch_claims FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON ledger.entries FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON ledger.entries FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER transfers_append_only BEFORE UPDATE OR DELETE ON ledger.transfers FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER transfers_no_truncate BEFORE TRUNCATE ON ledger.transfers FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER files_append_only BEFORE UPDATE OR DELETE ON billing.files FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER files_no_truncate BEFORE TRUNCATE ON billing.files FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER reject_rows_append_only BEFORE UPDATE OR DELETE ON billing.reject_rows FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER reject_rows_no_truncate BEFORE TRUNCATE ON billing.reject_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER reject_outcomes_append_only BEFORE UPDATE OR DELETE ON billing.reject_outcomes FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER reject_outcomes_no_truncate BEFORE TRUNCATE ON billing.reject_outcomes FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER account_versions_append_only BEFORE UPDATE OR DELETE ON billing.account_versions FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER account_versions_no_truncate BEFORE TRUNCATE ON billing.account_versions FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER prices_append_only BEFORE UPDATE OR DELETE ON billing.prices FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER prices_no_truncate BEFORE TRUNCATE ON billing.prices FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER orders_append_only BEFORE UPDATE OR DELETE ON billing.orders FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER orders_no_truncate BEFORE TRUNCATE ON billing.orders FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER usage_lines_append_only BEFORE UPDATE OR DELETE ON billing.usage_lines FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER usage_lines_no_truncate BEFORE TRUNCATE ON billing.usage_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER draws_append_only BEFORE UPDATE OR DELETE ON billing.draws FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER draws_no_truncate BEFORE TRUNCATE ON billing.draws FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER plan_events_append_only BEFORE UPDATE OR DELETE ON billing.plan_events FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER plan_events_no_truncate BEFORE TRUNCATE ON billing.plan_events FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER order_state_append_only BEFORE UPDATE OR DELETE ON billing.order_state FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER order_state_no_truncate BEFORE TRUNCATE ON billing.order_state FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER balance_state_append_only BEFORE UPDATE OR DELETE ON billing.balance_state FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER balance_state_no_truncate BEFORE TRUNCATE ON billing.balance_state FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER bucket_state_append_only BEFORE UPDATE OR DELETE ON billing.bucket_state FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER bucket_state_no_truncate BEFORE TRUNCATE ON billing.bucket_state FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER allowance_state_append_only BEFORE UPDATE OR DELETE ON billing.allowance_state FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER allowance_state_no_truncate BEFORE TRUNCATE ON billing.allowance_state FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER rated_spans_append_only BEFORE UPDATE OR DELETE ON billing.rated_spans FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER rated_spans_no_truncate BEFORE TRUNCATE ON billing.rated_spans FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER adjustment_rows_append_only BEFORE UPDATE OR DELETE ON billing.adjustment_rows FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER adjustment_rows_no_truncate BEFORE TRUNCATE ON billing.adjustment_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER adjustment_notes_append_only BEFORE UPDATE OR DELETE ON billing.adjustment_notes FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER adjustment_notes_no_truncate BEFORE TRUNCATE ON billing.adjustment_notes FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER record_ids_append_only BEFORE UPDATE OR DELETE ON billing.record_ids FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER record_ids_no_truncate BEFORE TRUNCATE ON billing.record_ids FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER period_closes_append_only BEFORE UPDATE OR DELETE ON billing.period_closes FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER period_closes_no_truncate BEFORE TRUNCATE ON billing.period_closes FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER invoice_finals_append_only BEFORE UPDATE OR DELETE ON billing.invoice_finals FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER invoice_finals_no_truncate BEFORE TRUNCATE ON billing.invoice_finals FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
