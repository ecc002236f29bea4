-- Every change of a resource row that a node may hold in its read cache
-- (read_cache.go) is announced on a channel the nodes LISTEN on: an update or
-- a deletion of resources rows, a removal of compartment rows (which may take
-- a resource out of a patient's compartment), a TRUNCATE. Being triggers,
-- they announce every writer's changes: any node, emp import, an operator's
-- SQL. A new row needs no announcement: a read that found nothing is never
-- cached.
--
-- The channel is named after the schema the tables live in, so that
-- deployments (and tests) sharing one database in different schemas do not
-- hear each other. Channel names are at most 63 bytes. The functions keep
-- the search path they were created with, so that a session with another
-- one (an operator's) still finds them and the tables.
CREATE FUNCTION emp_resources_channel(schema text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN octet_length(schema) <= 59 THEN 'emp.' || schema ELSE 'emp.' || md5(schema) END
$$;

-- Announces the resources keys names ('Type/id'): one notification per
-- 64 keys, 'r:Type/id,Type/id,…' (a type and an id are at most 64
-- characters each, so 64 keys stay below the 8000-byte limit of a
-- payload); more than 4096 keys send one '*' instead, which empties every
-- node's cache. The triggers pass at most 4097 keys.
CREATE FUNCTION emp_notify_keys(schema text, keys text[]) RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF cardinality(keys) > 4096 THEN
        PERFORM pg_notify(emp_resources_channel(schema), '*');
    ELSE
        PERFORM pg_notify(emp_resources_channel(schema), 'r:' || string_agg(k, ','))
        FROM unnest(keys) WITH ORDINALITY AS u(k, n)
        GROUP BY n / 64;
    END IF;
END
$$;

-- The resources rows a statement updated or deleted.
CREATE FUNCTION emp_notify_resources() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM emp_notify_keys(TG_TABLE_SCHEMA, ARRAY(SELECT type || '/' || id FROM changed LIMIT 4097));
    RETURN NULL;
END
$$;

-- The resources whose compartment rows a statement deleted.
CREATE FUNCTION emp_notify_compartment() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM emp_notify_keys(TG_TABLE_SCHEMA, ARRAY(SELECT r.type || '/' || r.id FROM resources r
        WHERE r.rid IN (SELECT rid FROM changed) LIMIT 4097));
    RETURN NULL;
END
$$;

CREATE FUNCTION emp_notify_flush() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM pg_notify(emp_resources_channel(TG_TABLE_SCHEMA), '*');
    RETURN NULL;
END
$$;

CREATE TRIGGER resources_updated_notify AFTER UPDATE ON resources
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION emp_notify_resources();
CREATE TRIGGER resources_deleted_notify AFTER DELETE ON resources
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION emp_notify_resources();
CREATE TRIGGER compartment_deleted_notify AFTER DELETE ON compartment
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION emp_notify_compartment();
CREATE TRIGGER resources_truncated_notify AFTER TRUNCATE ON resources
    FOR EACH STATEMENT EXECUTE FUNCTION emp_notify_flush();
CREATE TRIGGER compartment_truncated_notify AFTER TRUNCATE ON compartment
    FOR EACH STATEMENT EXECUTE FUNCTION emp_notify_flush();
