SELECT * FROM pgq.pop('bq', 1) \gset
