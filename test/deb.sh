#!/bin/bash
# test/deb.sh: build the Debian packages postgresql-<major>-pgq from the tree, one per PostgreSQL
# major the machine can build for, install them, and run the regression tests against the files
# they installed
#
#   bash test/deb.sh
#
# The majors are those pg_buildext builds for: the ones debian/pgversions names (15 to 18) among
# the supported ones, which are, unless PG_SUPPORTED_VERSIONS says otherwise, those whose
# postgresql-server-dev-<major> is installed (PG_SUPPORTED_VERSIONS=installed).
#
# 1. installs what is missing: test/lib.sh's packages, then debian/control's Build-Depends
#    ("apt-get build-dep"), then the server postgresql-<major> of each major, through sudo unless root
# 2. in a scratch copy of the tree, so the tree is left as it is: "make check-version"
#    (test/version.sh: the Makefile's EXTVERSION is the version of the control files, META.json,
#    debian/changelog and CHANGELOG.md), then "pg_buildext updatecontrol", which writes one package
#    stanza per major into debian/control
# 3. builds with "dpkg-buildpackage -us -uc -b" in the scratch copy; the build runs the regress and
#    isolation suites against each package's files itself.  Its output goes to log/package-build.log.
# 4. checks each .deb: it holds pgq.so, pgq.control, pgq_pgmq.control, the install script of every
#    version and every upgrade script, nothing but pgq's files in its major's lib and extension
#    directories and its doc directory, and it conflicts with postgresql-<major>-pgq3
# 5. installs them with dpkg -i and checks that PostgreSQL now has each package's files: dpkg -S
#    names the package for each, and each is byte for byte the file in the .deb
# 6. runs pg_regress over test/sql (make installcheck, REGRESS only) against each major, in a
#    throwaway cluster of that major on a unix socket in a private directory (port PGQ_TEST_PORT,
#    default 5451); the diffs of failed tests go to log/package.diffs
# 7. leaves pgq installed as it found it: purges each package, unless it was installed before (then
#    it stays, upgraded to this build), and where pgq had been installed by "make install" (as
#    test/run.sh and test/demo.sh do), installs the tree's build again, since the purge removed
#    those files
# Prints last "package N M": the tests of step 6 passed and failed over all majors.  Exits non-zero
# if anything failed.  With postgresql-<major>-pgq3 (Skytools PgQ, which installs its own
# pgq.control) installed, that major's package cannot be: the script says so and stops.

set -u

# shellcheck source=test/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT=${PGQ_TEST_PORT:-5451}
export PG_SUPPORTED_VERSIONS=${PG_SUPPORTED_VERSIONS:-installed}

# the majors built, and per major what the purge must put back (see 7. above)
MAJORS=()
INSTALLED=0
declare -A DEB WAS_INSTALLED WAS_MADE

fail()
{
	echo "package: error: $*" >&2
	exit 1
}

pkg_of()
{
	echo "postgresql-$1-pgq"
}

pg_config_of()
{
	echo "/usr/lib/postgresql/$1/bin/pg_config"
}

install_build_deps()
{
	local pkg missing=()

	pgq_install_deps || return 1
	for pkg in dpkg-dev build-essential; do
		pgq_pkg_installed "$pkg" || missing+=("$pkg")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "package: apt-get install ${missing[*]}"
		pgq_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
			pgq_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" ||
			return 1
	fi
	if ! (cd "$PGQ_TREE" && dpkg-checkbuilddeps) >/dev/null 2>&1; then
		echo "package: apt-get build-dep $PGQ_TREE"
		pgq_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
			pgq_as_root env DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q "$PGQ_TREE" ||
			return 1
	fi
}

