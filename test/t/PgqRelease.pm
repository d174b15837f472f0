# test/t/PgqRelease.pm: pgq's released libraries, built from the repository's history
#
# For the TAP tests whose queues must be made by the code of an old release, not by today's
# library under an old release's SQL script (030_upgrade.pl, 035_old_libraries.pl).  Load it
# from a test in test/t with
#
#   use FindBin;
#   use lib $FindBin::Bin;
#   use PgqRelease;
#
# What it holds:
#   %PgqRelease::commit       release => the commit its library is built from
#   releases()                the releases of %commit, oldest first
#   builds_on(V, major)       whether release V's library builds against PostgreSQL major
#   version_cmp(a, b)         compares two version strings numerically, part by part
#   git_dir()                 the git directory to build from: PGQ_GIT_DIR if set (test/run.sh's
#                             scratch copy of the tree has no .git, and points it at a bare clone),
#                             else <tree>/.git; undef if neither
#   no_git_dir()              why git_dir() is undef, for a test's message
#   pg_config(), pkglibdir()  the pg_config the libraries are built with (PG_CONFIG, else the one
#                             in PATH) and its --pkglibdir, to compare with the server's
#   source_version(dir)       the version the source tree in dir builds: its Makefile's EXTVERSION,
#                             or, in trees from before 0.6.0, its pgq.control's default_version
#   library(dir, V)           where build puts release V's library: <dir>/pgq-V/pgq.so
#   build(dir, V)             builds release V's library from its commit into <dir>/pgq-V (never
#                             installed); '' when done, else what went wrong
#   use_library(node, db, so)          points pg_proc.probin of pgq's C functions in database db
#                                      at the library so; returns how many functions it changed
#   use_installed_library(node, db, so)  points them back from so to '$libdir/pgq'; returns how
#                                      many it changed
#   c_functions_using(node, db, probin)  "N of M": N of pgq's M C functions name probin
#
# A session that has called one library's functions must not call the other's (both define the
# same symbols): after use_library or use_installed_library, use new sessions only.

package PgqRelease;

use strict;
use warnings;

use Cwd qw(abs_path);
use Exporter qw(import);
use File::Basename qw(dirname);
use IPC::Run;

use PostgreSQL::Test::Utils;

our @EXPORT_OK = qw(version_cmp);

# the releases and the commits their libraries were built from (the last commit whose
# source_version is the release)
our %commit = ('0.1.0' => 'b8cab1c', '0.2.0' => '41847db', '0.3.0' => 'bb2d05b');

# the source tree: two levels above this file (test/t/PgqRelease.pm)
my $root = abs_path(dirname(__FILE__) . '/../..');

# compare two version strings numerically, part by part
sub version_cmp
{
	my @a = split /\./, $_[0];
	my @b = split /\./, $_[1];
	while (@a || @b)
	{
		my ($x, $y) = (shift(@a) // 0, shift(@b) // 0);
		my $c = ($x =~ /^\d+$/ && $y =~ /^\d+$/) ? $x <=> $y : $x cmp $y;
		return $c if $c;
	}
	return 0;
}

sub releases
{
	return sort { version_cmp($a, $b) } keys %commit;
}

sub git_dir
{
	my $dir = $ENV{PGQ_GIT_DIR};
	return $dir if defined $dir && $dir ne '';
	return -e "$root/.git" ? "$root/.git" : undef;
}

sub no_git_dir
{
	return "none: $root has no .git and PGQ_GIT_DIR is not set";
}

# builds_on(V, major): releases before 0.6.0 build only against PostgreSQL 15 (they call
# functions 16 removed, such as pg_class_ownercheck); 0.6.0 and later build against 15 to 18
sub builds_on
{
	my ($v, $major) = @_;
	return $major == 15 || version_cmp($v, '0.6.0') >= 0;
}

sub pg_config
{
	return $ENV{PG_CONFIG} || 'pg_config';
}

sub pkglibdir
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ pg_config(), '--pkglibdir' ], '>', \$out, '2>', \$err)
	  or die pg_config() . " --pkglibdir failed: $err";
	chomp $out;
	return $out;
}

