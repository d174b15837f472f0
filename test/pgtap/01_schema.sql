-- test/pgtap/01_schema.sql
--
-- The catalog shape pgq promises: schema, the pgq.meta table, the three
-- result types (attribute names and types, in order), and every function
-- overload with its argument types, parameter names, defaults, return type,
-- language, strictness and volatility.  From 0.5.0 the types have pgmq
-- 1.5's columns in pgmq's order (pgq's own last_read_at last), and the
-- function set includes pgmq's names (create, create_unlogged, read_with_poll,
-- ...); send returns SETOF bigint as pgmq's does.
--
-- Run with pg_prove against a database where pgtap and pgq are installed.

\unset ECHO
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
\set ON_ERROR_STOP true

BEGIN;

-- regtype prints pgq.<type> only while pgq is not on the search_path:
-- pin the search_path to the schema that holds pgtap
DO $$
BEGIN
    PERFORM set_config('search_path',
                       (SELECT quote_ident(n.nspname)
                          FROM pg_extension e
                          JOIN pg_namespace n ON n.oid = e.extnamespace
                         WHERE e.extname = 'pgtap'),
                       true);
END
$$;

SELECT plan(226);

-- ---------------------------------------------------------------------
-- schema and catalog table (12)
-- ---------------------------------------------------------------------
SELECT has_schema('pgq', 'schema pgq exists');

SELECT ok(
    EXISTS (SELECT 1
              FROM pg_extension e
              JOIN pg_namespace n ON n.oid = e.extnamespace
             WHERE e.extname = 'pgq' AND n.nspname = 'pgq'
               AND NOT e.extrelocatable),
    'extension pgq lives in schema pgq and is not relocatable'
);

SELECT has_table('pgq', 'meta', 'table pgq.meta exists');

SELECT results_eq(
    $$SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod), a.attnotnull
        FROM pg_attribute a
       WHERE a.attrelid = (SELECT c.oid FROM pg_class c
                             JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE n.nspname = 'pgq' AND c.relname = 'meta')
         AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum$$,
    $$VALUES ('queue_name',  'text',                     true),
             ('is_unlogged', 'boolean',                  true),
             ('created_at',  'timestamp with time zone', true),
             ('owner',       'regrole',                  false),
             ('is_partitioned', 'boolean',               true),
             ('notify_throttle_ms', 'integer',           false),
             ('ring_slot',   'smallint',                 false),
             ('ring_live',   'smallint',                 false),
             ('archive_slot', 'smallint',                false),
             ('archive_rotated_at', 'timestamp with time zone', false),
             ('archive_retention', 'interval',           false),
             ('max_deliveries', 'integer',               false),
             ('dead_letter_queue', 'text',               false),
             ('retry_backoff', 'text',                   false),
             ('retry_delay', 'interval',                 false),
             ('retry_delay_max', 'interval',             false),
             ('retry_jitter', 'boolean',                 false),
             ('priorities', 'boolean',                   true),
             ('dedup_window', 'interval',                false),
             ('max_depth',   'bigint',                   false)$$,
    'pgq.meta columns, types and NOT NULL, in order'
);

SELECT col_type_is('pgq', 'meta', 'queue_name',  'text',                     'pgq.meta.queue_name is text');
SELECT col_type_is('pgq', 'meta', 'is_unlogged', 'boolean',                  'pgq.meta.is_unlogged is boolean');
SELECT col_type_is('pgq', 'meta', 'created_at',  'timestamp with time zone', 'pgq.meta.created_at is timestamptz');
SELECT col_is_pk('pgq', 'meta', 'queue_name', 'pgq.meta primary key is queue_name');
SELECT col_default_is('pgq', 'meta', 'is_unlogged', 'false', 'pgq.meta.is_unlogged defaults to false');
SELECT col_default_is('pgq', 'meta', 'created_at', 'now()', 'pgq.meta.created_at defaults to now()');
SELECT col_default_is('pgq', 'meta', 'is_partitioned', 'false', 'pgq.meta.is_partitioned defaults to false');

