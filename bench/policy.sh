#!/bin/bash
# bench/policy.sh: a queue with delivery policies against a queue without, in one run
#
#   bash bench/policy.sh                   # 6 interleaved pairs of 4-second runs
#   bash bench/policy.sh --pairs 8 --duration 5
#
# What a queue's delivery policies cost per call: one throwaway cluster (pgq preloaded, as
# bench/run.sh sets it up: shared_buffers 512MB, no checkpoint in the middle of a run), one
# database, and queues of two kinds: "plain", without a policy, and "pol", with
#   {"max_deliveries": 5, "dead_letter_queue": "pol_dlq", "priorities": true}
# (pol_dlq made first), so that its reads lock their candidates, one index descent per
# priority, and decide in C.  Side "plain" runs the calls on the plain queues, side "pol" the
# same calls on the pol queues, a pol send with a random priority from 0 to 9 through
# send(queue, msg, headers, delay, priority).  The operations:
#   send1             send 1
#   read1_delete      read 1 + delete, in one statement
#   cycle             send 1, then read 1 + delete, in one transaction
#   big_read1_delete  read 1 + delete on queues "plain_big" and "pol_big", each made with --big
#                     messages waiting (pol_big: in batches of 10,000, the priorities taking
#                     turns), then --head of them read with a visibility timeout of a day (in
#                     flight: the first ones a read takes, pol_big's of the highest priority),
#                     then VACUUM ANALYZE: whether a read with priorities stays one descent per
#                     priority on a large queue
# plain and pol start with 200,000 messages each (pol's spread over the priorities alike),
# vacuumed.  PAIRS pairs of pgbench runs (-M prepared, -c 4 -j 2) of each operation alternate
# which side goes first.  Printed: ops/s of each run, and per operation the pol / plain ratios
# per pair and their median.  The queues are not refilled between runs (the send runs refill
# plain and pol), so both sides age alike, dead rows included until autovacuum runs: compare
# sides within a pair, not runs across pairs.  Writes bench/out/policy.md.
#
# Options: --pairs N (6), --duration SECONDS (4), --big N (1000000), --head N (10000),
# --port N (PGQ_BENCH_PORT, default 5461), --no-build (use the pgq already installed instead
# of building this tree).

set -u

BENCH_NAME=policy
BENCH_VALUE_OPTS="--big --head"
BIG=1000000
HEAD=10000
# shellcheck source=bench/lib.sh disable=SC2034 # BENCH_* are read by bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ARGS=("$@")
bench_options "$@"
for v in BIG HEAD; do
	if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
		echo "error: --${v,,} must be a positive integer, not \"${!v}\"" >&2
		exit 2
	fi
done
if [ "$HEAD" -ge "$BIG" ]; then
	echo "error: --head must be below --big" >&2
	exit 2
fi

POLICY='{"max_deliveries": 5, "dead_letter_queue": "pol_dlq", "priorities": true}'

# fill QUEUE N PRIORITIES: N messages in batches of 10,000 (the last one smaller); with
# PRIORITIES, through send_batch(..., priority), the batches taking priorities 0 to 9 in turn
fill()
{
	local q=$1 n=$2 batch

	if [ "$3" = priorities ]; then
		batch="pgq.send_batch('$q', array_fill('{\"k\": 1}'::jsonb, ARRAY[least(10000, $n - g * 10000)]), NULL, 0, g % 10)"
	else
		batch="pgq.send_batch('$q', array_fill('{\"k\": 1}'::jsonb, ARRAY[least(10000, $n - g * 10000)]))"
	fi
	bench_sql "$BENCH_DB" "SELECT sum((SELECT count(*) FROM $batch)) FROM generate_series(0, ($n - 1) / 10000) g" \
		>/dev/null
}

# depths: each queue's messages, and how many of them are visible
depths()
{
	local q

	for q in plain pol pol_dlq plain_big pol_big; do
		bench_sql "$BENCH_DB" "SELECT format('  %-10s %8s messages, %8s visible', '$q', count(*),
		                                     count(*) FILTER (WHERE vt <= now())) FROM pgq.q_$q"
	done
}

