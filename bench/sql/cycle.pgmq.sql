SELECT * FROM pgmq.send('bm', '{"n":1}');
SELECT * FROM pgmq.read('bm', 30, 1) \gset
SELECT pgmq.delete('bm', :msg_id::bigint);
