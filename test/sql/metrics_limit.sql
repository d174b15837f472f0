--
-- metrics_limit: metrics() counts exactly up to pgq.metrics_exact_limit
-- messages and estimates beyond, reading about that many rows at most
--
\set SHOW_CONTEXT never
\set VERBOSITY default

SELECT pgq.create_queue('ml');
-- no autovacuum changing the statistics under the test
ALTER TABLE pgq."q_ml$0" SET (autovacuum_enabled = off);
SELECT count(*) FROM pgq.send_batch('ml',
    (SELECT array_agg(jsonb_build_object('n', g)) FROM generate_series(1, 50) g));
-- 1..5 in flight
SELECT count(*) FROM pgq.read('ml', 3600, 5);
-- the statistics: this backend's counts sent now, then vacuum's exact count
SELECT pg_stat_force_next_flush();
SELECT 1 AS flushed;
VACUUM ANALYZE pgq."q_ml$0";
SELECT n_live_tup FROM pg_stat_user_tables WHERE relid = 'pgq."q_ml$0"'::regclass;

SHOW pgq.metrics_exact_limit;

-- within the limit: exact
SELECT queue_length, queue_visible_length, total_messages,
       oldest_msg_age_sec >= 0 AS oldest_ok, newest_msg_age_sec >= 0 AS newest_ok
  FROM pgq.metrics('ml');

-- beyond it: the length from the statistics, the visible ones as the length
-- less the 5 in flight (counted, as there are fewer than the limit)
SET pgq.metrics_exact_limit = 10;
SELECT queue_length, queue_visible_length, total_messages,
       oldest_msg_age_sec >= 0 AS oldest_ok, newest_msg_age_sec >= 0 AS newest_ok
  FROM pgq.metrics('ml');

-- it is an estimate: what this open transaction deleted still counts, as
-- it does for the statistics, where an exact count leaves it out
BEGIN;
SELECT count(*) FROM pgq.delete('ml', ARRAY[46, 47, 48, 49, 50]::bigint[]);
SELECT queue_length, queue_visible_length FROM pgq.metrics('ml');
SET LOCAL pgq.metrics_exact_limit = -1;
SELECT queue_length, queue_visible_length FROM pgq.metrics('ml');
ROLLBACK;
SHOW pgq.metrics_exact_limit;

-- more in flight than the limit, fewer visible: the visible ones are counted
SELECT count(*) FROM pgq.read('ml', 3600, 40);
SELECT queue_length, queue_visible_length FROM pgq.metrics('ml');

-- both sides beyond the limit (45 in flight, 5 visible, limit 3): a sample
-- decides the split, within what is known for sure
SET pgq.metrics_exact_limit = 3;
SELECT queue_length, queue_visible_length BETWEEN 4 AND 46 AS visible_in_bounds
  FROM pgq.metrics('ml');

-- the same from metrics_all
SET pgq.metrics_exact_limit = 10;
SELECT queue_name, queue_length, queue_visible_length FROM pgq.metrics_all()
 WHERE queue_name = 'ml';

-- -1: no limit, every row counted; 0: everything is estimated
SET pgq.metrics_exact_limit = -1;
SELECT queue_length, queue_visible_length FROM pgq.metrics('ml');
SET pgq.metrics_exact_limit = 0;
SELECT queue_length, queue_visible_length <= 50 AS visible_ok FROM pgq.metrics('ml');

-- an empty queue is exact whatever the limit
SELECT pgq.create_queue('ml_empty');
SELECT queue_length, queue_visible_length, oldest_msg_age_sec, newest_msg_age_sec
  FROM pgq.metrics('ml_empty');

-- out of range
SET pgq.metrics_exact_limit = -2;
RESET pgq.metrics_exact_limit;
SHOW pgq.metrics_exact_limit;

SELECT pgq.drop_queue('ml');
SELECT pgq.drop_queue('ml_empty');
