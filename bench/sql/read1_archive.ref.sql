-- pgq.read's statement (src/plancache.c, PGQ_STMT_READ): $1 = now(), $2 = 1, $3 = now() + 30 s;
-- then pgq.archive's (PGQ_STMT_ARCHIVE) with the id read
WITH u AS (UPDATE public.ref_q m SET vt = CASE WHEN now() + interval '30 seconds' > now()
                               THEN now() + interval '30 seconds' ELSE m.vt END,
               read_ct = m.read_ct + 1,
               last_read_at = now()
           WHERE m.msg_id = ANY (ARRAY(SELECT msg_id FROM public.ref_q
                                       WHERE vt <= now()
                                       ORDER BY vt, msg_id LIMIT 1 FOR UPDATE SKIP LOCKED))
           RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers)
SELECT * FROM u ORDER BY msg_id \gset
WITH m AS (DELETE FROM public.ref_q WHERE msg_id = :msg_id RETURNING *)
INSERT INTO public.ref_a (msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers)
    SELECT m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers FROM m;
