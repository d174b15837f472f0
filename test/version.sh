#!/bin/bash
# test/version.sh: every file that names pgq's version or its maintainers agrees with the Makefile
#
#   make check-version      makes the control files and the install scripts, then runs this
#   bash test/version.sh    in a tree where make has run
#
# The Makefile's EXTVERSION and MAINTAINER (read as text: pgq_makefile_var) are the reference.  Each comparison is one check:
#   - default_version of each control file made from a *.control.in
#   - META.json: "version"; the extensions of "provides" are those of the control files; for each,
#     its "version", its "file" (sql/<extension>--EXTVERSION.sql), and that this file exists
#   - the upstream part of the version of debian/changelog's top entry
#   - the version of CHANGELOG.md's first release heading; each heading reads "## X.Y.Z (YYYY-MM-DD)";
#     each date is not later than the one above it
#   - each earlier release of CHANGELOG.md has its install script sql/pgq--X.Y.Z.sql, tracked by git
#     when the tree is a git work tree
#   - each extension's install script of EXTVERSION (which make writes) is not in git
#   - debian/changelog's top entry is dated as CHANGELOG.md dates its upstream version
#   - the maintainers' contact: debian/control's and debian/control.in's Maintainer, the trailer
#     line of debian/changelog's top entry, META.json's "maintainer" and "generated_by"
# Prints one line per check, then, last, "version N M": N checks passed, M failed.  Exits 1 if a
# check failed.

set -u

# shellcheck source=test/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PGQ_TREE" || exit 1

PASSED=0
FAILED=0

pass()
{
	echo "version: ok    $*"
	PASSED=$((PASSED + 1))
}

fail()
{
	echo "version: FAIL  $*"
	FAILED=$((FAILED + 1))
}

# same WHAT GOT WANT [REFERENCE]: one check, that WHAT (GOT) is WANT, which REFERENCE names
same()
{
	local reference=${4:-"the Makefile's EXTVERSION"}

	if [ "$2" = "$3" ]; then
		pass "$1: $2"
	else
		fail "$1 is \"$2\", but $reference is \"$3\""
	fi
}

finish()
{
	echo "version $PASSED $FAILED"
	[ "$FAILED" -eq 0 ]
	exit
}

# iso_date TEXT: TEXT as YYYY-MM-DD, empty if it is no date
iso_date()
{
	date -d "$1" +%F 2>/dev/null
}

VERSION=$(pgq_makefile_var . EXTVERSION)
MAINTAINER=$(pgq_makefile_var . MAINTAINER)
if [ -z "$VERSION" ] || [ -z "$MAINTAINER" ]; then
	fail "the Makefile's EXTVERSION (\"$VERSION\") and MAINTAINER (\"$MAINTAINER\") cannot be read"
	finish
fi
echo "version: the Makefile: EXTVERSION $VERSION, MAINTAINER $MAINTAINER"

# the control files
EXTENSIONS=()
for template in *.control.in; do
	[ -e "$template" ] || continue
	ext=${template%.control.in}
	EXTENSIONS+=("$ext")
	if [ ! -f "$ext.control" ]; then
		fail "$ext.control is missing: run make"
		continue
	fi
	same "$ext.control default_version" \
		"$(sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" "$ext.control")" "$VERSION"
