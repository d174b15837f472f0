-- bench/sql/prime.sql: put one side's queue into the state a run starts from.
-- psql variables: q and a (the queue's message and archive tables), head (messages in flight,
-- invisible for a day, at the head of the queue), visible (messages a read can take, after them).
\set ON_ERROR_STOP 1
TRUNCATE :q, :a;
INSERT INTO :q (vt, message)
    SELECT now() + interval '1 day', '{"n":1}' FROM generate_series(1, :head);
INSERT INTO :q (vt, message)
    SELECT now(), '{"n":1}' FROM generate_series(1, :visible);
VACUUM ANALYZE :q;
VACUUM ANALYZE :a;
