# test/t/010_stress.pl: concurrent producers and consumers lose nothing and duplicate nothing
#
# Runs the libpq harness test/stress/pgq_stress.c (compiled here) against a fresh node and
# checks, in SQL, the record it leaves (see the harness's header for the tables):
#   (a) send / read qty 1 / delete(msg_id), with faults: reads rolled back, reads never deleted,
#       sends rolled back; (a2) the same while another session holds a snapshot, and the queue
#       is rotated (src/ring.c) as fast as maintenance goes
# The node runs with pgq in shared_preload_libraries: reads start at low-water marks.
#   (b) send_batch / read qty 50 / delete(msg_ids[]), with faults
#   (c) send_batch / read qty 50 / archive(msg_ids[]), with faults: the archive holds exactly
#       the sent ids; the queue is rotated meanwhile too
#   (d) create_queue / drop_queue / purge_queue / metrics churning while producers and
#       consumers work, on the same queue name (only clean 42P01 errors allowed) and beside a
#       queue that must still account for every message; no crash, no half-made queue
#   (e) poison messages: a queue with max_deliveries 3 and a dead-letter queue; 10% of the
#       messages are poison (the harness's -X), which consumers fail by turns (read rolled back,
#       read committed and never deleted); every poison message is handed out exactly 3 times,
#       rolled-back deliveries included, then sits in the dead-letter queue exactly once with
#       read_ct 3; every other message finished exactly once; pgq.stats counts agree
# For every accounted run: each sent message deleted/archived exactly once, none missing,
# none extra, no message handed to a second consumer while an earlier lease (vt) held, a
# message whose reader never deleted it comes back after the vt with read_ct one higher, a
# rolled-back read leaves read_ct as it was.
#
# PGQ_STRESS_LONG=1: 100000 messages per run and more threads; the figures are printed
# with diag().

use strict;
use warnings;

use File::Basename qw(dirname);
use File::Spec;
use IPC::Run;
use Time::HiRes qw(time);

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $long = $ENV{PGQ_STRESS_LONG} ? 1 : 0;
my %scale = $long
  ? (n => 100_000, producers => 4, consumers => 8, churn_n => 20_000, poison_n => 20_000, limit => 900)
  : (n => 5_000, producers => 2, consumers => 3, churn_n => 2_000, poison_n => 2_000, limit => 45);
my $vt = 1;
my $fault = 0.1;
my $t_start = time;

# compile the harness into this test's temporary directory
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

my $node = PostgreSQL::Test::Cluster->new('stress');
$node->init;
# the harness runs tens of thousands of statements: do not log each one
# pgq preloaded: reads start at their backend's low-water mark, waiters are woken at commit
$node->append_conf('postgresql.conf', qq{
log_statement = none
max_connections = 100
shared_preload_libraries = 'pgq'
});
$node->start;

# harness_cmd(db, option => value ...): the command line running the harness
sub harness_cmd
{
	my ($db, @opts) = @_;
	return [ $harness, '-d', $node->connstr($db), '-t', $scale{limit}, @opts ];
}

# parse the harness's summary line into a hash
sub summary
{
	my ($out) = @_;
	my ($line) = grep { /^pgq_stress: / } split /\n/, $out;
	return {} unless defined $line;
	my %h = $line =~ /(\w+)=(\S+)/g;
	return \%h;
}

# run_harness(db, opts...): run to the end; returns (exit code, summary hash, stderr)
sub run_harness
{
	my ($db, @opts) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run(harness_cmd($db, @opts), '>', \$out, '2>', \$err,
		IPC::Run::timeout($scale{limit} + 60));
	my $rc = $? >> 8;
	note($out);
	return ($rc, summary($out), $err);
}

sub new_db
{
	my ($db) = @_;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION pgq');
}

# Start rotation of queue $queue in database $db every 20 ms, as hard as it goes: with
# pgq.rotation_size at its least, each run moves what is left in the children no longer written
# to, truncates them, and rotates.  Each run's result goes to table maintain_log.
sub start_maintainer
{
	my ($db, $queue) = @_;
	$node->safe_psql($db,
		'CREATE TABLE maintain_log (rotated boolean, moved bigint, truncated integer)');
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[
			'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr($db),
			'-c', "SET application_name = 'pgq_maintainer'",
			'-c', 'SET pgq.rotation_size = 8',
			'-c', qq{DO \$\$ BEGIN
				WHILE NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'stop_maintainer') LOOP
					INSERT INTO maintain_log SELECT rotated, moved, truncated
					  FROM pgq.maintain_queue('$queue', 100) WHERE rotated IS NOT NULL;
					COMMIT;
					PERFORM pg_sleep(0.02);
				END LOOP;
			END \$\$}
		],
		'>', \$out, '2>', \$err);
	return { h => $h, err => \$err, db => $db };
}

