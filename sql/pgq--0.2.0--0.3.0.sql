/* sql/pgq--0.2.0--0.3.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgq UPDATE TO '0.3.0'" to load this file. \quit

--
-- read and pop now hand out the message visible longest first, in the order
-- (vt, msg_id), which an index on those columns serves without visiting the
-- messages in flight.  create_queue makes q_<name>_vt_idx on (vt, msg_id);
-- queues made before have it on (vt) alone: build it again.  Dropping the
-- old index locks the queue's table (reads too) until the update commits.
-- A pgq.meta row whose table is gone is left alone.
--
DO $$
DECLARE
    q text;
BEGIN
    FOR q IN
        SELECT m.queue_name
          FROM pgq.meta m
         WHERE pg_catalog.to_regclass(pg_catalog.format('pgq.%I', pg_catalog.concat('q_', m.queue_name))) IS NOT NULL
           AND NOT EXISTS (
                   SELECT 1
                     FROM pg_catalog.pg_index i
                    WHERE i.indexrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(
                              pg_catalog.format('pgq.%I', pg_catalog.concat('q_', m.queue_name, '_vt_idx')))
                      AND i.indnatts OPERATOR(pg_catalog.=) 2)
         ORDER BY m.queue_name
    LOOP
        EXECUTE pg_catalog.format('DROP INDEX IF EXISTS pgq.%I', pg_catalog.concat('q_', q, '_vt_idx'));
        EXECUTE pg_catalog.format('CREATE INDEX %I ON pgq.%I (vt, msg_id)', pg_catalog.concat('q_', q, '_vt_idx'), pg_catalog.concat('q_', q));
    END LOOP;
END
$$;
