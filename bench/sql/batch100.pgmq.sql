SELECT * FROM pgmq.send_batch('bq', array_fill('{"n":1}'::jsonb, ARRAY[100]));
