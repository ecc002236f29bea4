-- Every change of a resource row that a node may hold in its read cache
-- (read_cache.go) is recorded in resource_changes, which every node reads
-- ten times a second (read_cache_poll.go): an update or a deletion of
-- resources rows, a removal of compartment rows (which may take a resource
-- out of a patient's compartment), a TRUNCATE. Being triggers, they record
-- every writer's changes: any node, emp import, an operator's SQL. A new
-- row needs no record: a read that found nothing is never cached.
--
-- A row, not a notification: a transaction that NOTIFYs takes one lock for
-- the whole cluster while it commits, so every update would wait for every
-- other's commit and its WAL flush. A row is written like any other and
-- costs the writer no lock.
--
-- xid is the writing transaction, by which the nodes read the rows in a
-- way that misses none committed out of order (read_cache_poll.go); keys
-- are the resources changed, 'Type/id', or NULL for every resource (a
-- TRUNCATE, or a statement changing more than 4096 rows).
CREATE TABLE resource_changes (
    seq  bigserial PRIMARY KEY,
    xid  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    keys text[]
);
CREATE INDEX resource_changes_xid ON resource_changes (xid);

-- The functions keep the search path they were created with, so that a
-- session with another one (an operator's) still finds the tables.
CREATE FUNCTION emp_record_changes(keys text[]) RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF cardinality(keys) > 0 THEN
        INSERT INTO resource_changes (keys) VALUES (CASE WHEN cardinality(keys) > 4096 THEN NULL ELSE keys END);
    END IF;
END
$$;

-- The resources rows a statement updated or deleted.
CREATE FUNCTION emp_resources_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM emp_record_changes(ARRAY(SELECT type || '/' || id FROM changed LIMIT 4097));
    RETURN NULL;
END
$$;

-- The resources whose compartment rows a statement deleted.
CREATE FUNCTION emp_compartment_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM emp_record_changes(ARRAY(SELECT r.type || '/' || r.id FROM resources r
        WHERE r.rid IN (SELECT rid FROM changed) LIMIT 4097));
    RETURN NULL;
END
$$;

CREATE FUNCTION emp_everything_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO resource_changes (keys) VALUES (NULL);
    RETURN NULL;
END
$$;

CREATE TRIGGER resources_updated_recorded AFTER UPDATE ON resources
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION emp_resources_changed();
CREATE TRIGGER resources_deleted_recorded AFTER DELETE ON resources
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION emp_resources_changed();
CREATE TRIGGER compartment_deleted_recorded AFTER DELETE ON compartment
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION emp_compartment_changed();
CREATE TRIGGER resources_truncated_recorded AFTER TRUNCATE ON resources
    FOR EACH STATEMENT EXECUTE FUNCTION emp_everything_changed();
CREATE TRIGGER compartment_truncated_recorded AFTER TRUNCATE ON compartment
    FOR EACH STATEMENT EXECUTE FUNCTION emp_everything_changed();
