# test/t/030_upgrade.pl: walking the upgrade chain gives what a fresh install gives
#
# The versions come from the server (pg_available_extension_versions and
# pg_extension_update_paths), so the test judges the installed scripts.  Database "upgraded"
# gets the oldest version, and queues made by that version's own library: it is built from its
# commit in the repository's history (PgqRelease.pm, as in 035_old_libraries.pl) into this
# test's temporary directory, and pg_proc.probin of pgq's C functions points at it while the
# queues are made and used; then probin goes back to '$libdir/pgq' (the installed library, which
# refuses to work on objects older than its own version), and every later session is a new one.
# The queues hold messages in every state (visible, in flight, delayed, archived, deleted, with
# and without headers; logged and unlogged); a pgq.meta row whose tables are gone ("orphan") is
# added by hand.  Then ALTER EXTENSION pgq UPDATE TO each next version in turn, up to the
# default.  Database "fresh" gets CREATE EXTENSION pgq.
#
# Checked:
#   - before the update, that the old library made the queues: probin named it; the vt index
#     it made ((vt) before 0.3.0, (vt, msg_id) since), the dependency on the extension it
#     recorded in pg_depend (0.1.0) or not, the unlogged queue's msg_id sequence (logged by
#     every release); pgq.meta has no column owner (before 0.4.0)
#   - before the update, the installed library refuses to work on the old objects (55000, with
#     a hint to run ALTER EXTENSION pgq UPDATE): list_queues, metrics, read, send, create_queue,
#     drop_queue (in a copy of the database)
#   - every step of the walk succeeds; an update to 0.4.0 or later removes the orphan pgq.meta
#     row (a walk that does not cross 0.4.0 leaves it).  Its NOTICE is not checked: ALTER
#     EXTENSION runs the scripts with client_min_messages at least WARNING, so no client sees it
#   - the extension's objects in both databases are the same: its members, functions
#     (definition, ACL, volatility, strictness, security, settings), types (attributes in
#     order), tables (columns, defaults, constraints, indexes, ACLs, persistence), sequences,
#     comments, pg_extension's config tables and conditions, schema pgq's ACL, initial privileges
#   - the queues made before the upgrade keep every row, read and archive as before, hand out
#     ids above the old ones, report the right metrics, still hold DROP EXTENSION back
#   - the msg_id sequences are logged after the upgrade
#   - the old queues' tables are as create_queue makes a queue after the update: owner (the
#     extension's owner), ACL, row-level security and policies, persistence, columns, defaults,
#     indexes, constraints; no pg_depend row ties them to the extension directly; pgq.meta.owner
#     records the role that made them
#   - the access functions of 0.2.0 work on the old queues: grant_consumer / grant_producer,
#     SET ROLE, and 42501 for a role without grants
#
# Releases before 0.6.0 build only against PostgreSQL 15 (PgqRelease::builds_on), so no server of
# a later major can hold their queues: there the walk with queues starts at the oldest release
# that builds against it, and database "scripts" gets the oldest installed version's script,
# without queues, walks the whole chain and must equal "fresh" in the catalog comparison.  When
# that release is the default one, there are no older queues to update: the test ends there.
#
# With a single installed version there is nothing to walk (and its queues are made by the
# installed library): the comparison of the two databases still runs (and says so).  The test
# fails, it does not skip, when the oldest version has no commit in PgqRelease.pm's map or there
# is no git history to build it from (PGQ_GIT_DIR, else the tree's .git).

use strict;
use warnings;

use File::Basename qw(dirname);
use File::Spec;
use List::Util qw(max);

use FindBin;
use lib $FindBin::Bin;
use PgqRelease qw(version_cmp);

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->start;

# text_diff(a, b): the lines that differ between two texts, in order ("-" only in a, "+" only
# in b); empty when they are equal.  A line inside an object's block ("function pgq.f(...)",
# "relation pgq.t", ...) is shown with the object's name in brackets.
sub text_diff
{
	my ($x, $y) = @_;
	my @a = split /\n/, $x, -1;
	my @b = split /\n/, $y, -1;
	my @l;
	my $tag = sub {
		my $obj = '';
		return map {
			my $self = /^((?:function|type|relation|sequence) \S+)/;
			$obj = $1 if $self;
			($self || $obj eq '') ? $_ : "[$obj] $_";
		} @_;
	};
	my @ta = $tag->(@a);
	my @tb = $tag->(@b);

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
			push @out, "- $ta[$i++]";
		}
		else
		{
			push @out, "+ $tb[$j++]";
		}
	}
	push @out, map { "- $_" } @ta[ $i .. $#a ];
	push @out, map { "+ $_" } @tb[ $j .. $#b ];
	return join "\n", @out;
}

# same_text(got, expected, name, labels): is() on the differences, so that a failure prints
# only them; labels says which side is which ("- got, + expected")
sub same_text
{
	my ($got, $expected, $name, $labels) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	return is(text_diff($got, $expected), '', "$name (differences: $labels)");
}

# sqlstate(db, sql): the SQLSTATE the last statement of sql failed with ("00000": none),
# and psql's stderr
sub sqlstate
{
	my ($db, $sql) = @_;
	my ($out, $err) = ('', '');
	$node->psql($db, "$sql\n\\echo :LAST_ERROR_SQLSTATE\n",
		on_error_stop => 0, stdout => \$out, stderr => \$err);
	return ($out, $err);
}

#
# The versions, as the server sees them
#
my @versions = sort { version_cmp($a, $b) } split /\n/, $node->safe_psql('postgres',
	q{SELECT version FROM pg_available_extension_versions WHERE name = 'pgq'});
my $default = $node->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'pgq'});
my $first = $versions[0];
ok(scalar @versions >= 1, 'pgq is installed: versions ' . join(', ', @versions));
is($versions[-1], $default, "the default version $default is the newest installed");

