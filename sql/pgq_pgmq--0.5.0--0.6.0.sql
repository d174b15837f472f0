/* sql/pgq_pgmq--0.5.0--0.6.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgq_pgmq UPDATE TO '0.6.0'" to load this file. \quit

-- the functions below need pgq 0.6.0's objects
DO $$
BEGIN
    IF (SELECT pg_catalog.string_to_array(e.extversion, '.')::pg_catalog.int4[]
          FROM pg_catalog.pg_extension e
         WHERE e.extname OPERATOR(pg_catalog.=) 'pgq')
       OPERATOR(pg_catalog.<) ARRAY[0, 6, 0] THEN
        RAISE EXCEPTION 'extension pgq must be updated before pgq_pgmq'
            USING ERRCODE = '55000',
                  HINT = 'Run ALTER EXTENSION pgq UPDATE first.';
    END IF;
END
$$;

--
-- NOTIFY on channel pgmq.q_<name>.INSERT when messages are committed
-- (pgq's enable_notify_insert and disable_notify_insert)
--
CREATE FUNCTION pgmq.enable_notify_insert(queue_name text, throttle_interval_ms integer DEFAULT 250)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_enable_notify_insert'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.disable_notify_insert(queue_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_disable_notify_insert'
LANGUAGE C VOLATILE;
