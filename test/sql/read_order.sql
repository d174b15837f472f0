--
-- read_order: a read goes straight to the message visible longest first,
-- through the queue's index on (vt, msg_id), without visiting the messages
-- in flight at the head of the queue, however many there are
--
\set SHOW_CONTEXT never
\set VERBOSITY default

SELECT pgq.create_queue('ro');
-- no autovacuum in the middle of the counting below
ALTER TABLE pgq.q_ro SET (autovacuum_enabled = off);
SELECT count(*) FROM pgq.send_batch('ro',
    (SELECT array_agg(jsonb_build_object('n', g)) FROM generate_series(1, 5000) g));
-- 1..5000 in flight for an hour, then three visible behind them
SELECT count(*) FROM pgq.read('ro', 3600, 5000);
SELECT count(*) FROM pgq.send_batch('ro', ARRAY['{"n": 5001}', '{"n": 5002}', '{"n": 5003}']::jsonb[]);
-- the versions of the rows before the read are dead: let vacuum remove their
-- index entries, as autovacuum would, so that only the plan is measured
-- (VACUUM of the parent does not take its children: the messages are in q_ro$0)
VACUUM ANALYZE pgq.q_ro, pgq."q_ro$0";

-- the statistics of one transaction count the index entries and the rows
-- each scan of the child the messages are in (ring.c) returned: pg_temp.mark() notes them, pg_temp.since_mark() says
-- how many each scan returned since
CREATE TEMP TABLE scan_mark (vt_idx bigint, pkey bigint, seq bigint);
CREATE FUNCTION pg_temp.scanned(OUT vt_idx bigint, OUT pkey bigint, OUT seq bigint)
LANGUAGE sql AS $$
    SELECT pg_stat_get_xact_tuples_returned('pgq."q_ro$0_vt"'::regclass),
           pg_stat_get_xact_tuples_returned('pgq."q_ro$0_pk"'::regclass),
           pg_stat_get_xact_tuples_returned('pgq."q_ro$0"'::regclass)
$$;
CREATE FUNCTION pg_temp.mark() RETURNS void
LANGUAGE sql AS $$
    DELETE FROM scan_mark;
    INSERT INTO scan_mark SELECT * FROM pg_temp.scanned();
$$;
CREATE FUNCTION pg_temp.since_mark(OUT vt_idx_entries bigint, OUT pkey_entries bigint,
                                   OUT rows_scanned bigint)
LANGUAGE sql AS $$
    SELECT s.vt_idx - m.vt_idx, s.pkey - m.pkey, s.seq - m.seq
      FROM pg_temp.scanned() s, scan_mark m
$$;

BEGIN;
SELECT pg_temp.mark();
SELECT msg_id, read_ct, message FROM pgq.read('ro', 60, 1);
SELECT * FROM pg_temp.since_mark();
COMMIT;

-- the same for pop, and for a read of several
BEGIN;
SELECT pg_temp.mark();
SELECT msg_id, message FROM pgq.pop('ro');
SELECT msg_id FROM pgq.read('ro', 60, 10);
SELECT * FROM pg_temp.since_mark();
COMMIT;

-- nothing visible: the scan stops at the first entry in the future
BEGIN;
SELECT pg_temp.mark();
SELECT count(*) FROM pgq.read('ro', 60, 1);
SELECT * FROM pg_temp.since_mark();
COMMIT;

SELECT count(*) AS in_flight FROM pgq.q_ro WHERE vt > clock_timestamp();
SELECT pgq.drop_queue('ro');
