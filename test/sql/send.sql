--
-- send: every overload, headers, delays, and transactional behaviour
--
\set SHOW_CONTEXT never
\set VERBOSITY default

SELECT pgq.create_queue('snd');

-- send(queue_name, msg)
SELECT pgq.send('snd', '{"n": 1}');
-- send(queue_name, msg, headers)
SELECT pgq.send('snd', '{"n": 2}', '{"h": "two"}'::jsonb);
SELECT pgq.send('snd', '{"n": 3}', NULL::jsonb);
-- send(queue_name, msg, delay integer)
SELECT pgq.send('snd', '{"n": 4}', 3600);
SELECT pgq.send('snd', '{"n": 5}', 0);
-- send(queue_name, msg, delay timestamptz)
SELECT pgq.send('snd', '{"n": 6}', '2999-01-01 00:00:00+00'::timestamptz);
SELECT pgq.send('snd', '{"n": 7}', '2000-01-01 00:00:00+00'::timestamptz);
-- send(queue_name, msg, headers, delay integer)
SELECT pgq.send('snd', '{"n": 8}', '{"h": "eight"}'::jsonb, 3600);
SELECT pgq.send('snd', '{"n": 9}', NULL::jsonb, 0);
-- send(queue_name, msg, headers, delay timestamptz)
SELECT pgq.send('snd', '{"n": 10}', '{"h": "ten"}'::jsonb, '2999-01-01 00:00:00+00'::timestamptz);
SELECT pgq.send('snd', '{"n": 11}', '{"h": "eleven"}'::jsonb, '2000-01-01 00:00:00+00'::timestamptz);
-- named arguments
SELECT pgq.send(queue_name => 'snd', msg => '{"n": 12}', delay => 5000);
SELECT pgq.send(queue_name => 'snd', msg => '{"n": 13}');
SELECT pgq.send(msg => '{"n": 14}', queue_name => 'snd', headers => '{"h": 14}');
SELECT pgq.send(queue_name => 'snd', msg => '{"n": 15}', headers => '{"h": 15}',
                delay => '2999-01-01 00:00:00+00'::timestamptz);
-- any jsonb value is a message, including a JSON null
SELECT pgq.send('snd', '"text"');
SELECT pgq.send('snd', 'null'::jsonb, '[1, 2]'::jsonb);

-- what was stored: payload, headers, read state
SELECT msg_id, message, headers, read_ct, last_read_at IS NULL AS never_read
  FROM pgq.q_snd ORDER BY msg_id;

-- vt: now for no delay, now + delay seconds, or the timestamp given
SELECT msg_id,
       CASE
         WHEN message->>'n' IN ('4', '8') THEN
              vt >= enqueued_at + interval '3600 s'
              AND vt <= clock_timestamp() + interval '3600 s'
         WHEN message->>'n' = '12' THEN
              vt >= enqueued_at + interval '5000 s'
              AND vt <= clock_timestamp() + interval '5000 s'
         WHEN message->>'n' IN ('6', '10', '15') THEN
              vt = '2999-01-01 00:00:00+00'
         WHEN message->>'n' IN ('7', '11') THEN
              vt = '2000-01-01 00:00:00+00'
         ELSE vt >= enqueued_at AND vt <= clock_timestamp()
       END AS vt_ok,
       enqueued_at <= clock_timestamp() AS enqueued_ok
  FROM pgq.q_snd ORDER BY msg_id;

-- delayed messages are hidden from read and pop
SELECT msg_id, message FROM pgq.read('snd', 3600, 100);
SELECT msg_id FROM pgq.pop('snd', 100);
SELECT msg_id, message FROM pgq.q_snd ORDER BY msg_id;

-- a rolled-back send never appears
BEGIN;
SELECT pgq.send('snd', '{"rolled": "back"}');
SELECT count(*) FROM pgq.q_snd WHERE message = '{"rolled": "back"}';
ROLLBACK;
SELECT count(*) FROM pgq.q_snd WHERE message = '{"rolled": "back"}';
SELECT count(*) FROM pgq.read('snd', 3600, 100);

-- a send commits or rolls back together with the business data
CREATE TABLE snd_orders (id int PRIMARY KEY, item text);

BEGIN;
INSERT INTO snd_orders VALUES (1, 'book');
SELECT pgq.send('snd', jsonb_build_object('order_id', 1)) IS NOT NULL AS sent;
COMMIT;

