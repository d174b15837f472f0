--
-- plan_cache: one session that drops and re-creates queues under the same
-- name, switches between queues, and mixes logged and unlogged; every call
-- must act on the queue that exists now
--
\set SHOW_CONTEXT never
\set VERBOSITY default

-- use every function on a queue, so that each has a prepared plan
SELECT pgq.create_queue('pc');
SELECT pgq.send('pc', '{"gen": 1, "n": 1}');
SELECT pgq.send('pc', '{"gen": 1, "n": 2}', '{"h": 1}'::jsonb);
SELECT pgq.send('pc', '{"gen": 1, "n": 3}', 0);
SELECT pgq.send('pc', '{"gen": 1, "n": 4}', '2000-01-01 00:00:00+00'::timestamptz);
SELECT pgq.send('pc', '{"gen": 1, "n": 5}', NULL::jsonb, 0);
SELECT pgq.send('pc', '{"gen": 1, "n": 6}', NULL::jsonb, '2000-01-01 00:00:00+00'::timestamptz);
SELECT * FROM pgq.send_batch('pc', ARRAY['{"gen": 1, "n": 7}']::jsonb[]);
SELECT * FROM pgq.send_batch('pc', ARRAY['{"gen": 1, "n": 8}']::jsonb[], ARRAY[NULL]::jsonb[]);
SELECT * FROM pgq.send_batch('pc', ARRAY['{"gen": 1, "n": 9}']::jsonb[], 0);
SELECT * FROM pgq.send_batch('pc', ARRAY['{"gen": 1, "n": 10}']::jsonb[], now());
SELECT * FROM pgq.send_batch('pc', ARRAY['{"gen": 1, "n": 11}']::jsonb[], ARRAY[NULL]::jsonb[], 0);
SELECT * FROM pgq.send_batch('pc', ARRAY['{"gen": 1, "n": 12}']::jsonb[], ARRAY[NULL]::jsonb[], now());
SELECT msg_id, read_ct FROM pgq.read('pc', 0, 2);
SELECT msg_id FROM pgq.pop('pc');
SELECT msg_id FROM pgq.set_vt('pc', 2, 0);
SELECT pgq.archive('pc', 3);
SELECT * FROM pgq.archive('pc', ARRAY[4, 5]::bigint[]);
SELECT pgq.delete('pc', 6);
SELECT * FROM pgq.delete('pc', ARRAY[7, 8]::bigint[]);
SELECT queue_length, total_messages FROM pgq.metrics('pc');
SELECT queue_name, queue_length FROM pgq.metrics_all() WHERE queue_name LIKE 'pc%';
SELECT pgq.purge_queue('pc');

-- drop it; every function now reports the missing queue
SELECT pgq.drop_queue('pc');
SELECT pgq.send('pc', '{}');
\echo :SQLSTATE
SELECT pgq.send('pc', '{}', '{}'::jsonb, 0);
\echo :SQLSTATE
SELECT * FROM pgq.send_batch('pc', ARRAY['{}']::jsonb[]);
\echo :SQLSTATE
SELECT * FROM pgq.read('pc', 0, 1);
\echo :SQLSTATE
SELECT * FROM pgq.pop('pc');
\echo :SQLSTATE
SELECT * FROM pgq.set_vt('pc', 1, 0);
\echo :SQLSTATE
SELECT pgq.archive('pc', 1);
\echo :SQLSTATE
SELECT * FROM pgq.archive('pc', ARRAY[1]::bigint[]);
\echo :SQLSTATE
SELECT pgq.delete('pc', 1);
\echo :SQLSTATE
SELECT * FROM pgq.delete('pc', ARRAY[1]::bigint[]);
\echo :SQLSTATE
SELECT pgq.purge_queue('pc');
\echo :SQLSTATE
SELECT * FROM pgq.metrics('pc');
\echo :SQLSTATE
SELECT count(*) FROM pgq.metrics_all() WHERE queue_name = 'pc';

-- re-create under the same name, now unlogged: ids restart, the old
-- messages and archive are gone, every function works
SELECT pgq.create_queue('pc', true);
SELECT relname, relpersistence FROM pg_class
 WHERE relname IN ('q_pc', 'a_pc') ORDER BY relname;