done
if [ ${#EXTENSIONS[@]} -eq 0 ]; then
	fail "no *.control.in in the tree"
fi

# META.json, as "key<TAB>value" lines
meta()
{
	awk -F '\t' -v k="$1" '$1 == k { print $2 }' <<<"$META"
}
META_OK=0
if META=$(perl -MJSON::PP -0777 -ne '
	my $m = decode_json($_);
	my $who = sub { ref $_[0] eq "ARRAY" ? join(", ", @{$_[0]}) : $_[0] // "" };
	print "version\t", $m->{version} // "", "\n";
	print "maintainer\t", $who->($m->{maintainer}), "\n";
	print "generated_by\t", $who->($m->{generated_by}), "\n";
	print "provides\t", join(" ", sort keys %{$m->{provides} // {}}), "\n";
	for my $e (sort keys %{$m->{provides} // {}})
	{
		print "$e.$_\t", $m->{provides}{$e}{$_} // "", "\n" for qw(version file);
	}' META.json 2>&1); then
	META_OK=1
	same 'META.json "version"' "$(meta version)" "$VERSION"
	same 'META.json "provides"' "$(meta provides)" "$(printf '%s\n' "${EXTENSIONS[@]}" | sort | xargs)" \
		'the list of *.control.in'
	for ext in "${EXTENSIONS[@]}"; do
		same "META.json \"provides\" $ext \"version\"" "$(meta "$ext.version")" "$VERSION"
		file=$(meta "$ext.file")
		same "META.json \"provides\" $ext \"file\"" "$file" "sql/$ext--$VERSION.sql" \
			"the install script of EXTVERSION"
		if [ -n "$file" ] && [ -f "$file" ]; then
			pass "META.json \"provides\" $ext \"file\" $file exists"
		else
			fail "META.json \"provides\" $ext \"file\" \"$file\" does not exist (after make, it should)"
		fi
	done
else
	fail "META.json cannot be read: $META"
fi

# debian/changelog, as "version<TAB>maintainer<TAB>date" lines, newest first
DEBIAN=$(awk '
	/^[a-z0-9][a-z0-9.+-]* \(/ { v = $2; gsub(/[()]/, "", v); next }
	/^ -- / {
		line = substr($0, 5)
		i = index(line, "  ")
		print v "\t" substr(line, 1, i - 1) "\t" substr(line, i + 2)
	}' debian/changelog)
# upstream part: no epoch, no Debian revision
deb_upstream()
{
	local v=${1#*:}
	echo "${v%-*}"
}
same "debian/changelog top entry (upstream part)" "$(deb_upstream "$(head -n 1 <<<"$DEBIAN" | cut -f 1)")" "$VERSION"

# CHANGELOG.md's release headings
HEADINGS=$(grep '^## ' CHANGELOG.md)
same "CHANGELOG.md first release heading" \
	"$(head -n 1 <<<"$HEADINGS" | sed -n 's/^## \([^ ]*\).*/\1/p')" "$VERSION"
declare -A DATE
previous=
while read -r heading; do
	if [[ $heading =~ ^##\ ([0-9]+\.[0-9]+\.[0-9]+)\ \(([0-9]{4}-[0-9]{2}-[0-9]{2})\)$ ]] &&
		[ "$(iso_date "${BASH_REMATCH[2]}")" = "${BASH_REMATCH[2]}" ]; then
		pass "CHANGELOG.md \"$heading\" has a version and a date"
		DATE[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
		if [ -n "$previous" ]; then
			if [[ ! ${BASH_REMATCH[2]} > $previous ]]; then
				pass "CHANGELOG.md \"$heading\" is dated no later than the release above it ($previous)"
			else
				fail "CHANGELOG.md \"$heading\" is dated later than the release above it ($previous)"
			fi
		fi
		previous=${BASH_REMATCH[2]}
	else
		fail "CHANGELOG.md \"$heading\" does not read \"## X.Y.Z (YYYY-MM-DD)\" with a real date"
	fi
done <<<"$HEADINGS"

# the install script of each earlier release: kept in sql/, and in git where there is one
# (.gitignore hides sql/pgq--X.Y.Z.sql, which make writes for EXTVERSION)
in_git=0
[ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ] && in_git=1
tracked()
{
	git ls-files --error-unmatch -- "$1" >/dev/null 2>&1
}
# (each extension from the oldest release it has an install script for: pgq_pgmq came in 0.5.0)
for ext in "${EXTENSIONS[@]}"; do
	first=$(find sql -maxdepth 1 -name "$ext--*.sql" ! -name "$ext--*--*.sql" | sed "s|^sql/$ext--||; s|\.sql$||" |
		sort -V | head -n 1)
	for release in $(printf '%s\n' "${!DATE[@]}" | sort -V); do
		[ "$release" != "$VERSION" ] || continue
		[ -n "$first" ] && [ "$(printf '%s\n%s\n' "$first" "$release" | sort -V | head -n 1)" = "$first" ] || continue
		f=sql/$ext--$release.sql
		if [ "$in_git" -eq 1 ]; then
			if tracked "$f"; then
				pass "$f, the install script of $release, is in git"
			else
				fail "$f, the install script of $release, is not in git (git add -f $f)"
			fi
		elif [ -f "$f" ]; then
			pass "$f, the install script of $release, is there"
		else
			fail "$f, the install script of $release, is missing"
		fi
	done
	# the one make writes from sql/$ext.sql must not be a released script git keeps: make would
	# overwrite it (EXTVERSION not moved on after a release)
	f=sql/$ext--$VERSION.sql
	if [ "$in_git" -eq 1 ]; then
		if tracked "$f"; then
			fail "$f is in git, but make writes it from sql/$ext.sql: is EXTVERSION the released version?"
		else
			pass "$f, made from sql/$ext.sql, is not in git"
		fi
	fi
done

# debian/changelog's top entry: its date and contact (older entries stay as they were written)
while IFS=$'\t' read -r version who when; do
	upstream=$(deb_upstream "$version")
	# the day as its author wrote it: "Sun, 29 Nov 2026 21:45:00 +0000" -> 29 Nov 2026
	day=$(iso_date "$(awk '{ print $2, $3, $4 }' <<<"$when")")
	if [ -z "${DATE[$upstream]:-}" ]; then
		fail "debian/changelog $version: CHANGELOG.md has no dated heading for $upstream"
	elif [ "$day" = "${DATE[$upstream]}" ]; then
		pass "debian/changelog $version is dated $day, as CHANGELOG.md dates $upstream"
	else
		fail "debian/changelog $version is dated \"$day\", CHANGELOG.md dates $upstream ${DATE[$upstream]}"
	fi
	same "debian/changelog $version trailer" "$who" "$MAINTAINER" "the Makefile's MAINTAINER"
done <<<"$(head -n 1 <<<"$DEBIAN")"

for f in debian/control debian/control.in; do
	same "$f Maintainer" "$(sed -n 's/^Maintainer: *//p' "$f")" "$MAINTAINER" "the Makefile's MAINTAINER"
done
if [ "$META_OK" -eq 1 ]; then
	same 'META.json "maintainer"' "$(meta maintainer)" "$MAINTAINER" "the Makefile's MAINTAINER"
	same 'META.json "generated_by"' "$(meta generated_by)" "$MAINTAINER" "the Makefile's MAINTAINER"
fi

finish
