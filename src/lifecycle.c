/*-------------------------------------------------------------------------
 *
 * lifecycle.c
 *		A queue's life: the SQL-callable create_queue, drop_queue,
 *		purge_queue and list_queues, the tables create_queue makes, and the
 *		event trigger that forgets queue tables dropped by hand.
 *
 * Creating and dropping a queue take a transaction-level lock on the queue
 * name (an advisory-class lock tag of pgq's own, see pgq_lock_queue_name), so
 * two sessions creating, or creating and dropping, the same queue take
 * turns: the second waits for the first to commit or roll back, then looks
 * at pgq.meta afresh.  Different queue names never wait for each other,
 * and producers and consumers never take this lock.  A caller who may not
 * create or drop the queue is refused before the lock (queue.c says who
 * may do what).  All the DDL runs in the caller's transaction, as the
 * tables' owner, so a failure leaves nothing behind.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "pgq.h"

PG_FUNCTION_INFO_V1(pgq_create_queue);
PG_FUNCTION_INFO_V1(pgq_create);
PG_FUNCTION_INFO_V1(pgq_create_queue_policy);
PG_FUNCTION_INFO_V1(pgq_create_unlogged);
PG_FUNCTION_INFO_V1(pgq_create_partitioned);
PG_FUNCTION_INFO_V1(pgmq_drop_queue);
PG_FUNCTION_INFO_V1(pgq_detach_archive);
PG_FUNCTION_INFO_V1(pgq_validate_queue_name);
PG_FUNCTION_INFO_V1(pgq_format_table_name);
PG_FUNCTION_INFO_V1(pgq_drop_queue);
PG_FUNCTION_INFO_V1(pgq_purge_queue);
PG_FUNCTION_INFO_V1(pgq_list_queues);
PG_FUNCTION_INFO_V1(pgq_forget_dropped_queues);

static void check_new_queue_name(const char *name);
static bool may_create_queues(void);
static void check_may_create_queues(void);
static void create_by_pgmq_name(FunctionCallInfo fcinfo, bool unlogged);
static bool create_queue(const char *name, bool unlogged, const PgqPartitioning *part);
static Datum drop_queue(FunctionCallInfo fcinfo);
static const char *partition_clause(const PgqPartitioning *part, const char *column);
static void append_archive_ddl(StringInfo ddl, const char *name, const char *clock,
							   const PgqPartitioning *part);
static void delete_meta_row(const char *name);
static bool owns_queue_strictly(Oid owner);
static void check_name_free(const char *name);
static const char *clock_default(void);

/* what the names of a queue's indexes and sequence, and of pg_partman's partitions, end in */
static const struct
{
	const char *suffix;
	const char *used_by;
}			reserved_suffixes[] = {
	{"_pkey", "the indexes and sequences of queues"},
	{"_vt_idx", "the indexes and sequences of queues"},
	{"_archived_idx", "the indexes and sequences of queues"},
	{"_msg_id_seq", "the indexes and sequences of queues"},
	{"_default", "the partitions of partitioned queues"}
};

/*
 * Reject, for a new queue, a name that ends as the names of a queue's
 * indexes and sequence do: the queue would take the name of another
 * queue's index.  (Queues made before 0.4.0 may have such names, and go on
 * working.)
 */
static void
check_new_queue_name(const char *name)
{
	size_t		len = strlen(name);
	size_t		i;
	const char *p;

	/*
	 * Nor as the partitions pg_partman makes for a partitioned queue's
	 * tables: "_p" and a number or a date ("_p20000", "_p2026_11_29"), or
	 * "_default" (in reserved_suffixes).
	 */
	for (p = name; (p = strstr(p, "_p")) != NULL; p++)
	{
		if (p[2] >= '0' && p[2] <= '9' &&
			strspn(p + 2, "0123456789_wq") == strlen(p + 2))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_NAME),
					 errmsg("invalid queue name \"%s\"", name),
					 errdetail("Names ending in \"_p\" and a number or a date are reserved for the partitions of partitioned queues.")));
	}

	for (i = 0; i < lengthof(reserved_suffixes); i++)
	{
		size_t		slen = strlen(reserved_suffixes[i].suffix);

		if (len >= slen && strcmp(name + len - slen, reserved_suffixes[i].suffix) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_NAME),
					 errmsg("invalid queue name \"%s\"", name),
					 errdetail("Names ending in \"%s\" are reserved for %s.",
							   reserved_suffixes[i].suffix, reserved_suffixes[i].used_by)));
	}
}

