SELECT * FROM pgmq.pop('bm') \gset
