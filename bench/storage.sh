#!/bin/bash
# bench/storage.sh: how the layout of a queue table (its indexes, its fillfactor) and the size of
# its messages change the cost of reading, measured on plain tables shaped like pgq.q_<name>
#
#   bash bench/storage.sh            # about 10 minutes: 5 rounds of 5-second runs
#   bash bench/storage.sh --quick    # a smoke run: 1 round of 2-second runs
#
# Options: --rounds N, --duration SECONDS, --port P (default 5471).  It needs PostgreSQL 15 and
# pgbench, not pgq: every statement is plain SQL, the one pgq's read prepares (src/plancache.c).
#
# Layouts, one table each, with q_<name>'s columns (src/queue.c; vt defaults to clock_timestamp()):
#   L1  primary key only, read in msg_id order (an update can be HOT)
#   L2  primary key and (vt), read in msg_id order (release 0.2.0)
#   L3  primary key and (vt, msg_id), read in vt, msg_id order (release 0.3.0)
#   L1f80, L3f90, L3f80: the same with the table's fillfactor 80 or 90
# Workloads (pgbench -n -M prepared -r -c 4 -j 2), each run from the same state (TRUNCATE,
# INSERT, VACUUM ANALYZE), the variants of a workload in an order that rotates each round:
#   steady    read 1 (vt 30 s) + delete it, 100k visible messages
#   nodelete  read 1 without deleting it: the UPDATE alone (what was read stays in flight at the
#             head, so L1 and L2 walk past more of it as the run goes on)
#   inflight  read 1 + delete, 100k visible messages behind 10k in flight (vt a day ahead)
#   toast     read 1 + delete on L3 with ~100 B, ~4 kB and ~100 kB messages (md5 text: they do
#             not compress, so 4 kB and 100 kB live in the TOAST table), the client taking all
#             columns or only msg_id; and read 1 alone on 100 kB.  These runs are of a fixed
#             number of reads (-t), as a 5-second run would need gigabytes of messages
# Each run records ops/s, the read's latency, the share of updates that were HOT, and the growth
# of the heap, of each index and of the TOAST table, with the rows written to the TOAST table.
# Writes bench/out/storage/: runs.csv (every run), results.md (the tables, medians over the
# rounds; ratios are medians of the same round's ratios), machine.txt, logs/ (pgbench output).

set -u

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../test/lib.sh disable=SC1091 # -x follows it
. "$BENCH_DIR/../test/lib.sh"

PORT=5471 ROUNDS=5 DURATION=5 INNER=0 CLIENTS=4 THREADS=2
HEAD=10000
LAYOUTS="L1 L1f80 L2 L3 L3f90 L3f80"
WORKLOADS="steady nodelete inflight toast"

usage()
{
	sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
	exit "${1:-0}"
}

parse_args()
{
	local v

	ARGS=("$@")
	while [ $# -gt 0 ]; do
		case $1 in
			--quick) ROUNDS=1 DURATION=2 ;;
			--inner) INNER=1 ;;
			--rounds | --duration | --port)
				[ $# -ge 2 ] || { echo "error: $1 needs a value" >&2; exit 2; }
				v=${1#--}
				printf -v "${v^^}" '%s' "$2"
				shift ;;
			-h | --help) usage 0 ;;
			*) echo "error: unknown option $1" >&2; usage 2 ;;
		esac
		shift
	done
	for v in ROUNDS DURATION PORT; do
		[[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "error: --${v,,} must be a positive integer" >&2; exit 2; }
	done
}

sql()
{
	psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"
}

# variants WORKLOAD: its variants, the first being the one the others are compared to
variants()
{
	case $1 in
		steady | nodelete) echo "L2 L1 L1f80 L3 L3f90 L3f80" ;;
		inflight) echo "L2 L1 L3" ;;
		toast) echo "t100 t4k t100k t4k_id t100k_id t100k_ro" ;;
	esac
}

