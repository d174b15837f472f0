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
-- Rebuild every queue as 0.4.0's create_queue makes it, rows, ids and
-- rights included (see pgq_adopt_queue in src/upgrade.c).  The old tables,
-- which their creators could have altered, are moved to a scratch schema
-- first and dropped with it at the end; a table whose columns were changed
-- stops the update with an error naming it.  Time: about that of copying
-- the rows.
--
CREATE SCHEMA pgq_update_0_4_0;

CREATE FUNCTION pgq.adopt_queue(queue_name text, scratch_schema text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_adopt_queue'
LANGUAGE C VOLATILE STRICT;

SELECT pgq.adopt_queue(m.queue_name, 'pgq_update_0_4_0')
  FROM pgq.meta m
 ORDER BY m.queue_name;

DROP FUNCTION pgq.adopt_queue(text, text);
DROP SCHEMA pgq_update_0_4_0 CASCADE;

--
-- Creators: the roles that could create tables in schema pgq may now
-- execute create_queue instead; nobody but the schema's owner keeps CREATE
-- on it, nor any right to write pgq.meta.
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
            REVOKE CREATE ON SCHEMA pgq FROM PUBLIC;
        ELSE
            EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION pgq.create_queue(text, boolean) TO %s',
                                      r.grantee::pg_catalog.regrole);
            EXECUTE pg_catalog.format('REVOKE CREATE ON SCHEMA pgq FROM %s',
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
            REVOKE ALL ON pgq.meta FROM PUBLIC;
            GRANT SELECT ON pgq.meta TO PUBLIC;
        ELSE
            EXECUTE pg_catalog.format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON pgq.meta FROM %s',
                                      r.grantee::pg_catalog.regrole);
        END IF;
    END LOOP;
END
$$;

--
-- Whatever else roles made in schema pgq while they could (functions,
-- operators, types, tables) stays, but pgq never uses it: every name in
-- pgq's scripts and statements is qualified.  Say what there is.
--
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT pg_catalog.pg_describe_object(o.classid, o.objid, 0) AS what,
               o.owner::pg_catalog.regrole AS who
          FROM (SELECT 'pg_catalog.pg_class'::pg_catalog.regclass AS classid, c.oid AS objid,
                       c.relowner AS owner, c.relnamespace AS nsp
                  FROM pg_catalog.pg_class c
                UNION ALL
                SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, p.proowner, p.pronamespace
                  FROM pg_catalog.pg_proc p
                UNION ALL
                SELECT 'pg_catalog.pg_operator'::pg_catalog.regclass, o.oid, o.oprowner, o.oprnamespace
                  FROM pg_catalog.pg_operator o
                UNION ALL
                SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid, t.typowner, t.typnamespace
                  FROM pg_catalog.pg_type t
                 WHERE t.typrelid OPERATOR(pg_catalog.=) 0
                   AND t.typcategory OPERATOR(pg_catalog.<>) 'A') o
          JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) o.nsp
         WHERE n.nspname OPERATOR(pg_catalog.=) 'pgq'
           AND o.owner OPERATOR(pg_catalog.<>) n.nspowner
         ORDER BY 1
    LOOP
        RAISE WARNING '% in schema pgq belongs to %, not to the owner of pgq', r.what, r.who
            USING HINT = 'pgq does not use it. Review it, and drop it if nobody needs it.';
    END LOOP;
END
$$;

--
-- A queue table dropped by hand takes its pgq.meta row with it.
--
CREATE FUNCTION pgq.forget_dropped_queues()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'pgq_forget_dropped_queues'
LANGUAGE C;

CREATE EVENT TRIGGER pgq_forget_dropped_queues ON sql_drop
    EXECUTE FUNCTION pgq.forget_dropped_queues();