sub source_version
{
	my ($dir) = @_;
	if (-f "$dir/Makefile" && slurp_file("$dir/Makefile") =~ /^EXTVERSION\s*=\s*(\S+)\s*$/m)
	{
		return $1;
	}
	if (-f "$dir/pgq.control" && slurp_file("$dir/pgq.control") =~ /^default_version\s*=\s*'([^']*)'/m)
	{
		return $1;
	}
	return undef;
}

sub library
{
	my ($tmp, $v) = @_;
	return "$tmp/pgq-$v/pgq.so";
}

# build(dir, V): '' once <dir>/pgq-V/pgq.so is built from V's commit, else what went wrong
sub build
{
	my ($tmp, $v) = @_;
	my $dir = "$tmp/pgq-$v";
	my $git_dir = git_dir();
	my $pg_config = pg_config();
	my ($err, $out) = ('', '');

	return "release $v has no commit in PgqRelease's map (releases there: "
	  . join(', ', map { "$_ $commit{$_}" } releases()) . ')'
	  unless defined $commit{$v};
	return 'no git history to build from: ' . no_git_dir() unless defined $git_dir;
	mkdir $dir or return "cannot make $dir: $!";
	# --git-dir, not -C: a repository owned by another user is then no "dubious ownership"
	my $ok = eval {
		IPC::Run::run([ 'git', "--git-dir=$git_dir", 'archive', $commit{$v} ],
			'2>', \$err, '|', [ 'tar', '-x', '-C', $dir ], '2>>', \$err);
	};
	return "git --git-dir=$git_dir archive $commit{$v} | tar -x -C $dir failed: " . ($@ || $err)
	  unless $ok;
	my $built = source_version($dir) // '(none)';
	return "commit $commit{$v} is not release $v: it builds $built"
	  unless $built eq $v;
	# a make above us (make installcheck) must not hand its flags and jobserver to this one
	$ok = eval {
		IPC::Run::run([ 'make', '-C', $dir, "PG_CONFIG=$pg_config" ], '>&', \$out,
			init => sub { delete @ENV{qw(MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES)} });
	};
	return "make -C $dir PG_CONFIG=$pg_config failed: " . ($@ || $out)
	  unless $ok && -f library($tmp, $v);
	return '';
}

# a string as an SQL literal
sub literal
{
	my ($s) = @_;
	return "'" . ($s =~ s/'/''/gr) . "'";
}

# set probin from one library to another for pgq's functions in db; how many changed
sub repoint
{
	my ($node, $db, $from, $to) = @_;
	my $rows = $node->safe_psql($db, q{
		UPDATE pg_proc SET probin = } . literal($to) . q{
		 WHERE pronamespace = 'pgq'::regnamespace AND probin = } . literal($from) . q{
		RETURNING 1});
	return scalar(() = $rows =~ /^1$/mg);
}

sub use_library
{
	my ($node, $db, $so) = @_;
	return repoint($node, $db, '$libdir/pgq', $so);
}

sub use_installed_library
{
	my ($node, $db, $so) = @_;
	return repoint($node, $db, $so, '$libdir/pgq');
}

sub c_functions_using
{
	my ($node, $db, $probin) = @_;
	return $node->safe_psql($db, q{
		SELECT count(*) FILTER (WHERE p.probin = } . literal($probin) . q{) || ' of ' || count(*)
		  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
		 WHERE p.pronamespace = 'pgq'::regnamespace AND l.lanname = 'c'});
}

# SQL listing the rows of pg_depend that tie a queue table to the extension directly, as
# "table:deptype" ('n': the 0.1.0 library's dependency, 'e': a member of the extension)
sub extension_deps_sql
{
	return q{
	SELECT coalesce(string_agg(c.relname || ':' || d.deptype::text, ',' ORDER BY c.relname, d.deptype), '')
	  FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
	 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_extension'::regclass
	   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgq')
	   AND c.relnamespace = 'pgq'::regnamespace AND c.relname ~ '^[qa]_'};
}

1;
