# shellcheck shell=bash disable=SC2034 # PORT, INNER, ... are read by the sourcing script
# bench/lib.sh: what bench/versions.sh, bench/schemas.sh and bench/policy.sh share: their
# options, the pairs of pgbench runs and their table, and running the benchmark in a scratch
# copy as the tester.
# Sourced; the script sets BENCH_NAME (its file's name without .sh) and, for options of its own,
# BENCH_VALUE_OPTS ("--rev --version").

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/lib.sh
. "$BENCH_DIR/../test/lib.sh"

PAIRS=6
DURATION=4
PORT=${PGQ_BENCH_PORT:-5461}
BUILD=1
INNER=0

# bench_options "$@": the options every such benchmark takes, and those in BENCH_VALUE_OPTS
bench_options()
{
	local v

	while [ $# -gt 0 ]; do
		case " --pairs --duration --port ${BENCH_VALUE_OPTS:-} " in
			*" $1 "*)
				if [ $# -lt 2 ]; then
					echo "error: $1 needs a value" >&2
					exit 2
				fi
				v=${1#--}
				printf -v "${v^^}" '%s' "$2"
				shift ;;
			*)
				case $1 in
					--no-build) BUILD=0 ;;
					--inner) INNER=1 ;;
					-h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
					*) echo "error: unknown option $1" >&2; exit 2 ;;
				esac ;;
		esac
		shift
	done
	for v in PAIRS DURATION PORT; do
		if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
			echo "error: --${v,,} must be a positive integer, not \"${!v}\"" >&2
			exit 2
		fi
	done
}

bench_sql()
{
	psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# bench_target SIDE: what a side's pgbench runs connect to: the database named by the side, or
# BENCH_DB if set.  A script whose sides live elsewhere defines its own after sourcing this file
# (a connection string, such as "host=DIR dbname=NAME", will do).
bench_target()
{
	echo "${BENCH_DB:-$1}"
}

# bench_pairs BASE OTHER OPS: PAIRS pairs of pgbench runs of each operation, the side going
# first alternating; runs PGQ_SCRATCH/<op>.<side>.sql against bench_target <side>, and appends
# "<op> <pair> <side> <ops/s>" to PGQ_SCRATCH/runs.txt
bench_pairs()
{
	local base=$1 other=$2 ops=$3 pair op side first second tps

	: >"$PGQ_SCRATCH/runs.txt"
	for pair in $(seq 1 "$PAIRS"); do
		for op in $ops; do
			if [ $((pair % 2)) -eq 0 ]; then first=$base second=$other; else first=$other second=$base; fi
			for side in $first $second; do
				pgbench -n -M prepared -c 4 -j 2 -T "$DURATION" -f "$PGQ_SCRATCH/$op.$side.sql" \
					"$(bench_target "$side")" >"$PGQ_SCRATCH/pgbench.log" 2>&1
				tps=$(awk '/^tps/ { print $3 }' "$PGQ_SCRATCH/pgbench.log")
				if [ -z "$tps" ]; then
					echo "error: pgbench $op.$side.sql failed:" >&2
					tail -n 5 "$PGQ_SCRATCH/pgbench.log" >&2
				fi
				echo "$op $pair $side ${tps:-0}" | tee -a "$PGQ_SCRATCH/runs.txt"
			done
		done
	done
}

# bench_table BASE OTHER: the markdown table of the ratios OTHER / BASE per pair and their median
bench_table()
{
	echo "| operation | $2 / $1 ops/s, per pair | median |"
	echo "| --- | --- | ---: |"
	awk -v base="$1" -v other="$2" -f "$BENCH_DIR/pairs.awk" "$PGQ_SCRATCH/runs.txt" | sort
}

# bench_main PACKAGES "$@": install what is missing, build and install this tree, then run the
# script again with --inner in a scratch copy as the tester; bench/out/BENCH_NAME.* come back
bench_main()
{
	local packages=$1 rc
	shift

	cd "$PGQ_TREE" || exit 1
	# shellcheck disable=SC2034 # read by pgq_install_deps in test/lib.sh
	PGQ_PACKAGES=$packages
	pgq_install_deps || exit 1
	if [ "$BUILD" -eq 1 ]; then
		pgq_build_install || exit 1
	fi
	pgq_scratch_new || exit 1
	trap 'pgq_scratch_remove' EXIT
	trap 'exit 130' INT TERM
	pgq_as_tester env PGQ_SCRATCH="$PGQ_SCRATCH" PGQ_PG_CONFIG="$PGQ_PG_CONFIG" \
		bash "$PGQ_SCRATCH/tree/bench/$BENCH_NAME.sh" --inner "$@"
	rc=$?
	if [ -f "$PGQ_SCRATCH/tree/bench/out/$BENCH_NAME.md" ]; then
		mkdir -p "$PGQ_TREE/bench/out" && cp "$PGQ_SCRATCH/tree/bench/out/$BENCH_NAME".* "$PGQ_TREE/bench/out/"
	fi
	return "$rc"
}
