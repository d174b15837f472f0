#!/bin/bash
# bench/instructions.sh: CPU instructions per call, this tree's library against an earlier one
#
#   bash bench/instructions.sh                          # against d6254d7 (0.6.0 before policies)
#   bash bench/instructions.sh --rev d6254d7 --calls 2000
#
# Timings on a shared 2-core machine move by 10% between runs of the same library (see
# bench/versions.sh); instruction counts do not: valgrind's callgrind counts the instructions a
# process runs, the same for the same binary and input whatever else the machine does. This
# counts them for one backend in single-user mode (postgres --single: no client, no network,
# one process), once per library and per operation, in one throwaway cluster with two
# databases: "old", whose pgq functions point at the earlier commit's library (built from git
# history into the scratch directory, never installed; pg_proc.probin), and "new", with the
# installed pgq (built and installed from this tree first, unless --no-build). pgq is not
# preloaded (each backend loads one library), so the low-water marks are off on both sides.
# Each operation runs CALLS times and CALLS / 4 times (both after the same warm-up); the
# difference, divided by 3 CALLS / 4, is the cost of one call without the backend's start and
# the first calls' planning. Operations, on a queue of 1,000 messages, vacuumed:
#   send1         SELECT pgq.send('b', '{"k": 1}')
#   read1_delete  SELECT pgq.delete('b', msg_id) FROM pgq.read('b', 30, 1), after a send
#   cycle         send 1, then read 1 + delete, as one call pair per line
# Printed, and written to bench/out/instructions.md: instructions per call of each side and
# new / old.
#
# Options: --rev COMMIT (default d6254d7), --calls N (2000), --port N (PGQ_BENCH_PORT, default
# 5462), --no-build.

set -u

# shellcheck disable=SC2034 # BENCH_* are read by bench/lib.sh
BENCH_NAME=instructions
# shellcheck disable=SC2034
BENCH_VALUE_OPTS="--rev --calls"
REV=d6254d7
CALLS=2000
# shellcheck source=bench/lib.sh disable=SC2034 # BENCH_* are read by bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ARGS=("$@")
bench_options "$@"
if ! [[ $CALLS =~ ^[1-9][0-9]*$ ]] || [ "$CALLS" -lt 8 ]; then
	echo "error: --calls must be an integer of 8 or more, not \"$CALLS\"" >&2
	exit 2
fi

# script OP N: the SQL of N calls of operation OP, one per line (single-user mode runs each
# line as a statement in a transaction of its own)
script()
{
	local op=$1 n=$2 i
	for ((i = 0; i < n; i++)); do
		case $op in
			send1) echo "SELECT pgq.send('b', '{\"k\": 1}');" ;;
			read1_delete) echo "SELECT pgq.delete('b', msg_id) FROM pgq.read('b', 30, 1);" ;;
			cycle) echo "SELECT pgq.send('b', '{\"k\": 1}'); SELECT pgq.delete('b', msg_id) FROM pgq.read('b', 30, 1);" ;;
		esac
	done
}

# count DB OP N: the instructions of a single-user backend on DB that runs a warm-up and N calls
count()
{
	local db=$1 op=$2 n=$3 out
	out="$PGQ_SCRATCH/cg.$db.$op.$n"
	{
		# a queue in the same state at every run: 1,000 messages, vacuumed; then a warm-up
		echo "TRUNCATE pgq.q_b;"
		echo "SELECT count(*) FROM pgq.send_batch('b', array_fill('{\"k\": 1}'::jsonb, ARRAY[1000]));"
		echo "VACUUM ANALYZE pgq.q_b;"
		script "$op" 50
		script "$op" "$n"
	} >"$out.sql"
	valgrind --tool=callgrind --callgrind-out-file="$out.cg" \
		postgres --single -D "$PGQ_SCRATCH/cluster/data" -c shared_preload_libraries= "$db" \
		<"$out.sql" >"$out.log" 2>&1
	awk '/Collected :/ { print $NF }' "$out.log"
}

# inside the scratch copy, as the tester
run_inner()
{
	local old="$PGQ_SCRATCH/old" out=bench/out/instructions.md op db small i_small i_big
	local -A per

	command -v valgrind >/dev/null || { echo "error: valgrind is missing" >&2; return 1; }
	mkdir -p "$old" bench/out || return 1
	if ! git --git-dir="$PGQ_SCRATCH/git" archive "$REV" | tar -x -C "$old"; then
		echo "error: cannot read commit $REV from the history" >&2
		return 1
	fi
	make -s -C "$old" PG_CONFIG="$PGQ_PG_CONFIG" MAKEFLAGS= >"$old/build.log" 2>&1 || {
		cat "$old/build.log" >&2
		return 1
	}
	PGQ_PRELOAD='' pgq_cluster_start "$PGQ_SCRATCH/cluster" "$PORT" || return 1
	bench_sql postgres "CREATE DATABASE old" && bench_sql postgres "CREATE DATABASE new" || return 1
	for db in old new; do
		bench_sql "$db" "CREATE EXTENSION pgq; SELECT pgq.create_queue('b');" >/dev/null || return 1
	done
	bench_sql old "UPDATE pg_proc SET probin = '$old/pgq.so' WHERE probin = '\$libdir/pgq';" || return 1
	pgq_cluster_stop
	PATH="$("$PGQ_PG_CONFIG" --bindir):$PATH"

	small=$((CALLS / 4))
	for op in send1 read1_delete cycle; do
		for db in old new; do
			i_big=$(count "$db" "$op" "$CALLS")
			i_small=$(count "$db" "$op" "$small")
			if [ -z "$i_big" ] || [ -z "$i_small" ]; then
				echo "error: callgrind of $op on $db failed; see $PGQ_SCRATCH/cg.$db.$op.*.log" >&2
				return 1
			fi
			per[$op.$db]=$(((i_big - i_small) / (CALLS - small)))
			echo "$op $db: $i_big instructions for $CALLS calls, $i_small for $small: ${per[$op.$db]} a call"
		done
	done

	{
		echo "### $REV against this tree ($(git --git-dir="$PGQ_SCRATCH/git" rev-parse --short HEAD 2>/dev/null))"
		echo
		echo "Instructions per call of one single-user backend (callgrind), pgq not preloaded;" \
			"($CALLS calls - $small calls) / $((CALLS - small))."
		echo
		echo "| operation | old | new | **new / old** |"
		echo "| --- | ---: | ---: | ---: |"
		for op in send1 read1_delete cycle; do
			echo "| $op | ${per[$op.old]} | ${per[$op.new]} |" \
				"**$(awk -v a="${per[$op.new]}" -v b="${per[$op.old]}" 'BEGIN { printf "%.3f", a / b }')** |"
		done
	} >"$out"
	echo
	cat "$out"
}

main()
{
	if ! git -C "$PGQ_TREE" rev-parse --git-dir >/dev/null 2>&1; then
		echo "error: no git history in $PGQ_TREE to build $REV from" >&2
		exit 1
	fi
	bench_main "postgresql-$PGQ_PG_VERSION postgresql-server-dev-$PGQ_PG_VERSION make gcc git valgrind" \
		"${ARGS[@]}"
}

if [ "$INNER" -eq 1 ]; then
	cd "$PGQ_SCRATCH/tree" || exit 1
	run_inner
else
	main
fi
