--
-- delivery policies (src/policy.c): set_policy, max_deliveries and dead letters,
-- redrive, backoff and nack, priorities, deduplication, max_depth, stats
-- (expected/policies_1.out: the same without pgq in shared_preload_libraries, as the
-- package build runs it: no counters, deliveries that rolled back not counted)
--
\set SHOW_CONTEXT never
\set VERBOSITY default

-- run one call, report its SQLSTATE and message (or 'no error')
CREATE FUNCTION pg_temp.err(call text, OUT state text, OUT message text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'SELECT * FROM ' || call;
    state := 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
END
$$;

SELECT pgq.create_queue('po');
SELECT pgq.create_queue('po_dlq');

-- a queue has no policy until its owner sets one
SELECT pgq.policy('po');
SELECT * FROM pg_temp.err($$pgq.policy('po_none')$$);

-- set_policy merges the keys given and returns the policy; null resets a key
SELECT pgq.set_policy('po', '{"max_deliveries": 2, "dead_letter_queue": "PO_DLQ"}');
SELECT pgq.set_policy('po', '{"max_depth": 100}') ->> 'max_deliveries' AS kept;
SELECT pgq.set_policy('po', '{"max_depth": null}') ->> 'max_depth' AS reset;
-- a backoff gets its delays' defaults: 1 second, at most an hour
SELECT pgq.set_policy('po', '{"retry_backoff": "fixed"}')
       - '{max_deliveries,dead_letter_queue,priorities,dedup_window,max_depth}'::text[] AS backoff;
SELECT pgq.set_policy('po', '{"retry_backoff": null, "retry_delay": null, "retry_delay_max": null,
                              "retry_jitter": null}') ->> 'retry_backoff' AS no_backoff;

-- bad policies: nothing changes
SELECT * FROM pg_temp.err($$pgq.set_policy('po', '[1]')$$);
SELECT * FROM pg_temp.err($$pgq.set_policy('po', '"x"')$$);
SELECT * FROM pg_temp.err($$pgq.set_policy('po', NULL)$$);
SELECT * FROM pg_temp.err($$pgq.set_policy('po', '{"max_delivery": 3}')$$);
SELECT * FROM pg_temp.err($$pgq.set_policy('po', '{"max_deliveries": "3"}')$$);
SELECT * FROM pg_temp.err($$pgq.set_policy('po', '{"max_deliveries": 0}')$$);
SELECT * FROM pg_temp.err($$pgq.set_policy('po', '{"max_deliveries": 2.5}')$$);
SELECT * FROM pg_temp.err($$pgq.set_policy('po', '{"max_depth": 1e16}')$$);
SELECT * FROM pg_temp.err($$pgq.set_policy('po', '{"retry_delay": -1}')$$);
SELECT * FROM pg_temp.err($$pgq.set_policy('po', '{"retry_backoff": "linear"}')$$);
SELECT * FROM pg_temp.err($$pgq.set_policy('po', '{"retry_jitter": 1}')$$);
SELECT * FROM pg_temp.err($$pgq.set_policy('po', '{"retry_backoff": "fixed", "retry_delay": 10, "retry_delay_max": 5}')$$);
SELECT * FROM pg_temp.err($$pgq.set_policy('po', '{"dead_letter_queue": "po"}')$$);
SELECT * FROM pg_temp.err($$pgq.set_policy('po', '{"dead_letter_queue": "po_missing"}')$$);
SELECT * FROM pg_temp.err($$pgq.set_policy('po', '{"dead_letter_queue": "bad name!"}')$$);
SELECT * FROM pg_temp.err($$pgq.set_policy('po', '{"dedup_window": 0.5}')$$);
SELECT * FROM pg_temp.err($$pgq.set_policy('po_missing', '{}')$$);
SELECT pgq.policy('po') ->> 'max_deliveries' AS unchanged, pgq.policy('po') ->> 'retry_backoff' AS backoff;

-- only the owner sets a policy; a dead-letter queue must be the caller's too
CREATE ROLE po_other;
GRANT EXECUTE ON FUNCTION pgq.create_queue(text, boolean) TO po_other;
SET ROLE po_other;
SELECT * FROM pg_temp.err($$pgq.set_policy('po', '{"max_deliveries": 9}')$$);
SELECT pgq.create_queue('po_theirs');
SELECT * FROM pg_temp.err($$pgq.set_policy('po_theirs', '{"dead_letter_queue": "po_dlq"}')$$);
-- create_queue with a policy: the right to create queues, then the policy
SELECT pgq.create_queue('po_theirs2', false, '{"max_depth": 7}');
SELECT pgq.policy('po_theirs2') ->> 'max_depth' AS max_depth;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION pgq.create_queue(text, boolean) FROM po_other;
SET ROLE po_other;
SELECT * FROM pg_temp.err($$pgq.create_queue('po_theirs3', false, '{}')$$);
SELECT pgq.drop_queue('po_theirs');
SELECT pgq.drop_queue('po_theirs2');
RESET ROLE;
-- a bad policy at create_queue leaves no queue
SELECT * FROM pg_temp.err($$pgq.create_queue('po_bad', false, '{"max_depth": -1}')$$);
SELECT count(*) AS po_bad FROM pgq.meta WHERE queue_name = 'po_bad';

--
-- max_deliveries and the dead-letter queue
--
SELECT pgq.send('po', '{"n": 1}', '{"trace": "a"}'::jsonb);
SELECT pgq.send('po', '{"n": 2}');
SELECT pgq.send('po', '{"n": 3}', '[1, 2]'::jsonb);
-- handed out twice (vt 0 leaves them visible), then moved on the third read
SELECT msg_id, read_ct FROM pgq.read('po', 0, 10);
SELECT msg_id, read_ct FROM pgq.read('po', 0, 10);
SELECT msg_id, read_ct FROM pgq.read('po', 0, 10);
SELECT count(*) AS left_in_po FROM pgq.q_po;
-- in the dead-letter queue: new ids, the deliveries, the original headers kept under the key
SELECT msg_id, read_ct, message, headers - 'pgq_dead_letter'::text AS headers,
       (headers -> 'pgq_dead_letter') - 'dead_lettered_at'::text - 'enqueued_at'::text AS dead_letter
  FROM pgq.q_po_dlq ORDER BY msg_id;
SELECT count(*) AS same_enqueued_at FROM pgq.q_po_dlq d
 WHERE (d.headers -> 'pgq_dead_letter' ->> 'enqueued_at')::timestamptz = d.enqueued_at;

-- a read still returns qty messages when some of those it found were moved
SELECT count(*) FROM pgq.send_batch('po', array_fill('{"m": 1}'::jsonb, ARRAY[4]));
SELECT count(*) FROM pgq.read('po', 0, 4);
SELECT count(*) FROM pgq.read('po', 0, 4);
SELECT pgq.send('po', '{"fresh": 1}');
-- the four are at their limit: moved, and the fresh one is returned
SELECT message FROM pgq.read('po', 30, 1);
SELECT count(*) AS dead FROM pgq.q_po_dlq;

-- a delivery whose transaction rolled back counts (pgq is preloaded here)
SELECT pgq.create_queue('po_rb', false, '{"max_deliveries": 2, "dead_letter_queue": "po_dlq"}');
SELECT pgq.send('po_rb', '{"rolled": 1}') AS rolled \gset
BEGIN;
SELECT read_ct FROM pgq.read('po_rb', 0, 1);
ROLLBACK;
BEGIN;
SAVEPOINT s;
SELECT read_ct FROM pgq.read('po_rb', 0, 1);
ROLLBACK TO SAVEPOINT s;
COMMIT;
-- two deliveries rolled back: the next read moves it, with read_ct 2
SELECT count(*) AS handed_out FROM pgq.read('po_rb', 0, 1);
SELECT read_ct FROM pgq.q_po_dlq
 WHERE headers -> 'pgq_dead_letter' ->> 'queue' = 'po_rb'
   AND (headers -> 'pgq_dead_letter' ->> 'msg_id')::bigint = :rolled;
SELECT * FROM pgq.stats('po_rb');
-- two deliveries in one transaction that rolls back count twice; so does a delivery and a move
SELECT pgq.send('po_rb', '{"twice": 1}') AS twice \gset
BEGIN;
SELECT read_ct FROM pgq.read('po_rb', 0, 1);
SELECT read_ct FROM pgq.read('po_rb', 0, 1);
SELECT count(*) AS moved_in_the_same_transaction FROM pgq.read('po_rb', 0, 1);
ROLLBACK;
SELECT count(*) AS handed_out FROM pgq.read('po_rb', 0, 1);
SELECT read_ct FROM pgq.q_po_dlq
 WHERE headers -> 'pgq_dead_letter' ->> 'queue' = 'po_rb'
   AND (headers -> 'pgq_dead_letter' ->> 'msg_id')::bigint = :twice;
-- a delivery that committed is counted by read_ct alone
SELECT pgq.send('po_rb', '{"committed": 1}') AS committed \gset
BEGIN;
SELECT read_ct FROM pgq.read('po_rb', 0, 1);
COMMIT;
BEGIN;
SELECT read_ct FROM pgq.read('po_rb', 0, 1);
ROLLBACK;
SELECT count(*) AS handed_out FROM pgq.read('po_rb', 0, 1);
SELECT read_ct FROM pgq.q_po_dlq
 WHERE headers -> 'pgq_dead_letter' ->> 'queue' = 'po_rb'
   AND (headers -> 'pgq_dead_letter' ->> 'msg_id')::bigint = :committed;

-- the queue's counters
SELECT * FROM pgq.stats('po');

-- redrive: back to their queue, with their headers, priority and enqueued_at, read_ct 0
SELECT * FROM pg_temp.err($$pgq.redrive('po_dlq')$$);
SELECT * FROM pg_temp.err($$pgq.redrive('po', NULL, 0)$$);
SELECT pgq.redrive('po', ARRAY[1, 2]);
SELECT msg_id, read_ct, message, headers FROM pgq.q_po WHERE message ? 'n' ORDER BY msg_id;
SELECT pgq.redrive('po', NULL, 2);
SELECT pgq.redrive('po');
SELECT pgq.redrive('po');
SELECT count(*) AS of_po_rb FROM pgq.q_po_dlq;
SELECT message, headers FROM pgq.q_po WHERE message ? 'n' ORDER BY msg_id;
-- no send can forge a dead letter: the key is pgq's
SELECT * FROM pg_temp.err($$pgq.send('po_dlq', '{"own": 1}', '{"pgq_dead_letter": {"queue": "po"}}'::jsonb)$$);
SELECT * FROM pg_temp.err($$pgq.send_batch('po_dlq', ARRAY['{}']::jsonb[], ARRAY['{"pgq_dead_letter": 1}']::jsonb[])$$);
SELECT * FROM pg_temp.err($$pgq.send('po_dlq', '{}', '{"pgq_dead_letter": 1}', 0, 0)$$);
SELECT count(*) AS not_sent FROM pgq.q_po_dlq;
-- other keys, and the key deeper down, are the sender's
SELECT pgq.send('po_dlq', '{"own": 1}', '{"x": {"pgq_dead_letter": 1}}'::jsonb) > 0 AS sent;
SELECT pgq.redrive('po');
SELECT count(*) AS kept FROM pgq.q_po_dlq;

-- a queue's dead-letter queue cannot be dropped while it is one
SELECT * FROM pg_temp.err($$pgq.drop_queue('po_dlq')$$);

-- a read with vt 0 hands a message out once per call, also when it moved others meanwhile
SELECT pgq.create_queue('po_vt0', false, '{"max_deliveries": 2}');
SELECT pgq.send('po_vt0', '{"old": 1}');
SELECT count(*) FROM pgq.read('po_vt0', 0, 1);
SELECT count(*) FROM pgq.read('po_vt0', 0, 1);
SELECT pgq.send('po_vt0', '{"new": 1}');
SELECT message, read_ct FROM pgq.read('po_vt0', 0, 5);
SELECT count(*) AS archived FROM pgq.a_po_vt0;

-- a dead-letter queue dropped by hand is forgotten: dead letters go to the archive
SELECT pgq.create_queue('po_gone');
SELECT pgq.set_policy('po_vt0', '{"dead_letter_queue": "po_gone"}') ->> 'dead_letter_queue';
DROP TABLE pgq."q_po_gone$0", pgq."q_po_gone$1", pgq."q_po_gone$2", pgq.q_po_gone;
SELECT pgq.policy('po_vt0') ->> 'dead_letter_queue' AS forgotten;
SELECT read_ct FROM pgq.read('po_vt0', 0, 5);
SELECT count(*) AS moved FROM pgq.read('po_vt0', 0, 5);
SELECT count(*) AS archived FROM pgq.a_po_vt0;

-- without a dead-letter queue: to the archive
SELECT pgq.create_queue('po_arch', false, '{"max_deliveries": 1}');
SELECT pgq.send('po_arch', '{"a": 1}', '{"h": 1}'::jsonb);
SELECT count(*) FROM pgq.read('po_arch', 0, 5);
SELECT count(*) FROM pgq.read('po_arch', 0, 5);
SELECT msg_id, read_ct, headers - 'pgq_dead_letter'::text AS headers,
       headers -> 'pgq_dead_letter' ->> 'reason' AS reason FROM pgq.a_po_arch;
SELECT * FROM pg_temp.err($$pgq.redrive('po_arch')$$);

--
-- backoff and nack
--
SELECT pgq.create_queue('po_back', false,
       '{"retry_backoff": "exponential", "retry_delay": 10, "retry_delay_max": 25}');
SELECT pgq.send('po_back', '{}') AS b \gset
-- each read hides it for vt (5) plus the backoff of its delivery: 10, 20, then 25 (the cap)
SELECT read_ct, round(extract(epoch FROM vt - last_read_at)) AS hidden FROM pgq.read('po_back', 5, 1);
SELECT count(*) FROM pgq.set_vt('po_back', :b, 0);
SELECT read_ct, round(extract(epoch FROM vt - last_read_at)) AS hidden FROM pgq.read('po_back', 5, 1);
SELECT count(*) FROM pgq.set_vt('po_back', :b, 0);
SELECT read_ct, round(extract(epoch FROM vt - last_read_at)) AS hidden FROM pgq.read('po_back', 5, 1);
-- a read with vt 0 leaves vt as it is
SELECT count(*) FROM pgq.set_vt('po_back', :b, 0);
SELECT read_ct, vt <= last_read_at AS visible FROM pgq.read('po_back', 0, 1);
-- nack: after the delay given, or the backoff of the deliveries so far (4: the cap, 25)
SELECT read_ct, round(extract(epoch FROM vt - clock_timestamp())) AS hidden FROM pgq.nack('po_back', :b, 100);
SELECT read_ct, round(extract(epoch FROM vt - clock_timestamp())) AS hidden FROM pgq.nack('po_back', :b);
SELECT count(*) AS no_such FROM pgq.nack('po_back', 999);
SELECT * FROM pg_temp.err($$pgq.nack('po_back', 1, -1)$$);
SELECT * FROM pg_temp.err($$pgq.nack('po_back', NULL)$$);
-- without a backoff, nack makes it visible at once
SELECT pgq.send('po_arch', '{"b": 1}') AS a2 \gset
SELECT vt <= clock_timestamp() AS visible FROM pgq.nack('po_arch', :a2);
-- jitter: between half the delay and all of it
SELECT pgq.set_policy('po_back', '{"retry_backoff": "fixed", "retry_delay": 20, "retry_jitter": true}') ->> 'retry_jitter';
SELECT bool_and(h BETWEEN 9.9 AND 20.1) AS jittered FROM (
    SELECT extract(epoch FROM vt - clock_timestamp()) AS h
      FROM generate_series(1, 20), pgq.nack('po_back', :b)) s;
SELECT (SELECT nacked FROM pgq.stats('po_back')) AS nacked;

--
-- priorities
--
SELECT * FROM pg_temp.err($$pgq.send('po_arch', '{}', NULL, 0, 5)$$);
SELECT pgq.create_queue('po_pri', false, '{"priorities": true}');
SELECT indexrelid::regclass FROM pg_index WHERE indrelid IN ('pgq.q_po_pri'::regclass, 'pgq."q_po_pri$0"'::regclass)
   AND indexrelid::regclass::text LIKE '%pri%' ORDER BY 1;
SELECT * FROM pg_temp.err($$pgq.send('po_pri', '{}', NULL, 0, 10)$$);
SELECT * FROM pg_temp.err($$pgq.send('po_pri', '{}', NULL, 0, -1)$$);
SELECT * FROM pg_temp.err($$pgq.send('po_pri', '{}', NULL, 0, NULL)$$);
SELECT * FROM pg_temp.err($$pgq.send_batch('po_pri', ARRAY['{}']::jsonb[], NULL, 0, 10)$$);
SELECT pgq.send('po_pri', '{"p": 0, "i": 1}');
SELECT pgq.send('po_pri', '{"p": 5, "i": 2}', NULL, 0, 5);
SELECT pgq.send('po_pri', '{"p": 9, "i": 3}', NULL, 0, 9);
SELECT count(*) FROM pgq.send_batch('po_pri', ARRAY['{"p": 5, "i": 4}', '{"p": 5, "i": 5}']::jsonb[], NULL, 0, 5);
SELECT pgq.send('po_pri', '{"p": 9, "i": 6}', NULL, 0, 9);
-- a delayed one of the highest priority is not visible yet
SELECT pgq.send('po_pri', '{"p": 9, "delayed": true}', NULL, 60, 9);
SELECT * FROM pgq.priority_stats('po_pri') WHERE oldest_visible_age_sec IS NOT NULL;
-- highest first, then the one visible longest
SELECT message FROM pgq.read('po_pri', 30, 3);
SELECT message FROM pgq.pop('po_pri', 2);
SELECT message FROM pgq.read('po_pri', 30, 5);
-- priorities off: the index goes, sends of a priority are refused again
SELECT pgq.set_policy('po_pri', '{"priorities": false}') ->> 'priorities';
SELECT count(*) AS pri_indexes FROM pg_indexes WHERE schemaname = 'pgq' AND indexname LIKE 'q_po_pri%pri%';
SELECT * FROM pg_temp.err($$pgq.send('po_pri', '{}', NULL, 0, 1)$$);
SELECT * FROM pgq.priority_stats('po_pri');
-- priorities and max_deliveries together
SELECT pgq.set_policy('po_pri', '{"priorities": true, "max_deliveries": 1}') ->> 'priorities';
SELECT pgq.send('po_pri', '{"q": 1}', NULL, 0, 1), pgq.send('po_pri', '{"q": 2}', NULL, 0, 2);
SELECT message FROM pgq.read('po_pri', 0, 5);
SELECT count(*) AS moved FROM pgq.read('po_pri', 0, 5);
SELECT count(*) AS archived FROM pgq.a_po_pri WHERE headers ? 'pgq_dead_letter';

--
-- deduplication
--
SELECT * FROM pg_temp.err($$pgq.send('po_arch', '{}', NULL, 0, 0, 'k')$$);
SELECT pgq.create_queue('po_dd', false, '{"dedup_window": 300}');
SELECT relname, relrowsecurity, relacl IS NULL AS no_grants FROM pg_class WHERE relname = 'd_po_dd';
SELECT pgq.send('po_dd', '{"d": 1}', NULL, 0, 0, 'order-1') AS d1 \gset
SELECT pgq.send('po_dd', '{"d": 2}', NULL, 0, 0, 'order-1') = :d1 AS same_id;
SELECT pgq.send('po_dd', '{"d": 3}', NULL, 0, 0, 'order-2') <> :d1 AS other_id;
SELECT pgq.send('po_dd', '{"d": 4}', NULL, 0, 0) <> :d1 AS no_key;
SELECT message FROM pgq.q_po_dd ORDER BY msg_id;
-- the key holds for the window, even once the message is gone
SELECT pgq.delete('po_dd', :d1);
SELECT pgq.send('po_dd', '{"d": 5}', NULL, 0, 0, 'order-1') = :d1 AS still_same;
-- past the window, the key is free again
UPDATE pgq.d_po_dd SET expires_at = now() - interval '1 second' WHERE dedup_key = 'order-1';
SELECT pgq.send('po_dd', '{"d": 6}', NULL, 0, 0, 'order-1') > :d1 AS new_id;
-- a duplicate in a transaction that rolls back leaves nothing
BEGIN;
SELECT pgq.send('po_dd', '{"d": 7}', NULL, 0, 0, 'order-3') AS d3 \gset
ROLLBACK;
SELECT pgq.send('po_dd', '{"d": 8}', NULL, 0, 0, 'order-3') <> :d3 AS fresh;
SELECT count(*) AS messages, (SELECT deduplicated FROM pgq.stats('po_dd')) AS deduplicated FROM pgq.q_po_dd;
SELECT * FROM pg_temp.err($$pgq.send('po_dd', '{}', NULL, 0, 0, '')$$);
SELECT * FROM pg_temp.err($$pgq.send('po_dd', '{}', NULL, 0, 0, repeat('k', 513))$$);
-- maintenance forgets expired keys
UPDATE pgq.d_po_dd SET expires_at = now() - interval '1 second' WHERE dedup_key = 'order-2';
SELECT moved FROM pgq.maintain_queue('po_dd');
SELECT dedup_key FROM pgq.d_po_dd ORDER BY 1;
-- a queue made again under the name of one dropped by hand finds none of its keys
SELECT pgq.create_queue('po_dd2', false, '{"dedup_window": 300}');
SELECT pgq.send('po_dd2', '{}', NULL, 0, 0, 'k1');
DROP TABLE pgq."q_po_dd2$0", pgq."q_po_dd2$1", pgq."q_po_dd2$2", pgq.q_po_dd2;
DROP TABLE pgq."a_po_dd2$0", pgq."a_po_dd2$1", pgq."a_po_dd2$2", pgq.a_po_dd2;
SELECT pgq.create_queue('po_dd2', false, '{"dedup_window": 300}');
SELECT count(*) AS keys FROM pgq.d_po_dd2;
SELECT pgq.drop_queue('po_dd2');

-- dedup off: the keys go
SELECT pgq.set_policy('po_dd', '{"dedup_window": null}') ->> 'dedup_window';
SELECT count(*) AS d_tables FROM pg_class WHERE relname = 'd_po_dd';

--
-- max_depth
--
SELECT pgq.create_queue('po_full', false, '{"max_depth": 3}');
SELECT count(*) FROM pgq.send_batch('po_full', ARRAY['{}', '{}']::jsonb[]);
SELECT * FROM pg_temp.err($$pgq.send_batch('po_full', ARRAY['{}', '{}']::jsonb[])$$);
SELECT pgq.send('po_full', '{}') AS f3 \gset
SELECT * FROM pg_temp.err($$pgq.send('po_full', '{}')$$);
SELECT * FROM pg_temp.err($$pgq.send('po_full', '{}', NULL, 0, 0)$$);
SELECT count(*) AS depth FROM pgq.q_po_full;
-- an old message kept at the head (the span of ids is larger than the depth): counted
SELECT pgq.delete('po_full', :f3);
SELECT pgq.send('po_full', '{}') AS f4 \gset
SELECT pgq.delete('po_full', :f4);
SELECT pgq.send('po_full', '{}');
SELECT * FROM pg_temp.err($$pgq.send('po_full', '{}')$$);
SELECT queue_length, max_depth, refused_full FROM pgq.queue_stats WHERE queue_name = 'po_full';

-- max_deliveries 1: handed out once, then archived
SELECT pgq.set_policy('po_full', '{"max_depth": null, "max_deliveries": 1}') ->> 'max_deliveries';
SELECT count(*) FROM pgq.read('po_full', 0, 10);
SELECT count(*) FROM pgq.read('po_full', 0, 10);
SELECT count(*) AS dead FROM pgq.a_po_full;

-- the view and the counters are for monitors
SET ROLE po_other;
SELECT * FROM pg_temp.err($$pgq.queue_stats$$);
SELECT * FROM pg_temp.err($$pgq.stats('po')$$);
RESET ROLE;
GRANT pg_monitor TO po_other;
SET ROLE po_other;
SELECT count(*) AS visible FROM pgq.queue_stats WHERE queue_name LIKE 'po%';
RESET ROLE;

SELECT pgq.set_policy('po', '{"dead_letter_queue": null}') ->> 'dead_letter_queue';
SELECT pgq.drop_queue(q) FROM unnest(ARRAY['po', 'po_rb', 'po_vt0', 'po_dlq', 'po_arch', 'po_back', 'po_pri', 'po_dd', 'po_full']) q;
SELECT count(*) AS d_tables FROM pg_class WHERE relname LIKE 'd_po%';
DROP ROLE po_other;
