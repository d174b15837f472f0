--
-- read: quantity, order, visibility timeout, read count, rollback
--
\set SHOW_CONTEXT never
\set VERBOSITY default

SELECT pgq.create_queue('rd');
SELECT count(*) FROM pgq.send_batch('rd',
    ARRAY['{"n": 1}', '{"n": 2}', '{"n": 3}', '{"n": 4}', '{"n": 5}']::jsonb[],
    ARRAY['{"h": 1}', NULL, NULL, NULL, '{"h": 5}']::jsonb[]);

-- qty caps the number of rows; first sent first; each row already
-- shows the new read_ct, last_read_at and vt
SELECT msg_id, read_ct, message, headers,
       last_read_at >= now() AND last_read_at <= clock_timestamp() AS last_read_ok,
       vt >= now() + interval '300 s'
       AND vt <= clock_timestamp() + interval '300 s' AS vt_ok,
       enqueued_at < vt AS enqueued_ok
  FROM pgq.read('rd', 300, 2);

-- the rows returned match what is stored
SELECT msg_id, read_ct, last_read_at IS NOT NULL AS was_read,
       vt > clock_timestamp() + interval '200 s' AS invisible
  FROM pgq.q_rd ORDER BY msg_id;

-- read messages are invisible: the next read gets the rest
SELECT msg_id, read_ct, message FROM pgq.read('rd', 600, 10);
SELECT msg_id, read_ct FROM pgq.read('rd', 30, 10);
SELECT count(*) FROM pgq.read(queue_name => 'rd', vt => 30, qty => 1);

-- the longer visibility timeout was stored for 3, 4 and 5
SELECT msg_id,
       vt >= enqueued_at + interval '600 s'
       AND vt <= clock_timestamp() + interval '600 s' AS vt_600
  FROM pgq.q_rd WHERE msg_id >= 3 ORDER BY msg_id;

-- vt = 0: the message is visible again at once, and read_ct counts up
SELECT pgq.send('rd', '{"n": 6}');
SELECT msg_id, read_ct, vt <= clock_timestamp() AS visible_now
  FROM pgq.read('rd', 0, 1);
SELECT msg_id, read_ct FROM pgq.read('rd', 0, 1);
SELECT msg_id, read_ct FROM pgq.read('rd', 0, 5);

-- order: the message visible longest first (by vt, then msg_id), not by
-- msg_id nor by send time.  7 was due in 2000: first.  2 is visible from
-- now on: behind 6, visible since it was sent.  A batch comes back sorted
-- by msg_id; a read with vt 0 leaves each message where it was.
SELECT pgq.send('rd', '{"n": 7}', '2000-01-01 00:00:00+00'::timestamptz);
SELECT msg_id, set_vt.vt <= clock_timestamp() AS visible
  FROM pgq.set_vt('rd', 2, 0) AS set_vt;
SELECT msg_id, read_ct, message FROM pgq.read('rd', 0, 10);
SELECT msg_id, read_ct FROM pgq.read('rd', 0, 2);
SELECT msg_id, read_ct FROM pgq.read('rd', 0, 1);
-- one at a time, each read takes the next one in that order
BEGIN;
SELECT g, (pgq.read('rd', 300, 1)).msg_id FROM generate_series(1, 4) g;
ROLLBACK;
-- the same order, from the table: vt is unchanged by the reads with vt 0
SELECT msg_id, vt = '2000-01-01 00:00:00+00' AS due_2000
  FROM pgq.q_rd WHERE vt <= clock_timestamp() ORDER BY vt, msg_id;

-- a rolled-back read leaves the message as it was (7, the head)
SELECT msg_id, read_ct, last_read_at AS last_read_before, vt AS vt_before
  FROM pgq.q_rd WHERE msg_id = 7 \gset
BEGIN;
SELECT msg_id, read_ct FROM pgq.read('rd', 300, 1);
-- inside the transaction the message is taken
SELECT msg_id, read_ct FROM pgq.read('rd', 300, 1);
ROLLBACK;
SELECT msg_id, read_ct,
       last_read_at = :'last_read_before'::timestamptz AS same_last_read,
       vt = :'vt_before'::timestamptz AS same_vt
  FROM pgq.q_rd WHERE msg_id = 7;
SELECT msg_id, read_ct FROM pgq.read('rd', 300, 1);

-- reads in one transaction see each other's effect
BEGIN;
SELECT msg_id, read_ct FROM pgq.read('rd', 300, 1);
SELECT msg_id, read_ct FROM pgq.read('rd', 300, 1);
SELECT msg_id, read_ct FROM pgq.read('rd', 300, 1);
COMMIT;

-- nothing visible any more; a read of an empty queue is empty
SELECT count(*) FROM pgq.read('rd', 30, 10);
SELECT pgq.create_queue('rd_empty');
SELECT count(*) FROM pgq.read('rd_empty', 30, 10);

-- read in the select list works as well
SELECT (pgq.read('rd_empty', 300, 1)).msg_id;
SELECT pgq.send('rd_empty', '{"sl": 1}');
SELECT (r).msg_id, (r).read_ct, (r).message
  FROM (SELECT pgq.read('rd_empty', 300, 1) AS r) s;

-- several reads in one statement each get the next message
SELECT count(*) FROM pgq.send_batch('rd_empty', ARRAY['{"m": 2}', '{"m": 3}', '{"m": 4}']::jsonb[]);
SELECT g, (pgq.read('rd_empty', 300, 1)).msg_id FROM generate_series(1, 4) g;

