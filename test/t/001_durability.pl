# test/t/001_durability.pl: what a crash keeps and what it loses
#
# A logged queue keeps exactly its committed messages across a crash (stop mode "immediate"):
# nothing lost, nothing duplicated, nothing from a rolled-back or in-flight transaction.
# An unlogged queue comes back empty after a crash (PostgreSQL resets unlogged tables) and
# stays usable; its archive table is logged and keeps what was archived.  After a clean
# shutdown (mode "fast") the unlogged queue keeps its messages.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $n = 25;

my $node = PostgreSQL::Test::Cluster->new('durability');
$node->init;
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION pgq;
	SELECT pgq.create_queue('durable');
	SELECT pgq.create_queue('volatile', unlogged => true);
});

# send_each(queue, first, last): messages {"n": first} .. {"n": last}, each in its own committed
# transaction; returns the expected rows as "msg_id:n" strings
sub send_each
{
	my ($queue, $first, $last) = @_;
	my $sql = join '', map { "SELECT pgq.send('$queue', '{\"n\": $_}');\n" } $first .. $last;
	my @ids = split /\n/, $node->safe_psql('postgres', $sql);
	is(scalar @ids, $last - $first + 1, "$queue: sent messages $first to $last");
	return map { "$ids[$_ - $first]:$_" } $first .. $last;
}

# the rows of pgq.q_<queue> as "msg_id:n" strings, in msg_id order
sub queue_rows
{
	my ($queue) = @_;
	my $out = $node->safe_psql('postgres',
		"SELECT msg_id || ':' || (message->>'n') FROM pgq.q_$queue ORDER BY msg_id");
	return $out eq '' ? () : split /\n/, $out;
}

my @durable = send_each('durable', 1, $n);
my @volatile = send_each('volatile', 1, $n);

# a send that is rolled back, and one still in flight when the server crashes
my $rolled_back = $node->safe_psql('postgres', q{
	BEGIN;
	SELECT pgq.send('durable', '{"n": "rolled back"}');
	ROLLBACK;
});
like($rolled_back, qr/^\d+$/, 'rolled-back send returned an id');

my $bg = $node->background_psql('postgres');
$bg->query_safe('BEGIN');
my $in_flight = $bg->query_safe(q{SELECT pgq.send('durable', '{"n": "in flight"}')});
$bg->query_safe(q{SELECT pgq.send('volatile', '{"n": "in flight"}')});
like($in_flight, qr/^\d+$/, 'in-flight send returned an id');

# archive one message of the unlogged queue: its archive table is logged
my ($archived) = split /:/, $volatile[0];
is($node->safe_psql('postgres', "SELECT pgq.archive('volatile', $archived)"),
	't', 'volatile: archived one message before the crash');
shift @volatile;

$node->stop('immediate');
$bg->quit;
$node->start;

# logged queue: exactly the committed messages
is(join(',', queue_rows('durable')), join(',', @durable),
	'durable: after the crash, exactly the committed messages (ids and payloads)');
is($node->safe_psql('postgres',
		q{SELECT count(*) || ' / ' || count(DISTINCT msg_id) FROM pgq.q_durable}),
	"$n / $n", 'durable: no message duplicated');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pgq.q_durable WHERE msg_id IN ($rolled_back, $in_flight)
		   OR message->>'n' IN ('rolled back', 'in flight')"),
	'0', 'durable: rolled-back and in-flight messages are absent');
is($node->safe_psql('postgres',
		q{SELECT queue_length || ' / ' || queue_visible_length FROM pgq.metrics('durable')}),
	"$n / $n", 'durable: metrics count the committed messages');
is($node->safe_psql('postgres', "SELECT count(*) FROM pgq.read('durable', 30, 1000)"),
	$n, 'durable: read returns every committed message');
my ($last_id) = split /:/, $durable[-1];
my $after_id = $node->safe_psql('postgres', q{SELECT pgq.send('durable', '{"n": "after"}')});
cmp_ok($after_id, '>', $last_id, 'durable: a new message gets an id above every committed one');
push @durable, "$after_id:after";

# unlogged queue: reset by the crash, still usable, its archive kept
is($node->safe_psql('postgres', 'SELECT count(*) FROM pgq.q_volatile'),
	'0', 'volatile: empty after the crash');
is($node->safe_psql('postgres',
		q{SELECT is_unlogged FROM pgq.list_queues() WHERE queue_name = 'volatile'}),
	't', 'volatile: still listed as unlogged');
is($node->safe_psql('postgres', q{SELECT string_agg(msg_id::text, ',') FROM pgq.a_volatile}),
	$archived, 'volatile: the archived message survived the crash');

my $new_id = $node->safe_psql('postgres', q{SELECT pgq.send('volatile', '{"n": "after crash"}')});
like($new_id, qr/^\d+$/, 'volatile: send works after the crash');
is($node->safe_psql('postgres',
		q{SELECT msg_id || ':' || read_ct || ':' || (message->>'n') FROM pgq.read('volatile', 0, 10)}),
	"$new_id:1:after crash", 'volatile: read works after the crash');
my ($ret, $stdout, $stderr) = $node->psql('postgres', "SELECT pgq.archive('volatile', $new_id)");
is("$ret $stdout", '0 t', 'volatile: archive works after the crash (msg_id not reused from the archive)');
is($stderr, '', 'volatile: archive after the crash raises no error');

# clean shutdown: an unlogged queue keeps its messages
$node->safe_psql('postgres', q{SELECT pgq.purge_queue('volatile')});
@volatile = send_each('volatile', 1, $n);
$node->stop('fast');
$node->start;
is(join(',', queue_rows('volatile')), join(',', @volatile),
	'volatile: after a clean restart, every message kept (ids and payloads)');
is(join(',', queue_rows('durable')), join(',', @durable),
	'durable: unchanged by the clean restart');

$node->stop;

done_testing();
