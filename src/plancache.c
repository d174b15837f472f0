/*-------------------------------------------------------------------------
 *
 * plancache.c
 *		Per-backend cache of the statements prepared for each queue.
 *
 * The first time a backend runs an operation on a queue, the statement is
 * built (with the queue's table names quoted by quote_identifier; values
 * are always parameters), prepared with SPI_prepare_cursor asking for a
 * generic plan, and kept with SPI_keepplan.  Later calls execute it as it
 * is: nothing is parsed or planned again on the hot path.
 *
 * An entry remembers the OID of the q_<name> table it was prepared for.
 * If another session drops the queue and creates it again under the same
 * name, the next lookup finds a different OID and the entry's plans are
 * thrown away and prepared anew.  (PostgreSQL's own plan invalidation would
 * also re-analyse them; the OID check keeps the entry honest regardless.)
 * Entries are removed when this backend drops the queue or finds it gone.
 *
 * An entry also remembers, for pgq_lookup_queue's fast path, that q_<name>
 * was found under that OID and which privileges the current role was found
 * to have on it.  A relcache invalidation of the table (drop, rename,
 * GRANT, REVOKE, any ALTER) or a change of role memberships, role
 * attributes or schema privileges forgets that (the callbacks below), so the fast path never trusts
 * anything the catalog has changed since; it also re-checks once the lock
 * is held, since taking a lock is when a backend reads invalidations.
 *
 * The hash table lives in its own memory context under CacheMemoryContext;
 * the kept plans live wherever SPI_keepplan puts them and are released with
 * SPI_freeplan.  Nothing here is shared between backends, so no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "pgq.h"

typedef struct PgqPlanEntry
{
	char		name[PGQ_MAX_NAME_LEN + 1]; /* hash key: the queue name */
	Oid			relid;			/* q_<name> the plans were prepared for */
	bool		relid_current;	/* no invalidation of relid seen since found */
	Oid			priv_role;		/* the role priv_granted is known for */
	AclMode		priv_granted;	/* privileges priv_role was found to have */
	SPIPlanPtr	plans[PGQ_NUM_STMTS];
} PgqPlanEntry;

static HTAB *plan_cache = NULL;

static void init_plan_cache(void);
static PgqPlanEntry *get_entry(const char *name, Oid relid);
static void forget_relation(Datum arg, Oid relid);
static void forget_privileges(Datum arg, int cacheid, uint32 hashvalue);
static void release_plans(PgqPlanEntry *entry);
static SPIPlanPtr prepare_stmt(const char *name, PgqStmt stmt);

