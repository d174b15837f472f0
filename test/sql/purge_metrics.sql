--
-- purge_queue, metrics, metrics_all
--
\set SHOW_CONTEXT never
\set VERBOSITY default

SELECT pgq.create_queue('pm');

-- a queue that never had a message
SELECT queue_name, queue_length, queue_visible_length,
       newest_msg_age_sec, oldest_msg_age_sec, total_messages,
       scrape_time >= now() AND scrape_time <= clock_timestamp() AS scrape_time_ok
  FROM pgq.metrics('pm');

-- three visible, one delayed
SELECT count(*) FROM pgq.send_batch('pm', ARRAY['{"n": 1}', '{"n": 2}', '{"n": 3}']::jsonb[]);
SELECT pgq.send('pm', '{"n": 4}', 3600);
-- make the ages known: message 1 is 1000 s old, 2 and 3 are 500 s old,
-- message 4 is 200 s old
UPDATE pgq.q_pm SET enqueued_at = now() - interval '1000 s' WHERE msg_id = 1;
UPDATE pgq.q_pm SET enqueued_at = now() - interval '500 s' WHERE msg_id IN (2, 3);
UPDATE pgq.q_pm SET enqueued_at = now() - interval '200 s' WHERE msg_id = 4;
SELECT queue_name, queue_length, queue_visible_length,
       newest_msg_age_sec BETWEEN 200 AND 260 AS newest_age_ok,
       oldest_msg_age_sec BETWEEN 1000 AND 1060 AS oldest_age_ok,
       total_messages
  FROM pgq.metrics('pm');

-- reading one makes it invisible; the counts follow
SELECT msg_id FROM pgq.read('pm', 3600, 1);
SELECT queue_length, queue_visible_length, total_messages FROM pgq.metrics('pm');

-- archiving and deleting shrink the queue, not total_messages
SELECT pgq.archive('pm', 1);
SELECT pgq.delete('pm', 2);
SELECT queue_length, queue_visible_length,
       newest_msg_age_sec BETWEEN 200 AND 260 AS newest_age_ok,
       oldest_msg_age_sec BETWEEN 500 AND 560 AS oldest_age_ok,
       total_messages
  FROM pgq.metrics(queue_name => 'pm');

-- purge_queue: the number of live messages removed; the archive stays
SELECT pgq.purge_queue('pm');
SELECT count(*) FROM pgq.q_pm;
SELECT msg_id, message FROM pgq.a_pm;
SELECT queue_length, queue_visible_length, newest_msg_age_sec, oldest_msg_age_sec,
       total_messages
  FROM pgq.metrics('pm');
SELECT pgq.purge_queue('pm');
SELECT pgq.purge_queue(queue_name => 'pm');

-- purge does not restart msg_id
SELECT pgq.send('pm', '{"n": 5}');
SELECT queue_length, total_messages FROM pgq.metrics('pm');

-- a rolled-back purge leaves the messages
BEGIN;
SELECT pgq.purge_queue('pm');
ROLLBACK;
SELECT msg_id FROM pgq.q_pm;

-- metrics_all: one row per queue, ordered by name
SELECT pgq.create_queue('pm_b', true);
SELECT pgq.create_queue('pm_a');
SELECT count(*) FROM pgq.send_batch('pm_a', ARRAY['{}', '{}']::jsonb[]);
SELECT count(*) FROM pgq.send_batch('pm_b', ARRAY['{}', '{}', '{}']::jsonb[], 3600);
SELECT queue_name, queue_length, queue_visible_length, total_messages,
       scrape_time >= now() AND scrape_time <= clock_timestamp() AS scrape_time_ok
  FROM pgq.metrics_all() WHERE queue_name LIKE 'pm%';
SELECT (SELECT count(*) FROM pgq.metrics_all()) =
       (SELECT count(*) FROM pgq.meta) AS one_row_per_queue;
SELECT bool_and(m.queue_name = q.queue_name) AS same_order_as_list_queues
  FROM (SELECT queue_name, row_number() OVER () AS rn FROM pgq.metrics_all()) m
  JOIN (SELECT queue_name, row_number() OVER () AS rn FROM pgq.list_queues()) q
    USING (rn);

-- metrics_all agrees with metrics
SELECT a.queue_name,
       a.queue_length = m.queue_length
       AND a.queue_visible_length = m.queue_visible_length
       AND a.total_messages = m.total_messages AS agrees
  FROM pgq.metrics_all() a, LATERAL pgq.metrics(a.queue_name) m
 WHERE a.queue_name LIKE 'pm%';

-- watching needs no write access
BEGIN READ ONLY;
SELECT queue_name, queue_length FROM pgq.metrics('pm_a');
SELECT count(*) = (SELECT count(*) FROM pgq.meta) AS all_queues FROM pgq.metrics_all();
SELECT count(*) = (SELECT count(*) FROM pgq.meta) AS all_queues FROM pgq.list_queues();
COMMIT;

-- a dropped queue disappears from metrics_all
SELECT pgq.drop_queue('pm_b');
SELECT queue_name FROM pgq.metrics_all() WHERE queue_name LIKE 'pm%';

SELECT pgq.drop_queue('pm');
SELECT pgq.drop_queue('pm_a');
