# test/t/050_trust.pl: what a queue creator could do to a superuser in 0.3.0, tried again
#
#   1. The update operator hijack.  Under 0.2.0's rules a queue creator could create objects in
#      schema pgq.  It plants an operator pgq.= (oid, regclass) whose function records who ran
#      it (the update scripts run with schema pgq first in search_path), and a queue of its own.
#      The superuser runs ALTER EXTENSION pgq UPDATE to the default version: the planted
#      function never runs, the creator gets no superuser, and the update warns about the
#      objects in schema pgq that its owner does not own.  (First the test shows the planted
#      operator is live: an unqualified = on those types, with that search_path, runs it.)
#   2. A queue table changed under pgq.  0.3.0 handed rows of a changed table to the caller
#      unchecked: a message column made bytea crashed the server.  Now only the owner of schema
#      pgq can change it, and if it does, read gives 42804 and the server stays up: the same
#      postmaster, and SELECT 1 works.
#   3. A schema pgq made first by a non-superuser (who could then drop anyone's queue):
#      CREATE EXTENSION pgq refuses it with 42501 and installs nothing.
#   4. What a 0.3.0 queue creator could leave for the update to 0.4.0 (each in a database of
#      its own, at 0.3.0, with a queue the creator made as the 0.3.0 library did):
#      - an expression index and a partial index on its queue table whose IMMUTABLE function
#        tries ALTER ROLE ... SUPERUSER when it runs as a superuser, and an inheritance child
#        with rows of its own: the update reads the old rows as the creator, so the function
#        never runs as the superuser, and copies the table's own rows only;
#      - a function pgq.send(text, text) that an unknown literal would prefer to pgq's:
#        the update stops with 55000 and names it; dropped, the update goes through;
#      - another role's view on the queue table: the update stops rather than drop it;
#      - a trigger on pgq.meta (the creator had TRIGGER on it): the update stops;
#      - rights on schema pgq and pgq.meta held WITH GRANT OPTION and passed on to another
#        role: the update takes both back.
#   5. create_queue under a caller's default_tablespace of a tablespace it may not use: the
#      tables go to the default tablespace.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('trust');
$node->init;
$node->start;

# sqlstate(db, sql, role): the SQLSTATE the last statement failed with ("00000": none), stderr
sub sqlstate
{
	my ($db, $sql, $role) = @_;
	my ($out, $err) = ('', '');
	$sql =~ s/;?\s*$/;/;			# \echo must come after the statement has run
	$sql = "SET ROLE $role;\n$sql" if defined $role;
	$node->psql($db, "\\set VERBOSITY default\n$sql\n\\echo :LAST_ERROR_SQLSTATE\n",
		on_error_stop => 0, stdout => \$out, stderr => \$err);
	return ($out, $err);
}

#
# 1. the update operator hijack
#
my $default = $node->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'pgq'});
$node->safe_psql('postgres', 'CREATE DATABASE hijack');
$node->safe_psql('hijack', q{
	CREATE EXTENSION pgq VERSION '0.2.0';
	CREATE ROLE mallory;
	GRANT CREATE ON SCHEMA pgq TO mallory;
	GRANT INSERT, DELETE ON pgq.meta TO mallory;
	CREATE TABLE public.ran_as (who name);
	GRANT INSERT ON public.ran_as TO PUBLIC;
});
$node->safe_psql('hijack', q{
	SET ROLE mallory;
	CREATE FUNCTION pgq.planted(oid, regclass) RETURNS boolean LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO public.ran_as VALUES (current_user);
		BEGIN
			ALTER ROLE mallory SUPERUSER;
		EXCEPTION WHEN insufficient_privilege THEN
			NULL;
		END;
		RETURN $1 OPERATOR(pg_catalog.=) $2::oid;
	END $$;
	CREATE OPERATOR pgq.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = pgq.planted);
	-- a queue of mallory's, as the 0.2.0 library would have made it
	CREATE TABLE pgq.q_mq (msg_id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
		read_ct integer NOT NULL DEFAULT 0, enqueued_at timestamptz NOT NULL DEFAULT now(),
		last_read_at timestamptz, vt timestamptz NOT NULL DEFAULT clock_timestamp(),
		message jsonb, headers jsonb);
	CREATE INDEX q_mq_vt_idx ON pgq.q_mq (vt);
	CREATE TABLE pgq.a_mq (msg_id bigint PRIMARY KEY, read_ct integer NOT NULL DEFAULT 0,
		enqueued_at timestamptz NOT NULL DEFAULT now(), last_read_at timestamptz,
		vt timestamptz NOT NULL, message jsonb, headers jsonb,
		archived_at timestamptz NOT NULL DEFAULT clock_timestamp());
	INSERT INTO pgq.meta (queue_name, is_unlogged) VALUES ('mq', false);
	INSERT INTO pgq.q_mq (message) VALUES ('{"n": 1}');
});

