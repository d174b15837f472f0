--
-- pgmq's API through schema pgmq (extension pgq_pgmq): the scripts of
-- compat_pgq, against the functions that follow pgmq's rules.
-- (pg_regress runs this file from the top of the tree.)
--
-- a schema pgmq that holds objects already (pgmq's, installed from its SQL,
-- say) or that belongs to a role that could replace the functions: refused
-- (no CONTEXT lines: PostgreSQL 18 adds the extension script's text to them)
\set SHOW_CONTEXT never
CREATE SCHEMA pgmq;
CREATE TABLE pgmq.meta (queue_name varchar);
CREATE EXTENSION pgq_pgmq;
\echo :SQLSTATE
DROP SCHEMA pgmq CASCADE;
CREATE ROLE c_squatter;
CREATE SCHEMA pgmq AUTHORIZATION c_squatter;
CREATE EXTENSION pgq_pgmq;
\echo :SQLSTATE
DROP SCHEMA pgmq;
CREATE SCHEMA pgmq;
GRANT CREATE ON SCHEMA pgmq TO c_squatter;
CREATE EXTENSION pgq_pgmq;
\echo :SQLSTATE
REVOKE CREATE ON SCHEMA pgmq FROM c_squatter;
CREATE EXTENSION pgq_pgmq;
\set SHOW_CONTEXT errors
-- once installed, a role given CREATE on schema pgmq could answer pgmq's
-- calls with overloads of its own: pgq refuses to work until it is revoked
SELECT pgmq.create('c_guard');
GRANT CREATE ON SCHEMA pgmq TO c_squatter;
SELECT * FROM pgmq.send('c_guard', '{}');
\echo :SQLSTATE
SELECT * FROM pgq.send('c_guard', '{}');
\echo :SQLSTATE
REVOKE CREATE ON SCHEMA pgmq FROM c_squatter;
SELECT count(*) AS sent FROM pgmq.send('c_guard', '{}');
SELECT pgmq.drop_queue('c_guard');
DROP ROLE c_squatter;
\set s pgmq
\ir test/compat/body.sql
\ir test/compat/lenient.sql
-- queues made through one schema are the other's
SELECT pgmq.create('c_shared');
SELECT count(*) AS sent FROM pgmq.send('c_shared', '{"via": "pgmq"}');
SELECT msg_id, message FROM pgq.read('c_shared', 30, 1);
SELECT pgq.drop_queue('c_shared');
DROP EXTENSION pgq_pgmq;
-- as with pgmq, the schema CREATE EXTENSION made stays, empty
SELECT count(*) AS objects_left FROM pg_class WHERE relnamespace = 'pgmq'::regnamespace;
DROP SCHEMA pgmq;
