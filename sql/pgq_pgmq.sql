/* sql/pgq_pgmq.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pgq_pgmq" to load this file. \quit

--
-- Schema pgmq with pgmq 1.5's functions and types, so that pgmq's clients
-- work unchanged.  Every function is pgq's C code: the queues are pgq's
-- (their tables are pgq.q_<name> and pgq.a_<name>), shared with schema pgq,
-- under pgq's rights.  The functions here follow pgmq's rules where pgq's
-- own are stricter: a NULL message is stored, a negative delay or
-- visibility timeout means "now", a read of 0 messages returns none.
--
DO $$
BEGIN
    IF (SELECT pg_catalog.string_to_array(e.extversion, '.')::pg_catalog.int4[]
          FROM pg_catalog.pg_extension e
         WHERE e.extname OPERATOR(pg_catalog.=) 'pgq')
       OPERATOR(pg_catalog.<) ARRAY[0, 6, 0] THEN
        RAISE EXCEPTION 'extension pgq must be updated before pgq_pgmq is created'
            USING ERRCODE = '55000',
                  HINT = 'Run ALTER EXTENSION pgq UPDATE.';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension e
                WHERE e.extname OPERATOR(pg_catalog.=) 'pgmq') THEN
        RAISE EXCEPTION 'extension pgmq is installed'
            USING ERRCODE = '42710',
                  DETAIL = 'pgq_pgmq provides schema pgmq in its place.',
                  HINT = 'Move pgmq''s queues to pgq and drop extension pgmq first, or keep using pgmq.';
    END IF;
    -- whoever owns schema pgmq could replace the functions below
    IF NOT EXISTS (
        SELECT 1
          FROM pg_catalog.pg_namespace n
          JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
         WHERE n.nspname OPERATOR(pg_catalog.=) 'pgmq'
           AND (r.rolsuper OR r.rolname OPERATOR(pg_catalog.=) CURRENT_USER))
    THEN
        RAISE EXCEPTION 'schema pgmq is owned by a role that may not own pgq_pgmq''s functions'
            USING ERRCODE = '42501',
                  HINT = 'Drop the schema, or make the role creating the extension its owner, then CREATE EXTENSION pgq_pgmq again.';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                WHERE c.relnamespace OPERATOR(pg_catalog.=) 'pgmq'::pg_catalog.regnamespace
               UNION ALL
               SELECT 1 FROM pg_catalog.pg_proc p
                WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pgmq'::pg_catalog.regnamespace
               UNION ALL
               SELECT 1 FROM pg_catalog.pg_type t
                WHERE t.typnamespace OPERATOR(pg_catalog.=) 'pgmq'::pg_catalog.regnamespace) THEN
        RAISE EXCEPTION 'schema pgmq is not empty'
            USING ERRCODE = '55000',
                  DETAIL = 'It holds objects that are not pgq_pgmq''s, perhaps pgmq''s installed without CREATE EXTENSION.',
                  HINT = 'Move pgmq''s queues to pgq and drop what schema pgmq holds first.';
    END IF;
END
$$;

CREATE TYPE pgmq.message_record AS (
    msg_id      bigint,
    read_ct     integer,
    enqueued_at timestamptz,
    vt          timestamptz,
    message     jsonb,
    headers     jsonb
);

CREATE TYPE pgmq.queue_record AS (
    queue_name     varchar,
    is_partitioned boolean,
    is_unlogged    boolean,
    created_at     timestamptz
);

CREATE TYPE pgmq.metrics_result AS (
    queue_name           text,
    queue_length         bigint,
    newest_msg_age_sec   integer,
    oldest_msg_age_sec   integer,
    total_messages       bigint,
    scrape_time          timestamptz,
    queue_visible_length bigint
);

-- queues
CREATE FUNCTION pgmq."create"(queue_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_create'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.create_non_partitioned(queue_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_create'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.create_unlogged(queue_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_create_unlogged'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.convert_archive_partitioned(table_name text,
                                                partition_interval text DEFAULT '10000',
                                                retention_interval text DEFAULT '100000',
                                                leading_partition integer DEFAULT 10)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_convert_archive_partitioned'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.create_partitioned(queue_name text,
                                       partition_interval text DEFAULT '10000',
                                       retention_interval text DEFAULT '100000')
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_create_partitioned'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.drop_queue(queue_name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgmq_drop_queue'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.drop_queue(queue_name text, partitioned boolean)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgmq_drop_queue'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.purge_queue(queue_name text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pgq_purge_queue'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.detach_archive(queue_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_detach_archive'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.list_queues()
RETURNS SETOF pgmq.queue_record
AS 'MODULE_PATHNAME', 'pgq_list_queues'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.metrics(queue_name text)
RETURNS pgmq.metrics_result
AS 'MODULE_PATHNAME', 'pgq_metrics'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.metrics_all()
RETURNS SETOF pgmq.metrics_result
AS 'MODULE_PATHNAME', 'pgq_metrics_all'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.validate_queue_name(queue_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_validate_queue_name'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.format_table_name(queue_name text, prefix text)
RETURNS text
AS 'MODULE_PATHNAME', 'pgq_format_table_name'
LANGUAGE C VOLATILE;

-- producing
CREATE FUNCTION pgmq.send(queue_name text, msg jsonb)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgmq_send'
LANGUAGE C VOLATILE ROWS 1;

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgmq_send'
LANGUAGE C VOLATILE ROWS 1;

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, delay integer)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgmq_send_delay'
LANGUAGE C VOLATILE ROWS 1;

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, delay timestamptz)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgmq_send_at'
LANGUAGE C VOLATILE ROWS 1;

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb, delay integer)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgmq_send_delay'
LANGUAGE C VOLATILE ROWS 1;

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb, delay timestamptz)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgmq_send_at'
LANGUAGE C VOLATILE ROWS 1;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[])
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgmq_send_batch'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[])
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgmq_send_batch'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay integer)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgmq_send_batch_delay'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay timestamptz)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgmq_send_batch_at'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay integer)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgmq_send_batch_delay'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamptz)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgmq_send_batch_at'
LANGUAGE C VOLATILE;

-- consuming
CREATE FUNCTION pgmq.read(queue_name text, vt integer, qty integer, conditional jsonb DEFAULT '{}')
RETURNS SETOF pgmq.message_record
AS 'MODULE_PATHNAME', 'pgmq_read'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.read_with_poll(queue_name text, vt integer, qty integer, max_poll_seconds integer DEFAULT 5,
                                    poll_interval_ms integer DEFAULT 100, conditional jsonb DEFAULT '{}')
RETURNS SETOF pgmq.message_record
AS 'MODULE_PATHNAME', 'pgmq_read_with_poll'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.pop(queue_name text)
RETURNS SETOF pgmq.message_record
AS 'MODULE_PATHNAME', 'pgmq_pop'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.set_vt(queue_name text, msg_id bigint, vt integer)
RETURNS SETOF pgmq.message_record
AS 'MODULE_PATHNAME', 'pgmq_set_vt'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.archive(queue_name text, msg_id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgq_archive'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.archive(queue_name text, msg_ids bigint[])
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_archive_batch'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.delete(queue_name text, msg_id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgq_delete'
LANGUAGE C VOLATILE;

CREATE FUNCTION pgmq.delete(queue_name text, msg_ids bigint[])
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgq_delete_batch'
LANGUAGE C VOLATILE;

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

-- what a role may do with a queue is pgq's business (see pgq's grant functions)
GRANT USAGE ON SCHEMA pgmq TO PUBLIC;

--
-- Nothing in schema pgmq belongs to anyone but its owner, and nobody else
-- may create in it: checked here, and by pgq's functions again whenever the
-- schema changes (as for schema pgq).
--
CREATE FUNCTION pgmq.check_schema(old_queues boolean)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_check_schema_sql'
LANGUAGE C VOLATILE STRICT;

SELECT pgmq.check_schema(false);
DROP FUNCTION pgmq.check_schema(boolean);
