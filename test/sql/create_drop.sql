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
SELECT queue_name, is_unlogged, is_partitioned,
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

-- a failed create leaves nothing behind: an invalid name is refused before
-- anything is done, a reserved ending after the queue name's lock is taken
SELECT pgq.create_queue('CD$Bad');
\echo :SQLSTATE
SELECT pgq.create_queue('cd;bad', true);
\echo :SQLSTATE
SELECT pgq.create_queue('CD_Bad_pkey');
\echo :SQLSTATE
SELECT pgq.create_unlogged('cd_bad_vt_idx');
\echo :SQLSTATE
SELECT count(*) FROM pgq.meta WHERE queue_name ILIKE 'cd%bad%';
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

-- queue names as pgmq has them (0.5.0): ASCII capitals fold to lower case,
-- hyphens, spaces and double quotes are fine; the tables are
-- 'q_' || lower(name) and 'a_' || lower(name), and nothing else is made
SELECT pgq.create_queue('CD-Has-Dash');
SELECT relname FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace AND relname ILIKE '%cd-has-dash%'
 ORDER BY relname COLLATE "C";
SELECT pgq.send('CD-HAS-DASH', '{"d": 1}');
SELECT msg_id, read_ct, message FROM pgq.read('cd-has-dash', 30, 5);
SELECT queue_name, is_unlogged FROM pgq.list_queues() WHERE queue_name ILIKE 'cd-has-dash';
SELECT queue_name, queue_length, total_messages FROM pgq.metrics('Cd-Has-Dash');
-- 'CD_MyQueue' and 'cd_myqueue' are one queue: the second create is the
-- NOTICE of an existing queue
SELECT pgq.create_queue('CD_MyQueue');
SELECT pgq.create_queue('cd_myqueue');
SELECT pgq.create_queue('CD_MYQUEUE', true);
SELECT queue_name, is_unlogged FROM pgq.list_queues() WHERE queue_name ILIKE 'cd_myqueue';
SELECT relname FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace AND relname ILIKE '%cd_myqueue%'
 ORDER BY relname COLLATE "C";
-- a double quote and spaces go safely into the tables' names
SELECT pgq.create_queue('CD quo"te d');
SELECT relname FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace AND relname LIKE '%quo"te d%'
 ORDER BY relname COLLATE "C";
SELECT pgq.send('cd QUO"TE D', '{"q": 1}');
SELECT msg_id, read_ct, message FROM pgq.pop('cd quo"te d');
SELECT pgq.drop_queue('CD-has-dash'), pgq.drop_queue('cd_MyQueue'), pgq.drop_queue('cd quo"te d');
SELECT count(*) FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace
   AND (relname ILIKE '%has-dash%' OR relname ILIKE '%myqueue%' OR relname LIKE '%quo"te%');

-- pgmq's names for create_queue: create and create_non_partitioned make a
-- logged queue, create_unlogged an unlogged one (its archive logged); no
-- queue is partitioned
SELECT pgq."create"('cd_pgmq_c');
SELECT pgq.create_non_partitioned('cd_pgmq_n');
SELECT pgq.create_unlogged('CD_PGMQ_U');
SELECT queue_name, is_partitioned, is_unlogged
  FROM pgq.list_queues() WHERE queue_name LIKE 'cd\_pgmq\_%';
SELECT c.relname, c.relpersistence
  FROM pg_class c
 WHERE c.relnamespace = 'pgq'::regnamespace
   AND c.relname IN ('q_cd_pgmq_c', 'a_cd_pgmq_c', 'q_cd_pgmq_n', 'a_cd_pgmq_n',
                     'q_cd_pgmq_u', 'q_cd_pgmq_u_vt_idx', 'a_cd_pgmq_u', 'a_cd_pgmq_u_archived_idx')
 ORDER BY c.relname;
