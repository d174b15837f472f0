SELECT * FROM pgmq.send('bm', '{"n":1}');
