-- The current version's row keeps no copy of the resource's bytes: they
-- are in resources.body, and the row gets them when a newer version
-- replaces them (see versionBody in the store). Drop the copies the older
-- rows hold.
UPDATE resource_versions SET body = ''::bytea
WHERE deleted = 0 AND length(body) > 0 AND (rid, version) IN (SELECT rid, version FROM resources);
