# test/t/060_wait.pl: read_with_poll woken by commits, one waiter per message
#
# A node with pgq in shared_preload_libraries; waiters are psql processes running
# pgq.read_with_poll, and pgq.wait_stats() counts what happened:
#   1. wake on commit: a send in an open transaction wakes nobody; its commit wakes the waiter,
#      which returns the message; a rolled-back send wakes nobody
#   2. wake-one: 5 waiters, 2 messages committed in one transaction: exactly 2 woken, both
#      return a message, 3 still wait and none of them read; then 1 message: 1 woken
#   3. messages visible again: a read rolled back (transaction, then savepoint) wakes a waiter;
#      so do a read with vt 0 that commits, and a set_vt and a purge_queue that roll back (the
#      waiter's read had skipped the locked row)
#   4. due times: a delayed message, and a message whose vt expires, are picked up by the
#      queue's leader at their due time (due_wakeups), not at the waiter's deadline
#   5. waiters with a conditional (they poll) return only their messages
#   6. what a waiting reader holds: nothing stronger than RowExclusiveLock on its queue's table,
#      no row lock, a snapshot (backend_xmin) until the call ends
#      ends of a wait: pg_cancel_backend and statement_timeout (57014), pg_terminate_backend:
#      the slot is free again each time; drop_queue ends its queue's waiters with 42P01 at once
#   6b. maintenance that needs a child of the queue makes its waiters return at once
#   7. a full table (pgq.max_waiters = 1): the second waiter polls, both get their messages
#   8. fast shutdown during a wait
#   9. without shared_preload_libraries: mode "poll", read_with_poll still finds a message
#      sent meanwhile

use strict;
use warnings;

use IPC::Run;
use Time::HiRes qw(usleep);

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('wait');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pgq'\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pgq');

# a psql process running one statement; its output and errors are collected
sub start_psql
{
	my ($n, $name, $sql) = @_;
	my %w = (out => '', err => '', name => $name);
	$w{h} = IPC::Run::start(
		[
			'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d',
			$n->connstr('postgres') . " application_name=$name", '-c', $sql
		],
		'>', \$w{out}, '2>', \$w{err});
	return \%w;
}

sub finish_psql
{
	my ($w) = @_;
	return $w->{out} if $w->{done};
	$w->{h}->finish;
	$w->{done} = 1;
	chomp $w->{out};
	return $w->{out};
}

# (pumping a finished harness would start it again)
sub is_running
{
	my ($w) = @_;
	return 0 if $w->{done};
	$w->{h}->pump_nb;
	return $w->{h}->pumpable;
}

# the psql processes of @$ws that have ended, once $count of them have (or after 60 s)
sub done_within
{
	my ($ws, $count) = @_;
	my @done;
	for (my $i = 0; $i < 600; $i++)
	{
		@done = grep { !is_running($_) } @$ws;
		last if @done >= $count;
		usleep(100_000);
	}
	return @done;
}

# the counters of wait_stats() as a hash
sub stats
{
	my ($n) = @_;
	$n //= $node;
	my @v = split /\|/, $n->safe_psql('postgres',
		'SELECT waiting, waits, wakeups, due_wakeups, empty_wakeups, polls FROM pgq.wait_stats()');
	my %s;
	@s{qw(waiting waits wakeups due_wakeups empty_wakeups polls)} = @v;
	return \%s;
}

sub wait_for_waiting
{
	my ($count, $what, $n) = @_;
	$n //= $node;
	ok($n->poll_query_until('postgres', "SELECT waiting = $count FROM pgq.wait_stats()"),
		"$what: $count waiting");
}

sub waiter
{
	my ($name, $queue, %o) = @_;
	my $qty = $o{qty} // 1;
	my $secs = $o{seconds} // 60;
	my $cond = defined $o{conditional} ? ", conditional => '$o{conditional}'" : '';
	return start_psql($o{node} // $node, $name,
		"SELECT coalesce(string_agg(message->>'k', ',' ORDER BY msg_id), '') FROM pgq.read_with_poll('$queue', 30, $qty, $secs$cond)"
	);
}

is($node->safe_psql('postgres', 'SELECT mode, max_waiters, waiting FROM pgq.wait_stats()'),
	'wake|1024|0', 'preloaded: mode wake, 1024 slots, nobody waiting');