SELECT ok(
    EXISTS (SELECT 1
              FROM pg_extension e
             WHERE e.extname = 'pgq'
               AND (SELECT c.oid FROM pg_class c
                      JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'pgq' AND c.relname = 'meta') = ANY (e.extconfig)),
    'pgq.meta is registered with pg_extension_config_dump'
);

-- ---------------------------------------------------------------------
-- result types (6)
-- ---------------------------------------------------------------------
SELECT has_type('pgq', 'message_record', 'type pgq.message_record exists');
SELECT results_eq(
    $$SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod)
        FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        JOIN pg_attribute a ON a.attrelid = t.typrelid
       WHERE n.nspname = 'pgq' AND t.typname = 'message_record'
         AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum$$,
    $$VALUES ('msg_id',       'bigint'),
             ('read_ct',      'integer'),
             ('enqueued_at',  'timestamp with time zone'),
             ('vt',           'timestamp with time zone'),
             ('message',      'jsonb'),
             ('headers',      'jsonb'),
             ('last_read_at', 'timestamp with time zone')$$,
    'pgq.message_record attributes and types, in order: pgmq''s six, then last_read_at'
);

SELECT has_type('pgq', 'queue_record', 'type pgq.queue_record exists');
SELECT results_eq(
    $$SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod)
        FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        JOIN pg_attribute a ON a.attrelid = t.typrelid
       WHERE n.nspname = 'pgq' AND t.typname = 'queue_record'
         AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum$$,
    $$VALUES ('queue_name',     'character varying'),
             ('is_partitioned', 'boolean'),
             ('is_unlogged',    'boolean'),
             ('created_at',     'timestamp with time zone')$$,
    'pgq.queue_record attributes and types, in order'
);

SELECT has_type('pgq', 'metrics_result', 'type pgq.metrics_result exists');
SELECT results_eq(
    $$SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod)
        FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        JOIN pg_attribute a ON a.attrelid = t.typrelid
       WHERE n.nspname = 'pgq' AND t.typname = 'metrics_result'
         AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum$$,
    $$VALUES ('queue_name',           'text'),
             ('queue_length',         'bigint'),
             ('newest_msg_age_sec',   'integer'),
             ('oldest_msg_age_sec',   'integer'),
             ('total_messages',       'bigint'),
             ('scrape_time',          'timestamp with time zone'),
             ('queue_visible_length', 'bigint')$$,
    'pgq.metrics_result attributes and types, in order'
);

-- ---------------------------------------------------------------------
-- functions: the 37 overloads, one row each.  Argument types are spelled
-- as regtype prints them, because function_returns / function_lang_is /
-- isnt_strict / volatility_is compare the spelled-out list.
-- ---------------------------------------------------------------------
CREATE TEMP TABLE pgq_fn (
    ord     int PRIMARY KEY,
    name    name NOT NULL,
    args    name[] NOT NULL,
    returns text NOT NULL,
    vol     text NOT NULL
) ON COMMIT DROP;

