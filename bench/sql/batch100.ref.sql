-- pgq.send_batch's statement (src/plancache.c, PGQ_STMT_SEND_BATCH): $1 = now(), $2 = 100 messages, $3 = NULL
INSERT INTO public.ref_q (vt, message, headers)
    SELECT now(), b.message, b.headers
    FROM ROWS FROM (pg_catalog.unnest(array_fill('{"n":1}'::jsonb, ARRAY[100])),
                    pg_catalog.unnest(NULL::jsonb[])) AS b(message, headers)
    RETURNING msg_id;
