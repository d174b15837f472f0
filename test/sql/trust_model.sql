--
-- trust_model: the roles that use queues own nothing pgq runs its
-- statements on.  The queue tables belong to the owner of schema pgq; a
-- creator, owner, producer, consumer or admin cannot alter them, add
-- triggers, rules or policies, write them around pgq, squat names, or
-- make others wait on locks without a right.  A table changed by hand (only
-- the owner of schema pgq can) gives 42804, never wrong data or a crash.
--
\set SHOW_CONTEXT never
\set VERBOSITY default

-- run one statement, report SQLSTATE and message (or 'ok' and its row count)
CREATE FUNCTION pg_temp.run(sql text, OUT state text, OUT message text)
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE sql;
    GET DIAGNOSTICS n = ROW_COUNT;
    state := 'ok';
    message := n || ' row(s)';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.run(text) TO PUBLIC;

CREATE ROLE regress_tm_creator;
CREATE ROLE regress_tm_rival;
CREATE ROLE regress_tm_producer;
CREATE ROLE regress_tm_consumer;
CREATE ROLE regress_tm_admin;
CREATE ROLE regress_tm_nobody;
CREATE ROLE regress_tm_monitor IN ROLE pg_monitor;

-- creating queues is the right to execute create_queue, which PUBLIC lacks
SET ROLE regress_tm_nobody;
SELECT * FROM pg_temp.run($$SELECT pgq.create_queue('tm')$$);
RESET ROLE;
GRANT EXECUTE ON FUNCTION pgq.create_queue(text, boolean) TO regress_tm_creator, regress_tm_rival;

SET ROLE regress_tm_creator;
SELECT pgq.create_queue('tm');
SELECT pgq.grant_producer('tm', 'regress_tm_producer');
SELECT pgq.grant_consumer('tm', 'regress_tm_consumer');
SELECT pgq.grant_admin('tm', 'regress_tm_admin');
RESET ROLE;

-- the tables belong to the owner of schema pgq, with row-level security;
-- pgq.meta records the creator as the queue's owner
SELECT c.relname,
       c.relowner = n.nspowner AS owned_by_pgq_owner,
       c.relrowsecurity
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'pgq' AND c.relname IN ('q_tm', 'a_tm')
 ORDER BY 1;
SELECT queue_name, owner::regrole FROM pgq.meta WHERE queue_name = 'tm';

-- a creator can neither create in schema pgq nor write pgq.meta
SET ROLE regress_tm_creator;
SELECT * FROM pg_temp.run($$CREATE TABLE pgq.q_squat (x int)$$);
SELECT * FROM pg_temp.run($$CREATE FUNCTION pgq.f() RETURNS int LANGUAGE sql AS 'SELECT 1'$$);
SELECT * FROM pg_temp.run($$INSERT INTO pgq.meta (queue_name) VALUES ('forged')$$);
SELECT * FROM pg_temp.run($$DELETE FROM pgq.meta$$);
-- the queue's owner cannot alter its tables (0.3.0: type confusion, a crash)
SELECT * FROM pg_temp.run($$ALTER TABLE pgq.q_tm ALTER COLUMN message TYPE bytea USING message::text::bytea$$);
SELECT * FROM pg_temp.run($$ALTER TABLE pgq.q_tm ALTER COLUMN vt TYPE text$$);
SELECT * FROM pg_temp.run($$ALTER TABLE pgq.q_tm ALTER COLUMN msg_id DROP IDENTITY$$);
SELECT * FROM pg_temp.run($$ALTER TABLE pgq.q_tm DISABLE ROW LEVEL SECURITY$$);
RESET ROLE;

-- an admin cannot add a trigger, a rule or a policy (0.3.0: GRANT ALL gave TRIGGER)
SET ROLE regress_tm_admin;
CREATE FUNCTION pg_temp.planted() RETURNS trigger LANGUAGE plpgsql
AS $$ BEGIN RAISE NOTICE 'planted code ran as %', current_user; RETURN NEW; END $$;
SELECT * FROM pg_temp.run($$CREATE TRIGGER planted BEFORE INSERT ON pgq.q_tm FOR EACH ROW EXECUTE FUNCTION pg_temp.planted()$$);
SELECT * FROM pg_temp.run($$CREATE RULE planted AS ON INSERT TO pgq.q_tm DO ALSO NOTIFY planted$$);
SELECT * FROM pg_temp.run($$CREATE POLICY planted ON pgq.q_tm USING (true)$$);
SELECT * FROM pg_temp.run($$CREATE INDEX planted ON pgq.q_tm (msg_id)$$);
RESET ROLE;
DROP FUNCTION pg_temp.planted();
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'pgq.q_tm'::regclass;

