SELECT * FROM pgmq.send('bq', '{"n":1}');
