/*-------------------------------------------------------------------------
 *
 * schema.c
 *		What schema pgq must look like for pgq to run statements in it as
 *		its owner: pgq_check_schema().
 *
 * pgq runs its statements as the owner of schema pgq, and its install and
 * update scripts run with the schema first in search_path.  So nothing in
 * the schema may belong to anyone else, nobody else may create in it, and
 * nobody else may write pgq.meta or hang triggers, rules or policies on it.
 * The same holds for schema pgmq when extension pgq_pgmq is installed: its
 * callers resolve pgmq's function names there, and a function another role
 * put there (an overload taking text, say) would answer their calls.
 * A database restored from a dump of an older version, a schema someone
 * prepared before CREATE EXTENSION, or grants made by hand can each break
 * that; pgq then refuses to work (55000) and says what it found.
 *
 * The check runs in every backend the first time it needs the tables'
 * owner, and again after schema pgq or pgq.meta changes (execute.c); the
 * install and update scripts run it too, through pgq.check_schema(), a
 * function they create and drop again.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "pgq.h"

PG_FUNCTION_INFO_V1(pgq_check_schema_sql);

/*
 * Each row: what is wrong, as a sentence.  $1: whether the tables of queues
 * made before 0.4.0 (owned by the roles that made them) are let through,
 * as the update script needs before it rebuilds them.
 */
static const char *const check_sql =
"WITH n AS ("
"  SELECT s.oid, s.nspowner, s.nspacl, s.nspname FROM pg_catalog.pg_namespace s"
"   WHERE s.nspname OPERATOR(pg_catalog.=) 'pgq'"
"      OR (s.nspname OPERATOR(pg_catalog.=) 'pgmq'"
"          AND EXISTS (SELECT 1 FROM pg_catalog.pg_extension e"
"                       WHERE e.extname OPERATOR(pg_catalog.=) 'pgq_pgmq'))),"
" ext AS ("
"  SELECT d.classid, d.objid FROM pg_catalog.pg_depend d, pg_catalog.pg_extension e"
"   WHERE e.extname OPERATOR(pg_catalog.=) ANY (ARRAY['pgq', 'pgq_pgmq'])"
"     AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass"
"     AND d.refobjid OPERATOR(pg_catalog.=) e.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'),"
" old AS ("
"  SELECT c.oid FROM pg_catalog.pg_class c, n, pgq.meta m"
"   WHERE $1 AND c.relnamespace OPERATOR(pg_catalog.=) n.oid"
"     AND c.relname OPERATOR(pg_catalog.=) ANY (ARRAY[pg_catalog.concat('q_', m.queue_name),"
"                                               pg_catalog.concat('a_', m.queue_name)])),"
" old_all AS ("
"  SELECT o.oid FROM old o"
"  UNION SELECT i.indexrelid FROM pg_catalog.pg_index i"
"   WHERE i.indrelid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT o.oid FROM old o))"
"  UNION SELECT d.objid FROM pg_catalog.pg_depend d"
"   WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
"     AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
"     AND d.refobjid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT o.oid FROM old o))"
"     AND d.deptype OPERATOR(pg_catalog.=) ANY (ARRAY['a', 'i']::pg_catalog.\"char\"[])),"
" objs AS ("
"  SELECT 'pg_catalog.pg_class'::pg_catalog.regclass AS classid, c.oid AS objid,"
"         c.relowner AS owner, c.relnamespace AS nsp"
"    FROM pg_catalog.pg_class c"
"   WHERE NOT c.oid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT o.oid FROM old_all o))"
"  UNION ALL SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, p.proowner, p.pronamespace"
"    FROM pg_catalog.pg_proc p"
"  UNION ALL SELECT 'pg_catalog.pg_operator'::pg_catalog.regclass, o.oid, o.oprowner, o.oprnamespace"
"    FROM pg_catalog.pg_operator o"
"  UNION ALL SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid, t.typowner, t.typnamespace"
"    FROM pg_catalog.pg_type t"
"   WHERE t.typrelid OPERATOR(pg_catalog.=) 0"
"     AND NOT (t.typelem OPERATOR(pg_catalog.<>) 0"
"              AND t.typcategory OPERATOR(pg_catalog.=) 'A')"
"  UNION ALL SELECT 'pg_catalog.pg_collation'::pg_catalog.regclass, l.oid, l.collowner, l.collnamespace"
"    FROM pg_catalog.pg_collation l"
"  UNION ALL SELECT 'pg_catalog.pg_conversion'::pg_catalog.regclass, v.oid, v.conowner, v.connamespace"
"    FROM pg_catalog.pg_conversion v"
"  UNION ALL SELECT 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass, x.oid, x.stxowner, x.stxnamespace"
"    FROM pg_catalog.pg_statistic_ext x"
"  UNION ALL SELECT 'pg_catalog.pg_ts_config'::pg_catalog.regclass, f.oid, f.cfgowner, f.cfgnamespace"
"    FROM pg_catalog.pg_ts_config f"
"  UNION ALL SELECT 'pg_catalog.pg_ts_dict'::pg_catalog.regclass, y.oid, y.dictowner, y.dictnamespace"
"    FROM pg_catalog.pg_ts_dict y"
"  UNION ALL SELECT 'pg_catalog.pg_opclass'::pg_catalog.regclass, k.oid, k.opcowner, k.opcnamespace"
"    FROM pg_catalog.pg_opclass k"
"  UNION ALL SELECT 'pg_catalog.pg_opfamily'::pg_catalog.regclass, a.oid, a.opfowner, a.opfnamespace"
"    FROM pg_catalog.pg_opfamily a)"
/* objects of others in the schema */
" SELECT pg_catalog.format('%s %s belongs to role %s', i.type, i.identity,"
"                         o.owner::pg_catalog.regrole), n.nspname::pg_catalog.text"
"   FROM objs o, n, pg_catalog.pg_identify_object(o.classid, o.objid, 0) i"
"  WHERE o.nsp OPERATOR(pg_catalog.=) n.oid AND i.identity IS NOT NULL"
"    AND o.owner OPERATOR(pg_catalog.<>) n.nspowner"
"    AND NOT EXISTS (SELECT 1 FROM ext"
"                     WHERE ext.classid OPERATOR(pg_catalog.=) o.classid"
"                       AND ext.objid OPERATOR(pg_catalog.=) o.objid)"
/* others' right to create in it */
" UNION ALL"
" SELECT pg_catalog.format('role %s may create objects in schema %s',"
"                         CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'"
"                              ELSE a.grantee::pg_catalog.regrole::pg_catalog.text END,"
"                         n.nspname), n.nspname::pg_catalog.text"
"   FROM n, pg_catalog.aclexplode(n.nspacl) a"
"  WHERE NOT $1 AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'"
"    AND a.grantee OPERATOR(pg_catalog.<>) n.nspowner"
/* others' rights on a partition of a queue table (pg_partman's), which has no row-level security */
" UNION ALL"
" SELECT pg_catalog.format('partition %s grants %s to role %s', c.oid::pg_catalog.regclass,"
"                         a.privilege_type,"
"                         CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'"
"                              ELSE a.grantee::pg_catalog.regrole::pg_catalog.text END), n.nspname::pg_catalog.text"
"   FROM n, pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a"
"  WHERE c.relnamespace OPERATOR(pg_catalog.=) n.oid AND c.relispartition"
"    AND a.grantee OPERATOR(pg_catalog.<>) c.relowner"
/* others' rights on pgq.meta beyond reading it */
" UNION ALL"
" SELECT pg_catalog.format('role %s holds %s on pgq.meta',"
"                         CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'"
"                              ELSE a.grantee::pg_catalog.regrole::pg_catalog.text END,"
"                         a.privilege_type), 'pgq'"
"   FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a"
"  WHERE NOT $1 AND c.oid OPERATOR(pg_catalog.=) 'pgq.meta'::pg_catalog.regclass"
"    AND a.privilege_type OPERATOR(pg_catalog.<>) 'SELECT'"
"    AND a.grantee OPERATOR(pg_catalog.<>) c.relowner"
" UNION ALL"
" SELECT pg_catalog.format('column %s of pgq.meta has privileges of its own', t.attname), 'pgq'"
"   FROM pg_catalog.pg_attribute t"
"  WHERE NOT $1 AND t.attrelid OPERATOR(pg_catalog.=) 'pgq.meta'::pg_catalog.regclass"
"    AND t.attacl IS NOT NULL"
/* code hung on pgq.meta */
" UNION ALL"
" SELECT pg_catalog.format('pgq.meta has %s', w.what), 'pgq'"
"   FROM (SELECT pg_catalog.concat('trigger ', g.tgname) AS what FROM pg_catalog.pg_trigger g"
"          WHERE g.tgrelid OPERATOR(pg_catalog.=) 'pgq.meta'::pg_catalog.regclass"
"         UNION ALL SELECT pg_catalog.concat('rule ', r.rulename) FROM pg_catalog.pg_rewrite r"
"          WHERE r.ev_class OPERATOR(pg_catalog.=) 'pgq.meta'::pg_catalog.regclass"
"         UNION ALL SELECT pg_catalog.concat('policy ', p.polname) FROM pg_catalog.pg_policy p"
"          WHERE p.polrelid OPERATOR(pg_catalog.=) 'pgq.meta'::pg_catalog.regclass) w"
" ORDER BY 2 DESC, 1";