-- nobody writes the tables around pgq: a producer cannot put ids ahead of
-- the sequence (0.3.0: every later send failed 23505)...
SET ROLE regress_tm_producer;
SELECT * FROM pg_temp.run($$INSERT INTO pgq.q_tm (msg_id, vt, message) OVERRIDING SYSTEM VALUE VALUES (2, now(), '{}')$$);
SELECT * FROM pg_temp.run($$INSERT INTO pgq.q_tm (message) VALUES ('{}')$$);
SELECT pgq.send('tm', '{"n": 1}') AS first, pgq.send('tm', '{"n": 2}') AS second;
RESET ROLE;
-- ...a consumer reads the rows, but cannot forge archive rows (0.3.0: archive() then failed
-- 23505), nor update, delete or lock messages but through pgq
SET ROLE regress_tm_consumer;
SELECT msg_id, message FROM pgq.q_tm ORDER BY msg_id;
SELECT * FROM pg_temp.run($$INSERT INTO pgq.a_tm (msg_id, vt, message) VALUES (1, now(), '{}')$$);
SELECT * FROM pg_temp.run($$UPDATE pgq.q_tm SET vt = now() + interval '1 day'$$);
SELECT * FROM pg_temp.run($$DELETE FROM pgq.q_tm$$);
SELECT * FROM pg_temp.run($$SELECT * FROM pgq.q_tm FOR UPDATE$$);
SELECT * FROM pg_temp.run($$DELETE FROM pgq.a_tm$$);
SELECT message, read_ct FROM pgq.read('tm', 30, 1);
SELECT pgq.archive('tm', (SELECT min(msg_id) FROM pgq.q_tm));
SELECT message FROM pgq.a_tm;
RESET ROLE;
-- an admin may prune the archive directly
SET ROLE regress_tm_admin;
SELECT * FROM pg_temp.run($$DELETE FROM pgq.a_tm$$);
RESET ROLE;

-- the owner's own rights cannot be revoked (they keep DROP ROLE from dropping
-- a role that owns queues); the owner's grants to others can
SET ROLE regress_tm_creator;
SELECT * FROM pg_temp.run($$SELECT pgq.revoke_queue('tm', 'regress_tm_creator')$$);
RESET ROLE;
SELECT * FROM pg_temp.run($$SELECT pgq.revoke_queue('tm', 'regress_tm_creator')$$);