#
# 1. wake on commit, not at the send, not on rollback
#
$node->safe_psql('postgres', q{SELECT pgq.create_queue('w1')});
{
	my $w = waiter('c1', 'w1');
	wait_for_waiting(1, 'commit');
	my $before = stats();
	my $tx = $node->background_psql('postgres');
	$tx->query_safe('BEGIN');
	$tx->query_safe(q{SELECT pgq.send('w1', '{"k": "a"}')});
	is(stats()->{wakeups}, $before->{wakeups}, 'commit: a send in an open transaction wakes nobody');
	$tx->query_safe('ROLLBACK');
	is(stats()->{wakeups}, $before->{wakeups}, 'rollback: a rolled-back send wakes nobody');
	ok(is_running($w), 'rollback: the waiter still waits');
	$tx->query_safe('BEGIN');
	$tx->query_safe(q{SELECT pgq.send('w1', '{"k": "b"}')});
	$tx->query_safe('COMMIT');
	is(finish_psql($w), 'b', 'commit: the waiter returns the committed message');
	my $after = stats();
	is($after->{wakeups} - $before->{wakeups}, 1, 'commit: one wake-up');
	is($after->{empty_wakeups} - $before->{empty_wakeups}, 0, 'commit: no empty wake-up');
	is($after->{waiting}, 0, 'commit: the slot is free');
	$tx->quit;
}

#
# 2. wake-one: k messages wake k of n waiters
#
{
	my @w = map { waiter("h$_", 'w1') } 1 .. 5;
	wait_for_waiting(5, 'wake-one');
	my $before = stats();
	$node->safe_psql('postgres',
		q{SELECT pgq.send_batch('w1', ARRAY['{"k": "x"}', '{"k": "y"}']::jsonb[])});
	ok($node->poll_query_until('postgres', 'SELECT waiting = 3 FROM pgq.wait_stats()'),
		'wake-one: 2 messages, 3 of 5 still waiting');
	my @done = done_within(\@w, 2);
	is(scalar @done, 2, 'wake-one: 2 waiters returned');
	is(join(',', sort map { finish_psql($_) } @done), 'x,y', 'wake-one: each returned one of the messages');
	my $mid = stats();
	is($mid->{wakeups} - $before->{wakeups}, 2, 'wake-one: exactly 2 wake-ups');
	is($mid->{empty_wakeups} - $before->{empty_wakeups}, 0, 'wake-one: none woke for nothing');
	@w = grep { is_running($_) } @w;
	$node->safe_psql('postgres', q{SELECT pgq.send('w1', '{"k": "z"}')});
	ok($node->poll_query_until('postgres', 'SELECT waiting = 2 FROM pgq.wait_stats()'),
		'herd: 1 message, 2 of 3 still waiting');
	my $after = stats();
	is($after->{wakeups} - $mid->{wakeups}, 1, 'herd: 1 message woke 1 waiter of 3');
	is($after->{empty_wakeups} - $mid->{empty_wakeups}, 0, 'herd: nobody woke for nothing');
	$node->safe_psql('postgres',
		q{SELECT pgq.send_batch('w1', ARRAY['{"k": "p"}', '{"k": "q"}', '{"k": "r"}']::jsonb[])});
	is(join(',', sort grep { $_ ne '' } map { finish_psql($_) } @w), 'p,q,z',
		'herd: the other waiters return the remaining messages');
	is( $node->safe_psql(
			'postgres',
			q{SELECT count(*) FILTER (WHERE read_ct = 0), count(*) FILTER (WHERE read_ct = 1) FROM pgq.q_w1}),
		'1|6',
		'herd: one message left unread, every other one read once');
	$node->safe_psql('postgres', q{SELECT pgq.purge_queue('w1')});
}

