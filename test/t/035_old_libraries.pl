# test/t/035_old_libraries.pl: the update to 0.4.0 on queues that the released libraries made
#
# 030_upgrade.pl walks the update chain from the oldest installed version only, with one
# owner for everything.  Here every release makes queues with its own library, for several
# roles: each library is built from its commit in the repository's history (the map in
# PgqRelease.pm), into this test's temporary directory (never installed):
#   0.1.0  b8cab1c      0.2.0  41847db      0.3.0  bb2d05b
# In one cluster, database db_<V> gets CREATE EXTENSION pgq VERSION 'V' (the installed scripts),
# and then pg_proc.probin of pgq's C functions is pointed at the old library, so that the queue
# code that runs is that release's.  Non-superuser roles given what that release said a queue
# creator needs (0.2.0, 0.3.0: CREATE on schema pgq, INSERT and DELETE on pgq.meta; 0.1.0 said
# nothing: USAGE and CREATE on schema pgq, SELECT, INSERT and DELETE on pgq.meta, what its
# create_queue and drop_queue need) create a logged and an unlogged queue, send, read (messages
# in flight), archive and delete; producers, consumers and admins get their rights with
# grant_producer / grant_consumer / grant_admin (0.1.0, which had none, with the same GRANTs by
# hand).  Then probin goes back to '$libdir/pgq' (the installed library), every later session is
# a new one, and ALTER EXTENSION pgq UPDATE takes each database to the default version.
#
# Checked before the update (that the old libraries did the work): probin named them; the
# 0.1.0 library tied its queue tables to the extension in pg_depend; the 0.2.0 library made the
# vt index on (vt), the 0.3.0 library on (vt, msg_id); the creators own their queue tables.
#
# Checked after the update, the trust model of 0.4.0:
#   - each queue table belongs to the extension's owner; pgq.meta.owner records the creator
#   - no pg_depend row ties a queue table to the extension (not the 0.1.0 library's dependency,
#     nor membership, which tables made while the update script runs would get), and DROP
#     EXTENSION pgq CASCADE in a copy of the database leaves the queue tables and their rows
#   - every message and archive row is as it was (msg_id, read_ct, times, message, headers); the
#     next send's id is above every old one
#   - the rights go on through pgq's functions: producer, consumer, both, admin, owner, a role
#     without grants (42501); the owner grants to a new role and drops its queue
#   - only the extension's owner may write pgq.meta or create in schema pgq; nobody else holds
#     TRIGGER or REFERENCES on queue tables, and direct writes to them do not get through
#     (INSERT: 42501, UPDATE / DELETE: no rows); a consumer may neither INSERT into the archive
#     nor DELETE from it (42501); an admin's DELETE prunes it
#   - the former creators may go on creating queues: EXECUTE on pgq.create_queue(text, boolean),
#     which PUBLIC no longer has
#
# The old releases are built (PgqRelease.pm) from git history: the repository above this file's
# directory, or the one PGQ_GIT_DIR names (test/run.sh's scratch copy of the tree has no .git).
# Without history the test fails; it does not skip.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PgqRelease qw(version_cmp);

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my @old = PgqRelease::releases();

# roles: the queue creators (maker3 may create queues but made none), the roles the creators
# grant access to, a role without grants, and one the owner grants to after the update
my @makers = qw(maker1 maker2 maker3);
my @roles = (@makers, qw(producer consumer prodcons admin stranger newbie));

my $tmp = PostgreSQL::Test::Utils::tempdir;

#
# Build the old libraries
#
my $git_dir = PgqRelease::git_dir();
my $pg_config = PgqRelease::pg_config();

