--
-- The update from 0.4.0 to 0.5.0, in a database of its own: the library
-- refuses the 0.4.0 and 0.5.0 objects until the updates; the update keeps the
-- EXECUTE rights granted and revoked on the functions it makes again, for
-- the right overloads and roles whose names need quoting; queues and
-- messages stay.
--
CREATE DATABASE pgq_update_0_5;
\c pgq_update_0_5
SET client_min_messages = warning;
CREATE ROLE "Upd-User";
CREATE ROLE upd_alice;
CREATE EXTENSION pgq VERSION '0.4.0';
-- the library is newer: every call is refused until the update (55000)
SELECT pgq.create_queue('upd');
\echo :SQLSTATE
SELECT * FROM pgq.list_queues();
\echo :SQLSTATE
-- (no CONTEXT lines: PostgreSQL 18 adds the extension script's text to them)
\set SHOW_CONTEXT never
CREATE EXTENSION pgq_pgmq;
\set SHOW_CONTEXT errors
\echo :SQLSTATE
REVOKE EXECUTE ON FUNCTION pgq.read(text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgq.read(text, integer, integer) TO "Upd-User";
REVOKE EXECUTE ON FUNCTION pgq.send(text, jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgq.send(text, jsonb, jsonb) TO upd_alice;
ALTER EXTENSION pgq UPDATE TO '0.5.0';
-- exactly these overloads carry rights of their own, to exactly these roles
SELECT p.oid::regprocedure AS function,
       array_agg(a.grantee::regrole::text ORDER BY a.grantee::regrole::text) AS executed_by
  FROM pg_proc p, aclexplode(p.proacl) a
 WHERE p.pronamespace = 'pgq'::regnamespace AND p.proacl IS NOT NULL
   AND a.grantee <> p.proowner
 GROUP BY p.oid ORDER BY 1::text;
SELECT has_function_privilege('public', 'pgq.send(text, jsonb, integer)', 'EXECUTE') AS others_untouched;
-- the library is 0.6.0's: refused at 0.5.0 too, until the next update
SELECT pgq.create_queue('upd');
\echo :SQLSTATE
ALTER EXTENSION pgq UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'pgq';
-- and now it works
SELECT pgq.create_queue('upd');
SELECT count(*) AS sent FROM pgq.send('upd', '{"a": 1}');
SELECT msg_id, message FROM pgq.read('upd', 30, 1);
\c contrib_regression
DROP DATABASE pgq_update_0_5;
DROP ROLE "Upd-User";
DROP ROLE upd_alice;
