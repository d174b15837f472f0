-- test/pgtap/03_behaviour.sql
--
-- What the functions do: the tables and indexes create_queue makes, ids from
-- send / send_batch, visibility (delay, read, set_vt), pop, archive, delete,
-- purge, metrics, list_queues, drop_queue, and that everything happens in
-- the caller's transaction.
--
-- No timestamp is ever printed: times are compared with now() (transaction
-- start) and clock_timestamp() and only the boolean outcome is asserted.
--
-- Run with pg_prove against a database where pgtap and pgq are installed.

\unset ECHO
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
\set ON_ERROR_STOP true

BEGIN;

SELECT plan(176);

-- ---------------------------------------------------------------------
-- create_queue: tables, columns, keys, defaults, indexes, persistence (21)
-- ---------------------------------------------------------------------
SELECT lives_ok($$SELECT pgq.create_queue('cq')$$, 'create_queue(cq)');
SELECT lives_ok($$SELECT pgq.create_queue('uq', true)$$, 'create_queue(uq, unlogged => true)');

SELECT has_table('pgq', 'q_cq', 'create_queue made pgq.q_cq');
SELECT has_table('pgq', 'a_cq', 'create_queue made pgq.a_cq');

SELECT results_eq(
    $$SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod)
        FROM pg_attribute a
       WHERE a.attrelid = to_regclass('pgq.q_cq') AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum$$,
    $$VALUES ('msg_id',       'bigint'),
             ('read_ct',      'integer'),
             ('enqueued_at',  'timestamp with time zone'),
             ('vt',           'timestamp with time zone'),
             ('message',      'jsonb'),
             ('headers',      'jsonb'),
             ('last_read_at', 'timestamp with time zone'),
             ('priority',     'smallint')$$,
    'pgq.q_cq columns and types, in pgmq''s order, then last_read_at and priority'
);

SELECT results_eq(
    $$SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod)
        FROM pg_attribute a
       WHERE a.attrelid = to_regclass('pgq.a_cq') AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum$$,
    $$VALUES ('msg_id',       'bigint'),
             ('read_ct',      'integer'),
             ('enqueued_at',  'timestamp with time zone'),
             ('archived_at',  'timestamp with time zone'),
             ('vt',           'timestamp with time zone'),
             ('message',      'jsonb'),
             ('headers',      'jsonb'),
             ('last_read_at', 'timestamp with time zone')$$,
    'pgq.a_cq columns and types, in pgmq''s order (archived_at fourth), last_read_at last'
);

-- NOT NULL where the contract says so, nullable where NULL must be storable
SELECT results_eq(
    $$SELECT a.attname::text COLLATE "default", a.attnotnull
        FROM pg_attribute a
       WHERE a.attrelid = to_regclass('pgq.q_cq')
         AND a.attname IN ('msg_id', 'read_ct', 'enqueued_at', 'last_read_at', 'vt', 'headers')
       ORDER BY a.attnum$$,
    $$VALUES ('msg_id', true), ('read_ct', true), ('enqueued_at', true),
             ('vt', true), ('headers', false), ('last_read_at', false)$$,
    'pgq.q_cq NOT NULL columns'
);
SELECT results_eq(
    $$SELECT a.attname::text COLLATE "default", a.attnotnull
        FROM pg_attribute a
       WHERE a.attrelid = to_regclass('pgq.a_cq')
         AND a.attname IN ('msg_id', 'read_ct', 'enqueued_at', 'last_read_at', 'vt', 'headers', 'archived_at')
       ORDER BY a.attnum$$,
    $$VALUES ('msg_id', true), ('read_ct', true), ('enqueued_at', true),
             ('archived_at', true), ('vt', true), ('headers', false), ('last_read_at', false)$$,
    'pgq.a_cq NOT NULL columns'
);

SELECT col_is_pk('pgq', 'q_cq', 'msg_id', 'pgq.q_cq primary key is msg_id');
SELECT col_is_pk('pgq', 'a_cq', 'msg_id', 'pgq.a_cq primary key is msg_id');

SELECT results_eq(
    $$SELECT c.relname::text COLLATE "default", a.attidentity <> ''
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
       WHERE a.attrelid IN (to_regclass('pgq.a_cq'), to_regclass('pgq.q_cq'))
         AND a.attname = 'msg_id'
       ORDER BY c.relname$$,
    $$VALUES ('a_cq', false), ('q_cq', true)$$,
    'q_cq.msg_id is an identity column, a_cq.msg_id is a plain bigint'
);

SELECT col_default_is('pgq', 'q_cq', 'read_ct', '0', 'pgq.q_cq.read_ct defaults to 0');
SELECT col_default_is('pgq', 'q_cq', 'enqueued_at', 'now()', 'pgq.q_cq.enqueued_at defaults to now()');
SELECT col_default_is('pgq', 'q_cq', 'vt', 'pgq.queue_clock()', 'pgq.q_cq.vt defaults to pgq.queue_clock()');
SELECT col_default_is('pgq', 'a_cq', 'archived_at', 'pgq.queue_clock()', 'pgq.a_cq.archived_at defaults to pgq.queue_clock()');
-- those defaults tie the queue to the extension
SELECT throws_ok('DROP EXTENSION pgq', '2BP01', NULL, 'DROP EXTENSION pgq refuses while a queue exists');

SELECT has_index('pgq', 'q_cq', 'q_cq_vt_idx', ARRAY['vt', 'msg_id'], 'index q_cq_vt_idx on (vt, msg_id)');
SELECT has_index('pgq', 'a_cq', 'a_cq_archived_idx', ARRAY['archived_at'], 'index a_cq_archived_idx on (archived_at)');

SELECT results_eq(
    $$SELECT c.relname::text COLLATE "default", c.relpersistence::text
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'pgq'
         AND c.relname IN ('q_cq', 'a_cq', 'q_uq', 'a_uq', 'q_uq_vt_idx', 'a_uq_archived_idx')
       ORDER BY c.relname$$,
    $$VALUES ('a_cq', 'p'), ('a_uq', 'p'), ('a_uq_archived_idx', 'p'),
             ('q_cq', 'p'), ('q_uq', 'u'), ('q_uq_vt_idx', 'u')$$,
    'logged queue: both tables logged; unlogged queue: q_ unlogged, a_ logged'
);

