--
-- pop: read and delete in one step
--
\set SHOW_CONTEXT never
\set VERBOSITY default

SELECT pgq.create_queue('pp');
SELECT count(*) FROM pgq.send_batch('pp',
    ARRAY['{"n": 1}', '{"n": 2}', '{"n": 3}', '{"n": 4}']::jsonb[],
    ARRAY['{"h": 1}', NULL, NULL, NULL]::jsonb[]);

-- qty defaults to 1; the row comes back as stored and is gone afterwards
SELECT msg_id, read_ct, message, headers, last_read_at IS NULL AS never_read,
       vt <= clock_timestamp() AS was_visible
  FROM pgq.pop('pp');
SELECT msg_id FROM pgq.q_pp ORDER BY msg_id;
-- popped messages are deleted, not archived
SELECT count(*) FROM pgq.a_pp;

-- qty: first sent first
SELECT msg_id, read_ct, message FROM pgq.pop('pp', 2);
SELECT msg_id, message FROM pgq.pop(queue_name => 'pp', qty => 10);
SELECT count(*) FROM pgq.q_pp;

-- an empty queue pops nothing
SELECT count(*) FROM pgq.pop('pp');
SELECT count(*) FROM pgq.pop('pp', 5);

-- delayed and currently read messages are not popped
SELECT pgq.send('pp', '{"n": "delayed"}', 3600);
SELECT pgq.send('pp', '{"n": "read"}');
SELECT msg_id, read_ct FROM pgq.read('pp', 3600, 1);
SELECT pgq.send('pp', '{"n": "ready"}');
SELECT msg_id, message FROM pgq.pop('pp', 10);
SELECT count(*) FROM pgq.pop('pp', 10);
SELECT msg_id, message FROM pgq.q_pp ORDER BY msg_id;

-- once visible again, pop returns read_ct as stored (not incremented)
SELECT msg_id, read_ct FROM pgq.set_vt('pp', 6, 0);
SELECT msg_id, read_ct, message, last_read_at IS NOT NULL AS was_read FROM pgq.pop('pp');
SELECT msg_id, message FROM pgq.q_pp ORDER BY msg_id;

-- a rolled-back pop leaves the message in place
SELECT pgq.send('pp', '{"n": "kept"}');
BEGIN;
SELECT msg_id, message FROM pgq.pop('pp');
SELECT count(*) FROM pgq.q_pp WHERE msg_id = 8;
ROLLBACK;
SELECT msg_id, read_ct, message FROM pgq.q_pp ORDER BY msg_id;
SELECT msg_id, read_ct, message FROM pgq.pop('pp', 1);

-- several pops in one transaction each take the next message
SELECT count(*) FROM pgq.send_batch('pp', ARRAY['{"t": 1}', '{"t": 2}']::jsonb[]);
BEGIN;
SELECT msg_id FROM pgq.pop('pp');
SELECT msg_id FROM pgq.pop('pp');
SELECT count(*) FROM pgq.pop('pp');
COMMIT;

-- pop in the select list
SELECT count(*) FROM pgq.send_batch('pp', ARRAY['{"s": 1}', '{"s": 2}', '{"s": 3}', '{"s": 4}']::jsonb[]);
SELECT (pgq.pop('pp', 2)).msg_id;
SELECT g, (pgq.pop('pp')).msg_id FROM generate_series(1, 3) g;

SELECT msg_id, message FROM pgq.q_pp ORDER BY msg_id;
SELECT pgq.drop_queue('pp');