/*
 * validate_queue_name(queue_name text) returns void
 *
 * Raises the error create_queue would raise for the name (42602), if any.
 */
Datum
pgq_validate_queue_name(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];

	pgq_get_queue_name(fcinfo, 0, name);
	check_new_queue_name(name);
	PG_RETURN_VOID();
}

/*
 * format_table_name(queue_name text, prefix text) returns text
 *
 * pgmq's helper: prefix, an underscore and the queue name, in lower case
 * ('q' gives the name of the queue's table, 'a' of its archive, both in
 * schema pgq), after checking the name as every function does.
 */
Datum
pgq_format_table_name(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	char	   *prefix;

	pgq_get_queue_name(fcinfo, 0, name);
	pgq_check_not_null(fcinfo, 1, "prefix");
	prefix = text_to_cstring(PG_GETARG_TEXT_PP(1));
	pgq_fold_lower(prefix);
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s_%s", prefix, name)));
}

/*
 * Serialize create_queue and drop_queue of one queue name until the end of
 * the transaction; see the file header.  The tag is an advisory lock tag
 * whose last field, PGQ_LOCK_CLASS, is one pg_advisory_lock() never uses
 * (it uses 1 and 2), so it cannot collide with users' advisory locks; in
 * pg_locks it shows as locktype "advisory" with objsubid PGQ_LOCK_CLASS.
 * The key is a 64-bit hash of the name: two names with the same hash
 * merely take turns, and finding a second name that collides with a given
 * one would take about 2^64 tries.  Only a role allowed to create queues,
 * or the owner of the queue, ever takes it.
 */
#define PGQ_LOCK_CLASS	0x7071

void
pgq_lock_queue_name(const char *name)
{
	LOCKTAG		tag;

	uint64		hash = hash_bytes_extended((const unsigned char *) name, strlen(name), 0);

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) (hash >> 32), (uint32) hash,
						 PGQ_LOCK_CLASS);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);

	/* see what the transaction we may have waited for committed */
	AcceptInvalidationMessages();
}

/*
 * Is the caller the owner, or a member of the owning role, not counting
 * superuser's membership in everything?  create_queue of an existing queue
 * is a no-op only for its owner: a superuser deploying queue "payments"
 * must not silently adopt the one another role made first.
 */
static bool
owns_queue_strictly(Oid owner)
{
	return owner == GetUserId() || is_member_of_role_nosuper(GetUserId(), owner);
}

static void
delete_meta_row(const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	SPIPlanPtr	plan;
	int			rc;

	/* as committed now: see meta_owner */
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
}

/*
 * Refuse to create queue name if any relation it would make, or one of that
 * name, is there already (only the owner of schema pgq can have made one).
 */
static void
check_name_free(const char *name)
{
	static const char *const formats[] = {
		"q_%s", "a_%s", "q_%s_vt_idx", "a_%s_archived_idx"
	};
	Oid			nsp = get_namespace_oid(PGQ_SCHEMA, false);
	size_t		i;

	for (i = 0; i < lengthof(formats); i++)
	{
		char		relname[NAMEDATALEN];

		snprintf(relname, sizeof(relname), formats[i], name);
		if (OidIsValid(get_relname_relid(relname, nsp)))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("cannot create queue \"%s\": relation \"pgq.%s\" already exists",
							name, relname),
					 errhint("It is not a queue pgq knows; the owner of schema pgq can rename or drop it.")));
	}
}

/*
 * The default expression that stamps vt in q_<name> and archived_at in
 * a_<name>.  From 0.2.0 on it is pgq.queue_clock(), an extension function:
 * the defaults then depend on the extension, so DROP EXTENSION pgq refuses
 * while queues exist, and the dependency is re-created by pg_dump and
 * pg_upgrade along with the default.
 */
static const char *
clock_default(void)
{
	List	   *fname = list_make2(makeString(PGQ_SCHEMA), makeString("queue_clock"));

	if (OidIsValid(LookupFuncName(fname, 0, NULL, true)))
		return "pgq.queue_clock()";
	return "pg_catalog.clock_timestamp()";
}