# inside the scratch copy, as the tester: run the cluster and the pairs
run_inner()
{
	local out=bench/out/policy.md side q started send

	mkdir -p bench/out || return 1
	started=$(date +%s)
	pgq_cluster_start "$PGQ_SCRATCH/cluster" "$PORT" || return 1
	trap 'pgq_cluster_stop' RETURN
	# room for the large queues in shared buffers, and no checkpoint in the middle of a run
	bench_sql postgres "ALTER SYSTEM SET shared_buffers = '512MB'" &&
		bench_sql postgres "ALTER SYSTEM SET max_wal_size = '8GB'" &&
		bench_sql postgres "ALTER SYSTEM SET checkpoint_timeout = '1h'" &&
		pg_ctl -D "$PGQ_CLUSTER_DIR/data" -w -m fast restart >/dev/null || return 1
	BENCH_DB=bench
	bench_sql postgres "CREATE DATABASE bench" && bench_sql "$BENCH_DB" "CREATE EXTENSION pgq" || return 1
	bench_sql "$BENCH_DB" "SELECT pgq.create_queue('plain'); SELECT pgq.create_queue('plain_big');
	         SELECT pgq.create_queue('pol_dlq'); SELECT pgq.create_queue('pol'); SELECT pgq.create_queue('pol_big');
	         SELECT pgq.set_policy('pol', '$POLICY'); SELECT pgq.set_policy('pol_big', '$POLICY');" \
		>/dev/null || return 1

	echo "priming: plain and pol with 200,000 messages, plain_big and pol_big with $BIG, $HEAD of them in flight"
	fill plain 200000 none && fill pol 200000 priorities &&
		fill plain_big "$BIG" none && fill pol_big "$BIG" priorities || return 1
	for q in plain_big pol_big; do
		bench_sql "$BENCH_DB" "SELECT count(*) FROM pgq.read('$q', 86400, $HEAD)" >/dev/null || return 1
	done
	for q in plain pol plain_big pol_big; do
		bench_sql "$BENCH_DB" "VACUUM ANALYZE pgq.q_$q" || return 1
	done
	depths
	echo "primed in $(($(date +%s) - started)) s"

	for side in plain pol; do
		if [ "$side" = pol ]; then
			send="\\set p random(0, 9)
SELECT pgq.send('pol', '{\"k\": 1}', NULL::jsonb, 0, :p);"
		else
			send="SELECT pgq.send('plain', '{\"k\": 1}');"
		fi
		echo "$send" >"$PGQ_SCRATCH/send1.$side.sql"
		echo "SELECT pgq.delete('$side', msg_id) FROM pgq.read('$side', 30, 1);" >"$PGQ_SCRATCH/read1_delete.$side.sql"
		printf '%s\n' "BEGIN;" "$send" "SELECT pgq.delete('$side', msg_id) FROM pgq.read('$side', 30, 1);" \
			"COMMIT;" >"$PGQ_SCRATCH/cycle.$side.sql"
		echo "SELECT pgq.delete('${side}_big', msg_id) FROM pgq.read('${side}_big', 30, 1);" \
			>"$PGQ_SCRATCH/big_read1_delete.$side.sql"
	done
	bench_pairs plain pol "send1 read1_delete cycle big_read1_delete" || return 1

	echo "after the runs:"
	depths
	{
		echo "### Delivery policies against none ($(git --git-dir="$PGQ_SCRATCH/git" rev-parse --short HEAD 2>/dev/null || echo 'this tree'))"
		echo
		echo "Same cluster and database, $PAIRS pairs of ${DURATION}-second pgbench runs (-M prepared -c 4 -j 2), order alternating."
		echo "pol: $POLICY, sends with a random priority 0..9; plain: no policy."
		echo "Queues of 200,000 messages, not refilled; big_: $BIG messages, $HEAD of them in flight at the head."
		echo
		bench_table plain pol
	} >"$out"
	echo
	cat "$out"
	echo
	echo "wall time: $(($(date +%s) - started)) s"
}

if [ "$INNER" -eq 1 ]; then
	cd "$PGQ_SCRATCH/tree" || exit 1
	run_inner
else
	bench_main "postgresql-$PGQ_PG_VERSION postgresql-server-dev-$PGQ_PG_VERSION make gcc" "${ARGS[@]}"
fi
