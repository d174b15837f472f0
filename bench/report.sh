#!/bin/bash
# bench/report.sh [OUT]: turn the runs bench/run.sh recorded in OUT (default bench/out) into
#   OUT/results.csv   per case and side: pairs, median ops/s, median latency, and the median,
#                     minimum, maximum and list of the per-pair ratios (to the reference, or, for
#                     the in-flight case, to the same side without messages in flight)
#   OUT/storage.csv   HOT updates and table/index growth of the cases that read
#   OUT/ratio.png     the ratios to the reference, with the 0.9 target (gnuplot)
#   OUT/results.md    all of it as markdown, in the shape of docs/performance.md
# and print results.md.  bench/run.sh calls it; run it again by hand to redo the report.

set -u

OUT=${1:-$(dirname "${BASH_SOURCE[0]}")/out}
# shellcheck source=/dev/null
. "$OUT/params.sh" || exit 1

# ------------------------------------------------------------------ awk helpers

AWK_LIB='
function median(a, n,   i, j, t)
{
	# sorts a[1..n] in place
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--)
			a[j + 1] = a[j]
		a[j + 1] = t
	}
	if (n == 0)
		return ""
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function human(n)
{
	if (n >= 1000000 && n % 1000000 == 0) return (n / 1000000) "M"
	if (n >= 1000 && n % 1000 == 0) return (n / 1000) "k"
	return n
}
function label(op)
{
	if (op == "send1") return "send 1"
	if (op == "batch100") return "send_batch 100"
	if (op == "read1_delete") return "read 1 + delete"
	if (op == "read100_delete") return "read 100 + delete(msg_ids[])"
	if (op == "cycle") return "send + read 1 + delete"
	if (op == "read1_archive") return "read 1 + archive"
	if (op == "pop1") return "pop 1"
	if (op == "metrics") return "metrics()"
	return op
}
function case_label(section, op, variant,   n)
{
	if (section == "big" || section == "metrics") {
		n = variant; sub(/^big/, "", n)
		return label(op) ", " human(n + 0) " waiting"
	}
	if (section == "inflight") {
		n = variant; sub(/^head/, "", n)
		if (n + 0 == 0)
			return label(op) ", none in flight"
		return label(op) ", " human(n + 0) " in flight"
	}
	return label(op)
}
'

# ------------------------------------------------------------------ results.csv

awk -v head="head$HEAD" "$AWK_LIB"'
BEGIN { FS = OFS = ","; nsys = split("pgq ref pgmq", sysorder, " ") }
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
$c["status"] != "ok" || $c["pair"] == 0 { next }
{
	k = $c["section"] "|" $c["op"] "|" $c["variant"]
	if (!(k in seen)) { seen[k] = 1; cases[++ncases] = k }
	key = k "|" $c["system"] "|" $c["pair"]
	tps[key] = $c["tps"]
	lat[key] = $c["latency_ms"]
	cpu[key] = $c["cpu_us_per_op"]
	has[k "|" $c["system"]] = 1
	if ($c["pair"] > maxpair) maxpair = $c["pair"]
}
function emit(k, s, ratio_to, ref_k, ref_s,   p, n, nr, T, L, C, R, CR, list, clist, parts, mr, mcr, here, there)
{
	# ratios are this side over the other for ops/s, the other over this side for CPU per op:
	# above 1, this side is the faster, or the cheaper
	split(k, parts, "|")
	n = nr = 0
	list = clist = ""
	for (p = 1; p <= maxpair; p++) {
		here = k "|" s "|" p
		there = ref_k "|" ref_s "|" p
		if (!(here in tps))
			continue
		T[++n] = tps[here]
		L[n] = lat[here]
		C[n] = cpu[here]
		if (ratio_to != "" && (there in tps) && tps[there] > 0 && cpu[here] > 0) {
			R[++nr] = tps[here] / tps[there]
			CR[nr] = cpu[there] / cpu[here]
			list = list (list == "" ? "" : " ") sprintf("%.2f", R[nr])
			clist = clist (clist == "" ? "" : " ") sprintf("%.2f", CR[nr])
		}
	}
	if (n == 0)
		return
	mr = median(R, nr)
	mcr = median(CR, nr)
	print parts[1], parts[2], parts[3], s, n, sprintf("%.1f", median(T, n)), sprintf("%.3f", median(L, n)),
		sprintf("%.1f", median(C, n)), ratio_to,
		(nr ? sprintf("%.3f", mr) : ""), (nr ? sprintf("%.3f", R[1]) : ""), (nr ? sprintf("%.3f", R[nr]) : ""),
		list, (nr ? sprintf("%.3f", mcr) : ""), clist
}
END {
	print "section,op,variant,system,pairs,median_tps,median_latency_ms,median_cpu_us_per_op,ratio_to,median_ratio,min_ratio,max_ratio,pair_ratios,median_cpu_ratio,cpu_pair_ratios"
	for (i = 1; i <= ncases; i++)
		for (j = 1; j <= nsys; j++)
			if ((cases[i] "|" sysorder[j]) in has)
				emit(cases[i], sysorder[j], sysorder[j] == "ref" ? "" : "ref", cases[i], "ref")
	# the in-flight case: each side against itself without messages in flight
	for (j = 1; j <= nsys; j++)
		if (("inflight|read1_delete|" head "|" sysorder[j]) in has)
			emit("inflight|read1_delete|" head, sysorder[j], "head0", "inflight|read1_delete|head0", sysorder[j])
}' "$OUT/runs.csv" >"$OUT/results.csv" || exit 1

