# bench/pairs.awk: per operation, the ratios other / base of the ops/s of each pair of runs and
# their median, as markdown table rows.  Input lines: "<operation> <pair> <side> <ops/s>".
#   awk -v base=old -v other=new -f bench/pairs.awk runs.txt
{ tps[$1 " " $2 " " $3] = $4; ops[$1] = 1; if ($2 > n) n = $2 }
END {
	for (op in ops) {
		m = 0; line = ""
		for (p = 1; p <= n; p++) {
			b = tps[op " " p " " base]; o = tps[op " " p " " other]
			if (b > 0) { r[++m] = o / b; line = line sprintf(" %.2f", o / b) }
		}
		# median by insertion sort
		for (i = 2; i <= m; i++) { v = r[i]; for (j = i - 1; j >= 1 && r[j] > v; j--) r[j + 1] = r[j]; r[j + 1] = v }
		med = (m % 2) ? r[(m + 1) / 2] : (r[m / 2] + r[m / 2 + 1]) / 2
		printf "| %s |%s | **%.2f** |\n", op, line, med
	}
}
