#!/bin/bash
# test/clients.sh: pgq's pgmq schema driven by a real pgmq client library, pgmq-js (Node.js)
#
#   bash test/clients.sh
#
# pgq must already be built and installed into PostgreSQL 15 (bash test/run.sh does that before
# its suites); node and npm must be on PATH.
#
# 1. installs the npm packages pinned in test/clients/package-lock.json with `npm ci` into a cache
#    outside the clone that is kept between runs, PGQ_CACHE_DIR/npm/<hash of package.json and
#    package-lock.json>, and reuses it when it is there.  PGQ_CACHE_DIR defaults to
#    /var/cache/pgq-test when that can be written (as root), else to ~/.cache/pgq-test;
#    npm's download cache lives in PGQ_CACHE_DIR/npm-cache.
# 2. makes a scratch directory /tmp/pgq-clients.XXXXXX holding copies of the test and of the
#    packages, owned by the "postgres" user when run as root (initdb refuses root), and in it
#    starts a throwaway cluster with test/lib.sh's pgq_cluster_start: a unix socket in a private
#    directory, port PGQ_TEST_PORT (default 5451)
# 3. sets the database up with `CREATE EXTENSION pgq_pgmq CASCADE`; PGQ_CLIENTS_SETUP_SQL, when
#    set, is the psql script run instead (for instance to try the test against another
#    implementation of schema pgmq)
# 4. runs test/clients/pgmq-js.mjs with node, which connects through the PG* variables and prints
#    TAP lines ("ok N - ..." / "not ok N - ...") ending in "# passed N failed M"
# 5. stops the cluster and removes the scratch directory whatever happened (trap), prints the
#    server log's tail when something failed, and ends with the line "clients PASSED FAILED",
#    taken from the node test's last line.  Exits non-zero when an assertion failed or the test
#    could not run (no node or npm, npm ci failed, the cluster or the setup failed, the node test
#    died before its last line); such a run counts as at least one failure, and the line before
#    the last one says why.

set -u

# shellcheck source=test/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT=${PGQ_TEST_PORT:-5451}
TESTS="pgmq-js.mjs"

