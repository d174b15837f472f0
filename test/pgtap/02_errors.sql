-- test/pgtap/02_errors.sql
--
-- Every error of the API contract, for every function that can raise it:
-- SQLSTATE and message text exactly, the DETAIL and HINT of the queue name
-- error, the order in which arguments are checked, and the edge cases that
-- must NOT raise an error.
--
-- Queue names (0.5.0, as pgmq's): 1 to 47 bytes, any character but control
-- characters, $ ; ' and the sequence --; ASCII capitals fold to lower case.
-- A new queue's name may not end as the names of a queue's indexes and
-- sequence do (_pkey, _vt_idx, _archived_idx, _msg_id_seq).
--
-- Queue "errq" exists; "nosuch" is a valid name that is not a queue;
-- "Bad;Name" is an invalid one.
--
-- Run with pg_prove against a database where pgtap and pgq are installed.

\unset ECHO
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
\set ON_ERROR_STOP true

BEGIN;

SELECT plan(280);

-- returns the HINT of the error the statement raises, '' if the error has
-- none, and '(no error)' if it does not fail
CREATE FUNCTION pg_temp.error_hint(stmt text)
RETURNS text
LANGUAGE plpgsql
AS $fn$
DECLARE
    hint text;
BEGIN
    EXECUTE stmt;
    RETURN '(no error)';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
    RETURN hint;
END
$fn$;

-- the same for the DETAIL
CREATE FUNCTION pg_temp.error_detail(stmt text)
RETURNS text
LANGUAGE plpgsql
AS $fn$
DECLARE
    detail text;
BEGIN
    EXECUTE stmt;
    RETURN '(no error)';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN detail;
END
$fn$;

SELECT lives_ok($$SELECT pgq.create_queue('errq')$$, 'create queue errq');
SELECT lives_ok($$SELECT pgq.send('errq', '{"seed": 1}'::jsonb)$$, 'seed one message into errq');

-- ---------------------------------------------------------------------
-- queue name NULL: 22004, every function with a queue name (25)
-- ---------------------------------------------------------------------
SELECT throws_ok($$SELECT pgq.create_queue(NULL)$$,                                            '22004', 'queue name must not be null', 'create_queue(NULL)');
SELECT throws_ok($$SELECT pgq.create_queue(NULL, true)$$,                                      '22004', 'queue name must not be null', 'create_queue(NULL, true)');
SELECT throws_ok($$SELECT pgq.drop_queue(NULL)$$,                                              '22004', 'queue name must not be null', 'drop_queue(NULL)');
SELECT throws_ok($$SELECT pgq.purge_queue(NULL)$$,                                             '22004', 'queue name must not be null', 'purge_queue(NULL)');
SELECT throws_ok($$SELECT * FROM pgq.metrics(NULL)$$,                                          '22004', 'queue name must not be null', 'metrics(NULL)');
SELECT throws_ok($$SELECT pgq.send(NULL, '{}'::jsonb)$$,                                       '22004', 'queue name must not be null', 'send(NULL, msg)');
SELECT throws_ok($$SELECT pgq.send(NULL, '{}'::jsonb, '{}'::jsonb)$$,                          '22004', 'queue name must not be null', 'send(NULL, msg, headers)');
SELECT throws_ok($$SELECT pgq.send(NULL, '{}'::jsonb, 0)$$,                                    '22004', 'queue name must not be null', 'send(NULL, msg, delay int)');
SELECT throws_ok($$SELECT pgq.send(NULL, '{}'::jsonb, now())$$,                                '22004', 'queue name must not be null', 'send(NULL, msg, delay timestamptz)');
SELECT throws_ok($$SELECT pgq.send(NULL, '{}'::jsonb, '{}'::jsonb, 0)$$,                       '22004', 'queue name must not be null', 'send(NULL, msg, headers, delay int)');
SELECT throws_ok($$SELECT pgq.send(NULL, '{}'::jsonb, '{}'::jsonb, now())$$,                   '22004', 'queue name must not be null', 'send(NULL, msg, headers, delay timestamptz)');
SELECT throws_ok($$SELECT pgq.send_batch(NULL, ARRAY['{}']::jsonb[])$$,                        '22004', 'queue name must not be null', 'send_batch(NULL, msgs)');
SELECT throws_ok($$SELECT pgq.send_batch(NULL, ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[])$$,  '22004', 'queue name must not be null', 'send_batch(NULL, msgs, headers)');
SELECT throws_ok($$SELECT pgq.send_batch(NULL, ARRAY['{}']::jsonb[], 0)$$,                     '22004', 'queue name must not be null', 'send_batch(NULL, msgs, delay int)');
SELECT throws_ok($$SELECT pgq.send_batch(NULL, ARRAY['{}']::jsonb[], now())$$,                 '22004', 'queue name must not be null', 'send_batch(NULL, msgs, delay timestamptz)');
SELECT throws_ok($$SELECT pgq.send_batch(NULL, ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], 0)$$,     '22004', 'queue name must not be null', 'send_batch(NULL, msgs, headers, delay int)');
SELECT throws_ok($$SELECT pgq.send_batch(NULL, ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], now())$$, '22004', 'queue name must not be null', 'send_batch(NULL, msgs, headers, delay timestamptz)');
SELECT throws_ok($$SELECT * FROM pgq.read(NULL, 30, 1)$$,                                      '22004', 'queue name must not be null', 'read(NULL, ...)');
SELECT throws_ok($$SELECT * FROM pgq.pop(NULL)$$,                                              '22004', 'queue name must not be null', 'pop(NULL)');
SELECT throws_ok($$SELECT * FROM pgq.pop(NULL, 1)$$,                                           '22004', 'queue name must not be null', 'pop(NULL, qty)');
SELECT throws_ok($$SELECT * FROM pgq.set_vt(NULL, 1, 30)$$,                                    '22004', 'queue name must not be null', 'set_vt(NULL, ...)');
SELECT throws_ok($$SELECT pgq.archive(NULL, 1::bigint)$$,                                      '22004', 'queue name must not be null', 'archive(NULL, msg_id)');
SELECT throws_ok($$SELECT pgq.archive(NULL, ARRAY[1]::bigint[])$$,                             '22004', 'queue name must not be null', 'archive(NULL, msg_ids)');
SELECT throws_ok($$SELECT pgq.delete(NULL, 1::bigint)$$,                                       '22004', 'queue name must not be null', 'delete(NULL, msg_id)');
SELECT throws_ok($$SELECT pgq.delete(NULL, ARRAY[1]::bigint[])$$,                              '22004', 'queue name must not be null', 'delete(NULL, msg_ids)');

