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

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../test/lib.sh
. "$BENCH_DIR/../test/lib.sh"

REV=bb2d05b
VERSION=0.3.0
PAIRS=6
DURATION=4
PORT=${PGQ_BENCH_PORT:-5461}
BUILD=1
INNER=0
ARGS=("$@")

while [ $# -gt 0 ]; do
	case $1 in
		--rev | --version | --pairs | --duration | --port)
			if [ $# -lt 2 ]; then
				echo "error: $1 needs a value" >&2
				exit 2
			fi
			v=${1#--}
			printf -v "${v^^}" '%s' "$2"
			shift ;;
		--no-build) BUILD=0 ;;
		--inner) INNER=1 ;;
		-h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
		*) echo "error: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
for v in PAIRS DURATION PORT; do
	if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
		echo "error: --${v,,} must be a positive integer, not \"${!v}\"" >&2
		exit 2
	fi
done

sql()
{
	psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# inside the scratch copy, as the tester: build the old library, run the cluster and the pairs
run_inner()
{
	local old="$PGQ_SCRATCH/old" out=bench/out/versions.md pair op db first second tps

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
	sql postgres "CREATE DATABASE old" && sql postgres "CREATE DATABASE new" || return 1
	sql old "CREATE EXTENSION pgq VERSION '$VERSION';
	         UPDATE pg_proc SET probin = '$old/pgq.so' WHERE probin = '\$libdir/pgq';" || return 1
	sql new "CREATE EXTENSION pgq;" || return 1
	for db in old new; do
		# a new session: the old library is loaded only now, and alone
		sql "$db" "SELECT pgq.create_queue('b');
		           SELECT count(*) FROM pgq.send_batch('b', array_fill('{\"k\": 1}'::jsonb, ARRAY[200000]));" \
			>/dev/null && sql "$db" "VACUUM ANALYZE pgq.q_b" || return 1
	done
	echo "SELECT pgq.send('b', '{\"k\": 1}');" >"$PGQ_SCRATCH/send1.sql"
	echo "SELECT pgq.delete('b', msg_id) FROM pgq.read('b', 30, 1);" >"$PGQ_SCRATCH/read1_delete.sql"

	: >"$PGQ_SCRATCH/runs.txt"
	for pair in $(seq 1 "$PAIRS"); do
		for op in read1_delete send1; do
			if [ $((pair % 2)) -eq 0 ]; then first=old second=new; else first=new second=old; fi
			for db in $first $second; do
				tps=$(pgbench -n -M prepared -c 4 -j 2 -T "$DURATION" -f "$PGQ_SCRATCH/$op.sql" "$db" 2>/dev/null |
					awk '/^tps/ { print $3 }')
				echo "$op $pair $db ${tps:-0}" | tee -a "$PGQ_SCRATCH/runs.txt"
			done
		done
	done

	{
		echo "### $VERSION ($REV) against this tree ($(git --git-dir="$PGQ_SCRATCH/git" rev-parse --short HEAD 2>/dev/null))"
		echo
		echo "Same cluster, $PAIRS pairs of ${DURATION}-second pgbench runs (-M prepared -c 4 -j 2), order alternating."
		echo
		echo "| operation | new / old ops/s, per pair | median |"
		echo "| --- | --- | ---: |"
		awk '
			{ tps[$1 " " $2 " " $3] = $4; ops[$1] = 1; if ($2 > n) n = $2 }
			END {
				for (op in ops) {
					m = 0; line = ""
					for (p = 1; p <= n; p++) {
						o = tps[op " " p " old"]; w = tps[op " " p " new"]
						if (o > 0) { r[++m] = w / o; line = line sprintf(" %.2f", w / o) }
					}
					# median by insertion sort
					for (i = 2; i <= m; i++) { v = r[i]; for (j = i - 1; j >= 1 && r[j] > v; j--) r[j + 1] = r[j]; r[j + 1] = v }
					med = (m % 2) ? r[(m + 1) / 2] : (r[m / 2] + r[m / 2 + 1]) / 2
					printf "| %s |%s | **%.2f** |\n", op, line, med
				}
			}' "$PGQ_SCRATCH/runs.txt" | sort
	} >"$out"
	echo
	cat "$out"
}

main()
{
	local rc

	cd "$PGQ_TREE" || exit 1
	# shellcheck disable=SC2034 # read by pgq_install_deps in test/lib.sh
	PGQ_PACKAGES="postgresql-$PGQ_PG_VERSION postgresql-server-dev-$PGQ_PG_VERSION make gcc git"
	pgq_install_deps || exit 1
	if [ "$BUILD" -eq 1 ]; then
		pgq_build_install || exit 1
	fi
	pgq_scratch_new || exit 1
	trap 'pgq_scratch_remove' EXIT
	trap 'exit 130' INT TERM
	if [ ! -d "$PGQ_SCRATCH/git" ]; then
		echo "error: no git history in $PGQ_TREE to build $REV from" >&2
		exit 1
	fi
	pgq_as_tester env PGQ_SCRATCH="$PGQ_SCRATCH" PGQ_PG_CONFIG="$PGQ_PG_CONFIG" \
		bash "$PGQ_SCRATCH/tree/bench/versions.sh" --inner "${ARGS[@]}"
	rc=$?
	if [ -f "$PGQ_SCRATCH/tree/bench/out/versions.md" ]; then
		mkdir -p "$PGQ_TREE/bench/out" && cp "$PGQ_SCRATCH/tree/bench/out/versions.md" "$PGQ_TREE/bench/out/"
	fi
	return "$rc"
}

if [ "$INNER" -eq 1 ]; then
	cd "$PGQ_SCRATCH/tree" || exit 1
	run_inner
else
	main
fi
