/*-------------------------------------------------------------------------
 *
 * policy.c
 *		Delivery policies: how many times a message is handed out before it
 *		is a dead letter, how much longer each delivery hides it (backoff),
 *		priorities, deduplication keys and a maximum depth; and what is
 *		counted about them.
 *
 * A queue's policy is a few columns of pgq.meta, set by its owner with
 * set_policy() (or create_queue(name, unlogged, policy)) and read into the
 * plan cache with the queue's other settings (plancache.c).  A queue with
 * no policy runs the statements it ran before: none of what is here is on
 * its path but one look at the cached settings per send (max_depth).
 *
 * A read under max_deliveries or a backoff (pgq_policy_read) first locks
 * the messages it could hand out (FOR UPDATE SKIP LOCKED, as read does),
 * then decides in C: a message handed out max_deliveries times already
 * is moved, in the same transaction, to the dead-letter queue (or the
 * archive); the others are handed out, each hidden for vt plus the
 * backoff of its delivery count.  It reads again for the ones it moved,
 * so a read still returns qty messages when there are.
 *
 * Deliveries that rolled back.  A consumer that reads inside its own
 * transaction and dies takes its read_ct increment with it: a message that
 * kills its consumer would never reach max_deliveries.  With pgq preloaded,
 * a read under max_deliveries records in shared memory, per message it
 * handed out, its (sub)transaction id; the next read of the message adds
 * the deliveries of that transaction to read_ct if it rolled back (see
 * DeliveryEntry).  The table is bounded (PGQ_DELIVERIES_MAX entries, those
 * of committed transactions swept when it is full; beyond, deliveries go
 * uncounted) and lost with a restart.
 *
 * Counters (pgq.stats) live in shared memory too, per queue, like
 * pg_stat_*: counted when done, also in transactions that roll back, and
 * reset by a restart.  Without pgq preloaded there are none (NULL).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lwlock.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pgq.h"

PG_FUNCTION_INFO_V1(pgq_set_policy);
PG_FUNCTION_INFO_V1(pgq_policy);
PG_FUNCTION_INFO_V1(pgq_nack);
PG_FUNCTION_INFO_V1(pgq_redrive);
PG_FUNCTION_INFO_V1(pgq_stats);
PG_FUNCTION_INFO_V1(pgq_priority_stats);

#define PGQ_DELIVERIES_MAX	16384	/* messages whose deliveries are remembered */
#define PGQ_DELIVERY_KEEP_SECS	3600	/* a remembered delivery is forgotten after this long */

/* the oldest xid the commit log still has */
#if PG_VERSION_NUM >= 170000
#define PGQ_OLDEST_CLOG_XID (TransamVariables->oldestClogXid)
#else
#define PGQ_OLDEST_CLOG_XID (ShmemVariableCache->oldestClogXid)
#endif
#define PGQ_STATS_MAX		1024	/* queues counted */
#define PGQ_POLICY_ROUNDS	10		/* reads of a read that moved every message it found */
#define SECONDS_MAX			31536000.0	/* a year: the longest delay or window */

/*
 * Shared memory: deliveries and counters.  An entry per message a read
 * under max_deliveries handed out (or moved): the (sub)transaction that did
 * it, and the deliveries that are lost if it rolls back (its own, and
 * those of earlier readers that rolled back, which it added to read_ct).
 * The next read of the message asks the transaction's fate: rolled back,
 * the count is the message's; committed, read_ct has it already.  The row
 * lock that keeps other readers away is the transaction's xid, and a
 * transaction is marked rolled back in the commit log before its xid stops
 * running: no reader can see the row unlocked and the fate unknown.
 */
typedef struct DeliveryKey
{
	int64		msg_id;
	Oid			relid;
	uint32		pad;			/* zeroed: the key is hashed as bytes */
} DeliveryKey;

typedef struct DeliveryEntry
{
	DeliveryKey key;
	FullTransactionId fxid;		/* who read (or moved) the message last */
	int32		count;			/* deliveries lost if xid rolls back */
	bool		delivered;		/* xid handed it out (else moved it) */
	TimestampTz at;
} DeliveryEntry;

typedef struct StatsEntry
{
	Oid			relid;
	uint64		counts[PGQ_NUM_COUNTERS];
} StatsEntry;

typedef struct PolicyShared
{
	LWLock	   *lock;
	TimestampTz swept_at;		/* the last sweep of the deliveries */
} PolicyShared;

static PolicyShared *policy_shared = NULL;
static HTAB *deliveries = NULL;
static HTAB *stats = NULL;

/* the keys of set_policy */
typedef enum PolicyKind
{
	KIND_COUNT,					/* an integer from min to max */
	KIND_SECONDS,				/* a number of seconds from min to max */
	KIND_BOOL,
	KIND_QUEUE,					/* a queue's name */
	KIND_BACKOFF				/* "fixed" or "exponential" */
} PolicyKind;

typedef struct PolicyKey
{
	const char *key;
	PolicyKind	kind;
	double		min;
	double		max;
	const char *set;			/* the SET clause, %d: the parameter */
} PolicyKey;

static const PolicyKey policy_keys[] = {
	{"max_deliveries", KIND_COUNT, 1, 1000000, "max_deliveries = $%d::pg_catalog.int4"},
	{"dead_letter_queue", KIND_QUEUE, 0, 0, "dead_letter_queue = $%d"},
	{"retry_backoff", KIND_BACKOFF, 0, 0, "retry_backoff = $%d"},
	{"retry_delay", KIND_SECONDS, 0.001, SECONDS_MAX,
	"retry_delay = pg_catalog.make_interval(secs => $%d::pg_catalog.float8)"},
	{"retry_delay_max", KIND_SECONDS, 0.001, SECONDS_MAX,
	"retry_delay_max = pg_catalog.make_interval(secs => $%d::pg_catalog.float8)"},
	{"retry_jitter", KIND_BOOL, 0, 0, "retry_jitter = $%d::pg_catalog.bool"},
	{"priorities", KIND_BOOL, 0, 0, "priorities = COALESCE($%d::pg_catalog.bool, false)"},
	{"dedup_window", KIND_SECONDS, 1, SECONDS_MAX,
	"dedup_window = pg_catalog.make_interval(secs => $%d::pg_catalog.float8)"},
	{"max_depth", KIND_COUNT, 1, 1e15, "max_depth = $%d::pg_catalog.int8"},
};