# the planted operator is live: an unqualified = on (oid, regclass) under search_path pgq runs
# it (shown as mallory herself, whose ALTER ROLE fails)
$node->safe_psql('hijack', q{
	SET ROLE mallory;
	SET search_path = pgq, pg_temp;
	SELECT count(*) FROM pg_catalog.pg_class c WHERE c.oid = 'pg_catalog.pg_class'::pg_catalog.regclass;
});
is($node->safe_psql('hijack', q{SELECT DISTINCT who FROM public.ran_as}), 'mallory',
	'the planted operator is what an unqualified = resolves to under search_path pgq');
$node->safe_psql('hijack', q{TRUNCATE public.ran_as});

# the step whose script compared oid = regclass unqualified
$node->safe_psql('hijack', q{ALTER EXTENSION pgq UPDATE TO '0.3.0'});
is($node->safe_psql('hijack', q{SELECT count(*) FROM public.ran_as}), '0',
	'the planted function did not run during the update to 0.3.0');
is($node->safe_psql('hijack', q{SELECT rolsuper FROM pg_roles WHERE rolname = 'mallory'}), 'f',
	'the queue creator did not become superuser');

# on to the default version: the update stops, naming what mallory left in schema pgq
my ($state, $err) = sqlstate('hijack', 'ALTER EXTENSION pgq UPDATE');
is($state, '55000', "the update to $default stops on mallory's objects in schema pgq (55000)");
like($err, qr/operator pgq\.=\([\w.]*oid,[\w.]*regclass\) belongs to role mallory/, 'it names the operator')
  or diag($err);
like($err, qr/function pgq\.planted\([\w.]*oid,[\w.]*regclass\) belongs to role mallory/,
	'and the function');
is($node->safe_psql('hijack', q{SELECT count(*) FROM public.ran_as}), '0',
	'the planted function did not run');
$node->safe_psql('hijack', q{
	DROP OPERATOR pgq.= (oid, regclass);
	DROP FUNCTION pgq.planted(oid, regclass);
	ALTER EXTENSION pgq UPDATE;
});
is($node->safe_psql('hijack', q{SELECT extversion FROM pg_extension WHERE extname = 'pgq'}),
	$default, "once they are dropped, the update goes through to $default");
is($node->safe_psql('hijack', q{
		SELECT owner::text || ' ' || (SELECT count(*) FROM pgq.q_mq)
		  FROM pgq.meta WHERE queue_name = 'mq'}),
	'mallory 1', "mallory's queue was kept, with its message, and mallory owns it");
is( ( sqlstate('hijack', q{CREATE FUNCTION pgq.again() RETURNS int LANGUAGE sql AS 'SELECT 1'},
			'mallory'))[0],
	'42501', 'mallory can no longer create objects in schema pgq (42501)');

#
# 2. a queue table changed by hand: 42804, and the server stays up
#
$node->safe_psql('postgres', q{
	CREATE EXTENSION pgq;
	CREATE ROLE consumer;
	SELECT pgq.create_queue('altered');
	SELECT pgq.send('altered', jsonb_build_object('n', i)) FROM generate_series(1, 3) i;
	SELECT pgq.grant_consumer('altered', 'consumer');
});
my $pid = $node->safe_psql('postgres', q{SELECT pg_postmaster_start_time()});
$node->safe_psql('postgres',
	q{ALTER TABLE pgq.q_altered ALTER COLUMN message TYPE bytea USING message::text::bytea});