SELECT pgq.send('pc', '{"gen": 2, "n": 1}');
SELECT pgq.send('pc', '{"gen": 2, "n": 2}', '{"h": 2}'::jsonb);
SELECT pgq.send('pc', '{"gen": 2, "n": 3}', 0);
SELECT pgq.send('pc', '{"gen": 2, "n": 4}', '2000-01-01 00:00:00+00'::timestamptz);
SELECT pgq.send('pc', '{"gen": 2, "n": 5}', NULL::jsonb, 0);
SELECT pgq.send('pc', '{"gen": 2, "n": 6}', NULL::jsonb, '2000-01-01 00:00:00+00'::timestamptz);
SELECT * FROM pgq.send_batch('pc', ARRAY['{"gen": 2, "n": 7}']::jsonb[]);
SELECT * FROM pgq.send_batch('pc', ARRAY['{"gen": 2, "n": 8}']::jsonb[], ARRAY[NULL]::jsonb[]);
SELECT * FROM pgq.send_batch('pc', ARRAY['{"gen": 2, "n": 9}']::jsonb[], 0);
SELECT * FROM pgq.send_batch('pc', ARRAY['{"gen": 2, "n": 10}']::jsonb[], now());
SELECT * FROM pgq.send_batch('pc', ARRAY['{"gen": 2, "n": 11}']::jsonb[], ARRAY[NULL]::jsonb[], 0);
SELECT * FROM pgq.send_batch('pc', ARRAY['{"gen": 2, "n": 12}']::jsonb[], ARRAY[NULL]::jsonb[], now());
SELECT count(*) FROM pgq.a_pc;
SELECT msg_id, read_ct, message FROM pgq.read('pc', 0, 2);
SELECT msg_id, message FROM pgq.pop('pc');
SELECT msg_id, read_ct FROM pgq.set_vt('pc', 2, 0);
SELECT pgq.archive('pc', 3);
SELECT * FROM pgq.archive('pc', ARRAY[4, 5]::bigint[]);
SELECT pgq.delete('pc', 6);
SELECT * FROM pgq.delete('pc', ARRAY[7, 8]::bigint[]);
SELECT msg_id, message FROM pgq.q_pc ORDER BY msg_id;
SELECT msg_id, message FROM pgq.a_pc ORDER BY msg_id;
SELECT queue_length, total_messages FROM pgq.metrics('pc');
SELECT pgq.purge_queue('pc');

-- and once more, logged again
SELECT pgq.drop_queue('pc');
SELECT pgq.create_queue('pc');
SELECT relname, relpersistence FROM pg_class
 WHERE relname IN ('q_pc', 'a_pc') ORDER BY relname;
SELECT pgq.send('pc', '{"gen": 3}');
SELECT msg_id, message FROM pgq.read('pc', 0, 1);
SELECT pgq.archive('pc', 1);
SELECT msg_id, message FROM pgq.a_pc;
SELECT queue_length, total_messages FROM pgq.metrics('pc');

-- two queues used alternately: each call lands in its own queue
SELECT pgq.create_queue('pc_a');
SELECT pgq.create_queue('pc_b', true);
SELECT pgq.send('pc_a', '{"q": "a", "n": 1}');
SELECT pgq.send('pc_b', '{"q": "b", "n": 1}');
SELECT pgq.send('pc_a', '{"q": "a", "n": 2}');
SELECT pgq.send('pc_b', '{"q": "b", "n": 2}');
SELECT * FROM pgq.send_batch('pc_b', ARRAY['{"q": "b", "n": 3}']::jsonb[]);
SELECT * FROM pgq.send_batch('pc_a', ARRAY['{"q": "a", "n": 3}']::jsonb[]);
SELECT msg_id, message FROM pgq.read('pc_a', 0, 1);
SELECT msg_id, message FROM pgq.read('pc_b', 0, 1);
SELECT msg_id, message FROM pgq.pop('pc_b');
SELECT msg_id, message FROM pgq.pop('pc_a');
SELECT pgq.archive('pc_a', 2);
SELECT pgq.archive('pc_b', 3);
SELECT pgq.delete('pc_b', 2);
SELECT pgq.delete('pc_a', 3);
SELECT 'a' AS q, msg_id, message FROM pgq.q_pc_a
UNION ALL SELECT 'b', msg_id, message FROM pgq.q_pc_b ORDER BY 1, 2;
SELECT 'a' AS q, msg_id, message FROM pgq.a_pc_a
UNION ALL SELECT 'b', msg_id, message FROM pgq.a_pc_b ORDER BY 1, 2;
SELECT queue_name, queue_length, total_messages FROM pgq.metrics_all()
 WHERE queue_name LIKE 'pc%';

