SELECT pgq.send('bq', '{"n":1}');