-- ---------------------------------------------------------------------
-- invalid queue name: 42602, every function with a queue name (25)
-- ---------------------------------------------------------------------
SELECT throws_ok($$SELECT pgq.create_queue('Bad;Name')$$,                                         '42602', 'invalid queue name "Bad;Name"', 'create_queue(bad name)');
SELECT throws_ok($$SELECT pgq.create_queue('Bad;Name', true)$$,                                   '42602', 'invalid queue name "Bad;Name"', 'create_queue(bad name, true)');
SELECT throws_ok($$SELECT pgq.drop_queue('Bad;Name')$$,                                           '42602', 'invalid queue name "Bad;Name"', 'drop_queue(bad name)');
SELECT throws_ok($$SELECT pgq.purge_queue('Bad;Name')$$,                                          '42602', 'invalid queue name "Bad;Name"', 'purge_queue(bad name)');
SELECT throws_ok($$SELECT * FROM pgq.metrics('Bad;Name')$$,                                       '42602', 'invalid queue name "Bad;Name"', 'metrics(bad name)');
SELECT throws_ok($$SELECT pgq.send('Bad;Name', '{}'::jsonb)$$,                                    '42602', 'invalid queue name "Bad;Name"', 'send(bad name, msg)');
SELECT throws_ok($$SELECT pgq.send('Bad;Name', '{}'::jsonb, '{}'::jsonb)$$,                       '42602', 'invalid queue name "Bad;Name"', 'send(bad name, msg, headers)');
SELECT throws_ok($$SELECT pgq.send('Bad;Name', '{}'::jsonb, 0)$$,                                 '42602', 'invalid queue name "Bad;Name"', 'send(bad name, msg, delay int)');
SELECT throws_ok($$SELECT pgq.send('Bad;Name', '{}'::jsonb, now())$$,                             '42602', 'invalid queue name "Bad;Name"', 'send(bad name, msg, delay timestamptz)');
SELECT throws_ok($$SELECT pgq.send('Bad;Name', '{}'::jsonb, '{}'::jsonb, 0)$$,                    '42602', 'invalid queue name "Bad;Name"', 'send(bad name, msg, headers, delay int)');
SELECT throws_ok($$SELECT pgq.send('Bad;Name', '{}'::jsonb, '{}'::jsonb, now())$$,                '42602', 'invalid queue name "Bad;Name"', 'send(bad name, msg, headers, delay timestamptz)');
SELECT throws_ok($$SELECT pgq.send_batch('Bad;Name', ARRAY['{}']::jsonb[])$$,                     '42602', 'invalid queue name "Bad;Name"', 'send_batch(bad name, msgs)');
SELECT throws_ok($$SELECT pgq.send_batch('Bad;Name', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[])$$, '42602', 'invalid queue name "Bad;Name"', 'send_batch(bad name, msgs, headers)');
SELECT throws_ok($$SELECT pgq.send_batch('Bad;Name', ARRAY['{}']::jsonb[], 0)$$,                  '42602', 'invalid queue name "Bad;Name"', 'send_batch(bad name, msgs, delay int)');
SELECT throws_ok($$SELECT pgq.send_batch('Bad;Name', ARRAY['{}']::jsonb[], now())$$,              '42602', 'invalid queue name "Bad;Name"', 'send_batch(bad name, msgs, delay timestamptz)');
SELECT throws_ok($$SELECT pgq.send_batch('Bad;Name', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], 0)$$,     '42602', 'invalid queue name "Bad;Name"', 'send_batch(bad name, msgs, headers, delay int)');
SELECT throws_ok($$SELECT pgq.send_batch('Bad;Name', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], now())$$, '42602', 'invalid queue name "Bad;Name"', 'send_batch(bad name, msgs, headers, delay timestamptz)');
SELECT throws_ok($$SELECT * FROM pgq.read('Bad;Name', 30, 1)$$,                                   '42602', 'invalid queue name "Bad;Name"', 'read(bad name, ...)');
SELECT throws_ok($$SELECT * FROM pgq.pop('Bad;Name')$$,                                           '42602', 'invalid queue name "Bad;Name"', 'pop(bad name)');
SELECT throws_ok($$SELECT * FROM pgq.pop('Bad;Name', 1)$$,                                        '42602', 'invalid queue name "Bad;Name"', 'pop(bad name, qty)');
SELECT throws_ok($$SELECT * FROM pgq.set_vt('Bad;Name', 1, 30)$$,                                 '42602', 'invalid queue name "Bad;Name"', 'set_vt(bad name, ...)');
SELECT throws_ok($$SELECT pgq.archive('Bad;Name', 1::bigint)$$,                                   '42602', 'invalid queue name "Bad;Name"', 'archive(bad name, msg_id)');
SELECT throws_ok($$SELECT pgq.archive('Bad;Name', ARRAY[1]::bigint[])$$,                          '42602', 'invalid queue name "Bad;Name"', 'archive(bad name, msg_ids)');
SELECT throws_ok($$SELECT pgq.delete('Bad;Name', 1::bigint)$$,                                    '42602', 'invalid queue name "Bad;Name"', 'delete(bad name, msg_id)');
SELECT throws_ok($$SELECT pgq.delete('Bad;Name', ARRAY[1]::bigint[])$$,                           '42602', 'invalid queue name "Bad;Name"', 'delete(bad name, msg_ids)');

-- the DETAIL says why, the HINT gives the rule (13)
SELECT is(pg_temp.error_detail($$SELECT pgq.create_queue('')$$),
          'Queue names are 1 to 47 bytes long.', 'empty name: DETAIL gives the length rule');
SELECT is(pg_temp.error_detail(format('SELECT pgq.create_queue(%L)', repeat('a', 48))),
          'Queue names are 1 to 47 bytes long.', '48-byte name: DETAIL gives the length rule');
SELECT is(pg_temp.error_detail(format('SELECT pgq.send(%L, %L::jsonb)', repeat('é', 24), '{}')),
          'Queue names are 1 to 47 bytes long.', '24 two-byte characters (48 bytes): DETAIL gives the length rule (send)');
SELECT is(pg_temp.error_detail($$SELECT pgq.create_queue('a$b')$$),
          'Queue names may not contain "$".', 'name with $: DETAIL names it');
SELECT is(pg_temp.error_detail($$SELECT pgq.drop_queue('a;b')$$),
          'Queue names may not contain ";".', 'name with ;: DETAIL names it (drop_queue)');
SELECT is(pg_temp.error_detail($$SELECT pgq.send('it''s', '{}'::jsonb)$$),
          'Queue names may not contain a quote ('').', 'name with a quote: DETAIL names it (send)');
SELECT is(pg_temp.error_detail($$SELECT * FROM pgq.read('a--b', 30, 1)$$),
          'Queue names may not contain "--".', 'name with --: DETAIL names it (read)');
SELECT is(pg_temp.error_detail($$SELECT pgq.create_queue(E'a\tb')$$),
          'Queue names may not contain a control character.', 'name with a tab: DETAIL says control character');
SELECT is(pg_temp.error_detail($$SELECT pgq.purge_queue(E'a\x7fb')$$),
          'Queue names may not contain a control character.', 'name with DEL (0x7f): DETAIL says control character (purge_queue)');
SELECT is(pg_temp.error_hint($$SELECT pgq.create_queue('Bad;Name')$$),
          'Queue names may hold any character but control characters, $, ;, '' and --.',
          'invalid queue name carries the documented HINT (create_queue)');
