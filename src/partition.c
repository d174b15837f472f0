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
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "pgq.h"

/* see pgq_check_partitioned_name */
#define PGQ_MAX_PARTITIONED_NAME_LEN	39

PG_FUNCTION_INFO_V1(pgq_convert_archive_partitioned);

static bool is_count(const char *s);
static void check_interval(const char *s, const char *argname);
static char *partman_schema(bool missing_ok, bool *v5);
static void check_no_temp_objects(void);
static bool reset_partitions(Oid parent, const char *default_name);

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

	/*
	 * pg_partman cuts the table's name short where "<table>_p<suffix>" would
	 * pass NAMEDATALEN - 1 bytes, and two queues whose names begin alike
	 * would then name their partitions alike: q_<name> plus the longest
	 * suffix ("_p" and 18 digits, or a time to the second) must fit.
	 */
	if (strlen(name) > PGQ_MAX_PARTITIONED_NAME_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid name for a partitioned queue \"%s\"", name),
				 errdetail("The names of partitioned queues are at most %d bytes long.",
						   PGQ_MAX_PARTITIONED_NAME_LEN)));

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
			/*
			 * superusers, the tables' owner, and pg_database_owner (owner of
			 * schema public since PostgreSQL 15) if the database's owner is
			 * one of those
			 */
			" d AS (SELECT r.rolsuper OR r.oid OPERATOR(pg_catalog.=) $1 AS trusted"
			"        FROM pg_catalog.pg_database b, pg_catalog.pg_roles r"
			"       WHERE b.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()"
			"         AND r.oid OPERATOR(pg_catalog.=) b.datdba),"
			" t AS (SELECT pg_catalog.array_agg(r.oid) AS ok FROM pg_catalog.pg_roles r, d"
			"        WHERE r.rolsuper OR r.oid OPERATOR(pg_catalog.=) $1"
			"           OR (d.trusted AND r.rolname OPERATOR(pg_catalog.=) 'pg_database_owner')),"
			/*
			 * the relations in pg_partman's schema, but the templates it
			 * makes for other tables (template_<schema>_<table>, which no
			 * name pg_partman resolves can take), unless the name is one of a
			 * template of pgq's (template_pgq_<q|a>_<queue>)
			 */
			" c AS (SELECT r.oid, r.relowner, r.relacl FROM pg_catalog.pg_class r, e"
			"        WHERE r.relnamespace OPERATOR(pg_catalog.=) e.nsp"
			"          AND NOT (r.relkind OPERATOR(pg_catalog.=) 'r'"
			"                   AND pg_catalog.starts_with(r.relname, 'template_')"
			"                   AND NOT pg_catalog.starts_with(r.relname, 'template_pgq_')))"
			" SELECT s.nspname::pg_catalog.text,"
			"  pg_catalog.split_part(e.extversion, '.', 1)::pg_catalog.int4 OPERATOR(pg_catalog.>=) 5,"
			"  (SELECT pg_catalog.count(*) FROM pg_catalog.aclexplode(s.nspacl) a"
			"    WHERE a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'"
			"      AND NOT a.grantee OPERATOR(pg_catalog.=) ANY (t.ok))"
			"  OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_proc p"
			"    WHERE p.pronamespace OPERATOR(pg_catalog.=) e.nsp"
			"      AND NOT p.proowner OPERATOR(pg_catalog.=) ANY (t.ok))"
			"  OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM c"
			"    WHERE NOT c.relowner OPERATOR(pg_catalog.=) ANY (t.ok))"
			/* others' rights to write pg_partman's tables (part_config: what it does, to what) */
			"  OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM c,"
			"    pg_catalog.aclexplode(c.relacl) a"
			"    WHERE a.privilege_type OPERATOR(pg_catalog.<>) 'SELECT'"
			"      AND NOT a.grantee OPERATOR(pg_catalog.=) ANY (t.ok))"
			/* the same, granted on columns */
			"  OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM c,"
			"    pg_catalog.pg_attribute t2, pg_catalog.aclexplode(t2.attacl) a"
			"    WHERE t2.attrelid OPERATOR(pg_catalog.=) c.oid"
			"      AND a.privilege_type OPERATOR(pg_catalog.<>) 'SELECT'"
			"      AND NOT a.grantee OPERATOR(pg_catalog.=) ANY (t.ok))"
			"  OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_operator o"
			"    WHERE o.oprnamespace OPERATOR(pg_catalog.=) e.nsp"
			"      AND NOT o.oprowner OPERATOR(pg_catalog.=) ANY (t.ok))"
			"  OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_type y"
			"    WHERE y.typnamespace OPERATOR(pg_catalog.=) e.nsp"
			"      AND NOT y.typowner OPERATOR(pg_catalog.=) ANY (t.ok)"
			"      AND NOT (pg_catalog.starts_with(y.typname, 'template_')"
			"               AND NOT pg_catalog.starts_with(y.typname, 'template_pgq_'))"
			"      AND NOT (pg_catalog.starts_with(y.typname, '_template_')"
			"               AND NOT pg_catalog.starts_with(y.typname, '_template_pgq_')))"
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
 * pg_partman's functions set their search_path to their schema, pg_temp,
 * then the caller's: the session's temporary tables and types would come
 * before pg_catalog's in what they run as the tables' owner.  Refuse in a
 * session that has any.
 */
