SELECT array_agg(msg_id) AS ids FROM pgmq.read('bq', 30, 100) \gset
SELECT * FROM pgmq.delete('bq', :ids::bigint[]);
