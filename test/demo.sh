#!/bin/bash
# test/demo.sh: pgq at work, in a throwaway cluster
#
#   bash test/demo.sh
#
# Installs the Debian packages that are missing, builds and installs pgq (as test/run.sh does),
# starts a throwaway cluster listening only on a unix socket in a private directory (stopped and
# removed on exit), and walks through a producer and two consumers, each its own psql session:
#   - the producer sends 10 messages: one by one, with headers, in a batch, one delayed;
#   - consumer A reads with a 2-second visibility timeout, archives one message, deletes one
#     and "crashes" before finishing the third;
#   - consumer B reads what is visible and archives it;
#   - the unfinished message comes back after its visibility timeout with read_ct = 2;
#   - the delayed message appears once its delay is over and is popped;
#   - metrics before and after.
# Set PGQ_DEMO_PORT to change the port (default 5452).

set -u

# shellcheck source=test/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT=${PGQ_DEMO_PORT:-5452}
VT=2        # consumer A's visibility timeout, seconds
DELAY=5     # the delayed message's delay, seconds

# sql APP STATEMENT: run one statement in its own session named APP; print its rows, unaligned
sql()
{
	PGAPPNAME=$1 psql -X -q -A -t -v ON_ERROR_STOP=1 -d demo -c "$2"
}

say()
{
	echo "$*"
}

metrics()
{
	sql monitor "SELECT format('metrics: %s message(s) in the queue, %s visible now, %s sent in total%s',
	                           queue_length, queue_visible_length, total_messages,
	                           ', the oldest ' || oldest_msg_age_sec || ' s old')
	             FROM pgq.metrics('orders')"
}

# read_lines APP STATEMENT: run a statement whose rows are "msg_id|text"; print each text,
# leave the msg_ids in IDS
read_lines()
{
	local id line out

	IDS=()
	out=$(sql "$1" "$2") || return 1
	while IFS='|' read -r id line; do
		[ -n "$id" ] || continue
		IDS+=("$id")
		say "$line"
	done <<<"$out"
}