BEGIN;
INSERT INTO snd_orders VALUES (2, 'lamp');
SELECT pgq.send('snd', jsonb_build_object('order_id', 2)) IS NOT NULL AS sent;
ROLLBACK;

SELECT * FROM snd_orders ORDER BY id;
SELECT message FROM pgq.read('snd', 3600, 100);
SELECT o.id, o.item
  FROM snd_orders o JOIN pgq.q_snd q ON (q.message->>'order_id')::int = o.id;

-- send several times in one statement, once per row of a LATERAL join
-- (send returns SETOF bigint, which an aggregate's argument may not hold)
SELECT count(DISTINCT id) AS distinct_ids, count(*) AS calls
  FROM generate_series(1, 50) i, LATERAL pgq.send('snd', jsonb_build_object('i', i)) AS id;
SELECT count(*), min((message->>'i')::int), max((message->>'i')::int)
  FROM pgq.q_snd WHERE message ? 'i';

-- a large message, passed straight from another table's column, is stored
-- in full and survives that table being dropped
CREATE TABLE snd_big AS
SELECT jsonb_build_object('big', (SELECT jsonb_agg(i) FROM generate_series(1, 100000) i),
                          'pad', repeat('x', 100000)) AS j;
SELECT md5(j::text) AS big_md5 FROM snd_big \gset
SELECT pg_column_size(j) > 2000 AS stored_out_of_line FROM snd_big;
SELECT pgq.send('snd', j, jsonb_build_object('size', length(j::text))) > 0 AS sent FROM snd_big;
DROP TABLE snd_big;
SELECT md5(message::text) = :'big_md5' AS same_message,
       headers->'size' = to_jsonb(length(message::text)) AS same_size
  FROM pgq.q_snd WHERE message ? 'big';

-- an unlogged queue takes messages the same way
SELECT pgq.create_queue('snd_unlogged', true);
SELECT pgq.send('snd_unlogged', '{"u": 1}', '{"h": 1}'::jsonb, 0);
SELECT msg_id, message, headers FROM pgq.q_snd_unlogged;

-- send returns SETOF bigint, as pgmq's: one row, in the select list or in FROM
SELECT pgq.create_queue('snd_setof');
SELECT count(*) AS rows FROM pgq.send('snd_setof', '{"s": 1}');
SELECT * FROM pgq.send('snd_setof', '{"s": 2}');
SELECT id, pg_typeof(id) FROM pgq.send('snd_setof', '{"s": 3}', '{"h": 3}'::jsonb) AS id;
SELECT pgq.send('snd_setof', '{"s": 4}', 0) AS id;
SELECT count(*) AS rows FROM pgq.send('snd_setof', '{"s": 5}', '2000-01-01 00:00:00+00'::timestamptz);
SELECT count(*) AS rows FROM pgq.send('snd_setof', '{"s": 6}', NULL::jsonb, 0);
SELECT count(*) AS rows FROM pgq.send('snd_setof', '{"s": 7}', NULL::jsonb, now());
SELECT p.oid::regprocedure AS overload, p.proretset, p.prorows
  FROM pg_proc p
 WHERE p.pronamespace = 'pgq'::regnamespace AND p.proname = 'send'
 ORDER BY 1::text COLLATE "C";
-- one message each, numbered in order
SELECT msg_id, message FROM pgq.q_snd_setof ORDER BY msg_id;
-- PostgreSQL refuses a set-returning function inside an aggregate (so
-- count(pgq.send(...)) of 0.4.0 must move send into FROM): nothing is sent
SELECT count(pgq.send('snd_setof', '{"s": "agg"}'));
\echo :SQLSTATE
SELECT count(*) AS total FROM pgq.q_snd_setof;
-- in PL/pgSQL, assignment and PERFORM take the one row
DO $$
DECLARE
    id bigint;
BEGIN
    id := pgq.send('snd_setof', '{"s": "plpgsql"}');
    PERFORM pgq.send('snd_setof', '{"s": "perform"}');
    RAISE NOTICE 'assigned id %', id;
END
$$;
SELECT msg_id, message FROM pgq.q_snd_setof WHERE msg_id > 7 ORDER BY msg_id;
SELECT pgq.drop_queue('snd_setof');

DROP TABLE snd_orders;
SELECT pgq.drop_queue('snd');
SELECT pgq.drop_queue('snd_unlogged');