# ------------------------------------------------------------------ storage.csv

awk "$AWK_LIB"'
BEGIN { FS = OFS = ","; nsys = split("pgq ref pgmq", sysorder, " ") }
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
$c["status"] != "ok" || $c["pair"] == 0 || $c["op"] !~ /^read/ { next }
{
	k = $c["section"] "|" $c["op"] "|" $c["variant"]
	if (!(k in seen)) { seen[k] = 1; cases[++ncases] = k }
	k = k "|" $c["system"]
	n = ++runs[k]
	upd[k] += $c["n_tup_upd"]
	hot[k] += $c["n_tup_hot_upd"]
	tg[k, n] = $c["table_after"] - $c["table_before"]
	pg[k, n] = $c["pkey_after"] - $c["pkey_before"]
	ig[k, n] = $c["other_idx_after"] - $c["other_idx_before"]
	tb[k, n] = $c["table_before"]
	stg[k] += tg[k, n]; spg[k] += pg[k, n]; sig[k] += ig[k, n]
}
function col(arr, k, n,   i, a)
{
	for (i = 1; i <= n; i++)
		a[i] = arr[k, i]
	return median(a, n)
}
function per1k(bytes, reads)
{
	return reads > 0 ? sprintf("%.1f", bytes / reads * 1000 / 1024) : ""
}
END {
	print "section,op,variant,system,runs,n_tup_upd,n_tup_hot_upd,hot_pct,median_table_growth_kb,median_pkey_growth_kb,median_vt_idx_growth_kb,table_kb_per_1k_reads,pkey_kb_per_1k_reads,vt_idx_kb_per_1k_reads,median_table_before_kb"
	for (i = 1; i <= ncases; i++)
		for (j = 1; j <= nsys; j++) {
			k = cases[i] "|" sysorder[j]
			if (!(k in runs))
				continue
			split(k, parts, "|")
			n = runs[k]
			print parts[1], parts[2], parts[3], parts[4], n, upd[k], hot[k],
				(upd[k] > 0 ? sprintf("%.1f", 100 * hot[k] / upd[k]) : ""),
				sprintf("%.0f", col(tg, k, n) / 1024), sprintf("%.0f", col(pg, k, n) / 1024),
				sprintf("%.0f", col(ig, k, n) / 1024),
				per1k(stg[k], upd[k]), per1k(spg[k], upd[k]), per1k(sig[k], upd[k]),
				sprintf("%.0f", col(tb, k, n) / 1024)
		}
}' "$OUT/runs.csv" >"$OUT/storage.csv" || exit 1

# ------------------------------------------------------------------ ratio.png

# label <tab> pgq median, min, max [<tab> pgmq median, min, max], the sections in order
awk "$AWK_LIB"'
BEGIN { FS = ","; OFS = "\t" }
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
# metrics() is left out: its reference is a different statement (an exact count), its ratio (~8)
# would flatten every other bar; results.md reports it in its own section
$c["ratio_to"] != "ref" || $c["section"] == "metrics" || ($c["section"] == "inflight" && $c["variant"] == "head0") { next }
{
	k = case_label($c["section"], $c["op"], $c["variant"])
	if (!(k in seen)) { seen[k] = 1; cases[++n] = k }
	v[k, $c["system"]] = $c["median_ratio"] OFS $c["min_ratio"] OFS $c["max_ratio"]
	if ($c["system"] == "pgmq") pgmq = 1
}
END {
	for (i = 1; i <= n; i++) {
		k = cases[i]
		line = k OFS ((k, "pgq") in v ? v[k, "pgq"] : "0" OFS "0" OFS "0")
		if (pgmq)
			line = line OFS ((k, "pgmq") in v ? v[k, "pgmq"] : "0" OFS "0" OFS "0")
		print line
	}
}' "$OUT/results.csv" >"$OUT/ratio.dat" || exit 1

