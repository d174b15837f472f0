--
-- Partitioned queues (pgmq's create_partitioned), through pg_partman
--
SET client_min_messages = warning;
CREATE ROLE pt_creator;
CREATE ROLE pt_consumer;
CREATE ROLE pt_nobody;
GRANT EXECUTE ON FUNCTION pgq.create_queue(text, boolean) TO pt_creator;

-- without pg_partman: refused (55000)
SELECT pgq.create_partitioned('pt_ids', '10', '100');
\echo :SQLSTATE
CREATE SCHEMA partman;
CREATE EXTENSION pg_partman SCHEMA partman;

-- pg_partman's functions run as pgq's tables' owner: a schema another role
-- may create in is refused (55000)
GRANT CREATE ON SCHEMA partman TO pt_nobody;
SET ROLE pt_creator;
SELECT pgq.create_partitioned('pt_ids', '10', '100');
\echo :SQLSTATE
RESET ROLE;
REVOKE CREATE ON SCHEMA partman FROM pt_nobody;

-- ... or others may write pg_partman's configuration (55000)
GRANT USAGE ON SCHEMA partman TO pt_nobody;
GRANT UPDATE ON partman.part_config TO pt_nobody;
SELECT pgq.create_partitioned('pt_ids', '10', '100');
\echo :SQLSTATE
REVOKE UPDATE ON partman.part_config FROM pt_nobody;
REVOKE USAGE ON SCHEMA partman FROM pt_nobody;
-- the templates pg_partman makes for other roles' tables are no threat
CREATE TABLE partman.template_app_events (x int);
ALTER TABLE partman.template_app_events OWNER TO pt_nobody;

-- ... or others may write part of its configuration (column privileges, 55000)
GRANT USAGE ON SCHEMA partman TO pt_nobody;
GRANT UPDATE (retention) ON partman.part_config TO pt_nobody;
SELECT pgq.create_partitioned('pt_ids', '10', '100');
\echo :SQLSTATE
REVOKE UPDATE (retention) ON partman.part_config FROM pt_nobody;
REVOKE USAGE ON SCHEMA partman FROM pt_nobody;
-- a template by the name pg_partman would give the queue's: another role's is
-- untrusted (55000), the superuser's is refused as taken (42P07): it would
-- shape the queue's partitions
CREATE TABLE partman.template_pgq_q_pt_squat (x int);
ALTER TABLE partman.template_pgq_q_pt_squat OWNER TO pt_nobody;
SELECT pgq.create_partitioned('pt_squat', '10', '100');
\echo :SQLSTATE
ALTER TABLE partman.template_pgq_q_pt_squat OWNER TO CURRENT_USER;
SELECT pgq.create_partitioned('pt_squat', '10', '100');
\echo :SQLSTATE
DROP TABLE partman.template_pgq_q_pt_squat;

-- bad arguments, refused before anything is made
SELECT pgq.create_partitioned('pt_bad', '10', '1 day');
\echo :SQLSTATE
SELECT pgq.create_partitioned('pt_bad', '0', '100');
\echo :SQLSTATE
SELECT pgq.create_partitioned('pt_bad', '-1 day', '7 days');
\echo :SQLSTATE
SELECT pgq.create_partitioned('pt_bad', 'soon', '7 days');
\echo :SQLSTATE
SELECT pgq.create_partitioned('pt_bad', NULL, '7 days');
\echo :SQLSTATE
SELECT pgq.create_partitioned('PT.Bad', '10', '100');
\echo :SQLSTATE
SELECT pgq.create_partitioned('pt bad', '10', '100');
\echo :SQLSTATE
SELECT pgq.create_partitioned('pt_' || repeat('x', 37), '10', '100');
\echo :SQLSTATE
SET ROLE pt_nobody;
SELECT pgq.create_partitioned('pt_bad', '10', '100');
\echo :SQLSTATE
RESET ROLE;
SELECT count(*) AS nothing_made FROM pgq.meta WHERE queue_name LIKE 'pt_bad%';
-- names pg_partman gives partitions are reserved for every new queue (42602)
SELECT pgq.create_queue('pt_ids_p10');
\echo :SQLSTATE
SELECT pgq.create_queue('pt_ids_default');
\echo :SQLSTATE
SELECT pgq.create_queue('pt_ids_p2026_11_29');
\echo :SQLSTATE
SELECT pgq.validate_queue_name('pt_prod');

-- by msg_id, 10 ids a partition; by time, a day a partition.  Default
-- privileges of the tables' owner do not reach the partitions.
ALTER DEFAULT PRIVILEGES IN SCHEMA pgq GRANT SELECT, UPDATE ON TABLES TO pt_nobody;
SET ROLE pt_creator;
-- the caller's search_path is its own again afterwards (pg_partman sets it
-- for the session)
SET search_path = public, pg_catalog;
SELECT pgq.create_partitioned('PT_Ids', '10', '100');
SHOW search_path;
RESET search_path;
SELECT pgq.create_partitioned(queue_name => 'pt-time', partition_interval => '1 day',
                              retention_interval => '7 days');
