SELECT * FROM pgmq.metrics('bq');
