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
	$node->psql($db, "$sql\n\\echo :LAST_ERROR_SQLSTATE\n",
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

my ($out, $err) = ('', '');
$node->psql('hijack', 'ALTER EXTENSION pgq UPDATE', stdout => \$out, stderr => \$err,
	on_error_stop => 1);
is($node->safe_psql('hijack', q{SELECT extversion FROM pg_extension WHERE extname = 'pgq'}),
	$default, "the update went through to $default");
is($node->safe_psql('hijack', q{SELECT count(*) FROM public.ran_as}), '0',
	'the planted function did not run during the update');
is($node->safe_psql('hijack', q{SELECT rolsuper FROM pg_roles WHERE rolname = 'mallory'}), 'f',
	'the queue creator did not become superuser');
like($err, qr/WARNING:  operator =\(oid,regclass\) in schema pgq belongs to mallory/,
	'the update warns about the operator in schema pgq that mallory owns')
  or diag($err);
like($err, qr/WARNING:  function planted\(oid,regclass\) in schema pgq belongs to mallory/,
	'and about the function');
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
my ($state, $stderr) = sqlstate('postgres', q{SELECT * FROM pgq.read('altered', 30, 1)}, 'consumer');
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

$node->stop;
done_testing();