SELECT is(pg_temp.error_hint($$SELECT pgq.drop_queue('Bad;Name')$$),
          'Queue names may hold any character but control characters, $, ;, '' and --.',
          'invalid queue name carries the documented HINT (drop_queue)');
SELECT is(pg_temp.error_hint($$SELECT pgq.send('Bad;Name', '{}'::jsonb)$$),
          'Queue names may hold any character but control characters, $, ;, '' and --.',
          'invalid queue name carries the documented HINT (send)');
SELECT is(pg_temp.error_hint($$SELECT * FROM pgq.read('Bad;Name', 30, 1)$$),
          'Queue names may hold any character but control characters, $, ;, '' and --.',
          'invalid queue name carries the documented HINT (read)');

-- the name rule itself: 1-47 bytes; no control character, $, ;, ' or -- (11)
SELECT throws_ok($$SELECT pgq.create_queue('')$$,                     '42602', 'invalid queue name ""', 'empty name is invalid');
SELECT throws_ok(format('SELECT pgq.create_queue(%L)', repeat('a', 48)),
                 '42602', format('invalid queue name "%s"', repeat('a', 48)), '48-byte name is invalid');
SELECT throws_ok(format('SELECT pgq.create_queue(%L)', repeat('é', 24)),
                 '42602', format('invalid queue name "%s"', repeat('é', 24)), '24 characters of 2 bytes are invalid: the limit is in bytes');
SELECT throws_ok($$SELECT pgq.create_queue('a$b')$$,                  '42602', 'invalid queue name "a$b"', '$ is invalid');
SELECT throws_ok($$SELECT pgq.create_queue('a;b')$$,                  '42602', 'invalid queue name "a;b"', '; is invalid');
SELECT throws_ok($$SELECT pgq.create_queue('it''s')$$,                '42602', 'invalid queue name "it''s"', 'a quote is invalid');
SELECT throws_ok($$SELECT pgq.create_queue('a--b')$$,                 '42602', 'invalid queue name "a--b"', '-- is invalid');
SELECT throws_ok($$SELECT pgq.create_queue(E'a\tb')$$,                '42602', E'invalid queue name "a\tb"', 'a tab is invalid');
SELECT throws_ok($$SELECT pgq.create_queue('x; drop table pgq.meta')$$, '42602', 'invalid queue name "x; drop table pgq.meta"', 'SQL text is invalid');
SELECT throws_ok($$SELECT pgq.send(E'abc\n', '{}'::jsonb)$$,          '42602', E'invalid queue name "abc\n"', 'trailing newline is invalid (send)');
SELECT throws_ok($$SELECT pgq.send('Abc$', '{}'::jsonb)$$,            '42602', 'invalid queue name "Abc$"', 'the message quotes the name as given, capitals and all');

-- what pgq refused before 0.5.0 and pgmq allows is valid now (19)
SELECT lives_ok(format('SELECT pgq.create_queue(%L)', repeat('z', 47)), '47-byte name is valid');
SELECT lives_ok(format('SELECT pgq.create_queue(%L)', repeat('é', 23) || 'x'), '47 bytes in 24 characters is valid');
SELECT lives_ok($$SELECT pgq.create_queue('_')$$,                      'a lone underscore is a valid name');
SELECT lives_ok($$SELECT pgq.create_queue('_9')$$,                     'underscore then digit is a valid name');
SELECT lives_ok($$SELECT pgq.create_queue('a0_z9')$$,                  'letters, digits and underscores make a valid name');
SELECT lives_ok($$SELECT pgq.create_queue('1abc')$$,                   'a leading digit is valid');
SELECT lives_ok($$SELECT pgq.create_queue('a-b')$$,                    'a hyphen is valid');
SELECT lives_ok($$SELECT pgq.create_queue('a b')$$,                    'a space is valid');
SELECT lives_ok($$SELECT pgq.create_queue('a.b')$$,                    'a dot is valid');
SELECT lives_ok($$SELECT pgq.create_queue('é')$$,                      'a non-ASCII letter is valid');
SELECT lives_ok($$SELECT pgq.create_queue('quo"te')$$,                 'a double quote is valid');
SELECT lives_ok($$SELECT pgq.create_queue('back\slash')$$,             'a backslash is valid');
SELECT lives_ok($$SELECT pgq.create_queue('MiXeD')$$,                  'capitals are valid');
SELECT results_eq(
    $$SELECT queue_name::text FROM pgq.list_queues()
       WHERE queue_name IN ('1abc', 'a-b', 'a b', 'a.b', 'é', 'quo"te', 'back\slash', 'mixed', 'MiXeD')
       ORDER BY queue_name COLLATE "C"$$,
    $$VALUES ('1abc'), ('a b'), ('a-b'), ('a.b'), ('back\slash'), ('mixed'), ('quo"te'), ('é')$$,
    'the new queues are listed under their names, capitals folded to lower case'
);
SELECT is(
    (SELECT count(*) FROM pgq.meta m
      WHERE to_regclass(format('pgq.%I', 'q_' || m.queue_name)) IS NOT NULL
        AND to_regclass(format('pgq.%I', 'a_' || m.queue_name)) IS NOT NULL
        AND m.queue_name IN ('1abc', 'a-b', 'a b', 'a.b', 'é', 'quo"te', 'back\slash', 'mixed',
                             repeat('z', 47), repeat('é', 23) || 'x')),
    10::bigint,
    'each has its tables pgq.q_<name> and pgq.a_<name>'
);
SELECT lives_ok($$SELECT pgq.send('MIXED', '{}'::jsonb)$$,             'send to the queue in other capitals');
SELECT is((SELECT count(*) FROM pgq.read('mixed', 30, 5)), 1::bigint,  'read finds the message under the lower-case name');
SELECT throws_ok($$SELECT pgq.send('abc ', '{}'::jsonb)$$,            '42P01', 'queue "abc " does not exist',
                 'a trailing space is part of the name, not trimmed (send to a missing queue)');
SELECT throws_ok($$SELECT pgq.send('MiSsInG', '{}'::jsonb)$$,         '42P01', 'queue "missing" does not exist',
                 'the missing-queue error names the folded name');