my $stderr;
($state, $stderr) = sqlstate('postgres', q{SELECT * FROM pgq.read('altered', 30, 1)}, 'consumer');
is($state, '42804', 'read from a table whose message column is bytea: 42804');
like($stderr, qr/queue "altered" has been altered/, 'with a message naming the queue');
for my $call (q{SELECT * FROM pgq.pop('altered')}, q{SELECT * FROM pgq.set_vt('altered', 1, 0)},
	q{SELECT * FROM pgq.delete('altered', ARRAY[1]::bigint[])})
{
	is((sqlstate('postgres', $call, 'consumer'))[0], '42804', "$call: 42804");
}
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server answers');
is($node->safe_psql('postgres', q{SELECT pg_postmaster_start_time()}), $pid,
	'the same postmaster: no backend crashed');
ok(!(slurp_file($node->logfile) =~ /terminated by signal/),
	'the server log shows no backend terminated by a signal');

#
# 3. a schema pgq made first by a non-superuser
#
$node->safe_psql('postgres', q{
	CREATE DATABASE squat;
	CREATE ROLE squatter;
	GRANT CREATE ON DATABASE squat TO squatter;
});
$node->safe_psql('squat', 'SET ROLE squatter; CREATE SCHEMA pgq;');
($state, $stderr) = sqlstate('squat', 'CREATE EXTENSION pgq');
is($state, '42501', 'CREATE EXTENSION pgq refuses a schema pgq a non-superuser made (42501)');
like($stderr, qr/schema pgq is owned by a role that may not own pgq's tables/,
	'and says why');
is($node->safe_psql('squat', q{SELECT count(*) FROM pg_extension WHERE extname = 'pgq'}), '0',
	'pgq is not installed');
$node->safe_psql('squat', 'DROP SCHEMA pgq; CREATE EXTENSION pgq;');
is($node->safe_psql('squat', q{SELECT extversion FROM pg_extension WHERE extname = 'pgq'}),
	$default, 'once the schema is gone, CREATE EXTENSION pgq makes its own');

#
# 4. what a 0.3.0 creator could leave for the update
#
$node->safe_psql('postgres', 'CREATE ROLE creator; CREATE ROLE reporter;');

# old_database(plant): a new database at 0.3.0 in which role creator, with the rights 0.3.0
# gave queue creators and a schema creator_own of its own, made queue "cq" (three messages)
# as the 0.3.0 library did, then ran plant as itself
my $n_old = 0;
sub old_database
{
	my ($plant) = @_;
	my $db = 'old' . ++$n_old;
	$node->safe_psql('postgres', "CREATE DATABASE $db; GRANT CREATE ON DATABASE $db TO creator;");
	$node->safe_psql($db, q{
		CREATE EXTENSION pgq VERSION '0.3.0';
		GRANT CREATE ON SCHEMA pgq TO creator;
		GRANT INSERT, DELETE ON pgq.meta TO creator;
	});
	$node->safe_psql($db, q{
		SET ROLE creator;
		CREATE SCHEMA creator_own;
		CREATE TABLE pgq.q_cq (msg_id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
			read_ct integer NOT NULL DEFAULT 0, enqueued_at timestamptz NOT NULL DEFAULT now(),
			last_read_at timestamptz, vt timestamptz NOT NULL DEFAULT pgq.queue_clock(),
			message jsonb, headers jsonb);
		CREATE INDEX q_cq_vt_idx ON pgq.q_cq (vt, msg_id);
		CREATE TABLE pgq.a_cq (msg_id bigint PRIMARY KEY, read_ct integer NOT NULL DEFAULT 0,
			enqueued_at timestamptz NOT NULL DEFAULT now(), last_read_at timestamptz,
			vt timestamptz NOT NULL, message jsonb, headers jsonb,
			archived_at timestamptz NOT NULL DEFAULT pgq.queue_clock());
		INSERT INTO pgq.meta (queue_name, is_unlogged) VALUES ('cq', false);
		INSERT INTO pgq.q_cq (message) SELECT jsonb_build_object('n', i) FROM generate_series(1, 3) i;
		CREATE FUNCTION creator_own.climb() RETURNS int LANGUAGE plpgsql AS $f$
		BEGIN
			INSERT INTO creator_own.ran VALUES (current_user);
			IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
				ALTER ROLE creator SUPERUSER;
			END IF;
			RETURN 0;
		END $f$;
		CREATE TABLE creator_own.ran (who name);
	});
	$node->safe_psql($db, "SET ROLE creator;\n$plant");
	return $db;
}

