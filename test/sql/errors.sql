--
-- errors: every user error of every function, with SQLSTATE and message,
-- and proof that a failed call writes nothing
--
\set SHOW_CONTEXT never
\set VERBOSITY default

-- run one call, report SQLSTATE, message, detail and hint (or 'no error')
CREATE FUNCTION pg_temp.err(call text,
                            OUT state text, OUT message text, OUT detail text, OUT hint text)
LANGUAGE plpgsql AS $$
DECLARE
    st text;
    msg text;
    dtl text;
    hnt text;
BEGIN
    EXECUTE 'SELECT * FROM ' || call;
    state := 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE,
                            msg = MESSAGE_TEXT,
                            dtl = PG_EXCEPTION_DETAIL,
                            hnt = PG_EXCEPTION_HINT;
    state := st;
    message := msg;
    detail := dtl;
    hint := hnt;
END
$$;

SELECT pgq.create_queue('er');
SELECT pgq.send('er', '{"n": 1}');
SELECT pgq.send('er', '{"n": 2}', 3600);

-- the state a failed call must leave untouched
SELECT count(*) AS rels_before FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace \gset
SELECT count(*) AS meta_before FROM pgq.meta \gset
SELECT string_agg(format('%s/%s/%s/%s', msg_id, read_ct, vt, message), ';' ORDER BY msg_id)
       AS er_before FROM pgq.q_er \gset

-- the errors as the client sees them
SELECT pgq.create_queue(NULL);
\echo :SQLSTATE
SELECT pgq.create_queue('Bad;Name');
\echo :SQLSTATE
SELECT pgq.create_queue(repeat('x', 48));
\echo :SQLSTATE
SELECT pgq.create_queue('er_pkey');
\echo :SQLSTATE
SELECT pgq.send('er_missing', '{}');
\echo :SQLSTATE
SELECT pgq.send('er', NULL);
\echo :SQLSTATE
SELECT * FROM pgq.read('er', -1, 1);
\echo :SQLSTATE

-- queue name NULL: 22004 from every function
SELECT t.call, e.state, e.message
  FROM (VALUES
    (1, $$pgq.create_queue(NULL)$$),
    (2, $$pgq.create_queue(NULL, true)$$),
    (3, $$pgq.drop_queue(NULL)$$),
    (4, $$pgq.purge_queue(NULL)$$),
    (5, $$pgq.metrics(NULL)$$),
    (6, $$pgq.send(NULL, '{}')$$),
    (7, $$pgq.send(NULL, '{}', '{}'::jsonb)$$),
    (8, $$pgq.send(NULL, '{}', 0)$$),
    (9, $$pgq.send(NULL, '{}', now())$$),
    (10, $$pgq.send(NULL, '{}', '{}'::jsonb, 0)$$),
    (11, $$pgq.send(NULL, '{}', '{}'::jsonb, now())$$),
    (12, $$pgq.send_batch(NULL, ARRAY['{}']::jsonb[])$$),
    (13, $$pgq.send_batch(NULL, ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[])$$),
    (14, $$pgq.send_batch(NULL, ARRAY['{}']::jsonb[], 0)$$),
    (15, $$pgq.send_batch(NULL, ARRAY['{}']::jsonb[], now())$$),
    (16, $$pgq.send_batch(NULL, ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], 0)$$),
    (17, $$pgq.send_batch(NULL, ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], now())$$),
    (18, $$pgq.read(NULL, 30, 1)$$),
    (19, $$pgq.pop(NULL)$$),
    (20, $$pgq.pop(NULL, 1)$$),
    (21, $$pgq.set_vt(NULL, 1, 30)$$),
    (22, $$pgq.archive(NULL, 1)$$),
    (23, $$pgq.archive(NULL, ARRAY[1]::bigint[])$$),
    (24, $$pgq.delete(NULL, 1)$$),
    (25, $$pgq.delete(NULL, ARRAY[1]::bigint[])$$),
    (26, $$pgq."create"(NULL)$$),
    (27, $$pgq.create_non_partitioned(NULL)$$),
    (28, $$pgq.create_unlogged(NULL)$$),
    (29, $$pgq.drop_queue(NULL, true)$$),
    (30, $$pgq.detach_archive(NULL)$$),
    (31, $$pgq.read(NULL, 30, 1, '{}')$$),
    (32, $$pgq.read_with_poll(NULL, 30, 1)$$),
    (33, $$pgq.validate_queue_name(NULL)$$),
    (34, $$pgq.format_table_name(NULL, 'q')$$)
  ) AS t(n, call), LATERAL pg_temp.err(t.call) e
 ORDER BY t.n;