# table LAYOUT, and the ORDER BY of its read
table() { echo "q_${1,,}"; }
read_order()
{
	case $1 in
		L3*) echo "vt, msg_id" ;;
		*) echo "msg_id" ;;
	esac
}

# the tables, and the messages to fill them from (src: 100 of each size; md5 text does not compress)
setup()
{
	local l ff idx
	for l in $LAYOUTS; do
		ff=${l#L?}
		ff=${ff#f}
		case $l in L2*) idx="(vt)" ;; L3*) idx="(vt, msg_id)" ;; *) idx= ;; esac
		sql "CREATE TABLE $(table "$l") (msg_id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
			read_ct integer NOT NULL DEFAULT 0, enqueued_at timestamptz NOT NULL DEFAULT now(),
			last_read_at timestamptz, vt timestamptz NOT NULL DEFAULT clock_timestamp(),
			message jsonb, headers jsonb) WITH (fillfactor = ${ff:-100})" || return 1
		if [ -n "$idx" ]; then
			sql "CREATE INDEX $(table "$l")_vt_idx ON $(table "$l") $idx" || return 1
		fi
	done
	sql "CREATE TABLE src AS SELECT s.size, g AS n, CASE WHEN s.k = 0 THEN jsonb_build_object('n', g)
		ELSE jsonb_build_object('p', (SELECT string_agg(md5(s.size || g || ':' || i), '')
		FROM generate_series(1, s.k) i)) END AS message
		FROM (VALUES ('small', 0), ('t100', 3), ('t4k', 125), ('t100k', 3200)) s(size, k),
		generate_series(1, 100) g" || return 1
}

# prime TABLE HEAD ROWS SIZE: HEAD messages in flight for a day, then ROWS visible ones of SIZE.
# lz4 only makes the filling faster: these values do not compress, so they are stored as they are.
prime()
{
	psql -X -q -v ON_ERROR_STOP=1 -v t="$1" -v head="$2" -v reps="$((($3 + 99) / 100))" -v size="$4" \
		>/dev/null <<'EOF'
SET default_toast_compression = lz4;
TRUNCATE :t;
INSERT INTO :t (vt, message) SELECT now() + interval '1 day', '{"n":1}' FROM generate_series(1, :head);
INSERT INTO :t (vt, message) SELECT now(), s.message FROM generate_series(1, :reps) r, src s
	WHERE s.size = :'size' ORDER BY r, s.n;
VACUUM ANALYZE :t;
EOF
}

# script FILE TABLE ORDER COLUMNS DELETE: pgq's read of 1 message, then (DELETE=1) its delete
script()
{
	{
		echo "WITH u AS (UPDATE $2 m SET vt = now() + interval '30 seconds', read_ct = m.read_ct + 1, last_read_at = now()"
		echo "  WHERE m.msg_id = ANY (ARRAY(SELECT msg_id FROM $2 WHERE vt <= now() ORDER BY $3 LIMIT 1 FOR UPDATE SKIP LOCKED))"
		echo "  RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers)"
		echo "SELECT $4 FROM u ORDER BY msg_id \\gset"
		[ "$5" -eq 1 ] && echo "DELETE FROM $2 WHERE msg_id = :msg_id;"
	} >"$1"
}

# quiesce: until no backend of database bench is left; a backend flushes its statistics on exit
quiesce()
{
	local pm p busy
	pm=$(head -n 1 "$PGQ_CLUSTER_DIR/data/postmaster.pid")
	for _ in $(seq 1 200); do
		busy=0
		for p in $(pgrep -P "$pm"); do
			tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q '^postgres: [^ ]* bench ' && busy=1
		done
		[ "$busy" -eq 0 ] && return 0
		sleep 0.05
	done
	echo "warning: backends of database bench still running" >&2
}