# the update, its SQLSTATE and messages
sub update
{
	my ($db) = @_;
	return sqlstate($db, 'ALTER EXTENSION pgq UPDATE');
}

# (a) code in the old table's index expressions and predicates
my $db = old_database(q{
	CREATE FUNCTION creator_own.k(int) RETURNS int LANGUAGE plpgsql IMMUTABLE
		AS $f$ BEGIN RETURN $1 + creator_own.climb(); END $f$;
	CREATE INDEX q_cq_x ON pgq.q_cq ((msg_id + creator_own.k(0)));
	CREATE INDEX q_cq_p ON pgq.q_cq (msg_id) WHERE msg_id > creator_own.k(0);
	TRUNCATE creator_own.ran;
});
($state, $stderr) = update($db);
is($state, '00000', '(a) the update goes through a queue table with index expressions')
  or diag($stderr);
is($node->safe_psql($db, q{SELECT rolsuper FROM pg_roles WHERE rolname = 'creator'}), 'f',
	'(a) the creator did not become superuser');
is($node->safe_psql($db, q{
		SELECT count(*) FROM creator_own.ran r JOIN pg_roles p ON p.rolname = r.who
		 WHERE p.rolsuper}),
	'0', '(a) the index code never ran as a superuser');
is($node->safe_psql($db, q{SELECT count(*) || ' ' || max(msg_id) FROM pgq.q_cq}), '3 3',
	'(a) the three messages were copied');
is($node->safe_psql($db, q{SELECT count(*) FROM pg_indexes WHERE tablename = 'q_cq'}), '2',
	'(a) the new table has only its own two indexes');

# (b) an inheritance child of the old table, with a row of its own
$db = old_database(q{
	CREATE TABLE creator_own.child () INHERITS (pgq.q_cq);
	INSERT INTO creator_own.child (msg_id, message) OVERRIDING SYSTEM VALUE VALUES (1000, '{"child": 1}');
});
($state, $stderr) = update($db);
is($state, '2BP01', '(b) a child table of an old queue table stops the update (2BP01)');
like($stderr, qr/creator_own\.child/, '(b) and the error names it') or diag($stderr);
is($node->safe_psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'pgq'}), '0.3.0',
	'(b) nothing was updated');
$node->safe_psql($db, 'DROP TABLE creator_own.child');
($state, $stderr) = update($db);
is($state, '00000', '(b) without the child, the update goes through') or diag($stderr);
is($node->safe_psql($db, q{SELECT count(*) || ' ' || max(msg_id) FROM pgq.q_cq}), '3 3',
	"(b) the queue's own three messages are there");

# (c) a function planted in schema pgq beside pgq's own
$db = old_database(q{
	CREATE FUNCTION pgq.send(queue_name text, msg text) RETURNS bigint LANGUAGE plpgsql AS $f$
	BEGIN
		PERFORM creator_own.climb();
		RETURN 0;
	END $f$;
});
($state, $stderr) = update($db);
is($state, '55000', '(c) a function of the creator in schema pgq stops the update (55000)');
like($stderr, qr/function pgq\.send\([\w.]*text,[\w.]*text\) belongs to role creator/,
	'(c) and the error names it') or diag($stderr);
$node->safe_psql($db, 'DROP FUNCTION pgq.send(text, text)');
($state, $stderr) = update($db);
is($state, '00000', '(c) without it, the update goes through') or diag($stderr);
is($node->safe_psql($db, q{SELECT pgq.send('cq', '{"after": 1}')}), '4',
	"(c) an untyped literal now reaches pgq's send");
is($node->safe_psql($db, q{SELECT rolsuper FROM pg_roles WHERE rolname = 'creator'}), 'f',
	'(c) the creator did not become superuser');

