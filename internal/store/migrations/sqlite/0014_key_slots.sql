-- Each new signing key claims a slot: its algorithm and the key it
-- succeeds. Nodes that find they need a key at the same moment each make
-- one, but only the first to claim the slot is stored; the others read it
-- back, so every node signs with the same key and publishes the same JWKS.
ALTER TABLE signing_keys ADD COLUMN slot TEXT;
CREATE UNIQUE INDEX signing_keys_slot ON signing_keys (slot);