-- names: another role's queue is an error for everyone, superusers included
-- (0.3.0: "already exists, skipping", and the deploy used the squatter's queue)
SELECT * FROM pg_temp.run($$SELECT pgq.create_queue('tm')$$);
SET ROLE regress_tm_rival;
SELECT * FROM pg_temp.run($$SELECT pgq.create_queue('tm')$$);
SELECT * FROM pg_temp.run($$SELECT pgq.drop_queue('tm')$$);
SELECT * FROM pg_temp.run($$SELECT pgq.grant_consumer('tm', 'regress_tm_rival')$$);
-- the name in other capitals is the same queue (0.5.0 folds names to lower
-- case), whichever create function is called
SELECT * FROM pg_temp.run($$SELECT pgq.create_queue('TM')$$);
SELECT * FROM pg_temp.run($$SELECT pgq."create"('Tm')$$);
SELECT * FROM pg_temp.run($$SELECT pgq.create_unlogged('tM')$$);
SELECT * FROM pg_temp.run($$SELECT pgq.create_non_partitioned('TM')$$);
SELECT * FROM pg_temp.run($$SELECT pgq.drop_queue('TM', true)$$);
SELECT * FROM pg_temp.run($$SELECT pgq.detach_archive('Tm')$$);
RESET ROLE;
-- its owner's own queue is a NOTICE
SET ROLE regress_tm_creator;
SELECT pgq.create_queue('tm');
SELECT pgq."create"('TM');
RESET ROLE;
SELECT queue_name, owner::regrole, is_unlogged FROM pgq.meta WHERE lower(queue_name) = 'tm';

-- names: no queue takes the name of another queue's index or sequence
SELECT * FROM pg_temp.run($$SELECT pgq.create_queue('tm_vt_idx')$$);
SELECT * FROM pg_temp.run($$SELECT pgq.create_queue('tm_pkey')$$);
SELECT * FROM pg_temp.run($$SELECT pgq.create_queue('tm_archived_idx')$$);
SELECT * FROM pg_temp.run($$SELECT pgq.create_queue('tm_msg_id_seq')$$);
SELECT * FROM pg_temp.run($$SELECT pgq.create_queue('tm_vt')$$);
SELECT pgq.drop_queue('tm_vt');
-- and none adopts a relation the owner of schema pgq made by hand
CREATE TABLE pgq.q_handmade (x int);
SELECT * FROM pg_temp.run($$SELECT pgq.create_queue('handmade')$$);
SELECT * FROM pg_temp.run($$SELECT pgq.send('handmade', '{}')$$);
DROP TABLE pgq.q_handmade;
CREATE TABLE pgq."a_hand-made" (x int);
SELECT * FROM pg_temp.run($$SELECT pgq.create_queue('Hand-Made')$$);
SELECT * FROM pg_temp.run($$SELECT pgq.send('HAND-MADE', '{}')$$);
DROP TABLE pgq."a_hand-made";

-- monitoring: consumers see their queues, pg_monitor's members every queue,
-- others none; list_queues is everyone's
SET ROLE regress_tm_consumer;
SELECT queue_name FROM pgq.metrics_all();
RESET ROLE;
SET ROLE regress_tm_monitor;
SELECT queue_name, queue_length FROM pgq.metrics('tm');
SELECT queue_name, queue_length FROM pgq.metrics_all() WHERE queue_name = 'tm';
SELECT * FROM pg_temp.run($$SELECT * FROM pgq.read('tm', 30, 1)$$);
RESET ROLE;
SET ROLE regress_tm_nobody;
SELECT count(*) AS visible_metrics FROM pgq.metrics_all();
SELECT * FROM pg_temp.run($$SELECT * FROM pgq.metrics('tm')$$);
SELECT queue_name FROM pgq.list_queues() WHERE queue_name = 'tm';
RESET ROLE;
-- a queue granted only in part (SELECT by hand) does not break metrics_all
-- (0.3.0: "permission denied for sequence" for the whole call)
GRANT SELECT ON pgq.q_tm TO regress_tm_nobody;
SET ROLE regress_tm_nobody;
SELECT queue_name, queue_length FROM pgq.metrics_all();
RESET ROLE;
REVOKE SELECT ON pgq.q_tm FROM regress_tm_nobody;

-- metrics_all holds no lock on the queues it skips, nor on those it
-- measured, and keeps no plan of theirs (0.3.0: a lock per table and a
-- plan cache per queue, for the rest of the session)
SELECT count(pgq.create_queue('tm_many_' || i)) FROM generate_series(1, 30) i;
SELECT count(*) AS plans_before FROM pg_backend_memory_contexts WHERE name = 'CachedPlanSource' \gset
BEGIN;
SELECT count(*) AS measured FROM pgq.metrics_all() WHERE queue_name LIKE 'tm\_many\_%';
SELECT count(*) AS locks_held
  FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
 WHERE l.pid = pg_backend_pid() AND c.relname LIKE '%tm\_many\_%';
COMMIT;
SELECT count(*) - :plans_before AS plans_kept
  FROM pg_backend_memory_contexts WHERE name = 'CachedPlanSource';
SET ROLE regress_tm_nobody;
BEGIN;
SELECT count(*) AS measured FROM pgq.metrics_all();
SELECT count(*) AS locks_held
  FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
 WHERE l.pid = pg_backend_pid() AND c.relnamespace = 'pgq'::regnamespace
   AND c.relname <> 'meta' AND c.relname <> 'meta_pkey';
COMMIT;
RESET ROLE;
SELECT count(pgq.drop_queue('tm_many_' || i)) FROM generate_series(1, 30) i;

-- a role without rights can build on a queue's row type (a function's
-- result, a column), which PostgreSQL allows without a right on the table;
-- that does not keep the owner from dropping the queue: it goes with it
SET ROLE regress_tm_creator;
SELECT pgq.create_queue('tm_rowtype');
RESET ROLE;
SET ROLE regress_tm_nobody;
CREATE FUNCTION pg_temp.hold() RETURNS SETOF pgq.q_tm_rowtype LANGUAGE sql
AS 'SELECT NULL::pgq.q_tm_rowtype WHERE false';
CREATE TEMP TABLE hold (x pgq.a_tm_rowtype);
RESET ROLE;
SET ROLE regress_tm_creator;
SET client_min_messages = warning;		-- the NOTICEs name this backend's temp schema
SELECT pgq.drop_queue('tm_rowtype');
RESET client_min_messages;
RESET ROLE;
SELECT count(*) AS hold_columns FROM pg_attribute
 WHERE attrelid = 'hold'::regclass AND attnum > 0 AND NOT attisdropped;
