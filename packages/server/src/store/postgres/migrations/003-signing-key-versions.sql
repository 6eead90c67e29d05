-- A rotation adds a version under the same key id: the id is unique per version, not alone.
ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_key_id_key;
ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_key_id_version_key UNIQUE (key_id, version);
