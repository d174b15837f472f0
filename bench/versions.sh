#!/bin/bash
# bench/versions.sh: this tree's pgq against an earlier release's library, in one cluster
#
#   bash bench/versions.sh                 # against 0.3.0, 6 interleaved pairs of 4-second runs
#   bash bench/versions.sh --rev bb2d05b --version 0.3.0 --pairs 6 --duration 4
#
# What a release costs per call compared with the one before: the earlier release's library is
# built from its commit in git history (into the scratch directory; never installed), and one
# throwaway cluster gets two databases: "old" with CREATE EXTENSION pgq VERSION '<version>' whose
# C functions are pointed at that library (pg_proc.probin), "new" with this tree's pgq (built
# and installed as bench/run.sh does). Each backend loads one library only. For each operation
# (send 1; read 1 + delete, both in one statement), PAIRS pairs of pgbench runs (-M prepared,
# -c 4 -j 2) alternate which side goes first; each side's queue starts with 200,000 messages,
# vacuumed. Printed: ops/s of each run, and per operation the new / old ratios per pair and
# their median. The queues are not refilled between runs, so both sides age alike (dead rows
# accumulate until autovacuum runs): compare sides within a pair, not runs across pairs.
# Writes bench/out/versions.md.
#
# Options: --rev COMMIT (default bb2d05b, the 0.3.0 release), --version V (the extension
# version that commit's library serves, default 0.3.0), --pairs N (6), --duration SECONDS (4),
# --port N (PGQ_BENCH_PORT, default 5461), --no-build (use the pgq already installed).

set -u

BENCH_NAME=versions
BENCH_VALUE_OPTS="--rev --version"
REV=bb2d05b
VERSION=0.3.0
# shellcheck source=bench/lib.sh disable=SC2034 # BENCH_* are read by bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ARGS=("$@")
bench_options "$@"

# inside the scratch copy, as the tester: build the old library, run the cluster and the pairs
run_inner()
{
	local old="$PGQ_SCRATCH/old" out=bench/out/versions.md db

	mkdir -p "$old" bench/out || return 1
	if ! git --git-dir="$PGQ_SCRATCH/git" archive "$REV" | tar -x -C "$old"; then
		echo "error: cannot read commit $REV from the history" >&2
		return 1
	fi
	if ! grep -q "^default_version = '$VERSION'" "$old/pgq.control"; then
		echo "error: commit $REV is not release $VERSION: $(grep default_version "$old/pgq.control")" >&2
		return 1
	fi
	make -s -C "$old" PG_CONFIG="$PGQ_PG_CONFIG" MAKEFLAGS= >"$old/build.log" 2>&1 || {
		cat "$old/build.log" >&2
		return 1
	}
	pgq_cluster_start "$PGQ_SCRATCH/cluster" "$PORT" || return 1
	trap 'pgq_cluster_stop' RETURN
	bench_sql postgres "CREATE DATABASE old" && bench_sql postgres "CREATE DATABASE new" || return 1
	bench_sql old "CREATE EXTENSION pgq VERSION '$VERSION';
	         UPDATE pg_proc SET probin = '$old/pgq.so' WHERE probin = '\$libdir/pgq';" || return 1
	bench_sql new "CREATE EXTENSION pgq;" || return 1
	for db in old new; do
		# a new session: the old library is loaded only now, and alone
		bench_sql "$db" "SELECT pgq.create_queue('b');
		           SELECT count(*) FROM pgq.send_batch('b', array_fill('{\"k\": 1}'::jsonb, ARRAY[200000]));" \
			>/dev/null && bench_sql "$db" "VACUUM ANALYZE pgq.q_b" || return 1
	done
	for db in old new; do
		echo "SELECT pgq.send('b', '{\"k\": 1}');" >"$PGQ_SCRATCH/send1.$db.sql"
		echo "SELECT pgq.delete('b', msg_id) FROM pgq.read('b', 30, 1);" >"$PGQ_SCRATCH/read1_delete.$db.sql"
	done
	bench_pairs old new "read1_delete send1"

	{
		echo "### $VERSION ($REV) against this tree ($(git --git-dir="$PGQ_SCRATCH/git" rev-parse --short HEAD 2>/dev/null))"
		echo
		echo "Same cluster, $PAIRS pairs of ${DURATION}-second pgbench runs (-M prepared -c 4 -j 2), order alternating."
		echo
		bench_table old new
	} >"$out"
	echo
	cat "$out"
}

# the old release's commit must be in the history of the scratch copy
main()
{
	if [ ! -d "$PGQ_TREE/.git" ] && ! git -C "$PGQ_TREE" rev-parse --git-dir >/dev/null 2>&1; then
		echo "error: no git history in $PGQ_TREE to build $REV from" >&2
		exit 1
	fi
	bench_main "postgresql-$PGQ_PG_VERSION postgresql-server-dev-$PGQ_PG_VERSION make gcc git" "${ARGS[@]}"
}

if [ "$INNER" -eq 1 ]; then
	cd "$PGQ_SCRATCH/tree" || exit 1
	run_inner
else
	main
fi