-- a new queue's name may not end as a queue's index or sequence names do (11)
SELECT throws_ok($$SELECT pgq.create_queue('x_pkey')$$,               '42602', 'invalid queue name "x_pkey"', 'create_queue: _pkey is reserved');
SELECT throws_ok($$SELECT pgq.create_queue('x_vt_idx', true)$$,       '42602', 'invalid queue name "x_vt_idx"', 'create_queue: _vt_idx is reserved');
SELECT throws_ok($$SELECT pgq.create_queue('x_archived_idx')$$,       '42602', 'invalid queue name "x_archived_idx"', 'create_queue: _archived_idx is reserved');
SELECT throws_ok($$SELECT pgq.create_queue('x_msg_id_seq')$$,         '42602', 'invalid queue name "x_msg_id_seq"', 'create_queue: _msg_id_seq is reserved');
SELECT throws_ok($$SELECT pgq."create"('X_PKEY')$$,                   '42602', 'invalid queue name "x_pkey"', 'create: reserved after folding to lower case');
SELECT throws_ok($$SELECT pgq.create_unlogged('u_vt_idx')$$,          '42602', 'invalid queue name "u_vt_idx"', 'create_unlogged: reserved');
SELECT throws_ok($$SELECT pgq.create_non_partitioned('n_msg_id_seq')$$, '42602', 'invalid queue name "n_msg_id_seq"', 'create_non_partitioned: reserved');
SELECT throws_ok($$SELECT pgq.validate_queue_name('v_archived_idx')$$, '42602', 'invalid queue name "v_archived_idx"', 'validate_queue_name: reserved');
SELECT is(pg_temp.error_detail($$SELECT pgq.create_queue('x_pkey')$$),
          'Names ending in "_pkey" are reserved for the indexes and sequences of queues.',
          'the DETAIL names the reserved ending');
SELECT lives_ok($$SELECT pgq.create_queue('x_pkey_not_last')$$,      'a reserved ending elsewhere in the name is fine');
SELECT throws_ok($$SELECT pgq.send('x_pkey', '{}'::jsonb)$$,          '42P01', 'queue "x_pkey" does not exist',
                 'other functions look such a name up (queues made before 0.4.0 may have one)');

-- ---------------------------------------------------------------------
-- unknown queue: 42P01, every function but create_queue / drop_queue (22)
-- ---------------------------------------------------------------------
SELECT throws_ok($$SELECT pgq.purge_queue('nosuch')$$,                                         '42P01', 'queue "nosuch" does not exist', 'purge_queue(unknown)');
SELECT throws_ok($$SELECT * FROM pgq.metrics('nosuch')$$,                                      '42P01', 'queue "nosuch" does not exist', 'metrics(unknown)');
SELECT throws_ok($$SELECT pgq.send('nosuch', '{}'::jsonb)$$,                                   '42P01', 'queue "nosuch" does not exist', 'send(unknown, msg)');
SELECT throws_ok($$SELECT pgq.send('nosuch', '{}'::jsonb, '{}'::jsonb)$$,                      '42P01', 'queue "nosuch" does not exist', 'send(unknown, msg, headers)');
SELECT throws_ok($$SELECT pgq.send('nosuch', '{}'::jsonb, 0)$$,                                '42P01', 'queue "nosuch" does not exist', 'send(unknown, msg, delay int)');
SELECT throws_ok($$SELECT pgq.send('nosuch', '{}'::jsonb, now())$$,                            '42P01', 'queue "nosuch" does not exist', 'send(unknown, msg, delay timestamptz)');
SELECT throws_ok($$SELECT pgq.send('nosuch', '{}'::jsonb, '{}'::jsonb, 0)$$,                   '42P01', 'queue "nosuch" does not exist', 'send(unknown, msg, headers, delay int)');
SELECT throws_ok($$SELECT pgq.send('nosuch', '{}'::jsonb, '{}'::jsonb, now())$$,               '42P01', 'queue "nosuch" does not exist', 'send(unknown, msg, headers, delay timestamptz)');
SELECT throws_ok($$SELECT pgq.send_batch('nosuch', ARRAY['{}']::jsonb[])$$,                    '42P01', 'queue "nosuch" does not exist', 'send_batch(unknown, msgs)');
SELECT throws_ok($$SELECT pgq.send_batch('nosuch', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[])$$, '42P01', 'queue "nosuch" does not exist', 'send_batch(unknown, msgs, headers)');
SELECT throws_ok($$SELECT pgq.send_batch('nosuch', ARRAY['{}']::jsonb[], 0)$$,                 '42P01', 'queue "nosuch" does not exist', 'send_batch(unknown, msgs, delay int)');
SELECT throws_ok($$SELECT pgq.send_batch('nosuch', ARRAY['{}']::jsonb[], now())$$,             '42P01', 'queue "nosuch" does not exist', 'send_batch(unknown, msgs, delay timestamptz)');
SELECT throws_ok($$SELECT pgq.send_batch('nosuch', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], 0)$$,     '42P01', 'queue "nosuch" does not exist', 'send_batch(unknown, msgs, headers, delay int)');
SELECT throws_ok($$SELECT pgq.send_batch('nosuch', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], now())$$, '42P01', 'queue "nosuch" does not exist', 'send_batch(unknown, msgs, headers, delay timestamptz)');
SELECT throws_ok($$SELECT * FROM pgq.read('nosuch', 30, 1)$$,                                  '42P01', 'queue "nosuch" does not exist', 'read(unknown, ...)');
SELECT throws_ok($$SELECT * FROM pgq.pop('nosuch')$$,                                          '42P01', 'queue "nosuch" does not exist', 'pop(unknown)');
SELECT throws_ok($$SELECT * FROM pgq.pop('nosuch', 1)$$,                                       '42P01', 'queue "nosuch" does not exist', 'pop(unknown, qty)');
SELECT throws_ok($$SELECT * FROM pgq.set_vt('nosuch', 1, 30)$$,                                '42P01', 'queue "nosuch" does not exist', 'set_vt(unknown, ...)');
SELECT throws_ok($$SELECT pgq.archive('nosuch', 1::bigint)$$,                                  '42P01', 'queue "nosuch" does not exist', 'archive(unknown, msg_id)');
SELECT throws_ok($$SELECT pgq.archive('nosuch', ARRAY[1]::bigint[])$$,                         '42P01', 'queue "nosuch" does not exist', 'archive(unknown, msg_ids)');
SELECT throws_ok($$SELECT pgq.delete('nosuch', 1::bigint)$$,                                   '42P01', 'queue "nosuch" does not exist', 'delete(unknown, msg_id)');
SELECT throws_ok($$SELECT pgq.delete('nosuch', ARRAY[1]::bigint[])$$,                          '42P01', 'queue "nosuch" does not exist', 'delete(unknown, msg_ids)');

-- ---------------------------------------------------------------------
-- msg NULL: 22004, every send overload (6)
-- ---------------------------------------------------------------------
SELECT throws_ok($$SELECT pgq.send('errq', NULL::jsonb)$$,                                  '22004', 'msg must not be null', 'send(q, NULL)');
SELECT throws_ok($$SELECT pgq.send('errq', NULL::jsonb, '{}'::jsonb)$$,                     '22004', 'msg must not be null', 'send(q, NULL, headers)');
SELECT throws_ok($$SELECT pgq.send('errq', NULL::jsonb, 0)$$,                               '22004', 'msg must not be null', 'send(q, NULL, delay int)');
SELECT throws_ok($$SELECT pgq.send('errq', NULL::jsonb, now())$$,                           '22004', 'msg must not be null', 'send(q, NULL, delay timestamptz)');
SELECT throws_ok($$SELECT pgq.send('errq', NULL::jsonb, '{}'::jsonb, 0)$$,                  '22004', 'msg must not be null', 'send(q, NULL, headers, delay int)');
SELECT throws_ok($$SELECT pgq.send('errq', NULL::jsonb, '{}'::jsonb, now())$$,              '22004', 'msg must not be null', 'send(q, NULL, headers, delay timestamptz)');

