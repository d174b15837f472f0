#!/bin/bash
# test/matrix.sh: build and test pgq against the PostgreSQL majors Debian 12 has no binaries for
#
#   bash test/matrix.sh            # every major in PGQ_MATRIX (default "17 18")
#   PGQ_MATRIX=18 bash test/matrix.sh
#
# For each major M:
# 1. the server: built once from Debian's source package postgresql-M into PGQ_PG_CACHE/pgM
#    (default /var/cache/pgq-pg as root, else ~/.cache/pgq-pg: outside the clone; rebuilt only
#    when missing).  The upstream tarball is the one apt names ("apt-get source --print-uris",
#    with a private apt configuration in PGQ_PG_CACHE/apt naming the deb-src suites trixie,
#    trixie-updates, trixie-security and sid, so the system's apt configuration is left alone),
#    checked against the SHA-256 of apt's signed index.  When the mirror no longer holds the
#    version its index names, the pinned version below is taken from Debian's pool and checked
#    against its pinned SHA-256.  pg_partman is built the same way, from Debian's pg-partman.
# 2. pgq, built with -Wall -Wextra -Werror in a scratch copy of the tree and installed into pgM
# 3. in a throwaway cluster on a unix socket (as the "postgres" user when run as root), with pgq
#    preloaded: the regression suite (test/sql) and the isolation suite (test/specs); then the TAP
#    tests (test/t) but 035_old_libraries.pl (the releases before 0.6.0 build only against 15)
#    and 010_stress.pl (the longest; it runs on 15): the upgrade test 030_upgrade.pl among them
# 4. prints one line per major, "pgM PASSED FAILED (details)", which test/run.sh counts; exits
#    non-zero if anything failed.  Outputs: log/pgM/ in the tree (each step's output, the diffs).
#
# PGQ_TEST_PORT (default 5451) is the clusters' port.

set -u

# shellcheck source=test/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if pgq_is_root; then
	CACHE=${PGQ_PG_CACHE:-/var/cache/pgq-pg}
else
	CACHE=${PGQ_PG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgq-pg}
fi
PORT=${PGQ_TEST_PORT:-5451}
MIRROR=http://deb.debian.org/debian

# what the build of a server needs; bison and flex only when the tarball lacks generated files
MATRIX_PACKAGES="build-essential pkg-config zlib1g-dev bison flex curl ca-certificates"

# what it builds must be readable by the user that runs the tests
umask 022

# the fallbacks: source package, version, pool file, SHA-256 of the upstream tarball
# shellcheck disable=SC2034 # read through ${!var} in fetch_source
PIN_postgresql_17="17.11-0+deb13u1 postgresql-17_17.11.orig.tar.bz2 dd27f2b3c59e73ed14aa3324901242bf69a032a6347805f274e6260322d42979"
PIN_postgresql_18="18.6-3 postgresql-18_18.6.orig.tar.bz2 555610c24d53e4316da5b7d3fc25c279d96856d5e0e23ee308c328c5fa881d9f"
PIN_pg_partman="5.5.0-1 pg-partman_5.5.0.orig.tar.gz c68287705dcb17aaaecfcb50e5057392eb91d150f9719d02d3a38e23437778a3"

# the server's configure options; a change to them rebuilds the cached servers
CONFIGURE_OPTS="--without-icu --without-readline --enable-tap-tests"

say()
{
	echo "matrix: $*"
}

# apt-get with the private configuration under CACHE/apt
cache_apt()
{
	apt-get -q -o Dir::Etc::SourceList="$CACHE/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$CACHE/apt/lists" -o Dir::Cache="$CACHE/apt/cache" "$@"
}

# the private apt configuration, and its index, fetched once per run
apt_ready=0
cache_apt_update()
{
	local suite

	[ "$apt_ready" -eq 1 ] && return 0
	mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial" || return 1
	: >"$CACHE/apt/sources.list"
	for suite in trixie trixie-updates sid; do
		echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $suite main" >>"$CACHE/apt/sources.list"
	done
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security trixie-security main" >>"$CACHE/apt/sources.list"
	cache_apt update >"$CACHE/apt/update.log" 2>&1 || {
		cat "$CACHE/apt/update.log"
		return 1
	}
	apt_ready=1
}

# download URL FILE SHA256 DIR: DIR/FILE, which takes its name only once its SHA-256 is checked
download()
{
	local url=$1 file=$2 sum=$3 dir=$4 tmp

	if [ -f "$dir/$file" ] && echo "$sum  $dir/$file" | sha256sum -c --quiet >/dev/null 2>&1; then
		return 0
	fi
	tmp=$(mktemp "$dir/.download.XXXXXX") || return 1
	if curl -fsS -o "$tmp" "$url" && echo "$sum  $tmp" | sha256sum -c --quiet; then
		mv "$tmp" "$dir/$file"
		return 0
	fi
	rm -f "$tmp"
	return 1
}

