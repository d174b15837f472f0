--
-- enable_notify_insert / disable_notify_insert: who may, what is stored,
-- what is refused; wait_stats in a server with pgq preloaded; the
-- arguments of read_with_poll that end a wait at once.  (What a
-- notification delivers is in test/specs/notify.spec; waking waiters in
-- test/t/060_wait.pl.)
--
\set SHOW_CONTEXT never
\set VERBOSITY default

SELECT pgq.create_queue('nt');

-- off until its owner turns it on; pgmq's default interval is 250 ms
SELECT notify_throttle_ms FROM pgq.meta WHERE queue_name = 'nt';
SELECT pgq.enable_notify_insert('nt');
SELECT notify_throttle_ms FROM pgq.meta WHERE queue_name = 'nt';
SELECT pgq.enable_notify_insert(queue_name => 'NT', throttle_interval_ms => 0);
SELECT notify_throttle_ms FROM pgq.meta WHERE queue_name = 'nt';

-- create_queue of the existing queue leaves it on
SELECT pgq.create_queue('nt');
SELECT notify_throttle_ms FROM pgq.meta WHERE queue_name = 'nt';

-- a send in a transaction queues the notification, once per transaction
LISTEN "pgmq.q_nt.INSERT";
BEGIN;
SELECT count(*) FROM pgq.send('nt', '{"n": 1}');
SELECT count(*) FROM pgq.send_batch('nt', ARRAY['{"n": 2}', '{"n": 3}']::jsonb[]);
SELECT pg_notification_queue_usage() = 0 AS nothing_delivered_yet;
ROLLBACK;
UNLISTEN *;

SELECT pgq.disable_notify_insert('nt');
SELECT notify_throttle_ms FROM pgq.meta WHERE queue_name = 'nt';
-- disabling again does nothing
SELECT pgq.disable_notify_insert('nt');

-- refused: NULL (22004), a negative interval (22023), a queue that does
-- not exist (42P01), a bad name (42602)
CREATE FUNCTION pg_temp.err(call text, OUT state text, OUT message text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'SELECT ' || call;
    state := '00000';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
END $$;

SELECT t.call, e.state, e.message
  FROM (VALUES
    (1, $$pgq.enable_notify_insert(NULL)$$),
    (2, $$pgq.enable_notify_insert('nt', NULL)$$),
    (3, $$pgq.enable_notify_insert('nt', -1)$$),
    (4, $$pgq.enable_notify_insert('nt_missing')$$),
    (5, $$pgq.enable_notify_insert('n;t')$$),
    (6, $$pgq.disable_notify_insert(NULL)$$),
    (7, $$pgq.disable_notify_insert('nt_missing')$$)
  ) AS t(n, call), LATERAL pg_temp.err(t.call) e
 ORDER BY t.n;

-- only the queue's owner: an admin of the queue is refused (42501),
-- the setting stays
CREATE ROLE regress_pgq_nt_admin;
SELECT pgq.grant_admin('nt', 'regress_pgq_nt_admin');
SET ROLE regress_pgq_nt_admin;
SELECT * FROM pg_temp.err($$pgq.enable_notify_insert('nt', 10)$$);
SELECT * FROM pg_temp.err($$pgq.disable_notify_insert('nt')$$);
RESET ROLE;
SELECT notify_throttle_ms FROM pgq.meta WHERE queue_name = 'nt';

-- pgmq's names in schema pgmq do the same
CREATE EXTENSION pgq_pgmq;
SELECT pgmq.enable_notify_insert('nt', 7);
SELECT notify_throttle_ms FROM pgq.meta WHERE queue_name = 'nt';
SELECT pgmq.disable_notify_insert('nt');
SELECT notify_throttle_ms FROM pgq.meta WHERE queue_name = 'nt';
DROP EXTENSION pgq_pgmq;

-- the setting goes with the queue
SELECT pgq.enable_notify_insert('nt', 5);
SELECT pgq.drop_queue('nt');
SELECT pgq.create_queue('nt');
SELECT notify_throttle_ms FROM pgq.meta WHERE queue_name = 'nt';

-- the mode follows shared_preload_libraries (the test cluster of
-- test/run.sh preloads pgq, the package's build-time one does not)
SELECT current_setting('shared_preload_libraries') ~ '(^|[ ,])pgq($|[ ,])' AS preloaded \gset
SELECT mode = CASE WHEN :'preloaded'::boolean THEN 'wake' ELSE 'poll' END AS mode_ok,
       max_waiters = CASE WHEN :'preloaded'::boolean THEN 1024 ELSE 0 END AS max_waiters_ok,
       waiting
  FROM pgq.wait_stats();

-- read_with_poll that need not wait: a message is there, or
-- max_poll_seconds is 0; neither takes a slot
SELECT waits AS waits_before FROM pgq.wait_stats() \gset
SELECT count(*) FROM pgq.send('nt', '{"n": 1}');
SELECT msg_id, message FROM pgq.read_with_poll('nt', 30, 5);
SELECT count(*) FROM pgq.read_with_poll('nt', 30, 1, 0);
SELECT waits - :waits_before AS waits FROM pgq.wait_stats();

-- one that waits: a slot taken (when preloaded), freed when it times out
SELECT count(*) FROM pgq.read_with_poll('nt', 30, 1, 1);
SELECT waits - :waits_before = :'preloaded'::boolean::int AS waits_ok, waiting FROM pgq.wait_stats();

-- under REPEATABLE READ (its snapshot would never show a new message) and
-- with a conditional it polls instead: no slot
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM pgq.read_with_poll('nt', 30, 1, 1, 200);
COMMIT;
SELECT count(*) FROM pgq.read_with_poll('nt', 30, 1, 1, 200, '{"n": 2}');
SELECT waits - :waits_before = :'preloaded'::boolean::int AS waits_ok FROM pgq.wait_stats();

-- only pg_monitor's members may see the counters
CREATE ROLE regress_pgq_nt_monitor IN ROLE pg_monitor;
SET ROLE regress_pgq_nt_admin;
SELECT * FROM pg_temp.err($$pgq.wait_stats()$$);
SET ROLE regress_pgq_nt_monitor;
SELECT count(*) FROM pgq.wait_stats();
RESET ROLE;
DROP ROLE regress_pgq_nt_monitor;

SELECT pgq.drop_queue('nt');
DROP ROLE regress_pgq_nt_admin;