DROP TABLE hold;

-- pgq refuses to work while schema pgq holds something it cannot trust:
-- another role's right to create in it, or to write pgq.meta (as a dump of
-- an older version restores); once revoked, it works again
GRANT CREATE ON SCHEMA pgq TO regress_tm_nobody;
SELECT * FROM pg_temp.run($$SELECT pgq.send('tm', '{}')$$);
SELECT * FROM pg_temp.run($$SELECT * FROM pgq.list_queues()$$);
REVOKE CREATE ON SCHEMA pgq FROM regress_tm_nobody;
SELECT * FROM pg_temp.run($$SELECT pgq.send('tm', '{}')$$);
GRANT INSERT (queue_name) ON pgq.meta TO regress_tm_nobody;
SELECT * FROM pg_temp.run($$SELECT pgq.send('tm', '{}')$$);
REVOKE INSERT (queue_name) ON pgq.meta FROM regress_tm_nobody;
CREATE FUNCTION pgq.planted(queue_name text, msg text) RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint';
ALTER FUNCTION pgq.planted(text, text) OWNER TO regress_tm_nobody;
SELECT * FROM pg_temp.run($$SELECT pgq.send('tm', '{}')$$);
DROP FUNCTION pgq.planted(text, text);
SELECT * FROM pg_temp.run($$SELECT pgq.send('tm', '{}')$$);

-- the tables' owner's default privileges give nobody rights on a new queue
-- (nor on its sequence): only the grant functions do
ALTER DEFAULT PRIVILEGES IN SCHEMA pgq GRANT SELECT, INSERT ON TABLES TO regress_tm_nobody;
ALTER DEFAULT PRIVILEGES IN SCHEMA pgq GRANT USAGE, UPDATE ON SEQUENCES TO regress_tm_nobody;
SET ROLE regress_tm_creator;
SELECT pgq.create_queue('tm_defacl');
SELECT pgq.send('tm_defacl', '{"secret": 1}');
RESET ROLE;
SET ROLE regress_tm_nobody;
SELECT * FROM pg_temp.run($$SELECT pgq.send('tm_defacl', '{}')$$);
SELECT * FROM pg_temp.run($$SELECT message FROM pgq.q_tm_defacl$$);
SELECT * FROM pg_temp.run($$SELECT pg_catalog.setval('pgq.q_tm_defacl_msg_id_seq', 1)$$);
RESET ROLE;
SELECT count(*) AS grants_to_nobody
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.relnamespace = 'pgq'::regnamespace AND c.relname LIKE '%tm\_defacl%'
   AND a.grantee = 'regress_tm_nobody'::regrole;
ALTER DEFAULT PRIVILEGES IN SCHEMA pgq REVOKE SELECT, INSERT ON TABLES FROM regress_tm_nobody;
ALTER DEFAULT PRIVILEGES IN SCHEMA pgq REVOKE USAGE, UPDATE ON SEQUENCES FROM regress_tm_nobody;
SET ROLE regress_tm_creator;
SELECT pgq.drop_queue('tm_defacl');
RESET ROLE;

