SELECT * FROM pgmq.pop('bq') \gset
