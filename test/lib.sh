# shellcheck shell=bash
# test/lib.sh: shared by test/run.sh and test/demo.sh (source it, don't run it)
#
# What lives here:
#   pgq_install_deps      install the Debian packages the build and the tests need, if missing
#   pgq_build_install     build pgq with warnings as errors and install it into PostgreSQL 15
#   pgq_scratch_new       make a scratch copy of the source tree the tests can own
#   pgq_as_tester         run a command as the user that owns the scratch copy
#   pgq_cluster_start/stop  a throwaway cluster listening only on a unix socket in a private directory
#   pgq_cluster_start_valgrind, pgq_valgrind_errors  the same under valgrind, and what it found
#   pgq_makefile_var, pgq_source_version  what a source tree's Makefile sets, the version it builds
#   record, count_regress, count_tap, count_line  a suite's result as a line "SUITE PASSED FAILED
#                         [NOTE]" of the file STATUS names, counted from pg_regress, TAP or a
#                         script's own last line
#
# initdb refuses to run as root, so when these scripts run as root every cluster is created and
# started by the "postgres" system user (made by the postgresql-15 package) inside a scratch
# directory that user owns.  As any other user, root's part (apt-get, make install) goes through sudo.

PGQ_PG_VERSION=15
PGQ_PG_BINDIR=/usr/lib/postgresql/$PGQ_PG_VERSION/bin
PGQ_PG_CONFIG=$PGQ_PG_BINDIR/pg_config
PGQ_PACKAGES="postgresql-$PGQ_PG_VERSION postgresql-server-dev-$PGQ_PG_VERSION postgresql-$PGQ_PG_VERSION-pgtap postgresql-$PGQ_PG_VERSION-partman pgtap libipc-run-perl make gcc valgrind"
PGQ_TESTER=postgres
# the majors test/matrix.sh builds from source and tests (PGQ_MATRIX; "" for none)
# shellcheck disable=SC2034 # read by test/run.sh and test/matrix.sh
PGQ_MATRIX_MAJORS=${PGQ_MATRIX-"17 18"}

# the repository root: the directory above the one holding this file
PGQ_TREE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

export PATH="$PGQ_PG_BINDIR:$PATH"

pgq_is_root()
{
	[ "$(id -u)" -eq 0 ]
}

# run a command as root: directly when we are root, else through sudo
pgq_as_root()
{
	if pgq_is_root; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "error: \"$*\" needs root, and sudo is not installed" >&2
		return 1
	fi
}

pgq_pkg_installed()
{
	dpkg -s "$1" 2>/dev/null | grep -qx 'Status: install ok installed'
}