-- ---------------------------------------------------------------------
-- msgs NULL / NULL element / not one-dimensional: every send_batch overload (18)
-- ---------------------------------------------------------------------
SELECT throws_ok($$SELECT pgq.send_batch('errq', NULL::jsonb[])$$,                                  '22004', 'msgs must not be null', 'send_batch(q, NULL)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', NULL::jsonb[], ARRAY['{}']::jsonb[])$$,            '22004', 'msgs must not be null', 'send_batch(q, NULL, headers)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', NULL::jsonb[], 0)$$,                               '22004', 'msgs must not be null', 'send_batch(q, NULL, delay int)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', NULL::jsonb[], now())$$,                           '22004', 'msgs must not be null', 'send_batch(q, NULL, delay timestamptz)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', NULL::jsonb[], ARRAY['{}']::jsonb[], 0)$$,         '22004', 'msgs must not be null', 'send_batch(q, NULL, headers, delay int)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', NULL::jsonb[], ARRAY['{}']::jsonb[], now())$$,     '22004', 'msgs must not be null', 'send_batch(q, NULL, headers, delay timestamptz)');

SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}', NULL]::jsonb[])$$,                                      '22004', 'msgs must not contain null elements', 'send_batch(q, [msg, NULL])');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}', NULL]::jsonb[], ARRAY['{}', '{}']::jsonb[])$$,          '22004', 'msgs must not contain null elements', 'send_batch(q, [msg, NULL], headers)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY[NULL]::jsonb[], 0)$$,                                         '22004', 'msgs must not contain null elements', 'send_batch(q, [NULL], delay int)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY[NULL, '{}']::jsonb[], now())$$,                               '22004', 'msgs must not contain null elements', 'send_batch(q, [NULL, msg], delay timestamptz)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}', NULL]::jsonb[], ARRAY['{}', '{}']::jsonb[], 0)$$,       '22004', 'msgs must not contain null elements', 'send_batch(q, [msg, NULL], headers, delay int)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}', NULL]::jsonb[], ARRAY['{}', '{}']::jsonb[], now())$$,   '22004', 'msgs must not contain null elements', 'send_batch(q, [msg, NULL], headers, delay timestamptz)');

SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY[['{}'], ['{}']]::jsonb[])$$,                                      '22023', 'msgs must be a one-dimensional array', 'send_batch(q, 2-D msgs)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY[['{}'], ['{}']]::jsonb[], ARRAY['{}', '{}']::jsonb[])$$,          '22023', 'msgs must be a one-dimensional array', 'send_batch(q, 2-D msgs, headers)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY[['{}'], ['{}']]::jsonb[], 0)$$,                                   '22023', 'msgs must be a one-dimensional array', 'send_batch(q, 2-D msgs, delay int)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY[['{}'], ['{}']]::jsonb[], now())$$,                               '22023', 'msgs must be a one-dimensional array', 'send_batch(q, 2-D msgs, delay timestamptz)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY[['{}'], ['{}']]::jsonb[], ARRAY['{}', '{}']::jsonb[], 0)$$,       '22023', 'msgs must be a one-dimensional array', 'send_batch(q, 2-D msgs, headers, delay int)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY[['{}'], ['{}']]::jsonb[], ARRAY['{}', '{}']::jsonb[], now())$$,   '22023', 'msgs must be a one-dimensional array', 'send_batch(q, 2-D msgs, headers, delay timestamptz)');

-- ---------------------------------------------------------------------
-- headers not one-dimensional / wrong length: the send_batch overloads
-- that take headers (9)
-- ---------------------------------------------------------------------
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}', '{}']::jsonb[], ARRAY[['{}'], ['{}']]::jsonb[])$$,        '22023', 'headers must be a one-dimensional array', 'send_batch(q, msgs, 2-D headers)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}', '{}']::jsonb[], ARRAY[['{}'], ['{}']]::jsonb[], 0)$$,     '22023', 'headers must be a one-dimensional array', 'send_batch(q, msgs, 2-D headers, delay int)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}', '{}']::jsonb[], ARRAY[['{}'], ['{}']]::jsonb[], now())$$, '22023', 'headers must be a one-dimensional array', 'send_batch(q, msgs, 2-D headers, delay timestamptz)');

SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}', '{}']::jsonb[], ARRAY['{}']::jsonb[])$$,                  '22023', 'headers has 1 elements but msgs has 2', 'send_batch(q, 2 msgs, 1 header)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}']::jsonb[], ARRAY['{}', '{}', '{}']::jsonb[], 0)$$,         '22023', 'headers has 3 elements but msgs has 1', 'send_batch(q, 1 msg, 3 headers, delay int)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}', '{}']::jsonb[], ARRAY['{}']::jsonb[], now())$$,           '22023', 'headers has 1 elements but msgs has 2', 'send_batch(q, 2 msgs, 1 header, delay timestamptz)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}', '{}']::jsonb[], ARRAY[NULL]::jsonb[])$$,                  '22023', 'headers has 1 elements but msgs has 2', 'a NULL header still counts as an element');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}', '{}']::jsonb[], '{}'::jsonb[])$$,                         '22023', 'headers has 0 elements but msgs has 2', 'empty headers with 2 msgs');
SELECT throws_ok($$SELECT pgq.send_batch('errq', '{}'::jsonb[], ARRAY['{}']::jsonb[])$$,                               '22023', 'headers has 1 elements but msgs has 0', 'empty msgs with 1 header');

-- ---------------------------------------------------------------------
-- delay: NULL (8), negative (4), infinite (8)
-- ---------------------------------------------------------------------
SELECT throws_ok($$SELECT pgq.send('errq', '{}'::jsonb, NULL::integer)$$,                                       '22004', 'delay must not be null', 'send(q, msg, NULL int)');
SELECT throws_ok($$SELECT pgq.send('errq', '{}'::jsonb, NULL::timestamptz)$$,                                   '22004', 'delay must not be null', 'send(q, msg, NULL timestamptz)');
SELECT throws_ok($$SELECT pgq.send('errq', '{}'::jsonb, '{}'::jsonb, NULL::integer)$$,                          '22004', 'delay must not be null', 'send(q, msg, headers, NULL int)');
SELECT throws_ok($$SELECT pgq.send('errq', '{}'::jsonb, '{}'::jsonb, NULL::timestamptz)$$,                      '22004', 'delay must not be null', 'send(q, msg, headers, NULL timestamptz)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}']::jsonb[], NULL::integer)$$,                        '22004', 'delay must not be null', 'send_batch(q, msgs, NULL int)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}']::jsonb[], NULL::timestamptz)$$,                    '22004', 'delay must not be null', 'send_batch(q, msgs, NULL timestamptz)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], NULL::integer)$$,  '22004', 'delay must not be null', 'send_batch(q, msgs, headers, NULL int)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], NULL::timestamptz)$$, '22004', 'delay must not be null', 'send_batch(q, msgs, headers, NULL timestamptz)');

