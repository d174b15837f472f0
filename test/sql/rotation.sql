--
-- rotation and retention (src/ring.c): maintain_queue, maintain, set_retention
--
\set SHOW_CONTEXT never
\set VERBOSITY default

CREATE SCHEMA rt_partman;
CREATE EXTENSION pg_partman SCHEMA rt_partman;
SELECT pgq.create_queue('rt');
SELECT pgq.create_partitioned('rt_part', '10', '100');

-- the ring: three children of each table, sends and archives go to slot 0
SELECT c.relname, p.relname AS parent, c.relpersistence, c.relrowsecurity,
       c.relacl IS NULL AS no_grants
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
 WHERE p.relname IN ('q_rt', 'a_rt') ORDER BY c.relname COLLATE "C";
SELECT queue_name, ring_slot, archive_slot, archive_retention FROM pgq.meta
 WHERE queue_name LIKE 'rt%' ORDER BY 1;

SELECT count(*) FROM pgq.send_batch('rt', ARRAY['{"n": 1}', '{"n": 2}', '{"n": 3}']::jsonb[]);
SELECT pgq.archive('rt', 1);
SELECT tableoid::regclass AS child, msg_id FROM pgq.q_rt ORDER BY msg_id;
SELECT tableoid::regclass AS child, msg_id FROM pgq.a_rt ORDER BY msg_id;

-- not yet 64 MB: nothing to do
SELECT * FROM pgq.maintain_queue('rt');
-- rotate once the current child has reached pgq.rotation_size (8 kB: at once)
SET pgq.rotation_size = 8;
SELECT * FROM pgq.maintain_queue('rt');
SELECT ring_slot FROM pgq.meta WHERE queue_name = 'rt';
-- sends go to the next child; the old messages stay where they are, and are read there
SELECT pgq.send('rt', '{"n": 4}');
SELECT tableoid::regclass AS child, msg_id FROM pgq.q_rt ORDER BY msg_id;
SELECT msg_id, read_ct FROM pgq.read('rt', 0, 10);
-- the next run moves them into the current child and truncates the old one (and, having
-- taken one lock, does not rotate again in the same run)
SELECT * FROM pgq.maintain_queue('rt');
SELECT tableoid::regclass AS child, msg_id, read_ct FROM pgq.q_rt ORDER BY msg_id;
SELECT pg_relation_size('pgq."q_rt$0"') AS truncated_size;
-- metrics over the children
SELECT queue_length, queue_visible_length, total_messages FROM pgq.metrics('rt');
-- delete, set_vt, archive find the moved rows
SELECT pgq.delete('rt', 2);
SELECT msg_id FROM pgq.set_vt('rt', 3, 60);
SELECT pgq.archive('rt', ARRAY[3, 4]::bigint[]);
SELECT count(*) AS left FROM pgq.q_rt;
RESET pgq.rotation_size;

-- a row written around pgq into a table reads do not look at (here by hand into q_rt itself; a
-- session still running the library of a release before the ring sends there): maintenance
-- moves it into the child that is read
SELECT ring_slot, ring_live FROM pgq.meta WHERE queue_name = 'rt';
INSERT INTO pgq.q_rt (vt, message) VALUES (now(), '{"n": "by hand"}');
SELECT count(*) AS read_before FROM pgq.read('rt', 0, 10);
SELECT rotated, moved, truncated FROM pgq.maintain_queue('rt');
SELECT msg_id, message FROM pgq.read('rt', 0, 10);
SELECT tableoid::regclass AS child, count(*) FROM pgq.q_rt GROUP BY 1;

-- retention: the archive rotates every half retention (the clock is moved by hand here: the
-- time of the last rotation, and the archived rows' archived_at)
SELECT pgq.set_retention('rt', '1 hour');
SELECT archive_slot, archive_retention FROM pgq.meta WHERE queue_name = 'rt';
SELECT archive_rotated FROM pgq.maintain_queue('rt');
UPDATE pgq.meta SET archive_rotated_at = archive_rotated_at - interval '31 minutes' WHERE queue_name = 'rt';
SELECT archive_rotated FROM pgq.maintain_queue('rt');
SELECT archive_slot FROM pgq.meta WHERE queue_name = 'rt';
UPDATE pgq.meta SET archive_rotated_at = archive_rotated_at - interval '31 minutes' WHERE queue_name = 'rt';
SELECT archive_rotated FROM pgq.maintain_queue('rt');
SELECT archive_slot FROM pgq.meta WHERE queue_name = 'rt';
-- slot 0 is next, and holds rows archived less than the retention ago: it is kept, and the
-- archive stays on slot 2
UPDATE pgq.meta SET archive_rotated_at = archive_rotated_at - interval '31 minutes' WHERE queue_name = 'rt';
SELECT archive_rotated FROM pgq.maintain_queue('rt');
SELECT archive_slot FROM pgq.meta WHERE queue_name = 'rt';
SELECT tableoid::regclass AS child, msg_id FROM pgq.a_rt ORDER BY msg_id;
-- once they are older than the retention, slot 0 is truncated and archived to again
UPDATE pgq."a_rt$0" SET archived_at = now() - interval '61 minutes';
SELECT archive_rotated FROM pgq.maintain_queue('rt');
SELECT archive_slot FROM pgq.meta WHERE queue_name = 'rt';
SELECT count(*) AS archived_left FROM pgq.a_rt;
SELECT pgq.send('rt', '{"n": 5}');
SELECT pgq.archive('rt', 5);
SELECT tableoid::regclass AS child, msg_id FROM pgq.a_rt ORDER BY msg_id;
-- a retention of NULL keeps archives for ever again
SELECT pgq.set_retention('rt', NULL);
SELECT archive_retention IS NULL AS forever FROM pgq.meta WHERE queue_name = 'rt';

-- errors
SELECT pgq.set_retention('rt', '0.5 seconds');
SELECT pgq.set_retention('rt', '101 years');
SELECT pgq.set_retention('rt_part', '1 day');
SELECT pgq.set_retention('nope', '1 day');
SELECT * FROM pgq.maintain_queue('rt', 0);
SELECT * FROM pgq.maintain_queue('rt', NULL);
SELECT * FROM pgq.maintain_queue(NULL);
-- a partitioned queue has no ring; a queue that does not exist is NULL (dropped meanwhile)
SELECT * FROM pgq.maintain_queue('rt_part');
SELECT * FROM pgq.maintain_queue('nope');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM pgq.maintain_queue('rt');
ROLLBACK;
-- a procedure that commits: not inside a transaction block
BEGIN;
CALL pgq.maintain();
ROLLBACK;
CALL pgq.maintain();

-- who may: maintenance is not PUBLIC's; the retention is the owner's
CREATE ROLE rt_user;
GRANT rt_user TO current_user;
SELECT pgq.grant_admin('rt', 'rt_user');
SET ROLE rt_user;
SELECT * FROM pgq.maintain_queue('rt');
CALL pgq.maintain();
SELECT pgq.set_retention('rt', '1 day');
RESET ROLE;

SELECT pgq.drop_queue('rt');
SELECT pgq.drop_queue('rt_part');
SELECT count(*) AS left_behind FROM pg_class
 WHERE relnamespace = 'pgq'::regnamespace AND relname LIKE '%rt%';
DROP ROLE rt_user;
DROP EXTENSION pg_partman;
DROP SCHEMA rt_partman;
