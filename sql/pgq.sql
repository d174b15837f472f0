/* sql/pgq.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pgq" to load this file. \quit

--
-- The queue tables belong to the owner of schema pgq, and whoever owns the
-- schema can drop anything in it: refuse a schema pgq that a role other
-- than the one creating the extension (or a superuser) made beforehand.
--
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1
          FROM pg_catalog.pg_namespace n
          JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
         WHERE n.nspname OPERATOR(pg_catalog.=) 'pgq'
           AND (r.rolsuper OR r.rolname OPERATOR(pg_catalog.=) CURRENT_USER))
    THEN
        RAISE EXCEPTION 'schema pgq is owned by a role that may not own pgq''s tables'
            USING ERRCODE = '42501',
                  HINT = 'Drop the schema, or make the role creating the extension its owner, then CREATE EXTENSION pgq again.';
    END IF;
END
$$;

--
-- Catalog: one row per queue and the role that owns it (may drop it and
-- grant access to it).  Each queue has two tables in schema pgq, q_<name>
-- (live messages) and a_<name> (archived messages), owned by the owner of
-- the schema; they are created and dropped by pgq.create_queue() and
-- pgq.drop_queue().
--
CREATE TABLE pgq.meta (
    queue_name     text        PRIMARY KEY,
    is_unlogged    boolean     NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    owner          regrole,
    is_partitioned boolean     NOT NULL DEFAULT false,
    notify_throttle_ms integer,  -- NULL: no notifications (enable_notify_insert)
    ring_slot      smallint,     -- q_<name>$<slot> is written to; NULL: no ring (partitioned)
    ring_live      smallint,     -- bit n: q_<name>$<n> may hold rows; bit 3: q_<name> itself
    archive_slot   smallint,     -- a_<name>$<slot> is archived to; NULL: no ring
    archive_rotated_at timestamptz,  -- when archive_slot last changed
    archive_retention  interval,     -- NULL: archived rows are kept for ever (set_retention)
    -- the delivery policy (set_policy); NULL and false: none
    max_deliveries     integer,      -- a message is handed out this many times at most
    dead_letter_queue  text,         -- where it goes then; NULL: the archive
    retry_backoff      text,         -- 'fixed' or 'exponential': a read hides it longer each time
    retry_delay        interval,
    retry_delay_max    interval,
    retry_jitter       boolean,
    priorities         boolean NOT NULL DEFAULT false,  -- send(..., priority) 0 to 9
    dedup_window       interval,     -- a send's dedup_key holds this long
    max_depth          bigint        -- sends beyond this many messages fail (53400)
);
COMMENT ON TABLE pgq.meta IS 'one row per pgq queue';

-- queue rows are user data: keep them in pg_dump output
SELECT pg_catalog.pg_extension_config_dump('pgq.meta', '');

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

--
-- Result types: pgmq's, column for column, with pgq's own columns after
-- them (last_read_at).
--
CREATE TYPE pgq.message_record AS (
    msg_id       bigint,
    read_ct      integer,
    enqueued_at  timestamptz,
    vt           timestamptz,
    message      jsonb,
    headers      jsonb,
    last_read_at timestamptz
);

CREATE TYPE pgq.queue_record AS (
    queue_name     varchar,
    is_partitioned boolean,
    is_unlogged    boolean,
    created_at     timestamptz
);

CREATE TYPE pgq.metrics_result AS (
    queue_name           text,
    queue_length         bigint,
    newest_msg_age_sec   integer,
    oldest_msg_age_sec   integer,
    total_messages       bigint,
    scrape_time          timestamptz,
    queue_visible_length bigint
);

--
-- Queue management
--
CREATE FUNCTION pgq.create_queue(queue_name text, unlogged boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_create_queue'
LANGUAGE C VOLATILE;

-- pgmq's names for create_queue; they check the right to execute it
CREATE FUNCTION pgq."create"(queue_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_create'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.create_non_partitioned(queue_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_create'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.create_unlogged(queue_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_create_unlogged'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.convert_archive_partitioned(table_name text,
                                                partition_interval text DEFAULT '10000',
                                                retention_interval text DEFAULT '100000',
                                                leading_partition integer DEFAULT 10)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_convert_archive_partitioned'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.create_partitioned(queue_name text,
                                       partition_interval text DEFAULT '10000',
                                       retention_interval text DEFAULT '100000')
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_create_partitioned'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.drop_queue(queue_name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgq_drop_queue'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.drop_queue(queue_name text, partitioned boolean)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgq_drop_queue'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.purge_queue(queue_name text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pgq_purge_queue'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.detach_archive(queue_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_detach_archive'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.list_queues()
RETURNS SETOF pgq.queue_record
AS 'MODULE_PATHNAME', 'pgq_list_queues'
LANGUAGE C STABLE;

CREATE FUNCTION pgq.metrics(queue_name text)
RETURNS pgq.metrics_result
AS 'MODULE_PATHNAME', 'pgq_metrics'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.metrics_all()
RETURNS SETOF pgq.metrics_result
AS 'MODULE_PATHNAME', 'pgq_metrics_all'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.validate_queue_name(queue_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_validate_queue_name'
LANGUAGE C IMMUTABLE;

CREATE FUNCTION pgq.format_table_name(queue_name text, prefix text)
RETURNS text
AS 'MODULE_PATHNAME', 'pgq_format_table_name'
LANGUAGE C IMMUTABLE;

--
-- Producing
--
CREATE FUNCTION pgq.send(queue_name text, msg jsonb)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_send'
LANGUAGE C VOLATILE ROWS 1;

CREATE FUNCTION pgq.send(queue_name text, msg jsonb, headers jsonb)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_send'
LANGUAGE C VOLATILE ROWS 1;

CREATE FUNCTION pgq.send(queue_name text, msg jsonb, delay integer)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_send_delay'
LANGUAGE C VOLATILE ROWS 1;

CREATE FUNCTION pgq.send(queue_name text, msg jsonb, delay timestamptz)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_send_at'
LANGUAGE C VOLATILE ROWS 1;

CREATE FUNCTION pgq.send(queue_name text, msg jsonb, headers jsonb, delay integer)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_send_delay'
LANGUAGE C VOLATILE ROWS 1;

CREATE FUNCTION pgq.send(queue_name text, msg jsonb, headers jsonb, delay timestamptz)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_send_at'
LANGUAGE C VOLATILE ROWS 1;

CREATE FUNCTION pgq.send_batch(queue_name text, msgs jsonb[])
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_send_batch'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.send_batch(queue_name text, msgs jsonb[], headers jsonb[])
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_send_batch'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.send_batch(queue_name text, msgs jsonb[], delay integer)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_send_batch_delay'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.send_batch(queue_name text, msgs jsonb[], delay timestamptz)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_send_batch_at'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay integer)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_send_batch_delay'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamptz)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_send_batch_at'
LANGUAGE C VOLATILE;

--
-- Consuming
--
CREATE FUNCTION pgq.read(queue_name text, vt integer, qty integer,
                         conditional jsonb DEFAULT '{}')
RETURNS SETOF pgq.message_record
AS 'MODULE_PATHNAME', 'pgq_read'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.read_with_poll(queue_name text, vt integer, qty integer,
                                   max_poll_seconds integer DEFAULT 5,
                                   poll_interval_ms integer DEFAULT 100,
                                   conditional jsonb DEFAULT '{}')
RETURNS SETOF pgq.message_record
AS 'MODULE_PATHNAME', 'pgq_read_with_poll'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.pop(queue_name text, qty integer DEFAULT 1)
RETURNS SETOF pgq.message_record
AS 'MODULE_PATHNAME', 'pgq_pop'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.set_vt(queue_name text, msg_id bigint, vt integer)
RETURNS SETOF pgq.message_record
AS 'MODULE_PATHNAME', 'pgq_set_vt'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.archive(queue_name text, msg_id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgq_archive'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.archive(queue_name text, msg_ids bigint[])
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_archive_batch'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.delete(queue_name text, msg_id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgq_delete'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgq.delete(queue_name text, msg_ids bigint[])
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_delete_batch'
LANGUAGE C VOLATILE;

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

--
-- Access
--
-- Everyone may see which queues exist (their tables are listed in pg_class
-- anyway).  Creating queues is the right to execute create_queue, which the
-- extension's owner grants.  What a role may do with a queue is decided by
-- its privileges on the queue's table, which the queue's owner grants and
-- revokes with these functions, and which pgq's functions check.
--
GRANT USAGE ON SCHEMA pgq TO PUBLIC;
GRANT SELECT ON pgq.meta TO PUBLIC;
REVOKE EXECUTE ON FUNCTION pgq.create_queue(text, boolean) FROM PUBLIC;

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

--
-- A queue table dropped by hand takes its pgq.meta row with it.
--
CREATE FUNCTION pgq.forget_dropped_queues()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'pgq_forget_dropped_queues'
LANGUAGE C;

CREATE EVENT TRIGGER pgq_forget_dropped_queues ON sql_drop
    EXECUTE FUNCTION pgq.forget_dropped_queues();

--
-- Nothing in schema pgq belongs to anyone but its owner, nobody else may
-- create in it or write pgq.meta (a schema pgq made before CREATE EXTENSION
-- may hold such things): checked once here, and by pgq's functions again
-- whenever the schema or pgq.meta changes.
--
CREATE FUNCTION pgq.check_schema(old_queues boolean)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_check_schema_sql'
LANGUAGE C VOLATILE STRICT;

SELECT pgq.check_schema(false);
DROP FUNCTION pgq.check_schema(boolean);
