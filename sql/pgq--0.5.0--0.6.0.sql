/* sql/pgq--0.5.0--0.6.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgq UPDATE TO '0.6.0'" to load this file. \quit

--
-- 0.6.0: read_with_poll is woken by the transactions that commit messages
-- (with pgq in shared_preload_libraries); wait_stats says how it waits;
-- enable_notify_insert / disable_notify_insert, with the setting in
-- pgq.meta.  Queues and their messages stay as they are.
--

-- schema pgq must hold only its owner's objects before anything here runs
CREATE FUNCTION pgq.check_schema(old_queues boolean)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_check_schema_sql'
LANGUAGE C VOLATILE STRICT;

SELECT pgq.check_schema(false);
DROP FUNCTION pgq.check_schema(boolean);

ALTER TABLE pgq.meta ADD COLUMN notify_throttle_ms integer;

--
-- Waiting and notifications: how read_with_poll waits on this server (woken
-- by committing transactions when pgq is in shared_preload_libraries, else
-- polling), and NOTIFY on channel pgmq.q_<name>.INSERT when messages are
-- committed, for clients that LISTEN, which a queue's owner turns on.
--
CREATE FUNCTION pgq.wait_stats(OUT mode text, OUT max_waiters integer, OUT waiting integer,
                               OUT waits bigint, OUT wakeups bigint, OUT due_wakeups bigint,
                               OUT empty_wakeups bigint, OUT polls bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'pgq_wait_stats'
LANGUAGE C VOLATILE;
-- server-wide counts, as pg_stat_* views show to monitors
REVOKE EXECUTE ON FUNCTION pgq.wait_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgq.wait_stats() TO pg_monitor;

CREATE FUNCTION pgq.enable_notify_insert(queue_name text, throttle_interval_ms integer DEFAULT 250)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_enable_notify_insert'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.disable_notify_insert(queue_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_disable_notify_insert'
LANGUAGE C VOLATILE;
