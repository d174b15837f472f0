/*-------------------------------------------------------------------------
 *
 * queue.c
 *		Queue names and queue lifecycle: validating a name, finding a
 *		queue's table, and the SQL-callable create_queue, drop_queue,
 *		purge_queue and list_queues.
 *
 * Creating and dropping a queue take a transaction-level lock on the queue
 * name (an advisory-class lock tag of pgq's own, see lock_queue_name), so
 * two sessions creating, or creating and dropping, the same queue take
 * turns: the second waits for the first to commit or roll back, then looks
 * at the catalog afresh.  Different queue names never wait for each other,
 * and producers and consumers never take this lock.  Whether a queue exists
 * is decided by its table in the system catalog, which always shows
 * committed state, so the outcome is the same under REPEATABLE READ.  All
 * the DDL runs in the caller's transaction, so a failure leaves nothing
 * behind.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "pgq.h"

PG_FUNCTION_INFO_V1(pgq_create_queue);
PG_FUNCTION_INFO_V1(pgq_drop_queue);
PG_FUNCTION_INFO_V1(pgq_purge_queue);
PG_FUNCTION_INFO_V1(pgq_list_queues);

static void lock_queue_name(const char *name);
static bool queue_table_exists(const char *name);
static const char *clock_default(void);
static void set_sequence_logged(const char *name);

/*
 * Reject a name that is not 1 to PGQ_MAX_NAME_LEN characters of [a-z0-9_]
 * starting with a letter or underscore.  Such a name is a valid unquoted
 * identifier once prefixed, so no user text can change the SQL it is put in.
 */
void
pgq_check_queue_name(const char *name)
{
	size_t		len = strlen(name);
	bool		ok = (len >= 1 && len <= PGQ_MAX_NAME_LEN);
	size_t		i;

	for (i = 0; ok && i < len; i++)
	{
		char		c = name[i];

		if (!((c >= 'a' && c <= 'z') || c == '_' ||
			  (i > 0 && c >= '0' && c <= '9')))
			ok = false;
	}

	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid queue name \"%s\"", name),
				 errhint("Queue names are 1 to %d characters long, made of lower-case letters, digits and underscores, and start with a letter or an underscore.",
						 PGQ_MAX_NAME_LEN)));
}

/*
 * Fetch the queue name argument, rejecting NULL and bad names.  name must
 * have room for PGQ_MAX_NAME_LEN + 1 bytes.
 */
void
pgq_get_queue_name(FunctionCallInfo fcinfo, int argno, char *name)
{
	char	   *arg;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("queue name must not be null")));

	arg = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	pgq_check_queue_name(arg);
	strlcpy(name, arg, PGQ_MAX_NAME_LEN + 1);
	pfree(arg);
}

void
pgq_check_not_null(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", argname)));
}

/*
 * now + seconds, for visibility timeouts and delays given in seconds.
 */
TimestampTz
pgq_seconds_from_now(TimestampTz now, int32 seconds, const char *argname)
{
	if (seconds < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", argname)));

	return now + (TimestampTz) seconds * USECS_PER_SEC;
}

/*
 * RangeVarGetRelidExtended callback: refuse, before any lock is taken, a
 * caller who lacks the privileges the operation needs on q_<name>.  The
 * executor checks privileges again (columns included) when the statement
 * runs; this check gives the error a queue's name and keeps callers without
 * rights from taking locks on the queue.
 */
static void
check_queue_privileges(const RangeVar *relation, Oid relId,
					   Oid oldRelId pg_attribute_unused(),
					   void *arg)
{
	AclMode		required = *(AclMode *) arg;
	bool		is_missing = false;

	if (!OidIsValid(relId) || required == 0)
		return;

	/*
	 * The table may have been dropped since its name was looked up (we hold
	 * no lock yet); RangeVarGetRelidExtended then looks again.
	 */
	if (pg_class_aclmask_ext(relId, GetUserId(), required, ACLMASK_ALL,
							 &is_missing) != required && !is_missing)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for queue \"%s\"",
						relation->relname + 2),
				 errhint("The queue's owner can grant access with pgq.grant_producer(), pgq.grant_consumer() or pgq.grant_admin().")));
}