SELECT results_eq(
    $$SELECT queue_name, is_unlogged FROM pgq.meta WHERE queue_name IN ('cq', 'uq') ORDER BY queue_name$$,
    $$VALUES ('cq'::text, false), ('uq'::text, true)$$,
    'create_queue wrote the meta rows'
);

SELECT ok(
    (SELECT bool_and(created_at >= now() AND created_at <= clock_timestamp())
       FROM pgq.meta WHERE queue_name IN ('cq', 'uq')),
    'meta.created_at is set at creation'
);

-- the longest valid name still gets untruncated index names
SELECT lives_ok(format('SELECT pgq.create_queue(%L)', repeat('l', 47)), 'create_queue with a 47-character name');
SELECT ok(
    to_regclass(format('pgq.%I', 'q_' || repeat('l', 47) || '_vt_idx')) IS NOT NULL
    AND to_regclass(format('pgq.%I', 'a_' || repeat('l', 47) || '_archived_idx')) IS NOT NULL,
    'the 47-character queue has both indexes under their full names'
);

-- ---------------------------------------------------------------------
-- a failed create_queue leaves nothing behind, in the catalogs nor in the
-- session's own state; so does one rolled back to a savepoint (13)
-- ---------------------------------------------------------------------
CREATE TEMP TABLE before_fail AS
SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'pgq') AS rels,
       (SELECT count(*) FROM pgq.meta) AS queues;

SELECT throws_ok($$SELECT pgq.create_queue('Bad;Name')$$, '42602', 'invalid queue name "Bad;Name"', 'create_queue(bad name) fails');
SELECT throws_ok($$SELECT pgq.create_queue('fq_pkey')$$, '42602', 'invalid queue name "fq_pkey"', 'create_queue(reserved name) fails');
SELECT throws_ok($$SELECT pgq.create_queue('fq', NULL)$$, '22004', 'unlogged must not be null', 'create_queue(fq, NULL) fails');
SELECT ok(
    (SELECT rels = (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'pgq')
        AND queues = (SELECT count(*) FROM pgq.meta)
       FROM before_fail),
    'failed create_queue calls left no relation and no meta row'
);
SELECT throws_ok($$SELECT pgq.send('fq', '{}'::jsonb)$$, '42P01', 'queue "fq" does not exist', 'the failed queue does not exist for send');
SELECT ok(NOT EXISTS (SELECT 1 FROM pgq.list_queues() WHERE queue_name = 'fq'), 'the failed queue is not listed');

SAVEPOINT before_rbq;
SELECT lives_ok($$SELECT pgq.create_queue('rbq')$$, 'create_queue(rbq) inside a savepoint');
SELECT lives_ok($$SELECT pgq.send('rbq', '{}'::jsonb)$$, 'send to rbq inside the savepoint');
ROLLBACK TO SAVEPOINT before_rbq;
SELECT ok(to_regclass('pgq.q_rbq') IS NULL AND NOT EXISTS (SELECT 1 FROM pgq.meta WHERE queue_name = 'rbq'),
          'rolled-back create_queue left no table and no meta row');
SELECT throws_ok($$SELECT pgq.send('rbq', '{}'::jsonb)$$, '42P01', 'queue "rbq" does not exist',
                 'send after the rolled-back create_queue says the queue does not exist');
SELECT throws_ok($$SELECT * FROM pgq.metrics('rbq')$$, '42P01', 'queue "rbq" does not exist',
                 'metrics after the rolled-back create_queue says the queue does not exist');
SELECT lives_ok($$SELECT pgq.create_queue('rbq')$$, 'create_queue(rbq) again after the rollback');
SELECT is(pgq.send('rbq', '{}'::jsonb), 1::bigint, 'the re-created queue works and numbers from 1');

-- ---------------------------------------------------------------------
-- send / send_batch (11)
-- ---------------------------------------------------------------------
SELECT lives_ok($$SELECT pgq.create_queue('bq')$$, 'create_queue(bq)');

CREATE TEMP TABLE sent (k int PRIMARY KEY, id bigint);
INSERT INTO sent VALUES (1, pgq.send('bq', '{"n": 1}'::jsonb));
INSERT INTO sent VALUES (2, pgq.send('bq', '{"n": 2}'::jsonb, '{"h": 2}'::jsonb));
INSERT INTO sent VALUES (3, pgq.send('bq', '{"n": 3}'::jsonb, NULL::jsonb));

SELECT results_eq('SELECT id FROM sent ORDER BY k', ARRAY[1, 2, 3]::bigint[],
                  'send returns increasing ids, from 1 in a new queue');

SELECT results_eq(
    $$SELECT msg_id, read_ct, message, headers, last_read_at IS NULL, vt <= clock_timestamp()
        FROM pgq.q_bq ORDER BY msg_id$$,
    $$VALUES (1::bigint, 0, '{"n": 1}'::jsonb, NULL::jsonb,    true, true),
             (2::bigint, 0, '{"n": 2}'::jsonb, '{"h": 2}'::jsonb, true, true),
             (3::bigint, 0, '{"n": 3}'::jsonb, NULL::jsonb,    true, true)$$,
    'sent rows: message and headers stored, read_ct 0, never read, visible at once'
);

SELECT ok(
    (SELECT bool_and(enqueued_at >= now() AND enqueued_at <= clock_timestamp()) FROM pgq.q_bq),
    'enqueued_at is set'
);

CREATE TEMP TABLE batch AS
SELECT ord, id
  FROM pgq.send_batch('bq', ARRAY['{"b": "z"}', '{"b": "a"}', '{"b": "m"}']::jsonb[])
       WITH ORDINALITY AS t(id, ord);

SELECT results_eq('SELECT id FROM batch ORDER BY ord', ARRAY[4, 5, 6]::bigint[],
                  'send_batch returns one id per message, increasing, in input order');
