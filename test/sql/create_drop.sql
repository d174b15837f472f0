--
-- create_queue, drop_queue, list_queues: the objects a queue owns and
-- the catalog row that describes it
--
\set SHOW_CONTEXT never
\set VERBOSITY default

-- relations in schema pgq before this test
SELECT count(*) AS rels_before FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace \gset

-- a logged queue
SELECT pgq.create_queue('cd_logged');

SELECT c.relname, c.relkind, c.relpersistence
  FROM pg_class c
 WHERE c.relnamespace = 'pgq'::regnamespace
   AND c.relname IN ('q_cd_logged', 'q_cd_logged_vt_idx',
                     'a_cd_logged', 'a_cd_logged_archived_idx')
 ORDER BY c.relname;

-- columns of the queue table and of the archive table
SELECT a.attrelid::regclass AS tbl, a.attnum, a.attname,
       format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull, a.attidentity <> '' AS identity,
       pg_get_expr(d.adbin, d.adrelid) AS default_expr
  FROM pg_attribute a
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid IN ('pgq.q_cd_logged'::regclass, 'pgq.a_cd_logged'::regclass)
   AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attrelid::regclass::text DESC, a.attnum;

-- primary keys
SELECT conrelid::regclass AS tbl, pg_get_constraintdef(oid) AS def
  FROM pg_constraint
 WHERE contype = 'p'
   AND conrelid IN ('pgq.q_cd_logged'::regclass, 'pgq.a_cd_logged'::regclass)
 ORDER BY conrelid::regclass::text DESC;

-- the two secondary indexes
SELECT pg_get_indexdef('pgq.q_cd_logged_vt_idx'::regclass);
SELECT pg_get_indexdef('pgq.a_cd_logged_archived_idx'::regclass);

-- the catalog row
SELECT queue_name, is_unlogged,
       created_at <= clock_timestamp() AS created_at_ok
  FROM pgq.meta WHERE queue_name = 'cd_logged';

-- an unlogged queue: live table and its indexes unlogged, archive logged
SELECT pgq.create_queue('cd_unlogged', true);

SELECT c.relname, c.relkind, c.relpersistence
  FROM pg_class c
 WHERE c.relnamespace = 'pgq'::regnamespace
   AND c.relname IN ('q_cd_unlogged', 'q_cd_unlogged_vt_idx',
                     'a_cd_unlogged', 'a_cd_unlogged_archived_idx')
 ORDER BY c.relname;

-- every index on the live table follows its persistence
SELECT count(*) AS indexes, bool_and(c.relpersistence = 'u') AS all_unlogged
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'pgq.q_cd_unlogged'::regclass;

SELECT queue_name, is_unlogged FROM pgq.meta WHERE queue_name = 'cd_unlogged';

-- creating an existing queue is a notice and changes nothing,
-- whatever the unlogged flag says
SELECT pgq.create_queue('cd_logged');
SELECT pgq.create_queue('cd_logged', true);
SELECT pgq.create_queue('cd_unlogged', false);
SELECT queue_name, is_unlogged FROM pgq.meta
 WHERE queue_name IN ('cd_logged', 'cd_unlogged') ORDER BY 1;
SELECT relname, relpersistence FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace
   AND relname IN ('q_cd_logged', 'q_cd_unlogged') ORDER BY 1;

-- named arguments
SELECT pgq.create_queue(queue_name => 'cd_named', unlogged => true);
SELECT pgq.create_queue(queue_name => 'cd_named2');
SELECT pgq.create_queue(unlogged => false, queue_name => 'cd_named3');

-- list_queues: ordered by name, one row per queue
SELECT queue_name, is_unlogged, created_at IS NOT NULL AS has_created_at
  FROM pgq.list_queues() WHERE queue_name LIKE 'cd\_%';
SELECT (SELECT count(*) FROM pgq.list_queues()) =
       (SELECT count(*) FROM pgq.meta) AS list_matches_meta;

