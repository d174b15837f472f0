SELECT * FROM pgq.send_batch('bq', array_fill('{"n":1}'::jsonb, ARRAY[100]));