# Stop it; returns "runs rotations moved truncated" and what it printed on stderr
sub stop_maintainer
{
	my ($m) = @_;
	my $stopper = $node->background_psql('postgres');
	$stopper->query_safe("SET application_name = 'stop_maintainer'");
	$m->{h}->finish;
	$stopper->quit;
	return (q1($m->{db}, q{SELECT count(*) || ' ' || count(*) FILTER (WHERE rotated) || ' '
		|| coalesce(sum(moved), 0) || ' ' || coalesce(sum(truncated), 0) FROM maintain_log}),
		${ $m->{err} });
}

sub q1
{
	my ($db, $sql) = @_;
	return $node->safe_psql($db, $sql);
}

# Check the record of an accounted run on queue $queue of database $db.
# %o: n (messages), producers, finish ('delete' or 'archive'), sum (harness summary),
# label.
sub check_accounting
{
	my ($db, $queue, %o) = @_;
	my ($n, $sum, $label) = @o{qw(n sum label)};

	is($sum->{result}, 'ok', "$label: harness result");
	is($sum->{done}, $n, "$label: harness finished every message");

	# what was sent: each producer's seq 0..share-1, exactly once
	my @expect_sent;
	for my $p (0 .. $o{producers} - 1)
	{
		my $share = int($n / $o{producers}) + ($p < $n % $o{producers} ? 1 : 0);
		push @expect_sent, "$p:$share:0:" . ($share - 1);
	}
	is( q1(
			$db, q{SELECT string_agg(producer || ':' || n || ':' || lo || ':' || hi, ',' ORDER BY producer)
			FROM (SELECT producer, count(DISTINCT seq) AS n, min(seq) AS lo, max(seq) AS hi
			      FROM stress_sent GROUP BY producer) s}),
		join(',', @expect_sent),
		"$label: stress_sent holds each producer's messages exactly once");
	is(q1($db, 'SELECT count(*) FROM stress_sent'), $n, "$label: $n messages sent");

	# missing / duplicated / extra
	is(q1($db, "SELECT count(*) FROM pgq.q_$queue"), '0', "$label: queue empty at the end");
	is( q1(
			$db, q{SELECT count(*) FROM stress_sent s WHERE NOT EXISTS
			(SELECT 1 FROM stress_delivery d WHERE d.msg_id = s.msg_id AND d.outcome = 'done')}),
		'0',
		"$label: lost: no sent message left without a delete/archive");
	is( q1(
			$db, q{SELECT count(*) FROM (SELECT msg_id FROM stress_delivery WHERE outcome = 'done'
			GROUP BY msg_id HAVING count(*) > 1) d}),
		'0',
		"$label: no message deleted/archived twice");
	is( q1(
			$db, q{SELECT count(*) FROM stress_delivery d
			WHERE NOT EXISTS (SELECT 1 FROM stress_sent s WHERE s.msg_id = d.msg_id)}),
		'0',
		"$label: extra: no delivery of a message that was not sent");
	is( q1(
			$db, q{SELECT count(*) FROM stress_unsent u WHERE
			EXISTS (SELECT 1 FROM stress_sent s WHERE s.msg_id = u.msg_id) OR
			EXISTS (SELECT 1 FROM stress_delivery d WHERE d.msg_id = u.msg_id)}),
		'0',
		"$label: rolled-back sends never delivered, their ids never reused");
	cmp_ok($sum->{send_rollbacks}, '>', 0, "$label: some producer transactions were rolled back");
	is( q1(
			$db, q{SELECT count(*) FROM stress_delivery d JOIN stress_sent s USING (msg_id)
			WHERE d.message IS DISTINCT FROM jsonb_build_object('p', s.producer, 'seq', s.seq)}),
		'0',
		"$label: every delivery carried its own payload");

	# leases
	is( q1(
			$db, qq{SELECT count(*) FROM stress_delivery
			WHERE vt IS DISTINCT FROM delivered_at + interval '$vt seconds'}),
		'0',
		"$label: every read set vt = read time + $vt s");
	is( q1(
			$db, q{SELECT count(*) FROM (
			SELECT delivered_at, lag(vt) OVER (PARTITION BY msg_id ORDER BY delivered_at) AS prev_vt
			FROM stress_delivery WHERE outcome <> 'rolled_back') d
			WHERE delivered_at < prev_vt}),
		'0',
		"$label: duplicated-within-VT: no message read again while an earlier lease held");
	is( q1(
			$db, q{SELECT count(*) FROM (
			SELECT read_ct, row_number() OVER (PARTITION BY msg_id ORDER BY delivered_at) AS nth
			FROM stress_delivery WHERE outcome <> 'rolled_back') d
			WHERE read_ct <> nth}),
		'0',
		"$label: read_ct counts the committed reads of a message: 1, 2, 3, ...");

	# faults
	is(q1($db, q{SELECT count(*) FROM stress_delivery WHERE outcome = 'kept'}),
		$sum->{kept}, "$label: every kept (never deleted) delivery recorded");
	cmp_ok($sum->{kept}, '>', 0, "$label: some deliveries were never deleted (faults injected)");
	is( q1(
			$db, q{SELECT count(*) FROM stress_delivery k WHERE k.outcome = 'kept' AND NOT EXISTS
			(SELECT 1 FROM stress_delivery d WHERE d.msg_id = k.msg_id AND d.outcome <> 'rolled_back'
			   AND d.read_ct = k.read_ct + 1 AND d.delivered_at >= k.vt)}),
		'0',
		"$label: every never-deleted message came back after its vt with read_ct + 1");
	is(q1($db, q{SELECT count(*) FROM stress_delivery WHERE outcome = 'rolled_back'}),
		$sum->{rolled_back}, "$label: every rolled-back delivery recorded");
	cmp_ok($sum->{rolled_back}, '>', 0, "$label: some reads were rolled back (faults injected)");
	is( q1(
			$db, q{SELECT count(*) FROM stress_delivery r WHERE r.outcome = 'rolled_back' AND NOT EXISTS
			(SELECT 1 FROM stress_delivery d WHERE d.msg_id = r.msg_id AND d.outcome <> 'rolled_back'
			   AND d.read_ct = r.read_ct)}),
		'0',
		"$label: a rolled-back read left read_ct unchanged (the next read got the same read_ct)");
	cmp_ok(
		q1(
			$db, q{SELECT count(*) FROM stress_delivery r WHERE r.outcome = 'rolled_back' AND EXISTS
			(SELECT 1 FROM stress_delivery d WHERE d.msg_id = r.msg_id AND d.outcome <> 'rolled_back'
			   AND d.read_ct = r.read_ct AND d.delivered_at < r.vt)}),
		'>', 0,
		"$label: rolled-back messages were read again before the vt they would have had");
	is(q1($db, q{SELECT count(*) FROM stress_delivery}),
		$sum->{delivered}, "$label: the record holds every delivery the harness saw");

	# the queue's own figures
	is( q1(
			$db, qq{SELECT queue_length || ' ' || total_messages FROM pgq.metrics('$queue')}),
		'0 ' . ($n + q1($db, 'SELECT count(*) FROM stress_unsent')),
		"$label: metrics: empty queue, total_messages = sent + rolled-back sends");

	if ($o{finish} eq 'archive')
	{
		is( q1(
				$db, qq{SELECT count(*) FROM (
				(SELECT msg_id FROM pgq.a_$queue EXCEPT ALL SELECT msg_id FROM stress_sent)
				UNION ALL
				(SELECT msg_id FROM stress_sent EXCEPT ALL SELECT msg_id FROM pgq.a_$queue)) x}),
			'0',
			"$label: the archive holds exactly the sent ids");
		is( q1(
				$db, qq{SELECT count(*) FROM pgq.a_$queue a
				JOIN stress_sent s USING (msg_id)
				JOIN stress_delivery d ON d.msg_id = a.msg_id AND d.outcome = 'done'
				WHERE a.message IS DISTINCT FROM jsonb_build_object('p', s.producer, 'seq', s.seq)
				   OR a.read_ct <> d.read_ct OR a.vt <> d.vt}),
			'0',
			"$label: archived rows keep payload, read_ct and vt of their last read");
	}
	else
	{
		is(q1($db, "SELECT count(*) FROM pgq.a_$queue"), '0', "$label: archive untouched");
	}

	return q1(
		$db, q{SELECT
		(SELECT count(*) FROM stress_sent s WHERE NOT EXISTS
		   (SELECT 1 FROM stress_delivery d WHERE d.msg_id = s.msg_id AND d.outcome = 'done'))
		|| ' ' ||
		(SELECT count(*) FROM (
		   SELECT delivered_at, lag(vt) OVER (PARTITION BY msg_id ORDER BY delivered_at) AS prev_vt
		   FROM stress_delivery WHERE outcome <> 'rolled_back') d WHERE delivered_at < prev_vt)});
}

