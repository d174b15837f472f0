SELECT * FROM pgmq.send('bq', '{"n":1}');
SELECT * FROM pgmq.read('bq', 30, 1) \gset
SELECT pgmq.delete('bq', :msg_id::bigint);
