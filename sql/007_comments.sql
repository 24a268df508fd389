-- Two readings, in the comments an auditor reads.
--
-- Plan quantities beyond 922,337,203 plan units.
--
-- formats.md bounds numbers "after scaling": a plan's face in base units
-- (or e8 for CNY) must fit in 63 bits, and so must a price's free allowance
-- in base units. A pool of a billion requests does; the same quantity kept
-- at 10 decimals (quantity_e10) does not. Such an order is accepted, its
-- face computed exactly from the quantity as written, and quantity_e10 is
-- left NULL.

COMMENT ON COLUMN billing.orders.quantity_e10 IS 'Face as written, in 10^-10 plan units (NULL for topups and payments, and for a plan quantity too large to hold at 10 decimals in 63 bits: face is exact).';

-- And: a close no longer refuses when no run has reached the period end
-- (rules.md 6 gives it no such precondition); it records it here.
COMMENT ON COLUMN billing.period_closes.forced IS 'Closed before any run had reached the period end (usage of its last days arriving later goes to the next open period, flagged late).';
