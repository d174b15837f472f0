#!/bin/bash
# test/deb.sh: build the Debian package postgresql-15-pgq from the tree, install it into the
# system's PostgreSQL 15, and run the regression tests against the files it installed
#
#   bash test/deb.sh
#
# 1. installs what is missing: test/lib.sh's packages, then debian/control's Build-Depends
#    ("apt-get build-dep"), through sudo unless root
# 2. checks that pgq.control, debian/changelog and META.json name the same version
# 3. builds with "dpkg-buildpackage -us -uc -b" in a scratch copy of the tree, so the tree is left
#    as it is; the build runs the regress and isolation suites against the package's files itself.
#    Its output goes to log/package-build.log.
# 4. checks the .deb: it holds pgq.so, pgq.control, pgq_pgmq.control and every sql/pgq--*.sql and
#    sql/pgq_pgmq--*.sql, nothing but pgq's
#    files in PostgreSQL's lib and extension directories and its doc directory, and it conflicts
#    with postgresql-15-pgq3
# 5. installs it with dpkg -i and checks that PostgreSQL now has the package's files: dpkg -S names
#    postgresql-15-pgq for each, and each is byte for byte the file in the .deb
# 6. runs pg_regress over test/sql (make installcheck, REGRESS only) in a throwaway cluster on a
#    unix socket in a private directory (port PGQ_TEST_PORT, default 5451); the diffs of failed
#    tests go to log/package.diffs
# 7. leaves pgq installed as it found it: purges the package, unless it was installed before (then
#    it stays, upgraded to this build), and if pgq had been installed by "make install" (as
#    test/run.sh and test/demo.sh do), installs the tree's build again, since the purge removed
#    those files
# Exits non-zero if anything failed.  With postgresql-15-pgq3 (Skytools PgQ, which installs its own
# pgq.control) installed, the package cannot be: the script says so and stops.

set -u

# shellcheck source=test/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PKG=postgresql-$PGQ_PG_VERSION-pgq
CONFLICTING=postgresql-$PGQ_PG_VERSION-pgq3
PORT=${PGQ_TEST_PORT:-5451}

# what the purge must put back (see 7. above)
INSTALLED=0
WAS_INSTALLED=0
WAS_MADE=0

fail()
{
	echo "package: error: $*" >&2
	exit 1
}