# state TABLE: heap pkey other_indexes toast n_tup_upd n_tup_hot_upd toast_n_tup_ins toast_n_tup_del
state()
{
	psql -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 -c "
		SELECT pg_relation_size(c.oid),
			(SELECT coalesce(sum(pg_relation_size(indexrelid)) FILTER (WHERE indisprimary), 0)
			 FROM pg_index WHERE indrelid = c.oid),
			(SELECT coalesce(sum(pg_relation_size(indexrelid)) FILTER (WHERE NOT indisprimary), 0)
			 FROM pg_index WHERE indrelid = c.oid),
			coalesce(pg_relation_size(nullif(c.reltoastrelid, 0)), 0), s.n_tup_upd, s.n_tup_hot_upd,
			coalesce(ts.n_tup_ins, 0), coalesce(ts.n_tup_del, 0)
		FROM pg_class c JOIN pg_stat_all_tables s ON s.relid = c.oid
		LEFT JOIN pg_stat_all_tables ts ON ts.relid = c.reltoastrelid WHERE c.oid = '$1'::regclass"
}

# run_one WORKLOAD VARIANT ROUND SLOT: prime, run pgbench, append a line to runs.csv
run_one()
{
	local w=$1 v=$2 round=$3 slot=$4 t order cols=msg_id del=1 head=0 rows=$VISIBLE size=small
	local len=(-T "$DURATION") tx log rc tps lat rlat ntx status before after
	local b_heap b_pk b_idx b_toast b_upd b_hot b_tins b_tdel a_heap a_pk a_idx a_toast a_upd a_hot a_tins a_tdel

	t=$(table "$v") order=$(read_order "$v")
	case $w in
		nodelete) del=0 ;;
		inflight) head=$HEAD ;;
		toast)
			t=$(table L3) order=$(read_order L3) size=${v%%_*}
			# reads per client: about DURATION seconds' worth on a 2-core machine
			case $size in t100) tx=4000 ;; t4k) tx=4000 ;; t100k) tx=600 ;; esac
			tx=$((tx * DURATION / 5 > 50 ? tx * DURATION / 5 : 50))
			len=(-t "$tx") rows=$((tx * CLIENTS + tx * CLIENTS / 4 + 100))
			[ "$v" = t100k_ro ] && del=0 ;;
	esac
	[[ $v == *_id ]] || cols='*'
	script "$SCRIPTS/$w.$v.sql" "$t" "$order" "$cols" "$del"
	prime "$t" "$head" "$rows" "$size" || return 1
	quiesce
	before=$(state "$t") || return 1
	log=$OUT/logs/$w.$v.$round.log
	pgbench -n -M prepared -r -c "$CLIENTS" -j "$THREADS" "${len[@]}" -f "$SCRIPTS/$w.$v.sql" >"$log" 2>&1
	rc=$?
	quiesce
	after=$(state "$t") || return 1
	read -r b_heap b_pk b_idx b_toast b_upd b_hot b_tins b_tdel <<<"$before"
	read -r a_heap a_pk a_idx a_toast a_upd a_hot a_tins a_tdel <<<"$after"
	tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$log")
	lat=$(sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' "$log")
	rlat=$(awk '/^statement latencies/ { f = 1; next } f && NF { print $1; exit }' "$log")
	ntx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
	status=ok
	if [ "$rc" -ne 0 ] || [ -z "$tps" ]; then
		status=failed
		grep -q 'no rows returned\|expected one row, got 0' "$log" && status=dry
	fi
	echo "$w,$v,$round,$slot,${len[*]},$head,$rows,${tps:-0},${lat:-0},${rlat:-0},$status,${ntx:-0},$((a_upd - b_upd)),$((a_hot - b_hot)),$b_heap,$a_heap,$b_pk,$a_pk,$b_idx,$a_idx,$b_toast,$a_toast,$((a_tins - b_tins)),$((a_tdel - b_tdel))" >>"$OUT/runs.csv"
	printf '%-8s %-8s round %-2s %9.1f ops/s  read %7.3f ms  HOT %5s/%-6s %s\n' "$w" "$v" "$round" \
		"${tps:-0}" "${rlat:-0}" "$((a_hot - b_hot))" "$((a_upd - b_upd))" "$status"
	[ "$status" = failed ] && { echo "error: pgbench failed; $log:" >&2; tail -n 5 "$log" >&2; }
	return 0
}