/*
 * Revoke every privilege on relation relid that anyone but its owner holds
 * (called as the owner, between pgq_begin and pgq_end).
 */
void
pgq_reset_privileges(Oid relid)
{
	const char *rel = quote_qualified_identifier(PGQ_SCHEMA, get_rel_name(relid));
	Oid		   *grantees;
	AclMode    *privs;
	int			n = pgq_relation_grants(relid, &grantees, &privs);
	int			i;

	for (i = 0; i < n; i++)
		pgq_run_sql(psprintf("REVOKE ALL ON %s%s FROM %s",
							 get_rel_relkind(relid) == RELKIND_SEQUENCE ? "SEQUENCE " : "",
							 rel,
							 grantees[i] == ACL_ID_PUBLIC ? "PUBLIC" :
							 quote_identifier(GetUserNameFromId(grantees[i], false))),
					SPI_OK_UTILITY, "resetting privileges", get_rel_name(relid));
}

/*
 * Set, for the rest of the DDL of a queue's tables, where they go: where
 * PostgreSQL's defaults put them, not where the caller's settings would
 * (the DDL runs as the tables' owner, who may create in tablespaces the
 * caller may not); names resolve in pg_catalog only.  Returns the GUC nest
 * level to end with AtEOXact_GUC(false, ...), which takes back every
 * setting made since, those pg_partman's functions make with set_config()
 * for the session included.
 */