static StatsEntry *stats_entry(Oid relid);
static void sweep_deliveries(TimestampTz now);
static int32 lost_deliveries(Oid relid, int64 msg_id, uint64 *rolled);
static void record_delivery(Oid relid, int64 msg_id, int32 count, bool delivered);
static int64 backoff_us(const PgqPolicy *policy, int32 deliveries);
static void dead_letter(PgqQueue *queue, const PgqPolicy *policy, Datum *ids, Datum *extras,
						int n, TimestampTz now);
static ArrayType *int8_array(Datum *elems, int n);
static ArrayType *int4_array(Datum *elems, int n);
static void move_rows(PgqQueue *to, HeapTuple tup, TupleDesc desc, bool keep_priority,
					  TimestampTz now);
static int64 get_count(HeapTuple tup, TupleDesc desc, int col);
static void change_priority_index(const char *name, bool on);
static void change_dedup_table(const char *name, bool on, bool unlogged);
static Jsonb *read_policy(const char *name);

Size
pgq_policy_shmem_size(void)
{
	return add_size(MAXALIGN(sizeof(PolicyShared)),
					add_size(hash_estimate_size(PGQ_DELIVERIES_MAX, sizeof(DeliveryEntry)),
							 hash_estimate_size(PGQ_STATS_MAX, sizeof(StatsEntry))));
}