-- a table another role made in schema pgq while it could, named like a
-- queue table, keeps pgq refusing to work after the right is gone; the
-- superuser can still drop it (the event trigger that forgets dropped
-- queues does not stand in the way), and pgq works again
GRANT CREATE ON SCHEMA pgq TO regress_tm_nobody;
SET ROLE regress_tm_nobody;
CREATE TABLE pgq.q_intruder (x int);
RESET ROLE;
REVOKE CREATE ON SCHEMA pgq FROM regress_tm_nobody;
SELECT * FROM pg_temp.run($$SELECT pgq.send('tm', '{}')$$);
DROP TABLE pgq.q_intruder;
SELECT * FROM pg_temp.run($$SELECT pgq.send('tm', '{}')$$);

-- DROP OWNED BY a queue's owner takes its privileges; the queue stays, and
-- a superuser can drop it and make the name again (0.3.0: an orphan
-- pgq.meta row, and the name unusable for ever)
CREATE ROLE regress_tm_leaver;
GRANT EXECUTE ON FUNCTION pgq.create_queue(text, boolean) TO regress_tm_leaver;
SET ROLE regress_tm_leaver;
SELECT pgq.create_queue('tm_leaver');
SELECT pgq.send('tm_leaver', '{}');
RESET ROLE;
SELECT * FROM pg_temp.run($$DROP ROLE regress_tm_leaver$$);
DROP OWNED BY regress_tm_leaver;
DROP ROLE regress_tm_leaver;
SELECT queue_name FROM pgq.list_queues() WHERE queue_name = 'tm_leaver';
SELECT pgq.drop_queue('tm_leaver');
SELECT pgq.create_queue('tm_leaver');
SELECT pgq.drop_queue('tm_leaver');

-- a queue table dropped by hand takes its pgq.meta row with it
SELECT pgq.create_queue('tm_hand');
DROP TABLE pgq.q_tm_hand CASCADE;
SELECT count(*) AS meta_rows FROM pgq.meta WHERE queue_name = 'tm_hand';
SELECT pgq.drop_queue('tm_hand');
-- a pgq.meta row without tables (written by hand): drop_queue removes it, and
-- its owner's create_queue replaces it
INSERT INTO pgq.meta (queue_name, owner) VALUES ('tm_orphan', 'regress_tm_creator'::regrole);
SELECT pgq.drop_queue('tm_orphan');
INSERT INTO pgq.meta (queue_name, owner) VALUES ('tm_orphan', 'regress_tm_creator'::regrole);
SET ROLE regress_tm_creator;
SELECT pgq.create_queue('tm_orphan');
SELECT pgq.send('tm_orphan', '{}');
SELECT pgq.drop_queue('tm_orphan');
RESET ROLE;

