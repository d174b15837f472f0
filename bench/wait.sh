#!/bin/bash
# bench/wait.sh: how fast an idle consumer gets a message, and what idle consumers cost
#
#   bash bench/wait.sh                   # about 10 minutes
#   bash bench/wait.sh --samples 100 --idle 30 --rounds 1
#
# One throwaway cluster, first with pgq in shared_preload_libraries (read_with_poll woken at
# commit), then started again without it (read_with_poll polling every 100 ms).  bench/wait.py,
# over psycopg 3, measures:
#   latency   an idle consumer picks up a message committed at a random moment (0-200 ms after it
#             found the queue empty), SAMPLES times: p50 / p99 / max milliseconds from the producer's
#             COMMIT to the consumer having the row, for
#               wake    read_with_poll, pgq preloaded
#               poll    read_with_poll, not preloaded
#               client  pgq.read in a client loop sleeping 100 ms when the queue is empty
#               listen  LISTEN on the queue's channel (enable_notify_insert, throttle 0), pgq.read
#                       after each notification
#   delayed   lateness of messages sent with a 1 s delay behind their due time (SAMPLES / 4 of them)
#   herd      50 idle waiters on one queue, 1 message committed: waiters woken and reading (wake mode)
#   idle      50 idle waiters for IDLE: CPU of every server process, in % of one core, and
#             the reads they ran per second
#   throughput  2 producers (one message per transaction) and 4 or 50 read_with_poll consumers
#             (read 1, delete): messages per second, median of ROUNDS 10-second runs
#   cost      send 1, read 1 + delete: pgbench ops/s with pgq preloaded / without (two clusters
#             side by side, PAIRS interleaved pairs of DURATION-second runs, median ratio)
# Writes bench/out/wait.md and, with gnuplot, bench/out/wait.png (p50 and p99 per mode).
#
# Options: --samples N (200), --idle SECONDS (60), --rounds N (3), --pairs N (6), --duration
# SECONDS (4), --port N (PGQ_BENCH_PORT, default 5461; the second cluster of "cost" uses the next
# one), --no-build (use the pgq already installed instead of building this tree).

set -u

BENCH_NAME=wait
BENCH_VALUE_OPTS="--samples --idle --rounds"
SAMPLES=200
IDLE=60
ROUNDS=3
# shellcheck source=bench/lib.sh disable=SC2034 # BENCH_* are read by bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ARGS=("$@")
bench_options "$@"

PY=/usr/bin/python3

measure()
{
	"$PY" bench/wait.py "$@" | tee -a "$PGQ_SCRATCH/wait.txt"
}

# throughput WAITERS: ROUNDS runs, the median (of an even number, the mean of the middle two)
throughput()
{
	local i
	for i in $(seq 1 "$ROUNDS"); do
		"$PY" bench/wait.py throughput "$1" 10 | awk '{ print $3 }'
	done | sort -n | awk -v n="$1" '{ v[NR] = $1 }
		END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "throughput %s %.0f\n", n, m }' |
		tee -a "$PGQ_SCRATCH/wait.txt"
}

# one mode's measurements, in a cluster started with PGQ_PRELOAD as shared_preload_libraries
run_mode()
{
	local mode=$1
	pgq_cluster_start "$PGQ_SCRATCH/cluster.$mode" "$PORT" || return 1
	bench_sql postgres "CREATE EXTENSION pgq" || return 1
	echo "mode $(bench_sql postgres 'SELECT mode FROM pgq.wait_stats()')" | tee -a "$PGQ_SCRATCH/wait.txt"
	if [ "$mode" = wake ]; then
		measure latency wait "$SAMPLES"
		sed -i 's/^latency wait /latency wake /' "$PGQ_SCRATCH/wait.txt"
		measure latency client "$SAMPLES"
		measure latency listen "$SAMPLES"
		measure delayed "$((SAMPLES / 4))"
		measure herd 50
	else
		measure latency wait "$SAMPLES"
		sed -i 's/^latency wait /latency poll /' "$PGQ_SCRATCH/wait.txt"
	fi
	measure idle 50 "$IDLE"
	sed -i "s/^idle /$mode idle /" "$PGQ_SCRATCH/wait.txt"
	throughput 4
	throughput 50
	sed -i "s/^throughput /$mode throughput /" "$PGQ_SCRATCH/wait.txt"
	pgq_cluster_stop
}

