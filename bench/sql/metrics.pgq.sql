SELECT * FROM pgq.metrics('bq');
