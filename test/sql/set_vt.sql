--
-- set_vt: move a message's visibility timeout
--
\set SHOW_CONTEXT never
\set VERBOSITY default

SELECT pgq.create_queue('sv');
SELECT count(*) FROM pgq.send_batch('sv',
    ARRAY['{"n": 1}', '{"n": 2}', '{"n": 3}']::jsonb[],
    ARRAY['{"h": 1}', NULL, NULL]::jsonb[]);

-- hide message 1 for an hour: the updated row comes back, only vt changes
SELECT msg_id, read_ct, message, headers, last_read_at IS NULL AS never_read,
       vt >= now() + interval '3600 s'
       AND vt <= clock_timestamp() + interval '3600 s' AS vt_ok
  FROM pgq.set_vt('sv', 1, 3600);
SELECT msg_id, read_ct, last_read_at IS NULL AS never_read,
       vt > clock_timestamp() + interval '3500 s' AS hidden
  FROM pgq.q_sv ORDER BY msg_id;
SELECT msg_id FROM pgq.read('sv', 0, 10);

-- vt = 0 makes it visible at once
SELECT msg_id, vt <= clock_timestamp() AS visible FROM pgq.set_vt('sv', 1, 0);
SELECT msg_id, read_ct FROM pgq.read('sv', 0, 10);

-- shorten the timeout of a message that was read (2: visible longest,
-- as 1 is visible again only since just now); read_ct and last_read_at
-- stay as they were
SELECT msg_id, read_ct FROM pgq.read('sv', 3600, 1);
SELECT last_read_at AS last_read_before FROM pgq.q_sv WHERE msg_id = 2 \gset
SELECT msg_id, read_ct, last_read_at = :'last_read_before'::timestamptz AS same_last_read,
       vt >= now() + interval '600 s'
       AND vt <= clock_timestamp() + interval '600 s' AS vt_ok
  FROM pgq.set_vt(queue_name => 'sv', msg_id => 2, vt => 600);
SELECT msg_id FROM pgq.read('sv', 0, 10);

-- no such message: zero rows
SELECT count(*) FROM pgq.set_vt('sv', 999, 10);
SELECT count(*) FROM pgq.set_vt('sv', -1, 10);
-- an archived message is not in the queue any more
SELECT pgq.archive('sv', 3);
SELECT count(*) FROM pgq.set_vt('sv', 3, 10);
SELECT msg_id, read_ct, message FROM pgq.a_sv;

-- an id that exists only in another queue: zero rows, that queue untouched
SELECT pgq.create_queue('sv_other');
SELECT count(*) FROM pgq.send_batch('sv_other', ARRAY['{}', '{}', '{}', '{}', '{}']::jsonb[]);
SELECT count(*) FROM pgq.set_vt('sv', 5, 3600);
SELECT msg_id, vt <= clock_timestamp() AS visible FROM pgq.q_sv_other WHERE msg_id = 5;
SELECT pgq.drop_queue('sv_other');

-- a rolled-back set_vt leaves vt as it was
SELECT vt AS vt_before FROM pgq.q_sv WHERE msg_id = 2 \gset
BEGIN;
SELECT msg_id FROM pgq.set_vt('sv', 2, 7200);
ROLLBACK;
SELECT msg_id, vt = :'vt_before'::timestamptz AS same_vt FROM pgq.q_sv WHERE msg_id = 2;

-- set_vt in the select list
SELECT (pgq.set_vt('sv', 2, 0)).msg_id;

SELECT msg_id, read_ct, message FROM pgq.q_sv ORDER BY msg_id;
SELECT pgq.drop_queue('sv');