SELECT results_eq(
    $$SELECT q.message ->> 'b' FROM batch b JOIN pgq.q_bq q ON q.msg_id = b.id ORDER BY b.ord$$,
    ARRAY['z', 'a', 'm'],
    'the i-th returned id holds the i-th message'
);

CREATE TEMP TABLE batch_h AS
SELECT ord, id
  FROM pgq.send_batch('bq', ARRAY['{"b": 1}', '{"b": 2}', '{"b": 3}']::jsonb[],
                      ARRAY['{"h": "x"}', NULL, '{"h": "z"}']::jsonb[])
       WITH ORDINALITY AS t(id, ord);

SELECT results_eq(
    $$SELECT q.message, q.headers FROM batch_h b JOIN pgq.q_bq q ON q.msg_id = b.id ORDER BY b.ord$$,
    $$VALUES ('{"b": 1}'::jsonb, '{"h": "x"}'::jsonb),
             ('{"b": 2}'::jsonb, NULL::jsonb),
             ('{"b": 3}'::jsonb, '{"h": "z"}'::jsonb)$$,
    'send_batch pairs the i-th header with the i-th message, NULL header stored as NULL'
);

CREATE TEMP TABLE at_ids AS
SELECT 'send'::text AS how, pgq.send('bq', '{"at": 1}'::jsonb, '2999-01-01 00:00:00+00'::timestamptz) AS id
UNION ALL
SELECT 'send+headers', pgq.send('bq', '{"at": 2}'::jsonb, '{"h": "at"}'::jsonb, '2999-01-01 00:00:00+00'::timestamptz)
UNION ALL
SELECT 'send_batch', id FROM pgq.send_batch('bq', ARRAY['{"at": 3}', '{"at": 4}']::jsonb[], '2999-01-01 00:00:00+00'::timestamptz) AS id
UNION ALL
SELECT 'send_batch+headers', id FROM pgq.send_batch('bq', ARRAY['{"at": 5}']::jsonb[], ARRAY['{"h": "at"}']::jsonb[], '2999-01-01 00:00:00+00'::timestamptz) AS id;

SELECT is(
    (SELECT count(*) FROM at_ids a JOIN pgq.q_bq q ON q.msg_id = a.id
      WHERE q.vt = '2999-01-01 00:00:00+00'::timestamptz),
    5::bigint,
    'a timestamptz delay sets vt to exactly that time (all four overloads)'
);
SELECT is(
    (SELECT count(*) FROM at_ids a JOIN pgq.q_bq q ON q.msg_id = a.id
      WHERE q.headers = '{"h": "at"}'::jsonb),
    2::bigint,
    'headers are stored by the delayed overloads'
);

CREATE TEMP TABLE in_ids AS
SELECT pgq.send('bq', '{"in": 1}'::jsonb, 3600) AS id
UNION ALL
SELECT pgq.send('bq', '{"in": 2}'::jsonb, '{}'::jsonb, 3600)
UNION ALL
SELECT id FROM pgq.send_batch('bq', ARRAY['{"in": 3}']::jsonb[], 3600) AS id
UNION ALL
SELECT id FROM pgq.send_batch('bq', ARRAY['{"in": 4}']::jsonb[], ARRAY['{}']::jsonb[], 3600) AS id;

SELECT is(
    (SELECT count(*) FROM in_ids i JOIN pgq.q_bq q ON q.msg_id = i.id
      WHERE q.vt > clock_timestamp() + interval '3500 seconds'
        AND q.vt <= clock_timestamp() + interval '3600 seconds'),
    4::bigint,
    'an integer delay sets vt to now + that many seconds (all four overloads)'
);

SELECT is((SELECT count(*) FROM pgq.q_bq), 18::bigint, 'bq holds every message sent');

-- ---------------------------------------------------------------------
-- delay hides a message from read and pop (4)
-- ---------------------------------------------------------------------
SELECT lives_ok($$SELECT pgq.create_queue('dq')$$, 'create_queue(dq)');
DO $$
BEGIN
    PERFORM pgq.send('dq', '{"d": "int"}'::jsonb, 3600);
    PERFORM pgq.send('dq', '{"d": "ts"}'::jsonb, clock_timestamp() + interval '1 hour');
    PERFORM pgq.send('dq', '{"d": "h-int"}'::jsonb, '{}'::jsonb, 3600);
    PERFORM pgq.send('dq', '{"d": "h-ts"}'::jsonb, '{}'::jsonb, clock_timestamp() + interval '1 hour');
    PERFORM pgq.send_batch('dq', ARRAY['{"d": "b-int"}']::jsonb[], 3600);
    PERFORM pgq.send_batch('dq', ARRAY['{"d": "b-ts"}']::jsonb[], clock_timestamp() + interval '1 hour');
    PERFORM pgq.send('dq', '{"d": "zero"}'::jsonb, 0);
    PERFORM pgq.send('dq', '{"d": "past"}'::jsonb, now() - interval '1 hour');
    -- visible by the clock, though not yet at transaction start
    PERFORM pg_sleep(0.01);
    PERFORM pgq.send('dq', '{"d": "clock"}'::jsonb, now() + interval '1 millisecond');
    PERFORM pg_sleep(0.01);
END
$$;

SELECT is((SELECT queue_visible_length FROM pgq.metrics('dq')), 3::bigint,
          'metrics counts only the messages whose delay has passed');
SELECT results_eq($$SELECT message ->> 'd' FROM pgq.read('dq', 30, 100)$$,
                  ARRAY['zero', 'past', 'clock'],
                  'read returns only the messages whose delay has passed (judged by the clock)');
SELECT is((SELECT count(*) FROM pgq.pop('dq', 100)), 0::bigint,
          'pop finds nothing visible either');

-- ---------------------------------------------------------------------
-- read (15)
-- ---------------------------------------------------------------------
SELECT lives_ok($$SELECT pgq.create_queue('rq')$$, 'create_queue(rq)');
SELECT results_eq(
    $$SELECT * FROM pgq.send_batch('rq', ARRAY['{"r": 1}', '{"r": 2}', '{"r": 3}', '{"r": 4}', '{"r": 5}']::jsonb[],
                                   ARRAY['{"rh": 1}', NULL, NULL, NULL, NULL]::jsonb[])$$,
    ARRAY[1, 2, 3, 4, 5]::bigint[],
    'five messages in rq'
);