static void
init_plan_cache(void)
{
	HASHCTL		ctl;

	if (CacheMemoryContext == NULL)
		CreateCacheMemoryContext();

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = PGQ_MAX_NAME_LEN + 1;
	ctl.entrysize = sizeof(PgqPlanEntry);
	ctl.hcxt = AllocSetContextCreate(CacheMemoryContext, "pgq plan cache",
									 ALLOCSET_SMALL_SIZES);
	plan_cache = hash_create("pgq plan cache", 16, &ctl,
							 HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	/* once per backend: the hash table lives as long as the backend */
	CacheRegisterRelcacheCallback(forget_relation, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, forget_privileges, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, forget_privileges, (Datum) 0);
	/* USAGE on schema pgq, which the lookup by name checks */
	CacheRegisterSyscacheCallback(NAMESPACEOID, forget_privileges, (Datum) 0);
}

/* relcache invalidation of relid (InvalidOid: of every relation) */
static void
forget_relation(Datum arg pg_attribute_unused(), Oid relid)
{
	HASH_SEQ_STATUS status;
	PgqPlanEntry *entry;

	hash_seq_init(&status, plan_cache);
	while ((entry = (PgqPlanEntry *) hash_seq_search(&status)) != NULL)
	{
		if (!OidIsValid(relid) || entry->relid == relid)
		{
			entry->relid_current = false;
			entry->priv_role = InvalidOid;
		}
	}
}

/* a role, or a role membership, changed: privileges must be checked again */
static void
forget_privileges(Datum arg pg_attribute_unused(), int cacheid pg_attribute_unused(),
				  uint32 hashvalue pg_attribute_unused())
{
	HASH_SEQ_STATUS status;
	PgqPlanEntry *entry;

	hash_seq_init(&status, plan_cache);
	while ((entry = (PgqPlanEntry *) hash_seq_search(&status)) != NULL)
		entry->priv_role = InvalidOid;
}

/*
 * The entry of queue name, made if missing.  If it was made for another
 * q_<name> table (the queue was dropped and created again since), its
 * plans and what it knew are thrown away.
 */
static PgqPlanEntry *
get_entry(const char *name, Oid relid)
{
	PgqPlanEntry *entry;
	bool		found;

	if (plan_cache == NULL)
		init_plan_cache();

	entry = (PgqPlanEntry *) hash_search(plan_cache, name, HASH_ENTER, &found);
	if (!found)
		memset(entry->plans, 0, sizeof(entry->plans));
	else if (entry->relid != relid)
		release_plans(entry);
	else
		return entry;

	entry->relid = relid;
	entry->relid_current = false;
	entry->priv_role = InvalidOid;
	entry->priv_granted = 0;
	return entry;
}

/*
 * The OID of q_<name> as this backend last found it, if nothing has
 * invalidated it since and role was found to have the privileges in
 * required on it; else InvalidOid (look it up the long way).
 */
Oid
pgq_known_queue(const char *name, Oid role, AclMode required)
{
	PgqPlanEntry *entry;

	if (plan_cache == NULL)
		return InvalidOid;
	entry = (PgqPlanEntry *) hash_search(plan_cache, name, HASH_FIND, NULL);
	if (entry == NULL || !entry->relid_current)
		return InvalidOid;
	if (required != 0 &&
		(entry->priv_role != role || (entry->priv_granted & required) != required))
		return InvalidOid;
	return entry->relid;
}

/*
 * Remember that q_<name> was found (and locked) as relid, and that role
 * has the privileges in granted on it.
 */
void
pgq_remember_queue(const char *name, Oid relid, Oid role, AclMode granted)
{
	PgqPlanEntry *entry = get_entry(name, relid);

	entry->relid_current = true;
	if (entry->priv_role != role)
	{
		entry->priv_role = role;
		entry->priv_granted = 0;
	}
	entry->priv_granted |= granted;
}

static void
release_plans(PgqPlanEntry *entry)
{
	int			i;

	for (i = 0; i < PGQ_NUM_STMTS; i++)
	{
		if (entry->plans[i] != NULL)
		{
			SPI_freeplan(entry->plans[i]);
			entry->plans[i] = NULL;
		}
	}
}

/*
 * Return the kept plan of statement stmt for the queue, preparing it on
 * first use.  The caller must be connected to SPI and hold a lock on the
 * queue's table (pgq_lookup_queue), so queue->relid is current.
 */
SPIPlanPtr
pgq_get_plan(const PgqQueue *queue, PgqStmt stmt)
{
	PgqPlanEntry *entry;

	Assert(stmt >= 0 && stmt < PGQ_NUM_STMTS);

	entry = get_entry(queue->name, queue->relid);
	if (entry->plans[stmt] == NULL)
		entry->plans[stmt] = prepare_stmt(queue->name, stmt);

	return entry->plans[stmt];
}

/*
 * Forget the plans of a queue this backend dropped or found missing.
 */
void
pgq_forget_queue(const char *name)
{
	PgqPlanEntry *entry;

	if (plan_cache == NULL)
		return;

	entry = (PgqPlanEntry *) hash_search(plan_cache, name, HASH_FIND, NULL);
	if (entry != NULL)
	{
		release_plans(entry);
		hash_search(plan_cache, name, HASH_REMOVE, NULL);
	}
}

/* the columns of pgq.message_record, as a select list over alias m */
#define MSG_COLUMNS \
	"m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers"

/*
 * The ids read and pop hand out: visible ($1 = now), the one visible
 * longest first (vt, then msg_id), at most $2 of them, locked, skipping rows
 * other consumers hold.  Collected into an array so that the outer UPDATE or
 * DELETE finds its rows through the primary key whatever the generic plan
 * guesses about $2.
 *
 * The order is the one of the q_<name>_vt_idx index, (vt, msg_id): the scan
 * starts at the oldest vt and stops after $2 rows it could lock, so messages
 * in flight (vt in the future) are never visited, however many there are.
 * Ordering by msg_id instead would walk the primary key past every message
 * in flight at the head of the queue, row by row.
 */
#define VISIBLE_IDS \
	"ARRAY(SELECT msg_id FROM pgq.%s" \
	" WHERE vt OPERATOR(pg_catalog.<=) $1" \
	" ORDER BY vt, msg_id LIMIT $2 FOR UPDATE SKIP LOCKED)"

static SPIPlanPtr
prepare_stmt(const char *name, PgqStmt stmt)
{
	const char *q = quote_identifier(psprintf("q_%s", name));
	const char *a = quote_identifier(psprintf("a_%s", name));
	char	   *sql;
	Oid			argtypes[3];
	int			nargs;
	SPIPlanPtr	plan;

	switch (stmt)
	{
		case PGQ_STMT_SEND:
			/* $1 vt, $2 message, $3 headers */
			sql = psprintf("INSERT INTO pgq.%s (vt, message, headers)"
						   " VALUES ($1, $2, $3) RETURNING msg_id", q);
			argtypes[0] = TIMESTAMPTZOID;
			argtypes[1] = JSONBOID;
			argtypes[2] = JSONBOID;
			nargs = 3;
			break;

		case PGQ_STMT_SEND_BATCH:
			/* $1 vt, $2 messages, $3 headers (NULL: none) */
			sql = psprintf("INSERT INTO pgq.%s (vt, message, headers)"
						   " SELECT $1, b.message, b.headers"
						   " FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3))"
						   "  AS b(message, headers)"
						   " RETURNING msg_id", q);
			argtypes[0] = TIMESTAMPTZOID;
			argtypes[1] = JSONBARRAYOID;
			argtypes[2] = JSONBARRAYOID;
			nargs = 3;
			break;

		case PGQ_STMT_READ:
			/*
			 * $1 now, $2 qty, $3 new vt.  A read with vt 0 ($3 = $1) leaves
			 * vt as it is: the message stays visible and keeps its place, so
			 * reading with vt 0 again returns the same head (as it does in
			 * pgmq), rather than moving the message behind the others.
			 */
			sql = psprintf("WITH u AS (UPDATE pgq.%s m SET vt ="
						   "  CASE WHEN $3 OPERATOR(pg_catalog.>) $1 THEN $3 ELSE m.vt END,"
						   "  read_ct = m.read_ct OPERATOR(pg_catalog.+) 1,"
						   "  last_read_at = $1"
						   "  WHERE m.msg_id OPERATOR(pg_catalog.=) ANY (" VISIBLE_IDS ")"
						   "  RETURNING " MSG_COLUMNS ")"
						   " SELECT * FROM u ORDER BY msg_id", q, q);
			argtypes[0] = TIMESTAMPTZOID;
			argtypes[1] = INT8OID;
			argtypes[2] = TIMESTAMPTZOID;
			nargs = 3;
			break;

		case PGQ_STMT_POP:
			/* $1 now, $2 qty */
			sql = psprintf("WITH d AS (DELETE FROM pgq.%s m"
						   "  WHERE m.msg_id OPERATOR(pg_catalog.=) ANY (" VISIBLE_IDS ")"
						   "  RETURNING " MSG_COLUMNS ")"
						   " SELECT * FROM d ORDER BY msg_id", q, q);
			argtypes[0] = TIMESTAMPTZOID;
			argtypes[1] = INT8OID;
			nargs = 2;
			break;

		case PGQ_STMT_SET_VT:
			/* $1 msg_id, $2 new vt */
			sql = psprintf("UPDATE pgq.%s m SET vt = $2"
						   " WHERE m.msg_id OPERATOR(pg_catalog.=) $1"
						   " RETURNING " MSG_COLUMNS, q);
			argtypes[0] = INT8OID;
			argtypes[1] = TIMESTAMPTZOID;
			nargs = 2;
			break;

		case PGQ_STMT_DELETE:
			/* $1 msg_id */
			sql = psprintf("DELETE FROM pgq.%s WHERE msg_id OPERATOR(pg_catalog.=) $1", q);
			argtypes[0] = INT8OID;
			nargs = 1;
			break;

		case PGQ_STMT_DELETE_BATCH:
			/* $1 msg_ids */
			sql = psprintf("WITH d AS (DELETE FROM pgq.%s"
						   "  WHERE msg_id OPERATOR(pg_catalog.=) ANY ($1)"
						   "  RETURNING msg_id)"
						   " SELECT msg_id FROM d ORDER BY msg_id", q);
			argtypes[0] = INT8ARRAYOID;
			nargs = 1;
			break;

		case PGQ_STMT_ARCHIVE:
			/* $1 msg_id */
			sql = psprintf("WITH m AS (DELETE FROM pgq.%s"
						   "  WHERE msg_id OPERATOR(pg_catalog.=) $1"
						   "  RETURNING *)"
						   " INSERT INTO pgq.%s (msg_id, read_ct, enqueued_at,"
						   "  last_read_at, vt, message, headers)"
						   " SELECT " MSG_COLUMNS " FROM m", q, a);
			argtypes[0] = INT8OID;
			nargs = 1;
			break;

		case PGQ_STMT_ARCHIVE_BATCH:
			/* $1 msg_ids */
			sql = psprintf("WITH m AS (DELETE FROM pgq.%s"
						   "  WHERE msg_id OPERATOR(pg_catalog.=) ANY ($1)"
						   "  RETURNING *),"
						   " i AS (INSERT INTO pgq.%s (msg_id, read_ct, enqueued_at,"
						   "  last_read_at, vt, message, headers)"
						   "  SELECT " MSG_COLUMNS " FROM m RETURNING msg_id)"
						   " SELECT msg_id FROM i ORDER BY msg_id", q, a);
			argtypes[0] = INT8ARRAYOID;
			nargs = 1;
			break;

		case PGQ_STMT_PURGE:

			/*
			 * Lock the rows in msg_id order, as delete and archive of
			 * several messages do, so that two purges, or a purge and such a
			 * delete, cannot lock them in opposite orders and deadlock.
			 * (read and pop lock in (vt, msg_id) order but never wait: SKIP
			 * LOCKED.)
			 */
			sql = psprintf("DELETE FROM pgq.%s"
						   " WHERE msg_id OPERATOR(pg_catalog.=) ANY (ARRAY("
						   "  SELECT msg_id FROM pgq.%s ORDER BY msg_id FOR UPDATE))",
						   q, q);
			nargs = 0;
			break;

		case PGQ_STMT_METRICS:

			/*
			 * $1 now, $2 the msg_id sequence, $3 how many rows to count at
			 * most (NULL: all).  A plain scan that stops after $3 rows.
			 */
			sql = psprintf("SELECT pg_catalog.count(*),"
						   " pg_catalog.count(*) FILTER (WHERE s.vt OPERATOR(pg_catalog.<=) $1),"
						   " pg_catalog.max(s.enqueued_at), pg_catalog.min(s.enqueued_at),"
						   " pg_catalog.pg_sequence_last_value($2)"
						   " FROM (SELECT vt, enqueued_at FROM pgq.%s LIMIT $3) s", q);
			argtypes[0] = TIMESTAMPTZOID;
			argtypes[1] = REGCLASSOID;
			argtypes[2] = INT8OID;
			nargs = 3;
			break;

		case PGQ_STMT_METRICS_ENDS:

			/*
			 * $1 the queue table.  The enqueued_at of the newest and of the
			 * oldest message by msg_id (two probes of the primary key), the
			 * statistics system's count of live rows, the planner's
			 * estimate (reltuples per page times the pages there are now),
			 * and the number of pages there are now.
			 */
			sql = psprintf("SELECT (SELECT enqueued_at FROM pgq.%s"
						   "   ORDER BY msg_id DESC LIMIT 1),"
						   " (SELECT enqueued_at FROM pgq.%s ORDER BY msg_id LIMIT 1),"
						   " pg_catalog.pg_stat_get_live_tuples($1),"
						   " (SELECT CASE WHEN c.relpages OPERATOR(pg_catalog.>) 0"
						   "   AND c.reltuples OPERATOR(pg_catalog.>=) 0"
						   "  THEN (c.reltuples OPERATOR(pg_catalog./) c.relpages"
						   "   OPERATOR(pg_catalog.*) (pg_catalog.pg_relation_size(c.oid)"
						   "   OPERATOR(pg_catalog./) pg_catalog.current_setting('block_size')::pg_catalog.int8))"
						   "   ::pg_catalog.int8 END"
						   "  FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) $1),"
						   " pg_catalog.pg_relation_size($1::pg_catalog.regclass)"
						   "  OPERATOR(pg_catalog./) pg_catalog.current_setting('block_size')::pg_catalog.int8",
						   q, q);
			argtypes[0] = OIDOID;
			nargs = 1;
			break;

		case PGQ_STMT_METRICS_INVISIBLE:
			/* $1 now, $2 limit: messages in flight or delayed, from the vt index's far end */
			sql = psprintf("SELECT pg_catalog.count(*) FROM (SELECT 1 FROM pgq.%s"
						   " WHERE vt OPERATOR(pg_catalog.>) $1 ORDER BY vt DESC LIMIT $2) s", q);
			argtypes[0] = TIMESTAMPTZOID;
			argtypes[1] = INT8OID;
			nargs = 2;
			break;

		case PGQ_STMT_METRICS_VISIBLE:
			/* $1 now, $2 limit: visible messages, from the vt index's start */
			sql = psprintf("SELECT pg_catalog.count(*) FROM (SELECT 1 FROM pgq.%s"
						   " WHERE vt OPERATOR(pg_catalog.<=) $1 ORDER BY vt LIMIT $2) s", q);
			argtypes[0] = TIMESTAMPTZOID;
			argtypes[1] = INT8OID;
			nargs = 2;
			break;

		case PGQ_STMT_METRICS_SAMPLE:
			/* $1 now, $2 percent of the table's pages to sample */
			sql = psprintf("SELECT pg_catalog.count(*) FILTER (WHERE vt OPERATOR(pg_catalog.<=) $1),"
						   " pg_catalog.count(*) FROM pgq.%s TABLESAMPLE SYSTEM ($2)", q);
			argtypes[0] = TIMESTAMPTZOID;
			argtypes[1] = FLOAT4OID;
			nargs = 2;
			break;

		default:
			elog(ERROR, "pgq: unknown statement %d", (int) stmt);
			pg_unreachable();
	}

	plan = SPI_prepare_cursor(sql, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "pgq: preparing a statement for queue \"%s\" failed: %s",
			 name, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "pgq: keeping a plan for queue \"%s\" failed", name);
	pfree(sql);

	return plan;
}
