-- pgq.send's statement (src/plancache.c, PGQ_STMT_SEND): $1 = now(), $2 = the message, $3 = NULL
INSERT INTO public.ref_q (vt, message, headers) VALUES (now(), '{"n":1}', NULL) RETURNING msg_id;
