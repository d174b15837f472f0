# test/t/070_maintenance.pl: the maintenance worker (src/worker.c)
#
# A node with pgq in shared_preload_libraries and pgq.maintenance_databases naming two
# databases, one with pgq and one without (pgq is installed there later):
#   - one worker per database, named in pg_stat_activity
#   - it rotates a queue (pgq.rotation_size at its least) and clears the children no longer
#     written to, with no message lost: every message sent is read back exactly once
#   - a database without pgq is looked at again, and its queues maintained once pgq is there
#   - nothing it does is logged as an error
#   - without the setting, no worker

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('maint');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE later');
$node->safe_psql('postgres', 'CREATE EXTENSION pgq');
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pgq'
pgq.maintenance_databases = 'postgres, later'
pgq.maintenance_naptime = 1
pgq.rotation_size = 8
});
$node->restart;

ok($node->poll_query_until('postgres', q{
		SELECT count(*) = 2 FROM pg_stat_activity
		 WHERE backend_type = 'pgq maintenance' AND datname IN ('postgres', 'later')}),
	'one worker per database of pgq.maintenance_databases');
is($node->safe_psql('postgres', q{
		SELECT string_agg(DISTINCT r.rolname || '/' || a.application_name, ',')
		  FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid
		 WHERE a.backend_type = 'pgq maintenance'}),
	$node->safe_psql('postgres', q{SELECT rolname FROM pg_roles WHERE oid = 10}) . '/pgq maintenance',
	'the workers run as the bootstrap superuser, application_name "pgq maintenance"');

# a queue with messages: the worker rotates it (the current child reaches 8 kB at once), and
# clears the child left behind
$node->safe_psql('postgres', q{SELECT pgq.create_queue('m1')});
$node->safe_psql('postgres',
	q{SELECT count(*) FROM pgq.send_batch('m1', (SELECT array_agg(jsonb_build_object('n', g)) FROM generate_series(1, 100) g))});
ok($node->poll_query_until('postgres', q{SELECT ring_slot <> 0 FROM pgq.meta WHERE queue_name = 'm1'}),
	'the worker rotated the queue');
ok($node->poll_query_until('postgres', q{
		SELECT count(*) = 0 FROM ONLY pgq."q_m1$0"}),
	'the worker moved the messages out of the first child');
ok($node->poll_query_until('postgres', q{SELECT pg_relation_size('pgq."q_m1$0"') = 0}),
	'and truncated it');
is($node->safe_psql('postgres', q{
		SELECT count(*) || ' ' || count(DISTINCT message->>'n') || ' ' || min((message->>'n')::int)
			   || ' ' || max((message->>'n')::int)
		  FROM pgq.read('m1', 600, 1000)}),
	'100 100 1 100', 'every message is read back once');

# a database without pgq: looked at again, maintained once pgq is installed
$node->safe_psql('later', 'CREATE EXTENSION pgq');
$node->safe_psql('later', q{SELECT pgq.create_queue('m2')});
$node->safe_psql('later', q{SELECT pgq.send('m2', '{"n": 1}')});
ok($node->poll_query_until('later', q{SELECT ring_slot <> 0 FROM pgq.meta WHERE queue_name = 'm2'}),
	'a database where pgq came later is maintained too');

my $log = slurp_file($node->logfile);
unlike($log, qr/ERROR|FATAL/, 'the workers logged no error');

# without the setting: no worker
$node->append_conf('postgresql.conf', "pgq.maintenance_databases = ''\n");
$node->restart;
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgq maintenance'}),
	'0', 'pgq.maintenance_databases empty: no worker');

$node->stop;
done_testing();
