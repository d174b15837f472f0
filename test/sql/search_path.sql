--
-- search_path: the functions act on schema pgq and the built-in operators
-- and functions whatever the caller's search_path holds
--
\set SHOW_CONTEXT never
\set VERBOSITY default

-- decoys: same-named tables, a now() and a bigint "=" that matches everything
CREATE SCHEMA sp_decoy;
CREATE TABLE sp_decoy.q_sp (msg_id bigint, read_ct int, enqueued_at timestamptz,
                            last_read_at timestamptz, vt timestamptz,
                            message jsonb, headers jsonb);
CREATE TABLE sp_decoy.a_sp (LIKE sp_decoy.q_sp, archived_at timestamptz);
CREATE TABLE sp_decoy.meta (queue_name text, is_unlogged boolean, created_at timestamptz);
CREATE FUNCTION sp_decoy.now() RETURNS timestamptz
    LANGUAGE sql AS $$ SELECT '2000-01-01 00:00:00+00'::timestamptz $$;
CREATE FUNCTION sp_decoy.always_true(bigint, bigint) RETURNS boolean
    LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR sp_decoy.= (LEFTARG = bigint, RIGHTARG = bigint,
                            FUNCTION = sp_decoy.always_true);

SET search_path = sp_decoy, pg_catalog;

SELECT pgq.create_queue('sp');
SELECT pgq.send('sp', '{"n": 1}');
SELECT * FROM pgq.send_batch('sp', ARRAY['{"n": 2}', '{"n": 3}', '{"n": 4}']::jsonb[]);
SELECT msg_id, read_ct FROM pgq.read('sp', 0, 1);
SELECT msg_id FROM pgq.set_vt('sp', 2, 0);
SELECT pgq.delete('sp', 1);
SELECT pgq.archive('sp', 2);
SELECT * FROM pgq.delete('sp', ARRAY[3]::bigint[]);
SELECT msg_id FROM pgq.pop('sp');
SELECT queue_length, total_messages FROM pgq.metrics('sp');
SELECT queue_name FROM pgq.list_queues() WHERE queue_name = 'sp';

-- only the one message each call named was touched, in schema pgq
SELECT msg_id, message, enqueued_at > '2000-01-02'::timestamptz AS real_now
  FROM pgq.a_sp;
SELECT count(*) FROM pgq.q_sp;
SELECT (SELECT count(*) FROM sp_decoy.q_sp) AS decoy_q,
       (SELECT count(*) FROM sp_decoy.a_sp) AS decoy_a,
       (SELECT count(*) FROM sp_decoy.meta) AS decoy_meta;

-- an empty search_path works too
SET search_path = '';
SELECT pgq.send('sp', '{"n": 5}');
SELECT msg_id, message FROM pgq.read('sp', 0, 10);
SELECT pgq.purge_queue('sp');

RESET search_path;
SELECT pgq.drop_queue('sp');
SET client_min_messages = warning;
DROP SCHEMA sp_decoy CASCADE;
RESET client_min_messages;