CREATE TEMP TABLE rd1 AS SELECT * FROM pgq.read('rq', 30, 2) WITH ORDINALITY AS r;

SELECT results_eq('SELECT msg_id FROM rd1 ORDER BY ordinality', ARRAY[1, 2]::bigint[],
                  'read(qty => 2) returns the two sent first');
SELECT results_eq('SELECT message FROM rd1 ORDER BY ordinality', ARRAY['{"r": 1}', '{"r": 2}']::jsonb[],
                  'read returns the messages');
SELECT results_eq('SELECT headers FROM rd1 ORDER BY ordinality', ARRAY['{"rh": 1}', NULL]::jsonb[],
                  'read returns the headers');
SELECT ok((SELECT bool_and(read_ct = 1) FROM rd1), 'read returns read_ct = 1 on the first read');
SELECT ok(
    (SELECT bool_and(vt > clock_timestamp() + interval '25 seconds'
                     AND vt <= clock_timestamp() + interval '30 seconds') FROM rd1),
    'read returns vt = now + 30 seconds'
);
SELECT ok(
    (SELECT bool_and(last_read_at >= now() AND last_read_at <= clock_timestamp()) FROM rd1),
    'read returns last_read_at = now'
);
SELECT is(
    (SELECT count(*) FROM rd1 r JOIN pgq.q_rq q USING (msg_id)
      WHERE (r.read_ct, r.enqueued_at, r.last_read_at, r.vt, r.message, r.headers)
            IS NOT DISTINCT FROM
            (q.read_ct, q.enqueued_at, q.last_read_at, q.vt, q.message, q.headers)),
    2::bigint,
    'the rows read returns are the rows as now stored'
);

SELECT results_eq($$SELECT msg_id FROM pgq.read('rq', 30, 10)$$, ARRAY[3, 4, 5]::bigint[],
                  'a second read skips the hidden messages and returns the rest');
SELECT is((SELECT count(*) FROM pgq.read('rq', 30, 10)), 0::bigint,
          'a third read returns nothing: every message is hidden');
SELECT is((SELECT queue_visible_length FROM pgq.metrics('rq')), 0::bigint, 'metrics agrees: none visible');
SELECT is((SELECT count(*) FROM pgq.q_rq), 5::bigint, 'read deletes nothing');

-- vt => 0 leaves the message visible; a second read counts again
SELECT lives_ok($$SELECT pgq.create_queue('rq0')$$, 'create_queue(rq0)');
DO $$ BEGIN PERFORM pgq.send('rq0', '{}'::jsonb); PERFORM pgq.read('rq0', 0, 1); END $$;
SELECT results_eq($$SELECT msg_id, read_ct FROM pgq.read('rq0', 30, 1)$$,
                  $$VALUES (1::bigint, 2)$$,
                  'after read(vt => 0) the message is visible again and read_ct counts up');

-- ---------------------------------------------------------------------
-- read order: visible longest first (vt, then msg_id) (4)
-- (that a read does not visit the messages in flight: test/sql/read_order.sql)
-- ---------------------------------------------------------------------
SELECT lives_ok($$SELECT pgq.create_queue('ro')$$, 'create_queue(ro)');
DO $$
BEGIN
    PERFORM pgq.send_batch('ro', array_agg(jsonb_build_object('n', g))) FROM generate_series(1, 1000) g;
    PERFORM pgq.read('ro', 3600, 1000);                           -- 1..1000 in flight for an hour
    PERFORM pgq.send_batch('ro', ARRAY['{"n": 1001}', '{"n": 1002}', '{"n": 1003}']::jsonb[]);
    PERFORM pgq.send('ro', '{"n": 1004}', '2000-01-01 00:00:00+00'::timestamptz);  -- due in 2000
    PERFORM pgq.set_vt('ro', 1001, 0);                            -- visible again from now
END
$$;
SELECT results_eq(
    $$SELECT msg_id FROM pgq.read('ro', 0, 1) UNION ALL SELECT msg_id FROM pgq.read('ro', 0, 1)$$,
    ARRAY[1004, 1004]::bigint[],
    'the message due longest ago comes first, before lower ids; read(vt => 0) leaves it at the head');
SELECT results_eq(
    $$SELECT (pgq.read('ro', 60, 1)).msg_id FROM generate_series(1, 4)$$,
    ARRAY[1004, 1002, 1003, 1001]::bigint[],
    'then the others in the order they became visible: 1001, made visible last by set_vt, comes last');
SELECT is((SELECT count(*) FROM pgq.read('ro', 60, 10)), 0::bigint, 'nothing else is visible');

-- ---------------------------------------------------------------------
-- pop (8)
-- ---------------------------------------------------------------------
SELECT lives_ok($$SELECT pgq.create_queue('pq')$$, 'create_queue(pq)');
DO $$
BEGIN
    PERFORM pgq.send_batch('pq', ARRAY['{"p": 1}', '{"p": 2}', '{"p": 3}', '{"p": 4}']::jsonb[]);
    PERFORM pgq.read('pq', 0, 1);          -- msg 1: read_ct 1, still visible
END
$$;

CREATE TEMP TABLE p1 AS SELECT * FROM pgq.pop('pq');
SELECT results_eq('SELECT msg_id, read_ct, message FROM p1',
                  $$VALUES (1::bigint, 1, '{"p": 1}'::jsonb)$$,
                  'pop() takes one message (qty defaults to 1), the head (read with vt 0 kept its place), read_ct as stored');
SELECT ok(NOT EXISTS (SELECT 1 FROM pgq.q_pq WHERE msg_id = 1), 'the popped message is deleted');
SELECT is((SELECT count(*) FROM pgq.a_pq), 0::bigint, 'pop does not archive');

SELECT is((SELECT count(*) FROM pgq.set_vt('pq', 3, 60)), 1::bigint, 'hide message 3');
SELECT results_eq($$SELECT msg_id FROM pgq.pop('pq', 10)$$, ARRAY[2, 4]::bigint[],
                  'pop(qty => 10) takes only the visible messages');