# the scripts in this tree are the ones installed (a stale install would test old scripts):
# sql/pgq--<version>.sql, and sql/pgq.sql, the script of the Makefile's EXTVERSION
my $sqldir = File::Spec->rel2abs(dirname(__FILE__) . '/../../sql');
if (-d $sqldir)
{
	opendir(my $dh, $sqldir) or die "cannot read $sqldir: $!";
	my %tree = map { /^pgq--([^-]+)\.sql$/ ? ($1 => 1) : () } readdir $dh;
	closedir $dh;
	$tree{ PgqRelease::source_version("$sqldir/..") // '(no EXTVERSION)' } = 1
	  if -f "$sqldir/pgq.sql";
	my @tree = sort { version_cmp($a, $b) } keys %tree;
	is(join(',', @versions), join(',', @tree),
		'the installed versions are those of sql/ in this tree');
}

# every older version reaches the default; the path of the oldest one whose library builds
# against this server is the chain walked below with queues
my $unreachable = $node->safe_psql('postgres', qq{
	SELECT string_agg(source, ',' ORDER BY source) FROM pg_extension_update_paths('pgq')
	 WHERE target = '$default' AND source <> '$default' AND path IS NULL});
is($unreachable, '', "every installed version has an update path to $default");

#
# The catalogs: each kind of object the extension owns, rendered one way in both databases
#
my $members = q{
	WITH m AS (
		SELECT d.classid, d.objid, d.objsubid
		  FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid
		 WHERE d.refclassid = 'pg_extension'::regclass AND e.extname = 'pgq' AND d.deptype = 'e')
};
my %render = (
	'members' => qq{$members
		SELECT o FROM (SELECT pg_describe_object(classid, objid, objsubid) FROM m) s(o)
		 ORDER BY o COLLATE "C"},

	'functions' => qq{$members
		SELECT format(E'function %s\\n  kind=%s volatile=%s strict=%s secdef=%s parallel=%s leakproof=%s'
					  ' config=%s acl=%s owner=%s language=%s comment=%s\\n%s',
					  p.oid::regprocedure, p.prokind, p.provolatile, p.proisstrict, p.prosecdef,
					  p.proparallel, p.proleakproof, coalesce(p.proconfig::text, '-'),
					  coalesce(p.proacl::text, '-'), p.proowner::regrole, l.lanname,
					  coalesce(obj_description(p.oid, 'pg_proc'), '-'),
					  pg_get_functiondef(p.oid))
		  FROM m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
				 JOIN pg_language l ON l.oid = p.prolang
		 ORDER BY p.oid::regprocedure::text COLLATE "C"},

	'types' => qq{$members
		SELECT format('type %s typtype=%s owner=%s acl=%s comment=%s', t.oid::regtype, t.typtype,
					  t.typowner::regrole, coalesce(t.typacl::text, '-'),
					  coalesce(obj_description(t.oid, 'pg_type'), '-'))
			   || coalesce((SELECT string_agg(format(E'\\n  %s %s', a.attname,
														 format_type(a.atttypid, a.atttypmod)),
											  '' ORDER BY a.attnum)
							  FROM pg_attribute a
							 WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '')
			   || CASE WHEN t.typtype = 'e' THEN E'\\n  labels '
						|| (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder)
							  FROM pg_enum WHERE enumtypid = t.oid) ELSE '' END
			   || CASE WHEN t.typtype = 'd' THEN E'\\n  base ' || format_type(t.typbasetype, t.typtypmod)
						|| ' notnull=' || t.typnotnull || ' default=' || coalesce(t.typdefault, '-')
						|| coalesce((SELECT string_agg(' ' || pg_get_constraintdef(c.oid), '' ORDER BY c.conname)
									   FROM pg_constraint c WHERE c.contypid = t.oid), '')
					   ELSE '' END
		  FROM m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
		 ORDER BY t.oid::regtype::text COLLATE "C"},

	'tables' => qq{$members
		SELECT format('relation %s kind=%s persistence=%s owner=%s acl=%s options=%s rls=%s comment=%s',
					  c.oid::regclass, c.relkind, c.relpersistence, c.relowner::regrole,
					  coalesce(c.relacl::text, '-'), coalesce(c.reloptions::text, '-'),
					  c.relrowsecurity, coalesce(obj_description(c.oid, 'pg_class'), '-'))
			   || coalesce((SELECT string_agg(format(E'\\n  column %s %s notnull=%s default=%s identity=%s'
														 ' generated=%s collation=%s acl=%s comment=%s',
														 a.attname, format_type(a.atttypid, a.atttypmod),
														 a.attnotnull,
														 coalesce(pg_get_expr(ad.adbin, ad.adrelid), '-'),
														 a.attidentity, a.attgenerated,
														 CASE WHEN a.attcollation = 0 THEN '-'
															  ELSE a.attcollation::regcollation::text END,
														 coalesce(a.attacl::text, '-'),
														 coalesce(col_description(a.attrelid, a.attnum), '-')),
											  '' ORDER BY a.attnum)
							  FROM pg_attribute a
							  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
							 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
			   || coalesce((SELECT string_agg(format(E'\\n  constraint %s %s', co.conname,
														 pg_get_constraintdef(co.oid)),
											  '' ORDER BY co.conname COLLATE "C")
							  FROM pg_constraint co WHERE co.conrelid = c.oid), '')
			   || coalesce((SELECT string_agg(E'\\n  index ' || pg_get_indexdef(i.indexrelid), ''
											  ORDER BY pg_get_indexdef(i.indexrelid) COLLATE "C")
							  FROM pg_index i WHERE i.indrelid = c.oid), '')
			   || coalesce((SELECT string_agg(E'\\n  trigger ' || pg_get_triggerdef(tg.oid), ''
											  ORDER BY tg.tgname COLLATE "C")
							  FROM pg_trigger tg WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal), '')
			   || coalesce((SELECT string_agg(format(E'\\n  policy %s %s %s %s', po.polname, po.polcmd,
														 pg_get_expr(po.polqual, po.polrelid),
														 pg_get_expr(po.polwithcheck, po.polrelid)),
											  '' ORDER BY po.polname COLLATE "C")
							  FROM pg_policy po WHERE po.polrelid = c.oid), '')
			   || CASE WHEN c.relkind IN ('v', 'm') THEN E'\\n  view ' || pg_get_viewdef(c.oid) ELSE '' END
		  FROM m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
		 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
		 ORDER BY c.oid::regclass::text COLLATE "C"},

	# sequences the extension owns or that belong to its tables (serial, identity)
	'sequences' => qq{$members
		SELECT format('sequence %s persistence=%s owner=%s acl=%s type=%s start=%s increment=%s'
					  ' min=%s max=%s cache=%s cycle=%s comment=%s',
					  c.oid::regclass, c.relpersistence, c.relowner::regrole,
					  coalesce(c.relacl::text, '-'), s.seqtypid::regtype, s.seqstart, s.seqincrement,
					  s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
					  coalesce(obj_description(c.oid, 'pg_class'), '-'))
		  FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid
		 WHERE c.oid IN (SELECT objid FROM m WHERE classid = 'pg_class'::regclass)
			OR c.oid IN (SELECT d.objid FROM pg_depend d JOIN m ON d.refobjid = m.objid
						  WHERE m.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
							AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
		 ORDER BY c.oid::regclass::text COLLATE "C"},

	'comments' => qq{$members
		SELECT line FROM (
			SELECT format('%s: %s', pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description)
			  FROM pg_description d JOIN m ON d.classoid = m.classid AND d.objoid = m.objid
			UNION ALL
			SELECT format('extension pgq: %s', obj_description(e.oid, 'pg_extension'))
			  FROM pg_extension e WHERE e.extname = 'pgq'
			UNION ALL
			SELECT format('schema pgq: %s', obj_description('pgq'::regnamespace, 'pg_namespace'))
		) s(line)
		ORDER BY line COLLATE "C"},

	'extension' => q{
		SELECT format('extension %s version=%s owner=%s schema=%s relocatable=%s config=%s condition=%s',
					  e.extname, e.extversion, e.extowner::regrole, e.extnamespace::regnamespace,
					  e.extrelocatable,
					  coalesce((SELECT array_agg(u.c::regclass::text ORDER BY u.ord)
								  FROM unnest(e.extconfig) WITH ORDINALITY u(c, ord))::text, '-'),
					  coalesce(e.extcondition::text, '-'))
		  FROM pg_extension e WHERE e.extname = 'pgq'},

	'schema' => q{
		SELECT format('schema %s owner=%s acl=%s', n.nspname, n.nspowner::regrole,
					  coalesce(n.nspacl::text, '-'))
		  FROM pg_namespace n WHERE n.nspname = 'pgq'},

	# what pg_dump takes as the extension's own privileges
	'initial privileges' => qq{$members
		SELECT line FROM (
			SELECT format('%s %s %s', pg_describe_object(i.classoid, i.objoid, i.objsubid),
						  i.privtype, i.initprivs)
			  FROM pg_init_privs i
			 WHERE (i.classoid, i.objoid) IN (SELECT classid, objid FROM m)
				OR (i.classoid = 'pg_namespace'::regclass AND i.objoid = 'pgq'::regnamespace)
		) s(line)
		ORDER BY line COLLATE "C"},
);

# kinds that must not come out empty (an empty rendering on both sides proves nothing)
my %nonempty = map { $_ => 1 } ('members', 'functions', 'types', 'tables', 'comments',
	'extension', 'schema');

# update_path(from): the versions pg_extension_update_paths gives from "from" to the default,
# "from" first
sub update_path
{
	my ($from) = @_;
	return split /--/, $node->safe_psql('postgres', qq{
		SELECT path FROM pg_extension_update_paths('pgq')
		 WHERE source = '$from' AND target = '$default'});
}

# walk(db, versions): ALTER EXTENSION pgq UPDATE TO each version in turn, each step checked
sub walk
{
	my ($db, @to) = @_;
	for my $to (@to)
	{
		my ($out, $err) = ('', '');
		my $ret = $node->psql($db, "ALTER EXTENSION pgq UPDATE TO '$to'",
			stdout => \$out, stderr => \$err, on_error_stop => 1);
		is($ret, 0, "$db: ALTER EXTENSION pgq UPDATE TO '$to' succeeds")
		  or diag("its stderr:\n$err");
		is($node->safe_psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'pgq'}),
			$to, "$db: ALTER EXTENSION pgq UPDATE TO '$to' gives extversion $to");
	}
	return;
}

# compare_catalogs([db, label], ...): each kind of object in each db is rendered as in "fresh"
sub compare_catalogs
{
	my @dbs = @_;
	for my $kind (sort keys %render)
	{
		my $fresh = $node->safe_psql('fresh', $render{$kind});
		if ($nonempty{$kind})
		{
			isnt($fresh, '', "catalog $kind: the fresh install has some");
		}
		for my $db (@dbs)
		{
			my ($name, $label) = @$db;
			same_text($node->safe_psql($name, $render{$kind}), $fresh,
				"catalog $kind: $label equals fresh install", "- $label, + fresh");
		}
	}
	return;
}

# releases whose library never built against this server's major can hold no queues on it:
# their scripts are walked in database "scripts", without queues, and compared with "fresh"
my $major = $node->pg_version->major;
my ($oldest) = grep { PgqRelease::builds_on($_, $major) } @versions;
my @script_steps;
if ($first ne $oldest)
{
	note("the libraries of $first to the release before $oldest do not build against "
		  . "PostgreSQL $major: the walk with queues starts at $oldest");
	@script_steps = update_path($first);
	is($script_steps[0], $first, "the update path of the scripts starts at $first");
	shift @script_steps;
	$node->safe_psql('postgres', 'CREATE DATABASE scripts');
	$node->safe_psql('scripts', "CREATE EXTENSION pgq VERSION '$first'");
	walk('scripts', @script_steps);
	is($node->safe_psql('scripts', q{SELECT extversion FROM pg_extension WHERE extname = 'pgq'}),
		$default, "scripts: at the default version $default after the walk from $first");
}

# no release older than the default builds against this major: there are no older queues to
# update, and the walk of the scripts is all there is to compare
if ($first ne $oldest && $oldest eq $default)
{
	$node->safe_psql('postgres', 'CREATE DATABASE fresh');
	$node->safe_psql('fresh', 'CREATE EXTENSION pgq');
	compare_catalogs([ 'scripts', "the install updated from $first" ]);
	note("no release before $default builds against PostgreSQL $major: no queues of an older "
		  . 'release to update');
	done_testing();
	exit 0;
}

my @steps;
if ($oldest ne $default)
{
	@steps = update_path($oldest);
	is($steps[0], $oldest, 'the update path starts at the oldest version: ' . join('--', @steps));
	shift @steps;
	is($steps[-1], $default, 'and ends at the default version');
}
else
{
	note("only one version ($default) is installed: no update to walk; "
		  . 'the catalog comparison below compares two installs of it');
	is(scalar @steps, 0, "no update steps with a single version ($default)");
}

#
# The oldest version's library, built from its commit
#
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $old_so;    # undef: the oldest version is the default, whose library is the installed one
if ($oldest ne $default)
{
	my $commit = $PgqRelease::commit{$oldest};
	my $git_dir = PgqRelease::git_dir();
	my $built = ok(defined $commit,
		"the oldest installed version $oldest has a commit to build its library from: "
		  . ($commit // 'none in the map of test/t/PgqRelease.pm (it has '
			  . join(', ', map { "$_ $PgqRelease::commit{$_}" } PgqRelease::releases())
			  . "); add $oldest there"));
	$built &&= ok(defined $git_dir,
		'the git history to build it from is there: ' . ($git_dir // PgqRelease::no_git_dir()));
	$built &&= is(PgqRelease::build($tmp, $oldest), '',
		"the $oldest library is built from commit $commit into $tmp/pgq-$oldest");
	if (!$built)
	{
		diag("cannot build the library of $oldest: its queues cannot be made, nothing to test");
		done_testing();
		exit 1;
	}
	$old_so = PgqRelease::library($tmp, $oldest);
	is(PgqRelease::pkglibdir(),
		$node->safe_psql('postgres', q{SELECT setting FROM pg_config() WHERE name = 'PKGLIBDIR'}),
		"the library was built with the server's pg_config (" . PgqRelease::pg_config() . ')');
}

#
# Database "upgraded": the oldest version, with queues its library makes
#
$node->safe_psql('postgres', 'CREATE DATABASE upgraded');
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('upgraded', "CREATE EXTENSION pgq VERSION '$oldest'");
is($node->safe_psql('upgraded', q{SELECT extversion FROM pg_extension WHERE extname = 'pgq'}),
	$oldest, "upgraded: pgq $oldest installed");

my $pointed;
if (defined $old_so)
{
	$pointed = PgqRelease::use_library($node, 'upgraded', $old_so);
	is(PgqRelease::c_functions_using($node, 'upgraded', $old_so), "$pointed of $pointed",
		"upgraded: pg_proc.probin of every C function of pgq names the $oldest library $old_so");
	cmp_ok($pointed, '>', 20, "upgraded: that is $pointed functions");
}

# every statement below runs in a new session, which loads the library probin names
$node->safe_psql('upgraded', q{
	SELECT pgq.create_queue('orders');
	SELECT pgq.create_queue('events', unlogged => true);
	SELECT pgq.create_queue('clicks', unlogged => true);

	-- orders: 1..8, headers on the even ones
	SELECT pgq.send('orders', jsonb_build_object('n', i),
					CASE WHEN i % 2 = 0 THEN jsonb_build_object('h', i) END)
	  FROM generate_series(1, 8) i;
	SELECT pgq.read('orders', 3600, 2);     -- 1, 2 in flight for an hour, read_ct 1
	SELECT pgq.read('orders', 0, 1);        -- 3 read once, visible again at once
	SELECT pgq.archive('orders', 4);        -- 4 archived
	SELECT pgq.delete('orders', 5);         -- 5 deleted
	SELECT pgq.send('orders', '{"n": 9}', 3600);  -- 9 delayed by an hour

	-- events (unlogged): 1..4 with headers
	SELECT pgq.send('events', jsonb_build_object('e', i), jsonb_build_object('k', 'v' || i))
	  FROM generate_series(1, 4) i;
	SELECT pgq.read('events', 3600, 1);     -- 1 in flight
	SELECT pgq.archive('events', ARRAY[2]::bigint[]);  -- 2 archived

	-- clicks (unlogged): 1, 2
	SELECT pgq.send_batch('clicks', ARRAY['{"c": 1}', '{"c": 2}']::jsonb[]);
});
is($node->safe_psql('upgraded', q{
		SELECT string_agg(queue_name || ':' || is_unlogged, ',' ORDER BY queue_name)
		  FROM pgq.list_queues()}),
	'clicks:true,events:true,orders:false', "before the update: the $oldest library lists its queues");

# what the old library made
my $events_seq = $node->safe_psql('upgraded',
	q{SELECT pg_get_serial_sequence('pgq.q_events', 'msg_id')});
is($events_seq, 'pgq.q_events_msg_id_seq', 'the msg_id sequence of events is found');
is($node->safe_psql('upgraded',
		"SELECT relpersistence FROM pg_class WHERE oid = '$events_seq'::regclass"),
	'p', "before the update: the msg_id sequence of the unlogged queue events is logged, as the "
	  . "$oldest library made it");
is($node->safe_psql('upgraded',
		q{SELECT string_agg(pg_get_indexdef(('pgq.q_' || q || '_vt_idx')::regclass), E'\n' ORDER BY q)
			FROM unnest(ARRAY['clicks', 'events', 'orders']) q}),
	join("\n", map {
			"CREATE INDEX q_${_}_vt_idx ON pgq.q_$_ USING btree "
			  . (version_cmp($oldest, '0.3.0') < 0 ? '(vt)' : '(vt, msg_id)')
		} qw(clicks events orders)),
	"before the update: the vt indexes are the ones the $oldest library made");

# the rows of pg_depend that tie a queue table to the extension directly
my $extension_deps = PgqRelease::extension_deps_sql();
my $ties = version_cmp($oldest, '0.2.0') < 0;
is($node->safe_psql('upgraded', $extension_deps),
	$ties ? join(',', sort map { ("a_$_:n", "q_$_:n") } qw(clicks events orders)) : '',
	'before the update: '
	  . ($ties
		? "each queue table depends on the extension in pg_depend, as the $oldest library recorded"
		: 'no queue table depends on the extension in pg_depend'));
if (version_cmp($oldest, '0.4.0') < 0)
{
	is($node->safe_psql('upgraded', q{
			SELECT count(*) FROM pg_attribute
			 WHERE attrelid = 'pgq.meta'::regclass AND attname = 'owner' AND NOT attisdropped}),
		0, "before the update: pgq.meta of $oldest has no column owner");
}

# back to the installed library
if (defined $old_so)
{
	PgqRelease::use_installed_library($node, 'upgraded', $old_so);
	is(PgqRelease::c_functions_using($node, 'upgraded', '$libdir/pgq'), "$pointed of $pointed",
		'upgraded: probin names the installed library again');
}

# the installed library refuses to work on the objects of a version older than 0.4.0 until the
# update; tried in a copy of the database, so that nothing it might do touches "upgraded"
if (version_cmp($oldest, '0.4.0') < 0 && version_cmp($default, '0.4.0') >= 0)
{
	$node->safe_psql('postgres', 'CREATE DATABASE not_updated TEMPLATE upgraded');
	for my $call (q{pgq.list_queues()}, q{pgq.metrics('orders')}, q{pgq.read('orders', 0, 1)},
		q{pgq.send('orders', '{"refused": true}')}, q{pgq.create_queue('refused')},
		q{pgq.drop_queue('clicks')})
	{
		my ($out, $err) = sqlstate('not_updated', "SELECT * FROM $call;");
		my @lines = split /\n/, $out;
		is(($lines[-1] // '-')
			  . ($err =~ /HINT:\s+Run ALTER EXTENSION pgq UPDATE/ ? ' with' : ' without')
			  . ' the hint',
			'55000 with the hint',
			"before the update, the installed library refuses $call on the objects of $oldest "
			  . '(55000, hint: Run ALTER EXTENSION pgq UPDATE)');
	}
	$node->safe_psql('postgres', 'DROP DATABASE not_updated');
}

# every row of every queue table (as jsonb, whose keys are sorted: an update may rebuild a table
# with its columns in another order; without the column priority, which 0.6.0 adds and is checked
# apart), pgq.meta (the columns of every version) and the sequences, as text
sub queue_state
{
	my ($db) = @_;
	return $node->safe_psql($db, q{
		SET TimeZone = 'UTC';
		SELECT concat_ws(' ', 'meta', queue_name, is_unlogged, created_at)
		  FROM pgq.meta ORDER BY queue_name;
		SELECT 'q_orders ' || (pg_catalog.to_jsonb(t) OPERATOR(pg_catalog.-) 'priority')::text FROM pgq.q_orders t ORDER BY msg_id;
		SELECT 'a_orders ' || pg_catalog.to_jsonb(t)::text FROM pgq.a_orders t ORDER BY msg_id;
		SELECT 'q_events ' || (pg_catalog.to_jsonb(t) OPERATOR(pg_catalog.-) 'priority')::text FROM pgq.q_events t ORDER BY msg_id;
		SELECT 'a_events ' || pg_catalog.to_jsonb(t)::text FROM pgq.a_events t ORDER BY msg_id;
		SELECT 'q_clicks ' || (pg_catalog.to_jsonb(t) OPERATOR(pg_catalog.-) 'priority')::text FROM pgq.q_clicks t ORDER BY msg_id;
		SELECT 'a_clicks ' || pg_catalog.to_jsonb(t)::text FROM pgq.a_clicks t ORDER BY msg_id;
		SELECT 'seq orders ' || last_value || ' ' || is_called FROM pgq.q_orders_msg_id_seq;
		SELECT 'seq events ' || last_value || ' ' || is_called FROM pgq.q_events_msg_id_seq;
		SELECT 'seq clicks ' || last_value || ' ' || is_called FROM pgq.q_clicks_msg_id_seq;
	});
}
my $state_before = queue_state('upgraded');
is(scalar(() = $state_before =~ /^q_orders /mg), 7, 'before the update: 7 messages in orders');

# a pgq.meta row whose table was dropped by hand must not stop the update
$node->safe_psql('upgraded',
	q{INSERT INTO pgq.meta (queue_name, is_unlogged) VALUES ('orphan', false)});
my $orphan = q{SELECT count(*) FROM pgq.meta WHERE queue_name = 'orphan'};
is($node->safe_psql('upgraded', $orphan), 1,
	'before the update: pgq.meta has a row "orphan", whose tables do not exist');

#
# Walk the chain
#
walk('upgraded', @steps);
$node->safe_psql('fresh', 'CREATE EXTENSION pgq');
is($node->safe_psql('fresh', q{SELECT extversion FROM pg_extension WHERE extname = 'pgq'}),
	$default, "fresh: CREATE EXTENSION pgq installs the default version $default");
is($node->safe_psql('upgraded', q{SELECT extversion FROM pg_extension WHERE extname = 'pgq'}),
	$default, "upgraded: at the default version $default after the walk");

# 0.4.0's update rebuilds every queue, and removes a pgq.meta row whose tables are gone
if (version_cmp($oldest, '0.4.0') < 0 && version_cmp($default, '0.4.0') >= 0)
{
	is($node->safe_psql('upgraded', $orphan), 0,
		'the walk went through with a pgq.meta row whose tables are gone, and removed it');
}
else
{
	is($node->safe_psql('upgraded',
			q{DELETE FROM pgq.meta WHERE queue_name = 'orphan' RETURNING queue_name}),
		'orphan', 'the walk went through with a pgq.meta row whose table is gone, and left it');
}
same_text(queue_state('upgraded'), $state_before,
	'the update leaves every queue row, pgq.meta and the sequences as they were',
	'- after, + before');
is($node->safe_psql('upgraded', q{
		SELECT count(*) FILTER (WHERE priority = 0) || ' of ' || count(*)
		  FROM (SELECT priority FROM pgq.q_orders UNION ALL SELECT priority FROM pgq.q_events
		        UNION ALL SELECT priority FROM pgq.q_clicks) s}),
	'12 of 12', 'the update gives every message priority 0');

compare_catalogs([ 'upgraded', 'upgraded install' ],
	@script_steps ? ([ 'scripts', "the install updated from $first" ]) : ());

# a few values the renderings must contain, so that they are known to look at the right things
my $fresh_tables = $node->safe_psql('fresh', $render{tables});
like($fresh_tables, qr/^relation pgq\.meta kind=r persistence=p .*acl=\{[^}]*=r\//m,
	'catalog tables: pgq.meta is rendered with its ACL (SELECT for PUBLIC)');
like($node->safe_psql('fresh', $render{extension}), qr/config=\{pgq\.meta\} condition=\{""\}/,
	'catalog extension: pgq.meta is the config table, with an empty condition');
like($node->safe_psql('fresh', $render{schema}), qr/acl=\{.*,=U\//,
	'catalog schema: pgq has USAGE for PUBLIC');
like($node->safe_psql('fresh', $render{functions}),
	qr/^function pgq\.read\(text,integer,integer,jsonb\)\n  kind=f volatile=v strict=f secdef=f/m,
	'catalog functions: pgq.read is rendered with its attributes');

#
# The old queues after the update
#
for my $q (qw(orders events clicks))
{
	is($node->safe_psql('upgraded', qq{
			SELECT relpersistence FROM pg_class
			 WHERE oid = pg_get_serial_sequence('pgq.q_$q', 'msg_id')::regclass}),
		'p', "after the update: the msg_id sequence of $q is logged");
}
is($node->safe_psql('upgraded',
		q{SELECT string_agg(relname || '=' || relpersistence::text, ',' ORDER BY relname)
			FROM pg_class WHERE relname IN ('q_orders', 'q_events', 'q_clicks')}),
	'q_clicks=u,q_events=u,q_orders=p', 'after the update: the queue tables keep their persistence');

# the old queues' tables are made as create_queue makes a queue today: the same owner, ACL,
# row-level security, policies, persistence, columns, defaults, indexes and constraints as
# queues of the same names made after the update in "fresh"
$node->safe_psql('fresh', q{
	SELECT pgq.create_queue('orders');
	SELECT pgq.create_queue('events', unlogged => true);
	SELECT pgq.create_queue('clicks', unlogged => true);
});
my $queue_shape = q{
	SELECT l FROM (SELECT c.relname || ' ' || line FROM pg_class c, LATERAL (
		SELECT format('table owner=%s acl=%s persistence=%s rls=%s force_rls=%s', c.relowner::regrole,
					  coalesce(c.relacl::text, '-'), c.relpersistence, c.relrowsecurity,
					  c.relforcerowsecurity)
		UNION ALL
		SELECT format('policy %s cmd=%s permissive=%s roles=%s using=%s check=%s', po.polname,
					  po.polcmd, po.polpermissive,
					  (SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE r::regrole::text END, ','
										 ORDER BY 1)
						 FROM unnest(po.polroles) r),
					  coalesce(pg_get_expr(po.polqual, po.polrelid), '-'),
					  coalesce(pg_get_expr(po.polwithcheck, po.polrelid), '-'))
		  FROM pg_policy po WHERE po.polrelid = c.oid
		UNION ALL
		SELECT 'trigger ' || pg_get_triggerdef(tg.oid) FROM pg_trigger tg
		 WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal
		UNION ALL
		SELECT format('column %s %s notnull=%s identity=%s default=%s', a.attname,
					  format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
					  coalesce(pg_get_expr(d.adbin, d.adrelid), '-'))
		  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		UNION ALL
		SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = c.oid
		UNION ALL
		SELECT 'constraint ' || pg_get_constraintdef(k.oid) FROM pg_constraint k WHERE k.conrelid = c.oid
	) s(line)
	 WHERE c.relnamespace = 'pgq'::regnamespace AND c.relkind = 'r' AND c.relname ~ '^[qa]_') x(l)
	 ORDER BY l COLLATE "C"};
my $fresh_shape = $node->safe_psql('fresh', $queue_shape);
like($fresh_shape, qr/^q_orders index CREATE INDEX q_orders_vt_idx ON pgq\.q_orders USING btree \(vt, msg_id\)$/m,
	'a queue made now has its vt index on (vt, msg_id)');
like($fresh_shape, qr/^q_orders table owner=\S+ acl=\S+ persistence=p rls=t /m,
	'a queue made now has row-level security on its table (the rendering shows it)');
same_text($node->safe_psql('upgraded', $queue_shape), $fresh_shape,
	'after the update, the old queues have the owner, ACL, row-level security, policies, '
	  . 'columns, defaults and indexes of new ones',
	'- upgraded, + fresh');

# whose the old queues are now
my $extowner = $node->safe_psql('upgraded',
	q{SELECT extowner::regrole FROM pg_extension WHERE extname = 'pgq'});
is($node->safe_psql('upgraded', q{
		SELECT string_agg(relname || '=' || relowner::regrole::text, ',' ORDER BY relname)
		  FROM pg_class
		 WHERE relnamespace = 'pgq'::regnamespace AND relkind = 'r' AND relname ~ '^[qa]_'}),
	join(',', map { "$_=$extowner" } sort map { my $q = $_; map { ("a_$q$_", "q_$q$_") } ('', '$0', '$1', '$2') }
		qw(clicks events orders)),
	"after the update: every queue table and its ring of children belongs to the extension's owner ($extowner)");
is($node->safe_psql('upgraded', q{
		SELECT string_agg(queue_name || '=' || coalesce(owner::regrole::text, '-'), ','
						  ORDER BY queue_name)
		  FROM pgq.meta}),
	join(',', map { "$_=$extowner" } qw(clicks events orders)),
	"after the update: pgq.meta.owner records the role that made each old queue ($extowner)");
is($node->safe_psql('upgraded', $extension_deps), '',
	'after the update: no pg_depend row ties a queue table to the extension (neither a '
	  . 'dependency nor membership)');

is($node->safe_psql('upgraded',
		q{SELECT string_agg(queue_name || ':' || is_unlogged, ',') FROM pgq.list_queues()}),
	'clicks:true,events:true,orders:false', 'list_queues shows the old queues');

is($node->safe_psql('upgraded',
		q{SELECT queue_length || ' ' || queue_visible_length || ' ' || total_messages
			   || ' ' || (oldest_msg_age_sec >= 0) FROM pgq.metrics('orders')}),
	'7 4 9 true', 'metrics(orders): 7 messages, 4 visible, 9 ever sent');

is($node->safe_psql('upgraded', q{
		SELECT string_agg(msg_id || ':' || read_ct || ':' || message::text || ':'
						  || coalesce(headers::text, '-'), E'\n' ORDER BY msg_id)
		  FROM pgq.read('orders', 30, 10)}),
	join("\n", '3:2:{"n": 3}:-', '6:1:{"n": 6}:{"h": 6}', '7:1:{"n": 7}:-', '8:1:{"n": 8}:{"h": 8}'),
	'read(orders) returns the visible old messages (not the in-flight 1, 2 nor the delayed 9), '
	  . 'read_ct, payload and headers right');

is($node->safe_psql('upgraded', q{SELECT pgq.archive('orders', 3)}), 't',
	'archive of an old message works');
is($node->safe_psql('upgraded',
		q{SELECT string_agg(msg_id || ':' || read_ct || ':' || message::text, ',' ORDER BY msg_id)
			FROM pgq.a_orders WHERE archived_at IS NOT NULL}),
	'3:2:{"n": 3},4:0:{"n": 4}', 'the archive holds the old and the newly archived message');

my $new_id = $node->safe_psql('upgraded', q{SELECT pgq.send('orders', '{"n": 10}')});
is($new_id, 10, 'send after the update continues the old ids (10 after 9)');
is($node->safe_psql('upgraded',
		q{SELECT queue_length || ' ' || queue_visible_length || ' ' || total_messages
			FROM pgq.metrics('orders')}),
	'7 1 10', 'metrics(orders) after read, archive and send: 7 messages, 1 visible, 10 ever sent');

is($node->safe_psql('upgraded', q{
		SELECT string_agg(msg_id || ':' || read_ct || ':' || message::text || ':' || headers::text,
						  ',' ORDER BY msg_id)
		  FROM pgq.read('events', 30, 10)}),
	'3:1:{"e": 3}:{"k": "v3"},4:1:{"e": 4}:{"k": "v4"}',
	'read(events) (an unlogged queue) returns its visible messages with headers');
is($node->safe_psql('upgraded', q{SELECT pgq.send('events', '{"e": 5}')}), 5,
	'send to events continues at 5');
is($node->safe_psql('upgraded', q{SELECT pgq.archive('events', ARRAY[3, 4]::bigint[])}),
	"3\n4", 'archive(events, array) of old messages works');
is($node->safe_psql('upgraded',
		q{SELECT string_agg(msg_id::text, ',' ORDER BY msg_id) FROM pgq.a_events}),
	'2,3,4', 'the archive of events holds the old and the new rows');

# the old messages stay in the old tables until maintenance moves them into the ring (with
# everything they had) and truncates those tables
my $messages_sql = q{
	SELECT string_agg(msg_id || ':' || read_ct || ':' || vt || ':' || enqueued_at || ':'
					  || message::text || ':' || coalesce(headers::text, '-'), ',' ORDER BY msg_id)
	  FROM pgq.q_orders};
my $orders_before = $node->safe_psql('upgraded', $messages_sql);
# (queues made by 0.6.0 or later keep their messages in the ring from the start)
cmp_ok($node->safe_psql('upgraded', q{SELECT count(*) FROM ONLY pgq.q_orders}),
	version_cmp($oldest, '0.6.0') < 0 ? '>' : '==', 0,
	version_cmp($oldest, '0.6.0') < 0
	? 'after the update, the old messages of orders are in q_orders itself'
	: "the messages of orders, made by $oldest, are in the ring, not in q_orders itself");
$node->safe_psql('upgraded', 'CALL pgq.maintain()');
is($node->safe_psql('upgraded', q{
		SELECT (SELECT count(*) FROM ONLY pgq.q_orders) || ' ' || (SELECT count(*) FROM ONLY pgq.q_events)
			   || ' ' || pg_relation_size('pgq.q_orders') || ' ' || pg_relation_size('pgq.q_events')}),
	'0 0 0 0', 'maintenance moved the old messages into the ring and truncated q_orders and q_events');
is($node->safe_psql('upgraded', $messages_sql), $orders_before,
	'every message of orders is as it was, in the ring');

# the queues made before the update take pgq.queue_clock() as their vt and
# archived_at default, which is what ties them to the extension
my @old_queues = split /,/,
  $node->safe_psql('upgraded', q{SELECT string_agg(queue_name, ',' ORDER BY queue_name) FROM pgq.meta});
cmp_ok(scalar(@old_queues), '>=', 3, 'the queues made before the update are still registered');
is($node->safe_psql('upgraded', q{
		SELECT string_agg(c.relname || '.' || a.attname || '=' || pg_get_expr(ad.adbin, ad.adrelid),
						  ',' ORDER BY c.relname COLLATE "C")
		  FROM pg_attrdef ad
		  JOIN pg_class c ON c.oid = ad.adrelid
		  JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
		 WHERE c.relnamespace = 'pgq'::regnamespace AND a.attname IN ('vt', 'archived_at')}),
	join(',', map { /^a/ ? "$_.archived_at=pgq.queue_clock()" : "$_.vt=pgq.queue_clock()" }
		sort map { my $q = $_; map { ("a_$q$_", "q_$q$_") } ('', '$0', '$1', '$2') } @old_queues),
	'after the update, every queue made before it defaults vt / archived_at to pgq.queue_clock()');

# DROP EXTENSION still refuses while queues exist
my ($state, $err) = sqlstate('upgraded', "BEGIN;\nDROP EXTENSION pgq;");
is($state, '2BP01', 'after the update, DROP EXTENSION pgq refuses while queues exist (2BP01)');

#
# The access functions on queues that existed before them
#
$node->safe_psql('postgres', q{
	CREATE ROLE upg_consumer;
	CREATE ROLE upg_producer;
	CREATE ROLE upg_stranger;
});
$node->safe_psql('upgraded', q{
	SELECT pgq.grant_consumer('clicks', 'upg_consumer');
	SELECT pgq.grant_producer('orders', 'upg_producer');
});
is($node->safe_psql('upgraded', q{
		SET ROLE upg_consumer;
		SELECT string_agg(msg_id || ':' || read_ct || ':' || message::text, ',' ORDER BY msg_id)
		  FROM pgq.read('clicks', 30, 10);}),
	'1:1:{"c": 1},2:1:{"c": 2}', 'grant_consumer on an old queue: the role reads its messages');
is($node->safe_psql('upgraded', q{
		SET ROLE upg_consumer;
		SELECT pgq.archive('clicks', 1);
		SELECT queue_length FROM pgq.metrics('clicks');}),
	"t\n1", 'the consumer archives and reads metrics');
is($node->safe_psql('upgraded', q{
		SET ROLE upg_producer;
		SELECT pgq.send('orders', '{"n": 11}', '{"from": "producer"}'::jsonb);}),
	11, 'grant_producer on an old queue: the role sends (id 11)');

($state, $err) = sqlstate('upgraded', "SET ROLE upg_stranger;\nSELECT pgq.read('clicks', 30, 1);");
is($state, '42501', 'a role without grants: read fails with 42501');
like($err, qr/permission denied for queue "clicks"/, 'and the message names the queue');
($state, $err) = sqlstate('upgraded', "SET ROLE upg_consumer;\nSELECT pgq.send('clicks', '{}');");
is($state, '42501', 'a consumer may not send: 42501');

#
# Queue DDL after the update
#
$node->safe_psql('upgraded', q{SELECT pgq.create_queue('after', unlogged => true)});
is($node->safe_psql('upgraded', q{
		SELECT relpersistence FROM pg_class
		 WHERE oid = pg_get_serial_sequence('pgq.q_after', 'msg_id')::regclass}),
	'p', 'a queue created after the update has a logged msg_id sequence');
is($node->safe_psql('upgraded', q{SELECT pgq.drop_queue('events')}), 't',
	'drop_queue of an old queue works');
is($node->safe_psql('upgraded',
		q{SELECT count(*) FROM pg_class WHERE relname IN ('q_events', 'a_events', 'q_events_msg_id_seq')}),
	0, 'its tables and sequence are gone');
is($node->safe_psql('upgraded',
		q{SELECT string_agg(queue_name, ',' ORDER BY queue_name) FROM pgq.meta}),
	'after,clicks,orders', 'pgq.meta lists the queues left');

$node->stop;

done_testing();