# fetch_source PACKAGE DIR: TARBALL := DIR/<the upstream tarball of PACKAGE>, checked against the
# SHA-256 apt's signed index gives for it, else against the pin
fetch_source()
{
	local pkg=$1 dir=$2 url="" file="" sum="" version var

	TARBALL=
	mkdir -p "$dir" || return 1
	if cache_apt_update; then
		read -r url file _ sum <<<"$(cache_apt source --print-uris "$pkg" 2>/dev/null |
			grep -E "^'[^']*\.orig\.tar\.(gz|bz2|xz)' " | tail -n 1)"
		url=${url//\'/}
		if [[ $sum == SHA256:* ]] && download "$url" "$file" "${sum#SHA256:}" "$dir"; then
			TARBALL=$dir/$file
		fi
	fi
	if [ -z "$TARBALL" ]; then
		var=PIN_${pkg//-/_}
		read -r version file sum <<<"${!var}"
		say "$pkg: ${url:-no source package in the index}: not fetched; taking $version from $MIRROR/pool"
		if ! download "$MIRROR/pool/main/${pkg:0:1}/$pkg/$file" "$file" "$sum" "$dir"; then
			echo "matrix: $file: not fetched, or not matching its pinned SHA-256" >&2
			return 1
		fi
		TARBALL=$dir/$file
	fi
	say "$pkg: $(basename "$TARBALL") (SHA-256 checked)"
}

# unpack TARBALL into a fresh DIR/build; SRCDIR := the source's top directory
unpack()
{
	local dir=$1

	rm -rf "$dir/build" && mkdir "$dir/build" &&
		tar -C "$dir/build" -xf "$TARBALL" || return 1
	SRCDIR=$(find "$dir/build" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	[ -n "$SRCDIR" ]
}

# build_server M: CACHE/pgM, unless a complete build with today's options is there
build_server()
{
	local m=$1 prefix=$CACHE/pg$1 stamp log=$CACHE/src/$1/build.log

	stamp="$CONFIGURE_OPTS"
	if [ -x "$prefix/bin/pg_config" ] && [ "$(cat "$prefix/.pgq-stamp" 2>/dev/null)" = "$stamp" ]; then
		say "PostgreSQL $m: cached in $prefix ($("$prefix/bin/pg_config" --version))"
		return 0
	fi
	fetch_source "postgresql-$m" "$CACHE/src/$m" && unpack "$CACHE/src/$m" || return 1
	say "PostgreSQL $m: building into $prefix (log: $log)"
	rm -rf "$prefix"
	# shellcheck disable=SC2086 # a list of options
	if ! (cd "$SRCDIR" && ./configure --prefix="$prefix" $CONFIGURE_OPTS &&
		make -j2 -s &&
		make -s install &&
		make -C src/test/isolation -s install &&
		make -C src/test/perl -s install) >"$log" 2>&1; then
		tail -n 30 "$log"
		say "PostgreSQL $m: the build failed (log: $log)"
		return 1
	fi
	rm -rf "$CACHE/src/$m/build"
	echo "$stamp" >"$prefix/.pgq-stamp"
	say "PostgreSQL $m: $("$prefix/bin/pg_config" --version)"
}

# build_partman M: pg_partman from Debian's pg-partman into CACHE/pgM (once)
build_partman()
{
	local m=$1 pg_config=$CACHE/pg$1/bin/pg_config log=$CACHE/src/partman/build-$1.log

	if [ -f "$("$pg_config" --sharedir)/extension/pg_partman.control" ]; then
		return 0
	fi
	fetch_source pg-partman "$CACHE/src/partman" && unpack "$CACHE/src/partman" || return 1
	if ! make -C "$SRCDIR" -s PG_CONFIG="$pg_config" install >"$log" 2>&1; then
		tail -n 30 "$log"
		say "pg_partman for $m: the build failed (log: $log)"
		return 1
	fi
	rm -rf "$CACHE/src/partman/build"
}

# the tester's half, in the scratch copy SCR/tree ("matrix.sh --tests M SCR CACHE"): clusters and
# suites for major M; each suite's counts go to SCR/status
run_tests()
{
	local m=$1 scr=$2 rc

	STATUS=$scr/status
	cd "$scr/tree" || exit 1
	mkdir -p log
	export PATH="$CACHE/pg$m/bin:$PATH" PG_CONFIG=$CACHE/pg$m/bin/pg_config
	trap 'pgq_cluster_stop' EXIT
	trap 'exit 130' INT TERM
	if pgq_cluster_start "$scr/cluster" "$PORT"; then
		rm -f regression.diffs
		make installcheck ISOLATION= TAP_TESTS= >log/regress.out 2>&1
		count_regress regress log/regress.out $?
		cp regression.diffs log/regress.diffs 2>/dev/null
		rm -f regression.diffs
		make installcheck REGRESS= TAP_TESTS= >log/isolation.out 2>&1
		count_regress isolation log/isolation.out $?
		cp regression.diffs log/isolation.diffs 2>/dev/null
		pgq_cluster_stop
		cp "$scr/cluster/server.log" log/server.log 2>/dev/null
	else
		record regress 0 1 "(the test cluster did not start)"
		record isolation 0 1 "(the test cluster did not start)"
	fi
	unset PGHOST PGPORT PGDATABASE
	export PGQ_GIT_DIR=$scr/git
	make installcheck REGRESS= ISOLATION= PROVE_TESTS="$(tap_tests)" PROVE_FLAGS=--verbose \
		>log/tap.out 2>&1
	rc=$?
	count_tap tap log/tap.out "$rc"
}

# the TAP tests of the matrix: all but 035_old_libraries.pl, whose old releases build only
# against 15, and 010_stress.pl, the longest, which the suite runs on 15
tap_tests()
{
	local t

	for t in test/t/*.pl; do
		case $t in
			*/035_old_libraries.pl | */010_stress.pl) ;;
			*) printf '%s ' "$t" ;;
		esac
	done
}