int
pgq_pin_ddl_settings(void)
{
	int			nestlevel = NewGUCNestLevel();

	set_config_option("default_tablespace", "", PGC_USERSET, PGC_S_SESSION,
					  GUC_ACTION_SAVE, true, 0, false);
	set_config_option("default_table_access_method", "heap", PGC_USERSET, PGC_S_SESSION,
					  GUC_ACTION_SAVE, true, 0, false);
	set_config_option("default_toast_compression", "pglz", PGC_USERSET, PGC_S_SESSION,
					  GUC_ACTION_SAVE, true, 0, false);
	set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
					  GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

/*
 * The end of a partitioned table's column list: a partitioned table's
 * primary key must hold the partitioning column, so it is (msg_id) when
 * partitioned by msg_id, else (msg_id, the time column), which still finds
 * a message by its id.
 */
static const char *
partition_clause(const PgqPartitioning *part, const char *column)
{
	return psprintf(", PRIMARY KEY (msg_id%s%s)) PARTITION BY RANGE (%s",
					part->by_id ? "" : ", ", part->by_id ? "" : column, column);
}

/* ddl += the archive a_<name>, its index and its row-level security */
static void
append_archive_ddl(StringInfo ddl, const char *name, const char *clock,
				   const PgqPartitioning *part)
{
	const char *atab = quote_identifier(psprintf("a_%s", name));

	appendStringInfo(ddl,
					 "CREATE TABLE pgq.%s ("
					 " msg_id pg_catalog.int8 NOT NULL %s,"
					 " read_ct pg_catalog.int4 NOT NULL DEFAULT 0,"
					 " enqueued_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),"
					 " archived_at pg_catalog.timestamptz NOT NULL DEFAULT %s,"
					 " vt pg_catalog.timestamptz NOT NULL,"
					 " message pg_catalog.jsonb,"
					 " headers pg_catalog.jsonb,"
					 " last_read_at pg_catalog.timestamptz%s);",
					 atab, part != NULL ? "" : "PRIMARY KEY", clock,
					 part != NULL ? partition_clause(part, part->a_column) : "");
	appendStringInfo(ddl,
					 "CREATE INDEX %s ON pgq.%s (archived_at);",
					 quote_identifier(psprintf("a_%s_archived_idx", name)), atab);
	appendStringInfo(ddl,
					 "ALTER TABLE pgq.%s ENABLE ROW LEVEL SECURITY;"
					 "CREATE POLICY read ON pgq.%s FOR SELECT USING (true);"
					 "CREATE POLICY prune ON pgq.%s FOR DELETE USING (true);",
					 atab, atab, atab);
}

/*
 * Make queue name's archive a_<name> again, partitioned as part says and
 * handed to pg_partman with premake partitions ahead, as the current user
 * (the tables' owner: call between pgq_begin and pgq_end), with no
 * privileges for anyone (convert_archive_partitioned puts the old ones back).
 */
void
pgq_create_archive_table(const char *name, const PgqPartitioning *part, int premake)
{
	int			nestlevel = pgq_pin_ddl_settings();
	StringInfoData ddl;

	initStringInfo(&ddl);
	append_archive_ddl(&ddl, name, clock_default(), part);
	pgq_run_sql(ddl.data, SPI_OK_UTILITY, "creating the archive", name);
	pgq_partition_table(name, 'a', part, premake);
	pgq_reset_privileges(pgq_queue_table("a_", name));
	AtEOXact_GUC(false, nestlevel);
}

/*
 * Make the tables of queue name, owned by the current user (the owner of
 * schema pgq: call between pgq_begin and pgq_end), and give owner the
 * rights of an admin on them.
 *
 * Row-level security is on, with policies that let the roles pgq grants
 * privileges to SELECT the rows (and an admin DELETE archived rows), and
 * nothing else: the privileges are what pgq checks, and writing the tables
 * directly, around pgq, gets no rows.  pgq's statements run as the tables'
 * owner, whom the policies do not restrict.
 */
void
pgq_create_queue_tables(const char *name, bool unlogged, Oid owner,
						const PgqPartitioning *part)
{
	const char *qtab = quote_identifier(psprintf("q_%s", name));
	const char *clock = clock_default();
	const char *qkey = part != NULL ? "" : "PRIMARY KEY";
	const char *qpart = part != NULL ? partition_clause(part, part->q_column) : "";
	StringInfoData ddl;
	int			nestlevel;

	nestlevel = pgq_pin_ddl_settings();

	initStringInfo(&ddl);
	appendStringInfo(&ddl,
					 "CREATE %sTABLE pgq.%s ("
					 " msg_id pg_catalog.int8 %s GENERATED ALWAYS AS IDENTITY,"
					 " read_ct pg_catalog.int4 NOT NULL DEFAULT 0,"
					 " enqueued_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),"
					 " vt pg_catalog.timestamptz NOT NULL DEFAULT %s,"
					 " message pg_catalog.jsonb,"
					 " headers pg_catalog.jsonb,"
					 " last_read_at pg_catalog.timestamptz,"
					 " priority pg_catalog.int2 NOT NULL DEFAULT 0%s);",
					 unlogged ? "UNLOGGED " : "", qtab, qkey, clock, qpart);
	appendStringInfo(&ddl,
					 "CREATE INDEX %s ON pgq.%s (vt, msg_id);",
					 quote_identifier(psprintf("q_%s_vt_idx", name)), qtab);
	appendStringInfo(&ddl,
					 "ALTER TABLE pgq.%s ENABLE ROW LEVEL SECURITY;"
					 "CREATE POLICY read ON pgq.%s FOR SELECT USING (true);",
					 qtab, qtab);
	append_archive_ddl(&ddl, name, clock, part);
	pgq_run_sql(ddl.data, SPI_OK_UTILITY, "creating the tables", name);
	if (part != NULL)
	{
		pgq_partition_table(name, 'q', part, 0);
		pgq_partition_table(name, 'a', part, 0);
	}
	else
		pgq_create_ring(name, unlogged);

	/*
	 * The identity sequence of an unlogged table is unlogged too, and a crash
	 * would reset it to 1 while the (logged) archive keeps the old ids:
	 * msg_ids would repeat and archive() would fail on the archive's primary
	 * key.  A logged sequence survives the crash (and skips ahead), so ids
	 * only ever grow.
	 */
	if (unlogged)
	{
		Oid			seqid = pgq_msg_id_sequence(pgq_queue_table("q_", name));

		pgq_run_sql(psprintf("ALTER SEQUENCE pgq.%s SET LOGGED",
							 quote_identifier(get_rel_name(seqid))),
					SPI_OK_UTILITY, "making the msg_id sequence logged", name);
	}

	/*
	 * Default privileges of the tables' owner (ALTER DEFAULT PRIVILEGES,
	 * perhaps set for other reasons) would have given roles rights on the
	 * new queue, and on its sequence: take them all back, so that only the
	 * grant functions give rights.
	 */
	pgq_reset_privileges(pgq_queue_table("q_", name));
	pgq_reset_privileges(pgq_queue_table("a_", name));
	pgq_reset_privileges(pgq_msg_id_sequence(pgq_queue_table("q_", name)));

	/* the tables' owner has every privilege already */
	if (owner != GetUserId())
		pgq_change_access(name, owner, PGQ_ACCESS_ADMIN);

	AtEOXact_GUC(false, nestlevel);
}

/*
 * Create queue name (the argument of create_queue and its pgmq-named
 * companions), owned by the caller.  Creating an existing queue of the
 * caller's is a NOTICE.
 */
static bool
create_queue(const char *name, bool unlogged, const PgqPartitioning *part)
{
	Oid			argtypes[4] = {TEXTOID, BOOLOID, REGROLEOID, BOOLOID};
	Datum		values[4];
	PgqExec		exec;
	int			pass;

	/*
	 * Pass 0, before the lock: someone else's queue is an error, and does
	 * not wait.  Pass 1, under the lock, as committed now: someone else's
	 * queue is an error, our own a NOTICE.
	 */
	for (pass = 0; pass < 2; pass++)
	{
		Oid			owner;

		if (pass == 1)
			pgq_lock_queue_name(name);
		owner = pgq_meta_owner(name, pass == 1);
		if (!OidIsValid(owner))
			continue;
		if (!owns_queue_strictly(owner))
		{
			const char *rolname = GetUserNameFromId(owner, true);

			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("queue \"%s\" already exists", name),
					 errdetail("It is owned by role \"%s\".", rolname ? rolname : "(dropped)")));
		}
		if (pass == 1 && OidIsValid(pgq_queue_table("q_", name)))
		{
			ereport(NOTICE,
					(errmsg("queue \"%s\" already exists, skipping", name)));
			return false;
		}
	}

	check_new_queue_name(name);
	pgq_begin(&exec);
	/* a row left by tables dropped by hand: ours (checked above), replaced */
	delete_meta_row(name);
	/* and deduplication keys left by such tables: not the new queue's */
	pgq_drop_dedup_table(name);
	check_name_free(name);
	pgq_create_queue_tables(name, unlogged, exec.save_userid, part);

	values[0] = CStringGetTextDatum(name);
	values[1] = BoolGetDatum(unlogged);
	values[2] = ObjectIdGetDatum(exec.save_userid);
	values[3] = BoolGetDatum(part != NULL);
	if (SPI_execute_with_args("INSERT INTO pgq.meta (queue_name, is_unlogged, owner, is_partitioned,"
							  " ring_slot, ring_live, archive_slot)"
							  " VALUES ($1, $2, $3, $4, CASE WHEN NOT $4 THEN 0 END,"
							  " CASE WHEN NOT $4 THEN 1 END, CASE WHEN NOT $4 THEN 0 END)",
							  4, argtypes, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "pgq: registering queue \"%s\" failed", name);
	pgq_end(&exec);
	return true;
}

