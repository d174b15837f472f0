--
-- hostile_input: names built to break out of SQL, names that look like
-- other objects, and values at and past the limits.  Each invalid name is
-- rejected with its SQLSTATE and nothing is created; each valid one, however
-- odd (0.5.0 allows, as pgmq does, any character but control characters,
-- $ ; ' and --), makes exactly the queue's tables under their exact names,
-- and nothing injected runs.
--
\set SHOW_CONTEXT never
\set VERBOSITY default

CREATE FUNCTION pg_temp.try(call text, OUT state text, OUT message text)
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE 'SELECT count(*) FROM ' || call INTO n;
    state := 'ok';
    message := n || ' row(s)';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
END
$$;

-- the one value a query returns, as text
CREATE FUNCTION pg_temp.value_of(query text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v text;
BEGIN
    EXECUTE query INTO STRICT v;
    RETURN v;
END
$$;

-- the target of the injection attempts
CREATE TABLE victim (id int);
INSERT INTO victim VALUES (1), (2), (3);
SELECT count(*) AS pgq_relations_before FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace \gset
SELECT count(*) AS public_relations_before FROM pg_class
 WHERE relnamespace = 'public'::regnamespace \gset

-- invalid: a quote, ;, $, --, a control character, or too long
CREATE TEMP TABLE bad_names (n serial, name text);
INSERT INTO bad_names (name) VALUES
 ($$x'; DROP TABLE victim; --$$),
 ($$x'); DROP TABLE victim; --$$),
 ($$x"; DROP TABLE victim; --$$),
 ($$x" CASCADE; DROP TABLE victim$$),
 ('a;b'), ('a--b'), ('a$b'), ('$1'), ('a$$b'), ('it''s'), (''''),
 (E'a\tb'), (E'a\nb'), (E'a\rb'), (E'\x01'), (E'a\x7fb'), (E'a\u2028b' || E'\x1f'),
 (repeat('a', 48)), (repeat('a', 1000)), (repeat('é', 24)), ('');

-- every function that takes a queue name refuses each of them with 42602
SELECT b.n, f.fn, t.state, t.message = format('invalid queue name "%s"', b.name) AS message_names_it
  FROM bad_names b
 CROSS JOIN (VALUES ('create_queue'), ('create_unlogged'), ('send'), ('read'), ('drop_queue')) f(fn)
 CROSS JOIN LATERAL pg_temp.try(CASE f.fn
        WHEN 'create_queue' THEN format('pgq.create_queue(%L)', b.name)
        WHEN 'create_unlogged' THEN format('pgq.create_unlogged(%L)', b.name)
        WHEN 'send' THEN format($$pgq.send(%L, '{}')$$, b.name)
        WHEN 'read' THEN format('pgq.read(%L, 30, 1)', b.name)
        ELSE format('pgq.drop_queue(%L)', b.name) END) t
 WHERE t.state <> '42602' OR t.message <> format('invalid queue name "%s"', b.name)
 ORDER BY 1, 2;
SELECT count(*) AS refusals, count(DISTINCT b.name) AS names FROM bad_names b
 CROSS JOIN LATERAL pg_temp.try(format('pgq.create_queue(%L)', b.name)) t
 WHERE t.state = '42602';
SELECT * FROM pg_temp.try('pgq.create_queue(NULL)');
-- a name ending as another queue's index or sequence is refused for a new queue
SELECT * FROM pg_temp.try($$pgq.create_queue('victim_pkey')$$);
SELECT * FROM pg_temp.try($$pgq.create_queue('Victim_VT_IDX')$$);

-- nothing was created, nothing injected ran
SELECT count(*) = :pgq_relations_before AS no_new_pgq_relations FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace;
SELECT count(*) AS meta_rows FROM pgq.meta;
SELECT count(*) AS victim_rows FROM victim;

-- valid, though built to break out of an identifier or a literal, or to
-- look like other objects: double quotes, backslashes, comments, spaces,
-- dots, capitals, non-ASCII; each makes its queue and nothing else
CREATE TEMP TABLE odd_names (n serial, name text);
INSERT INTO odd_names (name) VALUES
 ('x"(i int) INHERITS (public.victim)/*'),
 ('a" CASCADE'), ('"quoted"'), ('""'), ('"'), ('a\b'), ('\'), ('a\'),
 ('a/*b*/'), ('*/'), ('a%s'), ('%I'), (' a'), ('a '), ('a b'), (' '),
 ('a.b'), ('pg_catalog.pg_class'), ('public.victim'), ('-'), ('a-b-'),
 ('1abc'), ('9'), ('Abc'), ('ä'), ('Ä'), ('queue_é'), ('日本'), ('🙂'),
 (repeat('é', 23) || 'x'), (repeat('x', 47));
SELECT o.n, t.state, t.message FROM odd_names o
 CROSS JOIN LATERAL pg_temp.try(format('pgq.create_queue(%L)', o.name)) t
 WHERE t.state <> 'ok'
 ORDER BY 1;
-- the queue's name: ASCII capitals folded to lower case, nothing else changed
CREATE TEMP TABLE odd_queues AS
SELECT n, name, translate(name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') AS queue
  FROM odd_names;
SELECT o.n, o.queue, m.queue_name IS NOT NULL AS listed
  FROM odd_queues o LEFT JOIN pgq.list_queues() m ON m.queue_name = o.queue
 ORDER BY o.n;
-- the relations in schema pgq are exactly the 25 of each queue (seven, and three of each of
-- the ring's six: q_<name>$<slot>, a_<name>$<slot>, their keys and indexes), under their exact
-- names: none missing, none more
SELECT count(*) AS missing FROM odd_queues o
 CROSS JOIN unnest(ARRAY['q_' || o.queue, 'a_' || o.queue, 'q_' || o.queue || '_pkey',
                         'a_' || o.queue || '_pkey', 'q_' || o.queue || '_vt_idx',
                         'a_' || o.queue || '_archived_idx', 'q_' || o.queue || '_msg_id_seq']
                   || ARRAY(SELECT t || '_' || o.queue || '$' || slot || suffix
                              FROM generate_series(0, 2) slot,
                                   (VALUES ('q', ''), ('q', '_pk'), ('q', '_vt'),
                                           ('a', ''), ('a', '_pk'), ('a', '_at')) v(t, suffix))) r(relname)
 WHERE NOT EXISTS (SELECT 1 FROM pg_class c
                    WHERE c.relnamespace = 'pgq'::regnamespace AND c.relname = r.relname);
SELECT count(*) - :pgq_relations_before - 25 * (SELECT count(DISTINCT queue) FROM odd_queues) AS unexpected_pgq_relations
  FROM pg_class WHERE relnamespace = 'pgq'::regnamespace;
-- for instance
SELECT relname, relkind FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace
   AND (relname LIKE '%x"(i int) inherits (public.victim)/*%' OR relname LIKE '_\_\\' OR relname LIKE '_\_\\\_%')
 ORDER BY relname COLLATE "C";
SELECT count(*) = :public_relations_before AS no_new_public_relations FROM pg_class
 WHERE relnamespace = 'public'::regnamespace;
SELECT count(*) AS victim_rows, (SELECT count(*) FROM pg_inherits WHERE inhparent = 'victim'::regclass) AS victim_children
  FROM victim;
-- each works end to end: send, read, archive, metrics, purge, drop
SELECT o.n, s.state AS send, r.state AS read, a.state AS archive, m.state AS metrics, p.state AS purge
  FROM odd_queues o
 CROSS JOIN LATERAL pg_temp.try(format($$pgq.send(%L, '{"n": %s}')$$, o.name, o.n)) s
 CROSS JOIN LATERAL pg_temp.try(format('pgq.read(%L, 30, 1)', o.name)) r
 CROSS JOIN LATERAL pg_temp.try(format('pgq.archive(%L, 1::bigint)', o.name)) a
 CROSS JOIN LATERAL pg_temp.try(format('pgq.metrics(%L)', o.name)) m
 CROSS JOIN LATERAL pg_temp.try(format('pgq.purge_queue(%L)', o.name)) p
 WHERE (s.state, r.state, a.state, m.state, p.state) <> ('ok', 'ok', 'ok', 'ok', 'ok')
    OR (s.message, r.message, a.message) <> ('1 row(s)', '1 row(s)', '1 row(s)')
 ORDER BY 1;
-- each message is in the archive of its own queue, found by the table's name
SELECT count(*) AS archived_where_sent FROM odd_queues o
 WHERE pg_temp.value_of(format('SELECT message::text FROM pgq.%I', 'a_' || o.queue))
       = format('{"n": %s}', o.n);
SELECT count(*) AS dropped FROM odd_queues o
 CROSS JOIN LATERAL pg_temp.try(format('pgq.drop_queue(%L)', o.name)) t
 WHERE t.state = 'ok';
SELECT count(*) = :pgq_relations_before AS back_to_the_start FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace;
SELECT count(*) AS meta_rows FROM pgq.meta;

-- names that are valid but look like other objects: they make queue
-- tables in schema pgq and touch nothing else
SELECT pgq.create_queue('pg_class');
SELECT pgq.create_queue('victim');
SELECT pgq.create_queue('meta');
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = 'pgq'::regnamespace AND c.relkind = 'r' ORDER BY 1;
SELECT pgq.send('victim', '{"n": 1}');
SELECT count(*) AS victim_rows, (SELECT count(*) FROM pgq.q_victim) AS queue_rows FROM victim;
SELECT count(*) > 0 AS pg_class_intact FROM pg_catalog.pg_class;
SELECT queue_name FROM pgq.list_queues() ORDER BY 1;
-- a table that exists but is not a queue is not one
SELECT * FROM pg_temp.try($$pgq.send('orders_table', '{}')$$);
CREATE TABLE orders_table (id int);
SELECT * FROM pg_temp.try($$pgq.send('orders_table', '{}')$$);
DROP TABLE orders_table;
SELECT pgq.drop_queue('pg_class'), pgq.drop_queue('victim'), pgq.drop_queue('meta');

-- values at and past the limits
SELECT pgq.create_queue('hv');
SELECT pgq.send('hv', '{"n": 1}'), pgq.send('hv', '{"n": 2}'), pgq.send('hv', '{"n": 3}');
-- vt and delay at 2^31-1 seconds (about 68 years) are accepted
SELECT pgq.send('hv', '{"far": true}', 2147483647) AS far_id \gset
SELECT vt > now() + interval '68 years' AS far_future FROM pgq.q_hv WHERE msg_id = :far_id;
SELECT msg_id, read_ct FROM pgq.read('hv', 2147483647, 1);
SELECT vt > now() + interval '68 years' AS far_future FROM pgq.q_hv WHERE msg_id = 1;
SELECT msg_id, vt > now() + interval '68 years' AS far_future FROM pgq.set_vt('hv', 1, 2147483647);
-- and one past them does not even parse as an integer
SELECT * FROM pg_temp.try($$pgq.read('hv', 2147483648, 1)$$);
-- negative ones are refused
SELECT * FROM pg_temp.try($$pgq.read('hv', -1, 1)$$);
SELECT * FROM pg_temp.try($$pgq.read('hv', -2147483648, 1)$$);
SELECT * FROM pg_temp.try($$pgq.send('hv', '{}', -1)$$);
SELECT * FROM pg_temp.try($$pgq.send_batch('hv', ARRAY['{}']::jsonb[], -2147483648)$$);
SELECT * FROM pg_temp.try($$pgq.set_vt('hv', 2, -1)$$);
SELECT * FROM pg_temp.try($$pgq.read('hv', 30, 0)$$);
SELECT * FROM pg_temp.try($$pgq.pop('hv', -5)$$);
-- a qty of 10^9 on a small queue returns what there is
SELECT msg_id, read_ct FROM pgq.read('hv', 0, 1000000000);
SELECT count(*) AS popped FROM pgq.pop('hv', 1000000000);
SELECT count(*) AS left_in_queue FROM pgq.q_hv;
-- empty arrays: nothing sent, nothing removed
SELECT count(*) AS sent FROM pgq.send_batch('hv', '{}'::jsonb[]);
SELECT count(*) AS sent FROM pgq.send_batch('hv', '{}'::jsonb[], '{}'::jsonb[]);
SELECT count(*) AS deleted FROM pgq.delete('hv', '{}'::bigint[]);
SELECT count(*) AS archived FROM pgq.archive('hv', '{}'::bigint[]);
-- NULLs inside arrays
SELECT * FROM pg_temp.try($$pgq.send_batch('hv', ARRAY['{}', NULL]::jsonb[])$$);
SELECT * FROM pg_temp.try($$pgq.delete('hv', ARRAY[1, NULL]::bigint[])$$);
SELECT * FROM pg_temp.try($$pgq.archive('hv', ARRAY[NULL]::bigint[])$$);
SELECT * FROM pg_temp.try($$pgq.send('hv', NULL)$$);
-- a JSON null is a value, not a SQL NULL
SELECT pgq.send('hv', 'null') AS null_json_id \gset
SELECT message FROM pgq.q_hv WHERE msg_id = :null_json_id;
-- ids that do not exist, or belong to another queue
SELECT pgq.create_queue('hv_other');
SELECT pgq.send('hv_other', '{"other": true}') AS other_id \gset
SELECT pgq.delete('hv', :other_id + 1000), pgq.archive('hv', -1), pgq.delete('hv', 9223372036854775807);
SELECT count(*) AS untouched FROM pgq.q_hv_other WHERE msg_id = :other_id;
-- a 50 MB message goes in and comes out whole
SELECT pgq.purge_queue('hv') >= 0 AS purged;
SELECT pgq.send('hv', jsonb_build_object('pad', repeat('x', 50 * 1024 * 1024))) AS big_id \gset
SELECT msg_id = :big_id AS same_id, length(message ->> 'pad') AS pad_length, read_ct
  FROM pgq.read('hv', 30, 1);
SELECT x = :big_id AS archived FROM pgq.archive('hv', ARRAY[:big_id]::bigint[]) x;
SELECT length(message ->> 'pad') AS archived_pad_length FROM pgq.a_hv WHERE msg_id = :big_id;

SELECT pgq.drop_queue('hv'), pgq.drop_queue('hv_other');
DROP TABLE victim;