static void
check_no_temp_objects(void)
{
	Oid			temp;
	Oid			temp_toast;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1];
	bool		isnull;

	GetTempNamespaceState(&temp, &temp_toast);
	if (!OidIsValid(temp))
		return;
	values[0] = ObjectIdGetDatum(temp);
	if (SPI_execute_with_args("SELECT (SELECT pg_catalog.count(*) FROM pg_catalog.pg_class c"
							  "         WHERE c.relnamespace OPERATOR(pg_catalog.=) $1)"
							  " OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_type t"
							  "         WHERE t.typnamespace OPERATOR(pg_catalog.=) $1)",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "pgq: looking at the session's temporary objects failed");
	if (DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot hand a queue to pg_partman in a session that has temporary tables or types"),
				 errdetail("pg_partman looks in the session's temporary schema before pg_catalog."),
				 errhint("Drop them, or call the function in a new session.")));
}

/*
 * Take back from every partition of table parent the privileges the
 * default privileges of their maker gave (pgq_check_schema refuses the
 * queue while a partition has any).  Returns whether one of them is named
 * default_name.  Called as the tables' owner, connected to SPI.
 */
static bool
reset_partitions(Oid parent, const char *default_name)
{
	List	   *children = find_all_inheritors(parent, NoLock, NULL);
	ListCell   *lc;
	bool		found = false;

	foreach(lc, children)
	{
		Oid			child = lfirst_oid(lc);

		if (child == parent)
			continue;
		if (strcmp(get_rel_name(child), default_name) == 0)
			found = true;
		pgq_reset_privileges(child);
	}
	return found;
}

/*
 * Hand queue name's new table <prefix>_<name> (prefix 'q' or 'a'),
 * partitioned as part says, to pg_partman: it makes its first partitions
 * now (premake of them ahead, 0: pg_partman's default), the next ones and
 * the retention on maintenance.  Called as the tables' owner, connected to
 * SPI.
 */
void
pgq_partition_table(const char *name, char prefix, const PgqPartitioning *part, int premake)
{
	bool		v5;
	char	   *nspname = partman_schema(false, &v5);
	const char *schema = quote_identifier(nspname);
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[4];

	check_no_temp_objects();

	/*
	 * pg_partman makes the template with CREATE TABLE IF NOT EXISTS: one of
	 * that name already there (made for another schema's table whose name
	 * it shares) would shape the queue's partitions
	 */
	if (OidIsValid(get_relname_relid(psprintf("template_pgq_%c_%s", prefix, name),
									 get_namespace_oid(nspname, false))))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("cannot partition queue \"%s\": pg_partman's template \"template_pgq_%c_%s\" exists already",
						name, prefix, name),
				 errhint("It was made for another table; a superuser can drop it, or choose another queue name.")));

	values[0] = CStringGetTextDatum(psprintf("pgq.%c_%s", prefix, name));
	values[1] = CStringGetTextDatum(prefix == 'q' ? part->q_column : part->a_column);
	values[2] = CStringGetTextDatum(part->interval);
	values[3] = CStringGetTextDatum(v5 ? "range" : "native");
	/* p_jobmon: pg_jobmon's schema would come first in pg_partman's search_path */
	if (SPI_execute_with_args(psprintf("SELECT %s.create_parent(p_parent_table := $1,"
									   " p_control := $2, p_interval := $3, p_type := $4,"
									   " p_jobmon := false%s)",
									   schema,
									   premake > 0 ? psprintf(", p_premake := %d", premake) : ""),
							  4, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "pgq: pg_partman's create_parent failed for queue \"%s\"", name);

	/*
	 * Retention; partitions by time made ahead even while the queue is empty
	 * (else a message sent after a quiet spell would land in the default
	 * partition, which stops pg_partman's maintenance).
	 */
	values[1] = CStringGetTextDatum(part->retention);
	if (SPI_execute_with_args(psprintf("UPDATE %s.part_config SET retention = $2,"
									   " retention_keep_table = false,"
									   " retention_keep_index = false,"
									   " automatic_maintenance = 'on',"
									   " inherit_privileges = false,"
									   " infinite_time_partitions = true"
									   " WHERE parent_table OPERATOR(pg_catalog.=) $1",
									   schema),
							  2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE ||
		SPI_processed != 1)
		elog(ERROR, "pgq: configuring pg_partman's retention failed for queue \"%s\"", name);

	/*
	 * pg_partman must have made the default partition (whose name it would
	 * have cut short had the queue's name been too long)
	 */
	if (!reset_partitions(pgq_queue_table(prefix == 'q' ? "q_" : "a_", name),
						  psprintf("%c_%s_default", prefix, name)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_partman did not make the partitions of queue \"%s\"", name)));
}