SELECT throws_ok($$SELECT pgq.send('errq', '{}'::jsonb, -1)$$,                                                  '22023', 'delay must not be negative', 'send(q, msg, -1)');
SELECT throws_ok($$SELECT pgq.send('errq', '{}'::jsonb, '{}'::jsonb, -2147483648)$$,                            '22023', 'delay must not be negative', 'send(q, msg, headers, INT_MIN)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}']::jsonb[], -1)$$,                                   '22023', 'delay must not be negative', 'send_batch(q, msgs, -1)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], -1)$$,             '22023', 'delay must not be negative', 'send_batch(q, msgs, headers, -1)');

SELECT throws_ok($$SELECT pgq.send('errq', '{}'::jsonb, 'infinity'::timestamptz)$$,                             '22023', 'delay must be a finite timestamp', 'send(q, msg, infinity)');
SELECT throws_ok($$SELECT pgq.send('errq', '{}'::jsonb, '-infinity'::timestamptz)$$,                            '22023', 'delay must be a finite timestamp', 'send(q, msg, -infinity)');
SELECT throws_ok($$SELECT pgq.send('errq', '{}'::jsonb, '{}'::jsonb, 'infinity'::timestamptz)$$,                '22023', 'delay must be a finite timestamp', 'send(q, msg, headers, infinity)');
SELECT throws_ok($$SELECT pgq.send('errq', '{}'::jsonb, '{}'::jsonb, '-infinity'::timestamptz)$$,               '22023', 'delay must be a finite timestamp', 'send(q, msg, headers, -infinity)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}']::jsonb[], 'infinity'::timestamptz)$$,              '22023', 'delay must be a finite timestamp', 'send_batch(q, msgs, infinity)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}']::jsonb[], '-infinity'::timestamptz)$$,             '22023', 'delay must be a finite timestamp', 'send_batch(q, msgs, -infinity)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], 'infinity'::timestamptz)$$,  '22023', 'delay must be a finite timestamp', 'send_batch(q, msgs, headers, infinity)');
SELECT throws_ok($$SELECT pgq.send_batch('errq', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], '-infinity'::timestamptz)$$, '22023', 'delay must be a finite timestamp', 'send_batch(q, msgs, headers, -infinity)');

-- ---------------------------------------------------------------------
-- vt: NULL and negative, read and set_vt (4)
-- ---------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM pgq.read('errq', NULL, 1)$$,      '22004', 'vt must not be null', 'read(q, NULL, qty)');
SELECT throws_ok($$SELECT * FROM pgq.set_vt('errq', 1, NULL)$$,    '22004', 'vt must not be null', 'set_vt(q, id, NULL)');
SELECT throws_ok($$SELECT * FROM pgq.read('errq', -1, 1)$$,        '22023', 'vt must not be negative', 'read(q, -1, qty)');
SELECT throws_ok($$SELECT * FROM pgq.set_vt('errq', 1, -1)$$,      '22023', 'vt must not be negative', 'set_vt(q, id, -1)');

-- ---------------------------------------------------------------------
-- qty: NULL and < 1, read and pop (6)
-- ---------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM pgq.read('errq', 30, NULL)$$,     '22004', 'qty must not be null', 'read(q, vt, NULL)');
SELECT throws_ok($$SELECT * FROM pgq.pop('errq', NULL)$$,          '22004', 'qty must not be null', 'pop(q, NULL)');
SELECT throws_ok($$SELECT * FROM pgq.read('errq', 30, 0)$$,        '22023', 'qty must be at least 1', 'read(q, vt, 0)');
SELECT throws_ok($$SELECT * FROM pgq.read('errq', 30, -5)$$,       '22023', 'qty must be at least 1', 'read(q, vt, -5)');
SELECT throws_ok($$SELECT * FROM pgq.pop('errq', 0)$$,             '22023', 'qty must be at least 1', 'pop(q, 0)');
SELECT throws_ok($$SELECT * FROM pgq.pop('errq', -5)$$,            '22023', 'qty must be at least 1', 'pop(q, -5)');

-- ---------------------------------------------------------------------
-- msg_id / msg_ids (7)
-- ---------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM pgq.set_vt('errq', NULL, 30)$$,                 '22004', 'msg_id must not be null', 'set_vt(q, NULL, vt)');
SELECT throws_ok($$SELECT pgq.archive('errq', NULL::bigint)$$,                   '22004', 'msg_id must not be null', 'archive(q, NULL)');
SELECT throws_ok($$SELECT pgq.delete('errq', NULL::bigint)$$,                    '22004', 'msg_id must not be null', 'delete(q, NULL)');
SELECT throws_ok($$SELECT pgq.archive('errq', NULL::bigint[])$$,                 '22004', 'msg_ids must not be null', 'archive(q, NULL array)');
SELECT throws_ok($$SELECT pgq.delete('errq', NULL::bigint[])$$,                  '22004', 'msg_ids must not be null', 'delete(q, NULL array)');
SELECT throws_ok($$SELECT pgq.archive('errq', ARRAY[1, NULL]::bigint[])$$,       '22004', 'msg_ids must not contain null elements', 'archive(q, [id, NULL])');
SELECT throws_ok($$SELECT pgq.delete('errq', ARRAY[NULL, 1]::bigint[])$$,        '22004', 'msg_ids must not contain null elements', 'delete(q, [NULL, id])');

-- ---------------------------------------------------------------------
-- unlogged NULL (1)
-- ---------------------------------------------------------------------
SELECT throws_ok($$SELECT pgq.create_queue('newq', NULL)$$,  '22004', 'unlogged must not be null', 'create_queue(q, NULL)');

-- ---------------------------------------------------------------------
-- the functions added in 0.5.0: queue name NULL / invalid, unknown queue,
-- bad arguments (36)
-- ---------------------------------------------------------------------
SELECT throws_ok($$SELECT pgq."create"(NULL)$$,                                   '22004', 'queue name must not be null', 'create(NULL)');
SELECT throws_ok($$SELECT pgq.create_non_partitioned(NULL)$$,                     '22004', 'queue name must not be null', 'create_non_partitioned(NULL)');
SELECT throws_ok($$SELECT pgq.create_unlogged(NULL)$$,                            '22004', 'queue name must not be null', 'create_unlogged(NULL)');
SELECT throws_ok($$SELECT pgq.drop_queue(NULL, false)$$,                          '22004', 'queue name must not be null', 'drop_queue(NULL, partitioned)');
SELECT throws_ok($$SELECT pgq.detach_archive(NULL)$$,                             '22004', 'queue name must not be null', 'detach_archive(NULL)');
SELECT throws_ok($$SELECT * FROM pgq.read(NULL, 30, 1, '{}')$$,                   '22004', 'queue name must not be null', 'read(NULL, vt, qty, conditional)');
SELECT throws_ok($$SELECT * FROM pgq.read_with_poll(NULL, 30, 1)$$,               '22004', 'queue name must not be null', 'read_with_poll(NULL, ...)');
SELECT throws_ok($$SELECT pgq.validate_queue_name(NULL)$$,                        '22004', 'queue name must not be null', 'validate_queue_name(NULL)');
SELECT throws_ok($$SELECT pgq.format_table_name(NULL, 'q')$$,                     '22004', 'queue name must not be null', 'format_table_name(NULL, prefix)');

