-- Reading one batch back without reading the history.
--
-- Each run reads its own rows back to hash them (and billrun verify reads
-- every batch's): usage_lines had no index on batch_id, so that read was a
-- scan of every usage line ever posted, each night. Rows are appended in
-- batch order and never updated, which is what a BRIN index suits: a few
-- pages per gigabyte, next to nothing to maintain, and a batch's rows found
-- in a handful of block ranges. The entries of a batch are found by
-- (batch_id, entry_id), which also gives the batch's entry id range at once
-- (with batch_id alone PostgreSQL looked for min(entry_id) by walking the
-- primary key through every other batch).

CREATE INDEX usage_lines_batch ON billing.usage_lines USING brin (batch_id);
DROP INDEX ledger.entries_batch;
CREATE INDEX entries_batch ON ledger.entries (batch_id, entry_id);
