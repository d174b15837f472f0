--
-- test/compat/body.sql: what a pgmq 1.5 client does, run through the schema named by the
-- psql variable s (psql -X -v s=pgmq -f test/compat/body.sql; s defaults to pgmq).  Written
-- for pgq; it runs unchanged against real pgmq 1.5.1 and against pgq's pgmq schema, and should
-- give the same output through both (through s=pgq, drop_queue(name, false) gives no WARNING).
-- Nothing printed depends on the clock or on sequence state shared between queues: ids are
-- printed only from queues created fresh here; times are checked as booleans.  Names are
-- printed through lower(), since pgmq keeps a name as given where pgq folds it.  Errors are
-- caught by pg_temp.sqlstate_of(): their SQLSTATE is printed only where both implementations
-- agree, otherwise only that the statement failed.  The cases where pgq's own schema is
-- stricter than pgmq are in lenient.sql.
--
\if :{?s}
\else
\set s pgmq
\endif
\set VERBOSITY terse
-- pgmq's create() is idempotent through CREATE ... IF NOT EXISTS, which raises NOTICEs
SET client_min_messages = warning;

-- 'ok', or the SQLSTATE of the error that running stmt raised
CREATE FUNCTION pg_temp.sqlstate_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END
$$;

-- the schema-qualified archive table of a queue, found by the name format_table_name gives
-- (the table lives in schema pgmq in pgmq, in schema pgq in pgq)
CREATE FUNCTION pg_temp.archive_of(relname text) RETURNS regclass LANGUAGE sql AS $$
	SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	 WHERE c.relname = $1 AND n.nspname IN ('pgq', 'pgmq')
$$;