my $built = ok(defined $git_dir,
	'the git history to build the old releases from is there: '
	  . ($git_dir // PgqRelease::no_git_dir()));
if ($built)
{
	for my $v (@old)
	{
		my $why = PgqRelease::build($tmp, $v);
		is($why, '', "the $v library is built from commit $PgqRelease::commit{$v} into $tmp/pgq-$v")
		  or $built = 0;
	}
}
if (!$built)
{
	diag('cannot build the old releases\' libraries: nothing to test');
	done_testing();
	exit 1;
}

my $node = PostgreSQL::Test::Cluster->new('old_libraries');
$node->init;
$node->start;

is(PgqRelease::pkglibdir(),
	$node->safe_psql('postgres', q{SELECT setting FROM pg_config() WHERE name = 'PKGLIBDIR'}),
	"the libraries were built with the server's pg_config ($pg_config)");

my $default = $node->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'pgq'});
ok(version_cmp($default, '0.4.0') >= 0, "the default version ($default) is 0.4.0 or later");
my $installed = $node->safe_psql('postgres',
	q{SELECT string_agg(version, ',') FROM pg_available_extension_versions WHERE name = 'pgq'});
for my $v (@old)
{
	ok(grep({ $_ eq $v } split /,/, $installed), "the SQL script of $v is installed");
}

#
# Helpers: statements as a role (undef: the bootstrap superuser), each in a new session
#
sub connstr
{
	my ($db, $role) = @_;
	return $node->connstr($db) . (defined $role ? " user=$role" : '');
}

# value(db, role, sql): what sql prints, or "(failed: <stderr>)"
sub value
{
	my ($db, $role, $sql) = @_;
	my ($out, $err) = ('', '');
	my $ret = $node->psql($db, $sql, connstr => connstr($db, $role),
		on_error_stop => 1, stdout => \$out, stderr => \$err);
	return $ret == 0 ? $out : "(failed: $err)";
}

# sqlstate(db, role, sql): the SQLSTATE sql failed with, "00000" if it did not
sub sqlstate
{
	my ($db, $role, $sql) = @_;
	my ($out, $err) = ('', '');
	# the statement must end before \echo, or psql runs the \echo first
	$sql .= ';' unless $sql =~ /;\s*$/;
	$node->psql($db, "$sql\n\\echo :LAST_ERROR_SQLSTATE\n", connstr => connstr($db, $role),
		on_error_stop => 0, stdout => \$out, stderr => \$err);
	my @lines = split /\n/, $out;
	return $lines[-1] // "(no output; stderr: $err)";
}

# as(db, role, sql): run sql as role, die on error (the harness, not a check)
sub as
{
	my ($db, $role, $sql) = @_;
	return $node->safe_psql($db, $sql, connstr => connstr($db, $role));
}

$node->safe_psql('postgres', join '', map { "CREATE ROLE $_ LOGIN;\n" } @roles);

# every row of the queue tables, pgq.meta and the msg_id sequences, as text
my @tables = qw(a_events a_orders q_events q_orders);
sub queue_state
{
	my ($db) = @_;
	my $sql = q{SET TimeZone = 'UTC';
		SELECT format('meta %s %s %s', queue_name, is_unlogged, created_at)
		  FROM pgq.meta ORDER BY queue_name;
	};
	for my $t (@tables)
	{
		my $archived = $t =~ /^a_/ ? ', archived_at' : '';
		$sql .= qq{SELECT format('$t %s', concat_ws(' ', msg_id, read_ct, enqueued_at,
						coalesce(last_read_at::text, '-'), vt, message, coalesce(headers::text, '-')
						$archived))
			  FROM pgq.$t ORDER BY msg_id;
		};
	}
	for my $q (qw(orders events))
	{
		$sql .= qq{SELECT 'seq $q ' || last_value || ' ' || is_called FROM pgq.q_${q}_msg_id_seq;\n};
	}
	return value($db, undef, $sql);
}

# the number of rows in every queue table there is: "a_events=1,a_orders=1,..."
my $row_counts = q{
	SELECT string_agg(c.relname || '=' || (xpath('/row/n/text()',
			query_to_xml(format('SELECT count(*) AS n FROM pgq.%I', c.relname), false, true, '')))[1]::text,
		',' ORDER BY c.relname)
	  FROM pg_class c
	 WHERE c.relnamespace = 'pgq'::regnamespace AND c.relkind = 'r' AND c.relname ~ '^[qa]_[^$]*$'};

