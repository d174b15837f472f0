-- metrics the exact way, as pgq 0.2.0 and pgmq count: the whole table; $1 = now(), $2 = the msg_id sequence
SELECT pg_catalog.count(*),
       pg_catalog.count(*) FILTER (WHERE vt <= now()),
       pg_catalog.max(enqueued_at), pg_catalog.min(enqueued_at),
       pg_catalog.pg_sequence_last_value('public.ref_q_msg_id_seq'::regclass)
FROM public.ref_q;
