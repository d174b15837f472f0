#!/bin/bash
# bench/run.sh: pgq against the same statements written as plain prepared SQL, in one run
#
#   bash bench/run.sh            # about 11 minutes: 7 interleaved pairs of 3-second runs per case
#   bash bench/run.sh --quick    # a smoke run, about a minute: 2 pairs of 1-second runs, no
#                                # warm-up, 100k messages for the large queue
#
# Options: --pairs N, --duration SECONDS, --clients N, --threads N, --big N (messages in the
# large-queue cases), --head N (messages in flight at the head), --port P (default 5460, or
# PGQ_BENCH_PORT), --no-build (use the pgq already installed instead of building this tree),
# --bindir DIR (the PostgreSQL 15 installation to build for and run, by its bin directory;
# default /usr/lib/postgresql/15/bin).
#
# 1. installs the Debian packages that are missing (PostgreSQL 15 and its development files, make,
#    gcc, gnuplot-nox) and builds pgq with -Wall -Wextra -Werror and installs it, with
#    test/lib.sh as test/run.sh does;
# 2. starts a throwaway cluster (unix socket only, as the "postgres" user when run as root,
#    stopped and removed on exit) and creates pgq's queue "bq" and the reference tables
#    ref_q / ref_a, checked copies of the tables pgq.create_queue made (sql/setup.sql).  If a pgmq
#    extension is available it is created too and becomes a third column; otherwise that column
#    is left out;
# 3. runs each case with pgbench -M prepared, alternating the sides (pgq, reference[, pgmq]) in
#    pairs whose order rotates, each run starting from the same state (sql/prime.sql: truncate,
#    insert the messages the run will consume, VACUUM ANALYZE).  It records ops/s, latency and
#    the server's CPU time per operation of each run; per pair it takes the ratios pgq /
#    reference, and it reports the medians of each side and of the per-pair ratios;
#      ops       send 1, send_batch 100, read 1 + delete, read 100 + delete(msg_ids[]),
#                send + read 1 + delete, read 1 + archive, pop 1 (small queue)
#      inflight  read 1 + delete with --head messages in flight (invisible) at the head of the
#                queue, against the same queue without them
#      big       read 1 + delete and send 1 with --big messages waiting
#      metrics   metrics() on the --big queue (one client), and its plan
#    plus, for the storage question, HOT updates and table/index growth of the reading cases;
# 4. prints the results as markdown and writes bench/out/: results.md (docs/performance.md's
#    section), results.csv (medians), runs.csv (every run), storage.csv, explain.txt (EXPLAIN
#    ANALYZE of the statements pgq prepares, as pgq plans them, next to the reference's plans),
#    ratio.png (gnuplot), machine.txt and logs/ (each pgbench output).
#
# A ratio is taken only between runs of the same pair, so a machine whose load changes during the
# benchmark moves both sides of a pair alike; the medians then drop the pairs it disturbed most.

set -u

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../test/lib.sh
. "$BENCH_DIR/../test/lib.sh"

PORT=${PGQ_BENCH_PORT:-5460}
PAIRS=7
DURATION=3
WARMUP=2
CLIENTS=4
THREADS=2
BIG=1000000
HEAD=10000
METRICS_DURATION=3
BUILD=1
QUICK=0
INNER=0

OPS="send1 batch100 read1_delete read100_delete cycle read1_archive pop1"

usage()
{
	sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
	exit "${1:-0}"
}

parse_args()
{
	local a v

	ARGS=("$@")
	# --quick first: it sets smaller defaults, which options given explicitly still override
	for a in "$@"; do
		if [ "$a" = --quick ]; then
			QUICK=1 PAIRS=2 DURATION=1 WARMUP=0 BIG=100000 METRICS_DURATION=1
		fi
	done
	while [ $# -gt 0 ]; do
		case $1 in
			--quick) ;;
			--no-build) BUILD=0 ;;
			--inner) INNER=1 ;;
			--pairs | --duration | --clients | --threads | --big | --head | --port)
				if [ $# -lt 2 ]; then
					echo "error: $1 needs a value" >&2
					exit 2
				fi
				v=${1#--}
				v=${v^^}
				printf -v "$v" '%s' "$2"
				shift ;;
			--bindir)
				if [ $# -lt 2 ] || [ ! -x "$2/pg_config" ]; then
					echo "error: --bindir needs a directory holding pg_config" >&2
					exit 2
				fi
				PGQ_PG_BINDIR=$(cd "$2" && pwd)
				# shellcheck disable=SC2034 # read by pgq_build_install in test/lib.sh
				PGQ_PG_CONFIG=$PGQ_PG_BINDIR/pg_config
				export PATH="$PGQ_PG_BINDIR:$PATH"
				shift ;;
			-h | --help) usage 0 ;;
			*) echo "error: unknown option $1" >&2; usage 2 ;;
		esac
		shift
	done
	for v in PAIRS DURATION CLIENTS THREADS BIG HEAD PORT; do
		if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
			echo "error: --${v,,} must be a positive integer, not \"${!v}\"" >&2
			exit 2
		fi
	done
}