SELECT results_eq('SELECT msg_id FROM pgq.q_pq', ARRAY[3]::bigint[], 'only the hidden message is left');
SELECT is((SELECT count(*) FROM pgq.pop('pq')), 0::bigint, 'pop on nothing visible returns no row');

-- ---------------------------------------------------------------------
-- set_vt (9)
-- ---------------------------------------------------------------------
SELECT lives_ok($$SELECT pgq.create_queue('sq')$$, 'create_queue(sq)');
SELECT is(pgq.send('sq', '{"s": 1}'::jsonb, '{"sh": 1}'::jsonb), 1::bigint, 'one message in sq');

CREATE TEMP TABLE sv AS SELECT * FROM pgq.set_vt('sq', 1, 60);
SELECT results_eq('SELECT msg_id, read_ct, message, headers FROM sv',
                  $$VALUES (1::bigint, 0, '{"s": 1}'::jsonb, '{"sh": 1}'::jsonb)$$,
                  'set_vt returns the one updated row; it is not a read');
SELECT ok((SELECT vt > clock_timestamp() + interval '55 seconds' AND vt <= clock_timestamp() + interval '60 seconds' FROM sv),
          'set_vt returns vt = now + 60 seconds');
SELECT ok((SELECT s.vt = q.vt FROM sv s JOIN pgq.q_sq q USING (msg_id)), 'set_vt stored the vt it returned');
SELECT is((SELECT count(*) FROM pgq.read('sq', 30, 10)), 0::bigint, 'the message is hidden');
SELECT is((SELECT count(*) FROM pgq.set_vt('sq', 1, 0)), 1::bigint, 'set_vt(vt => 0)');
SELECT results_eq($$SELECT msg_id, read_ct FROM pgq.read('sq', 30, 10)$$,
                  $$VALUES (1::bigint, 1)$$,
                  'after set_vt(vt => 0) the message is visible again');
SELECT is((SELECT count(*) FROM pgq.set_vt('sq', 42, 0)), 0::bigint, 'set_vt of a missing msg_id returns no row');

-- ---------------------------------------------------------------------
-- archive (10)
-- ---------------------------------------------------------------------
SELECT lives_ok($$SELECT pgq.create_queue('aq')$$, 'create_queue(aq)');
DO $$
BEGIN
    PERFORM pgq.send_batch('aq', ARRAY['{"a": 1}', '{"a": 2}', '{"a": 3}', '{"a": 4}', '{"a": 5}']::jsonb[],
                           ARRAY['{"ah": 1}', NULL, NULL, NULL, NULL]::jsonb[]);
    PERFORM pgq.read('aq', 30, 1);         -- msg 1: read_ct 1, hidden
END
$$;
CREATE TEMP TABLE aq_before AS SELECT * FROM pgq.q_aq;

SELECT is(pgq.archive('aq', 1::bigint), true, 'archive(aq, 1) returns true, even for a hidden message');
SELECT ok(NOT EXISTS (SELECT 1 FROM pgq.q_aq WHERE msg_id = 1), 'the message left q_aq');
SELECT is(
    (SELECT count(*) FROM pgq.a_aq a JOIN aq_before b USING (msg_id)
      WHERE (a.read_ct, a.enqueued_at, a.last_read_at, a.vt, a.message, a.headers)
            IS NOT DISTINCT FROM
            (b.read_ct, b.enqueued_at, b.last_read_at, b.vt, b.message, b.headers)),
    1::bigint,
    'a_aq holds the message with the same msg_id and every column unchanged'
);
SELECT ok((SELECT archived_at >= now() AND archived_at <= clock_timestamp() FROM pgq.a_aq WHERE msg_id = 1),
          'archived_at is set');
SELECT is(pgq.archive('aq', 1::bigint), false, 'archiving it again returns false');
SELECT is(pgq.archive('aq', 99::bigint), false, 'archive of a missing msg_id returns false');

SELECT results_eq($$SELECT * FROM pgq.archive('aq', ARRAY[4, 99, 2, 4, 1]::bigint[])$$,
                  ARRAY[2, 4]::bigint[],
                  'archive(ids) returns the ids actually archived, ascending, once each');
SELECT results_eq('SELECT msg_id FROM pgq.a_aq ORDER BY msg_id', ARRAY[1, 2, 4]::bigint[], 'a_aq holds 1, 2, 4');
SELECT results_eq('SELECT msg_id FROM pgq.q_aq ORDER BY msg_id', ARRAY[3, 5]::bigint[], 'q_aq holds 3, 5');

-- ---------------------------------------------------------------------
-- delete (6)
-- ---------------------------------------------------------------------
SELECT lives_ok($$SELECT pgq.create_queue('delq')$$, 'create_queue(delq)');
DO $$ BEGIN PERFORM pgq.send_batch('delq', ARRAY['{}', '{}', '{}', '{}']::jsonb[]); END $$;
SELECT is(pgq.delete('delq', 2::bigint), true, 'delete(delq, 2) returns true');
SELECT is(pgq.delete('delq', 2::bigint), false, 'deleting it again returns false');
SELECT results_eq($$SELECT * FROM pgq.delete('delq', ARRAY[4, 2, 99, 1, 4]::bigint[])$$,
                  ARRAY[1, 4]::bigint[],
                  'delete(ids) returns only the ids that existed, ascending, once each');
SELECT results_eq('SELECT msg_id FROM pgq.q_delq', ARRAY[3]::bigint[], 'only message 3 is left');
SELECT is((SELECT count(*) FROM pgq.a_delq), 0::bigint, 'delete does not archive');

-- ---------------------------------------------------------------------
-- purge_queue (3)
-- ---------------------------------------------------------------------
SELECT is(pgq.purge_queue('aq'), 2::bigint, 'purge_queue(aq) returns the number of messages deleted');
SELECT results_eq('SELECT (SELECT count(*) FROM pgq.q_aq), (SELECT count(*) FROM pgq.a_aq)',
                  $$VALUES (0::bigint, 3::bigint)$$,
                  'purge emptied q_aq and left the archive alone');
