SELECT * FROM pgmq.metrics('bm');
