#!/bin/bash
# bench/soak.sh: throughput over time under sustained load, beside a long transaction
#
#   bash bench/soak.sh                          # 10 + 5 + 2 minutes per side, about 35 minutes
#   bash bench/soak.sh --clean 3 --snapshot 2 --after 1
#
# The cycle of a queue that keeps up (send 1; read 1; delete it: bench/sql/soak.*.sql), 4 clients
# (pgbench -M prepared -c 4 -j 2), with autovacuum at its defaults, in three phases:
#   clean     CLEAN minutes of load
#   snapshot  SNAPSHOT minutes more, while another session holds a REPEATABLE READ snapshot (as a
#             report, a backup or a forgotten BEGIN does): nothing dead can be removed meanwhile
#   after     AFTER minutes more, once it has ended
# once for pgq (queue bq through pgq's functions, CALL pgq.maintain() every second) and once for the reference: the same statements
# as hand-written SQL on a copy of the queue's table (bench/sql/setup.sql), one after the other in
# one cluster.  pgbench reports ops/s every 10 seconds; the size of each side's table and indexes is
# sampled as often.  Printed, and written to bench/out/soak.md (bench/out/soak.png with gnuplot):
# per side and phase the mean ops/s, the 3 slowest 10-second intervals against the 3 fastest, the
# last minute against the first, and the size at the end of each phase.
#
# Options: --clean, --snapshot, --after MINUTES (10, 5, 2), --port N (PGQ_BENCH_PORT, default
# 5461), --no-build (use the pgq already installed instead of building this tree), --pgmq FILE
# (an absolute path to pgmq's install script, pgmq-extension/sql/pgmq.sql of pgmq's repository:
# pgmq is then measured too, a third side, queue pq through pgmq's functions; it is not shipped
# here).

set -u

BENCH_NAME=soak
BENCH_VALUE_OPTS="--clean --snapshot --after --pgmq"
PGMQ=""
CLEAN=10
SNAPSHOT=5
AFTER=2
# shellcheck source=bench/lib.sh disable=SC2034 # BENCH_* are read by bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ARGS=("$@")
bench_options "$@"

# one side: pgbench for the three phases, the snapshot holder, the size sampler (and, for pgq,
# maintenance every second, as a scheduler would run it: CALL pgq.maintain())
run_side()
{
	local side=$1 rel=$2 total holder sampler maintainer="" t0 i

	total=$(((CLEAN + SNAPSHOT + AFTER) * 60))
	bench_sql postgres "VACUUM ANALYZE $rel" || return 1
	t0=$(date +%s)
	(
		for i in $(seq 0 10 "$total"); do
			sleep $((t0 + i - $(date +%s) > 0 ? t0 + i - $(date +%s) : 0))
			echo "size $side $i $(bench_sql postgres "SELECT sum(pg_total_relation_size(c.oid))::bigint
				FROM pg_class c WHERE c.oid = '$rel'::regclass
				OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = '$rel'::regclass)")"
		done
	) >>"$PGQ_SCRATCH/soak.txt" &
	sampler=$!
	(
		sleep $((CLEAN * 60))
		psql -X -q -v ON_ERROR_STOP=1 -d postgres \
			-c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT count(*) FROM pgq.meta" \
			-c "SELECT pg_sleep($((SNAPSHOT * 60)))" -c "COMMIT" >/dev/null
	) &
	holder=$!
	if [ "$side" = pgq ]; then
		(
			while [ $(($(date +%s) - t0)) -lt "$total" ]; do
				psql -X -q -d postgres -c "CALL pgq.maintain()" >/dev/null
				sleep 1
			done
		) &
		maintainer=$!
	fi
	echo "$side: ${total} s of pgbench, ops/s every 10 s in $PGQ_SCRATCH/pgbench.$side.log"
	pgbench -n -M prepared -c 4 -j 2 -T "$total" -P 10 -f "bench/sql/soak.$side.sql" postgres \
		>"$PGQ_SCRATCH/pgbench.$side.log" 2>&1
	awk -v side="$side" '/^progress:/ { t = $2; sub(/\.0$/, "", t); print "tps", side, t, $4 }' \
		"$PGQ_SCRATCH/pgbench.$side.log" | tee -a "$PGQ_SCRATCH/soak.txt"
	wait "$holder"
	[ -n "$maintainer" ] && wait "$maintainer"
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null
	return 0
}