# extension version named in pgq.control
control_version()
{
	sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$PGQ_TREE/pgq.control"
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

check_versions()
{
	local version deb meta

	version=$(control_version)
	deb=$(sed -n '1s/^pgq (\(.*\)-[^-]*).*/\1/p' "$PGQ_TREE/debian/changelog")
	meta=$(perl -MJSON::PP -0777 -ne '$m = decode_json($_);
		print join(" ", $m->{version}, $m->{provides}{pgq}{version}, $m->{provides}{pgq}{file})' \
		"$PGQ_TREE/META.json") || fail "could not read META.json"
	echo "package: pgq.control $version, debian/changelog $deb, META.json (version, provides) $meta"
	if [ -z "$version" ] || [ ! -f "$PGQ_TREE/sql/pgq--$version.sql" ]; then
		fail "pgq.control's default_version \"$version\" has no sql/pgq--$version.sql"
	fi
	[ "$deb" = "$version" ] ||
		fail "debian/changelog is at $deb, pgq.control at $version: add a \"pgq ($version-1)\" entry at the top of debian/changelog"
	[ "$meta" = "$version $version sql/pgq--$version.sql" ] ||
		fail "META.json does not name version $version and file sql/pgq--$version.sql"
}

# build in the scratch copy; DEB := the package built
build()
{
	local version rc

	version=$(dpkg-parsechangelog -l "$PGQ_TREE/debian/changelog" -S Version)
	DEB=$PGQ_SCRATCH/${PKG}_${version}_$(dpkg --print-architecture).deb
	echo "package: dpkg-buildpackage -us -uc -b in $PGQ_SCRATCH/tree (output in log/package-build.log)"
	# the build-time tests' cluster (pg_virtualenv) listens on localhost:$PORT
	(cd "$PGQ_SCRATCH/tree" && pgq_as_tester env PGPORT="$PORT" dpkg-buildpackage -us -uc -b) \
		>"$PGQ_SCRATCH/build.log" 2>&1
	rc=$?
	mkdir -p "$PGQ_TREE/log" && cp "$PGQ_SCRATCH/build.log" "$PGQ_TREE/log/package-build.log"
	if [ $rc -ne 0 ] || [ ! -f "$DEB" ]; then
		tail -n 40 "$PGQ_SCRATCH/build.log"
		# the build-time tests' summaries last, for test/run.sh to count
		echo "package: build-time tests:"
		grep -E '^ *(All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests (passed|failed))' "$PGQ_SCRATCH/build.log"
		fail "dpkg-buildpackage failed (exit status $rc)"
	fi
	grep -E '^ *All [0-9]+ tests passed|^ *[0-9]+ of [0-9]+ tests' "$PGQ_SCRATCH/build.log" |
		sed 's/^ */package: build-time tests: /'
	echo "package: built $(basename "$DEB")"
}

# the .deb's contents: pgq's files and nothing else
check_deb()
{
	local libdir sharedir docdir f files bad=0

	libdir=$("$PGQ_PG_CONFIG" --pkglibdir)
	sharedir=$("$PGQ_PG_CONFIG" --sharedir)/extension
	docdir=/usr/share/doc/$PKG
	files=$(dpkg-deb --fsys-tarfile "$DEB" | tar -tf - | sed 's|^\./|/|' | grep -v '/$')
	for f in pgq.so pgq.control pgq_pgmq.control "$PGQ_TREE"/sql/pgq--*.sql "$PGQ_TREE"/sql/pgq_pgmq--*.sql; do
		case $f in
		pgq.so) f=$libdir/$f ;;
		*) f=$sharedir/$(basename "$f") ;;
		esac
		if ! grep -qxF "$f" <<<"$files"; then
			echo "package: $(basename "$DEB") lacks $f"
			bad=1
		fi
	done
	while read -r f; do
		case $f in
		"$libdir/pgq.so" | "$libdir/bitcode/pgq.index.bc" | "$libdir"/bitcode/pgq/src/*.bc) ;;
		"$sharedir/pgq.control" | "$sharedir"/pgq--*.sql) ;;
		"$sharedir/pgq_pgmq.control" | "$sharedir"/pgq_pgmq--*.sql) ;;
		"$docdir"/*) ;;
		*)
			echo "package: $(basename "$DEB") should not hold $f"
			bad=1
			;;
		esac
	done <<<"$files"
	if ! dpkg-deb -f "$DEB" Conflicts | grep -qw "$CONFLICTING"; then
		echo "package: $(basename "$DEB") does not conflict with $CONFLICTING"
		bad=1
	fi
	[ $bad -eq 0 ] || fail "the package's contents are wrong"
	echo "package: $(grep -c . <<<"$files") files, pgq's only; Conflicts: $(dpkg-deb -f "$DEB" Conflicts)"
}

install_deb()
{
	local control

	control=$("$PGQ_PG_CONFIG" --sharedir)/extension/pgq.control
	if pgq_pkg_installed "$CONFLICTING"; then
		fail "$CONFLICTING is installed and has its own pgq extension: $PKG conflicts with it"
	fi
	pgq_pkg_installed "$PKG" && WAS_INSTALLED=1
	if [ $WAS_INSTALLED -eq 0 ] && [ -e "$control" ] && ! dpkg -S "$control" >/dev/null 2>&1; then
		WAS_MADE=1
	fi
	echo "package: dpkg -i $(basename "$DEB")"
	INSTALLED=1
	if ! pgq_as_root dpkg -i "$DEB" >"$PGQ_SCRATCH/dpkg.log" 2>&1; then
		cat "$PGQ_SCRATCH/dpkg.log"
		fail "dpkg -i failed"
	fi
}

# every file of the package in the file system is the package's, byte for byte
check_installed()
{
	local f path owner n=0

	rm -rf "$PGQ_SCRATCH/unpacked"
	dpkg-deb -x "$DEB" "$PGQ_SCRATCH/unpacked" || fail "dpkg-deb -x failed"
	while read -r f; do
		path=${f#"$PGQ_SCRATCH/unpacked"}
		owner=$(dpkg -S "$path" 2>/dev/null | cut -d: -f1)
		[ "$owner" = "$PKG" ] || fail "$path belongs to \"$owner\", not $PKG"
		cmp -s "$f" "$path" || fail "$path differs from the file in $(basename "$DEB")"
		n=$((n + 1))
	done < <(find "$PGQ_SCRATCH/unpacked/usr" -type f)
	[ -z "$(dpkg --verify "$PKG")" ] || fail "dpkg --verify $PKG: $(dpkg --verify "$PKG")"
	echo "package: $n installed files are $PKG's (dpkg -S), byte for byte the .deb's (cmp, dpkg --verify)"
}

# the unprivileged half: pg_regress against the installed package in a throwaway cluster
check_regress()
{
	local rc

	cd "$PGQ_SCRATCH/tree" || exit 1
	rm -rf results regression.diffs regression.out
	trap 'pgq_cluster_stop' EXIT
	echo "package: pg_regress over test/sql in a cluster on a unix socket in $PGQ_SCRATCH/cluster, port $PORT"
	pgq_cluster_start "$PGQ_SCRATCH/cluster" "$PORT" || exit 1
	echo "package: the server offers pgq $(psql -X -A -t -c \
		"SELECT default_version FROM pg_available_extensions WHERE name = 'pgq'")"
	make installcheck PG_CONFIG="$PGQ_PG_CONFIG" ISOLATION= TAP_TESTS= 2>&1
	rc=$?
	cp regression.diffs "$PGQ_SCRATCH/package.diffs" 2>/dev/null
	exit $rc
}

# put pgq back as it was before (see 7. above), remove the scratch copy
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup()
{
	local rc=0

	if [ "$INSTALLED" -eq 1 ] && [ "$WAS_INSTALLED" -eq 0 ]; then
		echo "package: dpkg --purge $PKG"
		if ! pgq_as_root dpkg --purge "$PKG" >"$PGQ_SCRATCH/dpkg.log" 2>&1; then
			cat "$PGQ_SCRATCH/dpkg.log"
			rc=1
		fi
		if [ "$WAS_MADE" -eq 1 ]; then
			echo "package: pgq had been installed from the tree: installing the tree's build again"
			pgq_build_install || rc=1
		fi
	elif [ "$WAS_INSTALLED" -eq 1 ]; then
		echo "package: $PKG was installed before: left installed, at $(dpkg-query -W -f '${Version}' "$PKG")"
	fi
	pgq_scratch_remove
	[ "$rc" -eq 0 ] || fail "could not put pgq back as it was"
}

main()
{
	local rc

	trap 'cleanup' EXIT
	trap 'exit 130' INT TERM
	install_build_deps || fail "could not install the packages the build needs"
	check_versions
	pgq_scratch_new || fail "could not make a scratch copy"
	build
	check_deb
	install_deb
	check_installed
	(cd "$PGQ_SCRATCH/tree" && pgq_as_tester bash test/deb.sh --regress "$PGQ_SCRATCH")
	rc=$?
	rm -f "$PGQ_TREE/log/package.diffs"
	if [ -s "$PGQ_SCRATCH/package.diffs" ]; then
		cp "$PGQ_SCRATCH/package.diffs" "$PGQ_TREE/log/package.diffs"
		echo "package: diffs of the failed tests are in log/package.diffs"
	fi
	exit $rc
}

if [ "${1:-}" = "--regress" ]; then
	PGQ_SCRATCH=$2
	check_regress
fi
main
