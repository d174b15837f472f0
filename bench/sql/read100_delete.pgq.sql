SELECT array_agg(msg_id) AS ids FROM pgq.read('bq', 30, 100) \gset
SELECT * FROM pgq.delete('bq', :ids::bigint[]);
