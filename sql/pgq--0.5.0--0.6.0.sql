/* sql/pgq--0.5.0--0.6.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgq UPDATE TO '0.6.0'" to load this file. \quit

--
-- 0.6.0: read_with_poll is woken by the transactions that commit messages
-- (with pgq in shared_preload_libraries); wait_stats says how it waits;
-- enable_notify_insert / disable_notify_insert, with the setting in
-- pgq.meta; rotation of each queue's rows through a ring of child tables
-- and a retention for archives (maintain, maintain_queue, set_retention).
--

-- schema pgq must hold only its owner's objects before anything here runs
CREATE FUNCTION pgq.check_schema(old_queues boolean)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_check_schema_sql'
LANGUAGE C VOLATILE STRICT;

SELECT pgq.check_schema(false);
DROP FUNCTION pgq.check_schema(boolean);

ALTER TABLE pgq.meta ADD COLUMN notify_throttle_ms integer,
    ADD COLUMN ring_slot smallint,
    ADD COLUMN ring_live smallint,
    ADD COLUMN archive_slot smallint,
    ADD COLUMN archive_rotated_at timestamptz,
    ADD COLUMN archive_retention interval,
    ADD COLUMN max_deliveries integer,
    ADD COLUMN dead_letter_queue text,
    ADD COLUMN retry_backoff text,
    ADD COLUMN retry_delay interval,
    ADD COLUMN retry_delay_max interval,
    ADD COLUMN retry_jitter boolean,
    ADD COLUMN priorities boolean NOT NULL DEFAULT false,
    ADD COLUMN dedup_window interval,
    ADD COLUMN max_depth bigint;

-- each message's priority (send(..., priority)), 0 for those there are (queues
-- made by adopt_queue, in the update to 0.4.0, have it already)
DO $$
DECLARE
    q text;
BEGIN
    FOR q IN SELECT m.queue_name FROM pgq.meta m
              WHERE pg_catalog.to_regclass(pg_catalog.format('pgq.%I', 'q_' OPERATOR(pg_catalog.||) m.queue_name)) IS NOT NULL
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE pgq.%I ADD COLUMN IF NOT EXISTS priority pg_catalog.int2 NOT NULL DEFAULT 0',
                                  'q_' OPERATOR(pg_catalog.||) q);
    END LOOP;
END
$$;

--
-- Every queue but the partitioned ones gets its ring of child tables.  The
-- rows stay in q_<name> and a_<name>, where reads find them, until
-- maintenance (pgq.maintain) moves them into the ring.
--
CREATE FUNCTION pgq.make_ring(queue_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_make_ring'
LANGUAGE C VOLATILE STRICT;

SELECT pgq.make_ring(m.queue_name) FROM pgq.meta m WHERE NOT m.is_partitioned;
DROP FUNCTION pgq.make_ring(text);

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

--
-- Rotation and retention: each queue table's rows live in a ring of child
-- tables; maintenance moves writes to the next child and truncates the
-- ones no message is left in (and archives older than the retention).
-- It takes ACCESS EXCLUSIVE locks on queue tables, for lock_timeout_ms at
-- most each: only the extension's owner and superusers may run it, and
-- whom they grant it to.
--
CREATE FUNCTION pgq.maintain_queue(queue_name text, lock_timeout_ms integer DEFAULT 100,
                                   OUT rotated boolean, OUT moved bigint,
                                   OUT truncated integer, OUT archive_rotated boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'pgq_maintain_queue'
LANGUAGE C VOLATILE;
REVOKE EXECUTE ON FUNCTION pgq.maintain_queue(text, integer) FROM PUBLIC;

-- every queue, each in a transaction of its own (so CALL it outside a transaction block)
CREATE PROCEDURE pgq.maintain(lock_timeout_ms integer DEFAULT 100)
LANGUAGE plpgsql
AS $$
DECLARE
    q text;
BEGIN
    FOR q IN SELECT m.queue_name FROM pgq.meta m
              WHERE m.ring_slot IS NOT NULL ORDER BY m.queue_name
    LOOP
        BEGIN
            PERFORM pgq.maintain_queue(q, lock_timeout_ms);
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'pgq: maintenance of queue "%" failed: %', q, SQLERRM;
        END;
        COMMIT;
    END LOOP;
END
$$;
REVOKE EXECUTE ON PROCEDURE pgq.maintain(integer) FROM PUBLIC;

CREATE FUNCTION pgq.set_retention(queue_name text, retention interval)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_set_retention'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.enable_notify_insert(queue_name text, throttle_interval_ms integer DEFAULT 250)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_enable_notify_insert'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.disable_notify_insert(queue_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_disable_notify_insert'
LANGUAGE C VOLATILE;

--
-- Delivery policies: a queue hands a message out max_deliveries times at
-- most, then moves it to its dead-letter queue (or its archive); a read
-- hides a message longer each time it is handed out again (retry_backoff);
-- priorities; deduplication keys; a maximum depth.  See set_policy.
--
CREATE FUNCTION pgq.create_queue(queue_name text, unlogged boolean, policy jsonb)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_create_queue_policy'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.set_policy(queue_name text, policy jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'pgq_set_policy'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.policy(queue_name text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'pgq_policy'
LANGUAGE C STABLE;

CREATE FUNCTION pgq.send(queue_name text, msg jsonb, headers jsonb, delay integer,
                         priority integer, dedup_key text DEFAULT NULL)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_send_ext'
LANGUAGE C VOLATILE ROWS 1;

CREATE FUNCTION pgq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay integer,
                               priority integer)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_send_batch_ext'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.nack(queue_name text, msg_id bigint, delay integer DEFAULT NULL)
RETURNS SETOF pgq.message_record
AS 'MODULE_PATHNAME', 'pgq_nack'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.redrive(queue_name text, msg_ids bigint[] DEFAULT NULL,
                            max_messages integer DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pgq_redrive'
LANGUAGE C VOLATILE;

-- counts since the server started (pgq in shared_preload_libraries; else NULL)
CREATE FUNCTION pgq.stats(queue_name text,
                          OUT dead_lettered bigint, OUT redelivered bigint,
                          OUT rolled_back_deliveries bigint, OUT nacked bigint,
                          OUT deduplicated bigint, OUT refused_full bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'pgq_stats'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.priority_stats(queue_name text,
                                   OUT priority integer, OUT oldest_visible_age_sec integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pgq_priority_stats'
LANGUAGE C VOLATILE;

-- every queue, for exporters: its depth against its limit, and the counts
CREATE VIEW pgq.queue_stats WITH (security_invoker) AS
SELECT mt.queue_name, mt.queue_length, m.max_depth, mt.queue_visible_length,
       mt.oldest_msg_age_sec, s.dead_lettered, s.redelivered, s.rolled_back_deliveries,
       s.nacked, s.deduplicated, s.refused_full, mt.scrape_time
  FROM pgq.metrics_all() mt
  JOIN pgq.meta m ON m.queue_name OPERATOR(pg_catalog.=) mt.queue_name
  LEFT JOIN LATERAL pgq.stats(mt.queue_name) s ON true;
REVOKE ALL ON pgq.queue_stats FROM PUBLIC;
GRANT SELECT ON pgq.queue_stats TO pg_monitor;