SELECT throws_ok($$SELECT pgq."create"('Bad;Name')$$,                             '42602', 'invalid queue name "Bad;Name"', 'create(bad name)');
SELECT throws_ok($$SELECT pgq.create_non_partitioned('Bad;Name')$$,               '42602', 'invalid queue name "Bad;Name"', 'create_non_partitioned(bad name)');
SELECT throws_ok($$SELECT pgq.create_unlogged('Bad;Name')$$,                      '42602', 'invalid queue name "Bad;Name"', 'create_unlogged(bad name)');
SELECT throws_ok($$SELECT pgq.drop_queue('Bad;Name', false)$$,                    '42602', 'invalid queue name "Bad;Name"', 'drop_queue(bad name, partitioned)');
SELECT throws_ok($$SELECT pgq.detach_archive('Bad;Name')$$,                       '42602', 'invalid queue name "Bad;Name"', 'detach_archive(bad name)');
SELECT throws_ok($$SELECT * FROM pgq.read('Bad;Name', 30, 1, '{}')$$,             '42602', 'invalid queue name "Bad;Name"', 'read(bad name, vt, qty, conditional)');
SELECT throws_ok($$SELECT * FROM pgq.read_with_poll('Bad;Name', 30, 1)$$,         '42602', 'invalid queue name "Bad;Name"', 'read_with_poll(bad name, ...)');
SELECT throws_ok($$SELECT pgq.validate_queue_name('Bad;Name')$$,                  '42602', 'invalid queue name "Bad;Name"', 'validate_queue_name(bad name)');
SELECT throws_ok($$SELECT pgq.format_table_name('Bad;Name', 'q')$$,               '42602', 'invalid queue name "Bad;Name"', 'format_table_name(bad name, prefix)');

SELECT throws_ok($$SELECT pgq.detach_archive('nosuch')$$,                         '42P01', 'queue "nosuch" does not exist', 'detach_archive(unknown)');
SELECT throws_ok($$SELECT * FROM pgq.read('nosuch', 30, 1, '{"a": 1}')$$,         '42P01', 'queue "nosuch" does not exist', 'read(unknown, vt, qty, conditional)');
SELECT throws_ok($$SELECT * FROM pgq.read_with_poll('nosuch', 30, 1)$$,           '42P01', 'queue "nosuch" does not exist', 'read_with_poll(unknown, ...): at once, without polling');

SELECT throws_ok($$SELECT * FROM pgq.read('errq', 30, 1, NULL)$$,                 '22004', 'conditional must not be null', 'read(q, vt, qty, NULL)');
SELECT throws_ok($$SELECT * FROM pgq.read_with_poll('errq', 30, 1, 1, 100, NULL)$$, '22004', 'conditional must not be null', 'read_with_poll(q, ..., conditional NULL)');
SELECT throws_ok($$SELECT * FROM pgq.read_with_poll('errq', NULL, 1)$$,           '22004', 'vt must not be null', 'read_with_poll(q, NULL, qty)');
SELECT throws_ok($$SELECT * FROM pgq.read_with_poll('errq', -1, 1)$$,             '22023', 'vt must not be negative', 'read_with_poll(q, -1, qty)');
SELECT throws_ok($$SELECT * FROM pgq.read_with_poll('errq', 30, NULL)$$,          '22004', 'qty must not be null', 'read_with_poll(q, vt, NULL)');
SELECT throws_ok($$SELECT * FROM pgq.read_with_poll('errq', 30, 0)$$,             '22023', 'qty must be at least 1', 'read_with_poll(q, vt, 0)');
SELECT throws_ok($$SELECT * FROM pgq.read_with_poll('errq', 30, 1, NULL)$$,       '22004', 'max_poll_seconds must not be null', 'read_with_poll(q, vt, qty, NULL)');
SELECT throws_ok($$SELECT * FROM pgq.read_with_poll('errq', 30, 1, -1)$$,         '22023', 'max_poll_seconds must not be negative', 'read_with_poll(q, vt, qty, -1)');
SELECT throws_ok($$SELECT * FROM pgq.read_with_poll('errq', 30, 1, 1, NULL)$$,    '22004', 'poll_interval_ms must not be null', 'read_with_poll(q, vt, qty, secs, NULL)');
SELECT throws_ok($$SELECT * FROM pgq.read_with_poll('errq', 30, 1, 1, 0)$$,       '22023', 'poll_interval_ms must be at least 1', 'read_with_poll(q, vt, qty, secs, 0)');
SELECT throws_ok($$SELECT * FROM pgq.read_with_poll('errq', 30, 1, 1, -100)$$,    '22023', 'poll_interval_ms must be at least 1', 'read_with_poll(q, vt, qty, secs, -100)');
SELECT throws_ok($$SELECT pgq.format_table_name('errq', NULL)$$,                  '22004', 'prefix must not be null', 'format_table_name(q, NULL)');
SELECT throws_ok($$SELECT * FROM pgq.read_with_poll('nosuch', 30, 1, -1)$$,       '22023', 'max_poll_seconds must not be negative', 'bad max_poll_seconds wins over unknown queue');
SELECT throws_ok($$SELECT * FROM pgq.read('nosuch', 30, 1, NULL)$$,               '22004', 'conditional must not be null', 'NULL conditional wins over unknown queue');
SELECT is(pgq.drop_queue('nosuch', true), false,                                  'drop_queue(missing, partitioned) returns false');

