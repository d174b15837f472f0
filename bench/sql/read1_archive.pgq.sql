SELECT * FROM pgq.read('bq', 30, 1) \gset
SELECT pgq.archive('bq', :msg_id::bigint);