# report WORKLOAD: its markdown table from runs.csv, medians over the rounds
report()
{
	local base
	base=$(variants "$1" | cut -d' ' -f1)
	awk -F, -v w="$1" -v base="$base" -v order="$(variants "$1")" '
		function median(a, n,   i, j, t) {
			for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
			return n == 0 ? "" : (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		function med(v, col,   a, n, r) { n = 0; for (r in ok) if (ok[r] == v) a[++n] = val[r, col]; return median(a, n) }
		$1 == w && $11 == "ok" {
			ok[NR] = $2; tps[$2, $3] = $8
			for (i = 1; i <= NF; i++) val[NR, i] = $i
			val[NR, "hot"] = $13 > 0 ? 100 * $14 / $13 : 0
			val[NR, "heap"] = ($16 - $15) / 1024; val[NR, "pk"] = ($18 - $17) / 1024
			val[NR, "idx"] = ($20 - $19) / 1024; val[NR, "toast"] = ($22 - $21) / 1024
		}
		END {
			t = (w == "toast")
			printf "| variant | runs | ops/s | x %s | read ms | HOT %% | ops/run | heap kB | +heap kB | +pkey kB | +vt idx kB |%s\n", base,
				t ? " toast kB | +toast kB | toast rows ins | toast rows del |" : ""
			print "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|" (t ? "--:|--:|--:|--:|" : "")
			n = split(order, vs, " ")
			for (k = 1; k <= n; k++) {
				v = vs[k]; m = 0; runs = 0
				for (r in ok) if (ok[r] == v) runs++
				for (key in tps) { split(key, p, SUBSEP); if (p[1] == v && (base, p[2]) in tps) ratio[++m] = tps[key] / tps[base, p[2]] }
				printf "| %s | %d | %.0f | %.2f | %.3f | %.0f | %.0f | %.0f | %+.0f | %+.0f | %+.0f |", v, runs, med(v, 8),
					median(ratio, m), med(v, 10), med(v, "hot"), med(v, 12), med(v, 15) / 1024, med(v, "heap"), med(v, "pk"), med(v, "idx")
				if (t)
					printf " %.0f | %+.0f | %.0f | %.0f |", med(v, 21) / 1024, med(v, "toast"), med(v, 23), med(v, 24)
				printf "\n"
				delete ratio
			}
		}' "$OUT/runs.csv"
}

describe()
{
	case $1 in
		steady) echo "read 1 (vt 30 s) + delete, $VISIBLE visible messages of ~20 B" ;;
		nodelete) echo "read 1 (vt 30 s), no delete: the UPDATE alone, $VISIBLE visible messages; what was read stays in flight at the head" ;;
		inflight) echo "read 1 + delete, $VISIBLE visible messages behind $HEAD in flight (vt a day ahead)" ;;
		toast) echo "layout L3, read 1 + delete; t100/t4k/t100k: message ~100 B/~4 kB/~100 kB, all columns to the client; _id: the client takes only msg_id; t100k_ro: read 1 without delete" ;;
	esac
}