SELECT pgq.create_partitioned('pt_ids');
RESET ROLE;
ALTER DEFAULT PRIVILEGES IN SCHEMA pgq REVOKE SELECT, UPDATE ON TABLES FROM pt_nobody;
SELECT queue_name, is_partitioned, is_unlogged FROM pgq.list_queues()
 WHERE queue_name LIKE 'pt%' ORDER BY 1;
SELECT queue_name, owner FROM pgq.meta WHERE queue_name LIKE 'pt%' ORDER BY 1;
SELECT c.relname, c.relkind, pg_get_partkeydef(c.oid) AS partitioned_by
  FROM pg_class c WHERE c.relnamespace = 'pgq'::regnamespace AND c.relkind = 'p'
   AND c.relname LIKE '%pt%' ORDER BY 1;
SELECT parent_table, control, partition_interval, retention, retention_keep_table,
       inherit_privileges, template_table
  FROM partman.part_config ORDER BY 1;
-- the partitions: the parent's owner's, no privileges, none but pg_partman's names
SELECT count(*) AS partitions,
       bool_and(pg_get_userbyid(c.relowner) = pg_get_userbyid((SELECT nspowner FROM pg_namespace
                                                                WHERE nspname = 'pgq'))) AS owned_by_tables_owner,
       bool_and(NOT EXISTS (SELECT 1 FROM aclexplode(c.relacl) a
                             WHERE a.grantee <> c.relowner)) AS no_privileges,
       bool_and(c.relname ~ '^[qa]_pt_ids_(p[0-9]+|default)$') AS named_by_partman
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent IN ('pgq.q_pt_ids'::regclass, 'pgq.a_pt_ids'::regclass);

-- messages go through pgq's functions as in any queue
SELECT count(*) AS sent FROM pgq.send_batch('pt_ids', array_fill('{"k": 1}'::jsonb, ARRAY[25]));
SELECT msg_id, read_ct FROM pgq.read('pt_ids', 30, 3);
SELECT pgq.archive('pt_ids', 1) AS archived, pgq.delete('pt_ids', 2) AS deleted;
SELECT msg_id, read_ct FROM pgq.pop('pt_ids', 2);
SELECT msg_id, vt > clock_timestamp() AS hidden FROM pgq.set_vt('pt_ids', 3, 60);
SELECT * FROM pgq.delete('pt_ids', ARRAY[6, 7, 99]);
SELECT * FROM pgq.archive('pt_ids', ARRAY[8, 9]);
SELECT queue_name, queue_length, queue_visible_length, total_messages FROM pgq.metrics('pt_ids');
SELECT (SELECT count(*) FROM pgq.q_pt_ids) AS live, (SELECT count(*) FROM pgq.a_pt_ids) AS archived,
       (SELECT count(*) FROM pgq.q_pt_ids_p10) AS live_in_p10;
SELECT count(*) AS sent FROM pgq.send('pt-time', '{"t": 1}');
SELECT msg_id, message FROM pgq.read('PT-TIME', 30, 1);
SELECT pgq.archive('pt-time', 1);
SELECT count(*) AS archived_today FROM pgq."a_pt-time" WHERE archived_at > now() - interval '1 hour';

-- rights are the parent's: a consumer reads through pgq, and cannot reach a partition
SELECT pgq.grant_consumer('pt_ids', 'pt_consumer');
SET ROLE pt_consumer;
SELECT msg_id FROM pgq.read('pt_ids', 30, 1);
SELECT count(*) > 0 AS sees_rows FROM pgq.q_pt_ids;
SELECT count(*) FROM pgq.q_pt_ids_p10;
\echo :SQLSTATE
UPDATE pgq.q_pt_ids_p10 SET vt = now();
\echo :SQLSTATE
SELECT pgq.send('pt_ids', '{}');
\echo :SQLSTATE
RESET ROLE;

