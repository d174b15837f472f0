-- pgq.read's statement (src/plancache.c, PGQ_STMT_READ): $1 = now(), $2 = 100, $3 = now() + 30 s;
-- then pgq.delete(msg_ids[])'s (PGQ_STMT_DELETE_BATCH) with the ids read
WITH u AS (UPDATE public.ref_q m SET vt = CASE WHEN now() + interval '30 seconds' > now()
                               THEN now() + interval '30 seconds' ELSE m.vt END,
               read_ct = m.read_ct + 1,
               last_read_at = now()
           WHERE m.msg_id = ANY (ARRAY(SELECT msg_id FROM public.ref_q
                                       WHERE vt <= now()
                                       ORDER BY vt, msg_id LIMIT 100 FOR UPDATE SKIP LOCKED))
           RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers)
SELECT array_agg(msg_id) AS ids FROM (SELECT * FROM u ORDER BY msg_id) r \gset
WITH d AS (DELETE FROM public.ref_q WHERE msg_id = ANY (:ids::bigint[]) RETURNING msg_id)
SELECT msg_id FROM d ORDER BY msg_id;
