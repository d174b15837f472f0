# test/t/020_crash.pl: a crash under load loses no acknowledged message and duplicates none
#
# Producers (test/stress/pgq_stress.c, one send or one send_batch of 20 per transaction) and a
# consumer run against the node; each producer appends to a file on the client side every
# msg_id whose COMMIT returned.  Mid-load the server dies, three ways in turn:
#   1. SIGKILL to the postmaster (its backends die as they notice), then a fresh start
#   2. SIGKILL to one backend: the postmaster resets every backend and recovers by itself
#   3. pg_ctl stop -m immediate, then a fresh start
# After each restart: every acknowledged message is in the queue or was deleted by the
# consumer (in the transaction that recorded it), exactly one of the two and only once;
# nothing is in the queue that was not sent; no more than the in-flight transactions
# committed unacknowledged.  (The node runs with fsync = off, as PostgreSQL::Test::Cluster sets
# it up; that hides nothing here, since only server processes die, never the kernel's page cache.)
#
# Then leases across a backend's death:
#   - a backend killed with pg_terminate_backend inside a transaction that read messages:
#     they are visible again at once, read_ct unchanged (the read rolled back)
#   - a backend that committed a read and was then SIGKILLed (server crash and recovery):
#     the messages stay hidden until their vt, then come back with read_ct = 2

use strict;
use warnings;

use File::Basename qw(dirname);
use File::Spec;
use IPC::Run;
use Time::HiRes qw(time usleep);

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $src = File::Spec->rel2abs(dirname(__FILE__) . '/../stress/pgq_stress.c');
my $tmp = File::Spec->rel2abs(PostgreSQL::Test::Utils::tempdir);
my $harness = "$tmp/pgq_stress";
{
	my $pg_config = $ENV{PG_CONFIG} // 'pg_config';
	my ($incdir, $libdir) = map {
		my $out = `$pg_config --$_`;
		chomp $out;
		$out;
	} qw(includedir libdir);
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(
		[
			$ENV{CC} // 'gcc', '-O2', '-Wall', '-Wextra', '-Werror', "-I$incdir",
			$src, "-L$libdir", '-lpq', '-lpthread', '-o', $harness
		],
		'>', \$out, '2>', \$err);
	ok($ok, 'the stress harness compiles with -Wall -Wextra -Werror')
	  or diag($err);
	BAIL_OUT('cannot build the stress harness') unless $ok;
}

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', qq{
log_statement = none
restart_after_crash = on
shared_preload_libraries = 'pgq'
});
$node->start;

my $db = 'postgres';
$node->safe_psql($db, q{
	CREATE EXTENSION pgq;
	CREATE TABLE acked (msg_id bigint, producer int, seq int);
});

# the acknowledged ids, as the producers wrote them
my $ack_file = "$tmp/acked.txt";

# start_load(round): two harness processes in the background; returns them
sub start_load
{
	my ($round) = @_;
	my @common = ('-d', $node->connstr($db), '-q', 'crash', '-C', '-A', $ack_file,
		'-n', 10_000_000, '-t', 120, '-f', 0, '-v', 30);
	my %single = (out => '', err => '');
	my %batch = (out => '', err => '');
	# one by one, with a consumer deleting
	$single{h} = IPC::Run::start(
		[ $harness, @common, '-m', 'single', '-p', 2, '-P', 10 * $round, '-c', 1, '-s', $round ],
		'>', \$single{out}, '2>', \$single{err}, IPC::Run::timeout(180));
	# batches of 20, no consumer
	$batch{h} = IPC::Run::start(
		[
			$harness, @common, '-m', 'batch', '-b', 20, '-p', 1, '-P', 10 * $round + 5,
			'-c', 0, '-s', 100 + $round
		],
		'>', \$batch{out}, '2>', \$batch{err}, IPC::Run::timeout(180));
	return (\%single, \%batch);
}

# lines in the ack file
sub acked_count
{
	return 0 unless -e $ack_file;
	my $n = () = slurp_file($ack_file) =~ /\n/g;
	return $n;
}