-- bad queue names: 42602, a DETAIL that says why, and for a character the
-- HINT with the rule; from every function.  (Capitals, hyphens, spaces,
-- dots, leading digits, double quotes and non-ASCII letters are valid
-- from 0.5.0 on, as in pgmq.)
SELECT t.call, e.state, e.message, e.detail,
       e.hint = CASE WHEN e.detail LIKE 'Queue names may not contain %'
                     THEN 'Queue names may hold any character but control characters, $, ;, '' and --.'
                     ELSE '' END AS hint_ok
  FROM (VALUES
    (1, $$pgq.create_queue('')$$),
    (2, $$pgq.create_queue('x23456789012345678901234567890123456789012345678')$$),
    (3, $$pgq.create_queue(repeat('é', 24))$$),
    (4, $$pgq.create_queue('a$b')$$),
    (5, $$pgq.create_queue('a;drop table pgq.meta')$$),
    (6, $$pgq.create_queue('it''s')$$),
    (7, $$pgq.create_queue('a--b')$$),
    (8, $$pgq.create_queue(E'tab\there')$$),
    (9, $$pgq.create_queue(E'new\nline', true)$$),
    (10, $$pgq.create_queue('er_x_pkey')$$),
    (11, $$pgq.drop_queue('E;r')$$),
    (12, $$pgq.purge_queue('E;r')$$),
    (13, $$pgq.metrics('E;r')$$),
    (14, $$pgq.send('E;r', '{}')$$),
    (15, $$pgq.send('E;r', '{}', '{}'::jsonb)$$),
    (16, $$pgq.send('E;r', '{}', 0)$$),
    (17, $$pgq.send('E;r', '{}', now())$$),
    (18, $$pgq.send('E;r', '{}', '{}'::jsonb, 0)$$),
    (19, $$pgq.send('E;r', '{}', '{}'::jsonb, now())$$),
    (20, $$pgq.send_batch('E;r', ARRAY['{}']::jsonb[])$$),
    (21, $$pgq.send_batch('E;r', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[])$$),
    (22, $$pgq.send_batch('E;r', ARRAY['{}']::jsonb[], 0)$$),
    (23, $$pgq.send_batch('E;r', ARRAY['{}']::jsonb[], now())$$),
    (24, $$pgq.send_batch('E;r', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], 0)$$),
    (25, $$pgq.send_batch('E;r', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], now())$$),
    (26, $$pgq.read('E;r', 30, 1)$$),
    (27, $$pgq.pop('E;r')$$),
    (28, $$pgq.pop('E;r', 1)$$),
    (29, $$pgq.set_vt('E;r', 1, 30)$$),
    (30, $$pgq.archive('E;r', 1)$$),
    (31, $$pgq.archive('E;r', ARRAY[1]::bigint[])$$),
    (32, $$pgq.delete('E;r', 1)$$),
    (33, $$pgq.delete('E;r', ARRAY[1]::bigint[])$$),
    (34, $$pgq."create"('E;r')$$),
    (35, $$pgq.create_non_partitioned('E;r')$$),
    (36, $$pgq.create_unlogged('E;r')$$),
    (37, $$pgq.drop_queue('E;r', true)$$),
    (38, $$pgq.detach_archive('E;r')$$),
    (39, $$pgq.read('E;r', 30, 1, '{}')$$),
    (40, $$pgq.read_with_poll('E;r', 30, 1)$$),
    (41, $$pgq.validate_queue_name('E;r')$$),
    (42, $$pgq.format_table_name('E;r', 'q')$$),
    (43, $$pgq."create"('er_x_vt_idx')$$),
    (44, $$pgq.create_unlogged('er_x_archived_idx')$$),
    (45, $$pgq.create_non_partitioned('er_x_msg_id_seq')$$),
    (46, $$pgq.validate_queue_name('ER_X_PKEY')$$)
  ) AS t(n, call), LATERAL pg_temp.err(t.call) e
 ORDER BY t.n;

