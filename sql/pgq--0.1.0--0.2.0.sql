/* sql/pgq--0.1.0--0.2.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgq UPDATE TO '0.2.0'" to load this file. \quit

--
-- The default of vt in every q_<name> and of archived_at in every a_<name>:
-- the clock time, as clock_timestamp().  Being an extension function, it
-- ties each queue table to the extension (so DROP EXTENSION pgq refuses
-- while queues exist), and the tie is dumped and restored with the default.
--
CREATE FUNCTION pgq.queue_clock()
RETURNS timestamptz
AS 'clock_timestamp'
LANGUAGE internal VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pgq.queue_clock() IS 'clock_timestamp(), the default of vt and archived_at in queue tables';

-- existing queues take it as their default too
DO $$
DECLARE
    q text;
BEGIN
    -- (a pgq.meta row whose table was dropped by hand is left alone)
    FOR q IN SELECT m.queue_name FROM pgq.meta m
              WHERE pg_catalog.to_regclass(pg_catalog.format('pgq.%I', pg_catalog.concat('q_', m.queue_name))) IS NOT NULL
                AND pg_catalog.to_regclass(pg_catalog.format('pgq.%I', pg_catalog.concat('a_', m.queue_name))) IS NOT NULL
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE pgq.%I ALTER COLUMN vt SET DEFAULT pgq.queue_clock()', pg_catalog.concat('q_', q));
        EXECUTE pg_catalog.format('ALTER TABLE pgq.%I ALTER COLUMN archived_at SET DEFAULT pgq.queue_clock()', pg_catalog.concat('a_', q));
    END LOOP;
END
$$;

--
-- Queues made unlogged before 0.2.0 have an unlogged msg_id sequence, which
-- a crash resets to 1 while the archive keeps the old ids.  Make those
-- sequences logged, as create_queue now does.
--
DO $$
DECLARE
    seq text;
BEGIN
    FOR seq IN
        SELECT pg_catalog.pg_get_serial_sequence(pg_catalog.format('pgq.%I', pg_catalog.concat('q_', m.queue_name)), 'msg_id')
          FROM pgq.meta m
         WHERE m.is_unlogged
           AND pg_catalog.to_regclass(pg_catalog.format('pgq.%I', pg_catalog.concat('q_', m.queue_name))) IS NOT NULL
    LOOP
        IF seq IS NOT NULL THEN
            EXECUTE pg_catalog.format('ALTER SEQUENCE %s SET LOGGED', seq);
        END IF;
    END LOOP;
END
$$;

--
-- Access
--
-- Everyone may see which queues exist (their tables are listed in pg_class
-- anyway); what a role may do with a queue is decided by the privileges on
-- the queue's tables, which these functions grant and revoke.
--
GRANT USAGE ON SCHEMA pgq TO PUBLIC;
GRANT SELECT ON pgq.meta TO PUBLIC;

CREATE FUNCTION pgq.grant_producer(queue_name text, role_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_grant_producer'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.grant_consumer(queue_name text, role_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_grant_consumer'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.grant_admin(queue_name text, role_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_grant_admin'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.revoke_queue(queue_name text, role_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_revoke_queue'
LANGUAGE C VOLATILE;