-- the largest vt is accepted
SELECT pgq.send('rd_empty', '{"m": 5}');
SELECT msg_id, vt > now() + interval '60 years' AS far_away
  FROM pgq.read('rd_empty', 2147483647, 1);
SELECT count(*) FROM pgq.read('rd_empty', 0, 10);

-- the rows read returns: pgq.message_record, pgmq's six columns in pgmq's
-- order, then pgq's last_read_at
SELECT a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type
  FROM pg_attribute a
 WHERE a.attrelid = 'pgq.message_record'::regclass AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum;

-- conditional: only the messages that contain it (jsonb @>) are read;
-- the condition is applied before qty
SELECT pgq.create_queue('rd_cond');
SELECT count(*) FROM pgq.send_batch('rd_cond',
    ARRAY['{"type": "a", "n": 1}', '{"type": "b", "n": 2}',
          '{"type": "a", "n": 3, "tags": ["x", "y"], "meta": {"p": 1, "q": 2}}',
          '[1, 2]', '"text"']::jsonb[]);
SELECT msg_id, read_ct, message FROM pgq.read('rd_cond', 0, 10, '{"type": "a"}');
SELECT msg_id, read_ct FROM pgq.read('rd_cond', 0, 10, '{"tags": ["y"]}');
SELECT msg_id, read_ct FROM pgq.read('rd_cond', 0, 10, '{"meta": {"q": 2}}');
SELECT msg_id, read_ct FROM pgq.read('rd_cond', 0, 1, '{"n": 3}');
SELECT msg_id, read_ct FROM pgq.read('rd_cond', 0, 10, '{"type": "none"}');
SELECT msg_id, read_ct FROM pgq.read(queue_name => 'rd_cond', vt => 0, qty => 10,
                                     conditional => '{"type": "b"}');
-- '{}', the default, is no condition: every visible message
SELECT msg_id, read_ct FROM pgq.read('rd_cond', 0, 10, '{}');
SELECT msg_id, read_ct FROM pgq.read('rd_cond', 0, 10);
-- the matches are hidden for vt; the others stay visible
SELECT msg_id FROM pgq.read('rd_cond', 300, 10, '{"type": "a"}');
SELECT msg_id FROM pgq.read('rd_cond', 0, 10, '{"type": "a"}');
SELECT msg_id FROM pgq.read('rd_cond', 0, 10);
-- NULL is not '{}': 22004 in schema pgq
SELECT * FROM pgq.read('rd_cond', 0, 10, NULL);
\echo :SQLSTATE

-- read_with_poll: a visible message is returned at once, not after
-- max_poll_seconds
SELECT clock_timestamp() AS poll_t0 \gset
SELECT msg_id, read_ct, message FROM pgq.read_with_poll('rd_cond', 300, 1, 10, 100);
SELECT clock_timestamp() - :'poll_t0'::timestamptz < interval '5 s' AS at_once;
-- with a condition, and qty; the defaults (5 s, 100 ms) by name
SELECT msg_id, read_ct, message
  FROM pgq.read_with_poll(queue_name => 'rd_cond', vt => 300, qty => 5, conditional => '[1]');
-- an empty queue: no row, after max_poll_seconds
SELECT pgq.create_queue('rd_poll');
SELECT clock_timestamp() AS poll_t0 \gset
SELECT msg_id FROM pgq.read_with_poll('rd_poll', 30, 1, 1, 100);
SELECT clock_timestamp() - :'poll_t0'::timestamptz >= interval '0.9 s' AS waited,
       clock_timestamp() - :'poll_t0'::timestamptz < interval '10 s' AS not_much_longer;
-- max_poll_seconds 0: one read, no wait
SELECT clock_timestamp() AS poll_t0 \gset
SELECT msg_id FROM pgq.read_with_poll('rd_poll', 30, 1, 0, 100);
SELECT clock_timestamp() - :'poll_t0'::timestamptz < interval '3 s' AS at_once;
-- a message that becomes visible while it polls is found: sent with a
-- delay of 2 seconds, read by a poll of up to 10 that began before then
SELECT pgq.send('rd_poll', '{"late": true}', 2);
SELECT clock_timestamp() AS poll_t0 \gset
SELECT msg_id, read_ct, message,
       :'poll_t0'::timestamptz < enqueued_at + interval '2 s' AS polled_before_visible
  FROM pgq.read_with_poll('rd_poll', 30, 1, 10, 50);
SELECT clock_timestamp() - :'poll_t0'::timestamptz < interval '8 s' AS before_the_deadline;
-- the poll's arguments
SELECT * FROM pgq.read_with_poll('rd_poll', 30, 1, -1, 100);
\echo :SQLSTATE
SELECT * FROM pgq.read_with_poll('rd_poll', 30, 1, 1, 0);
\echo :SQLSTATE
SELECT * FROM pgq.read_with_poll('rd_poll', 30, 1, 1, 100, NULL);
\echo :SQLSTATE
SELECT * FROM pgq.read_with_poll('rd_poll', -1, 1);
\echo :SQLSTATE

SELECT pgq.drop_queue('rd_cond');
SELECT pgq.drop_queue('rd_poll');

-- final state
SELECT msg_id, read_ct, message FROM pgq.q_rd ORDER BY msg_id;

SELECT pgq.drop_queue('rd');
SELECT pgq.drop_queue('rd_empty');
