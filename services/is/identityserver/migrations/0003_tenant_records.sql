-- The full tenant record (tti.lorawan.v3.Tenant) beside the columns used for ordering.
ALTER TABLE tenants ADD COLUMN data bytea NOT NULL DEFAULT '';