-- ---------------------------------------------------------------------
-- check order: queue name NULL, then name syntax, then the other
-- arguments, then queue existence (14)
-- ---------------------------------------------------------------------
SELECT throws_ok($$SELECT pgq.send(NULL, NULL::jsonb)$$,                       '22004', 'queue name must not be null', 'NULL name wins over NULL msg');
SELECT throws_ok($$SELECT pgq.create_queue(NULL, NULL)$$,                      '22004', 'queue name must not be null', 'NULL name wins over NULL unlogged');
SELECT throws_ok($$SELECT * FROM pgq.read(NULL, -1, 0)$$,                      '22004', 'queue name must not be null', 'NULL name wins over bad vt and qty');
SELECT throws_ok($$SELECT pgq.send('Bad;Name', NULL::jsonb)$$,                 '42602', 'invalid queue name "Bad;Name"', 'bad name wins over NULL msg');
SELECT throws_ok($$SELECT pgq.create_queue('Bad;Name', NULL)$$,                '42602', 'invalid queue name "Bad;Name"', 'bad name wins over NULL unlogged');
SELECT throws_ok($$SELECT pgq.delete('Bad;Name', ARRAY[NULL]::bigint[])$$,     '42602', 'invalid queue name "Bad;Name"', 'bad name wins over NULL element');
SELECT throws_ok($$SELECT pgq.send('nosuch', NULL::jsonb)$$,                   '22004', 'msg must not be null', 'NULL msg wins over unknown queue');
SELECT throws_ok($$SELECT pgq.send_batch('nosuch', ARRAY[NULL]::jsonb[])$$,    '22004', 'msgs must not contain null elements', 'NULL element wins over unknown queue');
SELECT throws_ok($$SELECT pgq.send('nosuch', '{}'::jsonb, -1)$$,               '22023', 'delay must not be negative', 'negative delay wins over unknown queue');
SELECT throws_ok($$SELECT * FROM pgq.read('nosuch', -1, 1)$$,                  '22023', 'vt must not be negative', 'negative vt wins over unknown queue');
SELECT throws_ok($$SELECT * FROM pgq.pop('nosuch', 0)$$,                       '22023', 'qty must be at least 1', 'bad qty wins over unknown queue');
SELECT throws_ok($$SELECT * FROM pgq.set_vt('nosuch', 1, NULL)$$,              '22004', 'vt must not be null', 'NULL vt wins over unknown queue');
SELECT throws_ok($$SELECT pgq.archive('nosuch', NULL::bigint)$$,               '22004', 'msg_id must not be null', 'NULL msg_id wins over unknown queue');
SELECT throws_ok($$SELECT pgq.delete('nosuch', ARRAY[1, NULL]::bigint[])$$,    '22004', 'msg_ids must not contain null elements', 'NULL msg_ids element wins over unknown queue');

-- ---------------------------------------------------------------------
-- edge cases that are NOT errors (31)
-- ---------------------------------------------------------------------
-- create_queue of an existing queue only notices
SELECT lives_ok($$SELECT pgq.create_queue('errq')$$, 'create_queue of an existing queue does not fail');
SELECT lives_ok($$SELECT pgq.create_queue('errq', true)$$, 'create_queue of an existing queue with other options does not fail');
SELECT is((SELECT count(*) FROM pgq.meta WHERE queue_name = 'errq'), 1::bigint, 'still exactly one meta row for errq');
SELECT is((SELECT is_unlogged FROM pgq.meta WHERE queue_name = 'errq'), false, 'second create_queue did not change errq');
SELECT is((SELECT count(*) FROM pgq.q_errq), 1::bigint, 'second create_queue kept the messages of errq');

-- drop_queue of a missing queue returns false
SELECT lives_ok($$SELECT pgq.drop_queue('nosuch')$$, 'drop_queue of a missing queue does not fail');
SELECT is(pgq.drop_queue('nosuch'), false, 'drop_queue of a missing queue returns false');

-- empty msgs arrays: zero rows, nothing inserted
SELECT is((SELECT count(*) FROM pgq.send_batch('errq', '{}'::jsonb[])), 0::bigint, 'send_batch(q, {}) returns zero rows');
SELECT is((SELECT count(*) FROM pgq.send_batch('errq', '{}'::jsonb[], '{}'::jsonb[])), 0::bigint, 'send_batch(q, {}, {}) returns zero rows');
SELECT is((SELECT count(*) FROM pgq.send_batch('errq', '{}'::jsonb[], 0)), 0::bigint, 'send_batch(q, {}, delay int) returns zero rows');
SELECT is((SELECT count(*) FROM pgq.send_batch('errq', '{}'::jsonb[], now())), 0::bigint, 'send_batch(q, {}, delay timestamptz) returns zero rows');
SELECT is((SELECT count(*) FROM pgq.send_batch('errq', '{}'::jsonb[], '{}'::jsonb[], 0)), 0::bigint, 'send_batch(q, {}, {}, delay int) returns zero rows');
SELECT is((SELECT count(*) FROM pgq.send_batch('errq', '{}'::jsonb[], '{}'::jsonb[], now())), 0::bigint, 'send_batch(q, {}, {}, delay timestamptz) returns zero rows');
SELECT is((SELECT count(*) FROM pgq.q_errq), 1::bigint, 'empty batches inserted nothing');

-- empty msg_ids arrays: zero rows
SELECT is((SELECT count(*) FROM pgq.archive('errq', '{}'::bigint[])), 0::bigint, 'archive(q, {}) returns zero rows');
SELECT is((SELECT count(*) FROM pgq.delete('errq', '{}'::bigint[])), 0::bigint, 'delete(q, {}) returns zero rows');

-- NULL headers are allowed
SELECT lives_ok($$SELECT pgq.send('errq', '{}'::jsonb, NULL::jsonb)$$, 'send with NULL headers');
SELECT lives_ok($$SELECT pgq.send('errq', '{}'::jsonb, NULL::jsonb, 0)$$, 'send with NULL headers and delay int');
SELECT lives_ok($$SELECT pgq.send('errq', '{}'::jsonb, NULL::jsonb, now())$$, 'send with NULL headers and delay timestamptz');
SELECT is((SELECT count(*) FROM pgq.send_batch('errq', ARRAY['{}', '{}']::jsonb[], ARRAY[NULL, '{}']::jsonb[])), 2::bigint,
          'send_batch with a NULL element in headers');
SELECT is((SELECT count(*) FROM pgq.send_batch('errq', ARRAY['{}']::jsonb[], ARRAY[NULL]::jsonb[], 0)), 1::bigint,
          'send_batch with a NULL element in headers and delay int');

-- boundary values that are allowed
SELECT lives_ok($$SELECT pgq.send('errq', '{}'::jsonb, 0)$$, 'delay 0 is allowed');
SELECT lives_ok($$SELECT pgq.send('errq', '{}'::jsonb, now() - interval '1 day')$$, 'a delay timestamp in the past is allowed');
SELECT lives_ok($$SELECT pgq.send('errq', 'null'::jsonb)$$, 'a JSON null message is not a SQL NULL and is allowed');
SELECT lives_ok($$SELECT * FROM pgq.read('errq', 0, 1)$$, 'vt 0 and qty 1 are allowed');
SELECT lives_ok($$SELECT * FROM pgq.set_vt('errq', 1, 0)$$, 'set_vt with vt 0 is allowed');
SELECT lives_ok($$SELECT * FROM pgq.pop('errq', 1)$$, 'pop with qty 1 is allowed');
SELECT is((SELECT count(*) FROM pgq.set_vt('errq', 999999, 30)), 0::bigint, 'set_vt of a missing msg_id returns zero rows');
SELECT is(pgq.archive('errq', 999999::bigint), false, 'archive of a missing msg_id returns false');
SELECT is(pgq.delete('errq', 999999::bigint), false, 'delete of a missing msg_id returns false');
SELECT lives_ok($$SELECT pgq.create_queue('newq', false)$$, 'create_queue with explicit unlogged false');

SELECT * FROM finish();
ROLLBACK;
