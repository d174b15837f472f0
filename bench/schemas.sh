#!/bin/bash
# bench/schemas.sh: pgq's functions called through schema pgmq (extension pgq_pgmq) against the
# same calls through schema pgq, in one run
#
#   bash bench/schemas.sh                  # 6 interleaved pairs of 4-second runs
#   bash bench/schemas.sh --pairs 8 --duration 5
#
# What pgmq's clients pay for calling pgq through schema pgmq: one throwaway cluster, one
# database with CREATE EXTENSION pgq_pgmq CASCADE and two queues of 200,000 messages each
# (vacuumed), "bq" used through schema pgq and "bm" through schema pgmq.  For each operation
# (send 1; read 1 + delete, both in one statement), PAIRS pairs of pgbench runs (-M prepared,
# -c 4 -j 2) alternate which side goes first.  Printed: ops/s of each run, and per operation the
# pgmq / pgq ratios per pair and their median.  The queues are not refilled between runs, so
# both sides age alike: compare sides within a pair, not runs across pairs.
# Writes bench/out/schemas.md.
#
# Options: --pairs N (6), --duration SECONDS (4), --port N (PGQ_BENCH_PORT, default 5461),
# --no-build (use the pgq already installed instead of building this tree).

set -u

BENCH_NAME=schemas
# shellcheck source=bench/lib.sh disable=SC2034 # BENCH_* are read by bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ARGS=("$@")
bench_options "$@"

# inside the scratch copy, as the tester: run the cluster and the pairs
run_inner()
{
	local out=bench/out/schemas.md q

	mkdir -p bench/out || return 1
	pgq_cluster_start "$PGQ_SCRATCH/cluster" "$PORT" || return 1
	trap 'pgq_cluster_stop' RETURN
	bench_sql postgres "CREATE EXTENSION pgq_pgmq CASCADE" || return 1
	for q in bq bm; do
		bench_sql postgres "SELECT pgq.create_queue('$q');
		              SELECT count(*) FROM pgq.send_batch('$q', array_fill('{\"k\": 1}'::jsonb, ARRAY[200000]));" \
			>/dev/null && bench_sql postgres "VACUUM ANALYZE pgq.q_$q" || return 1
	done
	echo "SELECT * FROM pgq.send('bq', '{\"k\": 1}');" >"$PGQ_SCRATCH/send1.pgq.sql"
	echo "SELECT * FROM pgmq.send('bm', '{\"k\": 1}');" >"$PGQ_SCRATCH/send1.pgmq.sql"
	echo "SELECT pgq.delete('bq', msg_id) FROM pgq.read('bq', 30, 1);" >"$PGQ_SCRATCH/read1_delete.pgq.sql"
	echo "SELECT pgmq.delete('bm', msg_id) FROM pgmq.read('bm', 30, 1);" >"$PGQ_SCRATCH/read1_delete.pgmq.sql"

	BENCH_DB=postgres bench_pairs pgq pgmq "read1_delete send1"

	{
		echo "### Schema pgmq against schema pgq ($(git --git-dir="$PGQ_SCRATCH/git" rev-parse --short HEAD 2>/dev/null || echo 'this tree'))"
		echo
		echo "Same cluster and database, $PAIRS pairs of ${DURATION}-second pgbench runs (-M prepared -c 4 -j 2), order alternating; queues of 200,000 messages, not refilled."
		echo
		bench_table pgq pgmq
	} >"$out"
	echo
	cat "$out"
}

if [ "$INNER" -eq 1 ]; then
	cd "$PGQ_SCRATCH/tree" || exit 1
	run_inner
else
	bench_main "postgresql-$PGQ_PG_VERSION postgresql-server-dev-$PGQ_PG_VERSION make gcc" "${ARGS[@]}"
fi