CREATE FUNCTION pg_temp.count_rows(rel regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	EXECUTE 'SELECT count(*) FROM ' || rel INTO n;
	RETURN n;
END
$$;

--
-- types and signatures
--
-- message_record: the first six columns, in order (pgq's own type has a seventh)
SELECT attnum, attname, format_type(atttypid, atttypmod) AS type
  FROM pg_attribute
 WHERE attrelid = (SELECT typrelid FROM pg_type WHERE oid = to_regtype(:'s' || '.message_record'))
   AND attnum BETWEEN 1 AND 6 ORDER BY attnum;
SELECT attnum, attname, format_type(atttypid, atttypmod) AS type
  FROM pg_attribute
 WHERE attrelid = (SELECT typrelid FROM pg_type WHERE oid = to_regtype(:'s' || '.queue_record'))
   AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT attnum, attname, format_type(atttypid, atttypmod) AS type
  FROM pg_attribute
 WHERE attrelid = (SELECT typrelid FROM pg_type WHERE oid = to_regtype(:'s' || '.metrics_result'))
   AND attnum > 0 AND NOT attisdropped ORDER BY attnum;

-- argument names, types, defaults and results of the functions a client calls (pop is left
-- out: pgq adds a qty argument to it)
SELECT p.proname || '(' || pg_get_function_arguments(p.oid) || ')' AS function,
       regexp_replace(pg_get_function_result(p.oid), '\m(pgq|pgmq)\.', '', 'g') AS result
  FROM pg_proc p
 WHERE p.pronamespace = :'s'::regnamespace
   AND p.proname IN ('create', 'create_non_partitioned', 'create_unlogged', 'drop_queue',
                     'purge_queue', 'list_queues', 'metrics', 'metrics_all', 'detach_archive',
                     'send', 'send_batch', 'read', 'read_with_poll', 'set_vt', 'archive',
                     'delete', 'format_table_name', 'validate_queue_name')
 ORDER BY p.proname COLLATE "C", pg_get_function_arguments(p.oid) COLLATE "C";
-- pop takes the queue name alone
SELECT count(*) = 1 AS pop_one_arg FROM pg_proc
 WHERE pronamespace = :'s'::regnamespace AND proname = 'pop'
   AND proargtypes[0] = 'text'::regtype AND (pronargs = 1 OR pronargdefaults = pronargs - 1);

--
-- create, create_unlogged, create_non_partitioned, list_queues
--
SELECT :s.create('c_basic');
SELECT :s.create('c_basic');	-- again: no error, no second queue
SELECT :s.create_unlogged('c_unlogged');
SELECT :s.create_non_partitioned('c_nonpart');
SELECT lower(queue_name) AS queue_name, is_partitioned, is_unlogged,
       created_at <= now() AS created_ok
  FROM :s.list_queues()
 WHERE lower(queue_name) IN ('c_basic', 'c_unlogged', 'c_nonpart') ORDER BY lower(queue_name) COLLATE "C";
-- by position
SELECT lower(a) AS a, b, c, d <= now() AS d_ok
  FROM :s.list_queues() AS l(a, b, c, d)
 WHERE lower(a) IN ('c_basic', 'c_unlogged', 'c_nonpart') ORDER BY lower(a) COLLATE "C";
SELECT string_agg(k, ',' ORDER BY i) AS list_queues_columns
  FROM (SELECT row_to_json(l) AS j FROM :s.list_queues() l WHERE lower(queue_name) = 'c_basic') x,
       json_object_keys(x.j) WITH ORDINALITY AS t(k, i);

--
-- send: the six overloads, headers, delays (c_basic is fresh: ids start at 1)
--
SELECT * FROM :s.send('c_basic', '{"n": 1}');
SELECT * FROM :s.send('c_basic', '{"n": 2}', '{"h": 2}'::jsonb);
SELECT * FROM :s.send('c_basic', '{"n": 3}', 0);
SELECT * FROM :s.send('c_basic', '{"n": 4}', now());
SELECT * FROM :s.send('c_basic', '{"n": 5}', '{"h": 5}'::jsonb, 0);
SELECT * FROM :s.send('c_basic', '{"n": 6}', '{"h": 6}'::jsonb, now() - interval '1 hour');
-- delayed: not visible yet
SELECT * FROM :s.send('c_basic', '{"n": 7}', 3600);
SELECT * FROM :s.send('c_basic', '{"n": 8}', now() + interval '1 hour');
SELECT * FROM :s.send('c_basic', '{"n": 9}', '{"h": 9}'::jsonb, 3600);
SELECT * FROM :s.send('c_basic', '{"n": 10}', '{"h": 10}'::jsonb, now() + interval '1 hour');
-- named arguments
SELECT * FROM :s.send(queue_name => 'c_basic', msg => '{"n": 11}', headers => '{"h": 11}', delay => 3600);
SELECT count(*) AS sent FROM :s.send(msg => '{"n": 12}', queue_name => 'c_basic');
-- any jsonb survives the round trip
SELECT * FROM :s.send('c_basic', '{"u": "ünï\u00e7ødé ✓", "a": [1, 2.50, null, {"x": true}], "e": {}}');
SELECT msg_id, read_ct, message, headers,
       vt > clock_timestamp() + interval '20 s' AND vt <= clock_timestamp() + interval '30 s' AS vt_ok,
       enqueued_at <= now() AS enqueued_ok
  FROM :s.read('c_basic', 30, 100) ORDER BY msg_id;
-- the delayed ones are still there, the others now invisible
SELECT queue_length, queue_visible_length, total_messages FROM :s.metrics('c_basic');

--
-- send_batch: the six overloads (c_unlogged is fresh)
--
SELECT * FROM :s.send_batch('c_unlogged', ARRAY['{"b": 1}', '{"b": 2}']::jsonb[]);
SELECT * FROM :s.send_batch('c_unlogged', ARRAY['{"b": 3}', '{"b": 4}']::jsonb[],
                            ARRAY['{"h": 3}', '{"h": 4}']::jsonb[]);
SELECT * FROM :s.send_batch('c_unlogged', ARRAY['{"b": 5}', '{"b": 6}']::jsonb[], 0);
SELECT * FROM :s.send_batch('c_unlogged', ARRAY['{"b": 7}', '{"b": 8}']::jsonb[], now());
SELECT * FROM :s.send_batch('c_unlogged', ARRAY['{"b": 9}', '{"b": 10}']::jsonb[],
                            ARRAY['{"h": 9}', '{"h": 10}']::jsonb[], 0);
SELECT * FROM :s.send_batch('c_unlogged', ARRAY['{"b": 11}', '{"b": 12}']::jsonb[],
                            ARRAY['{"h": 11}', '{"h": 12}']::jsonb[], now() - interval '1 minute');
SELECT * FROM :s.send_batch('c_unlogged', ARRAY['{"b": 13}']::jsonb[], 3600);
SELECT * FROM :s.send_batch('c_unlogged', ARRAY['{"b": 14}']::jsonb[], now() + interval '1 hour');
SELECT * FROM :s.send_batch('c_unlogged', ARRAY['{"b": 15}']::jsonb[], ARRAY['{"h": 15}']::jsonb[], 3600);
SELECT * FROM :s.send_batch(queue_name => 'c_unlogged', msgs => ARRAY['{"b": 16}']::jsonb[],
                            headers => ARRAY['{"h": 16}']::jsonb[], delay => now() + interval '1 hour');
-- an empty batch sends nothing
SELECT count(*) AS sent FROM :s.send_batch('c_unlogged', ARRAY[]::jsonb[]);
SELECT msg_id, read_ct, message, headers FROM :s.read('c_unlogged', 30, 100) ORDER BY msg_id;
SELECT queue_length, queue_visible_length, total_messages FROM :s.metrics('c_unlogged');

--
-- read: qty, order, visibility timeout, read_ct, conditional (c_nonpart is fresh)
--
SELECT count(*) AS sent FROM :s.send_batch('c_nonpart', ARRAY[
	'{"type": "a", "n": 1}', '{"type": "b", "n": 2}', '{"type": "a", "n": 3, "tags": ["x", "y"]}',
	'{"type": "b", "n": 4, "tags": ["y"]}', '{"type": "a", "n": 5}']::jsonb[]);
SELECT msg_id, read_ct, message->>'n' AS n FROM :s.read('c_nonpart', 30, 2) ORDER BY msg_id;
SELECT msg_id, read_ct, message->>'n' AS n FROM :s.read('c_nonpart', 0, 1) ORDER BY msg_id;
-- vt 0 leaves message 3 visible: it is read again
SELECT msg_id, read_ct, message->>'n' AS n FROM :s.read('c_nonpart', 0, 1) ORDER BY msg_id;
-- conditional: jsonb containment over the visible messages; '{}' is no filter
SELECT msg_id, read_ct, message->>'n' AS n
  FROM :s.read('c_nonpart', 0, 10, '{"type": "a"}') ORDER BY msg_id;
SELECT msg_id, read_ct, message->>'n' AS n
  FROM :s.read('c_nonpart', 0, 10, '{"tags": ["y"]}') ORDER BY msg_id;
SELECT msg_id, read_ct, message->>'n' AS n
  FROM :s.read('c_nonpart', 0, 10, '{"type": "c"}') ORDER BY msg_id;
SELECT msg_id, read_ct, message->>'n' AS n
  FROM :s.read('c_nonpart', 0, 1, '{"type": "b"}') ORDER BY msg_id;
SELECT msg_id, read_ct, message->>'n' AS n
  FROM :s.read(queue_name => 'c_nonpart', vt => 0, qty => 10, conditional => '{}') ORDER BY msg_id;
-- the columns of a read, by name and position
SELECT string_agg(k, ',' ORDER BY i) AS read_columns
  FROM (SELECT row_to_json(r) AS j FROM :s.read('c_nonpart', 0, 1) r) x,
       json_object_keys(x.j) WITH ORDINALITY AS t(k, i) WHERE i <= 6;
SELECT a AS msg_id, b AS read_ct, c <= now() AS enqueued_ok, d <= clock_timestamp() AS vt_ok,
       e AS message, f AS headers
  FROM :s.read('c_nonpart', 0, 1) AS r(a, b, c, d, e, f);
-- a read rolled back leaves the message as it was
BEGIN;
SELECT count(*) AS read FROM :s.read('c_nonpart', 3600, 10);
ROLLBACK;
SELECT msg_id, read_ct FROM :s.read('c_nonpart', 3600, 10) ORDER BY msg_id;
SELECT count(*) AS read FROM :s.read('c_nonpart', 0, 10);

--
-- read_with_poll
--
SELECT :s.create('c_poll');
SELECT * FROM :s.send('c_poll', '{"p": 1}');
-- a visible message: returns at once
SELECT clock_timestamp() AS t0 \gset
SELECT msg_id, read_ct, message FROM :s.read_with_poll('c_poll', 30, 5, 10, 100);
SELECT clock_timestamp() - :'t0'::timestamptz < interval '5 s' AS returned_at_once;
-- nothing visible: empty after max_poll_seconds
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) AS read FROM :s.read_with_poll('c_poll', 30, 1, 1, 100);
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '0.9 s' AS waited,
       clock_timestamp() - :'t0'::timestamptz < interval '10 s' AS not_too_long;
-- a message that becomes visible while polling is returned
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM :s.send('c_poll', '{"p": 2}', 1);
SELECT msg_id, read_ct, message FROM :s.read_with_poll('c_poll', 30, 5, 10, 50);
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '0.9 s' AS waited_for_it,
       clock_timestamp() - :'t0'::timestamptz < interval '9 s' AS before_the_end;
-- conditional
SELECT * FROM :s.send('c_poll', '{"p": 3, "k": "x"}');
SELECT count(*) AS read FROM :s.read_with_poll('c_poll', 30, 1, 1, 100, '{"k": "nope"}');
SELECT msg_id, read_ct, message
  FROM :s.read_with_poll(queue_name => 'c_poll', vt => 30, qty => 5, max_poll_seconds => 5,
                         poll_interval_ms => 10, conditional => '{"k": "x"}');
SELECT * FROM :s.send('c_poll', '{"p": 4}');
SELECT string_agg(k, ',' ORDER BY i) AS read_with_poll_columns
  FROM (SELECT row_to_json(r) AS j FROM :s.read_with_poll('c_poll', 30, 1) r) x,
       json_object_keys(x.j) WITH ORDINALITY AS t(k, i) WHERE i <= 6;

--
-- pop
--
SELECT :s.create('c_pop');
SELECT count(*) AS popped FROM :s.pop('c_pop');
SELECT * FROM :s.send_batch('c_pop', ARRAY['{"o": 1}', '{"o": 2}']::jsonb[]);
SELECT * FROM :s.send('c_pop', '{"o": 3}', 3600);
SELECT msg_id, read_ct, message, headers FROM :s.pop('c_pop');
SELECT count(*) AS read FROM :s.read('c_pop', 0, 1);
-- pop takes read and unread messages alike, but never invisible ones
SELECT msg_id, read_ct, message FROM :s.pop('c_pop');
SELECT count(*) AS popped FROM :s.pop('c_pop');
SELECT * FROM :s.send('c_pop', '{"o": 4}');
SELECT string_agg(k, ',' ORDER BY i) AS pop_columns
  FROM (SELECT row_to_json(r) AS j FROM :s.pop('c_pop') r) x,
       json_object_keys(x.j) WITH ORDINALITY AS t(k, i) WHERE i <= 6;
SELECT queue_length, total_messages FROM :s.metrics('c_pop');

--
-- set_vt
--
SELECT :s.create('c_vt');
SELECT count(*) AS changed FROM :s.set_vt('c_vt', 999, 0);
SELECT * FROM :s.send('c_vt', '{"v": 1}', '{"h": 1}'::jsonb);
SELECT msg_id, read_ct, message, headers,
       vt > clock_timestamp() + interval '90 s' AND vt <= clock_timestamp() + interval '100 s' AS vt_ok
  FROM :s.set_vt('c_vt', 1, 100);
SELECT count(*) AS read FROM :s.read('c_vt', 30, 1);
SELECT msg_id, read_ct, vt <= clock_timestamp() AS visible
  FROM :s.set_vt(queue_name => 'c_vt', msg_id => 1, vt => 0);
SELECT msg_id, read_ct FROM :s.read('c_vt', 30, 1);
-- set_vt also applies to an invisible message, and does not count as a read
SELECT msg_id, read_ct FROM :s.set_vt('c_vt', 1, 0);
SELECT string_agg(k, ',' ORDER BY i) AS set_vt_columns
  FROM (SELECT row_to_json(r) AS j FROM :s.set_vt('c_vt', 1, 0) r) x,
       json_object_keys(x.j) WITH ORDINALITY AS t(k, i) WHERE i <= 6;

--
-- archive
--
SELECT :s.create('c_arch');
SELECT * FROM :s.send('c_arch', '{"a": 1}', '{"h": 1}'::jsonb);
SELECT * FROM :s.send_batch('c_arch', ARRAY['{"a": 2}', '{"a": 3}', '{"a": 4}', '{"a": 5}']::jsonb[]);
SELECT count(*) AS read FROM :s.read('c_arch', 0, 1);
SELECT :s.archive('c_arch', 1);
SELECT :s.archive('c_arch', 1);		-- already archived
SELECT :s.archive('c_arch', 99);	-- no such message
SELECT array_agg(a ORDER BY a) AS archived FROM :s.archive('c_arch', ARRAY[2, 3, 99]::bigint[]) a;
SELECT count(*) AS archived FROM :s.archive('c_arch', ARRAY[]::bigint[]);
SELECT * FROM :s.archive(queue_name => 'c_arch', msg_ids => ARRAY[4]::bigint[]);
SELECT :s.archive(queue_name => 'c_arch', msg_id => 5::bigint);
SELECT queue_length, total_messages FROM :s.metrics('c_arch');
-- what the archive holds
SELECT pg_temp.archive_of(:s.format_table_name('c_arch', 'a')) AS atable \gset
SELECT msg_id, read_ct, message, headers FROM :atable ORDER BY msg_id;

--
-- delete
--
SELECT :s.create('c_del');
SELECT * FROM :s.send_batch('c_del', ARRAY['1', '2', '3', '4', '5', '6']::jsonb[]);
SELECT :s.delete('c_del', 1);
SELECT :s.delete('c_del', 1);		-- already deleted
SELECT :s.delete('c_del', 99);
SELECT array_agg(d ORDER BY d) AS deleted FROM :s.delete('c_del', ARRAY[2, 3, 99]::bigint[]) d;
SELECT count(*) AS deleted FROM :s.delete('c_del', ARRAY[]::bigint[]);
SELECT count(*) AS deleted FROM :s.delete('c_del', ARRAY[98, 99]::bigint[]);
SELECT * FROM :s.delete('c_del', ARRAY[4, 4]::bigint[]);
SELECT * FROM :s.delete(queue_name => 'c_del', msg_ids => ARRAY[5]::bigint[]);
SELECT :s.delete(queue_name => 'c_del', msg_id => 6::bigint);
SELECT queue_length, total_messages FROM :s.metrics('c_del');
SELECT pg_temp.count_rows(pg_temp.archive_of(:s.format_table_name('c_del', 'a'))) AS archived;

--
-- metrics, metrics_all
--
SELECT :s.create('c_metrics');
SELECT lower(queue_name) AS queue_name, queue_length, newest_msg_age_sec, oldest_msg_age_sec,
       total_messages, scrape_time <= clock_timestamp() AS scrape_ok, queue_visible_length
  FROM :s.metrics('c_metrics');
SELECT count(*) AS sent FROM :s.send_batch('c_metrics', ARRAY['1', '2', '3']::jsonb[]);
SELECT count(*) AS sent FROM :s.send_batch('c_metrics', ARRAY['4', '5']::jsonb[], 3600);
SELECT count(*) AS read FROM :s.read('c_metrics', 30, 1);
SELECT lower(queue_name) AS queue_name, queue_length, newest_msg_age_sec >= 0 AS newest_ok,
       oldest_msg_age_sec >= newest_msg_age_sec AS oldest_ok, total_messages,
       scrape_time <= clock_timestamp() AS scrape_ok, queue_visible_length
  FROM :s.metrics('c_metrics');
-- by position
SELECT lower(a) AS a, b, c >= 0 AS c_ok, d >= c AS d_ok, e, f <= clock_timestamp() AS f_ok, g
  FROM :s.metrics('c_metrics') AS m(a, b, c, d, e, f, g);
SELECT string_agg(k, ',' ORDER BY i) AS metrics_columns
  FROM (SELECT row_to_json(m) AS j FROM :s.metrics('c_metrics') m) x,
       json_object_keys(x.j) WITH ORDINALITY AS t(k, i);
SELECT lower(a) AS a, b, c >= 0 AS c_ok, d >= c AS d_ok, e, f <= clock_timestamp() AS f_ok, g
  FROM :s.metrics_all() AS m(a, b, c, d, e, f, g)
 WHERE lower(a) LIKE 'c\_%' ORDER BY lower(a) COLLATE "C";
SELECT string_agg(k, ',' ORDER BY i) AS metrics_all_columns
  FROM (SELECT row_to_json(m) AS j FROM :s.metrics_all() m WHERE lower(queue_name) = 'c_metrics') x,
       json_object_keys(x.j) WITH ORDINALITY AS t(k, i);

--
-- purge_queue
--
SELECT :s.purge_queue('c_metrics');
SELECT :s.purge_queue('c_metrics');
SELECT queue_length, newest_msg_age_sec, oldest_msg_age_sec, total_messages, queue_visible_length
  FROM :s.metrics('c_metrics');
-- ids go on after a purge
SELECT * FROM :s.send('c_metrics', '6');
SELECT msg_id, message FROM :s.read('c_metrics', 30, 10);

--
-- transactions
--
BEGIN;
SELECT :s.create('c_rollback');
SELECT * FROM :s.send('c_rollback', '{"r": 1}');
ROLLBACK;
SELECT count(*) AS listed FROM :s.list_queues() WHERE lower(queue_name) = 'c_rollback';
SELECT pg_temp.sqlstate_of(format('SELECT %I.send(%L, %L)', :'s', 'c_rollback', '{}'));
BEGIN;
SELECT * FROM :s.send('c_pop', '{"r": 2}');
ROLLBACK;
SELECT count(*) AS popped FROM :s.pop('c_pop');

--
-- names: capitals, hyphens, leading digits, given in another case (alt) than at creation (n)
--
CREATE TEMP TABLE c_names (n text, alt text);
INSERT INTO c_names VALUES ('c_MyQueue', 'C_MYQUEUE'), ('c_my-queue', 'C_My-Queue'), ('1c_abc', '1C_ABC');
SELECT lower(n) AS name FROM c_names, :s.create(n) ORDER BY lower(n) COLLATE "C";
SELECT lower(queue_name) AS queue_name, is_partitioned, is_unlogged FROM :s.list_queues()
 WHERE lower(queue_name) IN (SELECT lower(n) FROM c_names) ORDER BY lower(queue_name) COLLATE "C";
SELECT lower(n) AS name, s AS sent FROM c_names, :s.send(alt, '{"k": 1}') s ORDER BY lower(n) COLLATE "C";
SELECT lower(n) AS name, s AS sent FROM c_names, :s.send(n, '{"k": 2}', '{"h": 2}'::jsonb) s ORDER BY lower(n) COLLATE "C";
SELECT lower(n) AS name, array_agg(s ORDER BY s) AS sent
  FROM c_names, :s.send_batch(alt, ARRAY['{"k": 3}', '{"k": 4}']::jsonb[]) s GROUP BY 1 ORDER BY lower(n) COLLATE "C";
SELECT lower(n) AS name, r.msg_id, r.message FROM c_names, :s.read(alt, 30, 1) r ORDER BY lower(n) COLLATE "C";
SELECT lower(n) AS name, r.msg_id, r.message
  FROM c_names, :s.read_with_poll(n, 30, 1, 1, 10, '{"k": 2}') r ORDER BY lower(n) COLLATE "C";
-- (message 1 is made invisible: pgmq hands out the lowest visible msg_id first, pgq the
-- message visible longest, and only with 1 out of the way do the two pick the same one)
SELECT lower(n) AS name, r.msg_id, r.read_ct FROM c_names, :s.set_vt(alt, 1, 30) r ORDER BY lower(n) COLLATE "C";
SELECT lower(n) AS name, r.msg_id, r.read_ct FROM c_names, :s.pop(alt) r ORDER BY lower(n) COLLATE "C";
SELECT lower(n) AS name, :s.archive(alt, 2) AS archived FROM c_names ORDER BY lower(n) COLLATE "C";
SELECT lower(n) AS name, a AS archived FROM c_names, :s.archive(n, ARRAY[1, 3]::bigint[]) a ORDER BY lower(n) COLLATE "C";
SELECT lower(n) AS name, :s.delete(n, 4) AS deleted FROM c_names ORDER BY lower(n) COLLATE "C";
SELECT lower(n) AS name, s AS sent FROM c_names, :s.send(alt, '{"k": 5}') s ORDER BY lower(n) COLLATE "C";
SELECT lower(n) AS name, d AS deleted FROM c_names, :s.delete(alt, ARRAY[5]::bigint[]) d ORDER BY lower(n) COLLATE "C";
SELECT lower(n) AS name, lower(m.queue_name) AS queue_name, m.queue_length, m.total_messages
  FROM c_names, :s.metrics(alt) m ORDER BY lower(n) COLLATE "C";
SELECT lower(queue_name) AS queue_name, queue_length, total_messages FROM :s.metrics_all()
 WHERE lower(queue_name) IN (SELECT lower(n) FROM c_names) ORDER BY lower(queue_name) COLLATE "C";
SELECT lower(n) AS name, pg_temp.count_rows(pg_temp.archive_of(:s.format_table_name(n, 'a'))) AS archived
  FROM c_names ORDER BY lower(n) COLLATE "C";
SELECT lower(n) AS name, :s.purge_queue(alt) AS purged FROM c_names ORDER BY lower(n) COLLATE "C";
SELECT lower(n) AS name, :s.format_table_name(alt, 'q') AS q, :s.format_table_name(n, 'a') AS a,
       :s.format_table_name(alt, 'q') = :s.format_table_name(n, 'q') AS same
  FROM c_names ORDER BY lower(n) COLLATE "C";
SELECT lower(n) AS name FROM c_names, :s.detach_archive(n) ORDER BY lower(n) COLLATE "C";
SELECT lower(n) AS name, :s.drop_queue(n) AS dropped FROM c_names ORDER BY lower(n) COLLATE "C";
SELECT count(*) AS listed FROM :s.list_queues() WHERE lower(queue_name) IN (SELECT lower(n) FROM c_names);

--
-- format_table_name, validate_queue_name
--
SELECT :s.format_table_name('c_cat', 'q') AS q, :s.format_table_name('c_cat-dog', 'a') AS a;
SELECT v AS name, pg_temp.sqlstate_of(format('SELECT %I.format_table_name(%L, %L)', :'s', v, 'q')) <> 'ok' AS rejected
  FROM unnest(ARRAY['c_dollar$', 'c_semi;colon', 'c_double--dash', 'c_quote''d']) v;
SELECT :s.validate_queue_name('c_' || repeat('x', 45));
SELECT pg_temp.sqlstate_of(format('SELECT %I.validate_queue_name(%L)', :'s', 'c_' || repeat('x', 46))) <> 'ok' AS too_long;
SELECT pg_temp.sqlstate_of(format('SELECT %I.create(%L)', :'s', 'c_' || repeat('x', 46))) <> 'ok' AS create_too_long;
SELECT pg_temp.sqlstate_of(format('SELECT %I.create(%L)', :'s', 'c_$bad')) <> 'ok' AS create_bad_char;
SELECT :s.create('c_' || repeat('x', 45));
SELECT * FROM :s.send('c_' || repeat('x', 45), '{}');
SELECT count(*) AS listed FROM :s.list_queues() WHERE queue_name = 'c_' || repeat('x', 45);
SELECT :s.drop_queue('c_' || repeat('x', 45));

--
-- errors both implementations raise alike: missing queue (42P01), NULL queue name (22004)
--
SELECT f AS call, pg_temp.sqlstate_of(format('SELECT * FROM %I.' || f, :'s', q)) AS missing_queue,
       pg_temp.sqlstate_of(format('SELECT * FROM %I.' || f, :'s', NULL)) AS null_name
  FROM unnest(ARRAY['send(%L, ''{}'')', 'send_batch(%L, ARRAY[''{}'']::jsonb[])', 'read(%L, 30, 1)',
                    'read_with_poll(%L, 30, 1, 1, 10)', 'pop(%L)', 'set_vt(%L, 1, 30)',
                    'archive(%L, 1)', 'archive(%L, ARRAY[1]::bigint[])', 'delete(%L, 1)',
                    'delete(%L, ARRAY[1]::bigint[])', 'metrics(%L)', 'purge_queue(%L)']) f,
       (VALUES ('c_missing')) AS v(q);

--
-- drop_queue
--
SELECT :s.drop_queue('c_basic');
SELECT :s.drop_queue('c_unlogged', false);	-- deprecated form: WARNING in pgmq
SELECT pg_temp.sqlstate_of(format('SELECT %I.send(%L, %L)', :'s', 'c_basic', '{}')) AS send_to_dropped;
-- a queue created again after a drop starts afresh
SELECT :s.create('c_basic');
SELECT * FROM :s.send('c_basic', '{"again": true}');
SELECT queue_length, total_messages FROM :s.metrics('c_basic');

-- clean up
SELECT lower(queue_name) AS dropped, :s.drop_queue(queue_name) FROM :s.list_queues()
 WHERE lower(queue_name) LIKE 'c\_%' ORDER BY lower(queue_name) COLLATE "C";
SELECT count(*) AS left_over FROM :s.list_queues() WHERE lower(queue_name) LIKE 'c\_%';
RESET client_min_messages;