/*
 * create_queue(queue_name text, unlogged boolean DEFAULT false) returns void
 *
 * EXECUTE on this function is the right to create queues; the caller
 * becomes the queue's owner.
 */
Datum
pgq_create_queue(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];

	pgq_get_queue_name(fcinfo, 0, name);
	pgq_check_not_null(fcinfo, 1, "unlogged");
	(void) create_queue(name, PG_GETARG_BOOL(1), NULL);
	PG_RETURN_VOID();
}

/*
 * create_queue(queue_name text, unlogged boolean, policy jsonb) returns void
 *
 * create_queue with a delivery policy (policy.c), for a role that may
 * execute pgq.create_queue(text, boolean).  A queue of the caller's that
 * exists already is left as it is (NOTICE), its policy too.
 */
Datum
pgq_create_queue_policy(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];

	pgq_get_queue_name(fcinfo, 0, name);
	pgq_check_not_null(fcinfo, 1, "unlogged");
	pgq_check_not_null(fcinfo, 2, "policy");
	check_may_create_queues();
	if (create_queue(name, PG_GETARG_BOOL(1), NULL))
		pgq_apply_policy(name, PG_GETARG_JSONB_P(2));
	PG_RETURN_VOID();
}

/*
 * create(queue_name text), create_non_partitioned(queue_name text) and
 * create_unlogged(queue_name text) return void: pgmq's names for
 * create_queue.  Anyone may call them; they create a queue only for a role
 * that may execute pgq.create_queue(text, boolean), the right to create
 * queues, whatever the schema they are called in.
 */