#
# 3. messages visible again: a rolled-back read wakes a waiter
#
{
	$node->safe_psql('postgres', q{SELECT pgq.send('w1', '{"k": "again"}')});
	my $tx = $node->background_psql('postgres');
	$tx->query_safe('BEGIN');
	is($tx->query_safe(q{SELECT message->>'k' FROM pgq.read('w1', 30, 1)}), 'again',
		'rolled-back read: a transaction reads the message');
	my $w = waiter('r1', 'w1');
	wait_for_waiting(1, 'rolled-back read');
	$tx->query_safe('ROLLBACK');
	is(finish_psql($w), 'again', 'rolled-back read: the waiter gets the message at the rollback');

	$node->safe_psql('postgres', q{SELECT pgq.send('w1', '{"k": "sp"}')});
	$tx->query_safe('BEGIN');
	$tx->query_safe('SAVEPOINT s');
	is($tx->query_safe(q{SELECT message->>'k' FROM pgq.read('w1', 30, 1)}), 'sp',
		'rolled-back savepoint: read in a savepoint');
	$w = waiter('r2', 'w1');
	wait_for_waiting(1, 'rolled-back savepoint');
	$tx->query_safe('ROLLBACK TO SAVEPOINT s');
	is(finish_psql($w), 'sp', 'rolled-back savepoint: the waiter gets the message at once');
	$tx->query_safe('COMMIT');

	# a waiter's read skips rows other transactions hold (SKIP LOCKED): when they let go of a
	# visible message, a waiter is woken: a read with vt 0 that commits, a set_vt that rolls back
	$node->safe_psql('postgres', q{SELECT pgq.purge_queue('w1'); SELECT pgq.send('w1', '{"k": "peek"}')});
	$tx->query_safe('BEGIN');
	is($tx->query_safe(q{SELECT message->>'k' FROM pgq.read('w1', 0, 1)}), 'peek',
		'locked: a transaction reads the message with vt 0 (it stays visible, locked)');
	$w = waiter('r3', 'w1');
	wait_for_waiting(1, 'vt 0 read');
	$tx->query_safe('COMMIT');
	is(finish_psql($w), 'peek', 'locked: the waiter gets it when the vt 0 read commits');

	$node->safe_psql('postgres', q{SELECT pgq.purge_queue('w1'); SELECT pgq.send('w1', '{"k": "setvt"}')});
	$tx->query_safe('BEGIN');
	$tx->query_safe(q{SELECT pgq.set_vt('w1', msg_id, 60) FROM pgq.q_w1});
	$w = waiter('r4', 'w1');
	wait_for_waiting(1, 'set_vt rolled back');
	$tx->query_safe('ROLLBACK');
	is(finish_psql($w), 'setvt', 'locked: the waiter gets it when the set_vt rolls back');

	$node->safe_psql('postgres', q{SELECT pgq.purge_queue('w1'); SELECT pgq.send('w1', '{"k": "purged"}')});
	$tx->query_safe('BEGIN');
	$tx->query_safe(q{SELECT pgq.purge_queue('w1')});
	$w = waiter('r5', 'w1');
	wait_for_waiting(1, 'purge rolled back');
	my $before = stats();
	$tx->query_safe('ROLLBACK');
	is(finish_psql($w), 'purged', 'locked: the waiter gets it when a purge_queue rolls back');
	is(stats()->{due_wakeups} - $before->{due_wakeups}, 0, 'locked: woken by the rollback, not a due time');
	$tx->quit;
	$node->safe_psql('postgres', q{SELECT pgq.purge_queue('w1')});
}

#
# 4. due times: a delayed message, an expiring vt
#
{
	my $before = stats();
	my $w = waiter('d1', 'w1', seconds => 30);
	wait_for_waiting(1, 'delayed');
	$node->safe_psql('postgres', q{SELECT pgq.send('w1', '{"k": "later"}', 2)});
	is(finish_psql($w), 'later', 'delayed: the waiter returns the delayed message');
	my $mid = stats();
	is($mid->{wakeups} - $before->{wakeups}, 0, 'delayed: its commit woke nobody');
	cmp_ok($mid->{due_wakeups} - $before->{due_wakeups}, '>=', 1,
		'delayed: the leader woke at its due time');
	is($node->safe_psql('postgres', q{SELECT last_read_at >= enqueued_at + interval '2 s' FROM pgq.q_w1}),
		't', 'delayed: the message was read once due, not before');

	# the read above gave it vt 30 s; make it 2 s and let it expire
	$node->safe_psql('postgres', q{SELECT pgq.set_vt('w1', msg_id, 2) FROM pgq.q_w1});
	$w = waiter('d2', 'w1', seconds => 30);
	is(finish_psql($w), 'later', 'expired vt: the message comes back to a waiter when its vt passes');
	cmp_ok(stats()->{due_wakeups} - $mid->{due_wakeups}, '>=', 1,
		'expired vt: picked up at its due time');
	is($node->safe_psql('postgres', q{SELECT read_ct FROM pgq.q_w1}), '2', 'expired vt: read twice');
	$node->safe_psql('postgres', q{SELECT pgq.purge_queue('w1')});
}