# the unprivileged half: owns the cluster
run_inner()
{
	local started round w n order v slot

	cd "$BENCH_DIR" || exit 1
	OUT=out/storage SCRIPTS=$PGQ_SCRATCH/scripts
	rm -rf "$OUT" && mkdir -p "$OUT/logs" "$SCRIPTS" || exit 1
	trap 'pgq_cluster_stop' EXIT
	trap 'exit 130' INT TERM
	started=$(date +%s)
	echo "=== cluster: unix socket in $PGQ_SCRATCH/cluster, port $PORT"
	pgq_cluster_start "$PGQ_SCRATCH/cluster" "$PORT" || exit 1
	sql "ALTER SYSTEM SET shared_buffers = '512MB'" && sql "ALTER SYSTEM SET max_wal_size = '8GB'" &&
		sql "ALTER SYSTEM SET checkpoint_timeout = '1h'" &&
		pg_ctl -D "$PGQ_CLUSTER_DIR/data" -w -m fast restart >/dev/null && createdb bench || exit 1
	export PGDATABASE=bench
	setup || exit 1
	{
		echo "cpu: $(sed -n 's/^model name[ \t]*: //p' /proc/cpuinfo | head -n 1), nproc $(nproc)"
		echo "postgresql: $(sql 'SHOW server_version'), shared_buffers $(sql 'SHOW shared_buffers'), autovacuum $(sql 'SHOW autovacuum'), fsync $(sql 'SHOW fsync')"
		echo "pgbench -n -M prepared -r -c $CLIENTS -j $THREADS; $ROUNDS rounds; -T $DURATION (toast: -t, see runs.csv)"
		prime "$(table L3)" 0 0 small &&
			sql "INSERT INTO $(table L3) (message) SELECT message FROM src WHERE size <> 'small'" || exit 1
		sql "SELECT 'payload ' || size || ': stored ' || round(avg(pg_column_size(message))) || ' B, compressed ' ||
			count(pg_column_compression(message)) || '/' || count(*) FROM src JOIN $(table L3) USING (message)
			GROUP BY size ORDER BY 1"
		echo "toast table after 100 of each: $(sql "SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = '$(table L3)'::regclass") bytes"
		echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	} >"$OUT/machine.txt"
	cat "$OUT/machine.txt"
	echo "workload,variant,round,slot,length,head,visible,tps,latency_ms,read_ms,status,transactions,n_tup_upd,n_tup_hot_upd,heap_before,heap_after,pkey_before,pkey_after,vt_idx_before,vt_idx_after,toast_before,toast_after,toast_ins,toast_del" >"$OUT/runs.csv"

	for round in $(seq 1 "$ROUNDS"); do
		for w in $WORKLOADS; do
			read -r -a order <<<"$(variants "$w")"
			n=${#order[@]}
			for slot in $(seq 0 $((n - 1))); do
				v=${order[$(((slot + round - 1) % n))]}
				run_one "$w" "$v" "$round" "$((slot + 1))" || exit 1
			done
		done
	done

	echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
	echo "wall time: $(($(date +%s) - started)) s" >>"$OUT/machine.txt"
	{
		echo '```'
		cat "$OUT/machine.txt"
		echo '```'
		for w in $WORKLOADS; do
			echo
			echo "### $w: $(describe "$w")"
			echo
			report "$w"
		done
	} >"$OUT/results.md"
}

# the half that runs as the caller: a scratch copy owned by the user that runs the cluster
main()
{
	local rc

	cd "$PGQ_TREE" || exit 1
	# shellcheck disable=SC2034 # read by pgq_install_deps in test/lib.sh
	PGQ_PACKAGES="postgresql-$PGQ_PG_VERSION"
	pgq_install_deps >/dev/null || exit 1
	pgq_scratch_new || exit 1
	trap 'pgq_scratch_remove' EXIT
	trap 'exit 130' INT TERM
	pgq_as_tester env PGQ_SCRATCH="$PGQ_SCRATCH" bash "$PGQ_SCRATCH/tree/bench/storage.sh" --inner "${ARGS[@]}"
	rc=$?
	if [ -d "$PGQ_SCRATCH/tree/bench/out/storage" ]; then
		mkdir -p "$PGQ_TREE/bench/out" && rm -rf "$PGQ_TREE/bench/out/storage" &&
			cp -R "$PGQ_SCRATCH/tree/bench/out/storage" "$PGQ_TREE/bench/out/storage"
	fi
	if [ "$rc" -eq 0 ]; then
		echo
		cat "$PGQ_TREE/bench/out/storage/results.md"
		echo
		echo "written: bench/out/storage/results.md runs.csv machine.txt logs/"
	fi
	return "$rc"
}

parse_args "$@"
# messages visible to the reads: enough for 20000 reads a second
VISIBLE=$((DURATION > 5 ? DURATION * 20000 : 100000))
if [ "$INNER" -eq 1 ]; then
	run_inner
else
	main
fi
