/*-------------------------------------------------------------------------
 *
 * partition.c
 *		pgmq's partitioned queues, through pg_partman: what a queue's
 *		partitioning is, handing its tables to pg_partman, and taking them
 *		back when the queue is dropped.
 *
 * A partitioned queue's tables are partitioned by range, by msg_id (the
 * partition interval is a number of ids) or by time (an interval:
 * enqueued_at in q_<name>, archived_at in a_<name>).  pg_partman makes the
 * partitions ahead of the data and drops those past the retention when its
 * maintenance runs (its background worker, or run_maintenance() called by
 * pg_cron).  Partitions belong to the owner of their parent, pgq's tables'
 * owner, and pg_partman gives them no privileges: roles reach the rows only
 * through the parent, whose privileges and row-level security pgq manages.
 *
 * pg_partman's functions run as pgq's tables' owner, so the schema they
 * are in must be as trustworthy as schema pgq: owned by a superuser or that
 * owner, nobody else able to create in it, and everything in it theirs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "pgq.h"

static bool is_count(const char *s);
static void check_interval(const char *s, const char *argname);
static char *partman_schema(bool missing_ok, bool *v5);

/* 1 to 18 digits: a count of messages */
static bool
is_count(const char *s)
{
	size_t		len = strlen(s);
	size_t		i;

	if (len < 1 || len > 18)
		return false;
	for (i = 0; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

/* s must be a positive interval of time */
static void
check_interval(const char *s, const char *argname)
{
	Interval   *iv = DatumGetIntervalP(DirectFunctionCall3(interval_in, CStringGetDatum(s),
														   ObjectIdGetDatum(InvalidOid),
														   Int32GetDatum(-1)));

	if (iv->month < 0 || iv->day < 0 || iv->time < 0 ||
		(iv->month == 0 && iv->day == 0 && iv->time == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a positive interval, not \"%s\"", argname, s)));
}

/*
 * Reject a name pg_partman cannot take: it splits "schema.table" at the
 * dot and names partitions after the table, so a partitioned queue's name
 * is made of lower-case letters, digits, underscores and hyphens.
 */
void
pgq_check_partitioned_name(const char *name)
{
	const char *c;

	for (c = name; *c != '\0'; c++)
	{
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_NAME),
					 errmsg("invalid name for a partitioned queue \"%s\"", name),
					 errdetail("The names of partitioned queues are made of lower-case letters, digits, underscores and hyphens.")));
	}
}

/*
 * Fill part from create_partitioned's arguments: both counts of messages
 * (partitions by msg_id), or both intervals of time.
 */
void
pgq_parse_partitioning(const char *interval, const char *retention, PgqPartitioning *part)
{
	memset(part, 0, sizeof(PgqPartitioning));
	part->interval = interval;
	part->retention = retention;
	part->by_id = is_count(interval);
	if (part->by_id)
	{
		if (!is_count(retention) || strspn(interval, "0") == strlen(interval) ||
			strspn(retention, "0") == strlen(retention))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("partition_interval and retention_interval must both be positive numbers of messages, or both intervals of time"),
					 errdetail("partition_interval is \"%s\", retention_interval \"%s\".",
							   interval, retention)));
		part->q_column = "msg_id";
		part->a_column = "msg_id";
	}
	else
	{
		check_interval(interval, "partition_interval");
		check_interval(retention, "retention_interval");
		part->q_column = "enqueued_at";
		part->a_column = "archived_at";
	}
}

/*
 * The schema of extension pg_partman, once it is checked to be trusted (see
 * the file header); NULL if pg_partman is not installed and missing_ok.
 * *v5: pg_partman 5 or later.  Called connected to SPI, as the tables'
 * owner.
 */