# cost: send 1 and read 1 + delete in a cluster with pgq preloaded (what each transaction notes
# for waiters, the commit callback) against one without, both running, PAIRS interleaved pairs
run_cost()
{
	local side dir port pair op first second tps
	declare -A dirs ports

	pgq_cluster_start "$PGQ_SCRATCH/cost.wake" "$PORT" || return 1
	dirs[wake]=$PGQ_CLUSTER_DIR ports[wake]=$PORT
	PGQ_PRELOAD= pgq_cluster_start "$PGQ_SCRATCH/cost.poll" "$((PORT + 1))" || return 1
	dirs[poll]=$PGQ_CLUSTER_DIR ports[poll]=$((PORT + 1))
	for side in wake poll; do
		PGHOST=${dirs[$side]} PGPORT=${ports[$side]} bench_sql postgres "CREATE EXTENSION pgq;
			SELECT pgq.create_queue('bq');
			SELECT count(*) FROM pgq.send_batch('bq', array_fill('{\"k\": 1}'::jsonb, ARRAY[200000]));" >/dev/null &&
			PGHOST=${dirs[$side]} PGPORT=${ports[$side]} bench_sql postgres "VACUUM ANALYZE pgq.q_bq" || return 1
	done
	echo "SELECT * FROM pgq.send('bq', '{\"k\": 1}');" >"$PGQ_SCRATCH/send1.sql"
	echo "SELECT pgq.delete('bq', msg_id) FROM pgq.read('bq', 30, 1);" >"$PGQ_SCRATCH/read1_delete.sql"
	: >"$PGQ_SCRATCH/runs.txt"
	for pair in $(seq 1 "$PAIRS"); do
		for op in send1 read1_delete; do
			if [ $((pair % 2)) -eq 0 ]; then first=poll second=wake; else first=wake second=poll; fi
			for side in $first $second; do
				tps=$(pgbench -n -M prepared -c 4 -j 2 -T "$DURATION" -h "${dirs[$side]}" -p "${ports[$side]}" \
					-f "$PGQ_SCRATCH/$op.sql" postgres 2>/dev/null | awk '/^tps/ { print $3 }')
				echo "$op $pair $side ${tps:-0}" | tee -a "$PGQ_SCRATCH/runs.txt"
			done
		done
	done
	for side in wake poll; do
		pg_ctl -D "${dirs[$side]}/data" -m fast -w stop >/dev/null
	done
}

report()
{
	local t=$PGQ_SCRATCH/wait.txt out=bench/out/wait.md

	{
		echo "### Waiting for messages ($(git --git-dir="$PGQ_SCRATCH/git" rev-parse --short HEAD 2>/dev/null || echo 'this tree'))"
		echo
		echo "Idle pickup latency, $SAMPLES messages committed at random moments, ms from COMMIT to the consumer having the row:"
		echo
		echo "| consumer | p50 | p99 | max |"
		echo "| --- | ---: | ---: | ---: |"
		awk '$1 == "latency" {
			name["wake"] = "read_with_poll, pgq preloaded (woken at commit)"
			name["poll"] = "read_with_poll, not preloaded (polls every 100 ms)"
			name["client"] = "client loop: read, sleep 100 ms when empty"
			name["listen"] = "LISTEN (enable_notify_insert, throttle 0), then read"
			printf "| %s | %s | %s | %s |\n", name[$2], $3, $4, $5 }' "$t"
		awk '$1 == "delayed" { printf "| delayed 1 s, read_with_poll preloaded: ms after its due time | %s | %s | %s |\n", $2, $3, $4 }' "$t"
		echo
		echo "| 50 idle waiters | preloaded (wake) | not preloaded (poll) |"
		echo "| --- | ---: | ---: |"
		awk '$1 == "herd" { h = $3 }
			$2 == "idle" { cpu[$1] = $4; reads[$1] = $5 }
			$2 == "throughput" { tp[$1, $3] = $4 }
			END {
				printf "| woken and reading after 1 message is committed | %s | all 50, every 100 ms |\n", h
				printf "| server CPU while idle, %% of one core | %s | %s |\n", cpu["wake"], cpu["poll"]
				printf "| reads per second while idle | %s | %s |\n", reads["wake"], reads["poll"]
				printf "| messages/s, 50 consumers | %s | %s |\n", tp["wake", 50], tp["poll", 50]
				printf "| messages/s, 4 consumers | %s | %s |\n", tp["wake", 4], tp["poll", 4]
			}' "$t"
		echo
		echo "What waking costs the hot path: pgq preloaded / not preloaded, ops/s of $PAIRS interleaved pairs of ${DURATION}-second pgbench runs (-M prepared -c 4 -j 2), two clusters side by side, a queue of 200,000 messages each:"
		echo
		bench_table poll wake
		echo
		echo "Idle: ${IDLE} s, each waiter calling read_with_poll(max_poll_seconds => 5) again when it returns. Throughput: 2 producers, median of $ROUNDS 10-second runs. Clients: Python (psycopg 3) threads on the same 2-core machine."
	} >"$out"
	if command -v gnuplot >/dev/null 2>&1; then
		awk '$1 == "latency" { print $2, $3, $4 }' "$t" >"$PGQ_SCRATCH/lat.dat"
		gnuplot <<EOF || echo "gnuplot failed" >&2
set terminal pngcairo size 800,450 font "sans,10"
set output "bench/out/wait.png"
set title "Idle pickup latency (ms, log scale)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [0.1:*]
set ylabel "ms from COMMIT to the consumer"
set key top left
set grid ytics
plot "$PGQ_SCRATCH/lat.dat" using 2:xtic(1) title "p50", "" using 3 title "p99"
EOF
	fi
	echo
	cat "$out"
}

if [ "$INNER" -eq 1 ]; then
	cd "$PGQ_SCRATCH/tree" || exit 1
	mkdir -p bench/out || exit 1
	: >"$PGQ_SCRATCH/wait.txt"
	run_mode wake || exit 1
	PGQ_PRELOAD= run_mode poll || exit 1
	run_cost || exit 1
	report
else
	bench_main "postgresql-$PGQ_PG_VERSION postgresql-server-dev-$PGQ_PG_VERSION make gcc python3-psycopg gnuplot-nox" "${ARGS[@]}"
fi
