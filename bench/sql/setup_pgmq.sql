-- bench/sql/setup_pgmq.sql: pgmq's queue "bq", only when a pgmq extension is available.
\set ON_ERROR_STOP 1

CREATE EXTENSION pgmq CASCADE;
SELECT pgmq.create('bq');
