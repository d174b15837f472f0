-- bench/sql/setup_pgmq.sql: pgmq's queue "bm" (pgq's is "bq": pgmq.create fails on the name of a
-- table another schema holds), only when a pgmq extension is available.
\set ON_ERROR_STOP 1

CREATE EXTENSION pgmq CASCADE;
SELECT pgmq.create('bm');