INSERT INTO pgq_fn VALUES
    ( 1, 'create_queue', '{text,boolean}',                                        'void',                     'volatile'),
    ( 2, 'drop_queue',   '{text}',                                                'boolean',                  'volatile'),
    ( 3, 'purge_queue',  '{text}',                                                'bigint',                   'volatile'),
    ( 4, 'list_queues',  '{}',                                                    'setof pgq.queue_record',   'stable'),
    ( 5, 'metrics',      '{text}',                                                'pgq.metrics_result',       'volatile'),
    ( 6, 'metrics_all',  '{}',                                                    'setof pgq.metrics_result', 'volatile'),
    ( 7, 'send',         '{text,jsonb}',                                          'setof bigint',             'volatile'),
    ( 8, 'send',         '{text,jsonb,jsonb}',                                    'setof bigint',             'volatile'),
    ( 9, 'send',         '{text,jsonb,integer}',                                  'setof bigint',             'volatile'),
    (10, 'send',         '{text,jsonb,"timestamp with time zone"}',               'setof bigint',             'volatile'),
    (11, 'send',         '{text,jsonb,jsonb,integer}',                            'setof bigint',             'volatile'),
    (12, 'send',         '{text,jsonb,jsonb,"timestamp with time zone"}',         'setof bigint',             'volatile'),
    (13, 'send_batch',   '{text,jsonb[]}',                                        'setof bigint',             'volatile'),
    (14, 'send_batch',   '{text,jsonb[],jsonb[]}',                                'setof bigint',             'volatile'),
    (15, 'send_batch',   '{text,jsonb[],integer}',                                'setof bigint',             'volatile'),
    (16, 'send_batch',   '{text,jsonb[],"timestamp with time zone"}',             'setof bigint',             'volatile'),
    (17, 'send_batch',   '{text,jsonb[],jsonb[],integer}',                        'setof bigint',             'volatile'),
    (18, 'send_batch',   '{text,jsonb[],jsonb[],"timestamp with time zone"}',     'setof bigint',             'volatile'),
    (19, 'read',         '{text,integer,integer,jsonb}',                          'setof pgq.message_record', 'volatile'),
    (20, 'pop',          '{text,integer}',                                        'setof pgq.message_record', 'volatile'),
    (21, 'set_vt',       '{text,bigint,integer}',                                 'setof pgq.message_record', 'volatile'),
    (22, 'archive',      '{text,bigint}',                                         'boolean',                  'volatile'),
    (23, 'archive',      '{text,bigint[]}',                                       'setof bigint',             'volatile'),
    (24, 'delete',       '{text,bigint}',                                         'boolean',                  'volatile'),
    (25, 'delete',       '{text,bigint[]}',                                       'setof bigint',             'volatile'),
    (26, 'grant_producer', '{text,text}',                                         'void',                     'volatile'),
    (27, 'grant_consumer', '{text,text}',                                         'void',                     'volatile'),
    (28, 'grant_admin',  '{text,text}',                                           'void',                     'volatile'),
    (29, 'revoke_queue', '{text,text}',                                           'void',                     'volatile'),
    -- pgmq 1.5's names (0.5.0)
    (30, 'create',       '{text}',                                                'void',                     'volatile'),
    (31, 'create_non_partitioned', '{text}',                                      'void',                     'volatile'),
    (32, 'create_unlogged', '{text}',                                             'void',                     'volatile'),
    (33, 'drop_queue',   '{text,boolean}',                                        'boolean',                  'volatile'),
    (34, 'detach_archive', '{text}',                                              'void',                     'volatile'),
    (35, 'read_with_poll', '{text,integer,integer,integer,integer,jsonb}',        'setof pgq.message_record', 'volatile'),
    (36, 'validate_queue_name', '{text}',                                         'void',                     'immutable'),
    (37, 'format_table_name', '{text,text}',                                      'text',                     'immutable'),
    (38, 'create_partitioned', '{text,text,text}',                                'void',                     'volatile'),
    (39, 'convert_archive_partitioned', '{text,text,text,integer}',               'void',                     'volatile');

-- has_function for every overload (39)
SELECT has_function('pgq', name, args,
                    format('function pgq.%s(%s) exists', name, array_to_string(args, ', ')))
  FROM pgq_fn ORDER BY ord;

-- return types (39)
SELECT function_returns('pgq', name, args, returns,
                        format('pgq.%s(%s) returns %s', name, array_to_string(args, ', '), returns))
  FROM pgq_fn ORDER BY ord;

-- language C (39)
SELECT function_lang_is('pgq', name, args, 'c',
                        format('pgq.%s(%s) is LANGUAGE c', name, array_to_string(args, ', ')))
  FROM pgq_fn ORDER BY ord;

-- not STRICT: NULL arguments must reach the C code so it can raise the
-- documented errors (39)
SELECT isnt_strict('pgq', name, args,
                   format('pgq.%s(%s) is not STRICT', name, array_to_string(args, ', ')))
  FROM pgq_fn ORDER BY ord;

-- volatility: everything VOLATILE except list_queues, which is STABLE, and
-- the two name helpers validate_queue_name and format_table_name, IMMUTABLE (39)
SELECT volatility_is('pgq', name, args, vol,
                     format('pgq.%s(%s) is %s', name, array_to_string(args, ', '), vol))
  FROM pgq_fn ORDER BY ord;

