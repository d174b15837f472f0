SELECT * FROM pgmq.read('bm', 30, 1) \gset
SELECT pgmq.archive('bm', :msg_id::bigint);
