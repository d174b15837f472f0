/*-------------------------------------------------------------------------
 *
 * plancache.c
 *		Per-backend cache of the statements prepared for each queue.
 *
 * The first time a backend runs an operation on a queue, the statement of
 * statements.c is prepared for it with SPI_prepare_cursor asking for a
 * generic plan, and kept with SPI_keepplan.  Later calls execute it as it
 * is: nothing is parsed or planned again on the hot path.  Before the first
 * plan for a table is made, and again after any invalidation of it, the
 * queue's tables are checked to be what create_queue made
 * (pgq_check_queue_tables).  A transient PgqQueue (metrics_all going over
 * every queue) gets plans that are not kept: scraping thousands of queues
 * must not leave thousands of plans in every monitoring backend.
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

#include "access/twophase.h"
#include "catalog/pg_type.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "pgq.h"

typedef struct PgqPlanEntry
{
	char		name[PGQ_MAX_NAME_LEN + 1]; /* hash key: the queue name */
	Oid			relid;			/* q_<name> the plans were prepared for */
	bool		relid_current;	/* no invalidation of relid seen since found */
	bool		tables_checked; /* pgq_check_queue_tables passed since then */
	Oid			priv_role;		/* the role priv_granted is known for */
	AclMode		priv_granted;	/* privileges priv_role was found to have */
	bool		settings_known; /* the three below read since the last invalidation */
	int32		notify_ms;		/* throttle of notifications, -1: none (notify.c) */
	int			ring_slot;		/* the children written to, -1: none (ring.c) */
	int			read_slot;		/* the one child that holds every row, -1: none */
	int			archive_slot;
	PgqPolicy	policy;			/* the delivery policy (policy.c) */
	TimestampTz low;			/* reads start at vt >= low (lowwater.c) */
	TimestampTz plow[PGQ_PRIORITY_MAX + 1];	/* the same per priority (policy.c) */
	TimestampTz low_rescan_at;	/* from the head again at this time */
	uint32		low_reads;		/* reads since the mark was last moved */
	SPIPlanPtr	plans[PGQ_NUM_STMTS];
} PgqPlanEntry;

static HTAB *plan_cache = NULL;

static void init_plan_cache(void);
static PgqPlanEntry *get_entry(const char *name, Oid relid);
static void forget_relation(Datum arg, Oid relid);
static void forget_privileges(Datum arg, int cacheid, uint32 hashvalue);
static void release_plans(PgqPlanEntry *entry);
static SPIPlanPtr prepare_stmt(const PgqQueue *queue, PgqStmt stmt);
static void load_settings(PgqPlanEntry *entry, PgqQueue *queue);
static void reset_low(PgqPlanEntry *entry);
static bool marks_after(PgqPlanEntry *entry, TimestampTz now);
static bool read_settings(PgqQueue *queue, int32 *throttle_ms, int *ring_slot, int *ring_live,
						  int *archive_slot, PgqPolicy *policy);

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
			entry->settings_known = false;
		}
		/* any relation: it may be the queue's archive, or one of its indexes */
		entry->tables_checked = false;
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
	entry->tables_checked = false;
	entry->priv_role = InvalidOid;
	entry->priv_granted = 0;
	entry->settings_known = false;
	entry->ring_slot = -1;
	entry->read_slot = -1;
	entry->archive_slot = -1;
	reset_low(entry);
	entry->low_rescan_at = 0;
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
 * Return the plan of statement stmt for the queue, preparing it on first
 * use (kept, unless the queue is transient).  The caller must be connected
 * to SPI and hold a lock on the queue's table (pgq_lookup_queue), so
 * queue->relid is current.
 */