-- names at the limits, and names valid from 0.5.0 on, are accepted (checked
-- on a missing queue: 42P01, naming the queue in lower case)
SELECT t.call, e.state, e.message
  FROM (VALUES
    (1, $$pgq.purge_queue('_')$$),
    (2, $$pgq.purge_queue('_9')$$),
    (3, $$pgq.purge_queue('x2345678901234567890123456789012345678901234567')$$),
    (4, $$pgq.purge_queue(repeat('é', 23) || 'x')$$),
    (5, $$pgq.purge_queue('Er_Missing')$$),
    (6, $$pgq.purge_queue('1starts_with_digit')$$),
    (7, $$pgq.purge_queue('has-dash')$$),
    (8, $$pgq.purge_queue(' ')$$),
    (9, $$pgq.purge_queue('dot.ted')$$),
    (10, $$pgq.purge_queue('quo"te')$$),
    (11, $$pgq.purge_queue('café')$$),
    (12, $$pgq.purge_queue('-')$$),
    (13, $$pgq.purge_queue('x_pkey')$$)
  ) AS t(n, call), LATERAL pg_temp.err(t.call) e
 ORDER BY t.n;

-- unknown queue: 42P01 from every function but create_queue and drop_queue
SELECT t.call, e.state, e.message
  FROM (VALUES
    (1, $$pgq.purge_queue('er_missing')$$),
    (2, $$pgq.metrics('er_missing')$$),
    (3, $$pgq.send('er_missing', '{}')$$),
    (4, $$pgq.send('er_missing', '{}', '{}'::jsonb)$$),
    (5, $$pgq.send('er_missing', '{}', 0)$$),
    (6, $$pgq.send('er_missing', '{}', now())$$),
    (7, $$pgq.send('er_missing', '{}', '{}'::jsonb, 0)$$),
    (8, $$pgq.send('er_missing', '{}', '{}'::jsonb, now())$$),
    (9, $$pgq.send_batch('er_missing', ARRAY['{}']::jsonb[])$$),
    (10, $$pgq.send_batch('er_missing', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[])$$),
    (11, $$pgq.send_batch('er_missing', ARRAY['{}']::jsonb[], 0)$$),
    (12, $$pgq.send_batch('er_missing', ARRAY['{}']::jsonb[], now())$$),
    (13, $$pgq.send_batch('er_missing', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], 0)$$),
    (14, $$pgq.send_batch('er_missing', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], now())$$),
    (15, $$pgq.send_batch('er_missing', '{}'::jsonb[])$$),
    (16, $$pgq.read('er_missing', 30, 1)$$),
    (17, $$pgq.pop('er_missing')$$),
    (18, $$pgq.pop('er_missing', 1)$$),
    (19, $$pgq.set_vt('er_missing', 1, 30)$$),
    (20, $$pgq.archive('er_missing', 1)$$),
    (21, $$pgq.archive('er_missing', ARRAY[1]::bigint[])$$),
    (22, $$pgq.archive('er_missing', ARRAY[]::bigint[])$$),
    (23, $$pgq.delete('er_missing', 1)$$),
    (24, $$pgq.delete('er_missing', ARRAY[1]::bigint[])$$),
    (25, $$pgq.delete('er_missing', ARRAY[]::bigint[])$$),
    (26, $$pgq.detach_archive('er_missing')$$),
    (27, $$pgq.read('er_missing', 30, 1, '{"a": 1}')$$),
    (28, $$pgq.read_with_poll('er_missing', 30, 1)$$),
    (29, $$pgq.read_with_poll('er_missing', 30, 1, 1, 100, '{"a": 1}')$$)
  ) AS t(n, call), LATERAL pg_temp.err(t.call) e
 ORDER BY t.n;

-- create_queue / drop_queue on a missing queue are not errors
SELECT t.call, e.state
  FROM (VALUES
    (1, $$pgq.drop_queue('er_missing')$$),
    (2, $$pgq.drop_queue('er_missing', true)$$)
  ) AS t(n, call), LATERAL pg_temp.err(t.call) e
 ORDER BY t.n;