static char *
partman_schema(bool missing_ok, bool *v5)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1];
	bool		isnull;
	char	   *schema;
	int64		untrusted;

	values[0] = ObjectIdGetDatum(pgq_tables_owner());
	if (SPI_execute_with_args(
			"WITH e AS (SELECT x.extnamespace AS nsp, x.extversion FROM pg_catalog.pg_extension x"
			"            WHERE x.extname OPERATOR(pg_catalog.=) 'pg_partman'),"
			" t AS (SELECT pg_catalog.array_agg(r.oid) AS ok FROM pg_catalog.pg_roles r"
			"        WHERE r.rolsuper OR r.oid OPERATOR(pg_catalog.=) $1)"
			" SELECT s.nspname::pg_catalog.text,"
			"  pg_catalog.split_part(e.extversion, '.', 1) OPERATOR(pg_catalog.>=) '5',"
			"  (SELECT pg_catalog.count(*) FROM pg_catalog.aclexplode(s.nspacl) a"
			"    WHERE a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'"
			"      AND NOT a.grantee OPERATOR(pg_catalog.=) ANY (t.ok))"
			"  OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_proc p"
			"    WHERE p.pronamespace OPERATOR(pg_catalog.=) e.nsp"
			"      AND NOT p.proowner OPERATOR(pg_catalog.=) ANY (t.ok))"
			"  OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_class c"
			"    WHERE c.relnamespace OPERATOR(pg_catalog.=) e.nsp"
			"      AND NOT c.relowner OPERATOR(pg_catalog.=) ANY (t.ok))"
			"  OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_operator o"
			"    WHERE o.oprnamespace OPERATOR(pg_catalog.=) e.nsp"
			"      AND NOT o.oprowner OPERATOR(pg_catalog.=) ANY (t.ok))"
			"  OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_type y"
			"    WHERE y.typnamespace OPERATOR(pg_catalog.=) e.nsp"
			"      AND NOT y.typowner OPERATOR(pg_catalog.=) ANY (t.ok))"
			"  OPERATOR(pg_catalog.+) CASE WHEN s.nspowner OPERATOR(pg_catalog.=) ANY (t.ok)"
			"   THEN 0 ELSE 1 END"
			" FROM e, t, pg_catalog.pg_namespace s WHERE s.oid OPERATOR(pg_catalog.=) e.nsp",
			1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "pgq: looking for pg_partman failed");
	if (SPI_processed == 0)
	{
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("partitioned queues need extension pg_partman"),
				 errhint("A superuser can install it: CREATE EXTENSION pg_partman SCHEMA partman;")));
	}
	schema = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	*v5 = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	untrusted = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	if (untrusted > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schema %s of pg_partman holds objects or grants pgq cannot trust", schema),
				 errdetail("pgq runs pg_partman's functions as the owner of its tables."),
				 errhint("Every object in schema %s must belong to a superuser, and no other role may create in it.",
						 schema)));
	return schema;
}

/*
 * Hand queue name's new tables, partitioned as part says, to pg_partman:
 * it makes their first partitions now, and the next ones and the retention
 * on maintenance.  Called as the tables' owner, connected to SPI.
 */
void
pgq_partition_tables(const char *name, const PgqPartitioning *part)
{
	bool		v5;
	const char *schema = quote_identifier(partman_schema(false, &v5));
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[4];
	int			t;

	for (t = 0; t < 2; t++)
	{
		values[0] = CStringGetTextDatum(psprintf("pgq.%c_%s", t == 0 ? 'q' : 'a', name));
		values[1] = CStringGetTextDatum(t == 0 ? part->q_column : part->a_column);
		values[2] = CStringGetTextDatum(part->interval);
		values[3] = CStringGetTextDatum(v5 ? "range" : "native");
		if (SPI_execute_with_args(psprintf("SELECT %s.create_parent(p_parent_table := $1,"
										   " p_control := $2, p_interval := $3, p_type := $4)",
										   schema),
								  4, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "pgq: pg_partman's create_parent failed for queue \"%s\"", name);
		values[1] = CStringGetTextDatum(part->retention);
		if (SPI_execute_with_args(psprintf("UPDATE %s.part_config SET retention = $2,"
										   " retention_keep_table = false,"
										   " retention_keep_index = false,"
										   " automatic_maintenance = 'on',"
										   " inherit_privileges = false"
										   " WHERE parent_table OPERATOR(pg_catalog.=) $1",
										   schema),
								  2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE ||
			SPI_processed != 1)
			elog(ERROR, "pgq: configuring pg_partman's retention failed for queue \"%s\"", name);
	}
}

/*
 * Take queue name's tables back from pg_partman before they are dropped:
 * its configuration rows, and the template tables it made for them.
 * Nothing to do without pg_partman.  Called as the tables' owner, connected
 * to SPI.
 */
void
pgq_forget_partitions(const char *name)
{
	bool		v5;
	char	   *schema = partman_schema(true, &v5);
	const char *qschema;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	uint64		i;
	uint64		ntemplates;
	SPITupleTable *templates;

	if (schema == NULL)
		return;
	qschema = quote_identifier(schema);
	values[0] = CStringGetTextDatum(psprintf("pgq.q_%s", name));
	values[1] = CStringGetTextDatum(psprintf("pgq.a_%s", name));
	if (SPI_execute_with_args(psprintf("DELETE FROM %s.part_config"
									   " WHERE parent_table OPERATOR(pg_catalog.=) ANY (ARRAY[$1, $2])"
									   " RETURNING pg_catalog.to_regclass(template_table)::pg_catalog.oid",
									   qschema),
							  2, argtypes, values, NULL, false, 0) != SPI_OK_DELETE_RETURNING)
		elog(ERROR, "pgq: removing queue \"%s\" from pg_partman failed", name);
	templates = SPI_tuptable;
	ntemplates = SPI_processed;
	for (i = 0; i < ntemplates; i++)
	{
		bool		isnull;
		Oid			template = DatumGetObjectId(SPI_getbinval(templates->vals[i],
															  templates->tupdesc, 1, &isnull));

		/* only the template pg_partman made for us, as we are its owner */
		if (!isnull && get_rel_namespace(template) == get_namespace_oid(schema, false) &&
			pg_class_ownercheck(template, GetUserId()))
			pgq_run_sql(psprintf("DROP TABLE %s.%s", qschema,
								 quote_identifier(get_rel_name(template))),
						SPI_OK_UTILITY, "dropping pg_partman's template", name);
	}
}
