-- Number and quantity searches compare decimals exactly (0.9 is
-- [0.85, 0.95), 0.95 excluded), which float columns cannot: dkey holds each
-- value as an order-preserving key (search.DecimalKey), compared bytewise.
-- value stays for sorting. Opening the store fills dkey for the rows
-- written before (see backfillIndexes): the walks re-extract the number and
-- quantity rows, and the composite walk the composites'.
ALTER TABLE idx_number ADD COLUMN dkey TEXT NOT NULL DEFAULT '';
ALTER TABLE idx_quantity ADD COLUMN dkey TEXT NOT NULL DEFAULT '';
ALTER TABLE idx_composite ADD COLUMN dkey TEXT NOT NULL DEFAULT '';
CREATE INDEX idx_number_dkey ON idx_number (pid, dkey);
CREATE INDEX idx_quantity_dkey ON idx_quantity (pid, dkey);
INSERT INTO index_backfill (name, after_rid) VALUES ('decimal:idx_number', 0) ON CONFLICT DO NOTHING;
INSERT INTO index_backfill (name, after_rid) VALUES ('decimal:idx_quantity', 0) ON CONFLICT DO NOTHING;
INSERT INTO index_backfill (name, after_rid) VALUES ('idx_composite', 0) ON CONFLICT DO NOTHING;