# ------------------------------------------------------------------ helpers (inner part)

sql()
{
	psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"
}

# messages a transaction of the op consumes (0: a producer, or one that puts back what it takes)
consumes()
{
	case $1 in
		read1_delete | read1_archive | pop1) echo 1 ;;
		read100_delete) echo 100 ;;
		*) echo 0 ;;
	esac
}

qtab()
{
	case $1 in
		pgq) echo 'pgq."q_bq$0"' ;; # the child of q_bq that holds the messages (no maintenance here)
		ref) echo public.ref_q ;;
		pgmq) echo pgmq.q_bm ;;
	esac
}

atab()
{
	case $1 in
		pgq) echo pgq.a_bq ;;
		ref) echo public.ref_a ;;
		pgmq) echo pgmq.a_bm ;;
	esac
}

# prime SYS HEAD VISIBLE: the state a run starts from (see sql/prime.sql)
prime()
{
	psql -X -q -v q="$(qtab "$1")" -v a="$(atab "$1")" -v head="$2" -v visible="$3" \
		-f sql/prime.sql >/dev/null
}

# vacuum SYS: between runs on a queue that is not primed afresh
vacuum()
{
	sql "VACUUM ANALYZE $(qtab "$1")" && sql "VACUUM ANALYZE $(atab "$1")"
}

# state SYS: "rows visible table_bytes pkey_bytes other_index_bytes n_tup_upd n_tup_hot_upd"
state()
{
	local q
	q=$(qtab "$1")
	psql -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 -c "
		SELECT (SELECT count(*) FROM $q),
		       (SELECT count(*) FROM $q WHERE vt <= now()),
		       pg_relation_size('$q'),
		       (SELECT coalesce(sum(pg_relation_size(indexrelid)) FILTER (WHERE indisprimary), 0)
		        FROM pg_index WHERE indrelid = '$q'::regclass),
		       (SELECT coalesce(sum(pg_relation_size(indexrelid)) FILTER (WHERE NOT indisprimary), 0)
		        FROM pg_index WHERE indrelid = '$q'::regclass),
		       coalesce(n_tup_upd, 0), coalesce(n_tup_hot_upd, 0)
		FROM pg_stat_user_tables WHERE relid = '$q'::regclass"
}

# server_cpu: CPU time, in clock ticks, used so far by this cluster's processes: the postmaster,
# its live children, and (cutime, cstime) the children it has reaped, such as the backends of
# a pgbench run that has ended
server_cpu()
{
	local pm
	pm=$(head -n 1 "$PGQ_CLUSTER_DIR/data/postmaster.pid")
	cat /proc/[0-9]*/stat 2>/dev/null |
		awk -v pm="$pm" '$1 == pm || $4 == pm { s += $14 + $15 + $16 + $17 } END { print s + 0 }'
}