-- a privilege granted on a partition by hand (or by the default privileges
-- of a role running pg_partman's maintenance) reaches rows without
-- row-level security: pgq refuses to work until it is revoked (55000)
GRANT SELECT ON pgq.q_pt_ids_p10 TO pt_nobody;
SELECT count(*) FROM pgq.read('pt_ids', 0, 1);
\echo :SQLSTATE
REVOKE SELECT ON pgq.q_pt_ids_p10 FROM pt_nobody;
-- and a partition of another role's (made by its maintenance, say)
CREATE TABLE pgq.q_pt_ids_p900 PARTITION OF pgq.q_pt_ids FOR VALUES FROM (900) TO (910);
ALTER TABLE pgq.q_pt_ids_p900 OWNER TO pt_nobody;
SELECT count(*) FROM pgq.read('pt_ids', 0, 1);
\echo :SQLSTATE
DROP TABLE pgq.q_pt_ids_p900;
SELECT count(*) AS read FROM pgq.read('pt_ids', 0, 1);

-- pg_partman's maintenance runs on them
SELECT partman.run_maintenance();
SELECT count(*) > 0 AS still_partitioned FROM pg_inherits WHERE inhparent = 'pgq.q_pt_ids'::regclass;

-- drop_queue takes them back from pg_partman: configuration, templates, partitions
SELECT pgq.drop_queue('pt_ids');
SELECT pgq.drop_queue('pt-time', true);
SELECT count(*) AS configured FROM partman.part_config;
SELECT count(*) AS templates FROM pg_class WHERE relnamespace = 'partman'::regnamespace
   AND relname LIKE 'template\_pgq%';
SELECT count(*) AS relations_left FROM pg_class WHERE relnamespace = 'pgq'::regnamespace
   AND relname LIKE '%pt%';

-- convert_archive_partitioned: a queue's archive becomes partitioned by msg_id,
-- its rows moved into partitions made for them, the rights on it kept
SET ROLE pt_creator;
SELECT pgq.create_queue('pt_conv');
SELECT pgq.grant_consumer('pt_conv', 'pt_consumer');
SELECT count(*) AS sent FROM pgq.send_batch('pt_conv', array_fill('{"c": 1}'::jsonb, ARRAY[35]));
SELECT count(*) AS archived FROM pgq.archive('pt_conv', ARRAY(SELECT generate_series(1, 33)::bigint));
RESET ROLE;
SET ROLE pt_consumer;
SELECT pgq.convert_archive_partitioned('pt_conv', '10', '100');
\echo :SQLSTATE
SET ROLE pt_creator;
SELECT pgq.convert_archive_partitioned('pt_conv', '1 day', '7 days');
\echo :SQLSTATE
SELECT pgq.convert_archive_partitioned('pt_conv', '10', '100', 0);
\echo :SQLSTATE
SELECT pgq.convert_archive_partitioned('pt_missing', '10', '100');
\echo :SQLSTATE
SET search_path = public, pg_catalog;
SELECT pgq.convert_archive_partitioned('pt_conv', '10', '100', 2);
SHOW search_path;
RESET search_path;
RESET ROLE;
-- (relacl without the owner's default entry, whose privileges differ between majors)
SELECT relkind, pg_get_partkeydef(oid) AS partitioned_by,
       array_remove(relacl, (acldefault('r', relowner))[1]) AS relacl
  FROM pg_class WHERE oid = 'pgq.a_pt_conv'::regclass;
SELECT count(*) AS archived, min(msg_id), max(msg_id), bool_and(message = '{"c": 1}') AS intact
  FROM pgq.a_pt_conv;
SELECT array_agg(c.relname ORDER BY c.relname) AS partitions
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'pgq.a_pt_conv'::regclass;
SELECT count(*) AS in_default FROM pgq.a_pt_conv_default;
SELECT count(*) AS left_behind FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace AND relname LIKE 'pgq\_converting%';
SELECT pgq.archive('pt_conv', 34) AS archived_after;
SELECT pgq.convert_archive_partitioned('pt_conv');
SET ROLE pt_consumer;
SELECT count(*) AS consumer_sees FROM pgq.a_pt_conv;
RESET ROLE;
SELECT pgq.drop_queue('pt_conv');

-- pg_partman's functions look in the session's temporary schema before
-- pg_catalog: refused in a session that has temporary tables or types (55000)
CREATE TEMP TABLE pt_temp (x int);
SELECT pgq.create_partitioned('pt_in_temp', '10', '100');
\echo :SQLSTATE
DROP TABLE pt_temp;
SELECT count(*) AS nothing_made FROM pgq.meta WHERE queue_name = 'pt_in_temp';

-- a plain queue is dropped whatever pg_partman's schema holds
SELECT pgq.create_queue('pt_plain');
GRANT CREATE ON SCHEMA partman TO pt_nobody;
SELECT pgq.drop_queue('pt_plain');
REVOKE CREATE ON SCHEMA partman FROM pt_nobody;

DROP TABLE partman.template_app_events;
DROP EXTENSION pg_partman;

-- pg_partman in schema public, owned by pg_database_owner since PostgreSQL 15,
-- in a database a superuser owns: trusted
CREATE DATABASE pgq_partman_public;
\c pgq_partman_public
SET client_min_messages = warning;
CREATE EXTENSION pgq;
CREATE EXTENSION pg_partman;
SELECT pgq.create_partitioned('pt_public', '10', '100');
SELECT count(*) AS sent FROM pgq.send('pt_public', '{}');
SELECT pgq.drop_queue('pt_public');
\c contrib_regression
DROP DATABASE pgq_partman_public;

DROP SCHEMA partman;
REVOKE EXECUTE ON FUNCTION pgq.create_queue(text, boolean) FROM pt_creator;
DROP ROLE pt_creator;
DROP ROLE pt_consumer;
DROP ROLE pt_nobody;