SELECT is(pgq.purge_queue('aq'), 0::bigint, 'purging an empty queue returns 0');

-- ---------------------------------------------------------------------
-- metrics / metrics_all (8)
-- ---------------------------------------------------------------------
SELECT lives_ok($$SELECT pgq.create_queue('mq')$$, 'create_queue(mq)');
SELECT lives_ok($$SELECT pgq.create_queue('emq')$$, 'create_queue(emq)');
DO $$
BEGIN
    PERFORM pgq.send_batch('mq', ARRAY['{}', '{}', '{}']::jsonb[]);       -- 1, 2, 3 visible
    PERFORM pgq.send_batch('mq', ARRAY['{}', '{}']::jsonb[], 3600);       -- 4, 5 delayed
    PERFORM pgq.read('mq', 30, 1);                                        -- 1 hidden
    PERFORM pgq.delete('mq', 2::bigint);                                  -- 2 gone
END
$$;

SELECT results_eq(
    $$SELECT queue_name, queue_length, queue_visible_length, total_messages FROM pgq.metrics('mq')$$,
    $$VALUES ('mq'::text, 4::bigint, 1::bigint, 5::bigint)$$,
    'metrics(mq): 4 messages, 1 visible, 5 ever sent'
);
SELECT ok(
    (SELECT newest_msg_age_sec >= 0 AND oldest_msg_age_sec >= newest_msg_age_sec
            AND oldest_msg_age_sec <= extract(epoch FROM clock_timestamp() - now()) + 1
       FROM pgq.metrics('mq')),
    'metrics(mq): message ages are whole seconds since enqueue'
);
SELECT ok((SELECT scrape_time > now() AND scrape_time <= clock_timestamp() FROM pgq.metrics('mq')),
          'metrics scrape_time is the clock time, not the transaction start');
SELECT results_eq(
    $$SELECT queue_name, queue_length, queue_visible_length, newest_msg_age_sec, oldest_msg_age_sec, total_messages
        FROM pgq.metrics('emq')$$,
    $$VALUES ('emq'::text, 0::bigint, 0::bigint, NULL::integer, NULL::integer, 0::bigint)$$,
    'metrics of a never-used queue: zeros and NULL ages'
);
SELECT results_eq('SELECT queue_name FROM pgq.metrics_all()',
                  'SELECT queue_name FROM pgq.meta ORDER BY queue_name',
                  'metrics_all: one row per queue, ordered by queue_name');
SELECT results_eq(
    $$SELECT queue_name, queue_length, queue_visible_length, total_messages
        FROM pgq.metrics_all() WHERE queue_name IN ('emq', 'mq')$$,
    $$VALUES ('emq'::text, 0::bigint, 0::bigint, 0::bigint), ('mq'::text, 4::bigint, 1::bigint, 5::bigint)$$,
    'metrics_all agrees with metrics'
);

-- ---------------------------------------------------------------------
-- list_queues (3)
-- ---------------------------------------------------------------------
SELECT results_eq('SELECT queue_name::text, is_partitioned, is_unlogged FROM pgq.list_queues()',
                  'SELECT queue_name, is_partitioned, is_unlogged FROM pgq.meta ORDER BY queue_name',
                  'list_queues returns the meta rows ordered by queue_name');
SELECT results_eq($$SELECT queue_name::text, is_unlogged FROM pgq.list_queues() WHERE queue_name IN ('cq', 'uq')$$,
                  $$VALUES ('cq'::text, false), ('uq'::text, true)$$,
                  'list_queues shows is_unlogged');
SELECT is(
    (SELECT count(*) FROM pgq.list_queues() l JOIN pgq.meta m USING (queue_name)
      WHERE l.created_at = m.created_at),
    (SELECT count(*) FROM pgq.meta),
    'list_queues shows created_at'
);

-- ---------------------------------------------------------------------
-- drop_queue (12)
-- ---------------------------------------------------------------------
SELECT lives_ok($$SELECT pgq.create_queue('dropq')$$, 'create_queue(dropq)');
DO $$ BEGIN PERFORM pgq.send_batch('dropq', ARRAY['{}', '{}']::jsonb[]); PERFORM pgq.archive('dropq', 1::bigint); END $$;

SELECT is(pgq.drop_queue('dropq'), true, 'drop_queue(dropq) returns true');
SELECT hasnt_table('pgq', 'q_dropq', 'pgq.q_dropq is gone');
SELECT hasnt_table('pgq', 'a_dropq', 'pgq.a_dropq is gone');
SELECT is(
    (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'pgq' AND (c.relname LIKE 'q\_dropq%' OR c.relname LIKE 'a\_dropq%')),
    0::bigint,
    'no index or sequence of dropq is left'
);
SELECT ok(NOT EXISTS (SELECT 1 FROM pgq.meta WHERE queue_name = 'dropq'), 'the meta row is gone');
SELECT ok(NOT EXISTS (SELECT 1 FROM pgq.list_queues() WHERE queue_name = 'dropq'), 'list_queues no longer shows it');
SELECT throws_ok($$SELECT pgq.send('dropq', '{}'::jsonb)$$, '42P01', 'queue "dropq" does not exist',
                 'send to the dropped queue, in the same session');
SELECT throws_ok($$SELECT * FROM pgq.read('dropq', 30, 1)$$, '42P01', 'queue "dropq" does not exist',
                 'read from the dropped queue, in the same session');
SELECT is(pgq.drop_queue('dropq'), false, 'dropping it again returns false');

SELECT lives_ok($$SELECT pgq.create_queue('dropq', true)$$, 'create dropq again, unlogged');
SELECT results_eq(
    $$SELECT pgq.send('dropq', '{"again": true}'::jsonb)
      UNION ALL
      SELECT msg_id FROM pgq.read('dropq', 30, 1)$$,
    ARRAY[1, 1]::bigint[],
    'the re-created queue works: ids from 1, readable'
);

