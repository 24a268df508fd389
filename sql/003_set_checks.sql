-- Referential checks per statement instead of per row.
--
-- A night writes millions of rows with COPY. A foreign key checks each row on
-- its own (one index probe through the executor per row and per key, queued
-- until commit for the deferred batch_id keys), which cost more than the
-- COPY itself. The same guarantees are kept here, checked once per statement
-- over its transition table:
--
-- * batch_id: every row of every table that names a batch claims it in
--   ledger.batch_claims, whose own deferred foreign key requires the batch
--   row to exist when the transaction commits (billrun inserts it last, once
--   the content hash is known). A transaction that writes rows for a batch it
--   never records cannot commit.
-- * ledger.transfers.entry_id must name an entry that exists, and its debit
--   and credit codes must be in the chart of accounts.

CREATE TABLE ledger.batch_claims (
    batch_id bigint PRIMARY KEY REFERENCES ledger.batches DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE ledger.batch_claims IS 'Batches named by rows written so far, one row per batch, filled by statement triggers on every table with a batch_id column. Its deferred foreign key makes a transaction that writes rows for a batch without recording that batch in ledger.batches fail at commit: the per-statement form of a foreign key from each batch_id column.';
COMMENT ON COLUMN ledger.batch_claims.batch_id IS 'A batch named by at least one row.';
CREATE TRIGGER batch_claims_append_only BEFORE UPDATE OR DELETE ON ledger.batch_claims
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER batch_claims_no_truncate BEFORE TRUNCATE ON ledger.batch_claims
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

CREATE FUNCTION ledger.claim_batches() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger.batch_claims (batch_id)
        SELECT DISTINCT batch_id FROM new_rows
        ON CONFLICT (batch_id) DO NOTHING;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION ledger.claim_batches() IS 'Trigger function: records the batches named by the rows of one INSERT or COPY in ledger.batch_claims (checked against ledger.batches at commit).';

-- Every foreign key to ledger.batches becomes a claim.
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT k.conname, n.nspname, t.relname
             FROM pg_constraint k
             JOIN pg_class t ON t.oid = k.conrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
             WHERE k.contype = 'f' AND k.confrelid = 'ledger.batches'::regclass
               AND t.relname <> 'batch_claims'
             ORDER BY n.nspname, t.relname LOOP
        EXECUTE format('ALTER TABLE %I.%I DROP CONSTRAINT %I', c.nspname, c.relname, c.conname);
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I.%I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION ledger.claim_batches()',
                       c.relname || '_claim_batches', c.nspname, c.relname);
    END LOOP;
END $$;

-- Transfers: their entry and their chart codes, per statement.
ALTER TABLE ledger.transfers DROP CONSTRAINT transfers_entry_id_fkey;
ALTER TABLE ledger.transfers DROP CONSTRAINT transfers_debit_code_fkey;
ALTER TABLE ledger.transfers DROP CONSTRAINT transfers_credit_code_fkey;

CREATE FUNCTION ledger.check_transfers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad bigint;
BEGIN
    SELECT t.transfer_id INTO bad FROM new_rows t
        WHERE NOT EXISTS (SELECT 1 FROM ledger.chart c WHERE c.code = t.debit_code)
           OR NOT EXISTS (SELECT 1 FROM ledger.chart c WHERE c.code = t.credit_code)
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'billrun: transfer % names an account that is not in the chart of accounts', bad
            USING ERRCODE = 'foreign_key_violation';
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
