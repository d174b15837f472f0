--
-- archive and delete, single id and array forms
--
\set SHOW_CONTEXT never
\set VERBOSITY default

SELECT pgq.create_queue('ad');
SELECT pgq.create_queue('ad_other');
SELECT count(*) FROM pgq.send_batch('ad',
    (SELECT array_agg(jsonb_build_object('n', i) ORDER BY i) FROM generate_series(1, 8) i),
    (SELECT array_agg(CASE WHEN i % 2 = 0 THEN NULL ELSE jsonb_build_object('h', i) END ORDER BY i)
       FROM generate_series(1, 8) i));
SELECT count(*) FROM pgq.send_batch('ad_other',
    (SELECT array_agg(jsonb_build_object('other', i) ORDER BY i) FROM generate_series(1, 12) i));

-- read 1 and 2 twice so read_ct, last_read_at and vt are not defaults
SELECT msg_id, read_ct FROM pgq.read('ad', 0, 2);
SELECT msg_id, read_ct FROM pgq.read('ad', 3600, 2);

CREATE TEMP TABLE ad_before AS SELECT * FROM pgq.q_ad;
SELECT clock_timestamp() AS before_archive \gset

-- archive(queue_name, msg_id): the row moves, unchanged, with archived_at set
SELECT pgq.archive('ad', 1);
SELECT count(*) FROM pgq.q_ad WHERE msg_id = 1;
SELECT a.msg_id, a.read_ct, a.message, a.headers,
       a.read_ct = b.read_ct AS same_read_ct,
       a.enqueued_at = b.enqueued_at AS same_enqueued_at,
       a.last_read_at = b.last_read_at AS same_last_read_at,
       a.vt = b.vt AS same_vt,
       a.message = b.message AS same_message,
       a.headers IS NOT DISTINCT FROM b.headers AS same_headers,
       a.archived_at >= :'before_archive'::timestamptz
       AND a.archived_at <= clock_timestamp() AS archived_at_ok
  FROM pgq.a_ad a JOIN ad_before b USING (msg_id);

-- an invisible message can be archived; so can one with NULL headers
SELECT pgq.archive('ad', 2);
SELECT msg_id, read_ct, message, headers FROM pgq.a_ad ORDER BY msg_id;

-- archiving again, or an id that never existed: false
SELECT pgq.archive('ad', 1);
SELECT pgq.archive('ad', 999);
SELECT pgq.archive(queue_name => 'ad', msg_id => 0);

-- archive(queue_name, msg_ids[]): the ids actually archived, ascending
SELECT * FROM pgq.archive('ad', ARRAY[5, 3, 999, 3, 1]::bigint[]);
SELECT msg_id, message, headers FROM pgq.a_ad ORDER BY msg_id;
SELECT count(*) FROM pgq.archive('ad', ARRAY[]::bigint[]);
SELECT count(*) FROM pgq.archive(queue_name => 'ad', msg_ids => ARRAY[998, 999]::bigint[]);

-- delete(queue_name, msg_id)
SELECT pgq.delete('ad', 4);
SELECT pgq.delete('ad', 4);
SELECT pgq.delete(queue_name => 'ad', msg_id => 999);
-- delete does not touch the archive
SELECT pgq.delete('ad', 1);
SELECT count(*) FROM pgq.a_ad WHERE msg_id = 1;

-- delete(queue_name, msg_ids[]): the ids actually deleted, ascending
SELECT * FROM pgq.delete('ad', ARRAY[8, 6, 1000, 8, 2]::bigint[]);
SELECT count(*) FROM pgq.delete('ad', ARRAY[]::bigint[]);
SELECT count(*) FROM pgq.delete(queue_name => 'ad', msg_ids => ARRAY[4, 6]::bigint[]);

SELECT msg_id, message FROM pgq.q_ad ORDER BY msg_id;
SELECT msg_id, message FROM pgq.a_ad ORDER BY msg_id;

-- ids that exist only in another queue are not touched
SELECT pgq.archive('ad', 9);
SELECT * FROM pgq.archive('ad', ARRAY[10, 11]::bigint[]);
SELECT pgq.delete('ad', 12);
SELECT * FROM pgq.delete('ad', ARRAY[4, 9, 10]::bigint[]);
SELECT count(*), min(msg_id), max(msg_id) FROM pgq.q_ad_other;
SELECT count(*) FROM pgq.a_ad_other;

-- and the other way round
SELECT * FROM pgq.archive('ad_other', ARRAY[7, 12]::bigint[]);
SELECT pgq.delete('ad_other', 11);
SELECT msg_id, message FROM pgq.q_ad ORDER BY msg_id;
SELECT msg_id, message FROM pgq.a_ad_other ORDER BY msg_id;
SELECT count(*) FROM pgq.q_ad_other;

-- rolled back: nothing moves
BEGIN;
SELECT pgq.archive('ad', 7);
SELECT * FROM pgq.delete('ad', ARRAY[7]::bigint[]);
SELECT pgq.delete('ad', 7);
ROLLBACK;
BEGIN;
SELECT * FROM pgq.archive('ad', ARRAY[7]::bigint[]);
ROLLBACK;
SELECT msg_id FROM pgq.q_ad ORDER BY msg_id;
SELECT msg_id FROM pgq.a_ad ORDER BY msg_id;

-- the array forms in the select list
SELECT count(*) FROM pgq.send_batch('ad', ARRAY['{"n": 9}', '{"n": 10}', '{"n": 11}']::jsonb[]);
SELECT pgq.archive('ad', ARRAY[11, 9]::bigint[]);
SELECT pgq.delete('ad', ARRAY[10, 7]::bigint[]);
SELECT count(*) FROM pgq.q_ad;
SELECT msg_id FROM pgq.a_ad ORDER BY msg_id;

-- the archive of an unlogged queue is logged and works the same way
SELECT pgq.create_queue('ad_unlogged', true);
SELECT pgq.send('ad_unlogged', '{"u": 1}', '{"h": "u"}'::jsonb);
SELECT pgq.archive('ad_unlogged', 1);
SELECT msg_id, message, headers FROM pgq.a_ad_unlogged;
SELECT relname, relpersistence FROM pg_class
 WHERE relname IN ('q_ad_unlogged', 'a_ad_unlogged') ORDER BY relname;

SELECT pgq.drop_queue('ad');
SELECT pgq.drop_queue('ad_other');
SELECT pgq.drop_queue('ad_unlogged');