static void
create_by_pgmq_name(FunctionCallInfo fcinfo, bool unlogged)
{
	char		name[PGQ_MAX_NAME_LEN + 1];

	pgq_get_queue_name(fcinfo, 0, name);
	check_may_create_queues();
	(void) create_queue(name, unlogged, NULL);
}

Datum
pgq_create(PG_FUNCTION_ARGS)
{
	create_by_pgmq_name(fcinfo, false);
	PG_RETURN_VOID();
}

Datum
pgq_create_unlogged(PG_FUNCTION_ARGS)
{
	create_by_pgmq_name(fcinfo, true);
	PG_RETURN_VOID();
}

/*
 * create_partitioned(queue_name text, partition_interval text DEFAULT '10000',
 *					  retention_interval text DEFAULT '100000') returns void
 *
 * pgmq's partitioned queue, through pg_partman (partition.c): a number as
 * partition_interval partitions the tables by msg_id, an interval ('1 day')
 * by time.  The right to create queues is checked as for create().
 */
Datum
pgq_create_partitioned(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	char	   *interval;
	char	   *retention;
	PgqPartitioning part;

	pgq_get_queue_name(fcinfo, 0, name);
	pgq_check_not_null(fcinfo, 1, "partition_interval");
	pgq_check_not_null(fcinfo, 2, "retention_interval");
	interval = text_to_cstring(PG_GETARG_TEXT_PP(1));
	retention = text_to_cstring(PG_GETARG_TEXT_PP(2));
	check_may_create_queues();
	pgq_check_partitioned_name(name);
	pgq_parse_partitioning(interval, retention, &part);
	(void) create_queue(name, false, &part);
	PG_RETURN_VOID();
}

/* may the caller execute pgq.create_queue? */
static bool
may_create_queues(void)
{
	List	   *fname = list_make2(makeString(PGQ_SCHEMA), makeString("create_queue"));
	Oid			argtypes[2] = {TEXTOID, BOOLOID};
	Oid			fn = LookupFuncName(fname, 2, argtypes, true);

	return OidIsValid(fn) && pgq_proc_executable(fn, GetUserId());
}

/* raise 42501 unless the caller may create queues (for pgmq's create functions) */
static void
check_may_create_queues(void)
{
	if (!may_create_queues())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to create queues"),
				 errhint("The right to create queues is EXECUTE on pgq.create_queue(text, boolean).")));
}

/*
 * drop_queue(queue_name text) returns boolean
 *
 * Drops both tables and the catalog row; only the queue's owner (or a
 * superuser) may.  A queue that does not exist is a NOTICE and false, like
 * DROP ... IF EXISTS.  A pgq.meta row whose tables are gone is removed.
 */
Datum
pgq_drop_queue(PG_FUNCTION_ARGS)
{
	if (PG_NARGS() == 2)
		pgq_check_not_null(fcinfo, 1, "partitioned");
	return drop_queue(fcinfo);
}