-- ---------------------------------------------------------------------
-- the complete overload set, parameter names, defaults and bindings (11)
-- ---------------------------------------------------------------------
SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default",
             array_to_string(p.proargtypes::regtype[], ','),
             p.proargnames::text[] COLLATE "default"
        FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'pgq'
       ORDER BY p.proname, array_to_string(p.proargtypes::regtype[], ',') COLLATE "C"$$,
    $$VALUES
        ('archive',      'text,bigint',                                     ARRAY['queue_name','msg_id']),
        ('archive',      'text,bigint[]',                                   ARRAY['queue_name','msg_ids']),
        ('convert_archive_partitioned', 'text,text,text,integer',           ARRAY['table_name','partition_interval','retention_interval','leading_partition']),
        ('create',       'text',                                            ARRAY['queue_name']),
        ('create_non_partitioned', 'text',                                  ARRAY['queue_name']),
        ('create_partitioned', 'text,text,text',                            ARRAY['queue_name','partition_interval','retention_interval']),
        ('create_queue', 'text,boolean',                                    ARRAY['queue_name','unlogged']),
        ('create_queue', 'text,boolean,jsonb',                              ARRAY['queue_name','unlogged','policy']),
        ('create_unlogged', 'text',                                         ARRAY['queue_name']),
        ('delete',       'text,bigint',                                     ARRAY['queue_name','msg_id']),
        ('delete',       'text,bigint[]',                                   ARRAY['queue_name','msg_ids']),
        ('detach_archive', 'text',                                          ARRAY['queue_name']),
        ('disable_notify_insert', 'text',                                   ARRAY['queue_name']),
        ('drop_queue',   'text',                                            ARRAY['queue_name']),
        ('drop_queue',   'text,boolean',                                    ARRAY['queue_name','partitioned']),
        ('enable_notify_insert', 'text,integer',                            ARRAY['queue_name','throttle_interval_ms']),
        ('forget_dropped_queues', '',                                       NULL::text[]),
        ('format_table_name', 'text,text',                                  ARRAY['queue_name','prefix']),
        ('grant_admin',  'text,text',                                       ARRAY['queue_name','role_name']),
        ('grant_consumer', 'text,text',                                     ARRAY['queue_name','role_name']),
        ('grant_producer', 'text,text',                                     ARRAY['queue_name','role_name']),
        ('list_queues',  '',                                                NULL::text[]),
        ('maintain',     'integer',                                         ARRAY['lock_timeout_ms']),
        ('maintain_queue', 'text,integer',                                  ARRAY['queue_name','lock_timeout_ms','rotated','moved','truncated','archive_rotated']),
        ('metrics',      'text',                                            ARRAY['queue_name']),
        ('metrics_all',  '',                                                NULL::text[]),
        ('nack',         'text,bigint,integer',                             ARRAY['queue_name','msg_id','delay']),
        ('policy',       'text',                                            ARRAY['queue_name']),
        ('pop',          'text,integer',                                    ARRAY['queue_name','qty']),
        ('priority_stats', 'text',                                          ARRAY['queue_name','priority','oldest_visible_age_sec']),
        ('purge_queue',  'text',                                            ARRAY['queue_name']),
        ('queue_clock',  '',                                                NULL::text[]),
        ('read',         'text,integer,integer,jsonb',                      ARRAY['queue_name','vt','qty','conditional']),
        ('read_with_poll', 'text,integer,integer,integer,integer,jsonb',    ARRAY['queue_name','vt','qty','max_poll_seconds','poll_interval_ms','conditional']),
        ('redrive',      'text,bigint[],integer',                           ARRAY['queue_name','msg_ids','max_messages']),
        ('revoke_queue', 'text,text',                                       ARRAY['queue_name','role_name']),
        ('send',         'text,jsonb',                                      ARRAY['queue_name','msg']),
        ('send',         'text,jsonb,integer',                              ARRAY['queue_name','msg','delay']),
        ('send',         'text,jsonb,jsonb',                                ARRAY['queue_name','msg','headers']),
        ('send',         'text,jsonb,jsonb,integer',                        ARRAY['queue_name','msg','headers','delay']),
        ('send',         'text,jsonb,jsonb,integer,integer,text',           ARRAY['queue_name','msg','headers','delay','priority','dedup_key']),
        ('send',         'text,jsonb,jsonb,timestamp with time zone',       ARRAY['queue_name','msg','headers','delay']),
        ('send',         'text,jsonb,timestamp with time zone',             ARRAY['queue_name','msg','delay']),
        ('send_batch',   'text,jsonb[]',                                    ARRAY['queue_name','msgs']),
        ('send_batch',   'text,jsonb[],integer',                            ARRAY['queue_name','msgs','delay']),
        ('send_batch',   'text,jsonb[],jsonb[]',                            ARRAY['queue_name','msgs','headers']),
        ('send_batch',   'text,jsonb[],jsonb[],integer',                    ARRAY['queue_name','msgs','headers','delay']),
        ('send_batch',   'text,jsonb[],jsonb[],integer,integer',            ARRAY['queue_name','msgs','headers','delay','priority']),
        ('send_batch',   'text,jsonb[],jsonb[],timestamp with time zone',   ARRAY['queue_name','msgs','headers','delay']),
        ('send_batch',   'text,jsonb[],timestamp with time zone',           ARRAY['queue_name','msgs','delay']),
        ('set_policy',   'text,jsonb',                                      ARRAY['queue_name','policy']),
        ('set_retention', 'text,interval',                                  ARRAY['queue_name','retention']),
        ('set_vt',       'text,bigint,integer',                             ARRAY['queue_name','msg_id','vt']),
        ('stats',        'text',                                            ARRAY['queue_name','dead_lettered','redelivered','rolled_back_deliveries','nacked','deduplicated','refused_full']),
        ('validate_queue_name', 'text',                                     ARRAY['queue_name']),
        ('wait_stats',   '',                                                ARRAY['mode','max_waiters','waiting','waits','wakeups','due_wakeups','empty_wakeups','polls'])$$,
    'schema pgq holds exactly the documented overloads, with the documented parameter names'
);

