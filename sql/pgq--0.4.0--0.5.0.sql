/* sql/pgq--0.4.0--0.5.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgq UPDATE TO '0.5.0'" to load this file. \quit

--
-- 0.5.0 gives pgq pgmq's functions and row shapes: message_record,
-- queue_record and metrics_result take pgmq's column order (pgq's
-- last_read_at moves to the end of message_record), send returns setof
-- bigint, read takes pgmq's conditional, and pgmq's create, create_unlogged,
-- create_non_partitioned, read_with_poll, detach_archive,
-- validate_queue_name, format_table_name and drop_queue(text, boolean)
-- join them.  Queues and their messages stay as they are.
--

-- schema pgq must hold only its owner's objects before anything here runs
CREATE FUNCTION pgq.check_schema(old_queues boolean)
RETURNS void
AS 'MODULE_PATHNAME', 'pgq_check_schema_sql'
LANGUAGE C VOLATILE STRICT;

SELECT pgq.check_schema(false);
DROP FUNCTION pgq.check_schema(boolean);

ALTER TABLE pgq.meta ADD COLUMN is_partitioned boolean NOT NULL DEFAULT false;

--
-- The functions whose result type changes are dropped and made again; the
-- EXECUTE rights granted or revoked on them are carried over.  The result
-- types are dropped RESTRICT: an object of someone's built on one of them
-- stops the update, and says what it is.
--
CREATE TEMPORARY TABLE pg_temp.pgq_update_acl AS
    SELECT pg_catalog.format('pgq.%I(%s)', p.proname,
                             pg_catalog.oidvectortypes(p.proargtypes)) AS old_signature,
           a.grantee, a.privilege_type
      FROM pg_catalog.pg_proc p
      CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
     WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pgq'::pg_catalog.regnamespace
       AND p.proacl IS NOT NULL
       AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['send', 'read', 'pop', 'set_vt',
           'list_queues', 'metrics', 'metrics_all']);

DROP FUNCTION pgq.send(text, jsonb);
DROP FUNCTION pgq.send(text, jsonb, jsonb);
DROP FUNCTION pgq.send(text, jsonb, integer);
DROP FUNCTION pgq.send(text, jsonb, timestamptz);
DROP FUNCTION pgq.send(text, jsonb, jsonb, integer);
DROP FUNCTION pgq.send(text, jsonb, jsonb, timestamptz);
DROP FUNCTION pgq.read(text, integer, integer);
DROP FUNCTION pgq.pop(text, integer);
DROP FUNCTION pgq.set_vt(text, bigint, integer);
DROP FUNCTION pgq.list_queues();
DROP FUNCTION pgq.metrics(text);
DROP FUNCTION pgq.metrics_all();
DROP TYPE pgq.message_record;
DROP TYPE pgq.queue_record;
DROP TYPE pgq.metrics_result;

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

CREATE FUNCTION pgq.drop_queue(queue_name text, partitioned boolean)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgq_drop_queue'
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

-- the rights on the functions made again, as they were (read gained an argument)
DO $$
DECLARE
    f text;
    r record;
BEGIN
    FOR f IN SELECT DISTINCT old_signature FROM pg_temp.pgq_update_acl LOOP
        EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC',
            CASE WHEN f OPERATOR(pg_catalog.=) 'pgq.read(text, integer, integer)'
                 THEN 'pgq.read(text, integer, integer, jsonb)' ELSE f END);
    END LOOP;
    FOR r IN SELECT * FROM pg_temp.pgq_update_acl
              WHERE privilege_type OPERATOR(pg_catalog.=) 'EXECUTE' LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %s',
            CASE WHEN r.old_signature OPERATOR(pg_catalog.=) 'pgq.read(text, integer, integer)'
                 THEN 'pgq.read(text, integer, integer, jsonb)' ELSE r.old_signature END,
            CASE WHEN r.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                 ELSE r.grantee::pg_catalog.regrole::pg_catalog.text END);
    END LOOP;
END
$$;
DROP TABLE pg_temp.pgq_update_acl;