# the unprivileged half: owns the cluster
run_demo()
{
	local stuck delayed done_id

	cd "$PGQ_SCRATCH" || exit 1
	trap 'pgq_cluster_stop' EXIT
	trap 'exit 130' INT TERM
	pgq_cluster_start "$PGQ_SCRATCH/cluster" "$PORT" || exit 1
	say "cluster: started, listening only on a unix socket in $PGQ_SCRATCH/cluster (port $PORT)"

	createdb demo &&
		sql setup 'CREATE EXTENSION pgq' &&
		sql setup "SELECT pgq.create_queue('orders')" >/dev/null || exit 1
	say "setup: CREATE EXTENSION pgq; SELECT pgq.create_queue('orders')"
	say

	say "-- the producer (its own session) sends 10 messages"
	sql producer "SELECT format('producer: send             -> msg %s  %s', pgq.send('orders', m), m)
	              FROM (VALUES ('{\"order\": 1, \"item\": \"coffee\"}'::jsonb)) v(m)" || exit 1
	sql producer "SELECT format('producer: send, headers    -> msg %s  %s  headers %s',
	                            pgq.send('orders', m, h), m, h)
	              FROM (VALUES ('{\"order\": 2, \"item\": \"tea\"}'::jsonb,
	                            '{\"priority\": \"high\", \"trace_id\": \"t-42\"}'::jsonb)) v(m, h)" || exit 1
	sql producer "WITH batch AS (SELECT array_agg(jsonb_build_object('order', g, 'item', 'bagel') ORDER BY g) AS msgs
	                             FROM generate_series(3, 8) g)
	              SELECT format('producer: send_batch       -> msg %s  %s', b.id, batch.msgs[b.i])
	              FROM batch, pgq.send_batch('orders', batch.msgs) WITH ORDINALITY AS b(id, i)
	              ORDER BY b.i" || exit 1
	delayed=$(sql producer "SELECT pgq.send('orders', '{\"order\": 9, \"item\": \"cake\"}', $DELAY)") || exit 1
	say "producer: send, delay $DELAY s  -> msg $delayed  {\"item\": \"cake\", \"order\": 9}"
	sql producer "SELECT format('producer: send             -> msg %s  %s', pgq.send('orders', m), m)
	              FROM (VALUES ('{\"order\": 10, \"item\": \"juice\"}'::jsonb)) v(m)" || exit 1
	metrics
	say

	say "-- consumer A (its own session) reads 3 messages with a visibility timeout of $VT s"
	read_lines consumer-a "SELECT msg_id, format('consumer A: read msg %s (read_ct %s)  %s%s', msg_id, read_ct, message,
	                                             coalesce('  headers ' || headers::text, ''))
	                       FROM pgq.read('orders', $VT, 3) ORDER BY msg_id" || exit 1
	[ ${#IDS[@]} -eq 3 ] || { say "error: consumer A expected 3 messages, got ${#IDS[@]}"; exit 1; }
	sql consumer-a "SELECT format('consumer A: done with msg %s, archive() -> %s', ${IDS[0]}, pgq.archive('orders', ${IDS[0]}::bigint)::text)" || exit 1
	sql consumer-a "SELECT format('consumer A: done with msg %s, delete() -> %s', ${IDS[1]}, pgq.delete('orders', ${IDS[1]}::bigint)::text)" || exit 1
	stuck=${IDS[2]}
	say "consumer A: crashes while working on msg $stuck, which stays in the queue, invisible for $VT s"
	say

	say "-- consumer B (its own session) reads up to 10 messages with a visibility timeout of 30 s"
	read_lines consumer-b "SELECT msg_id, format('consumer B: read msg %s (read_ct %s)  %s', msg_id, read_ct, message)
	                       FROM pgq.read('orders', 30, 10) ORDER BY msg_id" || exit 1
	sql consumer-b "SELECT format('consumer B: done with msgs %s, archive(array) -> %s', '${IDS[*]}',
	                              (SELECT string_agg(id::text, ' ' ORDER BY id)
	                               FROM pgq.archive('orders', '{$(IFS=,; echo "${IDS[*]}")}'::bigint[]) id))" || exit 1
	sql consumer-b "SELECT format('consumer B: reads again and gets %s message(s): msg %s is inside its visibility timeout, msg %s is delayed',
	                              count(*), $stuck, $delayed)
	                FROM pgq.read('orders', 30, 10)" || exit 1
	metrics
	say

	say "-- $((VT + 1)) s later, msg $stuck's visibility timeout is over"
	sleep $((VT + 1))
	read_lines consumer-b "SELECT msg_id, format('consumer B: read msg %s (read_ct %s)  %s  <- visible again after its visibility timeout',
	                                             msg_id, read_ct, message)
	                       FROM pgq.read('orders', 30, 1)" || exit 1
	for done_id in "${IDS[@]}"; do
		sql consumer-b "SELECT format('consumer B: done with msg %s, delete() -> %s', $done_id, pgq.delete('orders', $done_id::bigint)::text)" || exit 1
	done
	say

	say "-- waiting for the delayed msg $delayed"
	for _ in $(seq 1 $((DELAY + 5))); do
		[ "$(sql monitor "SELECT queue_visible_length FROM pgq.metrics('orders')")" -gt 0 ] && break
		sleep 1
	done
	sql consumer-a "SELECT format('consumer A: popped msg %s (read and deleted in one step)  %s', msg_id, message)
	                FROM pgq.pop('orders')" || exit 1
	say

	say "-- end"
	metrics
	sql monitor "SELECT format('archive: msgs %s', string_agg(msg_id::text, ' ' ORDER BY msg_id)) FROM pgq.a_orders" || exit 1
	pgq_cluster_stop
	say "cluster: stopped"
}

main()
{
	cd "$PGQ_TREE" || exit 1
	trap 'pgq_scratch_remove' EXIT
	trap 'exit 130' INT TERM
	pgq_install_deps || exit 1
	pgq_build_install || exit 1
	pgq_scratch_new || exit 1
	say
	(cd "$PGQ_SCRATCH" && pgq_as_tester bash tree/test/demo.sh --demo "$PGQ_SCRATCH")
}

if [ "${1:-}" = "--demo" ]; then
	PGQ_SCRATCH=$2
	run_demo
	exit
fi
main