SPIPlanPtr
pgq_get_plan(PgqQueue *queue, PgqStmt stmt)
{
	PgqPlanEntry *entry;

	Assert(stmt >= 0 && stmt < PGQ_NUM_STMTS);

	entry = get_entry(queue->name, queue->relid);
	if (!entry->tables_checked)
	{
		pgq_check_queue_tables(queue->name, queue->relid);
		entry->tables_checked = true;
	}
	load_settings(entry, queue);
	queue->ring_slot = entry->ring_slot;
	queue->read_slot = entry->read_slot;
	queue->archive_slot = entry->archive_slot;
	if (entry->plans[stmt] != NULL)
		return entry->plans[stmt];

	if (queue->transient)
	{
		if (queue->plans[stmt] == NULL)
			queue->plans[stmt] = prepare_stmt(queue, stmt);
		return queue->plans[stmt];
	}

	entry->plans[stmt] = prepare_stmt(queue, stmt);
	if (SPI_keepplan(entry->plans[stmt]) != 0)
		elog(ERROR, "pgq: keeping a plan for queue \"%s\" failed", queue->name);
	return entry->plans[stmt];
}

/*
 * The notification setting of the queue (notify.c): true, with the
 * throttle interval, if it has notifications.  Read from pgq.meta the first
 * time and after any invalidation of the queue's table; the caller is
 * connected to SPI as the tables' owner and holds a lock on the table.
 */
bool
pgq_queue_notify_setting(PgqQueue *queue, int32 *throttle_ms)
{
	PgqPlanEntry *entry = get_entry(queue->name, queue->relid);

	load_settings(entry, queue);
	*throttle_ms = entry->notify_ms;
	return entry->notify_ms >= 0;
}

/*
 * The settings of a queue in pgq.meta: its ring's slots and live children
 * (-1 for each without a ring), its delivery policy, and true, with the
 * throttle interval, if it has notifications (notify.c).  Connected to SPI
 * as the tables' owner.
 */
#define NUM_SETTINGS 13
static bool
read_settings(PgqQueue *queue, int32 *throttle_ms, int *ring_slot, int *ring_live,
			  int *archive_slot, PgqPolicy *policy)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	bool		isnull[NUM_SETTINGS];
	Datum		d[NUM_SETTINGS];
	int			rc;
	int			i;
	SPIPlanPtr	plan;

	/*
	 * As committed now, not as the caller's snapshot shows it: the values
	 * are kept until the next change of the queue's settings invalidates
	 * them.
	 */
	plan = SPI_prepare("SELECT notify_throttle_ms, ring_slot, archive_slot, ring_live,"
					   " max_deliveries, dead_letter_queue, retry_backoff,"
					   " (pg_catalog.date_part('epoch', retry_delay) OPERATOR(pg_catalog.*) 1e6)::pg_catalog.int8,"
					   " (pg_catalog.date_part('epoch', retry_delay_max) OPERATOR(pg_catalog.*) 1e6)::pg_catalog.int8,"
					   " retry_jitter, priorities,"
					   " (pg_catalog.date_part('epoch', dedup_window) OPERATOR(pg_catalog.*) 1e6)::pg_catalog.int8,"
					   " max_depth"
					   " FROM pgq.meta WHERE queue_name OPERATOR(pg_catalog.=) $1", 1, argtypes);
	if (plan == NULL)
		elog(ERROR, "pgq: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	values[0] = CStringGetTextDatum(queue->name);
	rc = SPI_execute_snapshot(plan, values, NULL, GetLatestSnapshot(), InvalidSnapshot,
							  true, false, 1);
	SPI_freeplan(plan);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pgq: reading the settings of queue \"%s\" failed: %s",
			 queue->name, SPI_result_code_string(rc));
	for (i = 0; i < NUM_SETTINGS; i++)
	{
		isnull[i] = true;
		d[i] = (Datum) 0;
		if (SPI_processed == 1)
			d[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1, &isnull[i]);
	}
	*ring_slot = isnull[1] ? -1 : DatumGetInt16(d[1]);
	*archive_slot = isnull[2] ? -1 : DatumGetInt16(d[2]);
	/* without a ring, or not known: everything may hold rows */
	*ring_live = isnull[3] ? -1 : DatumGetInt16(d[3]);
	if (*ring_slot >= PGQ_RING_SIZE || *archive_slot >= PGQ_RING_SIZE)
		elog(ERROR, "pgq: queue \"%s\" has a bad ring slot", queue->name);

	memset(policy, 0, sizeof(PgqPolicy));
	policy->max_deliveries = isnull[4] ? 0 : DatumGetInt32(d[4]);
	if (!isnull[5])
		strlcpy(policy->dead_letter_queue, TextDatumGetCString(d[5]),
				sizeof(policy->dead_letter_queue));
	if (!isnull[6])
		policy->backoff = strcmp(TextDatumGetCString(d[6]), "exponential") == 0 ?
			PGQ_BACKOFF_EXPONENTIAL : PGQ_BACKOFF_FIXED;
	policy->retry_delay_us = isnull[7] ? 0 : DatumGetInt64(d[7]);
	policy->retry_delay_max_us = isnull[8] ? 0 : DatumGetInt64(d[8]);
	policy->retry_jitter = !isnull[9] && DatumGetBool(d[9]);
	policy->priorities = !isnull[10] && DatumGetBool(d[10]);
	policy->dedup_window_us = isnull[11] ? 0 : DatumGetInt64(d[11]);
	policy->max_depth = isnull[12] ? 0 : DatumGetInt64(d[12]);

	if (isnull[0])
		return false;
	*throttle_ms = DatumGetInt32(d[0]);
	return true;
}