-- creating an existing queue: a NOTICE whichever function, nothing changes
SELECT pgq."create"('cd_pgmq_u');
SELECT pgq.create_unlogged('cd_pgmq_c');
SELECT pgq.create_non_partitioned('CD_PGMQ_N');
SELECT queue_name, is_unlogged FROM pgq.list_queues() WHERE queue_name LIKE 'cd\_pgmq\_%';

-- validate_queue_name: nothing for a good name, 42602 and why for a bad one
SELECT pgq.validate_queue_name('CD Any-Name.1');
SELECT pgq.validate_queue_name('cd$x');
\echo :SQLSTATE
SELECT pgq.validate_queue_name(repeat('x', 48));
\echo :SQLSTATE
SELECT pgq.validate_queue_name('cd_x_msg_id_seq');
\echo :SQLSTATE
-- format_table_name: as pgmq's lower(prefix || '_' || name)
SELECT pgq.format_table_name('My-Q', 'Q') AS q, pgq.format_table_name('My-Q', 'a') AS a;
SELECT to_regclass(format('pgq.%I', pgq.format_table_name('CD_PGMQ_C', 'q'))) AS q_table,
       to_regclass(format('pgq.%I', pgq.format_table_name('CD_PGMQ_C', 'a'))) AS a_table;
SELECT pgq.format_table_name('it''s', 'q');
\echo :SQLSTATE

-- detach_archive: on one's own queue it returns and changes nothing (pgq's
-- queue tables are never members of the extension)
SELECT c.oid AS a_oid, c.relowner AS a_owner FROM pg_class c
 WHERE c.oid = 'pgq.a_cd_pgmq_c'::regclass \gset
SELECT count(*) AS a_deps FROM pg_depend
 WHERE (classid = 'pg_class'::regclass AND objid = :a_oid)
    OR (refclassid = 'pg_class'::regclass AND refobjid = :a_oid) \gset
SELECT count(*) AS rels_detach FROM pg_class WHERE relnamespace = 'pgq'::regnamespace \gset
SELECT pgq.detach_archive('cd_pgmq_c');
SELECT pgq.detach_archive('CD_PGMQ_C');
SELECT to_regclass('pgq.a_cd_pgmq_c') = :a_oid::oid AS same_archive,
       (SELECT relowner FROM pg_class WHERE oid = :a_oid) = :a_owner::oid AS same_owner,
       (SELECT count(*) FROM pg_depend
         WHERE (classid = 'pg_class'::regclass AND objid = :a_oid)
            OR (refclassid = 'pg_class'::regclass AND refobjid = :a_oid)) = :a_deps AS same_dependencies,
       (SELECT count(*) FROM pg_depend
         WHERE classid = 'pg_class'::regclass AND objid = :a_oid AND deptype = 'e') AS extension_members,
       (SELECT count(*) FROM pg_class WHERE relnamespace = 'pgq'::regnamespace) = :rels_detach AS same_relations;
SELECT pgq.detach_archive('cd_never_there');
\echo :SQLSTATE

-- drop_queue(queue_name, partitioned): drops, whatever partitioned says; NULL is
-- refused (22004) before anything is dropped
SELECT pgq.drop_queue('cd_pgmq_n', NULL);
\echo :SQLSTATE
SELECT to_regclass('pgq.q_cd_pgmq_n') IS NOT NULL AS still_there;
SELECT pgq.drop_queue('cd_pgmq_n', true);
SELECT pgq.drop_queue('CD_PGMQ_U', false);
SELECT to_regclass('pgq.q_cd_pgmq_n') AS q_n, to_regclass('pgq.a_cd_pgmq_n') AS a_n,
       to_regclass('pgq.q_cd_pgmq_u') AS q_u, to_regclass('pgq.a_cd_pgmq_u') AS a_u;
SELECT count(*) FROM pgq.meta WHERE queue_name IN ('cd_pgmq_n', 'cd_pgmq_u');
SELECT pgq.drop_queue('cd_pgmq_n', true);
SELECT pgq.drop_queue(queue_name => 'cd_pgmq_c', partitioned => false);

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