/*
 * convert_archive_partitioned(table_name text, partition_interval text DEFAULT '10000',
 *							   retention_interval text DEFAULT '100000',
 *							   leading_partition integer DEFAULT 10) returns void
 *
 * pgmq's: the archive of queue table_name becomes a table partitioned by
 * msg_id and handed to pg_partman, with leading_partition partitions made
 * ahead.  Unlike pgmq, which leaves the old archive beside the new one as
 * a_<name>_old, the archived messages are moved into the new archive (with
 * a partition made for each range they fall in) and the old table is
 * dropped, in the caller's transaction; the rights granted on it are
 * granted on the new one.  Only the queue's owner may; an archive that is
 * partitioned already is a NOTICE.
 */
Datum
pgq_convert_archive_partitioned(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqPartitioning part;
	int32		leading;
	Oid			old;
	const char *old_name;
	Oid		   *grantees;
	AclMode    *privs;
	int			ngrants;
	int			i;
	bool		v5;
	const char *schema;
	PgqExec		exec;
	Datum		values[1];
	Oid			argtypes[1] = {TEXTOID};
	int			nestlevel;
	const char *atab;

	pgq_get_queue_name(fcinfo, 0, name);
	atab = quote_identifier(psprintf("a_%s", name));
	pgq_check_not_null(fcinfo, 1, "partition_interval");
	pgq_check_not_null(fcinfo, 2, "retention_interval");
	pgq_check_not_null(fcinfo, 3, "leading_partition");
	pgq_parse_partitioning(text_to_cstring(PG_GETARG_TEXT_PP(1)),
						   text_to_cstring(PG_GETARG_TEXT_PP(2)), &part);
	if (!part.by_id)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an archive is partitioned by msg_id: partition_interval and retention_interval must be numbers of messages")));
	leading = PG_GETARG_INT32(3);
	if (leading < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("leading_partition must be at least 1")));
	pgq_check_partitioned_name(name);

	(void) pgq_lock_owned_queue(name, "convert the archive of");

	old = pgq_queue_table("a_", name);
	if (!OidIsValid(old))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("queue \"%s\" has no archive table", name)));
	if (get_rel_relkind(old) == RELKIND_PARTITIONED_TABLE)
	{
		ereport(NOTICE,
				(errmsg("the archive of queue \"%s\" is partitioned already, skipping", name)));
		PG_RETURN_VOID();
	}

	pgq_begin(&exec);
	nestlevel = pgq_pin_ddl_settings();
	schema = quote_identifier(partman_schema(false, &v5));
	ngrants = pgq_relation_grants(old, &grantees, &privs);

	/*
	 * The archive and its ring's children (ring.c), whom archive() writes
	 * to without locking the archive itself: no row may be archived into
	 * them after the copy below has read them.
	 */
	pgq_run_sql(psprintf("LOCK TABLE pgq.%s IN ACCESS EXCLUSIVE MODE", atab),
				SPI_OK_UTILITY, "locking the archive", name);

	/*
	 * Out of the way, in schema pgq under names no queue's relation can
	 * have (they do not start with q_ or a_): the old table and its indexes.
	 */
	old_name = psprintf("pgq_converting_%u", old);
	values[0] = ObjectIdGetDatum(old);
	argtypes[0] = OIDOID;
	if (SPI_execute_with_args("SELECT pg_catalog.format('ALTER INDEX pgq.%I RENAME TO %I',"
							  "  c.relname, pg_catalog.concat('pgq_converting_', i.indexrelid::pg_catalog.text))"
							  " FROM pg_catalog.pg_index i, pg_catalog.pg_class c"
							  " WHERE i.indrelid OPERATOR(pg_catalog.=) $1"
							  "   AND c.oid OPERATOR(pg_catalog.=) i.indexrelid",
							  1, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "pgq: listing the indexes of the archive of queue \"%s\" failed", name);
	{
		SPITupleTable *renames = SPI_tuptable;
		uint64		n = SPI_processed;
		uint64		j;

		for (j = 0; j < n; j++)
			pgq_run_sql(SPI_getvalue(renames->vals[j], renames->tupdesc, 1),
						SPI_OK_UTILITY, "renaming the old archive's indexes", name);
	}
	pgq_run_sql(psprintf("ALTER TABLE pgq.%s RENAME TO %s", atab, quote_identifier(old_name)),
				SPI_OK_UTILITY, "renaming the old archive", name);

	pgq_create_archive_table(name, &part, leading);

	/* a partition for every range of ids the archived messages fall in */
	values[0] = CStringGetTextDatum(psprintf("pgq.a_%s", name));
	argtypes[0] = TEXTOID;
	if (SPI_execute_with_args(psprintf("SELECT %s.create_partition_id(p_parent_table := $1,"
									   " p_partition_ids := ARRAY(SELECT DISTINCT"
									   "  o.msg_id OPERATOR(pg_catalog.-) (o.msg_id OPERATOR(pg_catalog.%%) %s)"
									   "  FROM pgq.%s o))",
									   schema, part.interval, quote_identifier(old_name)),
							  1, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "pgq: making the partitions of the archive of queue \"%s\" failed", name);
	(void) reset_partitions(pgq_queue_table("a_", name), "");
	pgq_run_sql(psprintf("INSERT INTO pgq.%s (msg_id, read_ct, enqueued_at, archived_at, vt,"
						 " message, headers, last_read_at)"
						 " SELECT msg_id, read_ct, enqueued_at, archived_at, vt, message, headers,"
						 " last_read_at FROM pgq.%s",
						 atab, quote_identifier(old_name)),
				SPI_OK_INSERT, "moving the archived messages", name);
	/* with its children (ring.c), which pg_partman's partitions replace */
	values[0] = CStringGetTextDatum(name);
	if (SPI_execute_with_args("UPDATE pgq.meta SET archive_slot = NULL, archive_retention = NULL"
							  " WHERE queue_name OPERATOR(pg_catalog.=) $1",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "pgq: registering the archive of queue \"%s\" failed", name);
	CacheInvalidateRelcacheByRelid(pgq_queue_table("q_", name));

	/* as drop_queue: what others built on the old table goes with it */
	pgq_run_sql(psprintf("DROP TABLE pgq.%s CASCADE", quote_identifier(old_name)),
				SPI_OK_UTILITY, "dropping the old archive", name);

	/* an archive's rights are SELECT and DELETE (grant.c) */
	for (i = 0; i < ngrants; i++)
	{
		const char *grantee = grantees[i] == ACL_ID_PUBLIC ? "PUBLIC" :
			quote_identifier(GetUserNameFromId(grantees[i], false));
		bool		reads = (privs[i] & ACL_SELECT) != 0;
		bool		prunes = (privs[i] & ACL_DELETE) != 0;

		if (reads || prunes)
			pgq_run_sql(psprintf("GRANT %s%s%s ON pgq.%s TO %s",
								 reads ? "SELECT" : "", reads && prunes ? ", " : "",
								 prunes ? "DELETE" : "", atab, grantee),
						SPI_OK_UTILITY, "granting the archive's rights again", name);
	}
	AtEOXact_GUC(false, nestlevel);
	pgq_end(&exec);

	PG_RETURN_VOID();
}

/*
 * Take partitioned queue name's tables back from pg_partman before they
 * are dropped: its configuration rows, and the template tables it made for
 * them (by the names it gives them, template_pgq_q_<name> and
 * template_pgq_a_<name>, never by what the configuration says).  Called as
 * the tables' owner, connected to SPI.
 */
void
pgq_forget_partitions(const char *name)
{
	bool		v5;
	char	   *schema = partman_schema(true, &v5);
	const char *qschema;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	int			t;

	if (schema == NULL)
		return;
	qschema = quote_identifier(schema);
	values[0] = CStringGetTextDatum(psprintf("pgq.q_%s", name));
	values[1] = CStringGetTextDatum(psprintf("pgq.a_%s", name));
	if (SPI_execute_with_args(psprintf("DELETE FROM %s.part_config"
									   " WHERE parent_table OPERATOR(pg_catalog.=) ANY (ARRAY[$1, $2])",
									   qschema),
							  2, argtypes, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "pgq: removing queue \"%s\" from pg_partman failed", name);
	for (t = 0; t < 2; t++)
	{
		const char *template = psprintf("template_pgq_%c_%s", t == 0 ? 'q' : 'a', name);
		Oid			relid = get_relname_relid(template, get_namespace_oid(schema, false));

		if (OidIsValid(relid) && pgq_class_owned(relid, GetUserId()))
			pgq_run_sql(psprintf("DROP TABLE %s.%s", qschema, quote_identifier(template)),
						SPI_OK_UTILITY, "dropping pg_partman's template", name);
	}
}
