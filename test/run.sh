#!/bin/bash
# test/run.sh: run every pgq test suite on a Debian 12 machine: PostgreSQL 15 from Debian, 17 and 18 built from source
#
#   bash test/run.sh
#
# 1. installs the Debian packages that are missing (apt-get, through sudo unless root)
# 2. builds pgq with -Wall -Wextra -Werror and installs it
# 3. runs, in throwaway clusters only, each suite in turn, going on when one fails:
#      regress    pg_regress over test/sql       (make installcheck, REGRESS)
#      isolation  isolation specs in test/specs  (make installcheck, ISOLATION)
#      pgtap      test/pgtap/*.sql via pg_prove  (database with pgtap and pgq)
#      tap        test/t/*.pl                    (make installcheck, TAP_TESTS; each test makes its own nodes)
#      valgrind   pg_regress over test/sql again, with the server under valgrind's memcheck; a
#                 memcheck error with pgq's code among its innermost frames counts as a failure
#      package    test/deb.sh: builds the Debian packages postgresql-M-pgq, one per PostgreSQL
#                 major M whose postgresql-server-dev-M is installed, from a copy of the tree,
#                 installs them, runs pg_regress over test/sql against each, then purges them and
#                 installs the tree's build again (log/package.out, log/package-build.log)
#      clients    test/clients.sh: pgmq's Node client, pgmq-js, against schema pgmq (extension
#                 pgq_pgmq) in a throwaway cluster; installs Debian's nodejs and npm when node
#                 is missing, and the pinned npm packages into a cache outside the clone
#                 (log/clients.out)
#      version    make check-version: the Makefile's EXTVERSION, the control files, META.json,
#                 debian/changelog and CHANGELOG.md name the same version; CHANGELOG entries are dated
#      pg17 pg18  test/matrix.sh: PostgreSQL 17 and 18 built from Debian's source packages into a
#                 cache outside the clone (PGQ_PG_CACHE, default /var/cache/pgq-pg; built once), pgq
#                 built against each, then its regress and isolation suites and the TAP tests but
#                 035_old_libraries.pl and 010_stress.pl, the upgrade test among them
#                 (log/matrix.out, log/pgM/).  PGQ_MATRIX="18" tests only 18; PGQ_MATRIX="" none
# 4. prints one line per suite, then, last, "N passed, N failed" over all suites; exits non-zero
#    if anything failed.  A suite that could not run counts as one failure.
#
# The suites run in a scratch copy of the tree (as the "postgres" user when run as root, since
# initdb refuses root); their outputs come back into the tree: results/, output_iso/,
# regression.diffs, regression.out, tmp_check/ (TAP logs), and log/: each suite's output
# (log/<suite>.out), the diffs of failed regress and isolation tests (log/<suite>.diffs) and the
# test cluster's server log (log/server.log).
# PGQ_SUITES="regress pgtap" runs only the suites named (default: all of them; "pg18" is the
# matrix's PostgreSQL 18).
# Set PGQ_TEST_PORT to change the port of the regress/isolation/pgTAP cluster and of the package
# suite's clusters (default 5451); the first listens only on a unix socket in a private directory.

set -u

# shellcheck source=test/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SUITES="version regress isolation pgtap tap valgrind package clients"
for m in $PGQ_MATRIX_MAJORS; do
	SUITES+=" pg$m"
done
SUITES=${PGQ_SUITES:-$SUITES}
PORT=${PGQ_TEST_PORT:-5451}
OUTPUTS="results output_iso tmp_check log regression.diffs regression.out"

# banner SUITE TEXT
banner()
{
	echo
	echo "=== $1: $2"
}