# the owners of the queue tables: "a_events=maker2,..." (the ring's children apart)
my $table_owners = q{
	SELECT string_agg(relname || '=' || relowner::regrole::text, ',' ORDER BY relname)
	  FROM pg_class
	 WHERE relnamespace = 'pgq'::regnamespace AND relkind = 'r' AND relname ~ '^[qa]_[^$]*$'};

# the children of the queue tables (ring.c), with their owners and parents
my $ring_children = q{
	SELECT string_agg(c.relname || '=' || c.relowner::regrole::text || '<' || p.relname, ','
					  ORDER BY c.relname)
	  FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid JOIN pg_class p ON p.oid = i.inhparent
	 WHERE c.relnamespace = 'pgq'::regnamespace AND c.relkind = 'r' AND c.relname ~ '^[qa]_'};

# the rows of pg_depend that tie a queue table to the extension directly
my $extension_deps = PgqRelease::extension_deps_sql();

# holders(acls, privileges...): SQL listing "role:privilege" for every role but the extension's
# owner (PUBLIC as "public") holding one of the privileges in one of the ACLs that the query
# acls returns
sub holders
{
	my ($acls, @privileges) = @_;
	my $list = join ', ', map { "'$_'" } @privileges;
	return qq{
		SELECT coalesce(string_agg(DISTINCT
				   CASE WHEN a.grantee = 0 THEN 'public' ELSE a.grantee::regrole::text END
				   || ':' || a.privilege_type, ',' ORDER BY
				   CASE WHEN a.grantee = 0 THEN 'public' ELSE a.grantee::regrole::text END
				   || ':' || a.privilege_type), '')
		  FROM ($acls) x(acl), aclexplode(x.acl) a
		 WHERE a.privilege_type IN ($list)
		   AND a.grantee <> (SELECT extowner FROM pg_extension WHERE extname = 'pgq')};
}
# table_acls(condition): SQL returning the ACLs, table and column level, of the tables c in
# pg_class for which condition holds
sub table_acls
{
	my ($condition) = @_;
	return qq{
		SELECT c.relacl FROM pg_class c WHERE $condition
		UNION ALL
		SELECT a.attacl FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		 WHERE $condition AND a.attacl IS NOT NULL};
}
my $queue_table = q{c.relnamespace = 'pgq'::regnamespace AND c.relkind = 'r' AND c.relname ~ '^[qa]_'};

