SELECT * FROM pgmq.read('bq', 30, 1) \gset
SELECT pgmq.archive('bq', :msg_id::bigint);