/* how many findings the error lists at most */
#define MAX_LISTED	10

/*
 * Raise 55000 unless schema pgq is as pgq needs it; see the file header.
 * With old_queues, the tables of queues made before 0.4.0 and their
 * indexes, sequences and row types may belong to other roles, and grants
 * on the schema and pgq.meta are not looked at (the update revokes them).
 */
void
pgq_check_schema(bool old_queues)
{
	Oid			argtypes[1] = {BOOLOID};
	Datum		values[1];
	StringInfoData found;
	uint64		i;

	pgq_spi_connect();
	values[0] = BoolGetDatum(old_queues);
	if (SPI_execute_with_args(check_sql, 1, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "pgq: checking schema pgq failed");
	if (SPI_processed == 0)
	{
		pgq_spi_finish();
		return;
	}

	initStringInfo(&found);
	for (i = 0; i < SPI_processed && i < MAX_LISTED; i++)
		appendStringInfo(&found, "%s%s", i > 0 ? "\n" : "",
						 SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	if (SPI_processed > MAX_LISTED)
		appendStringInfo(&found, "\n... and " UINT64_FORMAT " more", SPI_processed - MAX_LISTED);

	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("schema %s holds objects or grants pgq cannot trust",
					SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2)),
			 errdetail("%s", found.data),
			 errhint("Every object in schemas pgq and pgmq (with extension pgq_pgmq) must belong to the schema's owner, and only its owner may create in it or write pgq.meta: drop, move or revoke what is listed. A dump of pgq before 0.4.0 is restored into CREATE EXTENSION pgq VERSION '0.3.0', then ALTER EXTENSION pgq UPDATE.")));
}

/*
 * check_schema(old_queues boolean) returns void: pgq_check_schema, for the
 * install and update scripts
 */
Datum
pgq_check_schema_sql(PG_FUNCTION_ARGS)
{
	pgq_check_schema(PG_GETARG_BOOL(0));
	PG_RETURN_VOID();
}
