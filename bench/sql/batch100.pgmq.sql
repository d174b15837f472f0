SELECT * FROM pgmq.send_batch('bm', array_fill('{"n":1}'::jsonb, ARRAY[100]));