-- edge names: a single underscore, a single letter, 47 characters
SELECT pgq.create_queue('_');
SELECT pgq.create_queue('z');
SELECT pgq.create_queue('cd_' || repeat('x', 44));
SELECT length(queue_name), to_regclass('pgq.q_' || queue_name) IS NOT NULL AS has_q,
       to_regclass('pgq.a_' || queue_name) IS NOT NULL AS has_a
  FROM pgq.meta WHERE queue_name IN ('_', 'z', 'cd_' || repeat('x', 44))
 ORDER BY 1;
SELECT pgq.drop_queue('_');
SELECT pgq.drop_queue('z');
SELECT pgq.drop_queue('cd_' || repeat('x', 44));

-- drop_queue: true, then everything is gone
SELECT pgq.drop_queue('cd_logged');
SELECT to_regclass('pgq.q_cd_logged') AS q, to_regclass('pgq.a_cd_logged') AS a,
       to_regclass('pgq.q_cd_logged_vt_idx') AS vt_idx,
       to_regclass('pgq.a_cd_logged_archived_idx') AS archived_idx;
SELECT count(*) FROM pgq.meta WHERE queue_name = 'cd_logged';
SELECT count(*) FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace AND relname LIKE '%cd\_logged%';

-- dropping a missing queue: notice and false
SELECT pgq.drop_queue('cd_logged');
SELECT pgq.drop_queue(queue_name => 'cd_never_there');

-- a failed create leaves nothing behind
SELECT pgq.create_queue('CD_Bad');
\echo :SQLSTATE
SELECT pgq.create_queue('cd-bad', true);
\echo :SQLSTATE
SELECT count(*) FROM pgq.meta WHERE queue_name ILIKE 'cd%bad';
SELECT count(*) FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace AND relname ILIKE '%cd%bad%';

-- create, then roll back: nothing is left
BEGIN;
SELECT pgq.create_queue('cd_tx');
SELECT pgq.send('cd_tx', '{"a": 1}');
SELECT to_regclass('pgq.q_cd_tx') IS NOT NULL AS exists_inside;
ROLLBACK;
SELECT to_regclass('pgq.q_cd_tx') AS q, to_regclass('pgq.a_cd_tx') AS a;
SELECT count(*) FROM pgq.meta WHERE queue_name = 'cd_tx';

-- create and drop in one transaction, then roll back: nothing is left
BEGIN;
SELECT pgq.create_queue('cd_tx2', true);
SELECT pgq.drop_queue('cd_tx2');
SELECT pgq.create_queue('cd_tx2');
ROLLBACK;
SELECT to_regclass('pgq.q_cd_tx2') AS q, to_regclass('pgq.a_cd_tx2') AS a;
SELECT count(*) FROM pgq.meta WHERE queue_name = 'cd_tx2';

-- drop in a rolled-back transaction: the queue is still there
BEGIN;
SELECT pgq.drop_queue('cd_named');
ROLLBACK;
SELECT queue_name, is_unlogged FROM pgq.meta WHERE queue_name = 'cd_named';
SELECT to_regclass('pgq.q_cd_named') IS NOT NULL AS has_q,
       to_regclass('pgq.a_cd_named') IS NOT NULL AS has_a;

-- clean up
SELECT pgq.drop_queue('cd_unlogged');
SELECT pgq.drop_queue('cd_named');
SELECT pgq.drop_queue(queue_name => 'cd_named2');
SELECT pgq.drop_queue('cd_named3');
SELECT count(*) FROM pgq.meta WHERE queue_name LIKE 'cd\_%';
SELECT count(*) = :rels_before AS same_relations_as_before FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace;

-- an unlogged queue's msg_id sequence is logged, so ids never repeat after a crash
SELECT pgq.create_queue('cd_seq', true);
SELECT c.relname, c.relpersistence
  FROM pg_class c
 WHERE c.oid = pg_get_serial_sequence('pgq.q_cd_seq', 'msg_id')::regclass;
SELECT pgq.drop_queue('cd_seq');