-- bad arguments, on an existing queue
SELECT t.call, e.state, e.message
  FROM (VALUES
    -- create_queue
    (1, $$pgq.create_queue('er_new', NULL)$$),
    (2, $$pgq.create_queue('er', NULL)$$),
    -- send: msg
    (10, $$pgq.send('er', NULL)$$),
    (11, $$pgq.send('er', NULL, '{}'::jsonb)$$),
    (12, $$pgq.send('er', NULL, 0)$$),
    (13, $$pgq.send('er', NULL, now())$$),
    (14, $$pgq.send('er', NULL, '{}'::jsonb, 0)$$),
    (15, $$pgq.send('er', NULL, '{}'::jsonb, now())$$),
    -- send: delay
    (20, $$pgq.send('er', '{}', NULL::integer)$$),
    (21, $$pgq.send('er', '{}', NULL::timestamptz)$$),
    (22, $$pgq.send('er', '{}', '{}'::jsonb, NULL::integer)$$),
    (23, $$pgq.send('er', '{}', '{}'::jsonb, NULL::timestamptz)$$),
    (24, $$pgq.send('er', '{}', -1)$$),
    (25, $$pgq.send('er', '{}', '{}'::jsonb, -2147483648)$$),
    (26, $$pgq.send('er', '{}', 'infinity'::timestamptz)$$),
    (27, $$pgq.send('er', '{}', '-infinity'::timestamptz)$$),
    (28, $$pgq.send('er', '{}', '{}'::jsonb, 'infinity'::timestamptz)$$),
    (29, $$pgq.send('er', '{}', NULL::jsonb, '-infinity'::timestamptz)$$),
    -- send_batch: msgs
    (30, $$pgq.send_batch('er', NULL)$$),
    (31, $$pgq.send_batch('er', NULL, ARRAY['{}']::jsonb[])$$),
    (32, $$pgq.send_batch('er', NULL, 0)$$),
    (33, $$pgq.send_batch('er', NULL, now())$$),
    (34, $$pgq.send_batch('er', NULL, ARRAY['{}']::jsonb[], 0)$$),
    (35, $$pgq.send_batch('er', NULL, ARRAY['{}']::jsonb[], now())$$),
    (36, $$pgq.send_batch('er', ARRAY['{}', NULL]::jsonb[])$$),
    (37, $$pgq.send_batch('er', ARRAY[NULL, '{}']::jsonb[], ARRAY['{}', '{}']::jsonb[])$$),
    (38, $$pgq.send_batch('er', ARRAY[NULL]::jsonb[], 0)$$),
    (39, $$pgq.send_batch('er', ARRAY['{}', '{}', NULL]::jsonb[], now())$$),
    (40, $$pgq.send_batch('er', ARRAY[NULL]::jsonb[], ARRAY[NULL]::jsonb[], 0)$$),
    (41, $$pgq.send_batch('er', ARRAY[NULL]::jsonb[], ARRAY[NULL]::jsonb[], now())$$),
    (42, $$pgq.send_batch('er', ARRAY[['{}'], ['{}']]::jsonb[])$$),
    (43, $$pgq.send_batch('er', ARRAY[['{}']]::jsonb[], 0)$$),
    (44, $$pgq.send_batch('er', ARRAY[['{}']]::jsonb[], now())$$),
    (45, $$pgq.send_batch('er', ARRAY[['{}']]::jsonb[], ARRAY['{}']::jsonb[])$$),
    -- send_batch: headers
    (50, $$pgq.send_batch('er', ARRAY['{}']::jsonb[], ARRAY[['{}']]::jsonb[])$$),
    (51, $$pgq.send_batch('er', ARRAY['{}']::jsonb[], ARRAY[['{}']]::jsonb[], 0)$$),
    (52, $$pgq.send_batch('er', ARRAY['{}']::jsonb[], ARRAY[['{}']]::jsonb[], now())$$),
    (53, $$pgq.send_batch('er', ARRAY['{}', '{}', '{}']::jsonb[], ARRAY['{}', '{}']::jsonb[])$$),
    (54, $$pgq.send_batch('er', ARRAY['{}']::jsonb[], ARRAY['{}', NULL]::jsonb[], 0)$$),
    (55, $$pgq.send_batch('er', ARRAY['{}', '{}']::jsonb[], '{}'::jsonb[], now())$$),
    (56, $$pgq.send_batch('er', '{}'::jsonb[], ARRAY['{}']::jsonb[])$$),
    -- send_batch: delay
    (60, $$pgq.send_batch('er', ARRAY['{}']::jsonb[], NULL::integer)$$),
    (61, $$pgq.send_batch('er', ARRAY['{}']::jsonb[], NULL::timestamptz)$$),
    (62, $$pgq.send_batch('er', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], NULL::integer)$$),
    (63, $$pgq.send_batch('er', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], NULL::timestamptz)$$),
    (64, $$pgq.send_batch('er', ARRAY['{}']::jsonb[], -1)$$),
    (65, $$pgq.send_batch('er', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], -10)$$),
    (66, $$pgq.send_batch('er', ARRAY['{}']::jsonb[], 'infinity'::timestamptz)$$),
    (67, $$pgq.send_batch('er', ARRAY['{}']::jsonb[], '-infinity'::timestamptz)$$),
    (68, $$pgq.send_batch('er', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], 'infinity'::timestamptz)$$),
    (69, $$pgq.send_batch('er', '{}'::jsonb[], -1)$$),
    -- read
    (70, $$pgq.read('er', NULL, 1)$$),
    (71, $$pgq.read('er', -1, 1)$$),
    (72, $$pgq.read('er', -2147483648, 1)$$),
    (73, $$pgq.read('er', 30, NULL)$$),
    (74, $$pgq.read('er', 30, 0)$$),
    (75, $$pgq.read('er', 30, -5)$$),
    -- pop
    (80, $$pgq.pop('er', NULL)$$),
    (81, $$pgq.pop('er', 0)$$),
    (82, $$pgq.pop('er', -1)$$),
    -- set_vt
    (90, $$pgq.set_vt('er', NULL, 30)$$),
    (91, $$pgq.set_vt('er', 1, NULL)$$),
    (92, $$pgq.set_vt('er', 1, -1)$$),
    (93, $$pgq.set_vt('er', 999, -1)$$),
    -- archive
    (100, $$pgq.archive('er', NULL::bigint)$$),
    (101, $$pgq.archive('er', NULL::bigint[])$$),
    (102, $$pgq.archive('er', ARRAY[1, NULL]::bigint[])$$),
    (103, $$pgq.archive('er', ARRAY[NULL]::bigint[])$$),
    -- delete
    (110, $$pgq.delete('er', NULL::bigint)$$),
    (111, $$pgq.delete('er', NULL::bigint[])$$),
    (112, $$pgq.delete('er', ARRAY[2, NULL]::bigint[])$$),
    (113, $$pgq.delete('er', ARRAY[NULL]::bigint[])$$),
    -- read: conditional
    (120, $$pgq.read('er', 30, 1, NULL)$$),
    -- read_with_poll
    (130, $$pgq.read_with_poll('er', NULL, 1)$$),
    (131, $$pgq.read_with_poll('er', -1, 1)$$),
    (132, $$pgq.read_with_poll('er', 30, NULL)$$),
    (133, $$pgq.read_with_poll('er', 30, 0)$$),
    (134, $$pgq.read_with_poll('er', 30, -1)$$),
    (135, $$pgq.read_with_poll('er', 30, 1, NULL)$$),
    (136, $$pgq.read_with_poll('er', 30, 1, -1)$$),
    (137, $$pgq.read_with_poll('er', 30, 1, -2147483648)$$),
    (138, $$pgq.read_with_poll('er', 30, 1, 1, NULL)$$),
    (139, $$pgq.read_with_poll('er', 30, 1, 1, 0)$$),
    (140, $$pgq.read_with_poll('er', 30, 1, 1, -1)$$),
    (141, $$pgq.read_with_poll('er', 30, 1, 1, 100, NULL)$$),
    -- format_table_name
    (150, $$pgq.format_table_name('er', NULL)$$)
  ) AS t(n, call), LATERAL pg_temp.err(t.call) e
 ORDER BY t.n;

