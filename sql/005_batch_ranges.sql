-- Reading one batch back without reading the history.
--
-- Each run reads its own rows back to hash them (and billrun verify reads
-- every batch's): usage_lines had no index on batch_id, so that read was a
-- scan of every usage line ever posted, each night. Rows are appended in
-- batch order and never updated, which is what a BRIN index suits: a few
-- pages per gigabyte, next to nothing to maintain, and a batch's rows found
-- in a handful of block ranges. entries(batch_id) becomes one too (its
-- B-tree cost an index entry per row for the same lookups).

CREATE INDEX usage_lines_batch ON billing.usage_lines USING brin (batch_id);
DROP INDEX ledger.entries_batch;
CREATE INDEX entries_batch ON ledger.entries USING brin (batch_id);
