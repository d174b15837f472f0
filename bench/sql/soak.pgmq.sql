-- bench/soak.sh's cycle through pgmq (installed from the SQL file given with --pgmq): send 1,
-- read 1, delete it; as soak.pgq.sql, msg_id 0 when the read finds nothing
SELECT pgmq.send('pq', '{"n":1}');
SELECT coalesce(max(msg_id), 0) AS msg_id FROM pgmq.read('pq', 30, 1) \gset
SELECT pgmq.delete('pq', :msg_id::bigint);
