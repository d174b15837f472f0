# test/t/040_dump_restore.pl: pg_dump and restore give back every queue, message and grant
#
# Database "src" holds queues in every state: logged and unlogged, messages with and without
# headers, delayed (by seconds and until a time), in flight (read with vt 3600: invisible,
# read_ct 1), read and visible again, archived, deleted, popped; a purged queue (empty, its
# sequence ahead); a queue never used; a dropped queue; grants made with grant_consumer,
# grant_producer and grant_admin.  It is dumped twice:
#   pg_dump -Fc, restored with pg_restore into "dst"
#   pg_dump -Fp, restored with psql -v ON_ERROR_STOP=1 into "dst_plain"
# Both restores must succeed with nothing on stderr.  In each restored database:
#   - every row of every q_/a_ table (all columns, timestamps to the microsecond), pgq.meta (so
#     a queue's notification setting too) and the msg_id sequences are as in src; so are the
#     tables' definitions and their ACLs
#   - (a) an unlogged queue's msg_id sequence is still logged
#   - (b) the queue tables still depend on the extension: DROP EXTENSION pgq (no CASCADE)
#     refuses with 2BP01
#   - (c) the grants made with grant_* still work (and a role without them gets 42501)
#   - (d) pgq.meta holds each queue exactly once
#   - the queues keep working: in-flight and delayed messages stay invisible until their vt,
#     new msg_ids continue above the old ones, read / set_vt / archive / delete / pop /
#     purge_queue / metrics / create_queue / drop_queue work

use strict;
use warnings;

use IPC::Run;
use List::Util qw(max);

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;

my $tmp = PostgreSQL::Test::Utils::tempdir;
my @queues = qw(events idle orders purged);