report()
{
	local t=$PGQ_SCRATCH/soak.txt out=bench/out/soak.md

	{
		echo "### Soak: the cycle over time ($(git --git-dir="$PGQ_SCRATCH/git" rev-parse --short HEAD 2>/dev/null || echo 'this tree'))"
		echo
		echo "send 1 + read 1 + delete, 4 clients, autovacuum at its defaults; ${CLEAN} min clean, ${SNAPSHOT} min with a REPEATABLE READ snapshot held elsewhere, ${AFTER} min after. ops/s per 10 s interval."
		echo
		echo "| side | phase | mean ops/s | 3 slowest / 3 fastest | last min / first min | MB at the end |"
		echo "| --- | --- | ---: | ---: | ---: | ---: |"
		awk -v clean="$CLEAN" -v snap="$SNAPSHOT" -v after="$AFTER" '
			function phase(s) { return s <= clean * 60 ? "clean" : (s <= (clean + snap) * 60 ? "snapshot" : "after") }
			$1 == "tps" { n = ++cnt[$2, phase($3)]; v[$2, phase($3), n] = $4; sum[$2, phase($3)] += $4; sides[$2] = 1 }
			$1 == "size" { sz[$2, phase($3)] = $4 }
			END {
				split("clean snapshot after", ph, " ")
				for (side in sides)
					for (p = 1; p <= 3; p++) {
						k = side SUBSEP ph[p]; n = cnt[k]
						if (n == 0) continue
						for (i = 1; i <= n; i++) a[i] = v[k, i]
						for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
						m = n < 3 ? n : 3; lo = hi = 0
						for (i = 1; i <= m; i++) { lo += a[i]; hi += a[n + 1 - i] }
						f = l = 0; w = n < 6 ? n : 6
						for (i = 1; i <= w; i++) { f += v[k, i]; l += v[k, n + 1 - i] }
						printf "| %s | %s | %.0f | %.2f | %.2f | %.1f |\n", side, ph[p], sum[k] / n, hi ? lo / hi : 0, f ? l / f : 0, sz[k] / 1048576
					}
			}' "$t" | sort
		echo
		awk -v clean="$CLEAN" -v snap="$SNAPSHOT" '
			function phase(s) { return s <= clean * 60 ? "clean" : (s <= (clean + snap) * 60 ? "snapshot" : "after") }
			$1 == "tps" { n[$2, phase($3)]++; sum[$2, phase($3)] += $4; all_n[$2]++; all[$2] += $4 }
			END {
				split("clean snapshot after", ph, " ")
				for (p = 1; p <= 3; p++)
					for (o = 1; o <= 2; o++) {
						other = o == 1 ? "ref" : "pgmq"
						if (n["pgq", ph[p]] && n[other, ph[p]] && sum[other, ph[p]])
							printf "- pgq / %s mean ops/s, %s: %.2f\n", other == "ref" ? "same statements as SQL" : "pgmq", ph[p],
								(sum["pgq", ph[p]] / n["pgq", ph[p]]) / (sum[other, ph[p]] / n[other, ph[p]])
					}
				if (all_n["pgq"] && all_n["pgmq"] && all["pgmq"])
					printf "- pgq / pgmq mean ops/s, whole run: %.2f\n", (all["pgq"] / all_n["pgq"]) / (all["pgmq"] / all_n["pgmq"])
			}' "$t"
	} >"$out"
	if command -v gnuplot >/dev/null 2>&1; then
		awk '$1 == "tps" && $2 == "pgq" { print $3, $4 }' "$t" >"$PGQ_SCRATCH/pgq.dat"
		awk '$1 == "tps" && $2 == "ref" { print $3, $4 }' "$t" >"$PGQ_SCRATCH/ref.dat"
		awk '$1 == "tps" && $2 == "pgmq" { print $3, $4 }' "$t" >"$PGQ_SCRATCH/pgmq.dat"
		local pgmq_plot=""
		[ -s "$PGQ_SCRATCH/pgmq.dat" ] &&
			pgmq_plot=", \"$PGQ_SCRATCH/pgmq.dat\" using (\$1/60):2 with lines lw 2 title \"pgmq\""
		gnuplot <<EOF || echo "gnuplot failed" >&2
set terminal pngcairo size 900,450 font "sans,10"
set output "bench/out/soak.png"
set title "send + read + delete, ops/s per 10 s (snapshot held from ${CLEAN} to $((CLEAN + SNAPSHOT)) min)"
set xlabel "minutes"
set ylabel "ops/s"
set grid
set arrow from ${CLEAN}, graph 0 to ${CLEAN}, graph 1 nohead dt 2
set arrow from $((CLEAN + SNAPSHOT)), graph 0 to $((CLEAN + SNAPSHOT)), graph 1 nohead dt 2
plot "$PGQ_SCRATCH/pgq.dat" using (\$1/60):2 with lines lw 2 title "pgq", \
     "$PGQ_SCRATCH/ref.dat" using (\$1/60):2 with lines lw 2 title "same statements as SQL"$pgmq_plot
EOF
	fi
	echo
	cat "$out"
}

if [ "$INNER" -eq 1 ]; then
	cd "$PGQ_SCRATCH/tree" || exit 1
	mkdir -p bench/out || exit 1
	: >"$PGQ_SCRATCH/soak.txt"
	pgq_cluster_start "$PGQ_SCRATCH/cluster" "$PORT" || exit 1
	trap 'pgq_cluster_stop' EXIT
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -f bench/sql/setup.sql >/dev/null || exit 1
	run_side pgq pgq.q_bq || exit 1
	run_side ref public.ref_q || exit 1
	if [ -n "$PGMQ" ]; then
		psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$PGMQ" >/dev/null || exit 1
		bench_sql postgres "SELECT pgmq.create('pq')" >/dev/null || exit 1
		run_side pgmq pgmq.q_pq || exit 1
	fi
	report
else
	if [ -n "$PGMQ" ] && ! [[ $PGMQ == /* && -r $PGMQ ]]; then
		echo "error: --pgmq needs the absolute path of a readable file, not \"$PGMQ\"" >&2
		exit 2
	fi
	bench_main "postgresql-$PGQ_PG_VERSION postgresql-server-dev-$PGQ_PG_VERSION make gcc gnuplot-nox" "${ARGS[@]}"
fi