# wait_backends: until the backends of the pgbench run are gone (and their CPU time counted)
wait_backends()
{
	local i
	for i in $(seq 1 50); do
		[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgbench'")" -eq 0 ] &&
			return 0
		sleep 0.05
	done
}

# rotate N SHIFT ITEM...: the items, rotated left by SHIFT
rotate()
{
	local n=$1 shift_by=$2 i
	shift 2
	for ((i = 0; i < n; i++)); do
		printf '%s ' "${@:$(((i + shift_by) % n + 1)):1}"
	done
}

# run_one SECTION OP VARIANT SYS PAIR SLOT DURATION CLIENTS THREADS SETUP
#   SETUP is "prime HEAD VISIBLE" or "vacuum".  Appends a line to out/runs.csv and sets
#   RUN_STATUS (ok, dry: the queue ran out of messages, error) and RUN_CONSUMED.
run_one()
{
	local section=$1 op=$2 variant=$3 sys=$4 pair=$5 slot=$6 dur=$7 clients=$8 threads=$9
	local setup=${10} head=0 visible=0 log rc tps lat ntx cpu0 cpu1 cpu before after
	local b_rows b_vis b_tbl b_pk b_idx b_upd b_hot a_rows a_vis a_tbl a_pk a_idx a_upd a_hot

	read -r setup head visible <<<"$setup"
	if [ "$setup" = prime ]; then
		prime "$sys" "$head" "$visible" || return 1
	else
		vacuum "$sys" || return 1
		head=0 visible=0
	fi
	before=$(state "$sys") || return 1
	log=out/logs/$section.$op.$variant.$sys.$pair.log
	cpu0=$(server_cpu)
	pgbench -n -M prepared -c "$clients" -j "$threads" -T "$dur" -f "sql/$op.$sys.sql" >"$log" 2>&1
	rc=$?
	# the backends flush their statistics, and hand their CPU time to the postmaster, on exit
	wait_backends
	cpu1=$(server_cpu)
	after=$(state "$sys") || return 1
	read -r b_rows b_vis b_tbl b_pk b_idx b_upd b_hot <<<"$before"
	read -r a_rows a_vis a_tbl a_pk a_idx a_upd a_hot <<<"$after"
	tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$log")
	lat=$(sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' "$log")
	ntx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
	cpu=$(awk -v t="$((cpu1 - cpu0))" -v n="${ntx:-0}" -v hz="$CLK_TCK" \
		'BEGIN { printf "%.1f", (n > 0 ? t * 1000000 / hz / n : 0) }')
	RUN_CONSUMED=$((b_rows - a_rows))
	if [ "$rc" -eq 0 ] && [ -n "$tps" ]; then
		RUN_STATUS=ok
	elif [ "$(consumes "$op")" -gt 0 ] || [ "$op" = cycle ] && [ "$a_vis" -lt 1000 ]; then
		RUN_STATUS=dry
	else
		RUN_STATUS=error
	fi
	echo "$section,$op,$variant,$sys,$pair,$slot,$dur,${tps:-0},${lat:-0},$RUN_STATUS,${ntx:-0},$cpu,$head,$visible,$b_rows,$b_vis,$a_rows,$a_vis,$b_tbl,$a_tbl,$b_pk,$a_pk,$b_idx,$a_idx,$((a_upd - b_upd)),$((a_hot - b_hot))" >>out/runs.csv
	printf '%-8s %-15s %-10s pair %-2s %-5s %10.1f ops/s %9.3f ms %8.1f us CPU/op  %s\n' \
		"$section" "$op" "$variant" "$pair" "$sys" "${tps:-0}" "${lat:-0}" "$cpu" "$RUN_STATUS"
	if [ "$RUN_STATUS" = error ]; then
		echo "error: pgbench failed (exit status $rc); its output, $log:" >&2
		tail -n 20 "$log" >&2
		return 1
	fi
	return 0
}

# ------------------------------------------------------------------ the cases

# how many messages to prime for OP, from what a run consumed: twice that, and at least 20000
declare -A PRIME

prime_from()
{
	local consumed=$1 dur=$2 per=$3
	# consumed in a run of $per seconds, scaled to a run of $dur seconds, doubled
	echo $(((consumed * dur / per) * 2 + 20000))
}

section_ops()
{
	local op sys pair slot order n=${#SYSTEMS[@]} tries max_consumed

	echo
	echo "=== ops: $PAIRS pairs of ${DURATION}s runs, pgbench -M prepared -c $CLIENTS -j $THREADS"
	for op in $OPS; do
		# warm-up (not counted), which also measures how many messages a run consumes
		if [ "$(consumes "$op")" -gt 0 ]; then
			PRIME[$op]=$(($(consumes "$op") >= 100 ? 300000 : 50000))
		elif [ "$op" = cycle ]; then
			PRIME[$op]=20000
		else
			PRIME[$op]=0
		fi
		max_consumed=0
		for sys in "${SYSTEMS[@]}"; do
			[ "$WARMUP" -gt 0 ] || break
			tries=0
			while :; do
				run_one warmup "$op" small "$sys" 0 0 "$WARMUP" "$CLIENTS" "$THREADS" \
					"prime 0 ${PRIME[$op]}" || return 1
				[ "$RUN_STATUS" = ok ] && break
				tries=$((tries + 1))
				[ $tries -ge 5 ] && { echo "error: $op keeps running dry" >&2; return 1; }
				PRIME[$op]=$((PRIME[$op] * 4))
			done
			[ "$RUN_CONSUMED" -gt "$max_consumed" ] && max_consumed=$RUN_CONSUMED
		done
		if [ "$(consumes "$op")" -gt 0 ] && [ "$WARMUP" -gt 0 ]; then
			PRIME[$op]=$(prime_from "$max_consumed" "$DURATION" "$WARMUP")
		fi

		pair=1
		tries=0
		while [ "$pair" -le "$PAIRS" ]; do
			# shellcheck disable=SC2207
			order=($(rotate "$n" $(((pair - 1) % n)) "${SYSTEMS[@]}"))
			slot=0
			max_consumed=0
			for sys in "${order[@]}"; do
				slot=$((slot + 1))
				run_one ops "$op" small "$sys" "$pair" "$slot" "$DURATION" "$CLIENTS" "$THREADS" \
					"prime 0 ${PRIME[$op]}" || return 1
				[ "$RUN_STATUS" = ok ] || break
				[ "$RUN_CONSUMED" -gt "$max_consumed" ] && max_consumed=$RUN_CONSUMED
			done
			if [ "$RUN_STATUS" != ok ]; then
				# the queue ran dry: the pair does not count; again with more messages
				tries=$((tries + 1))
				[ $tries -ge 5 ] && { echo "error: $op keeps running dry" >&2; return 1; }
				sed -i "/^ops,$op,small,[a-z]*,$pair,/d" out/runs.csv
				PRIME[$op]=$((PRIME[$op] * 2))
				continue
			fi
			if [ "$(consumes "$op")" -gt 0 ] && [ $((max_consumed * 4)) -gt $((PRIME[$op] * 3)) ]; then
				PRIME[$op]=$((max_consumed * 2))
			fi
			pair=$((pair + 1))
		done
	done
}

# read 1 + delete with HEAD messages in flight at the head of the queue, and without
section_inflight()
{
	local pair variant sys combos order n visible slot tries=0

	visible=${PRIME[read1_delete]:-100000}
	echo
	echo "=== inflight: read 1 + delete, $visible visible messages behind $HEAD in flight, and behind none"
	# shellcheck disable=SC2207
	combos=($(for variant in head0 "head$HEAD"; do
		for sys in "${SYSTEMS[@]}"; do echo "$variant:$sys"; done
	done))
	n=${#combos[@]}
	pair=1
	while [ "$pair" -le "$PAIRS" ]; do
		# shellcheck disable=SC2207
		order=($(rotate "$n" $(((pair - 1) * (n / 2 + 1) % n)) "${combos[@]}"))
		slot=0
		for variant in "${order[@]}"; do
			sys=${variant#*:}
			variant=${variant%%:*}
			slot=$((slot + 1))
			run_one inflight read1_delete "$variant" "$sys" "$pair" "$slot" "$DURATION" \
				"$CLIENTS" "$THREADS" "prime ${variant#head} $visible" || return 1
			[ "$RUN_STATUS" = ok ] || break
		done
		if [ "$RUN_STATUS" != ok ]; then
			tries=$((tries + 1))
			[ $tries -ge 5 ] && { echo "error: the in-flight case keeps running dry" >&2; return 1; }
			sed -i "/^inflight,read1_delete,[a-z0-9]*,[a-z]*,$pair,/d" out/runs.csv
			visible=$((visible * 2))
			continue
		fi
		pair=$((pair + 1))
	done
	explain_reads "read 1 with $HEAD messages in flight at the head of $visible visible" \
		"$HEAD" "$visible"
}

# read 1 + delete and send 1 with BIG messages waiting; the queues are filled once and vacuumed
# between runs
section_big()
{
	local pair op sys order n=${#SYSTEMS[@]} slot

	echo
	echo "=== big: read 1 + delete and send 1 with $BIG messages waiting"
	for sys in "${SYSTEMS[@]}"; do
		prime "$sys" 0 "$BIG" || return 1
	done
	for pair in $(seq 1 "$PAIRS"); do
		# shellcheck disable=SC2207
		order=($(rotate "$n" $(((pair - 1) % n)) "${SYSTEMS[@]}"))
		slot=0
		for op in read1_delete send1; do
			for sys in "${order[@]}"; do
				slot=$((slot + 1))
				run_one big "$op" "big$BIG" "$sys" "$pair" "$slot" "$DURATION" "$CLIENTS" \
					"$THREADS" vacuum || return 1
				if [ "$RUN_STATUS" != ok ]; then
					echo "error: $op ran dry on the big queue" >&2
					return 1
				fi
			done
		done
	done
}

# metrics() on the big queues, one client, then its plan
section_metrics()
{
	local pair sys order n=${#SYSTEMS[@]} slot

	echo
	echo "=== metrics: metrics() on $BIG messages, one client"
	# the big section's runs have moved the queues away from BIG messages: back to BIG
	for sys in "${SYSTEMS[@]}"; do
		prime "$sys" 0 "$BIG" || return 1
	done
	for pair in $(seq 1 "$PAIRS"); do
		# shellcheck disable=SC2207
		order=($(rotate "$n" $(((pair - 1) % n)) "${SYSTEMS[@]}"))
		slot=0
		for sys in "${order[@]}"; do
			slot=$((slot + 1))
			run_one metrics metrics "big$BIG" "$sys" "$pair" "$slot" "$METRICS_DURATION" 1 1 \
				vacuum || return 1
		done
	done
	explain_metrics
}

# ------------------------------------------------------------------ plans

# The statements pgq prepares (src/plancache.c) for queue bq, planned as pgq plans them: a
# generic plan (CURSOR_OPT_GENERIC_PLAN), and no parallel workers (SPI_prepare_cursor without
# CURSOR_OPT_PARALLEL_OK).  Each EXPLAIN ANALYZE runs in a transaction that is rolled back.
PGQ_READ="WITH u AS (UPDATE ONLY pgq.\"q_bq\$0\" m SET vt = CASE WHEN \$3 OPERATOR(pg_catalog.>) \$1 THEN \$3 ELSE m.vt END, read_ct = m.read_ct OPERATOR(pg_catalog.+) 1, last_read_at = \$1 WHERE m.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT msg_id FROM ONLY pgq.\"q_bq\$0\" WHERE vt OPERATOR(pg_catalog.<=) \$1 ORDER BY vt, msg_id LIMIT \$2 FOR UPDATE SKIP LOCKED)) RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers) SELECT * FROM u ORDER BY msg_id"
PGQ_POP="WITH d AS (DELETE FROM ONLY pgq.\"q_bq\$0\" m WHERE m.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT msg_id FROM ONLY pgq.\"q_bq\$0\" WHERE vt OPERATOR(pg_catalog.<=) \$1 ORDER BY vt, msg_id LIMIT \$2 FOR UPDATE SKIP LOCKED)) RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers) SELECT * FROM d ORDER BY msg_id"
PGQ_METRICS="SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE s.vt OPERATOR(pg_catalog.<=) \$1), pg_catalog.max(s.enqueued_at), pg_catalog.min(s.enqueued_at), pg_catalog.pg_sequence_last_value(\$2) FROM (SELECT vt, enqueued_at FROM ONLY pgq.\"q_bq\$0\" LIMIT \$3) s"

# explain TITLE SQL...: run the statements in one psql session, append the output to explain.txt
explain()
{
	local title=$1
	shift
	{
		echo
		echo "==== $title"
		printf '%s\n' "$@" | psql -X -q -v ON_ERROR_STOP=1 2>&1
	} >>out/explain.txt
}

# the reference statement of a pgbench script, as pgbench prepares it (without \gset)
ref_stmt()
{
	sed -e '/^--/d' -e '/^\\/d' "sql/$1.ref.sql" | awk -v n="$2" '
		{ buf = buf $0 "\n" }
		/(;|\\gset)[ \t]*$/ { k++; if (k == n) { sub(/[ \t]*(;|\\gset)[ \t]*\n$/, "", buf); print buf; exit } buf = "" }'
}

# explain_reads TITLE HEAD VISIBLE: prime both queues so, then the plans of read 1 and pop 1
explain_reads()
{
	local title=$1 head=$2 visible=$3

	prime pgq "$head" "$visible" && prime ref "$head" "$visible" || return 1
	explain "$title: pgq.read('bq', 30, 1), the statement pgq prepares, generic plan" \
		"SET plan_cache_mode = force_generic_plan;" "SET max_parallel_workers_per_gather = 0;" \
		"PREPARE s(timestamptz, bigint, timestamptz) AS $PGQ_READ;" \
		"BEGIN;" \
		"EXPLAIN (ANALYZE, BUFFERS) EXECUTE s(clock_timestamp(), 1, clock_timestamp() + interval '30 s');" \
		"ROLLBACK;"
	explain "$title: reference read (sql/read1_delete.ref.sql), as prepared by pgbench" \
		"PREPARE r AS $(ref_stmt read1_delete 1);" \
		"BEGIN;" "EXPLAIN (ANALYZE, BUFFERS) EXECUTE r;" "ROLLBACK;"
	explain "$title: pgq.pop('bq', 1), the statement pgq prepares, generic plan" \
		"SET plan_cache_mode = force_generic_plan;" "SET max_parallel_workers_per_gather = 0;" \
		"PREPARE s(timestamptz, bigint) AS $PGQ_POP;" \
		"BEGIN;" "EXPLAIN (ANALYZE, BUFFERS) EXECUTE s(clock_timestamp(), 1);" "ROLLBACK;"
}

explain_metrics()
{
	local n
	n=$(sql "SELECT count(*) FROM pgq.q_bq")
	explain "metrics() on $n messages: the first statement pgq prepares (a count that stops after pgq.metrics_exact_limit + 1 rows), generic plan, no parallel workers" \
		"SET plan_cache_mode = force_generic_plan;" "SET max_parallel_workers_per_gather = 0;" \
		"PREPARE s(timestamptz, regclass, bigint) AS $PGQ_METRICS;" \
		"EXPLAIN (ANALYZE, BUFFERS) EXECUTE s(clock_timestamp(), 'pgq.q_bq_msg_id_seq', coalesce(current_setting('pgq.metrics_exact_limit', true)::bigint, 100000) + 1);"
	explain "metrics() on $n messages: reference (sql/metrics.ref.sql), as prepared by pgbench" \
		"PREPARE r AS $(ref_stmt metrics 1);" \
		"EXPLAIN (ANALYZE, BUFFERS) EXECUTE r;"
	explain "metrics() on $n messages: the call" \
		"EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM pgq.metrics('bq');"
}

# ------------------------------------------------------------------ report

machine_info()
{
	local cpu mem
	cpu=$(sed -n 's/^model name[ \t]*: //p' /proc/cpuinfo | head -n 1)
	mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	echo "cpu: ${cpu:-unknown}, $(nproc) cores online"
	echo "memory: $mem"
	echo "os: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
	echo "postgresql: $(sql 'SHOW server_version'), shared_buffers $(sql 'SHOW shared_buffers'), fsync $(sql 'SHOW fsync'), jit $(sql 'SHOW jit'), autovacuum $(sql 'SHOW autovacuum')"
	echo "pgq: $(sql "SELECT extversion FROM pg_extension WHERE extname = 'pgq'"), tree ${PGQ_BENCH_COMMIT:-unknown}"
	if [ "${#SYSTEMS[@]}" -gt 2 ]; then
		echo "pgmq: $(sql "SELECT extversion FROM pg_extension WHERE extname = 'pgmq'")"
	else
		echo "pgmq: not installed (no third column)"
	fi
}

# ------------------------------------------------------------------ the two halves

# the unprivileged half: owns the cluster
run_inner()
{
	local started

	cd "$BENCH_DIR" || exit 1
	CLK_TCK=$(getconf CLK_TCK)
	# out/storage belongs to storage.sh
	mkdir -p out && find out -mindepth 1 -maxdepth 1 ! -name storage -exec rm -rf {} + &&
		mkdir -p out/logs || exit 1
	trap 'pgq_cluster_stop' EXIT
	trap 'exit 130' INT TERM
	started=$(date +%s)

	echo "=== cluster: initdb and start on a unix socket in $PGQ_SCRATCH/cluster, port $PORT"
	pgq_cluster_start "$PGQ_SCRATCH/cluster" "$PORT" || exit 1
	# room for the big queues in shared buffers, and no checkpoint in the middle of a run
	sql "ALTER SYSTEM SET shared_buffers = '512MB'" &&
		sql "ALTER SYSTEM SET max_wal_size = '8GB'" &&
		sql "ALTER SYSTEM SET checkpoint_timeout = '1h'" &&
		pg_ctl -D "$PGQ_CLUSTER_DIR/data" -w -m fast restart >/dev/null || exit 1
	createdb bench || exit 1
	export PGDATABASE=bench
	psql -X -q -v ON_ERROR_STOP=1 -f sql/setup.sql >/dev/null || exit 1

	SYSTEMS=(pgq ref)
	if [ "$(sql "SELECT count(*) FROM pg_available_extensions WHERE name = 'pgmq'")" -gt 0 ]; then
		if psql -X -q -v ON_ERROR_STOP=1 -f sql/setup_pgmq.sql >out/logs/setup_pgmq.log 2>&1; then
			SYSTEMS=(pgq ref pgmq)
			echo "pgmq: available, $(sql "SELECT extversion FROM pg_extension WHERE extname = 'pgmq'"): a third column"
		else
			echo "pgmq: available but could not be set up (out/logs/setup_pgmq.log): left out"
		fi
	else
		echo "pgmq: not installed: no third column"
	fi

	{
		machine_info
		echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	} >out/machine.txt
	cat >out/params.sh <<EOF
PAIRS=$PAIRS DURATION=$DURATION WARMUP=$WARMUP CLIENTS=$CLIENTS THREADS=$THREADS
BIG=$BIG HEAD=$HEAD METRICS_DURATION=$METRICS_DURATION QUICK=$QUICK
SYSTEMS="${SYSTEMS[*]}" OPS="$OPS"
EOF
	: >out/explain.txt
	echo "section,op,variant,system,pair,slot,duration,tps,latency_ms,status,transactions,cpu_us_per_op,head,visible,rows_before,visible_before,rows_after,visible_after,table_before,table_after,pkey_before,pkey_after,other_idx_before,other_idx_after,n_tup_upd,n_tup_hot_upd" >out/runs.csv

	section_ops || exit 1
	explain_reads "read 1 on a queue of ${PRIME[read1_delete]} messages" 0 "${PRIME[read1_delete]}" || exit 1
	section_inflight || exit 1
	section_big || exit 1
	section_metrics || exit 1
	explain_reads "read 1 on a queue of $BIG messages" 0 "$BIG" || exit 1

	{
		echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "wall time: $(($(date +%s) - started)) s"
	} >>out/machine.txt
	pgq_cluster_stop
	bash report.sh out >/dev/null || exit 1
}

# the half that runs as the caller: packages, build, scratch copy, report
main()
{
	local rc

	cd "$PGQ_TREE" || exit 1
	# what the benchmark needs, of test/lib.sh's list (not pgTAP nor valgrind), and gnuplot
	# shellcheck disable=SC2034 # read by pgq_install_deps in test/lib.sh
	PGQ_PACKAGES="postgresql-$PGQ_PG_VERSION postgresql-server-dev-$PGQ_PG_VERSION make gcc gnuplot-nox"
	pgq_install_deps || exit 1
	if [ "$BUILD" -eq 1 ]; then
		pgq_build_install || exit 1
	fi
	PGQ_BENCH_COMMIT=$(git -C "$PGQ_TREE" rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [ -n "$(git -C "$PGQ_TREE" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		PGQ_BENCH_COMMIT="$PGQ_BENCH_COMMIT (with uncommitted changes)"
	fi
	pgq_scratch_new || exit 1
	trap 'pgq_scratch_remove' EXIT
	trap 'exit 130' INT TERM

	pgq_as_tester env PGQ_SCRATCH="$PGQ_SCRATCH" PGQ_BENCH_COMMIT="$PGQ_BENCH_COMMIT" \
		bash "$PGQ_SCRATCH/tree/bench/run.sh" --inner "${ARGS[@]}"
	rc=$?
	if [ -d "$PGQ_SCRATCH/tree/bench/out" ]; then
		mkdir -p "$PGQ_TREE/bench/out" &&
			find "$PGQ_TREE/bench/out" -mindepth 1 -maxdepth 1 ! -name storage -exec rm -rf {} + &&
			tar -C "$PGQ_SCRATCH/tree/bench/out" --exclude=./storage -cf - . |
			tar -C "$PGQ_TREE/bench/out" -xf -
	fi
	if [ "$rc" -eq 0 ] && [ -f "$PGQ_TREE/bench/out/results.md" ]; then
		echo
		cat "$PGQ_TREE/bench/out/results.md"
		echo
		echo "written: bench/out/results.md results.csv runs.csv storage.csv explain.txt ratio.png machine.txt"
	fi
	return "$rc"
}

parse_args "$@"
if [ "$INNER" -eq 1 ]; then
	run_inner
else
	main
fi