# install whatever is missing from PGQ_PACKAGES; installs nothing when all are there
pgq_install_deps()
{
	local pkg missing=()

	if ! command -v dpkg >/dev/null 2>&1; then
		echo "error: dpkg not found; these scripts expect Debian 12" >&2
		return 1
	fi
	for pkg in $PGQ_PACKAGES; do
		pgq_pkg_installed "$pkg" || missing+=("$pkg")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		echo "packages: all installed ($PGQ_PACKAGES)"
		return 0
	fi
	echo "packages: installing ${missing[*]}"
	pgq_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
		pgq_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

# build in the source tree as the calling user, install as root
pgq_build_install()
{
	echo "build: make PG_CFLAGS=\"-Wall -Wextra -Werror\" && make install"
	make -C "$PGQ_TREE" -s PG_CONFIG="$PGQ_PG_CONFIG" PG_CFLAGS="-Wall -Wextra -Werror" &&
		pgq_as_root make -C "$PGQ_TREE" -s PG_CONFIG="$PGQ_PG_CONFIG" PG_CFLAGS="-Wall -Wextra -Werror" install &&
		echo "build: pgq installed into $("$PGQ_PG_CONFIG" --pkglibdir)"
}

# PGQ_SCRATCH := a new private directory holding tree/ (a copy of the source tree without .git),
# owned by the user that will run clusters in it; with --keep-owner, by the caller (who gives it
# to that user with pgq_scratch_give once done building in it as root)
pgq_scratch_new()
{
	PGQ_SCRATCH=$(mktemp -d /tmp/pgq-test.XXXXXX) || return 1
	mkdir "$PGQ_SCRATCH/tree" &&
		tar -C "$PGQ_TREE" --exclude=./.git -cf - . | tar -C "$PGQ_SCRATCH/tree" -xf - || return 1
	# the history, for test/t/030_upgrade.pl and 035_old_libraries.pl, which build the old
	# releases' libraries from it; --no-hardlinks, so that the chown below cannot reach the tree's own objects
	if [ -e "$PGQ_TREE/.git" ] && command -v git >/dev/null 2>&1; then
		git clone -q --bare --no-hardlinks "$PGQ_TREE" "$PGQ_SCRATCH/git" || return 1
	fi
	[ "${1:-}" = --keep-owner ] || pgq_scratch_give
}

pgq_scratch_give()
{
	if pgq_is_root; then
		chown -R "$PGQ_TESTER:" "$PGQ_SCRATCH" || return 1
	fi
}

# stop every server still running from a data directory under PGQ_SCRATCH, then remove it
pgq_scratch_remove()
{
	local pidfile

	[ -n "${PGQ_SCRATCH:-}" ] && [ -d "$PGQ_SCRATCH" ] || return 0
	find "$PGQ_SCRATCH" -name postmaster.pid 2>/dev/null | while read -r pidfile; do
		pgq_as_tester pg_ctl -D "$(dirname "$pidfile")" -m immediate -w stop >/dev/null 2>&1
	done
	rm -rf "$PGQ_SCRATCH"
}

# run a command as the user that owns the scratch copy (postgres when we are root)
pgq_as_tester()
{
	if pgq_is_root; then
		runuser -u "$PGQ_TESTER" -- env PATH="$PATH" HOME="$PGQ_SCRATCH" "$@"
	else
		"$@"
	fi
}

# pgq_cluster_start DIR PORT: initdb in DIR/data and start it, with pgq in shared_preload_libraries,
# listening only on a unix socket in DIR; exports PGHOST, PGPORT, PGDATABASE for the clients.
# Server log: DIR/server.log.  PGQ_PRELOAD (default pgq) is the server's shared_preload_libraries.
# pgq_cluster_init DIR: PGQ_CLUSTER_DIR := DIR, holding a new data directory DIR/data
pgq_cluster_init()
{
	local var

	PGQ_CLUSTER_DIR=$1
	# connection settings of the caller's environment must not leak into the tests
	for var in $(compgen -e | grep '^PG' | grep -v '^PGQ_' | grep -vx 'PG_CONFIG'); do
		unset "$var"
	done
	mkdir -p "$PGQ_CLUSTER_DIR" || return 1
	if ! initdb -D "$PGQ_CLUSTER_DIR/data" -A trust --no-locale -E UTF8 >"$PGQ_CLUSTER_DIR/initdb.log" 2>&1; then
		cat "$PGQ_CLUSTER_DIR/initdb.log" >&2
		return 1
	fi
}

pgq_cluster_start()
{
	pgq_cluster_init "$1" || return 1
	if ! pg_ctl -D "$PGQ_CLUSTER_DIR/data" -l "$PGQ_CLUSTER_DIR/server.log" -w \
		-o "-c listen_addresses='' -k '$PGQ_CLUSTER_DIR' -p $2 -c fsync=off -c shared_preload_libraries=${PGQ_PRELOAD-pgq}" start >/dev/null; then
		cat "$PGQ_CLUSTER_DIR/server.log" >&2
		return 1
	fi
	export PGHOST=$PGQ_CLUSTER_DIR PGPORT=$2 PGDATABASE=postgres
}

# pgq_cluster_start_valgrind DIR PORT: as pgq_cluster_start, but the server (and so every backend)
# runs under valgrind's memcheck, which writes one log per process: DIR/valgrind.<pid>.log
pgq_cluster_start_valgrind()
{
	pgq_cluster_init "$1" || return 1
	valgrind --quiet --error-limit=no --num-callers=30 --trace-children=yes \
		--log-file="$PGQ_CLUSTER_DIR/valgrind.%p.log" \
		postgres -D "$PGQ_CLUSTER_DIR/data" -c listen_addresses='' -k "$PGQ_CLUSTER_DIR" -p "$2" \
		-c fsync=off -c autovacuum=off -c shared_preload_libraries=pgq \
		>"$PGQ_CLUSTER_DIR/server.log" 2>&1 </dev/null &
	for _ in $(seq 1 120); do
		if pg_isready -q -h "$PGQ_CLUSTER_DIR" -p "$2"; then
			export PGHOST=$PGQ_CLUSTER_DIR PGPORT=$2 PGDATABASE=postgres
			return 0
		fi
		sleep 1
	done
	cat "$PGQ_CLUSTER_DIR/server.log" >&2
	return 1
}

# pgq_valgrind_errors DIR: print "ERRORS IN_PGQ": how many memcheck errors the logs in DIR report,
# and how many of them have pgq's code in one of their four innermost frames.  The others are
# PostgreSQL's own (such as uninitialised padding it writes to WAL, which its source tree
# suppresses with src/tools/valgrind.supp).
pgq_valgrind_errors()
{
	local files

	# pgq's source files, as a frame names them: "(read.c:123)"
	files=$(cd "$PGQ_TREE/src" && ls ./*.c | sed 's|^\./||; s|\.c$||' | paste -sd '|')
	cat "$1"/valgrind.*.log 2>/dev/null | awk -v files="$files" '
		BEGIN { own = "pgq\\.so|\\((" files ")\\.c:" }
		function flush() { if (frames > 0) { n++; if (hit) p++ } frames = 0; hit = 0 }
		/^==[0-9]+== *$/ { flush(); next }
		/^==[0-9]+== +(at|by) 0x/ {
			frames++
			if (frames <= 4 && $0 ~ own)
				hit = 1
			next
		}
		END { flush(); print n + 0, p + 0 }'
}

pgq_cluster_stop()
{
	if [ -n "${PGQ_CLUSTER_DIR:-}" ] && [ -f "$PGQ_CLUSTER_DIR/data/postmaster.pid" ]; then
		pg_ctl -D "$PGQ_CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 ||
			pg_ctl -D "$PGQ_CLUSTER_DIR/data" -m immediate -w stop >/dev/null 2>&1
	fi
	return 0
}

# pgq_makefile_var DIR NAME: the value DIR/Makefile assigns to NAME (read as text: no pg_config)
pgq_makefile_var()
{
	sed -n "s/^$2 *= *//p" "$1/Makefile" 2>/dev/null | tail -n 1
}

# pgq_source_version DIR: the version the source tree in DIR builds: its Makefile's EXTVERSION, or,
# in trees from before 0.6.0, its pgq.control's default_version (test/t/PgqRelease.pm's
# source_version, for the TAP tests)
pgq_source_version()
{
	local v

	v=$(pgq_makefile_var "$1" EXTVERSION)
	[ -n "$v" ] || v=$(sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" "$1/pgq.control" 2>/dev/null)
	echo "$v"
}

# record SUITE PASSED FAILED [NOTE...]: one line of the status file
record()
{
	local suite=$1 passed=$2 failed=$3
	shift 3
	echo "$suite $passed $failed $*" >>"$STATUS"
}

# count_regress SUITE LOGFILE RC: count pg_regress / pg_isolation_regress results.
# The summary line is authoritative; without one the run did not finish.
count_regress()
{
	local suite=$1 log=$2 rc=$3 summary passed failed note=""

	# (pg_regress of PostgreSQL 16 and later prints TAP: "# All 18 tests passed.", "ok 1 - name")
	summary=$(grep -E '^(# )? *(All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests (passed|failed))' "$log" | tail -n 1)
	if [[ $summary =~ All\ ([0-9]+)\ tests\ passed ]]; then
		passed=${BASH_REMATCH[1]}
		failed=0
	elif [[ $summary =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ failed ]]; then
		failed=${BASH_REMATCH[1]}
		passed=$((BASH_REMATCH[2] - failed))
	elif [[ $summary =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ passed ]]; then
		passed=${BASH_REMATCH[1]}
		failed=$((BASH_REMATCH[2] - passed))
		note="(failures ignored by the schedule count as failed)"
	else
		passed=$(grep -cE '\.\.\. +ok( |$)|^ok [0-9]+ ' "$log")
		failed=$(grep -cE '\.\.\. +FAILED|^not ok [0-9]+ ' "$log")
		[ "$failed" -eq 0 ] && failed=1
		note="(did not finish, exit status $rc)"
	fi
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		failed=1
		note="(exit status $rc)"
	fi
	record "$suite" "$passed" "$failed" "$note"
}

# count_tap SUITE LOGFILE RC: count TAP assertions in verbose prove/pg_prove output.
# A file that died or broke its plan without a failed assertion counts as one failure.
count_tap()
{
	local suite=$1 log=$2 rc=$3 passed failed broken note=""

	local skipped

	passed=$(grep -E '^(ok [0-9]+|not ok [0-9]+.*# *TODO)' "$log" | grep -vciE '^ok [0-9]+.*# *skip')
	failed=$(grep -E '^not ok [0-9]+' "$log" | grep -vcE '# *TODO')
	# a skipped assertion proved nothing: it counts as failed
	skipped=$(grep -ciE '^ok [0-9]+.*# *skip' "$log")
	if [ "$skipped" -gt 0 ]; then
		failed=$((failed + skipped))
		note="($skipped skipped)"
	fi
	broken=$(awk '
		/^Test Summary Report/ { s = 1; next }
		!s { next }
		/^Files=[0-9]+, Tests=/ { s = 0; next }
		/\(Wstat: .*Failed: [0-9]+\)$/ { n += bad; f = ($0 ~ /Failed: 0\)$/); bad = 0; next }
		f && /^[ \t]+(Parse errors|Non-zero (exit|wait) status)/ { bad = 1 }
		END { print n + bad }' "$log")
	if [ "$broken" -gt 0 ]; then
		failed=$((failed + broken))
		note="($broken file(s) died or broke their plan)"
	fi
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		failed=1
		note="(exit status $rc)"
	fi
	if [ $((passed + failed)) -eq 0 ]; then
		failed=1
		note="(no assertions ran)"
	fi
	record "$suite" "$passed" "$failed" "$note"
}

# count_line SUITE LOGFILE RC: record the last line "SUITE PASSED FAILED" a script printed into
# LOGFILE (a non-zero exit status RC with nothing failed counts as one failure); returns 1 when
# there is no such line
count_line()
{
	local suite=$1 log=$2 rc=$3 line passed failed

	line=$(grep -E "^$suite [0-9]+ [0-9]+\$" "$log" | tail -n 1)
	[ -n "$line" ] || return 1
	read -r _ passed failed <<<"$line"
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		failed=1
	fi
	record "$suite" "$passed" "$failed"
}
