#!/bin/bash
# bench/versions.sh: this tree's pgq against an earlier release's library, side by side
#
#   bash bench/versions.sh                 # against 0.3.0, 6 interleaved pairs of 4-second runs
#   bash bench/versions.sh --rev bb2d05b --version 0.3.0 --pairs 6 --duration 4
#
# What a release costs per call compared with the one before: the earlier release's library is
# built from its commit in git history (into the scratch directory; never installed).  Two
# throwaway clusters, set up alike, run side by side: "old" with database "old", where CREATE
# EXTENSION pgq VERSION '<version>' (the installed scripts) is made with pgq not preloaded, then
# pg_proc.probin of its C functions is pointed at the old library and the cluster is restarted
# with that library, and only it, in shared_preload_libraries; "new" with database "new" and this
# tree's pgq (built and installed as bench/run.sh does), preloaded.  One backend cannot hold both
# libraries: both define pgq's settings, and the one loaded first would stand in for the other's
# internal functions.  Each cluster checks, from /proc/self/maps of a backend that has called
# pgq, that its library is the only pgq library there.
# For each operation (send 1; read 1 + delete, in one statement; send + read 1 + delete in one
# transaction), PAIRS pairs of pgbench runs (-M prepared, -c 4 -j 2) alternate which side goes
# first; each side's queue starts with 200,000 messages, vacuumed.  Printed: ops/s of each run,
# and per operation the new / old ratios per pair and their median.  The queues are not refilled
# between runs, so both sides age alike (dead rows accumulate until autovacuum runs): compare
# sides within a pair, not runs across pairs.  Writes bench/out/versions.md.
#
# Options: --rev COMMIT (default bb2d05b, the 0.3.0 release), --version V (the extension
# version that commit's library serves, default 0.3.0), --pairs N (6), --duration SECONDS (4),
# --port N (PGQ_BENCH_PORT, default 5461; both clusters listen on it, each on a unix socket in
# its own directory), --no-build (use the pgq already installed).

set -u

BENCH_NAME=versions
BENCH_VALUE_OPTS="--rev --version"
REV=bb2d05b
VERSION=0.3.0
# shellcheck source=bench/lib.sh disable=SC2034 # BENCH_* are read by bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ARGS=("$@")
bench_options "$@"

# the two clusters: PGQ_SCRATCH/cluster-old and cluster-new, each with a database named so
bench_target()
{
	echo "host=$PGQ_SCRATCH/cluster-$1 dbname=${2:-$1}"
}

clusters_stop()
{
	local side

	for side in old new; do
		PGQ_CLUSTER_DIR=$PGQ_SCRATCH/cluster-$side pgq_cluster_stop
	done
}

# loaded SIDE: the pgq libraries mapped into a backend of SIDE's database that has called pgq
loaded()
{
	bench_sql "$(bench_target "$1")" "SELECT count(*) FROM pgq.metrics('b');
		SELECT string_agg(DISTINCT f[1], ' ')
		FROM regexp_matches(pg_read_file('/proc/self/maps'), '(/[^ \n]*pgq[^ /\n]*\.so)', 'g') f" |
		tail -n 1
}

# inside the scratch copy, as the tester: build the old library, run the clusters and the pairs
run_inner()
{
	local old="$PGQ_SCRATCH/old" out=bench/out/versions.md side want got built

	mkdir -p "$old" bench/out || return 1
	if ! git --git-dir="$PGQ_SCRATCH/git" archive "$REV" | tar -x -C "$old"; then
		echo "error: cannot read commit $REV from the history" >&2
		return 1
	fi
	built=$(pgq_source_version "$old")
	if [ "$built" != "$VERSION" ]; then
		echo "error: commit $REV is not release $VERSION: it builds \"$built\"" >&2
		return 1
	fi
	make -s -C "$old" PG_CONFIG="$PGQ_PG_CONFIG" MAKEFLAGS= >"$old/build.log" 2>&1 || {
		cat "$old/build.log" >&2
		return 1
	}
	trap 'clusters_stop' RETURN
	# old: the extension made by the installed scripts, with nothing preloaded (they run a C
	# function, which loads the installed library), its functions pointed at the old library,
	# then the cluster started again preloading that library only
	PGQ_PRELOAD='' pgq_cluster_start "$PGQ_SCRATCH/cluster-old" "$PORT" || return 1
	bench_sql "$(bench_target old postgres)" "CREATE DATABASE old" &&
		bench_sql "$(bench_target old)" "CREATE EXTENSION pgq VERSION '$VERSION';
		         UPDATE pg_proc SET probin = '$old/pgq.so' WHERE probin = '\$libdir/pgq';" || return 1
	pgq_cluster_stop
	if ! pg_ctl -D "$PGQ_CLUSTER_DIR/data" -l "$PGQ_CLUSTER_DIR/server.log" -w \
		-o "-c listen_addresses='' -k '$PGQ_CLUSTER_DIR' -p $PORT -c fsync=off -c shared_preload_libraries='$old/pgq.so'" \
		start >/dev/null; then
		cat "$PGQ_CLUSTER_DIR/server.log" >&2
		return 1
	fi
	pgq_cluster_start "$PGQ_SCRATCH/cluster-new" "$PORT" || return 1
	bench_sql "$(bench_target new postgres)" "CREATE DATABASE new" &&
		bench_sql "$(bench_target new)" "CREATE EXTENSION pgq;" || return 1
	for side in old new; do
		bench_sql "$(bench_target "$side")" "SELECT pgq.create_queue('b');
		           SELECT count(*) FROM pgq.send_batch('b', array_fill('{\"k\": 1}'::jsonb, ARRAY[200000]));" \
			>/dev/null && bench_sql "$(bench_target "$side")" "VACUUM ANALYZE pgq.q_b" || return 1
		want=$old/pgq.so
		[ "$side" = new ] && want=$("$PGQ_PG_CONFIG" --pkglibdir)/pgq.so
		got=$(loaded "$side") || return 1
		echo "$side: pgq library loaded: $got"
		if [ "$got" != "$want" ]; then
			echo "error: the $side side should run $want only" >&2
			return 1
		fi
	done
	for side in old new; do
		echo "SELECT pgq.send('b', '{\"k\": 1}');" >"$PGQ_SCRATCH/send1.$side.sql"
		echo "SELECT pgq.delete('b', msg_id) FROM pgq.read('b', 30, 1);" >"$PGQ_SCRATCH/read1_delete.$side.sql"
		printf '%s\n' "BEGIN;" "SELECT pgq.send('b', '{\"k\": 1}');" \
			"SELECT pgq.delete('b', msg_id) FROM pgq.read('b', 30, 1);" "COMMIT;" >"$PGQ_SCRATCH/cycle.$side.sql"
	done
	bench_pairs old new "read1_delete send1 cycle"

	{
		echo "### $VERSION ($REV) against this tree ($(git --git-dir="$PGQ_SCRATCH/git" rev-parse --short HEAD 2>/dev/null))"
		echo
		echo "Two clusters set up alike, each preloading its library, $PAIRS pairs of ${DURATION}-second pgbench runs (-M prepared -c 4 -j 2), order alternating; cycle: send + read 1 + delete in one transaction."
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