bool
pgq_has_privileges(Oid relid, AclMode required)
{
	return pg_class_aclmask(relid, GetUserId(), required, ACLMASK_ALL) == required;
}

/*
 * Find queue "name", check that the caller has the privileges in required
 * on its table, and lock the table in lockmode for the rest of the
 * transaction, so that it cannot be dropped under the caller.  Returns
 * false if there is no such queue and missing_ok, else raises 42P01.
 */
bool
pgq_lookup_queue(const char *name, LOCKMODE lockmode, AclMode required,
				 PgqQueue *queue, bool missing_ok)
{
	char		relname[NAMEDATALEN];
	RangeVar   *rv;
	Oid			role = GetUserId();
	Oid			relid;

	strlcpy(queue->name, name, sizeof(queue->name));

	/*
	 * Fast path: this backend found the table before, nothing has
	 * invalidated it since, and the role was found to have the privileges
	 * (plancache.c).  Lock it by OID; taking the lock reads the
	 * invalidations other sessions committed meanwhile, so ask again, and
	 * make sure the table is still there, before trusting the OID.
	 */
	relid = pgq_known_queue(name, role, required);
	if (OidIsValid(relid))
	{
		LockRelationOid(relid, lockmode);
		if (pgq_known_queue(name, role, required) == relid &&
			SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		{
			queue->relid = relid;
			return true;
		}
		UnlockRelationOid(relid, lockmode);
	}

	snprintf(relname, sizeof(relname), "q_%s", name);
	rv = makeRangeVar(PGQ_SCHEMA, relname, -1);
	queue->relid = RangeVarGetRelidExtended(rv, lockmode, RVR_MISSING_OK,
											check_queue_privileges, &required);
	if (OidIsValid(queue->relid))
		pgq_remember_queue(name, queue->relid, role, required);

	if (!OidIsValid(queue->relid))
	{
		/* a plan cache entry under this name is stale now */
		pgq_forget_queue(name);
		if (missing_ok)
			return false;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("queue \"%s\" does not exist", name)));
	}
	return true;
}

/*
 * Serialize create_queue and drop_queue of one queue name until the end of
 * the transaction; see the file header.  The tag is an advisory lock tag
 * whose last field, PGQ_LOCK_CLASS, is one pg_advisory_lock() never uses
 * (it uses 1 and 2), so it cannot collide with users' advisory locks; in
 * pg_locks it shows as locktype "advisory" with objsubid PGQ_LOCK_CLASS.
 * Two names with the same hash merely take turns.
 */
#define PGQ_LOCK_CLASS	0x7071

static void
lock_queue_name(const char *name)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId,
						 hash_bytes((const unsigned char *) name, strlen(name)),
						 0, PGQ_LOCK_CLASS);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);

	/* see what the transaction we may have waited for committed */
	AcceptInvalidationMessages();
}

/* OID of q_<name> as the catalog shows it now (no lock), or InvalidOid */
static Oid
queue_table_oid(const char *name)
{
	char		relname[NAMEDATALEN];

	snprintf(relname, sizeof(relname), "q_%s", name);
	return get_relname_relid(relname, get_namespace_oid(PGQ_SCHEMA, false));
}

static bool
queue_table_exists(const char *name)
{
	return OidIsValid(queue_table_oid(name));
}

/* the identity sequence behind msg_id of queue table relid */
Oid
pgq_msg_id_sequence(Oid relid)
{
	return getIdentitySequence(relid, get_attnum(relid, "msg_id"), false);
}

/*
 * The default expression that stamps vt in q_<name> and archived_at in
 * a_<name>.  From 0.2.0 on it is pgq.queue_clock(), an extension function:
 * the defaults then depend on the extension, so DROP EXTENSION pgq refuses
 * while queues exist, and the dependency is re-created by pg_dump and
 * pg_upgrade along with the default.  A database still at 0.1.0 has no such
 * function and gets clock_timestamp() until ALTER EXTENSION UPDATE.
 */