# MAJORS := the majors pg_buildext builds for; their servers installed
find_majors()
{
	local v missing=()

	mapfile -t MAJORS < <(cd "$PGQ_TREE" && pg_buildext supported-versions)
	[ ${#MAJORS[@]} -gt 0 ] ||
		fail "pg_buildext builds for no major: debian/pgversions says $(xargs <"$PGQ_TREE/debian/pgversions"), PG_SUPPORTED_VERSIONS=$PG_SUPPORTED_VERSIONS gives $(/usr/share/postgresql-common/supported-versions | xargs)"
	echo "package: PostgreSQL majors: ${MAJORS[*]} (debian/pgversions, PG_SUPPORTED_VERSIONS=$PG_SUPPORTED_VERSIONS)"
	for v in "${MAJORS[@]}"; do
		[ -x "$(pg_config_of "$v")" ] || fail "$(pg_config_of "$v") is missing"
		pgq_pkg_installed "postgresql-$v" || missing+=("postgresql-$v")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "package: apt-get install ${missing[*]}"
		pgq_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" ||
			fail "could not install ${missing[*]}"
	fi
}

# in the scratch copy: the version check, then debian/control for the majors found
prepare()
{
	local out

	out=$(cd "$PGQ_SCRATCH/tree" && pgq_as_tester make -s PG_CONFIG="$PGQ_PG_CONFIG" check-version 2>&1)
	grep -v '^version: ok ' <<<"$out" | sed 's/^/package: /'
	grep -qx 'version [0-9]* 0' <<<"$out" ||
		fail "make check-version failed: the version or the maintainers' contact differs between files"
	(cd "$PGQ_SCRATCH/tree" && pgq_as_tester make -s clean PG_CONFIG="$PGQ_PG_CONFIG" >/dev/null 2>&1)
	(cd "$PGQ_SCRATCH/tree" && pgq_as_tester pg_buildext updatecontrol) ||
		fail "pg_buildext updatecontrol failed"
	echo "package: debian/control: $(sed -n 's/^Package: //p' "$PGQ_SCRATCH/tree/debian/control" | xargs)"
}

# build in the scratch copy; DEB[major] := the package built for it
build()
{
	local version arch v rc missing=()

	version=$(dpkg-parsechangelog -l "$PGQ_TREE/debian/changelog" -S Version)
	arch=$(dpkg --print-architecture)
	for v in "${MAJORS[@]}"; do
		DEB[$v]=$PGQ_SCRATCH/$(pkg_of "$v")_${version}_$arch.deb
	done
	echo "package: dpkg-buildpackage -us -uc -b in $PGQ_SCRATCH/tree (output in log/package-build.log)"
	# the build-time tests' clusters (pg_virtualenv) listen on localhost:$PORT
	(cd "$PGQ_SCRATCH/tree" &&
		pgq_as_tester env PGPORT="$PORT" PG_SUPPORTED_VERSIONS="$PG_SUPPORTED_VERSIONS" \
			dpkg-buildpackage -us -uc -b) >"$PGQ_SCRATCH/build.log" 2>&1
	rc=$?
	mkdir -p "$PGQ_TREE/log" && cp "$PGQ_SCRATCH/build.log" "$PGQ_TREE/log/package-build.log"
	for v in "${MAJORS[@]}"; do
		[ -f "${DEB[$v]}" ] || missing+=("$(basename "${DEB[$v]}")")
	done
	if [ "$rc" -ne 0 ] || [ ${#missing[@]} -gt 0 ]; then
		tail -n 40 "$PGQ_SCRATCH/build.log"
		# the build-time tests' summaries last, for test/run.sh to count
		echo "package: build-time tests:"
		grep -E '^ *(All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests (passed|failed))' "$PGQ_SCRATCH/build.log"
		fail "dpkg-buildpackage failed (exit status $rc)${missing:+; not built: ${missing[*]}}"
	fi
	# one "### PostgreSQL <major> installcheck ###" section per major
	awk '/^### PostgreSQL [0-9]+ installcheck ###/ { v = $3 }
		/^(# )? *(All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests)/ { sub(/^(# )? */, ""); print "package: build-time tests, PostgreSQL " v ": " $0 }' \
		"$PGQ_SCRATCH/build.log"
	for v in "${MAJORS[@]}"; do
		echo "package: built $(basename "${DEB[$v]}")"
	done
}

# check_deb MAJOR: the .deb's contents are pgq's files and nothing else
check_deb()
{
	local v=$1 pkg deb libdir sharedir docdir f files want version maintainer bad=0

	pkg=$(pkg_of "$v")
	deb=${DEB[$v]}
	libdir=$("$(pg_config_of "$v")" --pkglibdir)
	sharedir=$("$(pg_config_of "$v")" --sharedir)/extension
	docdir=/usr/share/doc/$pkg
	files=$(dpkg-deb --fsys-tarfile "$deb" | tar -tf - | sed 's|^\./|/|' | grep -v '/$')
	# what make install installs: the scripts in sql/, and those of the Makefile's EXTVERSION
	version=$(pgq_makefile_var "$PGQ_TREE" EXTVERSION)
	maintainer=$(pgq_makefile_var "$PGQ_TREE" MAINTAINER)
	want=$(
		echo "$libdir/pgq.so"
		echo "$sharedir/pgq.control"
		echo "$sharedir/pgq_pgmq.control"
		for f in "$PGQ_TREE"/sql/pgq--*.sql "$PGQ_TREE"/sql/pgq_pgmq--*.sql \
			"sql/pgq--$version.sql" "sql/pgq_pgmq--$version.sql"; do
			echo "$sharedir/$(basename "$f")"
		done | sort -u
	)
	while read -r f; do
		if ! grep -qxF "$f" <<<"$files"; then
			echo "package: $(basename "$deb") lacks $f"
			bad=1
		fi
	done <<<"$want"
	while read -r f; do
		case $f in
		"$libdir/pgq.so" | "$libdir/bitcode/pgq.index.bc" | "$libdir"/bitcode/pgq/src/*.bc) ;;
		"$sharedir/pgq.control" | "$sharedir"/pgq--*.sql) ;;
		"$sharedir/pgq_pgmq.control" | "$sharedir"/pgq_pgmq--*.sql) ;;
		"$docdir"/*) ;;
		*)
			echo "package: $(basename "$deb") should not hold $f"
			bad=1
			;;
		esac
	done <<<"$files"
	if ! dpkg-deb -f "$deb" Conflicts | grep -qw "postgresql-$v-pgq3"; then
		echo "package: $(basename "$deb") does not conflict with postgresql-$v-pgq3"
		bad=1
	fi
	if [ "$(dpkg-deb -f "$deb" Maintainer)" != "$maintainer" ]; then
		echo "package: $(basename "$deb") names maintainer \"$(dpkg-deb -f "$deb" Maintainer)\", not \"$maintainer\""
		bad=1
	fi
	[ $bad -eq 0 ] || fail "the contents of $(basename "$deb") are wrong"
	echo "package: $pkg: $(grep -c . <<<"$files") files, pgq's only ($(grep -c '\.sql$' <<<"$files") scripts); Conflicts: $(dpkg-deb -f "$deb" Conflicts)"
}

install_debs()
{
	local v pkg control debs=()

	for v in "${MAJORS[@]}"; do
		pkg=$(pkg_of "$v")
		control=$("$(pg_config_of "$v")" --sharedir)/extension/pgq.control
		if pgq_pkg_installed "postgresql-$v-pgq3"; then
			fail "postgresql-$v-pgq3 is installed and has its own pgq extension: $pkg conflicts with it"
		fi
		WAS_INSTALLED[$v]=0
		WAS_MADE[$v]=0
		pgq_pkg_installed "$pkg" && WAS_INSTALLED[$v]=1
		if [ "${WAS_INSTALLED[$v]}" -eq 0 ] && [ -e "$control" ] && ! dpkg -S "$control" >/dev/null 2>&1; then
			WAS_MADE[$v]=1
		fi
		debs+=("${DEB[$v]}")
	done
	echo "package: dpkg -i $(for v in "${MAJORS[@]}"; do basename "${DEB[$v]}"; done | xargs)"
	INSTALLED=1
	if ! pgq_as_root dpkg -i "${debs[@]}" >"$PGQ_SCRATCH/dpkg.log" 2>&1; then
		cat "$PGQ_SCRATCH/dpkg.log"
		fail "dpkg -i failed"
	fi
}

# check_installed MAJOR: every file of its package in the file system is the package's, byte for byte
check_installed()
{
	local v=$1 pkg unpacked f path owner n=0

	pkg=$(pkg_of "$v")
	unpacked=$PGQ_SCRATCH/unpacked-$v
	rm -rf "$unpacked"
	dpkg-deb -x "${DEB[$v]}" "$unpacked" || fail "dpkg-deb -x failed"
	while read -r f; do
		path=${f#"$unpacked"}
		owner=$(dpkg -S "$path" 2>/dev/null | cut -d: -f1)
		[ "$owner" = "$pkg" ] || fail "$path belongs to \"$owner\", not $pkg"
		cmp -s "$f" "$path" || fail "$path differs from the file in $(basename "${DEB[$v]}")"
		n=$((n + 1))
	done < <(find "$unpacked/usr" -type f)
	[ -z "$(dpkg --verify "$pkg")" ] || fail "dpkg --verify $pkg: $(dpkg --verify "$pkg")"
	echo "package: $pkg: $n installed files are its own (dpkg -S), byte for byte the .deb's (cmp, dpkg --verify)"
}

# the unprivileged half: pg_regress against the package installed for MAJOR, in a throwaway
# cluster of that major
check_regress()
{
	local v=$1 rc

	PGQ_PG_VERSION=$v
	PGQ_PG_BINDIR=/usr/lib/postgresql/$v/bin
	PGQ_PG_CONFIG=$PGQ_PG_BINDIR/pg_config
	export PATH="$PGQ_PG_BINDIR:$PATH"
	cd "$PGQ_SCRATCH/tree" || exit 1
	rm -rf results regression.diffs regression.out
	trap 'pgq_cluster_stop' EXIT
	echo "package: PostgreSQL $v: pg_regress over test/sql in a cluster on a unix socket in $PGQ_SCRATCH/cluster-$v, port $PORT"
	pgq_cluster_start "$PGQ_SCRATCH/cluster-$v" "$PORT" || exit 1
	echo "package: PostgreSQL $v: the server ($(psql -X -A -t -c 'SHOW server_version')) offers pgq $(psql -X -A -t -c \
		"SELECT default_version FROM pg_available_extensions WHERE name = 'pgq'")"
	make installcheck PG_CONFIG="$PGQ_PG_CONFIG" ISOLATION= TAP_TESTS= 2>&1
	rc=$?
	cp regression.diffs "$PGQ_SCRATCH/package-$v.diffs" 2>/dev/null
	exit $rc
}

# reinstall_tree MAJOR: install the tree's build into MAJOR again
# shellcheck disable=SC2317 # called by cleanup, the EXIT trap
reinstall_tree()
{
	local v=$1 pgc

	echo "package: pgq had been installed into PostgreSQL $v from the tree: installing the tree's build again"
	if [ "$v" = "$PGQ_PG_VERSION" ]; then
		pgq_build_install
		return
	fi
	# another major: built in the scratch copy, not over the tree's build for PGQ_PG_VERSION
	pgc=$(pg_config_of "$v")
	(cd "$PGQ_SCRATCH/tree" && pgq_as_tester make -s clean PG_CONFIG="$pgc" &&
		pgq_as_tester make -s PG_CONFIG="$pgc" PG_CFLAGS="-Wall -Wextra -Werror" &&
		pgq_as_root make -s PG_CONFIG="$pgc" install)
}

# put pgq back as it was before (see 7. above), remove the scratch copy
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup()
{
	local v purge=() rc=0

	if [ "$INSTALLED" -eq 1 ]; then
		for v in "${MAJORS[@]}"; do
			if [ "${WAS_INSTALLED[$v]:-0}" -eq 0 ]; then
				purge+=("$(pkg_of "$v")")
			else
				echo "package: $(pkg_of "$v") was installed before: left installed, at $(dpkg-query -W -f '${Version}' "$(pkg_of "$v")")"
			fi
		done
	fi
	if [ ${#purge[@]} -gt 0 ]; then
		echo "package: dpkg --purge ${purge[*]}"
		if ! pgq_as_root dpkg --purge "${purge[@]}" >"$PGQ_SCRATCH/dpkg.log" 2>&1; then
			cat "$PGQ_SCRATCH/dpkg.log"
			rc=1
		fi
		for v in "${MAJORS[@]}"; do
			if [ "${WAS_MADE[$v]:-0}" -eq 1 ]; then
				reinstall_tree "$v" || rc=1
			fi
		done
	fi
	pgq_scratch_remove
	[ "$rc" -eq 0 ] || fail "could not put pgq back as it was"
}

# count LOG: "PASSED FAILED" of one pg_regress run's output (no summary: one failure)
count()
{
	local STATUS p f

	STATUS=$(mktemp) || return 1
	count_regress package "$1" 0
	read -r _ p f _ <"$STATUS"
	rm -f "$STATUS"
	echo "$p $f"
}

main()
{
	local v rc=0 passed=0 failed=0 p f

	trap 'cleanup' EXIT
	trap 'exit 130' INT TERM
	install_build_deps || fail "could not install the packages the build needs"
	find_majors
	pgq_scratch_new || fail "could not make a scratch copy"
	prepare
	build
	for v in "${MAJORS[@]}"; do
		check_deb "$v"
	done
	install_debs
	for v in "${MAJORS[@]}"; do
		check_installed "$v"
	done
	rm -f "$PGQ_TREE/log/package.diffs"
	for v in "${MAJORS[@]}"; do
		(cd "$PGQ_SCRATCH/tree" && pgq_as_tester bash test/deb.sh --regress "$PGQ_SCRATCH" "$v") |
			tee "$PGQ_SCRATCH/regress-$v.out"
		[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
		read -r p f <<<"$(count "$PGQ_SCRATCH/regress-$v.out")"
		passed=$((passed + p))
		failed=$((failed + f))
		if [ -s "$PGQ_SCRATCH/package-$v.diffs" ]; then
			{
				echo "# PostgreSQL $v"
				cat "$PGQ_SCRATCH/package-$v.diffs"
			} >>"$PGQ_TREE/log/package.diffs"
		fi
	done
	[ -s "$PGQ_TREE/log/package.diffs" ] && echo "package: diffs of the failed tests are in log/package.diffs"
	[ "$rc" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
	echo "package $passed $failed"
	exit $rc
}

if [ "${1:-}" = "--regress" ]; then
	PGQ_SCRATCH=$2
	check_regress "$3"
fi
main
