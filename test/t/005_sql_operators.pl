# test/t/005_sql_operators.pl: no script in sql/ leaves an operator to search_path
#
# Extension scripts run with schema pgq first in search_path, and in 0.3.0 a role that could
# create objects in schema pgq could also define an operator there: an unqualified "=" in an
# upgrade script then ran that role's function as the superuser updating.  So every operator in
# every file under sql/ is written OPERATOR(pg_catalog.<op>).
#
# Each script is read as code: comments and single-quoted literals are left out, while
# dollar-quoted bodies (DO blocks, functions) are code like the rest.  What may stand unqualified
# is not an operator: "::" casts, ":=" assignments, "=>" named arguments, the "=" of RAISE's
# USING options, the "*" of "SELECT *", "count(*)" and "RETURNING *", and a minus sign starting
# a number.  Any other run of operator
# characters is reported with its file and line.  The check is shown to catch what it must on
# made-up lines, so that it cannot pass by reading nothing.

use strict;
use warnings;

use File::Basename qw(dirname);
use File::Spec;
use Test::More;

# the operator runs of one script's text that are not qualified, as "line: text"
sub unqualified_operators
{
	my ($text) = @_;
	my @found;

	# blank out comments and single-quoted literals, keeping line breaks (and so line numbers)
	my $blank = sub { (my $s = $_[0]) =~ s/[^\n]/ /g; return $s; };
	$text =~ s{(--[^\n]*|/\*.*?\*/|'(?:[^']|'')*')}{$blank->($1)}gse;
	# qualified operators are fine
	$text =~ s{OPERATOR\s*\(\s*pg_catalog\s*\.\s*[^)\s]+\s*\)}{$blank->($&)}gsie;

	my @lines = split /\n/, $text, -1;
	for my $n (0 .. $#lines)
	{
		my $line = $lines[$n];
		while ($line =~ /([-+*\/<>=~!@#%^&|`?]+)/g)
		{
			my ($op, $at) = ($1, $-[1]);
			my $before = substr($line, 0, $at);
			my $after = substr($line, $at + length $op);
			next if $op eq '=>' && $before =~ /\w\s*$/;                # named argument
			next if $op eq '=' && $before =~ /:$/;                     # := (the ":" is before)
			next if $op eq '=' && $before =~ /\b(?:ERRCODE|MESSAGE|DETAIL|HINT)\s*$/i; # RAISE USING
			next if $op eq '*' && ($before =~ /(?:\(|\.|\bSELECT|\bRETURNING|,)\s*$/i
				|| $after =~ /^\s*(?:\)|,|FROM\b)/i);                    # a star, not a product
			next if $op eq '-' && $after =~ /^\d/ && $before =~ /(?:[(,=]|\bDEFAULT|\bTHEN|\bELSE)\s*$/i;
			push @found, ($n + 1) . ": $op in \"" . ($line =~ s/^\s+|\s+$//gr) . '"';
		}
	}
	return @found;
}

# the check itself: it must flag what an attacker would use, and let pass the qualified form
is_deeply([ unqualified_operators("WHERE a = b") ], [ '1: = in "WHERE a = b"' ],
	'an unqualified = is reported');
is(scalar unqualified_operators("SELECT 'q_' || name"), 1, 'an unqualified || is reported');
is(scalar unqualified_operators("DO \$\$ BEGIN IF x <> 0 THEN NULL; END IF; END \$\$;"), 1,
	'an operator inside a DO block is reported');
is(scalar unqualified_operators("WHERE a OPERATOR(pg_catalog.=) b -- a = b\n AND c = 'x = y'"), 1,
	'qualified operators, comments and literals are not; the bare = on line 2 is');
is(scalar unqualified_operators("SELECT count(*), x::int, f(a => 1) FROM t; y := 2; RETURNING *"), 0,
	'casts, assignments, named arguments and stars are not operators');

my $sqldir = File::Spec->rel2abs(dirname(__FILE__) . '/../../sql');
opendir(my $dh, $sqldir) or die "cannot read $sqldir: $!";
my @files = sort grep { /\.sql$/ } readdir $dh;
closedir $dh;
ok(scalar @files >= 2, 'sql/ has scripts to check: ' . join(' ', @files));
# the install scripts edited by hand; make copies them under the current version
for my $file (qw(pgq.sql pgq_pgmq.sql))
{
	ok((grep { $_ eq $file } @files), "sql/$file is among the scripts checked");
}

for my $file (@files)
{
	open(my $fh, '<', "$sqldir/$file") or die "cannot read $sqldir/$file: $!";
	my $text = do { local $/; <$fh> };
	close $fh;
	my @found = unqualified_operators($text);
	is(join("\n", @found), '', "sql/$file: every operator is OPERATOR(pg_catalog.<op>)");
}

done_testing();