-- order of checks: queue name (null, then syntax), then the other
-- arguments, then whether the queue exists
SELECT t.call, e.state, e.message
  FROM (VALUES
    (1, $$pgq.create_queue(NULL, NULL)$$),
    (2, $$pgq.create_queue('Ba;d', NULL)$$),
    (3, $$pgq.create_queue('er_missing', NULL)$$),
    (4, $$pgq.send(NULL, NULL)$$),
    (5, $$pgq.send('Ba;d', NULL, NULL::integer)$$),
    (6, $$pgq.send('er_missing', NULL)$$),
    (7, $$pgq.send('er_missing', '{}', -1)$$),
    (8, $$pgq.send('er_missing', '{}', NULL::timestamptz)$$),
    (9, $$pgq.send('er_missing', '{}', '{}'::jsonb, 'infinity'::timestamptz)$$),
    (10, $$pgq.send_batch(NULL, NULL)$$),
    (11, $$pgq.send_batch('Ba;d', NULL, NULL::jsonb[], NULL::integer)$$),
    (12, $$pgq.send_batch('er_missing', NULL)$$),
    (13, $$pgq.send_batch('er_missing', ARRAY[NULL]::jsonb[])$$),
    (14, $$pgq.send_batch('er_missing', ARRAY['{}']::jsonb[], ARRAY['{}', '{}']::jsonb[])$$),
    (15, $$pgq.send_batch('er_missing', ARRAY[['{}']]::jsonb[])$$),
    (16, $$pgq.send_batch('er_missing', ARRAY['{}']::jsonb[], -1)$$),
    (17, $$pgq.send_batch('er_missing', ARRAY['{}']::jsonb[], '-infinity'::timestamptz)$$),
    (18, $$pgq.read(NULL, NULL, NULL)$$),
    (19, $$pgq.read('Ba;d', NULL, NULL)$$),
    (20, $$pgq.read('er_missing', NULL, 1)$$),
    (21, $$pgq.read('er_missing', 30, 0)$$),
    (22, $$pgq.pop('Ba;d', NULL)$$),
    (23, $$pgq.pop('er_missing', 0)$$),
    (24, $$pgq.set_vt('Ba;d', NULL, NULL)$$),
    (25, $$pgq.set_vt('er_missing', NULL, 30)$$),
    (26, $$pgq.set_vt('er_missing', 1, -1)$$),
    (27, $$pgq.archive('Ba;d', NULL::bigint)$$),
    (28, $$pgq.archive('er_missing', NULL::bigint)$$),
    (29, $$pgq.archive('er_missing', ARRAY[NULL]::bigint[])$$),
    (30, $$pgq.delete('Ba;d', NULL::bigint[])$$),
    (31, $$pgq.delete('er_missing', NULL::bigint)$$),
    (32, $$pgq.delete('er_missing', NULL::bigint[])$$),
    (33, $$pgq.purge_queue('Ba;d')$$),
    (34, $$pgq.metrics('Ba;d')$$),
    (35, $$pgq.drop_queue('Ba;d')$$),
    (36, $$pgq.read('Ba;d', NULL, NULL, NULL)$$),
    (37, $$pgq.read('er_missing', 30, 1, NULL)$$),
    (38, $$pgq.read_with_poll('Ba;d', NULL, NULL, NULL, NULL, NULL)$$),
    (39, $$pgq.read_with_poll('er_missing', 30, 1, -1)$$),
    (40, $$pgq.read_with_poll('er_missing', 30, 1, 1, 0)$$),
    (41, $$pgq.create_queue('er_x_pkey', NULL)$$),
    (42, $$pgq.detach_archive('Ba;d')$$),
    (43, $$pgq.format_table_name('Ba;d', NULL)$$)
  ) AS t(n, call), LATERAL pg_temp.err(t.call) e
 ORDER BY t.n;

-- an error inside a transaction aborts it; nothing of it remains
BEGIN;
SELECT pgq.create_queue('er_tx');
SELECT pgq.send('er_tx', '{"n": "tx"}');
SELECT * FROM pgq.send_batch('er_tx', ARRAY['{"n": "tx2"}', NULL]::jsonb[]);
\echo :SQLSTATE
COMMIT;
SELECT to_regclass('pgq.q_er_tx') AS q_er_tx;

-- nothing was half-written: same relations, same catalog rows, the queue
-- holds exactly what it held, and no msg_id was consumed
SELECT count(*) = :rels_before AS same_relations FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace;
SELECT count(*) = :meta_before AS same_meta_rows FROM pgq.meta;
SELECT string_agg(format('%s/%s/%s/%s', msg_id, read_ct, vt, message), ';' ORDER BY msg_id)
       = :'er_before' AS same_messages FROM pgq.q_er;
SELECT count(*) FROM pgq.a_er;
SELECT queue_name FROM pgq.list_queues() WHERE queue_name LIKE 'er%' OR queue_name ILIKE '%bad%';
SELECT total_messages FROM pgq.metrics('er');
SELECT pgq.send('er', '{"n": 3}');

SELECT pgq.drop_queue('er');