my @figures;

# report(label, summary, lost/dup string, seconds): keep the figures for the summary
sub report
{
	my ($label, $sum, $lostdup, $secs) = @_;
	my ($lost, $dup) = split / /, $lostdup // '? ?';
	push @figures,
	  sprintf(
		"%-28s messages=%d producers=%d consumers=%d faulty_reads=%d"
		  . " (rolled_back_msgs=%d kept_msgs=%d) rolled_back_sends=%d lost=%s duplicated_within_vt=%s"
		  . " %.1fs (%.0f msg/s)",
		$label, $sum->{sent} // 0, $sum->{producers} // 0, $sum->{consumers} // 0,
		$sum->{fault_reads} // 0, $sum->{rolled_back} // 0, $sum->{kept} // 0,
		$sum->{send_rollbacks} // 0, $lost, $dup, $secs,
		($sum->{sent} // 0) / ($secs || 1));
}

my @base = ('-p', $scale{producers}, '-c', $scale{consumers}, '-v', $vt, '-f', $fault);

# (a) one by one
{
	new_db('single');
	my $t0 = time;
	my ($rc, $sum, $err) = run_harness('single', '-q', 'single', '-n', $scale{n}, @base,
		'-m', 'single', '-F', 'delete', '-s', 11);
	my $secs = time - $t0;
	is($rc, 0, '(a) single: harness exit code') or diag($err);
	is($err, '', '(a) single: harness printed no error');
	my $ld = check_accounting('single', 'single', n => $scale{n}, producers => $scale{producers},
		finish => 'delete', sum => $sum, label => '(a) single');
	report('(a) send/read 1/delete', $sum, $ld, $secs);
}

# (a2) as (a), while another session holds a REPEATABLE READ snapshot the whole time: nothing
# dead can be removed, and reads start at their low-water marks; the queue is rotated as fast
# as maintenance goes: messages moved between children under the consumers, children truncated
{
	new_db('held');
	my $holder = $node->background_psql('held');
	$holder->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
	$holder->query_safe('SELECT count(*) FROM pgq.meta');
	my $maint = start_maintainer('held', 'held');
	my $t0 = time;
	my ($rc, $sum, $err) = run_harness('held', '-q', 'held', '-n', $scale{n}, @base,
		'-m', 'single', '-F', 'delete', '-s', 12);
	my $secs = time - $t0;
	my ($mstat, $merr) = stop_maintainer($maint);
	is($merr, '', '(a2) maintenance printed no error');
	my ($runs, $rotations, $moved, $truncated) = split / /, $mstat;
	cmp_ok($rotations, '>', 0, "(a2) the queue was rotated under the load ($mstat: runs rotations moved truncated)");
	cmp_ok($truncated, '>', 0, '(a2) children were truncated under the load');
	cmp_ok($moved, '>', 0, '(a2) messages were moved between children under the load');
	is($rc, 0, '(a2) single, snapshot held: harness exit code') or diag($err);
	is($err, '', '(a2) single, snapshot held: harness printed no error');
	my $ld = check_accounting('held', 'held', n => $scale{n}, producers => $scale{producers},
		finish => 'delete', sum => $sum, label => '(a2) single, snapshot held');
	report('(a2) send/read 1/delete, snapshot held', $sum, $ld, $secs);
	$holder->query_safe('COMMIT');
	$holder->quit;
}

# (b) batches, delete(msg_ids[])
{
	new_db('batch');
	my $t0 = time;
	my ($rc, $sum, $err) = run_harness('batch', '-q', 'batch', '-n', $scale{n}, @base,
		'-m', 'batch', '-b', 50, '-r', 50, '-F', 'delete', '-s', 22);
	my $secs = time - $t0;
	is($rc, 0, '(b) batch delete: harness exit code') or diag($err);
	is($err, '', '(b) batch delete: harness printed no error');
	my $ld = check_accounting('batch', 'batch', n => $scale{n}, producers => $scale{producers},
		finish => 'delete', sum => $sum, label => '(b) batch delete');
	report('(b) send_batch/read 50/delete[]', $sum, $ld, $secs);
}

# (c) batches, archive(msg_ids[])
{
	new_db('archive');
	my $maint = start_maintainer('archive', 'arch');
	my $t0 = time;
	my ($rc, $sum, $err) = run_harness('archive', '-q', 'arch', '-n', $scale{n}, @base,
		'-m', 'batch', '-b', 50, '-r', 50, '-F', 'archive', '-s', 33);
	my $secs = time - $t0;
	my ($mstat, $merr) = stop_maintainer($maint);
	is($merr, '', '(c) maintenance printed no error');
	my ($runs, $rotations, $moved, $truncated) = split / /, $mstat;
	cmp_ok($rotations, '>', 0, "(c) the queue was rotated under the load ($mstat: runs rotations moved truncated)");
	cmp_ok($truncated, '>', 0, '(c) children were truncated under the load');
	is($rc, 0, '(c) batch archive: harness exit code') or diag($err);
	is($err, '', '(c) batch archive: harness printed no error');
	my $ld = check_accounting('archive', 'arch', n => $scale{n}, producers => $scale{producers},
		finish => 'archive', sum => $sum, label => '(c) batch archive');
	report('(c) send_batch/read 50/archive[]', $sum, $ld, $secs);
}

# (d) queues created, dropped and purged under load
{
	new_db('churn');
	# the queue the churn must leave alone, accounted as above, its own harness
	my ($out_s, $err_s, $out_c, $err_c) = ('', '', '', '');
	my $t0 = time;
	my $steady = IPC::Run::start(
		harness_cmd('churn', '-q', 'steady', '-n', $scale{churn_n}, @base,
			'-m', 'batch', '-b', 10, '-r', 10, '-F', 'archive', '-s', 44),
		'>', \$out_s, '2>', \$err_s, IPC::Run::timeout($scale{limit} + 60));
	# producers and consumers on "churn" while three threads create, drop, purge and measure
	# "churn" and two other queues
	my $churn = IPC::Run::start(
		harness_cmd('churn', '-e', '-q', 'churn', '-n', $scale{churn_n},
			'-p', $scale{producers}, '-c', $scale{consumers}, '-v', $vt, '-f', $fault,
			'-m', 'single', '-k', 3, '-K', 'churn,churn_x,churn_y', '-s', 55),
		'>', \$out_c, '2>', \$err_c, IPC::Run::timeout($scale{limit} + 60));
	$steady->finish;
	my $rc_s = $? >> 8;
	$churn->finish;
	my $rc_c = $? >> 8;
	my $secs = time - $t0;
	note($out_s, $out_c);
	my $sum_s = summary($out_s);
	my $sum_c = summary($out_c);

	is($rc_c, 0, '(d) churn: harness exit code (only clean "does not exist" errors)')
	  or diag($err_c);
	is($err_c, '', '(d) churn: harness printed no error');
	is($sum_c->{sent}, $scale{churn_n}, '(d) churn: producers got every message in between drops');
	cmp_ok($sum_c->{churn_create}, '>', 0, '(d) churn: queues were created');
	cmp_ok($sum_c->{churn_drop}, '>', 0, '(d) churn: queues were dropped');
	cmp_ok($sum_c->{churn_purge}, '>', 0, '(d) churn: queues were purged');
	cmp_ok($sum_c->{expected_errors}, '>', 0,
		'(d) churn: producers and consumers did meet the queue missing (42P01)');
	note("churn figures: " . join(' ', map { "$_=$sum_c->{$_}" } sort keys %$sum_c));

	is($rc_s, 0, '(d) steady queue beside the churn: harness exit code') or diag($err_s);
	is($err_s, '', '(d) steady: harness printed no error');
	my $ld = check_accounting('churn', 'steady', n => $scale{churn_n},
		producers => $scale{producers}, finish => 'archive', sum => $sum_s,
		label => '(d) steady');
	report('(d) beside create/drop/purge', $sum_s, $ld, $secs);

	# the server survived, and no queue is half made
	is($node->safe_psql('postgres', 'SELECT 1'), '1', '(d) server still up');
	my $log = slurp_file($node->logfile);
	unlike($log, qr/terminated by signal|was terminated|PANIC|TRAP:|server process .* exited/,
		'(d) no backend crashed');
	is( q1(
			'churn', q{SELECT coalesce(string_agg(problem, '; ' ORDER BY problem), '') FROM (
			SELECT 'meta row without q_ table: ' || queue_name AS problem FROM pgq.meta
			 WHERE to_regclass('pgq.q_' || queue_name) IS NULL
			UNION ALL
			SELECT 'meta row without a_ table: ' || queue_name FROM pgq.meta
			 WHERE to_regclass('pgq.a_' || queue_name) IS NULL
			UNION ALL
			SELECT 'missing vt index: ' || queue_name FROM pgq.meta
			 WHERE to_regclass('pgq.q_' || queue_name || '_vt_idx') IS NULL
			UNION ALL
			SELECT 'missing archived_at index: ' || queue_name FROM pgq.meta
			 WHERE to_regclass('pgq.a_' || queue_name || '_archived_idx') IS NULL
			UNION ALL
			SELECT 'wrong persistence: ' || m.queue_name FROM pgq.meta m
			  JOIN pg_class c ON c.oid = to_regclass('pgq.q_' || m.queue_name)
			 WHERE c.relpersistence <> CASE WHEN m.is_unlogged THEN 'u' ELSE 'p' END
			UNION ALL
			SELECT 'missing ring child: ' || m.queue_name || ' ' || t || slot FROM pgq.meta m,
			       generate_series(0, 2) slot, unnest(ARRAY['q', 'a']) t
			 WHERE m.ring_slot IS NOT NULL
			   AND to_regclass(format('pgq.%I', t || '_' || m.queue_name || '$' || slot)) IS NULL
			UNION ALL
			SELECT 'table without meta row: ' || c.relname FROM pg_class c
			 WHERE c.relnamespace = 'pgq'::regnamespace AND c.relkind IN ('r', 'p')
			   AND c.relname <> 'meta'
			   AND NOT EXISTS (SELECT 1 FROM pgq.meta m
			                   WHERE c.relname IN ('q_' || m.queue_name, 'a_' || m.queue_name)
			                      OR (m.ring_slot IS NOT NULL AND c.relname IN
			                          (SELECT t || '_' || m.queue_name || '$' || slot
			                             FROM generate_series(0, 2) slot, unnest(ARRAY['q', 'a']) t)))
			UNION ALL
			SELECT 'stray relation: ' || c.relname FROM pg_class c
			 WHERE c.relnamespace = 'pgq'::regnamespace AND c.relkind IN ('i', 'S')
			   AND c.relname <> 'meta_pkey'
			   AND NOT EXISTS (SELECT 1 FROM pgq.meta m WHERE c.relname IN
			         ('q_' || m.queue_name || '_pkey', 'q_' || m.queue_name || '_vt_idx',
			          'q_' || m.queue_name || '_msg_id_seq',
			          'a_' || m.queue_name || '_pkey', 'a_' || m.queue_name || '_archived_idx')
			      OR (m.ring_slot IS NOT NULL AND c.relname IN
			          (SELECT t || '_' || m.queue_name || '$' || slot || suffix
			             FROM generate_series(0, 2) slot,
			                  (VALUES ('q', '_pk'), ('q', '_vt'), ('a', '_pk'), ('a', '_at')) v(t, suffix))))
			) p}),
		'',
		'(d) no half state: pgq.meta rows and q_/a_ tables (with their indexes) match exactly');

	# every queue left behind works
	my @queues = split /\n/, q1('churn', 'SELECT queue_name FROM pgq.list_queues()');
	ok((grep { $_ eq 'steady' } @queues), '(d) the steady queue is still listed');
	for my $q (@queues)
	{
		my $id = q1('churn', qq{SELECT pgq.send('$q', '{"after": "churn"}')});
		is( q1(
				'churn', qq{SELECT string_agg(msg_id::text, ',') FROM pgq.read('$q', 30, 1000)
				WHERE message = '{"after": "churn"}'}),
			$id,
			"(d) queue $q: send then read after the churn");
		is(q1('churn', "SELECT pgq.delete('$q', ${id}::bigint)"), 't',
			"(d) queue $q: delete after the churn");
		cmp_ok(q1('churn', "SELECT pgq.purge_queue('$q')"), '>=', 0,
			"(d) queue $q: purge after the churn");
		is(q1('churn', "SELECT pgq.drop_queue('$q')"), 't', "(d) queue $q: drop after the churn");
	}
	is(q1('churn', 'SELECT count(*) FROM pgq.meta'), '0', '(d) every queue dropped cleanly');
}

# (e) poison messages under max_deliveries.  No random faults here: every other message is
# finished at its first delivery, far from max_deliveries, so the dead-letter queue must hold the
# poison messages and nothing else.  The harness ends when its queue is empty, which it can only
# be once every poison message has been handed out max_deliveries times and then moved by one
# more read; its time limit (-t) bounds the run.
{
	my ($n, $np, $nc, $pct, $maxd) = ($scale{poison_n}, $scale{producers} + 1, $scale{consumers} + 1, 10, 3);
	my $label = '(e) poison';
	new_db('poison');
	q1('poison', q{SELECT pgq.create_queue('poison'), pgq.create_queue('poison_dlq')});
	q1('poison', qq{SELECT pgq.set_policy('poison',
		'{"max_deliveries": $maxd, "dead_letter_queue": "poison_dlq"}')});

	# each producer's seq 0..share-1; the harness's rule makes seq k poison when
	# floor((k+1)*pct/100) > floor(k*pct/100): floor(share*pct/100) of them
	my (@expect_sent, $expect_poison);
	for my $p (0 .. $np - 1)
	{
		my $share = int($n / $np) + ($p < $n % $np ? 1 : 0);
		push @expect_sent, "$p:$share:0:" . ($share - 1);
		$expect_poison += int($share * $pct / 100);
	}

	my $t0 = time;
	my ($rc, $sum, $err) = run_harness('poison', '-q', 'poison', '-n', $n, '-p', $np, '-c', $nc,
		'-v', $vt, '-X', $pct, '-m', 'single', '-F', 'delete', '-s', 66);
	my $secs = time - $t0;
	is($rc, 0, "$label: harness exit code (ends once the queue is empty)") or diag($err);
	is($err, '', "$label: harness printed no error");
	is($sum->{result}, 'ok', "$label: harness result");
	is($sum->{poison_sent}, $expect_poison, "$label: harness sent $expect_poison poison messages");
	is($sum->{done}, $n - $expect_poison, "$label: harness finished every other message");

	# what was sent
	is( q1(
			'poison', q{SELECT string_agg(producer || ':' || n || ':' || lo || ':' || hi, ',' ORDER BY producer)
			FROM (SELECT producer, count(DISTINCT seq) AS n, min(seq) AS lo, max(seq) AS hi
			      FROM stress_sent GROUP BY producer) s}),
		join(',', @expect_sent),
		"$label: stress_sent holds each producer's messages exactly once");
	is(q1('poison', 'SELECT count(*) FROM stress_sent'), $n, "$label: $n messages sent");
	is(q1('poison', 'SELECT count(*) FROM stress_sent WHERE poison'),
		$expect_poison, "$label: $expect_poison of them poison");
	is( q1(
			'poison', qq{SELECT count(*) FROM stress_sent
			WHERE poison IS DISTINCT FROM ((seq + 1) * $pct / 100 > seq * $pct / 100)}),
		'0',
		"$label: the poison messages are those of the rule, $pct in every 100");
	is( q1(
			'poison', q{SELECT count(*) FROM stress_delivery d JOIN stress_sent s USING (msg_id)
			WHERE d.message IS DISTINCT FROM jsonb_build_object('p', s.producer, 'seq', s.seq)
			  || CASE WHEN s.poison THEN '{"poison": true}' ELSE '{}' END::jsonb}),
		'0',
		"$label: every delivery carried its own payload");
	is( q1(
			'poison', q{SELECT count(*) FROM stress_delivery d
			WHERE NOT EXISTS (SELECT 1 FROM stress_sent s WHERE s.msg_id = d.msg_id)}),
		'0',
		"$label: extra: no delivery of a message that was not sent");

	# the other messages
	is( q1(
			'poison', q{SELECT count(*) FROM stress_sent s WHERE NOT s.poison AND
			(SELECT count(*) FROM stress_delivery d WHERE d.msg_id = s.msg_id AND d.outcome = 'done') <> 1}),
		'0',
		"$label: every non-poison message deleted exactly once");
	is( q1(
			'poison', q{SELECT count(*) FROM stress_delivery d JOIN stress_sent s USING (msg_id)
			WHERE s.poison AND d.outcome NOT IN ('kept', 'rolled_back')}),
		'0',
		"$label: no poison message was ever finished");

	# the queues
	is(q1('poison', 'SELECT count(*) FROM pgq.q_poison'), '0', "$label: queue empty at the end");
	is( q1('poison', q{SELECT queue_length || ' ' || total_messages FROM pgq.metrics('poison')}),
		"0 $n", "$label: metrics: empty queue, total_messages = sent");
	is(q1('poison', 'SELECT count(*) FROM pgq.a_poison'), '0',
		"$label: nothing in the archive (dead letters go to the dead-letter queue)");
	is(q1('poison', 'SELECT count(*) FROM pgq.q_poison_dlq'), $expect_poison,
		"$label: the dead-letter queue holds $expect_poison messages");
	is( q1(
			'poison', q{SELECT count(*) FROM stress_sent s WHERE s.poison AND NOT EXISTS
			(SELECT 1 FROM pgq.q_poison_dlq l
			 WHERE (l.headers->'pgq_dead_letter'->>'msg_id')::bigint = s.msg_id)}),
		'0',
		"$label: lost: every poison message is in the dead-letter queue");
	is( q1(
			'poison', q{SELECT count(*) FROM (SELECT headers->'pgq_dead_letter'->>'msg_id'
			FROM pgq.q_poison_dlq GROUP BY 1 HAVING count(*) > 1) l}),
		'0',
		"$label: duplicated: no message is in the dead-letter queue twice");
	is( q1(
			'poison', q{SELECT count(*) FROM pgq.q_poison_dlq l WHERE NOT EXISTS
			(SELECT 1 FROM stress_sent s
			 WHERE s.msg_id = (l.headers->'pgq_dead_letter'->>'msg_id')::bigint AND s.poison)}),
		'0',
		"$label: extra: no non-poison message in the dead-letter queue");
	is( q1(
			'poison', qq{SELECT count(*) FROM pgq.q_poison_dlq l
			JOIN stress_sent s ON s.msg_id = (l.headers->'pgq_dead_letter'->>'msg_id')::bigint
			WHERE l.read_ct <> $maxd
			   OR l.message IS DISTINCT FROM
			      jsonb_build_object('p', s.producer, 'seq', s.seq, 'poison', true)
			   OR l.headers->'pgq_dead_letter'->>'queue' IS DISTINCT FROM 'poison'
			   OR l.headers->'pgq_dead_letter'->>'reason' IS DISTINCT FROM 'max_deliveries'
			   OR l.headers->'pgq_dead_letter'->>'read_ct' IS DISTINCT FROM '$maxd'
			   OR l.headers->'pgq_dead_letter'->'headers' IS DISTINCT FROM 'null'::jsonb}),
		'0',
		"$label: each dead letter: read_ct $maxd, its payload, header pgq_dead_letter (queue, reason, read_ct $maxd, no headers)");

	# deliveries of the poison messages
	is( q1(
			'poison', qq{SELECT count(*) FROM stress_sent s WHERE s.poison AND
			(SELECT count(*) FROM stress_delivery d WHERE d.msg_id = s.msg_id) <> $maxd}),
		'0',
		"$label: every poison message handed out exactly $maxd times (committed + rolled back)");
	# by read_ct, not delivered_at: a read's clock is taken before it locks, so a read that
	# comes right after a rollback may carry the earlier time
	is( q1(
			'poison', q{SELECT count(*) FROM (
			SELECT read_ct, row_number() OVER (PARTITION BY msg_id ORDER BY read_ct) AS nth
			FROM stress_delivery) d
			WHERE read_ct <> nth}),
		'0',
		"$label: read_ct counts every delivery, rolled-back ones too: 1, 2, 3, none twice");
	is( q1(
			'poison', q{SELECT count(*) FROM (
			SELECT delivered_at, lag(vt) OVER (PARTITION BY msg_id ORDER BY delivered_at) AS prev_vt
			FROM stress_delivery WHERE outcome <> 'rolled_back') d
			WHERE delivered_at < prev_vt}),
		'0',
		"$label: duplicated-within-VT: no message read again while an earlier lease held");
	is( q1(
			'poison', q{SELECT count(*) FROM pgq.q_poison_dlq l
			JOIN stress_delivery d
			  ON d.msg_id = (l.headers->'pgq_dead_letter'->>'msg_id')::bigint AND d.outcome = 'kept'
			WHERE (l.headers->'pgq_dead_letter'->>'dead_lettered_at')::timestamptz < d.vt}),
		'0',
		"$label: no poison message moved while a lease it was given held");
	is(q1('poison', q{SELECT count(*) FROM stress_delivery WHERE outcome = 'rolled_back'}),
		$sum->{rolled_back}, "$label: every rolled-back delivery recorded");
	is(q1('poison', q{SELECT count(*) FROM stress_delivery WHERE outcome = 'kept'}),
		$sum->{kept}, "$label: every kept delivery recorded");
	cmp_ok($sum->{poison_rolled_back}, '>', 0, "$label: some poison deliveries were rolled back");
	cmp_ok($sum->{poison_kept}, '>', 0, "$label: some poison deliveries were never deleted");
	is(q1('poison', q{SELECT count(*) FROM stress_delivery}),
		$sum->{delivered}, "$label: the record holds every delivery the harness saw");

	# pgq's counters (since the node started; the queue is new)
	is( q1(
			'poison', q{SELECT dead_lettered || ' ' || rolled_back_deliveries || ' ' || redelivered
			FROM pgq.stats('poison')}),
		q1(
			'poison', qq{SELECT $expect_poison
			|| ' ' || (SELECT count(*) FROM stress_delivery WHERE outcome = 'rolled_back')
			|| ' ' || (SELECT count(*) - count(DISTINCT msg_id) FROM stress_delivery)}),
		"$label: pgq.stats: dead_lettered = poison messages, rolled_back_deliveries and"
		  . " redelivered as recorded");

	my $lostdup = q1(
		'poison', q{SELECT
		(SELECT count(*) FROM stress_sent s WHERE NOT EXISTS
		   (SELECT 1 FROM stress_delivery d WHERE d.msg_id = s.msg_id AND d.outcome = 'done')
		 AND NOT EXISTS (SELECT 1 FROM pgq.q_poison_dlq l
		   WHERE (l.headers->'pgq_dead_letter'->>'msg_id')::bigint = s.msg_id))
		|| ' ' ||
		(SELECT count(*) FROM (
		   SELECT delivered_at, lag(vt) OVER (PARTITION BY msg_id ORDER BY delivered_at) AS prev_vt
		   FROM stress_delivery WHERE outcome <> 'rolled_back') d WHERE delivered_at < prev_vt)});
	report("(e) poison, max_deliveries $maxd", $sum, $lostdup, $secs);
	push @figures,
	  sprintf('%-28s poison=%d dead_letters=%d poison_rolled_back=%d poison_kept=%d'
		  . ' kept_for_dead_letters=%d',
		'', $sum->{poison_sent} // 0, q1('poison', 'SELECT count(*) FROM pgq.q_poison_dlq'),
		$sum->{poison_rolled_back} // 0, $sum->{poison_kept} // 0,
		$sum->{kept_for_dead_letters} // 0);
}

my $total = time - $t_start;
my $head = sprintf('%s mode, %d messages per run, %d producers, %d consumers, vt %d s, fault share %.2f, total %.1f s',
	$long ? 'long' : 'CI', $scale{n}, $scale{producers}, $scale{consumers}, $vt, $fault, $total);
if ($long)
{
	diag($head);
	diag($_) for @figures;
}
else
{
	note($head);
	note($_) for @figures;
}

$node->stop;

done_testing();
