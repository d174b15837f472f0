-- pgq.pop's statement (src/plancache.c, PGQ_STMT_POP): $1 = now(), $2 = 1
WITH d AS (DELETE FROM public.ref_q m
           WHERE m.msg_id = ANY (ARRAY(SELECT msg_id FROM public.ref_q
                                       WHERE vt <= now()
                                       ORDER BY vt, msg_id LIMIT 1 FOR UPDATE SKIP LOCKED))
           RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers)
SELECT * FROM d ORDER BY msg_id \gset
