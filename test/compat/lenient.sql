--
-- test/compat/lenient.sql: the inputs pgmq 1.5 accepts and pgq's own schema refuses, run
-- through the schema named by the psql variable s (psql -X -v s=pgmq -f test/compat/lenient.sql).
-- Each case is one statement with a visible result, then its SQLSTATE (00000: it succeeded).
-- Expected:
--   case                          s=pgmq (as pgmq 1.5)           s=pgq
--   send msg NULL                 stored as NULL                 22004
--   send / send_batch delay < 0   accepted, visible at once      22023
--   read / read_with_poll vt < 0  accepted                       22023
--   read / read_with_poll qty 0   no rows                        22023
--   read / read_with_poll qty < 0 2201W                          22023
--   set_vt vt < 0                 accepted                       22023
--   conditional NULL              no filter                      22004
--   send_batch msgs NULL          no rows                        22004
--
\if :{?s}
\else
\set s pgmq
\endif
\set ON_ERROR_STOP 0
\set VERBOSITY terse
SET client_min_messages = warning;

SELECT :s.create('c_lenient');

-- send msg NULL: pgmq stores a message that is SQL NULL
SELECT count(*) AS sent FROM :s.send('c_lenient', NULL);
\echo send(msg NULL): :SQLSTATE
SELECT count(*) AS sent FROM :s.send('c_lenient', NULL, '{"h": 1}'::jsonb);
\echo send(msg NULL, headers): :SQLSTATE
SELECT count(*) AS read, bool_and(message IS NULL) AS all_null FROM :s.read('c_lenient', 0, 10);
\echo read back: :SQLSTATE
SELECT :s.purge_queue('c_lenient');

-- send with a negative delay: pgmq makes the message visible at once
SELECT count(*) AS sent FROM :s.send('c_lenient', '{"d": 1}', -30);
\echo send(delay -30): :SQLSTATE
SELECT count(*) AS sent FROM :s.send('c_lenient', '{"d": 2}', '{"h": 2}'::jsonb, -30);
\echo send(headers, delay -30): :SQLSTATE
SELECT count(*) AS sent FROM :s.send_batch('c_lenient', ARRAY['{"d": 3}']::jsonb[], -30);
\echo send_batch(delay -30): :SQLSTATE
SELECT count(*) AS sent FROM :s.send_batch('c_lenient', ARRAY['{"d": 4}']::jsonb[], ARRAY['{"h": 4}']::jsonb[], -30);
\echo send_batch(headers, delay -30): :SQLSTATE
SELECT message FROM :s.read('c_lenient', 0, 10) ORDER BY msg_id;
\echo read back: :SQLSTATE
SELECT :s.purge_queue('c_lenient');
SELECT count(*) AS sent FROM :s.send_batch('c_lenient', ARRAY['{"v": 1}', '{"v": 2}']::jsonb[]);

-- read with a negative vt: pgmq sets vt in the past, the message stays visible
SELECT message, vt <= clock_timestamp() AS still_visible FROM :s.read('c_lenient', -30, 1);
\echo read(vt -30): :SQLSTATE
SELECT message, vt <= clock_timestamp() AS still_visible FROM :s.read_with_poll('c_lenient', -30, 1, 1, 10);
\echo read_with_poll(vt -30): :SQLSTATE

-- qty 0: no rows (read_with_poll then polls until max_poll_seconds)
SELECT count(*) AS read FROM :s.read('c_lenient', 30, 0);
\echo read(qty 0): :SQLSTATE
SELECT count(*) AS read FROM :s.read_with_poll('c_lenient', 30, 0, 1, 100);
\echo read_with_poll(qty 0): :SQLSTATE

-- qty < 0: pgmq fails in its LIMIT (2201W)
SELECT count(*) AS read FROM :s.read('c_lenient', 30, -1);
\echo read(qty -1): :SQLSTATE
SELECT count(*) AS read FROM :s.read_with_poll('c_lenient', 30, -1, 1, 100);
\echo read_with_poll(qty -1): :SQLSTATE

-- set_vt with a negative vt: pgmq makes the message visible at once
SELECT msg_id AS first_id FROM :s.read('c_lenient', 3600, 1) \gset
SELECT vt <= clock_timestamp() AS visible FROM :s.set_vt('c_lenient', :first_id, -30);
\echo set_vt(vt -30): :SQLSTATE

-- conditional NULL: pgmq applies no filter
SELECT message FROM :s.read('c_lenient', 0, 10, NULL) ORDER BY msg_id;
\echo read(conditional NULL): :SQLSTATE
SELECT message FROM :s.read_with_poll('c_lenient', 0, 10, 1, 10, NULL) ORDER BY msg_id;
\echo read_with_poll(conditional NULL): :SQLSTATE

-- send_batch with msgs NULL: pgmq sends nothing
SELECT count(*) AS sent FROM :s.send_batch('c_lenient', NULL);
\echo send_batch(msgs NULL): :SQLSTATE
SELECT count(*) AS sent FROM :s.send_batch('c_lenient', NULL, ARRAY['{"h": 1}']::jsonb[]);
\echo send_batch(msgs NULL, headers): :SQLSTATE
SELECT count(*) AS sent FROM :s.send_batch('c_lenient', NULL, 0);
\echo send_batch(msgs NULL, delay 0): :SQLSTATE

SELECT queue_length, total_messages FROM :s.metrics('c_lenient');
SELECT :s.drop_queue('c_lenient');
RESET client_min_messages;