/* under AddinShmemInitLock, from wait.c's startup hook */
void
pgq_policy_shmem_init(void)
{
	HASHCTL		ctl;
	bool		found;

	policy_shared = ShmemInitStruct("pgq policy", sizeof(PolicyShared), &found);
	if (!found)
	{
		policy_shared->lock = &(GetNamedLWLockTranche("pgq policy"))->lock;
		policy_shared->swept_at = 0;
	}
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(DeliveryKey);
	ctl.entrysize = sizeof(DeliveryEntry);
	deliveries = ShmemInitHash("pgq deliveries", PGQ_DELIVERIES_MAX, PGQ_DELIVERIES_MAX, &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(StatsEntry);
	stats = ShmemInitHash("pgq policy counters", PGQ_STATS_MAX, PGQ_STATS_MAX, &ctl,
						  HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
}

/* the counters of queue table relid, made if missing; NULL if the table is full.  Locked. */
static StatsEntry *
stats_entry(Oid relid)
{
	bool		found;
	StatsEntry *entry = (StatsEntry *) hash_search(stats, &relid, HASH_ENTER_NULL, &found);

	if (entry != NULL && !found)
		memset(entry->counts, 0, sizeof(entry->counts));
	return entry;
}

/* add n to a counter of queue table relid (nothing without shared memory) */
void
pgq_count(Oid relid, PgqCounter counter, uint64 n)
{
	StatsEntry *entry;

	if (policy_shared == NULL || n == 0)
		return;
	LWLockAcquire(policy_shared->lock, LW_EXCLUSIVE);
	entry = stats_entry(relid);
	if (entry != NULL)
		entry->counts[counter] += n;
	LWLockRelease(policy_shared->lock);
}

/* queue table relid is being dropped: its counters go */
void
pgq_forget_counts(Oid relid)
{
	if (policy_shared == NULL)
		return;
	LWLockAcquire(policy_shared->lock, LW_EXCLUSIVE);
	hash_search(stats, &relid, HASH_REMOVE, NULL);
	LWLockRelease(policy_shared->lock);
}

/* what became of the transaction that recorded a delivery */
typedef enum DeliveryFate
{
	FATE_RUNNING,				/* still running (or this backend's own) */
	FATE_COMMITTED,				/* committed, or too old to ask: read_ct has it */
	FATE_ROLLED_BACK			/* rolled back, or crashed */
} DeliveryFate;

/*
 * The fate of fxid.  One older than the commit log keeps (vacuum truncates
 * it) is not asked about: counted as committed, as its entry is older than
 * any reader that could still need it.  A transaction neither committed nor
 * running crashed (shared memory outlives a backend's crash, not the
 * server's).
 */
static DeliveryFate
delivery_fate(FullTransactionId fxid)
{
	TransactionId xid = XidFromFullTransactionId(fxid);
	FullTransactionId next = ReadNextFullTransactionId();
	DeliveryFate fate;

	if (U64FromFullTransactionId(next) - U64FromFullTransactionId(fxid) >= ((uint64) 1 << 31))
		return FATE_COMMITTED;
	if (TransactionIdIsCurrentTransactionId(xid) || TransactionIdIsInProgress(xid))
		return FATE_RUNNING;
	LWLockAcquire(XactTruncationLock, LW_SHARED);
	if (TransactionIdPrecedes(xid, PGQ_OLDEST_CLOG_XID))
		fate = FATE_COMMITTED;
	else
		fate = TransactionIdDidCommit(xid) ? FATE_COMMITTED : FATE_ROLLED_BACK;
	LWLockRelease(XactTruncationLock);
	return fate;
}

/* an entry not touched for PGQ_DELIVERY_KEEP_SECS: forgotten */
static bool
delivery_expired(const DeliveryEntry *entry, TimestampTz now)
{
	return now - entry->at > (TimestampTz) PGQ_DELIVERY_KEEP_SECS * USECS_PER_SEC;
}

/*
 * Make room: forget the entries whose transaction committed (read_ct has
 * their count) and the expired ones (a message deleted after a rolled-back
 * read without being read again).  At most once a second: a table full of
 * entries of running transactions is not walked again at every read (the
 * deliveries then go uncounted).  Locked exclusively.
 */
static void
sweep_deliveries(TimestampTz now)
{
	HASH_SEQ_STATUS status;
	DeliveryEntry *entry;
	FullTransactionId last = InvalidFullTransactionId;
	DeliveryFate last_fate = FATE_RUNNING;

	if (now - policy_shared->swept_at < USECS_PER_SEC)
		return;
	policy_shared->swept_at = now;
	hash_seq_init(&status, deliveries);
	while ((entry = (DeliveryEntry *) hash_seq_search(&status)) != NULL)
	{
		/* entries come in runs of one transaction's */
		if (!FullTransactionIdEquals(entry->fxid, last))
		{
			last = entry->fxid;
			last_fate = delivery_fate(last);
		}
		if (delivery_expired(entry, now) || last_fate == FATE_COMMITTED)
			hash_search(deliveries, &entry->key, HASH_REMOVE, NULL);
	}
}

/*
 * The deliveries of a message that rolled back since read_ct last counted
 * them (0 without shared memory); *rolled counts the reads that rolled
 * back.  The message is locked by the caller.
 */
static int32
lost_deliveries(Oid relid, int64 msg_id, uint64 *rolled)
{
	DeliveryKey key;
	DeliveryEntry *entry;
	int32		count = 0;

	if (policy_shared == NULL)
		return 0;
	memset(&key, 0, sizeof(key));
	key.relid = relid;
	key.msg_id = msg_id;
	LWLockAcquire(policy_shared->lock, LW_SHARED);
	entry = (DeliveryEntry *) hash_search(deliveries, &key, HASH_FIND, NULL);
	if (entry != NULL && !delivery_expired(entry, GetCurrentTimestamp()) &&
		delivery_fate(entry->fxid) == FATE_ROLLED_BACK)
	{
		count = entry->count;
		if (entry->delivered)
			(*rolled)++;
	}
	LWLockRelease(policy_shared->lock);
	return count;
}

/*
 * Record that this transaction handed out (delivered) or moved a message,
 * and the deliveries lost if it rolls back.  Called after the statement
 * that did it: a read that fails before leaves the previous reader's entry
 * as it was.  A second record of the same (sub)transaction adds to the
 * first (a read with vt 0 read it again, or moved it).  A full table is
 * swept; if still full, the delivery goes unrecorded.
 */
static void
record_delivery(Oid relid, int64 msg_id, int32 count, bool delivered)
{
	DeliveryKey key;
	DeliveryEntry *entry;
	FullTransactionId fxid;
	TimestampTz now;
	bool		found;

	if (policy_shared == NULL)
		return;
	fxid = GetCurrentFullTransactionId();
	now = GetCurrentTimestamp();
	memset(&key, 0, sizeof(key));
	key.relid = relid;
	key.msg_id = msg_id;
	LWLockAcquire(policy_shared->lock, LW_EXCLUSIVE);
	entry = (DeliveryEntry *) hash_search(deliveries, &key, HASH_ENTER_NULL, &found);
	if (entry == NULL)
	{
		sweep_deliveries(now);
		entry = (DeliveryEntry *) hash_search(deliveries, &key, HASH_ENTER_NULL, &found);
	}
	if (entry != NULL)
	{
		if (found && FullTransactionIdEquals(entry->fxid, fxid))
		{
			count += entry->count;
			delivered |= entry->delivered;
		}
		entry->fxid = fxid;
		entry->count = count;
		entry->delivered = delivered;
		entry->at = now;
	}
	LWLockRelease(policy_shared->lock);
}

/*
 * How long a message handed out for the deliveries-th time stays hidden
 * beyond the read's vt: retry_delay, doubled for each delivery after the
 * first (exponential), at most retry_delay_max; with jitter, between half
 * of that and all of it.
 */
static int64
backoff_us(const PgqPolicy *policy, int32 deliveries)
{
	int64		delay = policy->retry_delay_us;
	int64		cap = policy->retry_delay_max_us > 0 ? policy->retry_delay_max_us : PG_INT64_MAX;
	int32		i;

	if (policy->backoff == PGQ_BACKOFF_NONE || delay <= 0)
		return 0;
	if (policy->backoff == PGQ_BACKOFF_EXPONENTIAL)
		for (i = 1; i < deliveries && delay < cap; i++)
			delay = (delay > cap / 2) ? cap : delay * 2;
	delay = Min(delay, cap);
	if (policy->retry_jitter)
		delay = delay / 2 + (int64) (pg_prng_double(&pg_global_prng_state) * (double) (delay / 2));
	return delay;
}

/* does a read of a queue with this policy go through pgq_policy_read? */
bool
pgq_policy_reads(const PgqPolicy *policy)
{
	return policy->max_deliveries > 0 || policy->backoff != PGQ_BACKOFF_NONE;
}

static ArrayType *
int8_array(Datum *elems, int n)
{
	return construct_array(elems, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

static ArrayType *
int4_array(Datum *elems, int n)
{
	return construct_array(elems, n, INT4OID, sizeof(int32), true, TYPALIGN_INT);
}

/* sort order of the messages handed out by a queue without priorities: msg_id */
static int
cmp_int64_datum(const void *a, const void *b)
{
	int64		x = DatumGetInt64(((const Datum *) a)[0]);
	int64		y = DatumGetInt64(((const Datum *) b)[0]);

	return (x > y) - (x < y);
}

/*
 * read under a policy (see the top of the file): values and nulls are
 * read's parameters (now, qty, new vt, conditional, low-water mark); the
 * rows handed out go into the function's result.  Returns their number.
 */
uint64
pgq_policy_read(FunctionCallInfo fcinfo, PgqQueue *queue, PgqDialect dialect,
				Datum *values, const char *nulls, int32 qty)
{
	PgqPolicy	policy = *pgq_queue_policy(queue);
	TimestampTz now = DatumGetTimestampTz(values[0]);
	TimestampTz new_vt = DatumGetTimestampTz(values[2]);
	bool		track = policy.max_deliveries > 0;
	uint64		delivered = 0;
	uint64		redelivered = 0;
	uint64		rolled = 0;
	int			nhanded = Min(qty, 1024);
	Datum	   *handed = palloc(sizeof(Datum) * nhanded);	/* ids handed out so far */
	PgqExec		exec;
	int			round;

	pgq_begin(&exec);
	for (round = 0; round < PGQ_POLICY_ROUNDS && delivered < (uint64) qty; round++)
	{
		Datum		cv[5];
		char		cn[5] = {' ', ' ', nulls[3], ' ', ' '};
		uint64		n;
		uint64		i;
		Datum	   *row;		/* per message to hand out: id, extra, vt (0: as it is) */
		Datum	   *dead_ids;
		Datum	   *dead_extras;
		int			ndeliver = 0;
		int			ndead = 0;
		int			j;

		cv[0] = values[0];
		cv[1] = Int64GetDatum((int64) qty - (int64) delivered);
		cv[2] = values[3];
		cv[3] = values[4];
		/* what this call handed out is still visible with vt 0, and locked by it */
		cv[4] = PointerGetDatum(int8_array(handed, (int) delivered));
		pgq_run(queue, policy.priorities ? PGQ_STMT_CANDIDATES_PRI : PGQ_STMT_CANDIDATES,
				cv, cn, NULL);
		n = SPI_processed;
		if (n == 0)
			break;

		row = palloc(sizeof(Datum) * 3 * n);
		dead_ids = palloc(sizeof(Datum) * n);
		dead_extras = palloc(sizeof(Datum) * n);
		for (i = 0; i < n; i++)
		{
			bool		isnull;
			int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
														 SPI_tuptable->tupdesc, 1, &isnull));
			int32		read_ct = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
															  SPI_tuptable->tupdesc, 2, &isnull));
			int32		extra = track ? lost_deliveries(queue->relid, id, &rolled) : 0;
			int32		so_far = read_ct + extra;

			if (track && so_far >= policy.max_deliveries)
			{
				dead_ids[ndead] = Int64GetDatum(id);
				dead_extras[ndead++] = Int32GetDatum(extra);
				continue;
			}
			if (so_far > 0)
				redelivered++;
			row[3 * ndeliver] = Int64GetDatum(id);
			row[3 * ndeliver + 1] = Int32GetDatum(extra);
			/* vt 0 leaves vt as it is, as read does */
			row[3 * ndeliver + 2] = TimestampTzGetDatum(new_vt <= now ? 0 :
														new_vt + backoff_us(&policy, so_far + 1));
			ndeliver++;
		}

		if (ndead > 0)
		{
			dead_letter(queue, &policy, dead_ids, dead_extras, ndead, now);
			/* if this rolls back, the next read counts what they had */
			for (j = 0; j < ndead; j++)
				record_delivery(queue->relid, DatumGetInt64(dead_ids[j]),
								DatumGetInt32(dead_extras[j]), false);
		}

		if (ndeliver > 0)
		{
			Datum		dv[4];
			Datum	   *ids = palloc(sizeof(Datum) * ndeliver);
			Datum	   *extras = palloc(sizeof(Datum) * ndeliver);
			Datum	   *vts = palloc(sizeof(Datum) * ndeliver);
			bool	   *vtnulls = palloc(sizeof(bool) * ndeliver);
			int			dims[1] = {ndeliver};
			int			lbs[1] = {1};

			/* in msg_id order, as read returns them; else by priority, as found */
			if (!policy.priorities)
				qsort(row, ndeliver, 3 * sizeof(Datum), cmp_int64_datum);
			for (j = 0; j < ndeliver; j++)
			{
				ids[j] = row[3 * j];
				extras[j] = row[3 * j + 1];
				vts[j] = row[3 * j + 2];
				vtnulls[j] = (DatumGetTimestampTz(vts[j]) == 0);
			}
			dv[0] = values[0];
			dv[1] = PointerGetDatum(int8_array(ids, ndeliver));
			dv[2] = PointerGetDatum(int4_array(extras, ndeliver));
			dv[3] = PointerGetDatum(construct_md_array(vts, vtnulls, 1, dims, lbs,
													   TIMESTAMPTZOID, sizeof(TimestampTz),
													   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
			pgq_run(queue, dialect == PGQ_DIALECT_PGMQ ? PGQ_STMT_DELIVER_PGMQ : PGQ_STMT_DELIVER,
					dv, NULL, fcinfo);
			if (SPI_processed != (uint64) ndeliver)
				elog(ERROR, "pgq: read of queue \"%s\" handed out " UINT64_FORMAT " of %d messages",
					 queue->name, SPI_processed, ndeliver);
			if (delivered + ndeliver > (uint64) nhanded)
			{
				nhanded = (int) Min((uint64) qty, Max(delivered + ndeliver, 2 * (uint64) nhanded));
				handed = repalloc(handed, sizeof(Datum) * nhanded);
			}
			for (j = 0; j < ndeliver; j++)
			{
				if (track)
					record_delivery(queue->relid, DatumGetInt64(ids[j]),
									DatumGetInt32(extras[j]) + 1, true);
				handed[delivered++] = ids[j];
			}
		}
		/* found only messages it could hand out: there are no more */
		if (ndead == 0)
			break;
	}
	pgq_end(&exec);
	pgq_count(queue->relid, PGQ_COUNT_REDELIVERED, redelivered);
	pgq_count(queue->relid, PGQ_COUNT_ROLLED_BACK, rolled);
	return delivered;
}

/* a bigint column of a row (0 for NULL) */
static int64
get_count(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

/*
 * Insert into queue "to" the messages of tup, the one row of arrays that
 * DEAD_TAKE or REDRIVE_TAKE returned (a count last), visible now.  Connected
 * to SPI as the tables' owner.
 */
static void
move_rows(PgqQueue *to, HeapTuple tup, TupleDesc desc, bool keep_priority, TimestampTz now)
{
	int64		n = get_count(tup, desc, 6);
	TimestampTz recorded;
	TimestampTz vt;
	Datum		mv[7];
	char		mn[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	int			i;

	if (n == 0)
		return;
	for (i = 0; i < 5; i++)
	{
		bool		isnull;

		mv[i + 1] = SPI_getbinval(tup, desc, i + 1, &isnull);
		if (isnull)
			mn[i + 1] = 'n';
	}
	/* recorded for other backends' low-water marks before the vt is taken */
	recorded = pgq_low_begin_write(to->relid);
	vt = Max(GetCurrentTimestamp(), recorded);
	mv[0] = TimestampTzGetDatum(vt);
	mv[6] = BoolGetDatum(keep_priority);
	pgq_run(to, PGQ_STMT_SEND_MOVED, mv, mn, NULL);
	if (SPI_processed != (uint64) n)
		elog(ERROR, "pgq: moving messages to queue \"%s\" stored " UINT64_FORMAT " rows of " INT64_FORMAT,
			 to->name, SPI_processed, n);
	pgq_note_messages(to->relid, (uint64) n, PGQ_NOTE_AT_COMMIT, vt, now);
}

/*
 * Move the messages ids (locked by this transaction) out of the queue:
 * to its dead-letter queue, or its archive.  extras: the deliveries of
 * each that rolled back, added to read_ct.
 */
static void
dead_letter(PgqQueue *queue, const PgqPolicy *policy, Datum *ids, Datum *extras, int n,
			TimestampTz now)
{
	Datum		values[5];

	values[0] = PointerGetDatum(int8_array(ids, n));
	values[1] = PointerGetDatum(int4_array(extras, n));
	values[2] = TimestampTzGetDatum(now);
	values[3] = CStringGetTextDatum("max_deliveries");
	values[4] = CStringGetTextDatum(queue->name);

	if (policy->dead_letter_queue[0] != '\0')
	{
		PgqQueue	dlq;
		bool		keep_priority;
		HeapTuple	tup;
		TupleDesc	desc;

		/* as the tables' owner: the queue's owner named it, and owns it too */
		pgq_lookup_queue(policy->dead_letter_queue, RowExclusiveLock, 0, &dlq, false);
		if (pgq_meta_owner(dlq.name, true) != pgq_meta_owner(queue->name, true))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("dead-letter queue \"%s\" of queue \"%s\" belongs to another role",
							dlq.name, queue->name),
					 errhint("Its owner sets another dead_letter_queue with pgq.set_policy().")));
		keep_priority = pgq_queue_policy(&dlq)->priorities;
		pgq_run(queue, PGQ_STMT_DEAD_TAKE, values, NULL, NULL);
		tup = SPI_copytuple(SPI_tuptable->vals[0]);
		desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
		if (get_count(tup, desc, 6) != n)
			elog(ERROR, "pgq: moving dead letters of queue \"%s\" took " INT64_FORMAT " of %d",
				 queue->name, get_count(tup, desc, 6), n);
		move_rows(&dlq, tup, desc, keep_priority, now);
	}
	else
	{
		pgq_run(queue, PGQ_STMT_DEAD_ARCHIVE, values, NULL, NULL);
		if (SPI_processed != (uint64) n)
			elog(ERROR, "pgq: archiving dead letters of queue \"%s\" moved " UINT64_FORMAT " of %d",
				 queue->name, SPI_processed, n);
	}
	/* if the transaction rolls back, they are there again */
	pgq_note_messages(queue->relid, n, PGQ_NOTE_AT_ABORT, 0, 0);
	pgq_count(queue->relid, PGQ_COUNT_DEAD_LETTERED, n);
}

/*
 * Refuse (53400) to add "adding" messages to a queue that would then hold
 * more than its max_depth.  Cheap while the queue is short: the span of
 * its msg_ids bounds its depth; only beyond does it count, up to
 * max_depth.  Sends whose transactions are open at once do not see each
 * other's messages: each may add its own past the limit.  Connected to
 * SPI as the tables' owner.
 */
void
pgq_check_depth(PgqQueue *queue, int64 adding)
{
	int64		max_depth = pgq_queue_policy(queue)->max_depth;
	int64		depth;
	bool		isnull;
	Datum		d;
	Datum		values[1];

	if (max_depth <= 0)
		return;
	pgq_run(queue, PGQ_STMT_DEPTH_BOUND, NULL, NULL, NULL);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	if (isnull)
		depth = 0;
	else
		depth = get_count(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1) -
			DatumGetInt64(d) + 1;
	if (depth + adding <= max_depth)
		return;

	values[0] = Int64GetDatum(max_depth);
	pgq_run(queue, PGQ_STMT_DEPTH_COUNT, values, NULL, NULL);
	depth = get_count(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (depth + adding <= max_depth)
		return;
	pgq_count(queue->relid, PGQ_COUNT_REFUSED_FULL, 1);
	ereport(ERROR,
			(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
			 errmsg("queue \"%s\" is full", queue->name),
			 errdetail("It holds " INT64_FORMAT " messages, its max_depth is " INT64_FORMAT
					   ", and the send adds " INT64_FORMAT ".", depth, max_depth, adding),
			 errhint("Consumers are behind: send again later, or raise max_depth with pgq.set_policy().")));
}

/*
 * Index of the priority read on q_<name> and on each child of its ring,
 * made or dropped.  On a partitioned table, the index is made on every
 * partition too.  As the tables' owner.
 */
static void
change_priority_index(const char *name, bool on)
{
	int			slot;

	for (slot = -1; slot < PGQ_RING_SIZE; slot++)
	{
		char	   *table = slot < 0 ? psprintf("q_%s", name) : pgq_ring_child('q', name, slot);
		/* with a $, which no queue name has: no queue's table can take the name */
		char	   *index = psprintf("%s$pri", table);

		if (slot >= 0 && !OidIsValid(pgq_queue_table("", table)))
			continue;
		if (on)
			pgq_run_sql(psprintf("CREATE INDEX %s ON pgq.%s (priority, vt, msg_id)",
								 quote_identifier(index), quote_identifier(table)),
						SPI_OK_UTILITY, "indexing priorities", name);
		else
			pgq_run_sql(psprintf("DROP INDEX IF EXISTS pgq.%s", quote_identifier(index)),
						SPI_OK_UTILITY, "dropping the priority index", name);
	}
}

/*
 * The table of deduplication keys d_<name>, made or dropped, as the tables'
 * owner.  No privileges, row-level security on: only pgq's statements
 * reach it.
 */
static void
change_dedup_table(const char *name, bool on, bool unlogged)
{
	const char *table = quote_identifier(psprintf("d_%s", name));

	if (OidIsValid(pgq_queue_table("d_", name)) == on)
		return;
	if (!on)
	{
		pgq_run_sql(psprintf("DROP TABLE pgq.%s", table),
					SPI_OK_UTILITY, "dropping the deduplication keys", name);
		return;
	}
	pgq_run_sql(psprintf("CREATE %sTABLE pgq.%s (dedup_key pg_catalog.text PRIMARY KEY,"
						 " msg_id pg_catalog.int8 NOT NULL,"
						 " expires_at pg_catalog.timestamptz NOT NULL);"
						 "CREATE INDEX %s ON pgq.%s (expires_at);"
						 "ALTER TABLE pgq.%s ENABLE ROW LEVEL SECURITY;",
						 unlogged ? "UNLOGGED " : "", table,
						 quote_identifier(psprintf("d_%s$exp", name)), table, table),
				SPI_OK_UTILITY, "creating the deduplication keys", name);
	pgq_reset_privileges(pgq_queue_table("d_", name));
}

/*
 * Set the keys of policy (a JSON object) on queue name, whose owner the
 * caller was checked to be, with the queue's name locked.  JSON null
 * resets a key; keys not given stay as they are.
 */
void
pgq_apply_policy(const char *name, Jsonb *policy)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	StringInfoData set;
	Datum		params[lengthof(policy_keys) + 1];
	char		nulls[lengthof(policy_keys) + 1];
	Oid			types[lengthof(policy_keys) + 1];
	int			nparams = 1;
	const PolicyKey *key = NULL;
	char		dlq[PGQ_MAX_NAME_LEN + 1] = "";
	PgqExec		exec;
	bool		old_priorities;
	bool		old_dedup;
	bool		unlogged;
	bool		isnull;
	HeapTuple	tup;
	TupleDesc	desc;
	Oid			argtypes[1] = {TEXTOID};
	Datum		namearg[1];
	int			nestlevel;

	if (!JB_ROOT_IS_OBJECT(policy) || JB_ROOT_IS_SCALAR(policy))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("policy must be a JSON object")));

	initStringInfo(&set);
	types[0] = TEXTOID;
	params[0] = CStringGetTextDatum(name);
	nulls[0] = ' ';
	it = JsonbIteratorInit(&policy->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *text = NULL;
		size_t		i;

		if (tok == WJB_KEY)
		{
			char	   *k = pnstrdup(v.val.string.val, v.val.string.len);

			key = NULL;
			for (i = 0; i < lengthof(policy_keys); i++)
				if (strcmp(k, policy_keys[i].key) == 0)
					key = &policy_keys[i];
			if (key == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown policy key \"%s\"", k),
						 errhint("The keys are max_deliveries, dead_letter_queue, retry_backoff, retry_delay, retry_delay_max, retry_jitter, priorities, dedup_window and max_depth.")));
			continue;
		}
		if (tok != WJB_VALUE || key == NULL)
			continue;

		if (v.type == jbvNull)
			text = NULL;
		else if (key->kind == KIND_COUNT || key->kind == KIND_SECONDS)
		{
			double		x;

			if (v.type != jbvNumeric)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("policy key \"%s\" must be a number or null", key->key)));
			x = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
												   NumericGetDatum(v.val.numeric)));
			if (!(x >= key->min && x <= key->max) ||
				(key->kind == KIND_COUNT && x != floor(x)))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("policy key \"%s\" must be %s from %g to %g, or null", key->key,
								key->kind == KIND_COUNT ? "an integer" : "a number of seconds",
								key->min, key->max)));
			text = key->kind == KIND_COUNT ? psprintf("%.0f", x) :
				DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric)));
		}
		else if (key->kind == KIND_BOOL)
		{
			if (v.type != jbvBool)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("policy key \"%s\" must be true, false or null", key->key)));
			text = v.val.boolean ? "true" : "false";
		}
		else
		{
			if (v.type != jbvString)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("policy key \"%s\" must be a string or null", key->key)));
			text = pnstrdup(v.val.string.val, v.val.string.len);
			if (key->kind == KIND_BACKOFF &&
				strcmp(text, "fixed") != 0 && strcmp(text, "exponential") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("retry_backoff must be \"fixed\", \"exponential\" or null")));
			if (key->kind == KIND_QUEUE)
			{
				pgq_check_queue_name(text);
				pgq_fold_lower(text);
				if (strcmp(text, name) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("queue \"%s\" cannot be its own dead-letter queue", name)));
				strlcpy(dlq, text, sizeof(dlq));
			}
		}
		appendStringInfo(&set, "%s", set.len > 0 ? ", " : "");
		appendStringInfo(&set, key->set, nparams + 1);
		types[nparams] = TEXTOID;
		params[nparams] = text != NULL ? CStringGetTextDatum(text) : (Datum) 0;
		nulls[nparams] = text != NULL ? ' ' : 'n';
		nparams++;
	}

	/*
	 * The dead-letter queue must be the caller's to name (a queue's
	 * consumers could otherwise fill anyone's queue), and must not be
	 * dropped before this commits: its name is locked, as drop_queue locks
	 * it.
	 */
	if (dlq[0] != '\0')
		(void) pgq_lock_owned_queue(dlq, "name as a dead-letter queue");

	pgq_begin(&exec);
	namearg[0] = params[0];
	if (SPI_execute_with_args("SELECT priorities, dedup_window IS NOT NULL, is_unlogged"
							  " FROM pgq.meta WHERE queue_name OPERATOR(pg_catalog.=) $1",
							  1, argtypes, namearg, NULL, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("queue \"%s\" does not exist", name)));
	old_priorities = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	old_dedup = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	unlogged = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));

	if (set.len > 0 &&
		SPI_execute_with_args(psprintf("UPDATE pgq.meta SET %s WHERE queue_name OPERATOR(pg_catalog.=) $1",
									   set.data),
							  nparams, types, params, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "pgq: setting the policy of queue \"%s\" failed", name);
	/* a backoff without its delays: 1 second, at most an hour */
	if (SPI_execute_with_args("UPDATE pgq.meta SET"
							  " retry_delay = COALESCE(retry_delay, '1 second'::pg_catalog.interval),"
							  " retry_delay_max = COALESCE(retry_delay_max, '1 hour'::pg_catalog.interval),"
							  " retry_jitter = COALESCE(retry_jitter, false)"
							  " WHERE queue_name OPERATOR(pg_catalog.=) $1 AND retry_backoff IS NOT NULL"
							  " RETURNING retry_delay_max OPERATOR(pg_catalog.<) retry_delay",
							  1, argtypes, namearg, NULL, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "pgq: setting the policy of queue \"%s\" failed", name);
	if (SPI_processed == 1 &&
		DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retry_delay_max must not be less than retry_delay")));

	if (SPI_execute_with_args("SELECT priorities, dedup_window IS NOT NULL"
							  " FROM pgq.meta WHERE queue_name OPERATOR(pg_catalog.=) $1",
							  1, argtypes, namearg, NULL, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "pgq: reading the policy of queue \"%s\" failed", name);
	tup = SPI_copytuple(SPI_tuptable->vals[0]);
	desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
	nestlevel = pgq_pin_ddl_settings();
	if (DatumGetBool(SPI_getbinval(tup, desc, 1, &isnull)) != old_priorities)
		change_priority_index(name, !old_priorities);
	if (DatumGetBool(SPI_getbinval(tup, desc, 2, &isnull)) != old_dedup)
		change_dedup_table(name, !old_dedup, unlogged);
	AtEOXact_GUC(false, nestlevel);
	pgq_end(&exec);
	/* every backend reads the queue's settings again */
	CacheInvalidateRelcacheByRelid(pgq_queue_table("q_", name));
}

/* the policy of queue name as JSON, NULL if there is no such queue */
static Jsonb *
read_policy(const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	PgqExec		exec;
	Jsonb	   *result = NULL;
	bool		isnull;

	values[0] = CStringGetTextDatum(name);
	pgq_begin(&exec);
	if (SPI_execute_with_args("SELECT pg_catalog.jsonb_build_object("
							  "'max_deliveries', max_deliveries,"
							  " 'dead_letter_queue', dead_letter_queue,"
							  " 'retry_backoff', retry_backoff,"
							  " 'retry_delay', pg_catalog.date_part('epoch', retry_delay),"
							  " 'retry_delay_max', pg_catalog.date_part('epoch', retry_delay_max),"
							  " 'retry_jitter', retry_jitter,"
							  " 'priorities', priorities,"
							  " 'dedup_window', pg_catalog.date_part('epoch', dedup_window),"
							  " 'max_depth', max_depth)"
							  " FROM pgq.meta WHERE queue_name OPERATOR(pg_catalog.=) $1",
							  1, argtypes, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "pgq: reading the policy of queue \"%s\" failed", name);
	if (SPI_processed == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		result = (Jsonb *) SPI_datumTransfer(d, false, -1);
	}
	pgq_end(&exec);
	return result;
}

/*
 * set_policy(queue_name text, policy jsonb) returns jsonb, the policy now.
 * Only the queue's owner may set it.
 */
Datum
pgq_set_policy(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];

	pgq_get_queue_name(fcinfo, 0, name);
	pgq_check_not_null(fcinfo, 1, "policy");
	(void) pgq_lock_owned_queue(name, "set the policy of");
	pgq_apply_policy(name, PG_GETARG_JSONB_P(1));
	PG_RETURN_JSONB_P(read_policy(name));
}

/* policy(queue_name text) returns jsonb; anyone may see it, as pgq.meta */
Datum
pgq_policy(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	Jsonb	   *result;

	pgq_get_queue_name(fcinfo, 0, name);
	result = read_policy(name);
	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("queue \"%s\" does not exist", name)));
	PG_RETURN_JSONB_P(result);
}

/*
 * Before drop_queue drops queue name's tables: refuse (2BP01) if it is
 * another queue's dead-letter queue, and drop its deduplication keys.
 * As the tables' owner, with the name locked.
 */
void
pgq_drop_policy_objects(const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	SPIPlanPtr	plan;

	values[0] = CStringGetTextDatum(name);
	plan = SPI_prepare("SELECT queue_name FROM pgq.meta"
					   " WHERE dead_letter_queue OPERATOR(pg_catalog.=) $1"
					   " ORDER BY queue_name LIMIT 1", 1, argtypes);
	if (plan == NULL ||
		SPI_execute_snapshot(plan, values, NULL, GetLatestSnapshot(), InvalidSnapshot,
							 true, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "pgq: reading pgq.meta failed");
	if (SPI_processed == 1)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("queue \"%s\" is the dead-letter queue of queue \"%s\"", name,
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
				 errhint("Set another dead_letter_queue for that queue with pgq.set_policy() first.")));
	SPI_freeplan(plan);
	pgq_drop_dedup_table(name);
}

/* drop queue name's deduplication keys, if it has them (a new queue's name may find old ones) */
void
pgq_drop_dedup_table(const char *name)
{
	change_dedup_table(name, false, false);
}

/*
 * nack(queue_name text, msg_id bigint, delay integer DEFAULT NULL)
 *   returns setof message_record
 *
 * Give a message back: visible again after delay seconds, or, for NULL,
 * after the backoff of the queue's policy for the deliveries it had (at
 * once without a backoff).  No row if there is no such message.
 */
Datum
pgq_nack(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	PgqExec		exec;
	Datum		values[2];
	TimestampTz now;
	int64		delay_us = 0;
	uint64		n;

	pgq_get_queue_name(fcinfo, 0, name);
	pgq_check_not_null(fcinfo, 1, "msg_id");
	values[0] = PG_GETARG_DATUM(1);
	if (!PG_ARGISNULL(2))
		delay_us = pgq_seconds_from_now(0, PG_GETARG_INT32(2), "delay", PGQ_DIALECT_PGQ);

	pgq_lookup_queue(name, RowExclusiveLock, PGQ_RIGHT_CONSUME, &queue, false);
	InitMaterializedSRF(fcinfo, 0);
	pgq_begin(&exec);
	if (PG_ARGISNULL(2))
	{
		PgqPolicy	policy = *pgq_queue_policy(&queue);
		bool		isnull;

		pgq_run(&queue, PGQ_STMT_READ_CT, values, NULL, NULL);
		if (SPI_processed == 0)
		{
			pgq_end(&exec);
			return (Datum) 0;
		}
		delay_us = backoff_us(&policy,
							  DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
														  SPI_tuptable->tupdesc, 1, &isnull)));
	}
	/* recorded for other backends' low-water marks before now is taken */
	now = Max(GetCurrentTimestamp(), pgq_low_begin_write(queue.relid));
	values[1] = TimestampTzGetDatum(now + delay_us);
	pgq_run(&queue, PGQ_STMT_SET_VT, values, NULL, fcinfo);
	n = SPI_processed;
	pgq_end(&exec);
	pgq_note_messages(queue.relid, n, PGQ_NOTE_AT_COMMIT | PGQ_NOTE_AT_ABORT, now + delay_us, now);
	pgq_count(queue.relid, PGQ_COUNT_NACKED, n);
	return (Datum) 0;
}