#
# 5. conditional waiters
#
{
	my $wa = waiter('ca', 'w1', conditional => '{"t": "a"}');
	my $wb = waiter('cb', 'w1', conditional => '{"t": "b"}');
	waiter_pid($_) for qw(ca cb);
	is(stats()->{waiting}, 0, 'conditional: no slot taken');
	$node->safe_psql('postgres', q{SELECT pgq.send('w1', '{"k": "for-b", "t": "b"}')});
	is(finish_psql($wb), 'for-b', 'conditional: the waiter for b gets its message');
	ok(is_running($wa), 'conditional: the waiter for a still waits');
	$node->safe_psql('postgres', q{SELECT pgq.send('w1', '{"k": "for-a", "t": "a"}')});
	is(finish_psql($wa), 'for-a', 'conditional: the waiter for a gets its message');
}

#
# 6. ends of a wait
#
sub waiter_pid
{
	my ($name) = @_;
	$node->poll_query_until('postgres',
		qq{SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = '$name'
		   AND wait_event_type = 'Extension'});
	return $node->safe_psql('postgres',
		qq{SELECT pid FROM pg_stat_activity WHERE application_name = '$name'});
}

{
	# what a waiting reader holds: its queue's table in RowExclusiveLock, no row, and the
	# statement's snapshot (which holds back vacuum's horizon) until the call ends
	my $w = waiter('l1', 'w1', seconds => 3);
	my $pid = waiter_pid('l1');
	wait_for_waiting(1, 'holds');
	is( $node->safe_psql(
			'postgres', qq{SELECT count(*) FILTER (WHERE locktype = 'tuple'),
			bool_and(mode IN ('AccessShareLock', 'RowShareLock', 'RowExclusiveLock'))
			  FILTER (WHERE locktype = 'relation'),
			bool_or(relation = 'pgq.q_w1'::regclass AND mode = 'RowExclusiveLock')
			FROM pg_locks WHERE pid = $pid AND granted}),
		'0|t|t',
		'holds: no row lock; nothing stronger than RowExclusiveLock (the queue table)');
	is($node->safe_psql('postgres', qq{SELECT backend_xmin IS NOT NULL FROM pg_stat_activity WHERE pid = $pid}),
		't', 'holds: a snapshot (backend_xmin) while it waits');
	is(finish_psql($w), '', 'holds: it ends at its deadline with no rows');

	$w = waiter('x1', 'w1');
	$pid = waiter_pid('x1');
	wait_for_waiting(1, 'cancel');
	is($node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)"), 't', 'cancel: sent');
	finish_psql($w);
	like($w->{err}, qr/canceling statement due to user request/, 'cancel: the wait ends with 57014');
	is(stats()->{waiting}, 0, 'cancel: the slot is free');

	$w = start_psql($node, 'x2',
		q{SET statement_timeout = '300ms'; SELECT * FROM pgq.read_with_poll('w1', 30, 1, 60)});
	finish_psql($w);
	like($w->{err}, qr/canceling statement due to statement timeout/,
		'statement_timeout: the wait ends with 57014');
	is(stats()->{waiting}, 0, 'statement_timeout: the slot is free');

	$w = waiter('x3', 'w1');
	$pid = waiter_pid('x3');
	wait_for_waiting(1, 'terminate');
	is($node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)"), 't', 'terminate: sent');
	finish_psql($w);
	like($w->{err}, qr/terminating connection/, 'terminate: the waiter is disconnected');
	ok($node->poll_query_until('postgres', 'SELECT waiting = 0 FROM pgq.wait_stats()'),
		'terminate: the slot is free');

	$node->safe_psql('postgres', q{SELECT pgq.create_queue('w2')});
	$w = waiter('x4', 'w2');
	wait_for_waiting(1, 'drop');
	is($node->safe_psql('postgres', q{SET lock_timeout = '20s'; SELECT pgq.drop_queue('w2')}), 't',
		'drop: drop_queue does not wait for the waiter');
	finish_psql($w);
	like($w->{err}, qr/queue "w2" is being dropped/, 'drop: the waiter ends with an error');
	is(stats()->{waiting}, 0, 'drop: the slot is free');
	$w = start_psql($node, 'x5', q{SELECT * FROM pgq.read_with_poll('w2', 30, 1, 1)});
	finish_psql($w);
	like($w->{err}, qr/queue "w2" does not exist/, 'drop: a new waiter is told the queue is gone');

	# a drop_queue rolled back to a savepoint leaves no marker behind
	$node->safe_psql('postgres', q{SELECT pgq.create_queue('w3')});
	my $tx = $node->background_psql('postgres');
	$tx->query_safe(q{BEGIN; SAVEPOINT s; SELECT pgq.drop_queue('w3'); ROLLBACK TO SAVEPOINT s});
	is($node->safe_psql('postgres', q{SELECT count(*) FROM pgq.read_with_poll('w3', 30, 1, 1)}), '0',
		'drop rolled back to a savepoint: another session waits on the queue as before');
	$tx->query_safe('COMMIT');
	$tx->quit;
}