SELECT function_returns('pgq', 'queue_clock', ARRAY[]::name[], 'timestamp with time zone',
                        'pgq.queue_clock() returns timestamptz');
SELECT function_lang_is('pgq', 'queue_clock', ARRAY[]::name[], 'internal',
                        'pgq.queue_clock() is the built-in clock_timestamp (LANGUAGE internal)');
SELECT volatility_is('pgq', 'queue_clock', ARRAY[]::name[], 'volatile',
                     'pgq.queue_clock() is volatile');

SELECT is(
    (SELECT pg_get_function_arguments(p.oid) FROM pg_proc p
      WHERE p.oid = to_regprocedure('pgq.pop(text,integer)')),
    'queue_name text, qty integer DEFAULT 1',
    'pgq.pop qty defaults to 1'
);

SELECT is(
    (SELECT pg_get_function_arguments(p.oid) FROM pg_proc p
      WHERE p.oid = to_regprocedure('pgq.create_queue(text,boolean)')),
    'queue_name text, unlogged boolean DEFAULT false',
    'pgq.create_queue unlogged defaults to false'
);

SELECT is(
    (SELECT pg_get_function_arguments(p.oid) FROM pg_proc p
      WHERE p.oid = to_regprocedure('pgq.read(text,integer,integer,jsonb)')),
    'queue_name text, vt integer, qty integer, conditional jsonb DEFAULT ''{}''::jsonb',
    'pgq.read conditional defaults to the empty object (no condition), as in pgmq'
);

SELECT is(
    (SELECT pg_get_function_arguments(p.oid) FROM pg_proc p
      WHERE p.oid = to_regprocedure('pgq.create_partitioned(text,text,text)')),
    'queue_name text, partition_interval text DEFAULT ''10000''::text, retention_interval text DEFAULT ''100000''::text',
    'pgq.create_partitioned defaults: 10,000 messages a partition, keep 100,000, as in pgmq'
);

SELECT is(
    (SELECT pg_get_function_arguments(p.oid) FROM pg_proc p
      WHERE p.oid = to_regprocedure('pgq.read_with_poll(text,integer,integer,integer,integer,jsonb)')),
    'queue_name text, vt integer, qty integer, max_poll_seconds integer DEFAULT 5, poll_interval_ms integer DEFAULT 100, conditional jsonb DEFAULT ''{}''::jsonb',
    'pgq.read_with_poll defaults: 5 seconds, every 100 ms, no condition, as in pgmq'
);

SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default", p.pronargdefaults::int
        FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'pgq' AND p.pronargdefaults > 0
       ORDER BY p.proname COLLATE "C"$$,
    $$VALUES ('convert_archive_partitioned', 3), ('create_partitioned', 2), ('create_queue', 1),
             ('enable_notify_insert', 1), ('maintain', 1), ('maintain_queue', 1), ('nack', 1), ('pop', 1),
             ('read', 1), ('read_with_poll', 3), ('redrive', 2), ('send', 1)$$,
    'only convert_archive_partitioned, create_partitioned, create_queue(text, boolean), enable_notify_insert, maintain, maintain_queue, nack, pop, read, read_with_poll, redrive and send(..., dedup_key) have parameter defaults'
);

SELECT results_eq(
    $$SELECT DISTINCT p.proretset, p.prorows::int
        FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'pgq' AND p.proname = 'send'$$,
    $$VALUES (true, 1)$$,
    'every pgq.send overload is a set-returning function of one row (ROWS 1), as pgmq''s send'
);

SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default",
             array_to_string(p.proargtypes::regtype[], ','),
             p.prosrc COLLATE "default", p.probin COLLATE "default"
        FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'pgq' AND p.prokind <> 'p'
       ORDER BY p.proname, array_to_string(p.proargtypes::regtype[], ',') COLLATE "C"$$,
    $$VALUES
        ('archive',      'text,bigint',                                   'pgq_archive',          '$libdir/pgq'),
        ('archive',      'text,bigint[]',                                 'pgq_archive_batch',    '$libdir/pgq'),
        ('convert_archive_partitioned', 'text,text,text,integer',         'pgq_convert_archive_partitioned', '$libdir/pgq'),
        ('create',       'text',                                          'pgq_create',           '$libdir/pgq'),
        ('create_non_partitioned', 'text',                                'pgq_create',           '$libdir/pgq'),
        ('create_partitioned', 'text,text,text',                          'pgq_create_partitioned', '$libdir/pgq'),
        ('create_queue', 'text,boolean',                                  'pgq_create_queue',     '$libdir/pgq'),
        ('create_queue', 'text,boolean,jsonb',                            'pgq_create_queue_policy', '$libdir/pgq'),
        ('create_unlogged', 'text',                                       'pgq_create_unlogged',  '$libdir/pgq'),
        ('delete',       'text,bigint',                                   'pgq_delete',           '$libdir/pgq'),
        ('delete',       'text,bigint[]',                                 'pgq_delete_batch',     '$libdir/pgq'),
        ('detach_archive', 'text',                                        'pgq_detach_archive',   '$libdir/pgq'),
        ('disable_notify_insert', 'text',                                 'pgq_disable_notify_insert', '$libdir/pgq'),
        ('drop_queue',   'text',                                          'pgq_drop_queue',       '$libdir/pgq'),
        ('drop_queue',   'text,boolean',                                  'pgq_drop_queue',       '$libdir/pgq'),
        ('enable_notify_insert', 'text,integer',                          'pgq_enable_notify_insert', '$libdir/pgq'),
        ('forget_dropped_queues', '',                                     'pgq_forget_dropped_queues', '$libdir/pgq'),
        ('format_table_name', 'text,text',                                'pgq_format_table_name', '$libdir/pgq'),
        ('grant_admin',  'text,text',                                     'pgq_grant_admin',      '$libdir/pgq'),
        ('grant_consumer', 'text,text',                                   'pgq_grant_consumer',   '$libdir/pgq'),
        ('grant_producer', 'text,text',                                   'pgq_grant_producer',   '$libdir/pgq'),
        ('list_queues',  '',                                              'pgq_list_queues',      '$libdir/pgq'),
        ('maintain_queue', 'text,integer',                                'pgq_maintain_queue',   '$libdir/pgq'),
        ('metrics',      'text',                                          'pgq_metrics',          '$libdir/pgq'),
        ('metrics_all',  '',                                              'pgq_metrics_all',      '$libdir/pgq'),
        ('nack',         'text,bigint,integer',                           'pgq_nack',             '$libdir/pgq'),
        ('policy',       'text',                                          'pgq_policy',           '$libdir/pgq'),
        ('pop',          'text,integer',                                  'pgq_pop',              '$libdir/pgq'),
        ('priority_stats', 'text',                                        'pgq_priority_stats',   '$libdir/pgq'),
        ('purge_queue',  'text',                                          'pgq_purge_queue',      '$libdir/pgq'),
        ('queue_clock',  '',                                              'clock_timestamp',      NULL),
        ('read',         'text,integer,integer,jsonb',                    'pgq_read',             '$libdir/pgq'),
        ('read_with_poll', 'text,integer,integer,integer,integer,jsonb',  'pgq_read_with_poll',   '$libdir/pgq'),
        ('redrive',      'text,bigint[],integer',                         'pgq_redrive',          '$libdir/pgq'),
        ('revoke_queue', 'text,text',                                     'pgq_revoke_queue',     '$libdir/pgq'),
        ('send',         'text,jsonb',                                    'pgq_send',             '$libdir/pgq'),
        ('send',         'text,jsonb,integer',                            'pgq_send_delay',       '$libdir/pgq'),
        ('send',         'text,jsonb,jsonb',                              'pgq_send',             '$libdir/pgq'),
        ('send',         'text,jsonb,jsonb,integer',                      'pgq_send_delay',       '$libdir/pgq'),
        ('send',         'text,jsonb,jsonb,integer,integer,text',         'pgq_send_ext',         '$libdir/pgq'),
        ('send',         'text,jsonb,jsonb,timestamp with time zone',     'pgq_send_at',          '$libdir/pgq'),
        ('send',         'text,jsonb,timestamp with time zone',           'pgq_send_at',          '$libdir/pgq'),
        ('send_batch',   'text,jsonb[]',                                  'pgq_send_batch',       '$libdir/pgq'),
        ('send_batch',   'text,jsonb[],integer',                          'pgq_send_batch_delay', '$libdir/pgq'),
        ('send_batch',   'text,jsonb[],jsonb[]',                          'pgq_send_batch',       '$libdir/pgq'),
        ('send_batch',   'text,jsonb[],jsonb[],integer',                  'pgq_send_batch_delay', '$libdir/pgq'),
        ('send_batch',   'text,jsonb[],jsonb[],integer,integer',          'pgq_send_batch_ext',   '$libdir/pgq'),
        ('send_batch',   'text,jsonb[],jsonb[],timestamp with time zone', 'pgq_send_batch_at',    '$libdir/pgq'),
        ('send_batch',   'text,jsonb[],timestamp with time zone',         'pgq_send_batch_at',    '$libdir/pgq'),
        ('set_policy',   'text,jsonb',                                    'pgq_set_policy',       '$libdir/pgq'),
        ('set_retention', 'text,interval',                                'pgq_set_retention',    '$libdir/pgq'),
        ('set_vt',       'text,bigint,integer',                           'pgq_set_vt',           '$libdir/pgq'),
        ('stats',        'text',                                          'pgq_stats',            '$libdir/pgq'),
        ('validate_queue_name', 'text',                                   'pgq_validate_queue_name', '$libdir/pgq'),
        ('wait_stats',   '',                                              'pgq_wait_stats',       '$libdir/pgq')$$,
    'every function is bound to its pgq_<verb> symbol in $libdir/pgq (queue_clock: the built-in clock_timestamp)'
);

SELECT results_eq(
    $$SELECT p.proname::text COLLATE "default", l.lanname::text COLLATE "default",
             has_function_privilege('public', p.oid, 'EXECUTE')
        FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        JOIN pg_language l ON l.oid = p.prolang
       WHERE n.nspname = 'pgq' AND p.prokind = 'p'$$,
    $$VALUES ('maintain', 'plpgsql', false)$$,
    'the one procedure is pgq.maintain, in PL/pgSQL (it commits after each queue), not executable by PUBLIC'
);

SELECT * FROM finish();
ROLLBACK;