-- ---------------------------------------------------------------------
-- queue names as pgmq has them: capitals fold to lower case, hyphens,
-- spaces and double quotes are fine, the table is 'q_' || lower(name) (12)
-- ---------------------------------------------------------------------
SELECT lives_ok($$SELECT pgq.create_queue('Has-Dash')$$, 'create_queue(Has-Dash)');
SELECT ok(to_regclass('pgq."q_has-dash"') IS NOT NULL AND to_regclass('pgq."a_has-dash"') IS NOT NULL
          AND to_regclass('pgq."q_Has-Dash"') IS NULL,
          'its tables are pgq."q_has-dash" and pgq."a_has-dash"');
SELECT is(pgq.send('HAS-DASH', '{"d": 1}'::jsonb), 1::bigint, 'send to HAS-DASH');
SELECT results_eq($$SELECT msg_id, message FROM pgq.read('has-dash', 30, 5)$$,
                  $$VALUES (1::bigint, '{"d": 1}'::jsonb)$$,
                  'read from has-dash finds what was sent to HAS-DASH');
SELECT results_eq($$SELECT queue_name::text FROM pgq.list_queues() WHERE lower(queue_name) = 'has-dash'$$,
                  ARRAY['has-dash'],
                  'list_queues shows the queue once, as has-dash');
SELECT lives_ok($$SELECT pgq.create_queue('MyQueue')$$, 'create_queue(MyQueue)');
SELECT lives_ok($$SELECT pgq.create_queue('myqueue')$$, 'create_queue(myqueue) is the same queue: a NOTICE, no error');
SELECT is((SELECT count(*) FROM pgq.meta WHERE lower(queue_name) = 'myqueue'), 1::bigint,
          'one queue myqueue');
SELECT is(pgq.drop_queue('MYQUEUE'), true, 'drop_queue(MYQUEUE) drops it');
SELECT lives_ok($$SELECT pgq.create_queue('quo"te d')$$, 'create_queue with a double quote and a space');
SELECT is(pgq.send('QUO"TE D', '{"q": 1}'::jsonb), 1::bigint, 'send to it');
SELECT results_eq($$SELECT m.message FROM pgq.pop('quo"te d') m$$, ARRAY['{"q": 1}'::jsonb],
                  'pop from it: the message made the round trip');

-- ---------------------------------------------------------------------
-- pgmq's create functions; list_queues' columns (5)
-- ---------------------------------------------------------------------
SELECT lives_ok($$SELECT pgq."create"('pm_c')$$, 'create(pm_c)');
SELECT lives_ok($$SELECT pgq.create_non_partitioned('pm_n')$$, 'create_non_partitioned(pm_n)');
SELECT lives_ok($$SELECT pgq.create_unlogged('pm_u')$$, 'create_unlogged(pm_u)');
SELECT results_eq(
    $$SELECT queue_name::text, is_partitioned, is_unlogged FROM pgq.list_queues() WHERE queue_name LIKE 'pm\_%'$$,
    $$VALUES ('pm_c', false, false), ('pm_n', false, false), ('pm_u', false, true)$$,
    'list_queues: create and create_non_partitioned make logged queues, create_unlogged an unlogged one; none is partitioned'
);
SELECT results_eq(
    $$SELECT c.relname::text COLLATE "default", c.relpersistence::text
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'pgq' AND c.relname IN ('q_pm_c', 'q_pm_n', 'q_pm_u', 'a_pm_u')
       ORDER BY c.relname$$,
    $$VALUES ('a_pm_u', 'p'), ('q_pm_c', 'p'), ('q_pm_n', 'p'), ('q_pm_u', 'u')$$,
    'the tables are what list_queues says'
);

-- ---------------------------------------------------------------------
-- send returns SETOF bigint, one row (3)
-- ---------------------------------------------------------------------
SELECT is((SELECT count(*) FROM pgq.send('pm_c', '{"s": 1}'::jsonb)), 1::bigint, 'SELECT count(*) FROM pgq.send(...) is 1');
SELECT results_eq($$SELECT * FROM pgq.send('pm_c', '{"s": 2}'::jsonb, '{"h": 1}'::jsonb, 0)$$, ARRAY[2]::bigint[],
                  'SELECT * FROM pgq.send(...) gives the id');
SELECT is((SELECT count(DISTINCT id) FROM generate_series(1, 3) g, LATERAL pgq.send('pm_c', jsonb_build_object('g', g)) id),
          3::bigint, 'send in a LATERAL join: one new id per row');

-- ---------------------------------------------------------------------
-- read's conditional: containment, applied before qty; '{}' is no
-- condition (6)
-- ---------------------------------------------------------------------
SELECT results_eq(
    $$SELECT * FROM pgq.send_batch('pm_n', ARRAY['{"k": "a", "n": 1}', '{"k": "b", "n": 2}',
                                                 '{"k": "a", "n": 3, "x": {"y": 1, "z": 2}}']::jsonb[])$$,
    ARRAY[1, 2, 3]::bigint[], 'three messages in pm_n');
SELECT results_eq($$SELECT msg_id FROM pgq.read('pm_n', 0, 10, '{"k": "a"}')$$, ARRAY[1, 3]::bigint[],
                  'conditional {"k": "a"} returns the messages that contain it');
SELECT results_eq($$SELECT msg_id FROM pgq.read('pm_n', 0, 10, '{"x": {"y": 1}}')$$, ARRAY[3]::bigint[],
                  'containment reaches into nested objects');
SELECT results_eq($$SELECT msg_id FROM pgq.read('pm_n', 0, 1, '{"n": 3}')$$, ARRAY[3]::bigint[],
                  'the condition is applied before qty: qty 1 finds the one match behind others');
SELECT is((SELECT count(*) FROM pgq.read('pm_n', 30, 10, '{"k": "none"}')), 0::bigint,
          'no message matches: no row, and nothing is hidden');
SELECT results_eq($$SELECT msg_id, read_ct FROM pgq.read('pm_n', 30, 10, '{}')$$,
                  $$VALUES (1::bigint, 2), (2::bigint, 1), (3::bigint, 4)$$,
                  'conditional {} reads every visible message; only the matched reads counted');

