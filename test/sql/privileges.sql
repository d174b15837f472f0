--
-- privileges: a role without a right on a queue gets 42501;
-- grant_producer / grant_consumer / grant_admin / revoke_queue hand out
-- exactly the rights of each kind of role, as privileges on q_<name>
--
\set SHOW_CONTEXT never
\set VERBOSITY default

-- run one call, report SQLSTATE and message (or 'ok' and the row count)
CREATE FUNCTION pg_temp.try(call text, OUT state text, OUT message text)
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE 'SELECT count(*) FROM ' || call INTO n;
    state := 'ok';
    message := n || ' row(s)';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO PUBLIC;

CREATE ROLE regress_pgq_producer;
CREATE ROLE regress_pgq_consumer;
CREATE ROLE regress_pgq_admin;
CREATE ROLE regress_pgq_nobody;

SELECT pgq.create_queue('pv');
SELECT pgq.send('pv', '{"n": 1}');

-- the calls each kind of role makes
CREATE TEMP TABLE calls (n int, call text);
INSERT INTO calls VALUES
 (1, $$pgq.send('pv', '{"by": "role"}')$$),
 (2, $$pgq.send_batch('pv', ARRAY['{"b": 1}', '{"b": 2}']::jsonb[])$$),
 (3, $$pgq.read('pv', 0, 1)$$),
 (4, $$pgq.set_vt('pv', 1, 0)$$),
 (5, $$pgq.metrics('pv')$$),
 (6, $$pgq.archive('pv', 999999)$$),
 (7, $$pgq.delete('pv', ARRAY[999999]::bigint[])$$),
 (8, $$pgq.pop('pv', 1)$$),
 (9, $$pgq.purge_queue('pv')$$),
 (10, $$pgq.metrics_all() WHERE queue_name = 'pv'$$),
 (11, $$pgq.list_queues() WHERE queue_name = 'pv'$$),
 (12, $$pgq.read('pv', 0, 1, '{"n": 1}')$$),
 (13, $$pgq.read_with_poll('pv', 0, 1, 0, 100)$$);
GRANT SELECT ON calls TO PUBLIC;

-- pop and purge would empty the queue: each role's run ends with them, and
-- the queue is refilled before the next role
CREATE FUNCTION pg_temp.refill() RETURNS void LANGUAGE sql
AS $$ SELECT count(*) FROM (SELECT pgq.send('pv', '{"refill": true}') FROM generate_series(1, 3)) s $$;

-- a role with no grant: refused on every queue function, sees the queue listed
SET ROLE regress_pgq_nobody;
SELECT n, t.* FROM calls, LATERAL pg_temp.try(call) t ORDER BY n;
-- nor may it create queues, by any of the names; the right to is EXECUTE
-- on pgq.create_queue(text, boolean)
SELECT * FROM pg_temp.try($$pgq.create_queue('pv_by_nobody')$$);
SELECT * FROM pg_temp.try($$pgq."create"('pv_by_nobody')$$);
SELECT * FROM pg_temp.try($$pgq.create_unlogged('pv_by_nobody')$$);
SELECT * FROM pg_temp.try($$pgq.create_non_partitioned('pv_by_nobody')$$);
SELECT * FROM pg_temp.try($$pgq.detach_archive('pv')$$);
RESET ROLE;
SELECT count(*) AS pv_by_nobody FROM pgq.meta WHERE queue_name = 'pv_by_nobody';

-- producer: sends, nothing else
SELECT pgq.grant_producer('pv', 'regress_pgq_producer');
SET ROLE regress_pgq_producer;
SELECT n, t.* FROM calls, LATERAL pg_temp.try(call) t ORDER BY n;
RESET ROLE;

-- consumer: reads, finishes, measures; neither sends nor purges
SELECT pg_temp.refill();
SELECT count(*) AS in_queue FROM pgq.q_pv;
SELECT pgq.grant_consumer('pv', 'regress_pgq_consumer');
SET ROLE regress_pgq_consumer;
SELECT n, t.* FROM calls, LATERAL pg_temp.try(call) t ORDER BY n;
-- archive and the array form of delete, on real messages
SELECT pgq.archive('pv', (SELECT min(msg_id) FROM pgq.q_pv));
SELECT count(*) AS deleted FROM pgq.delete('pv', ARRAY(SELECT msg_id FROM pgq.q_pv));
RESET ROLE;

-- admin: everything but drop_queue
SELECT pg_temp.refill();
SELECT pgq.grant_admin('pv', 'regress_pgq_admin');
SET ROLE regress_pgq_admin;
SELECT n, t.* FROM calls, LATERAL pg_temp.try(call) t ORDER BY n;
SELECT count(*) > 0 AS archive_readable FROM pgq.a_pv;
SELECT * FROM pg_temp.try($$pgq.drop_queue('pv')$$);
SELECT * FROM pg_temp.try($$pgq.drop_queue('PV', true)$$);
SELECT * FROM pg_temp.try($$pgq.detach_archive('pv')$$);
SELECT * FROM pg_temp.try($$pgq.create_queue('pv_by_admin')$$);
SELECT * FROM pg_temp.try($$pgq.create_unlogged('pv_by_admin')$$);
RESET ROLE;
-- the owner may detach_archive, which changes nothing
SELECT * FROM pg_temp.try($$pgq.detach_archive('pv')$$);
SELECT to_regclass('pgq.a_pv') IS NOT NULL AS archive_kept, count(*) > 0 AS archive_rows FROM pgq.a_pv;