# major M, as the caller: server, pg_partman, pgq, then the tester's half; RESULT := the line
# "pgM PASSED FAILED (details)", which it prints too
run_major()
{
	local m=$1 scr pg_config=$CACHE/pg$1/bin/pg_config start=$SECONDS passed=0 failed=0
	local suite p f note details="" version rc

	STATUS=$(mktemp /tmp/pgq-matrix-status.XXXXXX) || return 1
	if ! build_server "$m"; then
		record server 0 1 "(PostgreSQL $m did not build)"
	elif ! build_partman "$m"; then
		record server 0 1 "(pg_partman did not build against PostgreSQL $m)"
	elif ! pgq_scratch_new --keep-owner; then
		record server 0 1 "(could not make a scratch copy)"
	else
		scr=$PGQ_SCRATCH
		version=$("$pg_config" --version)
		say "pgq: make PG_CONFIG=$pg_config PG_CFLAGS=\"-Wall -Wextra -Werror\" install"
		# the scratch copy holds the tree's build for 15: rebuild from clean
		if make -C "$scr/tree" -s clean >/dev/null 2>&1 &&
			make -C "$scr/tree" -s PG_CONFIG="$pg_config" PG_CFLAGS="-Wall -Wextra -Werror" \
				>"$scr/build.log" 2>&1 &&
			make -C "$scr/tree" -s PG_CONFIG="$pg_config" install >>"$scr/build.log" 2>&1; then
			record build 1 0
			pgq_scratch_give
			pgq_as_tester bash "$scr/tree/test/matrix.sh" --tests "$m" "$scr" "$CACHE"
			rc=$?
			cat "$scr/status" >>"$STATUS" 2>/dev/null
			# a suite that left no line did not run
			for suite in regress isolation tap; do
				grep -q "^$suite " "$STATUS" || record "$suite" 0 1 "(did not run)"
			done
			[ "$rc" -eq 0 ] || record tests 0 1 "(the tests' script ended with exit status $rc)"
		else
			cat "$scr/build.log"
			record build 0 1 "(pgq did not build against $version)"
		fi
		rm -rf "$PGQ_TREE/log/pg$m"
		mkdir -p "$PGQ_TREE/log/pg$m"
		cp -P "$scr/build.log" "$scr"/tree/log/* "$PGQ_TREE/log/pg$m/" 2>/dev/null
		pgq_scratch_remove
	fi
	while read -r suite p f note; do
		passed=$((passed + p))
		failed=$((failed + f))
		details+="${details:+, }$suite $p/$((p + f))${note:+ $note}"
	done <"$STATUS"
	rm -f "$STATUS"
	[ $((passed + failed)) -eq 0 ] && failed=1
	RESULT="pg$m $passed $failed (${version:-PostgreSQL $m}: $details; $((SECONDS - start)) s)"
	echo "$RESULT"
}

main()
{
	local m lines=() rc=0 line

	cd "$PGQ_TREE" || exit 1
	if ! PGQ_PACKAGES="$PGQ_PACKAGES $MATRIX_PACKAGES" pgq_install_deps; then
		for m in $PGQ_MATRIX_MAJORS; do
			echo "pg$m 0 1 (could not install the packages)"
		done
		exit 1
	fi
	mkdir -p "$CACHE/src" || exit 1
	for m in $PGQ_MATRIX_MAJORS; do
		say "=== PostgreSQL $m"
		run_major "$m"
		lines+=("$RESULT")
	done
	echo
	for line in "${lines[@]}"; do
		echo "$line"
		[[ $line =~ ^pg[0-9]+\ [0-9]+\ 0\  ]] || rc=1
	done
	exit "$rc"
}

if [ "${1:-}" = "--tests" ]; then
	CACHE=$4
	run_tests "$2" "$3"
	exit 0
fi
main