#
# The old releases make their queues
#
my %before;
for my $v (@old)
{
	my $db = 'db_' . ($v =~ tr/./_/r);
	my $so = PgqRelease::library($tmp, $v);
	my $makers = join ', ', @makers;

	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, "CREATE EXTENSION pgq VERSION '$v'");
	my $pointed = PgqRelease::use_library($node, $db, $so);
	is(PgqRelease::c_functions_using($node, $db, $so), "$pointed of $pointed",
		"$v: pg_proc.probin of every C function of pgq names the old library $so");
	cmp_ok($pointed, '>', 20, "$v: that is $pointed functions");

	# what a queue creator needed, as the release said (0.1.0 said nothing: what its code needs)
	if ($v eq '0.1.0')
	{
		$node->safe_psql($db, qq{
			GRANT USAGE ON SCHEMA pgq TO PUBLIC;
			GRANT CREATE ON SCHEMA pgq TO $makers;
			GRANT SELECT, INSERT, DELETE ON pgq.meta TO $makers;
		});
	}
	else
	{
		$node->safe_psql($db, qq{
			GRANT CREATE ON SCHEMA pgq TO $makers;
			GRANT INSERT, DELETE ON pgq.meta TO $makers;
		});
	}

	as($db, 'maker1', q{
		SELECT pgq.create_queue('orders');
		SELECT pgq.send('orders', jsonb_build_object('n', i),
						CASE WHEN i % 2 = 0 THEN jsonb_build_object('h', i) END)
		  FROM generate_series(1, 6) i;
		SELECT pgq.send('orders', '{"n": 7}', 3600);  -- delayed by an hour
	});
	as($db, 'maker2', q{
		SELECT pgq.create_queue('events', unlogged => true);
		SELECT pgq.send('events', jsonb_build_object('e', i), jsonb_build_object('k', 'v' || i))
		  FROM generate_series(1, 4) i;
	});

	# the rights of the other roles
	my %grants = (producer => ['producer'], consumer => ['consumer'],
		prodcons => [ 'producer', 'consumer' ], admin => ['admin']);
	for my $q ([ 'orders', 'maker1' ], [ 'events', 'maker2' ])
	{
		my ($queue, $owner) = @$q;
		my $sql = '';
		for my $role (sort keys %grants)
		{
			for my $kind (@{ $grants{$role} })
			{
				if ($v ne '0.1.0')
				{
					$sql .= "SELECT pgq.grant_$kind('$queue', '$role');\n";
				}
				elsif ($kind eq 'producer')
				{
					$sql .= "GRANT INSERT, SELECT (msg_id) ON pgq.q_$queue TO $role;\n";
				}
				elsif ($kind eq 'consumer')
				{
					$sql .= "GRANT SELECT, UPDATE, DELETE ON pgq.q_$queue TO $role;\n"
					  . "GRANT INSERT, SELECT (msg_id) ON pgq.a_$queue TO $role;\n"
					  . "GRANT SELECT ON SEQUENCE pgq.q_${queue}_msg_id_seq TO $role;\n";
				}
				else
				{
					$sql .= "GRANT ALL ON pgq.q_$queue, pgq.a_$queue TO $role;\n"
					  . "GRANT ALL ON SEQUENCE pgq.q_${queue}_msg_id_seq TO $role;\n";
				}
			}
		}
		as($db, $owner, $sql);
	}

	# messages in flight, archived, deleted, sent by a producer
	is(as($db, 'consumer', q{SELECT msg_id FROM pgq.read('orders', 3600, 2)}), "1\n2",
		"$v (old library): the consumer reads orders 1, 2 (in flight for an hour)");
	is(as($db, 'consumer', q{
			SELECT pgq.archive('orders', 3);
			SELECT pgq.delete('orders', 4);
			SELECT msg_id FROM pgq.read('events', 3600, 1);
			SELECT pgq.archive('events', ARRAY[2]::bigint[]);}),
		"t\nt\n1\n2", "$v (old library): the consumer archives, deletes, reads events");
	is(as($db, 'prodcons', q{SELECT pgq.send('orders', '{"n": 8}', '{"from": "prodcons"}'::jsonb)}),
		8, "$v (old library): a producer sends orders 8");
	is(as($db, 'producer', q{SELECT pgq.send('events', '{"e": 5}')}), 5,
		"$v (old library): a producer sends events 5");

	# the old library did the work
	is($node->safe_psql($db, $table_owners),
		'a_events=maker2,a_orders=maker1,q_events=maker2,q_orders=maker1',
		"$v (old library): the creators own their queue tables");
	is($node->safe_psql($db, $extension_deps),
		$v eq '0.1.0' ? 'a_events:n,a_orders:n,q_events:n,q_orders:n' : '',
		"$v (old library): "
		  . ($v eq '0.1.0'
			? 'each queue table depends on the extension in pg_depend, as the 0.1.0 library recorded'
			: 'no queue table depends on the extension in pg_depend'));
	is($node->safe_psql($db,
			q{SELECT pg_get_indexdef('pgq.q_orders_vt_idx'::regclass)}),
		'CREATE INDEX q_orders_vt_idx ON pgq.q_orders USING btree '
		  . ($v eq '0.3.0' ? '(vt, msg_id)' : '(vt)'),
		"$v (old library): the vt index is the one the $v library made");

	# the privileges the checks after the update look at, as the old release left them (which
	# also shows that those checks see grants)
	is($node->safe_psql($db,
			holders(q{SELECT nspacl FROM pg_namespace WHERE nspname = 'pgq'}, 'CREATE')),
		'maker1:CREATE,maker2:CREATE,maker3:CREATE',
		"$v (old library): the creators hold CREATE on schema pgq");
	is($node->safe_psql($db, holders(table_acls(q{c.oid = 'pgq.meta'::regclass}),
				qw(INSERT UPDATE DELETE TRUNCATE TRIGGER REFERENCES))),
		join(',', map { ("$_:DELETE", "$_:INSERT") } @makers),
		"$v (old library): the creators hold INSERT and DELETE on pgq.meta");
	is($node->safe_psql($db, holders(table_acls($queue_table), qw(TRIGGER REFERENCES))),
		'admin:REFERENCES,admin:TRIGGER,maker1:REFERENCES,maker1:TRIGGER,maker2:REFERENCES,maker2:TRIGGER',
		"$v (old library): the admin and the creators hold TRIGGER and REFERENCES on the queue tables");
	is($node->safe_psql($db, q{
			SELECT count(*) FROM pg_proc p,
				   aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
			 WHERE p.oid = 'pgq.create_queue(text, boolean)'::regprocedure
			   AND a.grantee = 0 AND a.privilege_type = 'EXECUTE'}),
		1, "$v (old library): PUBLIC holds EXECUTE on pgq.create_queue(text, boolean)");

	# back to the installed library; every session from now on is a new one
	PgqRelease::use_installed_library($node, $db, $so);
	is(PgqRelease::c_functions_using($node, $db, '$libdir/pgq'), "$pointed of $pointed",
		"$v: probin names the installed library again");

	$before{$v} = {
		state => queue_state($db),
		counts => value($db, undef, $row_counts),
		max_id => value($db, undef, q{
			SELECT max(id) FROM (SELECT last_value FROM pgq.q_orders_msg_id_seq
								 UNION ALL SELECT msg_id FROM pgq.q_orders
								 UNION ALL SELECT msg_id FROM pgq.a_orders) s(id)}),
	};
	like($before{$v}{state}, qr/^q_orders 8 /m, "$v: the state before the update is recorded");
}