# the tester's half: runs in SCRATCH as the user owning it; writes SCRATCH/status "PASSED FAILED NOTE"
run_tests()
{
	local scratch=$1 out rc passed failed note="" summary

	cd "$scratch/run" || exit 1
	out=$scratch/node.out
	trap 'pgq_cluster_stop' EXIT
	trap 'exit 130' INT TERM

	echo "=== clients: initdb and start on a unix socket in $scratch/cluster, port $PORT"
	if ! pgq_cluster_start "$scratch/cluster" "$PORT"; then
		echo "0 1 (the test cluster did not start)" >"$scratch/status"
		return
	fi
	echo "=== clients: setup: $(tr '\n' ' ' <"$scratch/setup.sql")"
	if ! psql -X -q -v ON_ERROR_STOP=1 -f "$scratch/setup.sql" >"$scratch/setup.out" 2>&1; then
		cat "$scratch/setup.out"
		echo "0 1 (the setup SQL failed)" >"$scratch/status"
		return
	fi
	echo "=== clients: node $TESTS (pgmq-js $(node -p 'require("./node_modules/pgmq-js/package.json").version' 2>/dev/null))"
	node "$TESTS" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	summary=$(grep -E '^# passed [0-9]+ failed [0-9]+$' "$out" | tail -n 1)
	if [[ $summary =~ ^#\ passed\ ([0-9]+)\ failed\ ([0-9]+)$ ]]; then
		passed=${BASH_REMATCH[1]}
		failed=${BASH_REMATCH[2]}
	else
		passed=$(grep -cE '^ok [0-9]+' "$out")
		failed=$(grep -cE '^not ok [0-9]+' "$out")
		[ "$failed" -eq 0 ] && failed=1
		note="(the node test did not finish, exit status $rc)"
	fi
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		failed=1
		note="(the node test exited with status $rc)"
	fi
	echo "$passed $failed $note" >"$scratch/status"
}

# npm ci into the cache unless it is there; prints the directory holding node_modules
npm_modules()
{
	local cache=$1 hash dir tmp

	hash=$(cat "$PGQ_TREE/test/clients/package.json" "$PGQ_TREE/test/clients/package-lock.json" |
		sha256sum | cut -c1-16) || return 1
	dir=$cache/npm/$hash
	if [ -d "$dir/node_modules" ]; then
		echo "npm: reusing $dir" >&2
		echo "$dir"
		return 0
	fi
	mkdir -p "$cache/npm" || return 1
	tmp=$(mktemp -d "$cache/npm/.tmp.XXXXXX") || return 1
	cp "$PGQ_TREE/test/clients/package.json" "$PGQ_TREE/test/clients/package-lock.json" "$tmp/" || return 1
	echo "npm: npm ci into $dir" >&2
	if ! (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --no-update-notifier --prefer-offline \
		--cache "$cache/npm-cache" >&2); then
		rm -rf "$tmp"
		return 1
	fi
	chmod 755 "$tmp"
	# a concurrent run may have got there first: keep its copy
	if ! mv -T "$tmp" "$dir" 2>/dev/null; then
		rm -rf "$tmp"
		[ -d "$dir/node_modules" ] || return 1
	fi
	echo "$dir"
}

# the caller's half: packages, scratch directory, report
main()
{
	local cache modules passed=0 failed=1 note="" status=""

	PGQ_SCRATCH=
	trap 'pgq_scratch_remove' EXIT
	trap 'exit 130' INT TERM

	if [ -n "${PGQ_CACHE_DIR:-}" ]; then
		cache=$PGQ_CACHE_DIR
	elif mkdir -p /var/cache/pgq-test 2>/dev/null && [ -w /var/cache/pgq-test ]; then
		cache=/var/cache/pgq-test
	else
		cache=${XDG_CACHE_HOME:-$HOME/.cache}/pgq-test
	fi

	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		note="(node and npm are needed)"
	elif ! modules=$(npm_modules "$cache"); then
		note="(npm ci failed)"
	elif ! PGQ_SCRATCH=$(mktemp -d /tmp/pgq-clients.XXXXXX) ||
		! mkdir -p "$PGQ_SCRATCH/run" "$PGQ_SCRATCH/test" ||
		! cp "$PGQ_TREE/test/lib.sh" "$PGQ_TREE/test/clients.sh" "$PGQ_SCRATCH/test/" ||
		! cp "$PGQ_TREE/test/clients/$TESTS" "$PGQ_SCRATCH/run/" ||
		! cp -R "$modules/node_modules" "$PGQ_SCRATCH/run/node_modules"; then
		note="(could not make the scratch directory)"
	else
		if [ -n "${PGQ_CLIENTS_SETUP_SQL:-}" ]; then
			printf '%s\n' "$PGQ_CLIENTS_SETUP_SQL" >"$PGQ_SCRATCH/setup.sql"
		else
			echo 'CREATE EXTENSION pgq_pgmq CASCADE;' >"$PGQ_SCRATCH/setup.sql"
		fi
		if pgq_is_root; then
			chown -R "$PGQ_TESTER:" "$PGQ_SCRATCH"
		fi
		# the copies in the scratch directory, so that the tester need not read the clone
		pgq_as_tester bash "$PGQ_SCRATCH/test/clients.sh" --run "$PGQ_SCRATCH"
		status=$(cat "$PGQ_SCRATCH/status" 2>/dev/null)
		if [ -n "$status" ]; then
			read -r passed failed note <<<"$status"
		else
			note="(the test did not run)"
		fi
		if [ "$failed" -ne 0 ] && [ -s "$PGQ_SCRATCH/cluster/server.log" ]; then
			echo
			echo "=== clients: the last lines of the server log"
			tail -n 40 "$PGQ_SCRATCH/cluster/server.log"
		fi
	fi
	echo
	[ -n "$note" ] && echo "clients: $note"
	echo "clients $passed $failed"
	[ "$failed" -eq 0 ]
}

if [ "${1:-}" = "--run" ]; then
	run_tests "$2"
	exit 0
fi
main