/*
 * Read the queue's settings from pgq.meta unless they are known.  The
 * plans whose tables changed are thrown away: {qw} and {aw} after a
 * rotation, {q} when the rows go from one child of the ring to several (or
 * back).  A read plan that scans one child is only ever used while every
 * row of the queue is in that child: maintain_queue adds a child to
 * ring_live under an ACCESS EXCLUSIVE lock of q_<name>, so every
 * transaction that uses the queue afterwards took its lock later, and read
 * the invalidation then (ring.c).
 */
static void
load_settings(PgqPlanEntry *entry, PgqQueue *queue)
{
	int32		ms;
	int			ring_slot;
	int			ring_live;
	int			archive_slot;
	int			read_slot;
	int			i;

	if (entry->settings_known)
		return;
	entry->notify_ms = read_settings(queue, &ms, &ring_slot, &ring_live, &archive_slot,
									 &entry->policy) ? ms : -1;
	read_slot = (ring_slot >= 0 && ring_live == (1 << ring_slot)) ? ring_slot : -1;
	for (i = 0; i < PGQ_NUM_STMTS; i++)
	{
		const char *sql = pgq_stmts[i].sql;

		if (entry->plans[i] != NULL &&
			((ring_slot != entry->ring_slot && strstr(sql, "{qw}") != NULL) ||
			 (read_slot != entry->read_slot && strstr(sql, "{q}") != NULL) ||
			 (archive_slot != entry->archive_slot && strstr(sql, "{aw}") != NULL)))
		{
			SPI_freeplan(entry->plans[i]);
			entry->plans[i] = NULL;
		}
	}
	entry->ring_slot = ring_slot;
	entry->read_slot = read_slot;
	entry->archive_slot = archive_slot;
	entry->settings_known = true;
}

/*
 * The queue's delivery policy (policy.c), read from pgq.meta the first time
 * and after any invalidation of the queue's table.  The caller holds a lock
 * on the table.  The result is valid until the next call of a function of
 * this file.
 */
const PgqPolicy *
pgq_queue_policy(PgqQueue *queue)
{
	PgqPlanEntry *entry = get_entry(queue->name, queue->relid);

	if (!entry->settings_known)
	{
		PgqExec		exec;

		pgq_begin(&exec);
		load_settings(entry, queue);
		pgq_end(&exec);
	}
	return &entry->policy;
}

/*
 * Where this read of the queue starts (lowwater.c): vt >= the value
 * returned, -infinity without a mark.  Every mark is forgotten when
 * lowwater.c says so.  With probe, the read is counted, and *probe says
 * whether it is time to move the mark: at the first read, and every
 * PGQ_LOW_PROBE_EVERY reads after.
 */
