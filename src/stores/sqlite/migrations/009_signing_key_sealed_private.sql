-- The private half of an asymmetric signing key, sealed (AES-256-GCM) under a key derived from the
-- service secret, so every instance sharing the database can sign and a database copy cannot.
-- NULL for HS256 kids and for keys made before this column (their private half is a file in
-- <dataDir>/keys/).
ALTER TABLE signing_keys ADD COLUMN private_key_sealed TEXT;
