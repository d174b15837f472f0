/* sql/pgq--0.3.0--0.4.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgq UPDATE TO '0.4.0'" to load this file. \quit

--
-- 0.4.0 changes who owns what.  The queue tables belong to the owner of
-- schema pgq (the extension's owner), no longer to the roles that created
-- them; pgq.meta records each queue's owner; a queue's rights are
-- privileges on its table that pgq checks, and the tables have row-level
-- security so that nobody writes them around pgq; creating queues is the
-- right to execute pgq.create_queue, no longer CREATE on schema pgq.
--

-- The schema first: whoever owns it can drop anything in it.
DO $$
DECLARE
    ext_owner pg_catalog.regrole;
BEGIN
    SELECT e.extowner INTO ext_owner
      FROM pg_catalog.pg_extension e
     WHERE e.extname OPERATOR(pg_catalog.=) 'pgq';
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n
                    WHERE n.nspname OPERATOR(pg_catalog.=) 'pgq'
                      AND n.nspowner OPERATOR(pg_catalog.=) ext_owner::pg_catalog.oid) THEN
        RAISE WARNING 'schema pgq now belongs to %, the owner of extension pgq', ext_owner;
        EXECUTE pg_catalog.format('ALTER SCHEMA pgq OWNER TO %s', ext_owner);
    END IF;
END
$$;

ALTER TABLE pgq.meta ADD COLUMN owner regrole;

--
-- Creators, first of all: the roles that could create tables in schema
-- pgq may now execute create_queue instead; nobody but the schema's owner
-- keeps CREATE on it, nor any right to write pgq.meta (column rights
-- included), nor what others were granted through them (CASCADE).
--
REVOKE EXECUTE ON FUNCTION pgq.create_queue(text, boolean) FROM PUBLIC;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT a.grantee, a.privilege_type
          FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
         WHERE n.nspname OPERATOR(pg_catalog.=) 'pgq'
           AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
           AND a.grantee OPERATOR(pg_catalog.<>) n.nspowner
    LOOP
        IF r.grantee OPERATOR(pg_catalog.=) 0 THEN
            GRANT EXECUTE ON FUNCTION pgq.create_queue(text, boolean) TO PUBLIC;
            REVOKE CREATE ON SCHEMA pgq FROM PUBLIC CASCADE;
        ELSE
            EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION pgq.create_queue(text, boolean) TO %s',
                                      r.grantee::pg_catalog.regrole);
            EXECUTE pg_catalog.format('REVOKE CREATE ON SCHEMA pgq FROM %s CASCADE',
                                      r.grantee::pg_catalog.regrole);
        END IF;
    END LOOP;

    FOR r IN
        SELECT DISTINCT a.grantee
          FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
         WHERE c.oid OPERATOR(pg_catalog.=) 'pgq.meta'::pg_catalog.regclass
           AND a.privilege_type OPERATOR(pg_catalog.<>) 'SELECT'
           AND a.grantee OPERATOR(pg_catalog.<>) c.relowner
    LOOP
        IF r.grantee OPERATOR(pg_catalog.=) 0 THEN
            REVOKE ALL ON pgq.meta FROM PUBLIC CASCADE;
            GRANT SELECT ON pgq.meta TO PUBLIC;
        ELSE
            EXECUTE pg_catalog.format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON pgq.meta FROM %s CASCADE',
                                      r.grantee::pg_catalog.regrole);
        END IF;
    END LOOP;

    FOR r IN
        SELECT t.attname, a.grantee
          FROM pg_catalog.pg_attribute t, pg_catalog.aclexplode(t.attacl) a
         WHERE t.attrelid OPERATOR(pg_catalog.=) 'pgq.meta'::pg_catalog.regclass
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL (%I) ON pgq.meta FROM %s CASCADE', r.attname,
                                  CASE WHEN r.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                                       ELSE r.grantee::pg_catalog.regrole::pg_catalog.text END);
    END LOOP;
END
$$;

--
-- Before anything runs on the queues: nothing in schema pgq may belong to
-- anyone but its owner, apart from the queue tables made before 0.4.0 and
-- their indexes and sequences, nor may pgq.meta carry triggers, rules or
-- policies.  Functions, operators or types another role made here while
-- it could would otherwise answer pgq's own calls (an unknown literal can
-- prefer an overload planted beside pgq's).  The update stops, listing
-- them: drop or move them, then run the update again.
--
CREATE FUNCTION pgq.check_schema(old_queues boolean)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_check_schema_sql'
LANGUAGE C VOLATILE STRICT;

SELECT pgq.check_schema(true);

--
-- Rebuild every queue as 0.4.0's create_queue makes it, rows, ids and
-- rights included (see pgq_adopt_queue in src/upgrade.c).  The old tables,
-- which their creators could have altered, are moved to a scratch schema
-- of a name nobody can have taken first, read as their creator, and
-- dropped; an object of another role built on one of them (a view, a
-- child table) stops the update, listed.  A table whose columns were
-- changed stops it too.  Time: about that of copying the rows.
--
CREATE FUNCTION pgq.adopt_queue(queue_name text, scratch_schema text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_adopt_queue'
LANGUAGE C VOLATILE STRICT;

DO $$
DECLARE
    scratch text := pg_catalog.concat('pgq_update_',
                        pg_catalog.md5(pg_catalog.concat(pg_catalog.clock_timestamp(),
                                                         pg_catalog.random())));
    q text;
BEGIN
    EXECUTE pg_catalog.format('CREATE SCHEMA %I', scratch);
    FOR q IN SELECT m.queue_name FROM pgq.meta m ORDER BY m.queue_name
    LOOP
        PERFORM pgq.adopt_queue(q, scratch);
    END LOOP;
    EXECUTE pg_catalog.format('DROP SCHEMA %I', scratch);
END
$$;

DROP FUNCTION pgq.adopt_queue(text, text);

-- and now nothing at all may be left that pgq cannot trust
SELECT pgq.check_schema(false);
DROP FUNCTION pgq.check_schema(boolean);

--
-- A queue table dropped by hand takes its pgq.meta row with it.
--
CREATE FUNCTION pgq.forget_dropped_queues()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'pgq_forget_dropped_queues'
LANGUAGE C;

CREATE EVENT TRIGGER pgq_forget_dropped_queues ON sql_drop
    EXECUTE FUNCTION pgq.forget_dropped_queues();