# text_diff(a, b): the lines that differ between two texts, in order ("-" only in a, "+" only
# in b); empty when they are equal
sub text_diff
{
	my ($x, $y) = @_;
	my @a = split /\n/, $x, -1;
	my @b = split /\n/, $y, -1;
	my @l;

	for (my $i = $#a; $i >= 0; $i--)
	{
		for (my $j = $#b; $j >= 0; $j--)
		{
			$l[$i][$j] =
			  $a[$i] eq $b[$j]
			  ? 1 + ($l[ $i + 1 ][ $j + 1 ] // 0)
			  : max($l[ $i + 1 ][$j] // 0, $l[$i][ $j + 1 ] // 0);
		}
	}
	my ($i, $j) = (0, 0);
	my @out;
	while ($i < @a && $j < @b)
	{
		if ($a[$i] eq $b[$j])
		{
			$i++;
			$j++;
		}
		elsif (($l[ $i + 1 ][$j] // 0) >= ($l[$i][ $j + 1 ] // 0))
		{
			push @out, "- $a[$i++]";
		}
		else
		{
			push @out, "+ $b[$j++]";
		}
	}
	push @out, map { "- $_" } @a[ $i .. $#a ];
	push @out, map { "+ $_" } @b[ $j .. $#b ];
	return join "\n", @out;
}

# same_text(got, expected, name, labels): is() on the differences, so that a failure prints
# only them; labels says which side is which
sub same_text
{
	my ($got, $expected, $name, $labels) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	$labels //= '- restored, + src';
	return is(text_diff($got, $expected), '', "$name (differences: $labels)");
}

# run_cmd(command...): (exit status, stdout, stderr)
sub run_cmd
{
	my @cmd = @_;
	my ($out, $err) = ('', '');
	note('running: ' . join(' ', @cmd));
	IPC::Run::run(\@cmd, '<', \undef, '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

# query(db, sql): psql's output, followed by its stderr if the SQL failed, so that a missing
# table makes a comparison fail instead of ending the test
sub query
{
	my ($db, $sql) = @_;
	my ($out, $err) = ('', '');
	my $rc = $node->psql($db, $sql, stdout => \$out, stderr => \$err);
	return $rc == 0 ? $out : "$out\n$err";
}

# sqlstate(db, sql): the SQLSTATE the last statement of sql failed with ("00000": none), and
# psql's stderr
sub sqlstate
{
	my ($db, $sql) = @_;
	my ($out, $err) = ('', '');
	$node->psql($db, "$sql\n\\echo :LAST_ERROR_SQLSTATE\n",
		on_error_stop => 0, stdout => \$out, stderr => \$err);
	return ($out, $err);
}

#
# src
#
$node->safe_psql('postgres', q{
	CREATE ROLE dr_consumer;
	CREATE ROLE dr_producer;
	CREATE ROLE dr_admin;
	CREATE ROLE dr_stranger;
	CREATE DATABASE src;
});
$node->safe_psql('src', q{
	CREATE EXTENSION pgq;
	SELECT pgq.create_queue('orders');
	SELECT pgq.enable_notify_insert('orders', 100);
	SELECT pgq.set_policy('orders', '{"max_deliveries": 4, "priorities": true}');
	SELECT pgq.create_queue('events', unlogged => true);
	SELECT pgq.create_queue('purged');
	SELECT pgq.create_queue('idle', unlogged => true);
	SELECT pgq.create_queue('gone');
	SELECT pgq.drop_queue('gone');

	-- orders
	SELECT pgq.send('orders', '{"n": 1}');                                        -- 1
	SELECT pgq.send('orders', '{"n": 2}', '{"h": "two"}'::jsonb);                 -- 2
	SELECT pgq.send('orders', '{"n": 3}', 3600);                                  -- 3 delayed
	SELECT pgq.send('orders', '{"n": 4}', '{"h": "four"}'::jsonb,
					now() + interval '2 hours');                                  -- 4 delayed
	SELECT pgq.send_batch('orders', ARRAY['{"n": 5}', '{"n": 6}', '{"n": 7}', '{"n": 8}']::jsonb[],
						  ARRAY['{"b": 5}', NULL, '{"b": 7}', NULL]::jsonb[]);    -- 5..8
	SELECT pgq.read('orders', 3600, 2);           -- 1, 2 in flight, read_ct 1
	SELECT pgq.read('orders', 0, 1);              -- 5 read once
	SELECT pgq.archive('orders', ARRAY[5, 6]::bigint[]);
	SELECT pgq.read('orders', 0, 1);              -- 7 read once, visible
	SELECT pgq.delete('orders', 8);
	SELECT pgq.send('orders', '{"n": 9}');                                        -- 9

	-- events (unlogged)
	SELECT pgq.send_batch('events', ARRAY(SELECT jsonb_build_object('e', i) FROM generate_series(1, 5) i),
						  ARRAY(SELECT jsonb_build_object('k', i) FROM generate_series(1, 5) i));
	SELECT pgq.read('events', 3600, 1);           -- 1 in flight
	SELECT pgq.archive('events', 2);
	SELECT pgq.pop('events');                     -- 3 gone

	-- purged: 3 sent, 1 archived, the rest purged
	SELECT pgq.send('purged', jsonb_build_object('p', i)) FROM generate_series(1, 3) i;
	SELECT pgq.archive('purged', 1);
	SELECT pgq.purge_queue('purged');

	-- access
	SELECT pgq.grant_consumer('orders', 'dr_consumer');
	SELECT pgq.grant_producer('events', 'dr_producer');
	SELECT pgq.grant_admin('purged', 'dr_admin');
});

# every row of every queue table (all columns), pgq.meta and the msg_id sequences, as text
sub data_state
{
	my ($db) = @_;
	my $sql = "SET TimeZone = 'UTC';\n"
	  . "SELECT 'meta ' || m::text FROM pgq.meta m ORDER BY queue_name;\n";
	for my $q (@queues)
	{
		$sql .= "SELECT 'q_$q ' || t::text FROM pgq.q_$q t ORDER BY msg_id;\n"
		  . "SELECT 'a_$q ' || t::text FROM pgq.a_$q t ORDER BY msg_id;\n"
		  . "SELECT 'seq $q ' || last_value || ' ' || is_called FROM pgq.q_${q}_msg_id_seq;\n"
		  . "SELECT 'serial $q ' || pg_get_serial_sequence('pgq.q_$q', 'msg_id');\n";
	}
	return query($db, $sql);
}

# the definitions of the queue tables and sequences (persistence of sequences left to (a))
sub structure_state
{
	my ($db) = @_;
	return query($db, q{
		SELECT format('%s kind=%s persistence=%s owner=%s', c.relname, c.relkind,
					  CASE WHEN c.relkind = 'S' THEN '(a)' ELSE c.relpersistence::text END,
					  c.relowner::regrole)
			   || coalesce((SELECT string_agg(format(' | %s %s notnull=%s default=%s identity=%s',
														 a.attname, format_type(a.atttypid, a.atttypmod),
														 a.attnotnull,
														 coalesce(pg_get_expr(ad.adbin, ad.adrelid), '-'),
														 a.attidentity), '' ORDER BY a.attnum)
							  FROM pg_attribute a
							  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
							 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
							   AND c.relkind = 'r'), '')
			   || coalesce((SELECT string_agg(' | ' || co.conname || ' ' || pg_get_constraintdef(co.oid), ''
											  ORDER BY co.conname)
							  FROM pg_constraint co WHERE co.conrelid = c.oid), '')
			   || coalesce((SELECT string_agg(' | ' || pg_get_indexdef(i.indexrelid), ''
											  ORDER BY pg_get_indexdef(i.indexrelid))
							  FROM pg_index i WHERE i.indrelid = c.oid), '')
			   || coalesce((SELECT format(' | seq %s start=%s inc=%s min=%s max=%s cache=%s cycle=%s',
										  s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin,
										  s.seqmax, s.seqcache, s.seqcycle)
							  FROM pg_sequence s WHERE s.seqrelid = c.oid), '')
		  FROM pg_class c
		 WHERE c.relnamespace = 'pgq'::regnamespace AND c.relkind IN ('r', 'S')
		   AND c.relname ~ '^[qa]_'
		 ORDER BY c.relname});
}

# the privileges on the queue tables, their columns and sequences
sub acl_state
{
	my ($db) = @_;
	return query($db, q{
		SELECT c.relname || ' ' || coalesce(c.relacl::text, '-')
		  FROM pg_class c
		 WHERE c.relnamespace = 'pgq'::regnamespace AND c.relkind IN ('r', 'S')
		 ORDER BY c.relname;
		SELECT c.relname || '.' || a.attname || ' ' || a.attacl::text
		  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		 WHERE c.relnamespace = 'pgq'::regnamespace AND a.attacl IS NOT NULL
		 ORDER BY c.relname, a.attnum;
		SELECT 'schema pgq ' || nspacl::text FROM pg_namespace WHERE nspname = 'pgq';});
}

# the queue tables that depend (normally, not as members) on the extension
my $deps_sql = q{
	SELECT coalesce(string_agg(c.relname || '.' || a.attname, ',' ORDER BY c.relname), '(none)')
	  FROM pg_depend d
	  JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
	  JOIN pg_class c ON c.oid = ad.adrelid
	  JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
	 WHERE d.refclassid = 'pg_proc'::regclass
	   AND d.refobjid = 'pgq.queue_clock()'::regprocedure
	   AND d.deptype = 'n'};

# persistence of the msg_id sequences of the unlogged queues
my $seq_persistence_sql = q{
	SELECT string_agg(q || '=' || c.relpersistence::text, ',' ORDER BY q)
	  FROM unnest(ARRAY['events', 'idle']) q
	  JOIN pg_class c ON c.oid = pg_get_serial_sequence('pgq.q_' || q, 'msg_id')::regclass};

my $src_data = data_state('src');
my $src_structure = structure_state('src');
my $src_acl = acl_state('src');
my $src_deps = $node->safe_psql('src', $deps_sql);

# what src holds: the comparisons below are against this
is(scalar(() = $src_data =~ /^q_orders /mg) . ' ' . scalar(() = $src_data =~ /^a_orders /mg)
	  . ' ' . scalar(() = $src_data =~ /^q_events /mg) . ' ' . scalar(() = $src_data =~ /^a_purged /mg),
	'6 2 3 1', 'src: 6 messages and 2 archived in orders, 3 in events, 1 archived in purged');
like($src_data, qr/^meta \(orders,f,"[^"]+",postgres,f,100,0,1,0,,,4,,,,,,t,,\)$/m,
	'src: pgq.meta has orders with its created_at, its owner, its notification interval, its ring and its policy');
unlike($src_data, qr/gone/, 'src: the dropped queue is gone');
is(join(',', $src_data =~ /^seq (\S+ \d+ \w+)$/mg),
	'events 5 true,idle 1 false,orders 9 true,purged 3 true',
	'src: sequences: events at 5, idle never used, orders at 9, purged at 3');
is($node->safe_psql('src',
		q{SELECT string_agg(msg_id || ':' || read_ct || ':' || (vt > now() + interval '50 minutes'),
							',' ORDER BY msg_id) FROM pgq.q_orders}),
	'1:1:true,2:1:true,3:0:true,4:0:true,7:1:false,9:0:false',
	'src: orders 1, 2 in flight (read_ct 1), 3, 4 delayed, 7 and 9 visible');
is($src_deps,
	join(',', map { "$_." . (/^a/ ? 'archived_at' : 'vt') }
		sort map { my $t = $_; map { "$t$_" } ('', '$0', '$1', '$2') }
		map { ("a_$_", "q_$_") } qw(events idle orders purged)),
	'src: every queue table depends on the extension (a column default is pgq.queue_clock())');
is($node->safe_psql('src', $seq_persistence_sql), 'events=p,idle=p',
	'src: the unlogged queues have logged msg_id sequences');
like($src_acl, qr/^q_orders \{.*dr_consumer=rwd\//m, 'src: dr_consumer has its grants on orders');
my ($state) = sqlstate('src', "BEGIN;\nDROP EXTENSION pgq;");
is($state, '2BP01', 'src: DROP EXTENSION pgq refuses while queues exist (2BP01)');

#
# Dump, restore
#
my $connstr = sub { $node->connstr($_[0]) };
my ($rc, $out, $err);

($rc, $out, $err) = run_cmd('pg_dump', '-Fc', '-f', "$tmp/src.dump", '-d', $connstr->('src'));
is($rc, 0, 'pg_dump -Fc src exits 0');
is($err, '', 'pg_dump -Fc writes nothing on stderr');
($rc, $out, $err) = run_cmd('pg_dump', '-Fp', '-f', "$tmp/src.sql", '-d', $connstr->('src'));
is($rc, 0, 'pg_dump -Fp src exits 0');
is($err, '', 'pg_dump -Fp writes nothing on stderr');

for my $db (qw(dst dst_plain))
{
	($rc, $out, $err) = run_cmd('createdb', '-h', $node->host, '-p', $node->port, $db);
	is($rc, 0, "createdb $db") or diag($err);
}

($rc, $out, $err) = run_cmd('pg_restore', '-d', $connstr->('dst'), "$tmp/src.dump");
is($rc, 0, 'pg_restore into dst exits 0');
is($err, '', 'pg_restore writes nothing on stderr');

($rc, $out, $err) = run_cmd('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
	'-d', $connstr->('dst_plain'), '-f', "$tmp/src.sql");
is($rc, 0, 'psql -v ON_ERROR_STOP=1 restores the plain dump into dst_plain');
is($err, '', 'the plain restore writes nothing on stderr');

#
# The restored databases
#
for my $db (qw(dst dst_plain))
{
	note("checking $db");

	same_text(data_state($db), $src_data,
		"$db: every queue row, archive row, pgq.meta row and msg_id sequence as in src");
	same_text(structure_state($db), $src_structure,
		"$db: the queue tables, indexes, constraints and sequences defined as in src");

	# (a)
	is($node->safe_psql($db, $seq_persistence_sql), 'events=p,idle=p',
		"$db (a): the msg_id sequences of the unlogged queues are still logged");
	is($node->safe_psql($db, q{
			SELECT string_agg(relname || '=' || relpersistence::text, ',' ORDER BY relname)
			  FROM pg_class WHERE relname IN ('q_events', 'q_idle', 'q_orders', 'q_purged')}),
		'q_events=u,q_idle=u,q_orders=p,q_purged=p',
		"$db: the unlogged queues are unlogged, the others logged");

	# (d)
	is($node->safe_psql($db, q{
			SELECT string_agg(queue_name || ':' || n, ',' ORDER BY queue_name)
			  FROM (SELECT queue_name, count(*) n FROM pgq.meta GROUP BY queue_name) s}),
		'events:1,idle:1,orders:1,purged:1', "$db (d): pgq.meta holds each queue exactly once");
	is($node->safe_psql($db,
			q{SELECT string_agg(queue_name || ':' || is_unlogged, ',') FROM pgq.list_queues()}),
		'events:true,idle:true,orders:false,purged:false', "$db: list_queues shows the queues");

	# (b)
	is($node->safe_psql($db, $deps_sql), $src_deps,
		"$db (b): every queue table still depends on the extension (its pgq.queue_clock() default)");
	($state, $err) = sqlstate($db, "BEGIN;\nDROP EXTENSION pgq;");
	is($state, '2BP01', "$db (b): DROP EXTENSION pgq refuses while queues exist (2BP01)")
	  or diag("DROP EXTENSION pgq (rolled back) succeeded: it would drop pgq.meta and the "
		  . "functions and leave the queue tables behind");

	# (c)
	same_text(acl_state($db), $src_acl, "$db (c): the privileges on the queue tables as in src");

	# the queues at work: orders
	is($node->safe_psql($db, q{
			SELECT queue_length || ' ' || queue_visible_length || ' ' || total_messages
			  FROM pgq.metrics('orders')}),
		'6 2 9', "$db: metrics(orders): 6 messages, 2 visible, 9 ever sent");
	is($node->safe_psql($db, q{
			SELECT string_agg(msg_id || ':' || read_ct || ':' || message::text || ':'
							  || coalesce(headers::text, '-'), ',' ORDER BY msg_id)
			  FROM pgq.read('orders', 30, 10)}),
		'7:2:{"n": 7}:{"b": 7},9:1:{"n": 9}:-',
		"$db: read(orders) returns 7 and 9 only (in-flight 1, 2 and delayed 3, 4 stay hidden)");
	is($node->safe_psql($db, q{
			SELECT string_agg(msg_id || ':' || read_ct, ',')
			  FROM pgq.set_vt('orders', 2, 0)}),
		'2:1', "$db: set_vt(orders, 2, 0) ends the lease of in-flight message 2");
	is($node->safe_psql($db, q{
			SELECT string_agg(msg_id || ':' || read_ct || ':' || message::text || ':'
							  || coalesce(headers::text, '-'), ',' ORDER BY msg_id)
			  FROM pgq.read('orders', 30, 10)}),
		'2:2:{"n": 2}:{"h": "two"}',
		"$db: then read returns message 2 with read_ct 2, payload and headers intact (1 stays hidden)");
	my $new_id = $node->safe_psql($db, q{SELECT pgq.send('orders', '{"n": 10}')});
	is($new_id, 10, "$db: send(orders) continues above the old ids (10)");
	is($node->safe_psql($db, q{SELECT pgq.archive('orders', 7)}), 't', "$db: archive(orders, 7)");
	is($node->safe_psql($db, q{
			SELECT string_agg(msg_id || ':' || read_ct, ',' ORDER BY msg_id) FROM pgq.a_orders}),
		'5:1,6:0,7:2', "$db: the archive of orders holds 5, 6 and now 7");
	is($node->safe_psql($db, q{SELECT pgq.delete('orders', 9)}), 't', "$db: delete(orders, 9)");
	is($node->safe_psql($db, q{
			SELECT queue_length || ' ' || queue_visible_length || ' ' || total_messages
			  FROM pgq.metrics('orders')}),
		'5 1 10', "$db: metrics(orders): 5 messages (1, 2, 3, 4, 10), 1 visible, 10 ever sent");

	# events, purged, idle
	is($node->safe_psql($db, q{
			SELECT msg_id || ':' || read_ct || ':' || message::text || ':' || headers::text
			  FROM pgq.pop('events')}),
		'4:0:{"e": 4}:{"k": 4}', "$db: pop(events) returns 4 (1 is in flight) with its headers");
	is($node->safe_psql($db, q{SELECT pgq.send('events', '{"e": 6}')}), 6,
		"$db: send(events) continues at 6");
	is($node->safe_psql($db, q{SELECT pgq.send('purged', '{"p": 4}')}), 4,
		"$db: send(purged) continues at 4 though the queue was empty");
	is($node->safe_psql($db, q{SELECT pgq.send('idle', '{"i": 1}')}), 1,
		"$db: send(idle), a queue never used, starts at 1");

	# (c) the grants at work
	is($node->safe_psql($db, q{
			SET ROLE dr_consumer;
			SELECT string_agg(msg_id || ':' || read_ct, ',') FROM pgq.read('orders', 30, 10);
			SELECT pgq.delete('orders', 10);}),
		"10:1\nt", "$db (c): dr_consumer reads and deletes in orders");
	is($node->safe_psql($db, q{
			SET ROLE dr_producer;
			SELECT pgq.send('events', '{"e": 7}');}),
		7, "$db (c): dr_producer sends to events");
	is($node->safe_psql($db, q{
			SET ROLE dr_admin;
			SELECT pgq.purge_queue('purged');}),
		1, "$db (c): dr_admin purges purged");
	($state, $err) = sqlstate($db, "SET ROLE dr_stranger;\nSELECT pgq.read('orders', 30, 1);");
	is($state, '42501', "$db (c): a role without grants gets 42501 from read(orders)");
	($state, $err) = sqlstate($db, "SET ROLE dr_consumer;\nSELECT pgq.read('events', 30, 1);");
	is($state, '42501', "$db (c): dr_consumer gets 42501 from read(events), not granted to it");

	# queue DDL
	is($node->safe_psql($db, q{
			SELECT pgq.create_queue('added', unlogged => true);
			SELECT pgq.send('added', '{}');
			SELECT relpersistence FROM pg_class
			 WHERE oid = pg_get_serial_sequence('pgq.q_added', 'msg_id')::regclass;
			SELECT pgq.drop_queue('added');}),
		"\n1\np\nt", "$db: create_queue, send, drop_queue of a new queue work");
	is($node->safe_psql($db, q{SELECT pgq.drop_queue('purged')}), 't',
		"$db: drop_queue of a restored queue works");
	is($node->safe_psql($db, q{
			SELECT (SELECT string_agg(queue_name, ',' ORDER BY queue_name) FROM pgq.meta) || ' '
				   || (SELECT count(*) FROM pg_class WHERE relname ~ '^[qa]_(purged|added)')}),
		'events,idle,orders 0', "$db: the dropped queues are gone from pgq.meta and pg_class");
}

# src is untouched by the dumps
same_text(data_state('src'), $src_data, 'src: unchanged by pg_dump', '- now, + before');

$node->stop;

done_testing();