# nfiles GLOB...: how many of the globbed paths exist
nfiles()
{
	local f n=0
	for f in "$@"; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

# suite_make SUITE TESTGLOB MAKEVARS...: one PGXS installcheck suite, the others switched off
suite_make()
{
	local suite=$1 glob=$2 rc
	shift 2

	banner "$suite" "make installcheck $*"
	# shellcheck disable=SC2086 # the glob is meant to expand
	if [ "$(nfiles $glob)" -eq 0 ]; then
		echo "no tests match $glob"
		record "$suite" 0 1 "(no tests in $(dirname "$glob"))"
		return
	fi
	# regress and isolation may share one output directory: keep each suite's diffs apart
	rm -f regression.diffs output_iso/regression.diffs
	make installcheck PG_CONFIG="$PGQ_PG_CONFIG" "$@" 2>&1 | tee "log/$suite.out"
	rc=${PIPESTATUS[0]}
	cat regression.diffs output_iso/regression.diffs 2>/dev/null >"log/$suite.diffs"
	[ -s "log/$suite.diffs" ] || rm -f "log/$suite.diffs"
	if [ "$suite" = tap ]; then
		count_tap "$suite" "log/$suite.out" "$rc"
	else
		count_regress "$suite" "log/$suite.out" "$rc"
	fi
}

suite_pgtap()
{
	local rc files=(test/pgtap/*.sql)

	banner pgtap "pg_prove test/pgtap/*.sql"
	if [ "$(nfiles "${files[@]}")" -eq 0 ]; then
		echo "no tests match test/pgtap/*.sql"
		record pgtap 0 1 "(no tests in test/pgtap)"
		return
	fi
	if ! { createdb pgq_pgtap &&
		psql -X -q -v ON_ERROR_STOP=1 -d pgq_pgtap \
			-c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION pgq'; } >log/pgtap.out 2>&1; then
		cat log/pgtap.out
		record pgtap 0 1 "(could not create the database with pgtap and pgq)"
		return
	fi
	pg_prove --verbose -d pgq_pgtap "${files[@]}" 2>&1 | tee -a log/pgtap.out
	rc=${PIPESTATUS[0]}
	count_tap pgtap log/pgtap.out "$rc"
}

# runs as the caller, in the tree, after the other suites: it installs a package
suite_package()
{
	local rc

	banner package "bash test/deb.sh"
	mkdir -p log
	bash test/deb.sh 2>&1 | tee log/package.out
	rc=${PIPESTATUS[0]}
	# its last line counts every major's tests; without it, deb.sh stopped early
	count_line package log/package.out "$rc" || count_regress package log/package.out "$rc"
}

# the unprivileged half: runs in the scratch copy, owns every server it starts
run_suites()
{
	local suite

	cd "$PGQ_SCRATCH/tree" || exit 1
	# shellcheck disable=SC2086 # a list of paths
	rm -rf $OUTPUTS
	mkdir -p log
	trap 'pgq_cluster_stop' EXIT
	trap 'exit 130' INT TERM

	if ! wanted regress && ! wanted isolation && ! wanted pgtap; then
		:
	elif banner cluster "initdb and start on a unix socket in $PGQ_SCRATCH/cluster, port $PORT" &&
		pgq_cluster_start "$PGQ_SCRATCH/cluster" "$PORT"; then
		wanted regress && suite_make regress 'test/sql/*.sql' ISOLATION= TAP_TESTS=
		wanted isolation && suite_make isolation 'test/specs/*.spec' REGRESS= TAP_TESTS=
		wanted pgtap && suite_pgtap
		pgq_cluster_stop
	else
		for suite in regress isolation pgtap; do
			record "$suite" 0 1 "(the test cluster did not start)"
		done
	fi
	cp "$PGQ_SCRATCH/cluster/server.log" log/server.log 2>/dev/null
	unset PGHOST PGPORT PGDATABASE
	if [ -d "$PGQ_SCRATCH/git" ]; then
		export PGQ_GIT_DIR=$PGQ_SCRATCH/git
	fi
	wanted tap && suite_make tap 'test/t/*.pl' REGRESS= ISOLATION= PROVE_FLAGS=--verbose
	wanted valgrind && suite_valgrind
}

# the regression suite again, against a server running under valgrind
suite_valgrind()
{
	local dir=$PGQ_SCRATCH/valgrind found in_pgq passed failed

	banner valgrind "initdb and start under valgrind in $dir, port $PORT"
	if ! pgq_cluster_start_valgrind "$dir" "$PORT"; then
		record valgrind 0 1 "(the server did not start under valgrind)"
		return
	fi
	rm -f regression.diffs
	make installcheck PG_CONFIG="$PGQ_PG_CONFIG" ISOLATION= TAP_TESTS= 2>&1 | tee log/valgrind.out
	count_regress valgrind log/valgrind.out "${PIPESTATUS[0]}"
	cp regression.diffs log/valgrind.diffs 2>/dev/null
	pgq_cluster_stop
	unset PGHOST PGPORT PGDATABASE
	mkdir -p log/valgrind
	cp "$dir"/valgrind.*.log log/valgrind/ 2>/dev/null
	read -r found in_pgq <<<"$(pgq_valgrind_errors "$dir")"
	echo "valgrind: $found memcheck error(s) reported, $in_pgq with pgq's code among the innermost frames (logs in log/valgrind/)"
	if [ "$in_pgq" -gt 0 ]; then
		# a later line for the suite replaces count_regress's: memcheck errors count as failures too
		read -r _ passed failed _ <<<"$(grep '^valgrind ' "$STATUS" | tail -n 1)"
		record valgrind "$passed" "$((failed + in_pgq))" "(memcheck errors in pgq's code: see log/valgrind/)"
	fi
}

# bring the suites' outputs back into the source tree
copy_back()
{
	local out

	# (a directory such as log/ may be there already: its contents go into it, not a copy below it)
	for out in $OUTPUTS; do
		if [ -d "$PGQ_SCRATCH/tree/$out" ]; then
			mkdir -p "$PGQ_TREE/$out" && cp -RP "$PGQ_SCRATCH/tree/$out/." "$PGQ_TREE/$out/"
		elif [ -e "$PGQ_SCRATCH/tree/$out" ]; then
			cp -P "$PGQ_SCRATCH/tree/$out" "$PGQ_TREE/$out"
		fi
	done
}

# print diffs and the per-suite lines, then the final line; return 1 if anything failed
report()
{
	local suite line passed failed note total_passed=0 total_failed=0 diffs

	for diffs in log/regress.diffs log/isolation.diffs log/valgrind.diffs log/package.diffs; do
		if [ -s "$PGQ_TREE/$diffs" ]; then
			echo
			echo "=== $diffs"
			cat "$PGQ_TREE/$diffs"
		fi
	done
	if [ -d "$PGQ_TREE/tmp_check/log" ] && ! grep -q '^tap [0-9]* 0 ' "$STATUS"; then
		echo
		echo "=== TAP node logs are in $PGQ_TREE/tmp_check/log"
	fi
	echo
	echo "=== summary (PostgreSQL $PGQ_PG_VERSION; pgN: PostgreSQL N)"
	for suite in $SUITES; do
		line=$(grep "^$suite " "$STATUS" 2>/dev/null | tail -n 1)
		if [ -z "$line" ]; then
			line="$suite 0 1 (could not run)"
		fi
		read -r _ passed failed note <<<"$line"
		printf '%-10s %4d passed, %4d failed%s\n' "$suite:" "$passed" "$failed" "${note:+ $note}"
		total_passed=$((total_passed + passed))
		total_failed=$((total_failed + failed))
	done
	echo "$total_passed passed, $total_failed failed"
	[ "$total_failed" -eq 0 ]
}

# runs as the caller, after the package suite has put the tree's build back
suite_clients()
{
	local rc

	banner clients "bash test/clients.sh"
	mkdir -p log
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		PGQ_PACKAGES="nodejs npm" pgq_install_deps
	fi
	bash test/clients.sh 2>&1 | tee log/clients.out
	rc=${PIPESTATUS[0]}
	count_line clients log/clients.out "$rc" ||
		record clients 0 1 "(test/clients.sh printed no result, exit status $rc)"
}

# the version check: make check-version, which ends with "version PASSED FAILED"
suite_version()
{
	local rc

	banner version "make check-version"
	mkdir -p log
	make -s PG_CONFIG="$PGQ_PG_CONFIG" check-version 2>&1 | tee log/version.out
	rc=${PIPESTATUS[0]}
	count_line version log/version.out "$rc" ||
		record version 0 1 "(make check-version printed no result, exit status $rc)"
}

# the majors of the matrix: test/matrix.sh prints "pgM PASSED FAILED (details)" for each
suite_matrix()
{
	local majors="" suite line

	for suite in $SUITES; do
		[[ $suite =~ ^pg([0-9]+)$ ]] && majors+="${majors:+ }${BASH_REMATCH[1]}"
	done
	[ -n "$majors" ] || return 0
	banner matrix "PGQ_MATRIX=\"$majors\" bash test/matrix.sh"
	mkdir -p log
	PGQ_MATRIX=$majors PGQ_TEST_PORT=$PORT bash test/matrix.sh 2>&1 | tee log/matrix.out
	for suite in $majors; do
		line=$(grep -E "^pg$suite [0-9]+ [0-9]+ " log/matrix.out | tail -n 1)
		if [ -n "$line" ]; then
			echo "$line" >>"$STATUS"
		else
			record "pg$suite" 0 1 "(test/matrix.sh printed no result)"
		fi
	done
}

# is SUITE one of SUITES
wanted()
{
	[[ " $SUITES " == *" $1 "* ]]
}

# the half that runs as the caller: packages, build, scratch copy, report
main()
{
	local suite

	cd "$PGQ_TREE" || exit 1
	# outputs of an earlier run would be mistaken for this run's
	# shellcheck disable=SC2086 # a list of paths
	rm -rf $OUTPUTS
	STATUS=$(mktemp /tmp/pgq-status.XXXXXX) || exit 1
	trap 'pgq_scratch_remove; rm -f "$STATUS"' EXIT
	trap 'exit 130' INT TERM

	if ! pgq_install_deps; then
		for suite in $SUITES; do
			record "$suite" 0 1 "(could not install the packages)"
		done
	elif ! pgq_build_install; then
		for suite in $SUITES; do
			record "$suite" 0 1 "(build or install failed)"
		done
	elif ! pgq_scratch_new; then
		for suite in $SUITES; do
			record "$suite" 0 1 "(could not make a scratch copy)"
		done
	else
		wanted version && suite_version
		(cd "$PGQ_SCRATCH/tree" && pgq_as_tester bash test/run.sh --suites "$PGQ_SCRATCH")
		cat "$PGQ_SCRATCH/status" >>"$STATUS" 2>/dev/null
		copy_back
		wanted package && suite_package
		wanted clients && suite_clients
		suite_matrix
	fi
	report
}

if [ "${1:-}" = "--suites" ]; then
	PGQ_SCRATCH=$2
	STATUS=$PGQ_SCRATCH/status
	run_suites
	exit 0
fi
main