-- ---------------------------------------------------------------------
-- read_with_poll (5)
-- ---------------------------------------------------------------------
CREATE TEMP TABLE poll_t (t0 timestamptz, t1 timestamptz, n bigint);
INSERT INTO poll_t SELECT clock_timestamp(), NULL, (SELECT count(*) FROM pgq.read_with_poll('pm_c', 30, 1, 5, 100));
UPDATE poll_t SET t1 = clock_timestamp();
SELECT ok((SELECT n = 1 AND t1 - t0 < interval '1 second' FROM poll_t),
          'a visible message: read_with_poll returns it at once');
DELETE FROM poll_t;
INSERT INTO poll_t SELECT clock_timestamp(), NULL, (SELECT count(*) FROM pgq.read_with_poll('pm_u', 30, 1, 1, 100));
UPDATE poll_t SET t1 = clock_timestamp();
SELECT ok((SELECT n = 0 AND t1 - t0 >= interval '0.9 seconds' AND t1 - t0 < interval '10 seconds' FROM poll_t),
          'an empty queue: no row after about max_poll_seconds (1 s)');
DELETE FROM poll_t;
INSERT INTO poll_t SELECT clock_timestamp(), NULL, (SELECT count(*) FROM pgq.read_with_poll('pm_u', 30, 1, 0, 100));
UPDATE poll_t SET t1 = clock_timestamp();
SELECT ok((SELECT n = 0 AND t1 - t0 < interval '0.5 seconds' FROM poll_t),
          'max_poll_seconds 0: one read, no wait');
SELECT is((SELECT count(*) FROM pgq.read_with_poll('pm_c', 30, 10, 0, 100, '{"g": 2}')), 1::bigint,
          'read_with_poll takes a conditional too');
SELECT ok((SELECT read_ct = 1 AND last_read_at IS NOT NULL FROM pgq.q_pm_c WHERE message = '{"g": 2}'),
          'read_with_poll reads as read does (read_ct, last_read_at)');

-- ---------------------------------------------------------------------
-- detach_archive, format_table_name, validate_queue_name,
-- drop_queue(name, partitioned) (9)
-- ---------------------------------------------------------------------
CREATE TEMP TABLE before_detach AS
SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'pgq') AS rels,
       (SELECT count(*) FROM pg_depend d WHERE d.refobjid = to_regclass('pgq.a_pm_c') OR d.objid = to_regclass('pgq.a_pm_c')) AS deps,
       (SELECT count(*) FROM pgq.meta) AS queues;
SELECT lives_ok($$SELECT pgq.detach_archive('pm_c')$$, 'detach_archive(pm_c)');
SELECT ok(
    (SELECT rels = (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'pgq')
        AND deps = (SELECT count(*) FROM pg_depend d WHERE d.refobjid = to_regclass('pgq.a_pm_c') OR d.objid = to_regclass('pgq.a_pm_c'))
        AND queues = (SELECT count(*) FROM pgq.meta)
       FROM before_detach),
    'detach_archive changed nothing: same relations, same dependencies of a_pm_c, same queues'
);
SELECT is(pgq.format_table_name('My-Q', 'Q'), 'q_my-q', 'format_table_name(My-Q, Q) is q_my-q, as pgmq''s lower()');
SELECT is(pgq.format_table_name('pm_c', 'a'), 'a_pm_c', 'format_table_name(pm_c, a) is the archive''s name');
SELECT lives_ok($$SELECT pgq.validate_queue_name('Any Name-1.x')$$, 'validate_queue_name accepts a valid name');
SELECT is(pgq.drop_queue('pm_n', true), true, 'drop_queue(pm_n, partitioned => true) drops the queue');
SELECT ok(to_regclass('pgq.q_pm_n') IS NULL AND to_regclass('pgq.a_pm_n') IS NULL
          AND NOT EXISTS (SELECT 1 FROM pgq.meta WHERE queue_name = 'pm_n'),
          'pm_n is gone');
SELECT is(pgq.drop_queue('pm_u', false), true, 'drop_queue(pm_u, partitioned => false) drops the queue');
SELECT is(pgq.drop_queue('pm_u', false), false, 'dropping it again returns false');

-- ---------------------------------------------------------------------
-- everything happens in the caller's transaction (7)
-- ---------------------------------------------------------------------
SELECT lives_ok($$SELECT pgq.create_queue('tq')$$, 'create_queue(tq)');
SAVEPOINT before_send;
DO $$ BEGIN PERFORM pgq.send('tq', '{"t": 1}'::jsonb); END $$;
ROLLBACK TO SAVEPOINT before_send;
SELECT results_eq($$SELECT queue_length, total_messages FROM pgq.metrics('tq')$$,
                  $$VALUES (0::bigint, 1::bigint)$$,
                  'a rolled-back send leaves no message (the id is still used up)');

DO $$ BEGIN PERFORM pgq.send('tq', '{"t": 2}'::jsonb); END $$;
SAVEPOINT before_read;
DO $$ BEGIN PERFORM pgq.read('tq', 3600, 1); END $$;
ROLLBACK TO SAVEPOINT before_read;
SELECT results_eq($$SELECT msg_id, read_ct FROM pgq.read('tq', 30, 1)$$,
                  $$VALUES (2::bigint, 1)$$,
                  'a rolled-back read neither hides the message nor counts');

DO $$ BEGIN PERFORM pgq.send('cq', '{"c": 1}'::jsonb); END $$;
SAVEPOINT before_drop;
SELECT is(pgq.drop_queue('cq'), true, 'drop_queue(cq) inside a savepoint');
SELECT lives_ok($$SELECT pgq.create_queue('cq', true)$$, 'create cq again, unlogged, inside the savepoint');
ROLLBACK TO SAVEPOINT before_drop;
SELECT results_eq(
    $$SELECT pgq.send('cq', '{"c": 2}'::jsonb)
      UNION ALL
      SELECT msg_id FROM pgq.read('cq', 30, 5)$$,
    ARRAY[2, 1, 2]::bigint[],
    'after a rolled-back drop and re-create the original queue and its messages are back and work'
);
SELECT is((SELECT relpersistence::text FROM pg_class WHERE oid = to_regclass('pgq.q_cq')), 'p',
          'q_cq is logged again');

SELECT * FROM finish();
ROLLBACK;
