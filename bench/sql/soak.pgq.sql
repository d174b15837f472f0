-- bench/soak.sh's cycle through pgq: send 1, read 1, delete it.  The read may find nothing (every
-- visible message locked by other clients' reads): msg_id 0 then, and the delete does nothing.
SELECT pgq.send('bq', '{"n":1}');
SELECT coalesce(max(msg_id), 0) AS msg_id FROM pgq.read('bq', 30, 1) \gset
SELECT pgq.delete('bq', :msg_id::bigint);