-- drop one of them; the other is unaffected
SELECT pgq.drop_queue('pc_a');
SELECT pgq.send('pc_a', '{}');
\echo :SQLSTATE
SELECT pgq.send('pc_b', '{"q": "b", "n": 4}');
SELECT msg_id, message FROM pgq.read('pc_b', 0, 10);

-- drop and re-create inside one transaction
BEGIN;
SELECT pgq.send('pc_b', '{"q": "b", "n": 5}');
SELECT pgq.drop_queue('pc_b');
SELECT pgq.create_queue('pc_b');
SELECT pgq.send('pc_b', '{"q": "b2", "n": 1}');
SELECT msg_id, message FROM pgq.read('pc_b', 0, 10);
COMMIT;
SELECT msg_id, message FROM pgq.q_pc_b;
SELECT queue_name, is_unlogged FROM pgq.list_queues() WHERE queue_name LIKE 'pc%';

-- a drop that is rolled back: the queue and its plans still work
SELECT pgq.send('pc_b', '{"q": "b2", "n": 2}');
BEGIN;
SELECT pgq.drop_queue('pc_b');
SELECT pgq.send('pc_b', '{}');
\echo :SQLSTATE
ROLLBACK;
SELECT pgq.send('pc_b', '{"q": "b2", "n": 3}');
SELECT msg_id, message FROM pgq.read('pc_b', 0, 10);

-- a create that is rolled back after the queue was used: the queue is
-- gone, and a real create afterwards starts from scratch
BEGIN;
SELECT pgq.create_queue('pc_rb');
SELECT pgq.send('pc_rb', '{"rb": 1}');
SELECT pgq.send('pc_rb', '{"rb": 2}');
SELECT msg_id FROM pgq.read('pc_rb', 0, 10);
ROLLBACK;
SELECT pgq.send('pc_rb', '{}');
\echo :SQLSTATE
SELECT * FROM pgq.read('pc_rb', 0, 10);
\echo :SQLSTATE
SELECT pgq.create_queue('pc_rb', true);
SELECT pgq.send('pc_rb', '{"rb": 3}');
SELECT msg_id, read_ct, message FROM pgq.read('pc_rb', 0, 10);

-- a failed call in a rolled-back transaction does not poison later calls
BEGIN;
SELECT pgq.send('pc_rb', '{"rb": 4}');
SELECT pgq.send('pc_rb', NULL);
ROLLBACK;
SELECT pgq.send('pc_rb', '{"rb": 5}');
SELECT msg_id, message FROM pgq.q_pc_rb ORDER BY msg_id;

-- many drop/create cycles in a row
DO $$
BEGIN
    FOR i IN 1 .. 20 LOOP
        PERFORM pgq.create_queue('pc_loop', i % 2 = 0);
        PERFORM pgq.send('pc_loop', jsonb_build_object('i', i));
        PERFORM pgq.send_batch('pc_loop', ARRAY[jsonb_build_object('i', i)]);
        PERFORM pgq.read('pc_loop', 0, 1);
        PERFORM pgq.archive('pc_loop', 1);
        IF i < 20 THEN
            PERFORM pgq.drop_queue('pc_loop');
        END IF;
    END LOOP;
END
$$;
SELECT msg_id, message FROM pgq.q_pc_loop;
SELECT msg_id, message FROM pgq.a_pc_loop;
SELECT queue_name, is_unlogged FROM pgq.list_queues() WHERE queue_name = 'pc_loop';

SELECT pgq.drop_queue('pc');
SELECT pgq.drop_queue('pc_b');
SELECT pgq.drop_queue('pc_rb');
SELECT pgq.drop_queue('pc_loop');
SELECT count(*) FROM pgq.meta WHERE queue_name LIKE 'pc%';
