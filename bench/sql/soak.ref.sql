-- bench/soak.sh's cycle as hand-written SQL: pgq.send, pgq.read and pgq.delete's statements
-- (src/statements.c) on public.ref_q, a copy of the queue's table; as soak.pgq.sql, msg_id 0
-- when the read finds nothing
INSERT INTO public.ref_q (vt, message, headers) VALUES (now(), '{"n":1}', NULL) RETURNING msg_id;
WITH u AS (UPDATE public.ref_q m SET vt = CASE WHEN now() + interval '30 seconds' > now()
                               THEN now() + interval '30 seconds' ELSE m.vt END,
               read_ct = m.read_ct + 1,
               last_read_at = now()
           WHERE m.msg_id = ANY (ARRAY(SELECT msg_id FROM public.ref_q
                                       WHERE vt <= now()
                                       ORDER BY vt, msg_id LIMIT 1 FOR UPDATE SKIP LOCKED))
           RETURNING m.msg_id)
SELECT coalesce(max(msg_id), 0) AS msg_id FROM u \gset
DELETE FROM public.ref_q WHERE msg_id = :msg_id;