static const char *
clock_default(void)
{
	List	   *fname = list_make2(makeString(PGQ_SCHEMA), makeString("queue_clock"));

	if (OidIsValid(LookupFuncName(fname, 0, NULL, true)))
		return "pgq.queue_clock()";
	return "pg_catalog.clock_timestamp()";
}

static void
set_sequence_logged(const char *name)
{
	Oid			seqid = pgq_msg_id_sequence(queue_table_oid(name));
	int			rc;

	rc = SPI_execute(psprintf("ALTER SEQUENCE pgq.%s SET LOGGED",
							  quote_identifier(get_rel_name(seqid))),
					 false, 0);
	if (rc != SPI_OK_UTILITY)
		elog(ERROR, "pgq: making the msg_id sequence of queue \"%s\" logged failed: %s",
			 name, SPI_result_code_string(rc));
}

/*
 * create_queue(queue_name text, unlogged boolean DEFAULT false) returns void
 */
Datum
pgq_create_queue(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	bool		unlogged;
	const char *qtab;
	const char *atab;
	const char *clock;
	StringInfoData ddl;
	Oid			argtypes[2] = {TEXTOID, BOOLOID};
	Datum		values[2];
	int			rc;

	pgq_get_queue_name(fcinfo, 0, name);
	pgq_check_not_null(fcinfo, 1, "unlogged");
	unlogged = PG_GETARG_BOOL(1);

	lock_queue_name(name);
	pgq_spi_connect();

	if (queue_table_exists(name))
	{
		ereport(NOTICE,
				(errmsg("queue \"%s\" already exists, skipping", name)));
		pgq_spi_finish();
		PG_RETURN_VOID();
	}

	qtab = quote_identifier(psprintf("q_%s", name));
	atab = quote_identifier(psprintf("a_%s", name));
	clock = clock_default();

	initStringInfo(&ddl);
	appendStringInfo(&ddl,
					 "CREATE %sTABLE pgq.%s ("
					 " msg_id pg_catalog.int8 PRIMARY KEY GENERATED ALWAYS AS IDENTITY,"
					 " read_ct pg_catalog.int4 NOT NULL DEFAULT 0,"
					 " enqueued_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),"
					 " last_read_at pg_catalog.timestamptz,"
					 " vt pg_catalog.timestamptz NOT NULL DEFAULT %s,"
					 " message pg_catalog.jsonb,"
					 " headers pg_catalog.jsonb);",
					 unlogged ? "UNLOGGED " : "", qtab, clock);
	appendStringInfo(&ddl,
					 "CREATE INDEX %s ON pgq.%s (vt, msg_id);",
					 quote_identifier(psprintf("q_%s_vt_idx", name)), qtab);
	appendStringInfo(&ddl,
					 "CREATE TABLE pgq.%s ("
					 " msg_id pg_catalog.int8 PRIMARY KEY,"
					 " read_ct pg_catalog.int4 NOT NULL DEFAULT 0,"
					 " enqueued_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),"
					 " last_read_at pg_catalog.timestamptz,"
					 " vt pg_catalog.timestamptz NOT NULL,"
					 " message pg_catalog.jsonb,"
					 " headers pg_catalog.jsonb,"
					 " archived_at pg_catalog.timestamptz NOT NULL DEFAULT %s);",
					 atab, clock);
	appendStringInfo(&ddl,
					 "CREATE INDEX %s ON pgq.%s (archived_at);",
					 quote_identifier(psprintf("a_%s_archived_idx", name)), atab);

	rc = SPI_execute(ddl.data, false, 0);
	if (rc != SPI_OK_UTILITY)
		elog(ERROR, "pgq: creating the tables of queue \"%s\" failed: %s",
			 name, SPI_result_code_string(rc));

	/*
	 * The identity sequence of an unlogged table is unlogged too, and a crash
	 * would reset it to 1 while the (logged) archive keeps the old ids:
	 * msg_ids would repeat and archive() would fail on the archive's primary
	 * key.  A logged sequence survives the crash (and skips ahead), so ids
	 * only ever grow.
	 */
	if (unlogged)
		set_sequence_logged(name);

	values[0] = CStringGetTextDatum(name);
	values[1] = BoolGetDatum(unlogged);
	rc = SPI_execute_with_args("INSERT INTO pgq.meta (queue_name, is_unlogged) VALUES ($1, $2)",
							   2, argtypes, values, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "pgq: registering queue \"%s\" failed: %s",
			 name, SPI_result_code_string(rc));

	pgq_spi_finish();
	PG_RETURN_VOID();
}