#
# 6b. maintenance (ring.c) needs a child of the queue: its waiters return at once, with what a
#     last read finds, so that the child can be cleared without waiting for their deadlines
#
{
	$node->safe_psql('postgres', q{SELECT pgq.create_queue('wm')});
	$node->safe_psql('postgres', q{SELECT pgq.send('wm', '{"k": "old"}', 3600)});
	# rotate: the delayed message stays in the first child, which is then cleared
	is($node->safe_psql('postgres',
			q{SET pgq.rotation_size = 8; SELECT rotated FROM pgq.maintain_queue('wm')}),
		't', 'yield: the queue is rotated');
	my @ws = map { waiter("y$_", 'wm') } 1 .. 2;
	wait_for_waiting(2, 'yield');
	my $t0 = time;
	is($node->safe_psql('postgres',
			q{SELECT moved || ' ' || truncated FROM pgq.maintain_queue('wm', 10000)}),
		'1 1', 'yield: maintenance cleared the child the waiters held');
	my @done = done_within(\@ws, 2);
	is(scalar(@done), 2, 'yield: both waiters returned');
	cmp_ok(time - $t0, '<', 30, 'yield: long before their 60-second deadline');
	is(join(',', map { finish_psql($_) . '/' . $_->{err} } @ws), '/,/',
		'yield: they returned no rows and no error');
	is(stats()->{waiting}, 0, 'yield: the slots are free');
	is($node->safe_psql('postgres',
			q{SELECT tableoid::regclass || ' ' || (message->>'k') FROM pgq.q_wm}),
		'pgq."q_wm$1" old', 'yield: the message is in the current child');
	$node->safe_psql('postgres', q{SELECT pgq.drop_queue('wm')});
}

#
# 8. fast shutdown during a wait
#
{
	my $w = waiter('s1', 'w1');
	wait_for_waiting(1, 'shutdown');
	$node->stop('fast');
	finish_psql($w);
	like($w->{err}, qr/terminating connection due to administrator command/,
		'shutdown: the waiter ends at a fast shutdown');
	$node->start;
	is(stats()->{waiting}, 0, 'shutdown: nobody waits after the restart');
}

$node->stop;

#
# 7. a full table: pgq.max_waiters = 1
#
my $small = PostgreSQL::Test::Cluster->new('small');
$small->init;
$small->append_conf('postgresql.conf', "shared_preload_libraries = 'pgq'\npgq.max_waiters = 1\n");
$small->start;
$small->safe_psql('postgres', q{CREATE EXTENSION pgq; SELECT pgq.create_queue('f')});
{
	my $w1 = waiter('f1', 'f', node => $small);
	wait_for_waiting(1, 'full', $small);
	my $w2 = waiter('f2', 'f', node => $small);
	ok($small->poll_query_until('postgres', 'SELECT polls = 1 FROM pgq.wait_stats()'),
		'full: the second waiter polls');
	$small->safe_psql('postgres', q{SELECT pgq.send_batch('f', ARRAY['{"k": 1}', '{"k": 2}']::jsonb[])});
	is(join(',', sort(finish_psql($w1), finish_psql($w2))), '1,2', 'full: both get a message');
}
$small->stop;

#
# 9. without shared_preload_libraries
#
my $plain = PostgreSQL::Test::Cluster->new('plain');
$plain->init;
$plain->start;
$plain->safe_psql('postgres', q{CREATE EXTENSION pgq; SELECT pgq.create_queue('p')});
is($plain->safe_psql('postgres', 'SELECT mode, max_waiters FROM pgq.wait_stats()'),
	'poll|0', 'not preloaded: mode poll');
{
	my $w = waiter('p1', 'p', node => $plain);
	$plain->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'p1' AND wait_event_type = 'Extension'});
	$plain->safe_psql('postgres', q{SELECT pgq.send('p', '{"k": "polled"}')});
	is(finish_psql($w), 'polled', 'not preloaded: the waiter finds the message by polling');
}
$plain->stop;

done_testing();
