SELECT array_agg(msg_id) AS ids FROM pgmq.read('bm', 30, 100) \gset
SELECT * FROM pgmq.delete('bm', :ids::bigint[]);