TimestampTz
pgq_queue_low(PgqQueue *queue, bool *probe)
{
	PgqPlanEntry *entry;
	TimestampTz now;

	if (probe != NULL)
		*probe = false;
	if (!pgq_low_active() || queue->transient)
		return DT_NOBEGIN;
	if (!pgq_low_marks_valid())
	{
		HASH_SEQ_STATUS status;

		hash_seq_init(&status, plan_cache);
		while ((entry = (PgqPlanEntry *) hash_seq_search(&status)) != NULL)
			reset_low(entry);
	}
	entry = get_entry(queue->name, queue->relid);
	now = GetCurrentTimestamp();
	/*
	 * From the head again when the clock stepped back, and, where prepared
	 * transactions can be (whose writes nothing tracks), every
	 * PGQ_LOW_RESCAN_SECS; the next read moves the mark again.
	 */
	if (entry->low > now || marks_after(entry, now) ||
		entry->low_rescan_at - now > (TimestampTz) PGQ_LOW_RESCAN_SECS * USECS_PER_SEC ||
		(max_prepared_xacts > 0 && now >= entry->low_rescan_at))
	{
		reset_low(entry);
		entry->low_rescan_at = now + (TimestampTz) PGQ_LOW_RESCAN_SECS * USECS_PER_SEC;
	}
	if (probe != NULL)
		*probe = (entry->low_reads++ % PGQ_LOW_PROBE_EVERY == 0);
	return entry->low;
}

void
pgq_queue_set_low(PgqQueue *queue, TimestampTz low)
{
	get_entry(queue->name, queue->relid)->low = low;
}

/* is a priority's mark after now (the clock stepped back)? */
static bool
marks_after(PgqPlanEntry *entry, TimestampTz now)
{
	int			p;

	for (p = 0; p <= PGQ_PRIORITY_MAX; p++)
		if (entry->plow[p] > now)
			return true;
	return false;
}

/* every mark forgotten: reads start at the head of the index */
static void
reset_low(PgqPlanEntry *entry)
{
	int			p;

	entry->low = DT_NOBEGIN;
	for (p = 0; p <= PGQ_PRIORITY_MAX; p++)
		entry->plow[p] = DT_NOBEGIN;
	entry->low_reads = 0;
}

/*
 * A queue with priorities has a mark per priority (a read of the highest
 * priority would otherwise start where the oldest waiting message of the
 * lowest is, and walk every entry of its own priority that died since):
 * lows[p] of priority p, after pgq_queue_low, which forgets them when it
 * forgets the queue's mark.
 */
void
pgq_queue_priority_lows(PgqQueue *queue, TimestampTz *lows)
{
	PgqPlanEntry *entry = get_entry(queue->name, queue->relid);

	memcpy(lows, entry->plow, sizeof(entry->plow));
}

void
pgq_queue_set_priority_lows(PgqQueue *queue, const TimestampTz *lows)
{
	memcpy(get_entry(queue->name, queue->relid)->plow, lows,
		   sizeof(TimestampTz) * (PGQ_PRIORITY_MAX + 1));
}

/* free the plans a transient queue was given */
void
pgq_release_transient_plans(PgqQueue *queue)
{
	int			i;

	for (i = 0; i < PGQ_NUM_STMTS; i++)
	{
		if (queue->plans[i] != NULL)
		{
			SPI_freeplan(queue->plans[i]);
			queue->plans[i] = NULL;
		}
	}
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

static SPIPlanPtr
prepare_stmt(const PgqQueue *queue, PgqStmt stmt)
{
	const PgqStmtDef *def = &pgq_stmts[stmt];
	char	   *sql = pgq_stmt_sql(queue, stmt);
	SPIPlanPtr	plan;

	plan = SPI_prepare_cursor(sql, def->nargs, (Oid *) def->argtypes,
							  CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "pgq: preparing a statement for queue \"%s\" failed: %s",
			 queue->name, SPI_result_code_string(SPI_result));
	pfree(sql);

	return plan;
}