#
# The update, and the queues after it
#
for my $v (@old)
{
	my $db = 'db_' . ($v =~ tr/./_/r);
	my $copy = "copy_" . ($v =~ tr/./_/r);

	is(value($db, undef, q{
			ALTER EXTENSION pgq UPDATE;
			SELECT extversion FROM pg_extension WHERE extname = 'pgq'}),
		$default, "$v: ALTER EXTENSION pgq UPDATE gives the default version $default");
	my $extowner = value($db, undef,
		q{SELECT extowner::regrole FROM pg_extension WHERE extname = 'pgq'});

	# ownership
	is(value($db, undef, $table_owners),
		join(',', map { "$_=$extowner" } @tables),
		"$v: every queue table belongs to the extension's owner ($extowner)");
	is(value($db, undef, $ring_children),
		join(',', map { my $t = $_; map { "$t\$$_=$extowner<$t" } 0 .. 2 } @tables),
		"$v: each queue table has its three children, owned by $extowner");
	like(value($db, undef, q{
			SELECT format_type(atttypid, atttypmod) FROM pg_attribute
			 WHERE attrelid = 'pgq.meta'::regclass AND attname = 'owner' AND NOT attisdropped}),
		qr/^(oid|regrole)$/, "$v: pgq.meta has a column owner (a role's oid)");
	is(value($db, undef, q{
			SELECT string_agg(queue_name || '=' || owner::oid::regrole::text, ',' ORDER BY queue_name)
			  FROM pgq.meta}),
		'events=maker2,orders=maker1', "$v: pgq.meta.owner records the creating role of each queue");

	# the tie to the extension
	is(value($db, undef, $extension_deps), '',
		"$v: no pg_depend row ties a queue table to the extension (neither a dependency nor "
		  . 'membership)');

	# the messages
	is(queue_state($db), $before{$v}{state},
		"$v: every message, archive row, pgq.meta row and sequence is as before the update");

	# DROP EXTENSION CASCADE leaves the queue tables with their rows
	is(value('postgres', undef, "CREATE DATABASE $copy TEMPLATE $db"), '',
		"$v: a copy of the updated database is made");
	is(value($copy, undef, 'DROP EXTENSION pgq CASCADE'), '',
		"$v: DROP EXTENSION pgq CASCADE in the copy");
	is(value($copy, undef, $row_counts), $before{$v}{counts},
		"$v: after DROP EXTENSION pgq CASCADE the queue tables are there with all their rows "
		  . "($before{$v}{counts})");

	# who may write pgq's catalog and schema
	is(value($db, undef,
			holders(q{SELECT nspacl FROM pg_namespace WHERE nspname = 'pgq'}, 'CREATE')),
		'', "$v: no role but the extension's owner holds CREATE on schema pgq");
	is(value($db, undef, holders(table_acls(q{c.oid = 'pgq.meta'::regclass}),
				qw(INSERT UPDATE DELETE TRUNCATE TRIGGER REFERENCES))),
		'', "$v: no role but the extension's owner holds INSERT, UPDATE, DELETE, TRUNCATE, "
		  . 'TRIGGER or REFERENCES on pgq.meta');
	is(value($db, undef, holders(table_acls($queue_table),
				qw(TRIGGER REFERENCES))),
		'', "$v: no role but the extension's owner holds TRIGGER or REFERENCES on a queue table");

	# creating queues
	is(value($db, undef, join ' UNION ALL ', map {
				"SELECT '$_=' || has_function_privilege('$_', 'pgq.create_queue(text, boolean)', 'EXECUTE')"
			} @makers),
		join("\n", map { "$_=true" } @makers),
		"$v: the former creators hold EXECUTE on pgq.create_queue(text, boolean)");
	is(value($db, undef, q{
			SELECT count(*) FROM pg_proc p,
				   aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
			 WHERE p.oid = 'pgq.create_queue(text, boolean)'::regprocedure
			   AND a.grantee = 0 AND a.privilege_type = 'EXECUTE'}),
		0, "$v: PUBLIC does not hold EXECUTE on pgq.create_queue(text, boolean)");
	is(sqlstate($db, 'stranger', q{SELECT pgq.create_queue('nope')}), '42501',
		"$v: a role that never could create queues cannot now (42501)");
	is(value($db, 'maker3', q{SELECT pgq.create_queue('later')}), '',
		"$v: a former creator creates a queue after the update");
	is(value($db, undef, q{
			SELECT string_agg(c.relname || '=' || (c.relowner = e.extowner), ',' ORDER BY c.relname)
			       || ' ' || (SELECT owner::oid::regrole::text FROM pgq.meta WHERE queue_name = 'later')
			  FROM pg_class c, pg_extension e
			 WHERE e.extname = 'pgq' AND c.relnamespace = 'pgq'::regnamespace
			   AND c.relname IN ('q_later', 'a_later')}),
		'a_later=true,q_later=true maker3',
		"$v: its tables belong to the extension's owner, pgq.meta.owner is its creator");

	# the next id
	like(value($db, 'producer', qq{SELECT pgq.send('orders', '{"n": "after"}') > $before{$v}{max_id}}),
		qr/^t$/, "$v: the next send's msg_id is above every old one ($before{$v}{max_id})");

	# the rights, through pgq's functions
	is(sqlstate($db, 'producer', q{SELECT pgq.send('events', '{"e": "p"}')}), '00000',
		"$v: the producer sends");
	is(sqlstate($db, 'producer', q{SELECT pgq.read('orders', 30, 1)}), '42501',
		"$v: the producer may not read (42501)");
	is(value($db, 'consumer', q{SELECT msg_id FROM pgq.read('orders', 30, 2)}), "5\n6",
		"$v: the consumer reads the visible old messages (not those in flight nor the delayed)");
	is(value($db, 'consumer', q{SELECT pgq.archive('orders', 5)}), 't',
		"$v: the consumer archives an old message");
	is(value($db, 'consumer', q{SELECT pgq.delete('orders', 6)}), 't',
		"$v: the consumer deletes an old message");
	is(sqlstate($db, 'consumer', q{SELECT pgq.send('orders', '{}')}), '42501',
		"$v: the consumer may not send (42501)");
	is(sqlstate($db, 'prodcons', q{SELECT pgq.send('orders', '{}')}), '00000',
		"$v: a role that is producer and consumer sends");
	is(sqlstate($db, 'prodcons', q{SELECT pgq.read('orders', 30, 1)}), '00000',
		"$v: and reads");
	is(sqlstate($db, 'stranger', q{SELECT pgq.read('orders', 30, 1)}), '42501',
		"$v: a role without grants may not read (42501)");
	is(sqlstate($db, 'stranger', q{SELECT pgq.send('orders', '{}')}), '42501',
		"$v: a role without grants may not send (42501)");
	is(sqlstate($db, 'maker2', q{SELECT pgq.send('orders', '{}')}), '42501',
		"$v: another queue's creator, without grants, may not send (42501)");
	is(sqlstate($db, 'maker1', q{SELECT pgq.send('orders', '{"n": "owner"}')}), '00000',
		"$v: the creator sends to its queue");
	is(sqlstate($db, 'maker1', q{SELECT pgq.read('orders', 30, 1)}), '00000',
		"$v: the creator reads its queue");

	# direct writes to the queue tables
	for my $role (qw(producer prodcons admin maker1))
	{
		is(sqlstate($db, $role, q{INSERT INTO pgq.q_orders (message) VALUES ('{"direct": true}')}),
			'42501', "$v: $role may not INSERT into pgq.q_orders directly (42501)");
	}
	for my $role (qw(consumer prodcons admin))
	{
		is(value($db, $role, q{
				WITH u AS (UPDATE pgq.q_orders SET vt = now() RETURNING 1) SELECT count(*) FROM u}),
			0, "$v: ${role}'s direct UPDATE of pgq.q_orders changes no row");
		is(value($db, $role, q{
				WITH d AS (DELETE FROM pgq.q_orders RETURNING 1) SELECT count(*) FROM d}),
			0, "$v: ${role}'s direct DELETE from pgq.q_orders deletes no row");
	}
	is(sqlstate($db, 'consumer', q{
			INSERT INTO pgq.a_orders (msg_id, vt, message) VALUES (1000, now(), '{"direct": true}')}),
		'42501', "$v: consumer may not INSERT into the archive pgq.a_orders directly (42501)");
	# a consumer holds no privilege to DELETE from the archive
	is(sqlstate($db, 'consumer', q{DELETE FROM pgq.a_orders}),
		'42501', "$v: consumer may not DELETE from the archive pgq.a_orders directly (42501)");
	# pruning the archive is an admin's (documented), and the rows are really gone
	my $archived = value($db, undef, q{SELECT count(*) FROM pgq.a_orders});
	ok($archived > 0, "$v: the archive pgq.a_orders has rows ($archived)");
	is(value($db, 'admin', q{
			WITH d AS (DELETE FROM pgq.a_orders RETURNING 1) SELECT count(*) FROM d}),
		$archived, "$v: admin's direct DELETE prunes the archive pgq.a_orders");

	# the owner's own rights
	is(sqlstate($db, 'maker2', q{SELECT pgq.grant_consumer('orders', 'newbie')}), '42501',
		"$v: a role that does not own the queue may not grant on it (42501)");
	is(sqlstate($db, 'maker1', q{SELECT pgq.grant_consumer('orders', 'newbie')}), '00000',
		"$v: the creator grants consumer on its queue to a new role");
	is(sqlstate($db, 'newbie', q{SELECT pgq.read('orders', 30, 1)}), '00000',
		"$v: which then reads");
	like(value($db, 'admin', q{SELECT pgq.purge_queue('events')}), qr/^[1-9]\d*$/,
		"$v: the admin purges a queue");
	is(value($db, 'maker1', q{SELECT pgq.drop_queue('orders')}), 't',
		"$v: the creator drops its queue");
	is(value($db, undef, q{
			SELECT count(*) FROM pg_class
			 WHERE relnamespace = 'pgq'::regnamespace AND relname IN ('q_orders', 'a_orders')}),
		0, "$v: its tables are gone");
}

$node->stop;

done_testing();
