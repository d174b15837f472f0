SELECT * FROM pgq.read('bq', 30, 1) \gset
SELECT pgq.delete('bq', :msg_id::bigint);