-- a table changed by hand (by the owner of schema pgq): every operation gives
-- 42804 before any row is returned; put back, the queue works again
SELECT pgq.create_queue('tm_alt');
SELECT count(*) FROM pgq.send_batch('tm_alt', ARRAY['{"a": 1}', '{"a": 2}', '{"a": 3}']::jsonb[]);
ALTER TABLE pgq.q_tm_alt ALTER COLUMN message TYPE bytea USING message::text::bytea;
SELECT * FROM pg_temp.run($$SELECT * FROM pgq.read('tm_alt', 30, 1)$$);
SELECT * FROM pg_temp.run($$SELECT * FROM pgq.pop('tm_alt')$$);
SELECT * FROM pg_temp.run($$SELECT * FROM pgq.set_vt('tm_alt', 1, 0)$$);
SELECT * FROM pg_temp.run($$SELECT pgq.send('tm_alt', '{}')$$);
SELECT * FROM pg_temp.run($$SELECT * FROM pgq.send_batch('tm_alt', ARRAY['{}']::jsonb[])$$);
SELECT * FROM pg_temp.run($$SELECT * FROM pgq.delete('tm_alt', ARRAY[1]::bigint[])$$);
SELECT * FROM pg_temp.run($$SELECT * FROM pgq.archive('tm_alt', ARRAY[1]::bigint[])$$);
SELECT * FROM pg_temp.run($$SELECT * FROM pgq.metrics('tm_alt')$$);
SELECT * FROM pg_temp.run($$SELECT pgq.purge_queue('tm_alt')$$);
ALTER TABLE pgq.q_tm_alt ALTER COLUMN message TYPE jsonb USING convert_from(message, 'UTF8')::jsonb;
SELECT msg_id, message FROM pgq.read('tm_alt', 30, 1);
-- (msg_id's type is changed on each child apart, its primary key dropped meanwhile:
-- PostgreSQL 18 cannot change the type of an inherited column a child's own primary key covers)
CREATE FUNCTION pg_temp.retype_msg_id(queue text, newtype text) RETURNS void
LANGUAGE plpgsql AS $f$
DECLARE
	parent regclass := format('pgq.%I', 'q_' || queue)::regclass;
	child record;
BEGIN
	FOR child IN SELECT i.inhrelid::regclass AS rel, c.conname
				   FROM pg_inherits i JOIN pg_constraint c ON c.conrelid = i.inhrelid AND c.contype = 'p'
				  WHERE i.inhparent = parent ORDER BY 1 LOOP
		EXECUTE format('ALTER TABLE %s NO INHERIT %s', child.rel, parent);
		EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', child.rel, child.conname);
		EXECUTE format('ALTER TABLE %s ALTER COLUMN msg_id TYPE %s', child.rel, newtype);
		EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I PRIMARY KEY (msg_id)', child.rel, child.conname);
	END LOOP;
	EXECUTE format('ALTER TABLE %s ALTER COLUMN msg_id TYPE %s', parent, newtype);
	FOR child IN SELECT c.oid::regclass AS rel FROM pg_class c
				  WHERE c.relnamespace = 'pgq'::regnamespace
					AND c.relname LIKE 'q\_' || queue || '$_' ORDER BY 1 LOOP
		EXECUTE format('ALTER TABLE %s INHERIT %s', child.rel, parent);
	END LOOP;
END
$f$;
SELECT pg_temp.retype_msg_id('tm_alt', 'integer');
SELECT * FROM pg_temp.run($$SELECT * FROM pgq.delete('tm_alt', ARRAY[2]::bigint[])$$);
SELECT * FROM pg_temp.run($$SELECT pgq.send('tm_alt', '{}')$$);
SELECT pg_temp.retype_msg_id('tm_alt', 'bigint');
SELECT * FROM pg_temp.run($$SELECT pgq.delete('tm_alt', 2)$$);
-- (the ring's children take their msg_id from the identity's sequence, which PostgreSQL will
-- not drop while their defaults use it)
ALTER TABLE pgq."q_tm_alt$0" ALTER COLUMN msg_id DROP DEFAULT;
ALTER TABLE pgq."q_tm_alt$1" ALTER COLUMN msg_id DROP DEFAULT;
ALTER TABLE pgq."q_tm_alt$2" ALTER COLUMN msg_id DROP DEFAULT;
ALTER TABLE pgq.q_tm_alt ALTER COLUMN msg_id DROP IDENTITY;
SELECT * FROM pg_temp.run($$SELECT * FROM pgq.metrics('tm_alt')$$);
SELECT * FROM pg_temp.run($$SELECT * FROM pgq.metrics_all()$$);
SELECT pgq.drop_queue('tm_alt');
-- the result type itself changed: the rows of the plan no longer match it
SELECT pgq.create_queue('tm_type');
SELECT pgq.send('tm_type', '{}');
BEGIN;
ALTER TYPE pgq.message_record ADD ATTRIBUTE extra integer;
SELECT * FROM pg_temp.run($$SELECT * FROM pgq.read('tm_type', 30, 1)$$);
ROLLBACK;
SELECT msg_id, read_ct FROM pgq.read('tm_type', 30, 1);
SELECT pgq.drop_queue('tm_type');

SELECT pgq.drop_queue('tm');
REVOKE EXECUTE ON FUNCTION pgq.create_queue(text, boolean) FROM regress_tm_creator, regress_tm_rival;
DROP ROLE regress_tm_creator, regress_tm_rival, regress_tm_producer, regress_tm_consumer,
          regress_tm_admin, regress_tm_nobody, regress_tm_monitor;