# wait until at least $more further sends were acknowledged (or 60 s)
sub wait_for_acks
{
	my ($more) = @_;
	my $want = acked_count() + $more;
	my $deadline = time + 60;
	usleep(100_000) while acked_count() < $want && time < $deadline;
	return acked_count() >= $want;
}

# finish_load(label, runs...): wait for the harness processes, which end by losing their
# connections; check they met nothing else
sub finish_load
{
	my ($label, @runs) = @_;
	for my $r (@runs)
	{
		$r->{h}->finish;
		my $rc = $? >> 8;
		note($r->{out});
		my ($result) = $r->{out} =~ /result=(\S+)/;
		is("$rc " . ($result // '(no summary)'), '0 connection_lost',
			"$label: harness was cut off by the crash and met no other error")
		  or diag($r->{err});
	}
}

my $recoveries = 0;

# the server log must show one more crash recovery than before
sub check_recovered
{
	my ($label) = @_;
	my $n = () = slurp_file($node->logfile) =~ /database system was (?:interrupted|not properly shut down)/g;
	cmp_ok($n, '>', $recoveries, "$label: the server went through crash recovery");
	$recoveries = $n;
}

# the postmaster's pid, from its pid file
sub postmaster_pid
{
	my ($pid) = split /\n/, slurp_file($node->data_dir . '/postmaster.pid');
	return $pid;
}

# wait until process $pid has gone (and been reaped)
sub wait_gone
{
	my ($pid) = @_;
	my $deadline = time + 60;
	usleep(50_000) while kill(0, $pid) && time < $deadline;
	return !kill(0, $pid);
}

# start the node again once the old processes are gone
sub restart_node
{
	for (1 .. 30)
	{
		return 1 if $node->start(fail_ok => 1);
		sleep 1;
	}
	return 0;
}

my $max_unacked = 0;    # transactions that may commit without their ack reaching the file

# check everything acknowledged so far survived, exactly once
sub check_acked
{
	my ($label) = @_;

	$node->safe_psql($db, qq{
		TRUNCATE acked;
		COPY acked FROM '$ack_file' WITH (DELIMITER ' ');
	});
	my $n_acked = $node->safe_psql($db, 'SELECT count(*) FROM acked');
	cmp_ok($n_acked, '>', 0, "$label: sends were acknowledged ($n_acked so far)");
	is($node->safe_psql($db, 'SELECT count(*) - count(DISTINCT msg_id) FROM acked'),
		'0', "$label: no id acknowledged twice");

	is( $node->safe_psql(
			$db, q{SELECT count(*) FROM acked a WHERE NOT EXISTS
			(SELECT 1 FROM stress_sent s WHERE s.msg_id = a.msg_id AND s.producer = a.producer
			   AND s.seq = a.seq)}),
		'0',
		"$label: every acknowledged send is recorded as committed");
	# in the queue, or deleted by the consumer: exactly one of the two, once
	is( $node->safe_psql(
			$db, q{SELECT count(*) FROM stress_sent s WHERE
			(SELECT count(*) FROM pgq.q_crash q WHERE q.msg_id = s.msg_id) +
			(SELECT count(*) FROM stress_delivery d WHERE d.msg_id = s.msg_id AND d.outcome = 'done')
			<> 1}),
		'0',
		"$label: lost/duplicated: every committed send is in the queue xor deleted once");
	is( $node->safe_psql(
			$db, q{SELECT count(*) FROM acked a WHERE NOT EXISTS
			(SELECT 1 FROM pgq.q_crash q WHERE q.msg_id = a.msg_id) AND NOT EXISTS
			(SELECT 1 FROM stress_delivery d WHERE d.msg_id = a.msg_id AND d.outcome = 'done')}),
		'0',
		"$label: lost: no acknowledged message missing");
	is( $node->safe_psql(
			$db, q{SELECT count(*) FROM pgq.q_crash q
			LEFT JOIN stress_sent s USING (msg_id)
			WHERE s.msg_id IS NULL
			   OR q.message IS DISTINCT FROM jsonb_build_object('p', s.producer, 'seq', s.seq)}),
		'0',
		"$label: extra: the queue holds only sent messages, each with its own payload");
	is( $node->safe_psql(
			$db, q{SELECT count(*) FROM (SELECT message FROM pgq.q_crash
			GROUP BY message HAVING count(*) > 1) d}),
		'0',
		"$label: no payload twice in the queue");
	my $unacked = $node->safe_psql($db,
		q{SELECT count(*) FROM stress_sent s WHERE NOT EXISTS (SELECT 1 FROM acked a WHERE a.msg_id = s.msg_id)});
	note("$label: $n_acked sends acknowledged so far, $unacked committed without their acknowledgement");
	cmp_ok($unacked, '<=', $max_unacked,
		"$label: committed but unacknowledged sends are at most the $max_unacked in flight");
	my $max_id = $node->safe_psql($db,
		'SELECT greatest((SELECT max(msg_id) FROM stress_sent), (SELECT max(msg_id) FROM pgq.q_crash))');
	cmp_ok($node->safe_psql($db, q{SELECT pgq.send('crash', '{"probe": true}')}),
		'>', $max_id, "$label: after the restart a new send gets a new, higher id");
	$node->safe_psql($db,
		q{SELECT pgq.delete('crash', msg_id) FROM pgq.q_crash WHERE message = '{"probe": true}'});
}

# create the queue and the record tables before two harnesses race to
$node->command_ok([ $harness, '-d', $node->connstr($db), '-q', 'crash', '-p', 0, '-c', 0, '-n', 0 ],
	'harness set-up');

# 1. SIGKILL to the postmaster
{
	my @runs = start_load(1);
	ok(wait_for_acks(2000), 'postmaster kill: load is running');
	my $pm = postmaster_pid();
	$node->kill9;
	ok(wait_gone($pm), 'postmaster kill: postmaster gone');
	$max_unacked += 2 + 20;
	finish_load('postmaster kill', @runs);
	ok(restart_node(), 'postmaster kill: the node starts again');
	check_recovered('postmaster kill');
	check_acked('postmaster kill');
}

# 2. SIGKILL to one backend of a producer: the postmaster resets all backends
{
	my @runs = start_load(2);
	ok(wait_for_acks(2000), 'backend kill: load is running');
	my $pid = $node->safe_psql($db,
		q{SELECT pid FROM pg_stat_activity WHERE application_name = 'pgq_stress producer 0' LIMIT 1});
	like($pid, qr/^\d+$/, 'backend kill: found a producer backend');
	is(kill('KILL', $pid), 1, 'backend kill: SIGKILL sent');
	$max_unacked += 2 + 20;
	finish_load('backend kill', @runs);
	ok($node->poll_query_until($db, 'SELECT true'), 'backend kill: the server is back');
	like(slurp_file($node->logfile), qr/\(PID $pid\) was terminated by signal 9/,
		'backend kill: the postmaster saw the backend die');
	check_recovered('backend kill');
	check_acked('backend kill');
}

# 3. immediate shutdown
{
	my @runs = start_load(3);
	ok(wait_for_acks(2000), 'immediate stop: load is running');
	$node->stop('immediate');
	$max_unacked += 2 + 20;
	finish_load('immediate stop', @runs);
	ok(restart_node(), 'immediate stop: the node starts again');
	check_recovered('immediate stop');
	check_acked('immediate stop');
}

# leases across a backend's death
$node->safe_psql($db, q{
	SELECT pgq.create_queue('lease');
	SELECT pgq.send_batch('lease', array_fill('{"k": 1}'::jsonb, ARRAY[10]));
});
my $all_ids = $node->safe_psql($db, q{SELECT string_agg(msg_id::text, ',' ORDER BY msg_id) FROM pgq.q_lease});
my @ids = split /,/, $all_ids;
is(scalar @ids, 10, 'lease: 10 messages sent');
my $first5 = join ',', @ids[ 0 .. 4 ];
my $last5 = join ',', @ids[ 5 .. 9 ];

# an open transaction holding read messages, its backend terminated
{
	my $bg = $node->background_psql($db);
	my $bg_pid = $bg->query_safe('SELECT pg_backend_pid()');
	$bg->query_safe('BEGIN');
	is($bg->query_safe(q{SELECT string_agg(msg_id::text, ',') FROM pgq.read('lease', 60, 5)}),
		$first5, 'terminated reader: read the first 5 messages in an open transaction');
	is( $node->safe_psql(
			$db, q{BEGIN;
			SELECT string_agg(msg_id::text, ',') FROM pgq.read('lease', 60, 10);
			ROLLBACK;}),
		$last5,
		'terminated reader: meanwhile another reader gets only the other 5');
	is($node->safe_psql($db, "SELECT pg_terminate_backend($bg_pid)"), 't',
		'terminated reader: backend terminated');
	ok( $node->poll_query_until(
			$db, "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $bg_pid"),
		'terminated reader: backend gone');
	eval { $bg->quit };
	is( $node->safe_psql(
			$db, q{SELECT string_agg(msg_id || ':' || read_ct, ',' ORDER BY msg_id)
			FROM pgq.read('lease', 0, 10)}),
		join(',', map { "$_:1" } @ids),
		'terminated reader: all 10 visible again at once, read_ct 1 (the read was rolled back)');
}

# a committed read, then the reader's backend is SIGKILLed
{
	my $vt = 6;
	$node->safe_psql($db, q{
		SELECT pgq.create_queue('lease2');
		SELECT pgq.send_batch('lease2', array_fill('{"k": 2}'::jsonb, ARRAY[10]));
	});
	my @ids2 = split /,/, $node->safe_psql($db,
		q{SELECT string_agg(msg_id::text, ',' ORDER BY msg_id) FROM pgq.q_lease2});
	is(scalar @ids2, 10, 'killed reader: 10 messages sent');
	my $bg = $node->background_psql($db);
	my $bg_pid = $bg->query_safe('SELECT pg_backend_pid()');
	my ($got, $lease_end) = split /\|/, $bg->query_safe(
		qq{SELECT string_agg(msg_id || ':' || read_ct, ',' ORDER BY msg_id), max(vt)
		FROM pgq.read('lease2', $vt, 5)});
	is($got, join(',', map { "$_:1" } @ids2[ 0 .. 4 ]),
		'killed reader: committed a read of the first 5 (read_ct 1)');
	is(kill('KILL', $bg_pid), 1, 'killed reader: SIGKILL sent to its backend');
	eval { $bg->quit };
	ok($node->poll_query_until($db, 'SELECT true'), 'killed reader: the server is back');
	check_recovered('killed reader');
	is( $node->safe_psql(
			$db, qq{BEGIN;
			SELECT clock_timestamp() < '$lease_end' AS before_vt,
			       (SELECT string_agg(msg_id::text, ',') FROM pgq.read('lease2', 0, 10)) AS visible;
			ROLLBACK;}),
		't|' . join(',', @ids2[ 5 .. 9 ]),
		'killed reader: before the vt only the 5 unread are visible (the committed read survived the crash)');
	ok($node->poll_query_until($db, "SELECT clock_timestamp() >= '$lease_end'"),
		'killed reader: vt passed');
	is( $node->safe_psql(
			$db, q{SELECT string_agg(msg_id || ':' || read_ct, ',' ORDER BY msg_id)
			FROM pgq.read('lease2', 30, 10)}),
		join(',', (map { "$_:2" } @ids2[ 0 .. 4 ]), (map { "$_:1" } @ids2[ 5 .. 9 ])),
		'killed reader: after the vt the 5 come back with read_ct = 2');
}

$node->stop;

done_testing();