-- revoke_queue takes everything back
SELECT pgq.revoke_queue('pv', 'regress_pgq_consumer');
SET ROLE regress_pgq_consumer;
SELECT n, t.* FROM calls, LATERAL pg_temp.try(call) t WHERE n IN (3, 5) ORDER BY n;
RESET ROLE;

-- PUBLIC is the lower-case word public only; a role called "PUBLIC" or
-- "Public" is that role (0.3.0 took either for PUBLIC)
CREATE ROLE "PUBLIC";
CREATE ROLE "Public";
SELECT pgq.grant_producer('pv', 'PUBLIC');
SELECT pgq.grant_producer('pv', 'Public');
SET ROLE regress_pgq_nobody;
SELECT t.* FROM calls, LATERAL pg_temp.try(call) t WHERE n = 1;
RESET ROLE;
SET ROLE "PUBLIC";
SELECT t.* FROM calls, LATERAL pg_temp.try(call) t WHERE n = 1;
RESET ROLE;
SELECT pgq.grant_producer('pv', 'public');
SET ROLE regress_pgq_nobody;
SELECT t.* FROM calls, LATERAL pg_temp.try(call) t WHERE n = 1;
RESET ROLE;
-- revoking from the role "PUBLIC" leaves PUBLIC's grant
SELECT pgq.revoke_queue('pv', 'PUBLIC');
SET ROLE regress_pgq_nobody;
SELECT t.* FROM calls, LATERAL pg_temp.try(call) t WHERE n = 1;
RESET ROLE;
SELECT pgq.revoke_queue('pv', 'public');
SELECT pgq.revoke_queue('pv', 'Public');
SET ROLE regress_pgq_nobody;
SELECT t.* FROM calls, LATERAL pg_temp.try(call) t WHERE n = 1;
RESET ROLE;
DROP ROLE "PUBLIC", "Public";

-- only the queue's owner grants; unknown roles and queues are errors
SET ROLE regress_pgq_admin;
SELECT * FROM pg_temp.try($$pgq.grant_consumer('pv', 'regress_pgq_nobody')$$);
RESET ROLE;
SELECT * FROM pg_temp.try($$pgq.grant_consumer('pv', 'regress_pgq_no_such_role')$$);
SELECT * FROM pg_temp.try($$pgq.grant_consumer('pv_none', 'regress_pgq_nobody')$$);
SELECT * FROM pg_temp.try($$pgq.grant_consumer('pv', NULL)$$);
SELECT * FROM pg_temp.try($$pgq.revoke_queue('Bad;Name', 'regress_pgq_nobody')$$);
SELECT * FROM pg_temp.try($$pgq.revoke_queue('Bad Name', 'regress_pgq_nobody')$$);
SELECT * FROM pg_temp.try($$pgq.grant_producer('PV--', 'regress_pgq_nobody')$$);
-- the queue name folds to lower case here too
SELECT * FROM pg_temp.try($$pgq.grant_producer('PV', 'regress_pgq_nobody')$$);
SET ROLE regress_pgq_nobody;
SELECT t.* FROM calls, LATERAL pg_temp.try(call) t WHERE n = 1;
RESET ROLE;
SELECT * FROM pg_temp.try($$pgq.revoke_queue('Pv', 'regress_pgq_nobody')$$);
SET ROLE regress_pgq_nobody;
SELECT t.* FROM calls, LATERAL pg_temp.try(call) t WHERE n = 1;
RESET ROLE;

-- the grants are on the queue's own objects and nothing else
SELECT c.relname, a.grantee::regrole, a.privilege_type
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.relnamespace = 'pgq'::regnamespace
   AND a.grantee IN ('regress_pgq_producer'::regrole, 'regress_pgq_consumer'::regrole,
                     'regress_pgq_admin'::regrole)
 ORDER BY 1, 2::text, 3;
SELECT attname, (aclexplode(attacl)).grantee::regrole, (aclexplode(attacl)).privilege_type
  FROM pg_attribute
 WHERE attrelid = 'pgq.q_pv'::regclass AND attacl IS NOT NULL
 ORDER BY 1, 2::text, 3;

-- privileges held through a role membership: this backend remembers what
-- it found, and forgets it when the membership goes
SELECT pgq.grant_consumer('pv', 'regress_pgq_consumer');
CREATE ROLE regress_pgq_member;
GRANT regress_pgq_consumer TO regress_pgq_member;
SET ROLE regress_pgq_member;
SELECT * FROM pg_temp.try($$pgq.read('pv', 0, 1)$$);
SELECT * FROM pg_temp.try($$pgq.read('pv', 0, 1)$$);
RESET ROLE;
REVOKE regress_pgq_consumer FROM regress_pgq_member;
SET ROLE regress_pgq_member;
SELECT * FROM pg_temp.try($$pgq.read('pv', 0, 1)$$);
RESET ROLE;
SELECT pgq.revoke_queue('pv', 'regress_pgq_consumer');
DROP ROLE regress_pgq_member;

SELECT pgq.drop_queue('pv');

-- pgq is not trusted: a non-superuser, even one allowed to create in the
-- database, cannot create the extension
\set olddb :DBNAME
CREATE DATABASE regress_pgq_untrusted;
GRANT CREATE ON DATABASE regress_pgq_untrusted TO regress_pgq_admin;
\c regress_pgq_untrusted
SET ROLE regress_pgq_admin;
CREATE EXTENSION pgq;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS pgq_installed FROM pg_extension WHERE extname = 'pgq';
\c :olddb
DROP DATABASE regress_pgq_untrusted;

DROP ROLE regress_pgq_producer, regress_pgq_consumer, regress_pgq_admin, regress_pgq_nobody;