static Datum
drop_queue(FunctionCallInfo fcinfo)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqExec		exec;
	int			pass;
	Oid			qtab;
	Oid			atab;

	pgq_get_queue_name(fcinfo, 0, name);

	/* pass 0 before the lock, pass 1 under it, as in create_queue */
	for (pass = 0; pass < 2; pass++)
	{
		Oid			owner;

		if (pass == 1)
			pgq_lock_queue_name(name);
		owner = pgq_meta_owner(name, pass == 1);

		/*
		 * Not there: a role that may create queues waits for a create_queue
		 * of the name that is under way (it could take the lock through
		 * create_queue anyway); any other role is told at once.
		 */
		if (!OidIsValid(owner) && pass == 0 && may_create_queues())
			continue;
		if (!OidIsValid(owner))
		{
			ereport(NOTICE,
					(errmsg("queue \"%s\" does not exist, skipping", name)));
			PG_RETURN_BOOL(false);
		}
		if (!has_privs_of_role(GetUserId(), owner))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("must be owner of queue \"%s\" to drop it", name)));
	}

	pgq_begin(&exec);
	qtab = pgq_queue_table("q_", name);
	atab = pgq_queue_table("a_", name);
	/* a partitioned queue, or a queue whose archive convert_archive_partitioned partitioned */
	if ((OidIsValid(qtab) && get_rel_relkind(qtab) == RELKIND_PARTITIONED_TABLE) ||
		(OidIsValid(atab) && get_rel_relkind(atab) == RELKIND_PARTITIONED_TABLE))
		pgq_forget_partitions(name);
	/*
	 * CASCADE: any role may build a view, a function's result or a column
	 * on a table's row type without a right on the table; such objects must
	 * not keep the owner from dropping the queue, and go with it.
	 */
	/* waiters on the queue end now rather than at their deadline (wait.c) */
	/* another queue's dead-letter queue stays (2BP01), before anything waits or is woken */
	pgq_drop_policy_objects(name);
	if (OidIsValid(qtab))
	{
		pgq_wait_dropping(qtab);
		pgq_forget_counts(qtab);
	}
	/*
	 * The ring's children (ring.c) first, so that only what others built is
	 * told of; the parents locked before them, in the order every statement
	 * on the queue locks them, or a send or read that holds q_<name> and
	 * waits for a child would deadlock with the drop.
	 */
	if (OidIsValid(qtab))
		LockRelationOid(qtab, AccessExclusiveLock);
	if (OidIsValid(atab))
		LockRelationOid(atab, AccessExclusiveLock);
	pgq_drop_ring(name);
	if (OidIsValid(qtab))
		pgq_run_sql(psprintf("DROP TABLE pgq.%s CASCADE", quote_identifier(get_rel_name(qtab))),
					SPI_OK_UTILITY, "dropping the tables", name);
	if (OidIsValid(atab))
		pgq_run_sql(psprintf("DROP TABLE pgq.%s CASCADE", quote_identifier(get_rel_name(atab))),
					SPI_OK_UTILITY, "dropping the tables", name);
	delete_meta_row(name);
	pgq_end(&exec);
	/* the tables are locked now: no read_with_poll gets to wait on the queue */
	pgq_wait_dropped();

	pgq_forget_queue(name);
	PG_RETURN_BOOL(true);
}

/*
 * pgmq.drop_queue(queue_name text [, partitioned boolean]) returns boolean
 *
 * drop_queue; the two-argument form warns as pgmq's does.  (pgq's own
 * two-argument form ignores partitioned silently: a queue's tables say
 * what they are.)
 */
Datum
pgmq_drop_queue(PG_FUNCTION_ARGS)
{
	if (PG_NARGS() == 2)
		ereport(WARNING,
				(errmsg("drop_queue(queue_name, partitioned) is deprecated and will be removed in PGMQ v2.0. Use drop_queue(queue_name) instead")));
	return drop_queue(fcinfo);
}

/*
 * detach_archive(queue_name text) returns void
 *
 * In pgmq, keeps a queue's archive when DROP EXTENSION pgmq drops the
 * queues.  DROP EXTENSION pgq never drops a queue's tables, so there is
 * nothing to detach: the queue's owner may call it, and nothing changes.
 */
Datum
pgq_detach_archive(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];

	pgq_get_queue_name(fcinfo, 0, name);
	(void) pgq_check_queue_owner(name, "detach the archive of", false);
	PG_RETURN_VOID();
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
	PgqExec		exec;
	int64		count;

	pgq_get_queue_name(fcinfo, 0, name);

	/*
	 * Emptying a queue is an administrator's act: it takes TRUNCATE (which
	 * grant_admin gives and grant_consumer does not), though it deletes.
	 */
	pgq_lookup_queue(name, RowExclusiveLock, ACL_DELETE | ACL_TRUNCATE, &queue, false);

	pgq_begin(&exec);
	pgq_run(&queue, PGQ_STMT_PURGE, NULL, NULL, NULL);
	count = (int64) SPI_processed;
	pgq_end(&exec);
	/* rolled back, the messages are back; a waiter's read may have skipped them */
	pgq_note_messages(queue.relid, (uint64) count, PGQ_NOTE_AT_ABORT, 0, 0);

	PG_RETURN_INT64(count);
}