if command -v gnuplot >/dev/null 2>&1; then
	ymax=$(awk -F'\t' '{ for (i = 2; i <= NF; i++) if ($i + 0 > m) m = $i + 0 }
		END { print (m < 1.25 ? 1.4 : m * 1.1) }' "$OUT/ratio.dat")
	pgmq_plot=""
	# the median above each bar, when there is one bar per case (gnuplot's $2 and $4, not the shell's)
	# shellcheck disable=SC2016
	labels=', "" using 0:($4 + 0.04):(sprintf("%.2f", $2)) with labels notitle font "sans,9"'
	if awk -F'\t' 'NF > 4 { f = 1 } END { exit !f }' "$OUT/ratio.dat"; then
		pgmq_plot=', "" using 5:6:7 title "pgmq / reference" lc rgb "#d08c2e"'
		labels=""
	fi
	gnuplot >"$OUT/logs/gnuplot.log" 2>&1 <<EOF || echo "gnuplot failed, see $OUT/logs/gnuplot.log" >&2
set terminal pngcairo size 1100,600 font "sans,10"
set output "$OUT/ratio.png"
set datafile separator "\t"
set title "ops/s relative to the same statements as plain prepared SQL\n(median of the per-pair ratios over $PAIRS interleaved pairs of ${DURATION}s pgbench runs; whiskers: min to max)" noenhanced
set ylabel "ops/s ratio to the reference (1 = as fast)"
set yrange [0:$ymax]
set grid ytics
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.75 border -1
set bmargin 9
set rmargin 10
set xtics rotate by -30 left noenhanced nomirror
set key top right noenhanced
set arrow from graph 0, first 0.9 to graph 1, first 0.9 nohead lc rgb "red" lw 2 dt 2 front
set label "target 0.9" at graph 0.005, first 0.87 left tc rgb "red" front
set arrow from graph 0, first 1 to graph 1, first 1 nohead lc rgb "gray30" lw 1 front
plot "$OUT/ratio.dat" using 2:3:4:xtic(1) title "pgq / reference" lc rgb "#3a6ea5"$pgmq_plot$labels
EOF
else
	echo "gnuplot not found: no ratio.png" >&2
fi

# ------------------------------------------------------------------ results.md

# the plan of pgq's metrics() count: does it read the whole table, or stop after
# pgq.metrics_exact_limit + 1 rows?
metrics_plan=$(awk '/^==== metrics\(\).*statement pgq prepares/ { p = 1; next } /^==== / { p = 0 } p' "$OUT/explain.txt")
metrics_rows=$(sed -n 's/^==== metrics() on \([0-9]*\) messages: .*statement pgq prepares.*/\1/p' "$OUT/explain.txt" | head -n 1)
metrics_read=$(sed -n 's/.*Seq Scan on "\{0,1\}q_bq[$0"]* .*actual time=[0-9.]* rows=\([0-9]*\) .*/\1/p' <<<"$metrics_plan" | head -n 1)
if [ -z "$metrics_plan" ]; then
	metrics_scan="unknown (no plan recorded)"
elif [ -n "$metrics_read" ] && [ -n "$metrics_rows" ] && [ "$metrics_read" -ge "$metrics_rows" ]; then
	metrics_scan="yes ($metrics_read of $metrics_rows rows)"
elif [ -n "$metrics_read" ]; then
	metrics_scan="no (it stops after $metrics_read of $metrics_rows rows)"
else
	metrics_scan="no (no sequential scan)"
fi
metrics_exec=$(sed -n 's/^ *Execution Time: \([0-9.]*\) ms/\1/p' <<<"$metrics_plan" | head -n 1)

# how many messages the read 1 + delete runs of the operations started with (median)
small_queue=$(awk -F, "$AWK_LIB"'
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["section"] == "ops" && $c["op"] == "read1_delete" && $c["status"] == "ok" && $c["pair"] > 0 { v[++n] = $c["visible"] }
	END { print median(v, n) }' "$OUT/runs.csv")

# is the vt index used by any plan pgq uses (read, pop, metrics)?
if [ -s "$OUT/explain.txt" ]; then
	if awk '/^==== / { p = /the statement pgq prepares/ } p' "$OUT/explain.txt" | grep -q 'q_bq_vt_idx\|q_bq\$0_vt'; then
		vt_idx_note="The plans pgq uses (\`explain.txt\`) do use the vt index."
	else
		vt_idx_note="None of the plans pgq uses for read, pop and metrics (\`explain.txt\`) uses the vt index."
	fi
else
	vt_idx_note=""
fi

pgmq=0
case " $SYSTEMS " in *" pgmq "*) pgmq=1 ;; esac

# human N: 1000000 -> 1M, 10000 -> 10k
human()
{
	awk -v n="$1" "$AWK_LIB"'BEGIN { print human(n) }'
}

{
	echo "## Performance"
	echo
	echo "Each pgq function against the statements it runs inside, sent by the client as plain prepared"
	echo "SQL to tables of the same definition, in the same run (\`bench/run.sh\`)."
	if [ "$QUICK" -eq 1 ]; then
		echo
		echo "**A quick (smoke) run: too short to judge by. \`bash bench/run.sh\` gives the numbers.**"
	fi
	echo
	echo "### Machine"
	echo
	sed 's/^/- /' "$OUT/machine.txt"
	echo
	echo "### Method"
	echo
	echo "- pgbench with the prepared protocol (\`-M prepared\`), $CLIENTS clients, $THREADS threads,"
	echo "  ${DURATION}-second runs$([ "$WARMUP" -gt 0 ] && echo ", after a ${WARMUP}-second warm-up run of each side per operation"). Scripts: \`bench/sql/\`."
	echo "- pgq: the function calls, \`SELECT pgq.send('bq', '{\"n\":1}')\` and so on."
	echo "- Reference: tables \`ref_q\` and \`ref_a\`, copies (\`LIKE ... INCLUDING ALL\`, checked) of the tables"
	echo "  \`pgq.create_queue\` made, and for each operation the statements pgq prepares (\`src/plancache.c\`),"
	echo "  with the values pgq passes as parameters written as constants (\`now()\` for the clock, \`LIMIT 1\`"
	echo "  for qty). Constants give the reference one plan, made once: with \`LIMIT \$1\` instead,"
	echo "  \`plan_cache_mode = auto\` stays on custom plans and plans every call again, which would flatter pgq."
	[ "$pgmq" -eq 1 ] && echo "- pgmq: the same calls to the installed pgmq extension, on its queue \`bm\`."
	echo "- $PAIRS pairs per case, the sides in turn, in an order that alternates from pair to pair. Before"
	echo "  each run the side's queue is emptied (\`TRUNCATE\`), filled with the messages the run will"
	echo "  consume (twice what the warm-up consumed; a run that empties its queue is discarded with its pair"
	echo "  and redone with more) and \`VACUUM ANALYZE\`d: both sides start from the same state."
	echo "- Reported per side: median ops/s, median latency, and the server's CPU time per operation"
	echo "  (the CPU time of the cluster's processes during the run, from /proc, over the transactions"
	echo "  done). Per pair: pgq / reference ops/s, and reference / pgq CPU per operation (above 1: pgq"
	echo "  is faster, or cheaper); the tables give the medians of these per-pair ratios. The two runs of a"
	echo "  pair follow each other, so a change of load on the machine moves both; CPU per operation"
	echo "  moves much less with the load than ops/s does."
	echo "- Server: \`fsync = off\` (what is measured is CPU, not the disk), \`shared_buffers = 512MB\`,"
	echo "  otherwise the defaults (autovacuum and JIT on)."
	echo
	echo "### Operations"
	echo
	echo "Queue of about $small_queue messages for the reading operations; send starts from an empty queue."
	echo
	awk -v pgmq="$pgmq" "$AWK_LIB"'
	BEGIN { FS = "," }
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["section"] != "ops" { next }
	{
		k = $c["op"]
		if (!(k in seen)) { seen[k] = 1; ops[++n] = k }
		s = $c["system"]
		t[k, s] = $c["median_tps"]; cpu[k, s] = $c["median_cpu_us_per_op"]
		r[k, s] = $c["median_ratio"]; rl[k, s] = $c["pair_ratios"]; cr[k, s] = $c["median_cpu_ratio"]
	}
	END {
		printf "| operation | pgq ops/s | reference ops/s | **pgq / reference** | per pair | CPU µs/op, pgq / reference | CPU, reference / pgq |"
		if (pgmq) printf " pgmq ops/s | pgmq / reference |"
		print " target: >= 0.9 |"
		printf "| --- | ---: | ---: | ---: | --- | ---: | ---: |"
		if (pgmq) printf " ---: | ---: |"
		print " --- |"
		for (i = 1; i <= n; i++) {
			k = ops[i]
			printf "| %s | %.0f | %.0f | **%.2f** | %s | %.0f / %.0f | %.2f |", label(k), t[k, "pgq"], t[k, "ref"],
				r[k, "pgq"], rl[k, "pgq"], cpu[k, "pgq"], cpu[k, "ref"], cr[k, "pgq"]
			if (pgmq) printf " %.0f | %.2f |", t[k, "pgmq"], r[k, "pgmq"]
			printf " %s |\n", (r[k, "pgq"] >= 0.9 ? "met" : sprintf("**missed** (%.3f)", r[k, "pgq"]))
		}
	}' "$OUT/results.csv"
	echo
	echo "![pgq / reference, ops/s](ratio.png)"
	echo
	echo "### Queue size"
	echo
	echo "With $(human "$BIG") messages waiting (filled once, vacuumed between runs), beside the operations above:"
	echo
	awk -v big="big$BIG" -v small="$small_queue" "$AWK_LIB"'
	BEGIN { FS = "," }
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	($c["section"] == "ops" || $c["section"] == "big") && ($c["op"] == "read1_delete" || $c["op"] == "send1") {
		k = $c["op"] "|" $c["section"]
		s = $c["system"]
		t[k, s] = $c["median_tps"]; l[k, s] = $c["median_latency_ms"]; cpu[k, s] = $c["median_cpu_us_per_op"]
		if (s == "pgq") { r[k] = $c["median_ratio"]; cr[k] = $c["median_cpu_ratio"] }
	}
	END {
		print "| case | pgq ops/s | latency (ms) | CPU µs/op | reference ops/s | latency (ms) | CPU µs/op | pgq / reference | CPU, reference / pgq |"
		print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		split("read1_delete|ops read1_delete|big send1|ops send1|big", order, " ")
		for (i = 1; i <= 4; i++) {
			k = order[i]
			if (!((k, "pgq") in t))
				continue
			split(k, p, "|")
			if (p[2] == "big")
				name = case_label("big", p[1], big)
			else if (p[1] == "send1")
				name = "send 1, from an empty queue"
			else
				name = label(p[1]) ", " small " waiting"
			printf "| %s | %.0f | %.3f | %.0f | %.0f | %.3f | %.0f | %.2f | %.2f |\n", name,
				t[k, "pgq"], l[k, "pgq"], cpu[k, "pgq"], t[k, "ref"], l[k, "ref"], cpu[k, "ref"], r[k], cr[k]
		}
	}' "$OUT/results.csv"
	echo
	echo "Messages in flight at the head of the queue: read 1 + delete when the $(human "$HEAD") oldest messages"
	echo "are invisible (taken by consumers that have not finished with them), against the same queue"
	echo "without them:"
	echo
	awk -v head="head$HEAD" -v pgmq="$pgmq" "$AWK_LIB"'
	BEGIN { FS = "," }
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["section"] == "inflight" {
		s = $c["system"]
		if ($c["ratio_to"] == "head0") {
			g[s] = $c["median_ratio"]; gl[s] = $c["pair_ratios"]; gc[s] = $c["median_cpu_ratio"]
			next
		}
		t[$c["variant"], s] = $c["median_tps"]; cpu[$c["variant"], s] = $c["median_cpu_us_per_op"]
		r[$c["variant"], s] = $c["median_ratio"]
	}
	END {
		n = human(substr(head, 5) + 0)
		print "| side | ops/s, none in flight | ops/s, " n " in flight | in flight / none, ops/s (per pair) | CPU µs/op, none / " n " in flight | CPU per read grows | target: does not grow |"
		print "| --- | ---: | ---: | --- | ---: | ---: | --- |"
		ns = split(pgmq ? "pgq ref pgmq" : "pgq ref", sys, " ")
		for (i = 1; i <= ns; i++) {
			s = sys[i]
			printf "| %s | %.0f | %.0f | **%.2f** (%s) | %.0f / %.0f | %.1fx | %s |\n", (s == "ref" ? "reference" : s),
				t["head0", s], t[head, s], g[s], gl[s], cpu["head0", s], cpu[head, s], (gc[s] > 0 ? 1 / gc[s] : 0),
				(g[s] >= 0.9 ? "met" : "**missed**")
		}
		printf "\npgq / reference ops/s: %.2f with none in flight, %.2f with %s in flight.\n",
			r["head0", "pgq"], r[head, "pgq"], n
	}' "$OUT/results.csv"
	echo
	echo "### metrics()"
	echo
	awk -v scan="$metrics_scan" -v exec_ms="$metrics_exec" -v pgmq="$pgmq" "$AWK_LIB"'
	BEGIN { FS = "," }
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["section"] == "metrics" {
		l[$c["system"]] = $c["median_latency_ms"]
		v = $c["variant"]
		sub(/^big/, "", v)
	}
	END {
		printf "On a queue of %s messages, one client: `pgq.metrics()` takes %.1f ms (median); an exact count of the\nwhole table (what 0.2.0 and pgmq do), as ", human(v + 0), l["pgq"]
		printf "plain prepared SQL %.1f ms", l["ref"]
		if (pgmq)
			printf ", `pgmq.metrics()` %.1f ms", l["pgmq"]
		printf ". Does pgq read the whole table? %s (its count, EXPLAIN ANALYZE: %s ms).\n", scan, exec_ms
		printf "Target (under 50 ms, no full scan): %s.\n", (l["pgq"] < 50 && scan ~ /^no/) ? "met" : "**missed**"
	}' "$OUT/results.csv"
	echo
	echo "### Storage"
	echo
	echo "A read updates \`vt\`, \`read_ct\` and \`last_read_at\`; \`vt\` is indexed, so no read can be a HOT update."
	[ -n "$vt_idx_note" ] && echo "$vt_idx_note"
	echo "Updates in the reading runs (\`pg_stat_user_tables\`) and how the table and its indexes grew during"
	echo "a run:"
	echo
	awk "$AWK_LIB"'
	BEGIN { FS = "," }
	NR == 1 {
		for (i = 1; i <= NF; i++) c[$i] = i
		print "| case | side | updates | HOT updates | growth per run, median (kB): table / primary key / vt index | per 1000 reads (kB): table / primary key / vt index |"
		print "| --- | --- | ---: | ---: | ---: | ---: |"
		next
	}
	{
		printf "| %s | %s | %d | %d (%s%%) | %d / %d / %d | %s / %s / %s |\n",
			case_label($c["section"] == "ops" ? "" : $c["section"], $c["op"], $c["variant"]),
			($c["system"] == "ref" ? "reference" : $c["system"]), $c["n_tup_upd"], $c["n_tup_hot_upd"], $c["hot_pct"],
			$c["median_table_growth_kb"], $c["median_pkey_growth_kb"], $c["median_vt_idx_growth_kb"],
			$c["table_kb_per_1k_reads"], $c["pkey_kb_per_1k_reads"], $c["vt_idx_kb_per_1k_reads"]
	}' "$OUT/storage.csv"
	echo
	echo "### Reproduce"
	echo
	echo '```sh'
	echo 'bash bench/run.sh           # these tables, about 11 minutes'
	echo 'bash bench/run.sh --quick   # a smoke run, about a minute'
	echo '```'
	echo
	echo "On Debian 12, as root or with sudo: it installs what is missing (PostgreSQL 15 and its development"
	echo "files, gnuplot-nox), builds and installs pgq, runs everything in a throwaway cluster, prints this"
	echo "section and writes it to \`bench/out/results.md\`, with \`results.csv\` (medians and per-pair ratios),"
	echo "\`runs.csv\` (every run), \`storage.csv\`, \`explain.txt\` (the plans of the statements pgq prepares,"
	echo "as pgq plans them, beside the reference's) and \`ratio.png\`. \`--pairs\`, \`--duration\`, \`--clients\`,"
	echo "\`--threads\`, \`--big\` and \`--head\` change the run; \`bash bench/report.sh\` redoes the report from"
	echo "\`bench/out/runs.csv\`."
} >"$OUT/results.md"

cat "$OUT/results.md"