/*
 * redrive(queue_name text, msg_ids bigint[] DEFAULT NULL,
 *		   max_messages integer DEFAULT NULL) returns bigint
 *
 * Move dead letters of the queue back from its dead-letter queue: those
 * with these ids in the dead-letter queue (NULL: any), max_messages at most
 * (NULL: all), the lowest ids first; skipped if a consumer of the
 * dead-letter queue holds them.  Each comes back as a new message with its
 * original headers, enqueued_at and priority, read_ct 0, visible now.
 * Needs the right to produce to the queue and to consume the dead-letter
 * queue.  Returns how many were moved.
 */
Datum
pgq_redrive(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	PgqQueue	dlq;
	PgqPolicy	policy;
	PgqExec		exec;
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	HeapTuple	tup;
	TupleDesc	desc;
	int64		moved;

	pgq_get_queue_name(fcinfo, 0, name);
	if (PG_ARGISNULL(1))
		nulls[1] = 'n';
	else
		values[1] = PG_GETARG_DATUM(1);
	values[2] = Int64GetDatum(PG_INT64_MAX);
	if (!PG_ARGISNULL(2))
	{
		if (PG_GETARG_INT32(2) < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_messages must be at least 1")));
		values[2] = Int64GetDatum((int64) PG_GETARG_INT32(2));
	}

	pgq_lookup_queue(name, RowExclusiveLock, PGQ_RIGHT_PRODUCE, &queue, false);
	policy = *pgq_queue_policy(&queue);
	if (policy.dead_letter_queue[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("queue \"%s\" has no dead-letter queue", name),
				 errhint("Its dead letters are in its archive.")));
	pgq_lookup_queue(policy.dead_letter_queue, RowExclusiveLock, PGQ_RIGHT_CONSUME, &dlq, false);

	values[0] = CStringGetTextDatum(name);
	pgq_begin(&exec);
	pgq_run(&dlq, PGQ_STMT_REDRIVE_TAKE, values, nulls, NULL);
	tup = SPI_copytuple(SPI_tuptable->vals[0]);
	desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
	moved = get_count(tup, desc, 6);
	move_rows(&queue, tup, desc, policy.priorities, GetCurrentTimestamp());
	pgq_end(&exec);
	pgq_note_messages(dlq.relid, (uint64) moved, PGQ_NOTE_AT_ABORT, 0, 0);
	PG_RETURN_INT64(moved);
}

/*
 * stats(queue_name text) returns record: the counters of the queue since
 * the server started; NULL without pgq preloaded.  For the queue's
 * consumers and admins and for monitors, as metrics().
 */
Datum
pgq_stats(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	TupleDesc	desc;
	Datum		values[PGQ_NUM_COUNTERS];
	bool		nulls[PGQ_NUM_COUNTERS];
	int			i;

	pgq_get_queue_name(fcinfo, 0, name);
	pgq_lookup_queue(name, AccessShareLock, pgq_is_monitor() ? 0 : ACL_SELECT, &queue, false);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE ||
		desc->natts != PGQ_NUM_COUNTERS)
		elog(ERROR, "pgq: stats() has the wrong result type");

	for (i = 0; i < PGQ_NUM_COUNTERS; i++)
	{
		values[i] = Int64GetDatum(0);
		nulls[i] = (policy_shared == NULL);
	}
	if (policy_shared != NULL)
	{
		StatsEntry *entry;

		LWLockAcquire(policy_shared->lock, LW_SHARED);
		entry = (StatsEntry *) hash_search(stats, &queue.relid, HASH_FIND, NULL);
		if (entry != NULL)
			for (i = 0; i < PGQ_NUM_COUNTERS; i++)
				values[i] = Int64GetDatum((int64) entry->counts[i]);
		LWLockRelease(policy_shared->lock);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/*
 * priority_stats(queue_name text) returns setof (priority integer,
 * oldest_visible_age_sec integer): per priority, highest first, how long
 * its oldest visible message has been visible (NULL: none is); priority 0
 * only for a queue without priorities.  One probe of an index per priority.
 */
Datum
pgq_priority_stats(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	PgqExec		exec;
	Datum		values[2];
	TimestampTz now = GetCurrentTimestamp();
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	uint64		i;

	pgq_get_queue_name(fcinfo, 0, name);
	pgq_lookup_queue(name, AccessShareLock, pgq_is_monitor() ? 0 : ACL_SELECT, &queue, false);
	InitMaterializedSRF(fcinfo, 0);
	values[0] = TimestampTzGetDatum(now);
	values[1] = Int32GetDatum(pgq_queue_policy(&queue)->priorities ? PGQ_PRIORITY_MAX : 0);
	pgq_begin(&exec);
	pgq_run(&queue, PGQ_STMT_PRIORITY_HEADS, values, NULL, NULL);
	for (i = 0; i < SPI_processed; i++)
	{
		Datum		out[2];
		bool		outnull[2] = {false, false};
		bool		isnull;
		Datum		vt;

		out[0] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
		vt = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &outnull[1]);
		out[1] = outnull[1] ? (Datum) 0 :
			Int32GetDatum((int32) Min((now - DatumGetTimestampTz(vt)) / USECS_PER_SEC, PG_INT32_MAX));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out, outnull);
	}
	pgq_end(&exec);
	return (Datum) 0;
}