/*
 * list_queues() returns setof queue_record: queue_name, is_partitioned,
 * is_unlogged, created_at
 */
Datum
pgq_list_queues(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PgqExec		exec;
	uint64		i;

	InitMaterializedSRF(fcinfo, 0);

	pgq_begin(&exec);
	pgq_run_sql("SELECT queue_name, is_partitioned, is_unlogged, created_at"
				" FROM pgq.meta ORDER BY queue_name",
				SPI_OK_SELECT, "listing", "*");
	for (i = 0; i < SPI_processed; i++)
	{
		Datum		values[4];
		bool		nulls[4];

		heap_deform_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pgq_end(&exec);

	return (Datum) 0;
}

/*
 * forget_dropped_queues() returns event_trigger, on sql_drop
 *
 * A queue table dropped by hand (by the owner of schema pgq, the only role
 * that can) takes its pgq.meta row with it, so that no row outlives its
 * queue.  (drop_queue removes such a row too, should one exist.)  Runs as
 * the tables' owner, for whoever dropped anything in the database.
 */
Datum
pgq_forget_dropped_queues(PG_FUNCTION_ARGS)
{
	Oid			nsp;
	bool		queue_dropped;
	PgqExec		exec;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("pgq.forget_dropped_queues() must be called as an event trigger")));

	/* nothing to do once pgq.meta itself is gone (DROP EXTENSION, DROP SCHEMA) */
	nsp = get_namespace_oid(PGQ_SCHEMA, true);
	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("meta", nsp)))
		PG_RETURN_VOID();

	/* nor when no table of schema pgq went: other roles' drops are theirs */
	pgq_spi_connect();
	pgq_run_sql("SELECT 1 FROM pg_catalog.pg_event_trigger_dropped_objects() d"
				" WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
				" AND d.objsubid OPERATOR(pg_catalog.=) 0"
				" AND d.schema_name OPERATOR(pg_catalog.=) 'pgq'"
				" AND pg_catalog.starts_with(d.object_name, 'q_')",
				SPI_OK_SELECT, "forgetting dropped queues", "*");
	queue_dropped = (SPI_processed > 0);
	pgq_spi_finish();
	if (!queue_dropped)
		PG_RETURN_VOID();

	/*
	 * As the schema's owner, without pgq_begin's trust check: removing the
	 * rows of tables that are gone must work even while the schema holds
	 * something pgq refuses to work beside (dropping it may be the cure).
	 */
	pgq_begin_as(&exec, pgq_schema_owner());
	pgq_run_sql("DELETE FROM pgq.meta m"
				" USING pg_catalog.pg_event_trigger_dropped_objects() d"
				" WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
				" AND d.objsubid OPERATOR(pg_catalog.=) 0"
				" AND d.schema_name OPERATOR(pg_catalog.=) 'pgq'"
				" AND d.object_name OPERATOR(pg_catalog.=) pg_catalog.concat('q_', m.queue_name)",
				SPI_OK_DELETE, "forgetting dropped queues", "*");
	/*
	 * Queues whose dead-letter queue that was send their dead letters to
	 * their archive: a queue made later under the name, by anyone, must not
	 * receive them.
	 */
	pgq_run_sql("UPDATE pgq.meta m SET dead_letter_queue = NULL"
				" WHERE m.dead_letter_queue IS NOT NULL AND NOT EXISTS"
				" (SELECT FROM pgq.meta l WHERE l.queue_name OPERATOR(pg_catalog.=) m.dead_letter_queue)"
				" RETURNING m.queue_name",
				SPI_OK_UPDATE_RETURNING, "forgetting dropped queues", "*");
	{
		uint64		i;

		/* every backend reads those queues' settings again */
		for (i = 0; i < SPI_processed; i++)
		{
			Oid			relid = pgq_queue_table("q_", SPI_getvalue(SPI_tuptable->vals[i],
																   SPI_tuptable->tupdesc, 1));

			if (OidIsValid(relid))
				CacheInvalidateRelcacheByRelid(relid);
		}
	}
	pgq_end(&exec);

	PG_RETURN_VOID();
}