# (d) another role's view on the old queue table
$db = old_database(q{GRANT SELECT ON pgq.q_cq TO reporter;});
$node->safe_psql($db, q{
	CREATE SCHEMA rep AUTHORIZATION reporter;
	SET ROLE reporter;
	CREATE VIEW rep.pending AS SELECT msg_id, message FROM pgq.q_cq;
});
($state, $stderr) = update($db);
is($state, '2BP01', "(d) another role's view on an old queue table stops the update (2BP01)");
like($stderr, qr/rep\.pending/, '(d) and the error names it') or diag($stderr);
is($node->safe_psql($db, q{SELECT count(*) FROM rep.pending}), '3', '(d) the view is still there');

# (e) a trigger on pgq.meta
$db = old_database('');
$node->safe_psql($db, q{GRANT TRIGGER ON pgq.meta TO creator;});
$node->safe_psql($db, q{
	SET ROLE creator;
	CREATE FUNCTION creator_own.on_meta() RETURNS trigger LANGUAGE plpgsql AS $f$
	BEGIN
		PERFORM creator_own.climb();
		RETURN NULL;
	END $f$;
	CREATE TRIGGER on_meta AFTER INSERT OR UPDATE OR DELETE ON pgq.meta
		FOR EACH ROW EXECUTE FUNCTION creator_own.on_meta();
	TRUNCATE creator_own.ran;
});
($state, $stderr) = update($db);
is($state, '55000', '(e) a trigger on pgq.meta stops the update (55000)');
like($stderr, qr/pgq\.meta has trigger on_meta/, '(e) and the error names it') or diag($stderr);
is($node->safe_psql($db, q{SELECT count(*) FROM creator_own.ran}), '0',
	'(e) the trigger never ran');
is($node->safe_psql($db, q{SELECT rolsuper FROM pg_roles WHERE rolname = 'creator'}), 'f',
	'(e) the creator did not become superuser');

# (f) rights on schema pgq and pgq.meta granted WITH GRANT OPTION and passed on: the update
# takes them back with what was granted through them
$db = old_database('');
$node->safe_psql($db, q{
	GRANT CREATE ON SCHEMA pgq TO creator WITH GRANT OPTION;
	GRANT INSERT ON pgq.meta TO creator WITH GRANT OPTION;
	SET ROLE creator;
	GRANT CREATE ON SCHEMA pgq TO reporter;
	GRANT INSERT ON pgq.meta TO reporter;
});
($state, $stderr) = update($db);
is($state, '00000', '(f) the update goes through grants made WITH GRANT OPTION') or diag($stderr);
is($node->safe_psql($db, q{
		SELECT has_schema_privilege('reporter', 'pgq', 'CREATE')::text || ' '
		    || has_table_privilege('reporter', 'pgq.meta', 'INSERT')::text || ' '
		    || has_schema_privilege('creator', 'pgq', 'CREATE')::text}),
	'false false false', '(f) neither the creator nor whom it granted keeps them');
is($node->safe_psql($db, q{SELECT count(*) FROM pgq.send('cq', '{}')}), '1',
	'(f) and pgq works');

#
# 5. create_queue under a default_tablespace the caller may not use
#
my $tsdir = PostgreSQL::Test::Utils::tempdir;
$node->safe_psql('postgres', qq{
	CREATE TABLESPACE fast LOCATION '$tsdir';
	CREATE ROLE tscreator;
	GRANT EXECUTE ON FUNCTION pgq.create_queue(text, boolean) TO tscreator;
});
is($node->safe_psql('postgres', q{SELECT has_tablespace_privilege('tscreator', 'fast', 'CREATE')}),
	'f', 'the creator may not create in tablespace fast');
$node->safe_psql('postgres', q{
	SET ROLE tscreator;
	SET default_tablespace = fast;
	SELECT pgq.create_queue('ts_test');
});
is($node->safe_psql('postgres', q{
		SELECT count(*) FROM pg_class
		 WHERE relnamespace = 'pgq'::regnamespace AND relname LIKE '%ts\_test%'
		   AND reltablespace <> 0}),
	'0', "the queue's tables and indexes are in the default tablespace, not in fast");
$node->safe_psql('postgres', q{SELECT pgq.drop_queue('ts_test'); DROP TABLESPACE fast;});

$node->stop;
done_testing();