/*
 * drop_queue(queue_name text) returns boolean
 *
 * Drops both tables and the catalog row.  A queue that does not exist is a
 * NOTICE and false, like DROP ... IF EXISTS.
 */
Datum
pgq_drop_queue(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	char	   *sql;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	SPIPlanPtr	plan;
	int			rc;

	pgq_get_queue_name(fcinfo, 0, name);

	lock_queue_name(name);
	pgq_spi_connect();

	if (!queue_table_exists(name))
	{
		ereport(NOTICE,
				(errmsg("queue \"%s\" does not exist, skipping", name)));
		pgq_spi_finish();
		PG_RETURN_BOOL(false);
	}

	sql = psprintf("DROP TABLE pgq.%s, pgq.%s",
				   quote_identifier(psprintf("q_%s", name)),
				   quote_identifier(psprintf("a_%s", name)));
	rc = SPI_execute(sql, false, 0);
	if (rc != SPI_OK_UTILITY)
		elog(ERROR, "pgq: dropping the tables of queue \"%s\" failed: %s",
			 name, SPI_result_code_string(rc));

	/*
	 * Delete the catalog row as it is now, not as the transaction snapshot
	 * saw it: under REPEATABLE READ the row may have been inserted by the
	 * create_queue we waited for.
	 */
	plan = SPI_prepare("DELETE FROM pgq.meta WHERE queue_name OPERATOR(pg_catalog.=) $1",
					   1, argtypes);
	if (plan == NULL)
		elog(ERROR, "pgq: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	values[0] = CStringGetTextDatum(name);
	rc = SPI_execute_snapshot(plan, values, NULL, GetLatestSnapshot(),
							  InvalidSnapshot, false, false, 0);
	if (rc != SPI_OK_DELETE)
		elog(ERROR, "pgq: unregistering queue \"%s\" failed: %s",
			 name, SPI_result_code_string(rc));

	pgq_spi_finish();
	pgq_forget_queue(name);
	PG_RETURN_BOOL(true);
}

/*
 * purge_queue(queue_name text) returns bigint
 *
 * Deletes every message of the queue (the archive is kept) and returns how
 * many there were.  Messages another transaction holds locked are waited for.
 */
Datum
pgq_purge_queue(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	int			rc;
	int64		count;

	pgq_get_queue_name(fcinfo, 0, name);
	/*
	 * Emptying a queue is an administrator's act: it takes TRUNCATE (which
	 * grant_admin gives and grant_consumer does not), though it deletes.
	 */
	pgq_lookup_queue(name, RowExclusiveLock, ACL_DELETE | ACL_TRUNCATE, &queue, false);

	pgq_spi_connect();
	rc = SPI_execute_plan(pgq_get_plan(&queue, PGQ_STMT_PURGE), NULL, NULL, false, 0);
	if (rc != SPI_OK_DELETE)
		elog(ERROR, "pgq: purging queue \"%s\" failed: %s",
			 name, SPI_result_code_string(rc));
	count = (int64) SPI_processed;
	pgq_spi_finish();

	PG_RETURN_INT64(count);
}

/*
 * list_queues() returns setof pgq.queue_record
 */
Datum
pgq_list_queues(PG_FUNCTION_ARGS)
{
	int			rc;

	InitMaterializedSRF(fcinfo, 0);

	pgq_spi_connect();
	rc = SPI_execute("SELECT queue_name, is_unlogged, created_at FROM pgq.meta ORDER BY queue_name",
					 true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pgq: reading pgq.meta failed: %s", SPI_result_code_string(rc));
	pgq_return_spi_rows(fcinfo);
	pgq_spi_finish();

	return (Datum) 0;
}
