-- What a batch's content hash covers, in the comments an auditor reads.
--
-- 001's comments named its entries, transfers and source files only; the
-- hash also covers the batch's rated usage lines and final invoices. The
-- definition does not change here (every stored hash stays valid); its
-- description is made whole, exact enough to recompute it by hand.

COMMENT ON TABLE ledger.batches IS 'One row per committed run, close or reprocessing: a link of the hash chain. content_hash covers what the batch wrote; hash = SHA-256 of ''billrun-chain-v1'', the previous batch''s hash and content_hash. billrun verify recomputes both from the stored rows.';

COMMENT ON COLUMN ledger.batches.content_hash IS 'SHA-256 of the line ''billrun-batch-v1'', the line ''<batch_id> <kind> <as_of epoch> <period or ->'', then five sections, each a line ''#<n>'' followed by rows as COPY TO text returns them: #0 its entries (entry_id, period, effective_at as epoch seconds, account_id, kind, item, order_id, late, description; by entry_id), #1 their transfers (all columns, by transfer_id), #2 its files (file_id, name, sha256 in hex, size_bytes, kind, status, reason, rows, accepted, rejected; by file_id), #3 its usage lines (account_id, period, own_period, day, item, late, pieces, quantity, gross_e8, free_e8, plan_e8, coupon_e8, balance_e8, outstanding_e8; by account_id, day, item, period), #4 its final invoices (invoice_no, period, account_id, outstanding_e8, round_down_e8, amount_due_e8; by invoice_no). Dates in ISO style.';
