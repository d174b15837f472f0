--
-- send_batch: every overload, ids in input order, per-element headers
--
\set SHOW_CONTEXT never
\set VERBOSITY default

SELECT pgq.create_queue('sb');

-- send_batch(queue_name, msgs): ids come back in input order
SELECT * FROM pgq.send_batch('sb', ARRAY['{"k": "c"}', '{"k": "a"}', '{"k": "b"}']::jsonb[]);

-- send_batch(queue_name, msgs, headers), one header is NULL
CREATE TEMP TABLE sb_ids AS
SELECT * FROM pgq.send_batch('sb',
    ARRAY['{"k": "z"}', '{"k": "y"}', '{"k": "x"}']::jsonb[],
    ARRAY['{"h": 1}', NULL, '{"h": 3}']::jsonb[])
  WITH ORDINALITY AS b(msg_id, ord);
SELECT b.ord, b.msg_id, q.message, q.headers
  FROM sb_ids b JOIN pgq.q_sb q USING (msg_id) ORDER BY b.ord;

-- headers as a whole may be NULL
SELECT * FROM pgq.send_batch('sb', ARRAY['{"k": "nh"}']::jsonb[], NULL::jsonb[]);

-- send_batch(queue_name, msgs, delay integer)
SELECT * FROM pgq.send_batch('sb', ARRAY['{"d": 1}', '{"d": 2}']::jsonb[], 3600);
SELECT * FROM pgq.send_batch('sb', ARRAY['{"d": 0}']::jsonb[], 0);
-- send_batch(queue_name, msgs, delay timestamptz)
SELECT * FROM pgq.send_batch('sb', ARRAY['{"t": 1}', '{"t": 2}']::jsonb[],
                             '2999-01-01 00:00:00+00'::timestamptz);
SELECT * FROM pgq.send_batch('sb', ARRAY['{"t": 0}']::jsonb[],
                             '2000-01-01 00:00:00+00'::timestamptz);
-- send_batch(queue_name, msgs, headers, delay integer)
SELECT * FROM pgq.send_batch('sb', ARRAY['{"hd": 1}', '{"hd": 2}']::jsonb[],
                             ARRAY[NULL, '{"h": "hd2"}']::jsonb[], 3600);
-- send_batch(queue_name, msgs, headers, delay timestamptz)
SELECT * FROM pgq.send_batch('sb', ARRAY['{"ht": 1}', '{"ht": 2}']::jsonb[],
                             ARRAY['{"h": "ht1"}', '{"h": "ht2"}']::jsonb[],
                             '2999-01-01 00:00:00+00'::timestamptz);
-- named arguments
SELECT * FROM pgq.send_batch(queue_name => 'sb', msgs => ARRAY['{"named": 1}']::jsonb[],
                             delay => 7200);
SELECT * FROM pgq.send_batch(msgs => ARRAY['{"named": 2}', '{"named": 3}']::jsonb[],
                             headers => ARRAY['{"h": "n2"}', '{"h": "n3"}']::jsonb[],
                             queue_name => 'sb');

-- what was stored
SELECT msg_id, message, headers, read_ct, last_read_at IS NULL AS never_read,
       CASE
         WHEN message ? 'd' AND message->>'d' <> '0' OR message ? 'hd' THEN
              vt >= enqueued_at + interval '3600 s'
              AND vt <= clock_timestamp() + interval '3600 s'
         WHEN message ? 'named' AND message->>'named' = '1' THEN
              vt >= enqueued_at + interval '7200 s'
              AND vt <= clock_timestamp() + interval '7200 s'
         WHEN message ? 't' AND message->>'t' <> '0' OR message ? 'ht' THEN
              vt = '2999-01-01 00:00:00+00'
         WHEN message ? 't' THEN
              vt = '2000-01-01 00:00:00+00'
         ELSE vt >= enqueued_at AND vt <= clock_timestamp()
       END AS vt_ok
  FROM pgq.q_sb ORDER BY msg_id;

-- only the undelayed messages are visible
SELECT msg_id, message FROM pgq.read('sb', 30, 100);

-- in the select list, and with arrays that do not start at index 1
SELECT pgq.send_batch('sb', ARRAY['{"sl": 1}', '{"sl": 2}']::jsonb[]);
SELECT pgq.send_batch('sb', '[0:1]={"{\"lb\": 0}","{\"lb\": 1}"}'::jsonb[],
                      '[5:6]={"{\"h\": 5}","{\"h\": 6}"}'::jsonb[]);
SELECT msg_id, message, headers FROM pgq.q_sb
 WHERE message ? 'sl' OR message ? 'lb' ORDER BY msg_id;

-- an empty array sends nothing
SELECT count(*) FROM pgq.send_batch('sb', '{}'::jsonb[]);
SELECT count(*) FROM pgq.send_batch('sb', '{}'::jsonb[], '{}'::jsonb[]);
SELECT count(*) FROM pgq.send_batch('sb', '{}'::jsonb[], 10);
SELECT count(*) FROM pgq.send_batch('sb', '{}'::jsonb[], '{}'::jsonb[], now());
SELECT count(*) FROM pgq.q_sb;

-- headers and msgs must have the same length
SELECT * FROM pgq.send_batch('sb', ARRAY['{}', '{}', '{}']::jsonb[], ARRAY['{}', '{}']::jsonb[]);
\echo :SQLSTATE
SELECT * FROM pgq.send_batch('sb', ARRAY['{}']::jsonb[], ARRAY['{}', '{}']::jsonb[], 10);
\echo :SQLSTATE
SELECT * FROM pgq.send_batch('sb', ARRAY['{}', '{}']::jsonb[], '{}'::jsonb[], now());
\echo :SQLSTATE
SELECT count(*) FROM pgq.q_sb;

-- a big batch: ids distinct and ascending in input order
CREATE TEMP TABLE sb_big AS
SELECT * FROM pgq.send_batch('sb',
    (SELECT array_agg(jsonb_build_object('i', i) ORDER BY i) FROM generate_series(1, 1000) i))
  WITH ORDINALITY AS b(msg_id, ord);
SELECT count(*), count(DISTINCT msg_id),
       bool_and(prev_id IS NULL OR msg_id > prev_id) AS ascending
  FROM (SELECT msg_id, lag(msg_id) OVER (ORDER BY ord) AS prev_id FROM sb_big) s;
SELECT bool_and((q.message->>'i')::bigint = b.ord) AS input_order
  FROM sb_big b JOIN pgq.q_sb q USING (msg_id);

-- a rolled-back batch leaves nothing
BEGIN;
SELECT count(*) FROM pgq.send_batch('sb', ARRAY['{"rb": 1}', '{"rb": 2}']::jsonb[]);
ROLLBACK;
SELECT count(*) FROM pgq.q_sb WHERE message ? 'rb';

SELECT pgq.drop_queue('sb');
