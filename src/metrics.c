/*-------------------------------------------------------------------------
 *
 * metrics.c
 *		Numbers to watch: metrics(queue_name) and metrics_all().
 *
 * queue_length counts the queue's rows, queue_visible_length those whose
 * vt has passed; the ages are whole seconds since the newest and oldest
 * enqueued_at (NULL for an empty queue); total_messages is the last value
 * of the msg_id sequence, i.e. how many messages were ever sent.  Times are
 * measured against one clock reading per call, returned as scrape_time.
 *
 * Counting a queue's rows means reading them, so the counts are exact up to
 * pgq.metrics_exact_limit rows (default 100,000; -1: no limit) and
 * estimated beyond (see estimate_long_queue): metrics() on a queue of
 * millions must not scan millions of rows every time it is scraped.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "pgq.h"

PG_FUNCTION_INFO_V1(pgq_metrics);
PG_FUNCTION_INFO_V1(pgq_metrics_all);

/* the columns of metrics_result, in pgmq's order */
#define METRICS_NATTS 7
#define M_QUEUE_NAME			0
#define M_QUEUE_LENGTH			1
#define M_NEWEST_MSG_AGE_SEC	2
#define M_OLDEST_MSG_AGE_SEC	3
#define M_TOTAL_MESSAGES		4
#define M_SCRAPE_TIME			5
#define M_QUEUE_VISIBLE_LENGTH	6

static void run_one_row(PgqQueue *queue, PgqStmt stmt, Datum *args,
						const char *nulls);
static int64 get_int8(int col, bool *isnull);
static void get_age(int col, TimestampTz now, Datum *value, bool *isnull);
static int64 count_upto(PgqQueue *queue, PgqStmt stmt, TimestampTz now,
						int64 limit);
static void estimate_long_queue(PgqQueue *queue, TimestampTz now, int64 limit,
								int64 visible_seen, Datum *values, bool *nulls);
static void queue_metrics(PgqQueue *queue, TimestampTz now,
						  Datum *values, bool *nulls);
static bool measure_apart(const char *name, Oid relid, TimestampTz now, AclMode required,
						  PgqExec *exec, Datum *values, bool *nulls);
static int32 age_seconds(TimestampTz now, Datum then);

static int32
age_seconds(TimestampTz now, Datum then)
{
	int64		secs = (now - DatumGetTimestampTz(then)) / USECS_PER_SEC;

	/* a message enqueued "in the future" by a skewed clock counts as new */
	if (secs < 0)
		secs = 0;
	return (int32) Min(secs, (int64) PG_INT32_MAX);
}

/* run a one-row statement of the queue's; its result is SPI_tuptable->vals[0] */
static void
run_one_row(PgqQueue *queue, PgqStmt stmt, Datum *args, const char *nulls)
{
	pgq_run(queue, stmt, args, nulls, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "pgq: measuring queue \"%s\" gave " UINT64_FORMAT " rows",
			 queue->name, SPI_processed);
}

static int64
get_int8(int col, bool *isnull)
{
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

/*
 * Whole seconds from timestamp column col of the one-row result to now,
 * NULL where the column is (an empty queue).
 */
static void
get_age(int col, TimestampTz now, Datum *value, bool *isnull)
{
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, isnull);

	*value = *isnull ? (Datum) 0 : Int32GetDatum(age_seconds(now, d));
}

/*
 * A count of the rows matching statement stmt ($1 now, $2 limit), at most
 * limit of them.
 */
static int64
count_upto(PgqQueue *queue, PgqStmt stmt, TimestampTz now, int64 limit)
{
	Datum		args[2];
	bool		isnull;

	args[0] = TimestampTzGetDatum(now);
	args[1] = Int64GetDatum(limit);
	run_one_row(queue, stmt, args, NULL);
	return get_int8(1, &isnull);
}

/* pages a sample reads at least (all of them in a smaller table) */
#define METRICS_SAMPLE_MIN_PAGES	100

/*
 * The counts of a queue longer than the limit L: estimates, taken without
 * reading much more than L rows.
 *
 * queue_length is the statistics system's count of live rows (which
 * every committed send and delete updates, within a second or so), or
 * the planner's estimate; if neither knows the table yet, a sample of its
 * pages.  queue_visible_length is queue_length less the messages that are
 * not visible, counted from the far end of the vt index when there are at
 * most L of them; else the visible ones are counted from its start when
 * there are at most L; else (both sides long) it is queue_length times the
 * share of visible rows in a sample of the table's pages (at least
 * METRICS_SAMPLE_MIN_PAGES of them, and about L rows).  The ages come from
 * the lowest and the highest msg_id.
 */
static void
estimate_long_queue(PgqQueue *queue, TimestampTz now, int64 limit,
					int64 visible_seen, Datum *values, bool *nulls)
{
	Datum		args[2];
	bool		isnull;
	int64		length;
	int64		pages;
	int64		visible = -1;
	int64		invisible;

	args[0] = ObjectIdGetDatum(queue->relid);
	run_one_row(queue, PGQ_STMT_METRICS_ENDS, args, NULL);

	get_age(1, now, &values[M_NEWEST_MSG_AGE_SEC], &nulls[M_NEWEST_MSG_AGE_SEC]);
	get_age(2, now, &values[M_OLDEST_MSG_AGE_SEC], &nulls[M_OLDEST_MSG_AGE_SEC]);

	length = get_int8(3, &isnull);
	if (length <= limit)
		length = get_int8(4, &isnull);	/* no statistics (yet): the planner's */
	pages = get_int8(5, &isnull);

	invisible = count_upto(queue, PGQ_STMT_METRICS_INVISIBLE, now, limit + 1);
	if (invisible > limit)
	{
		int64		counted = count_upto(queue, PGQ_STMT_METRICS_VISIBLE, now, limit + 1);

		if (counted <= limit)
			visible = counted;
	}

	if (length <= limit || (invisible > limit && visible < 0))
	{
		/* nothing knows the length yet, or both sides are long: sample */
		double		fraction = 1.0;
		double		percent;
		int64		sampled_visible;
		int64		sampled;

		if (length > limit)
			fraction = (double) (limit + 1) / length;
		if (pages > 0)
			fraction = Max(fraction, (double) Min(pages, METRICS_SAMPLE_MIN_PAGES) / pages);
		percent = 100.0 * Min(fraction, 1.0);

		args[0] = TimestampTzGetDatum(now);
		args[1] = Float4GetDatum((float4) percent);
		run_one_row(queue, PGQ_STMT_METRICS_SAMPLE, args, NULL);
		sampled_visible = get_int8(1, &isnull);
		sampled = get_int8(2, &isnull);

		if (length <= limit && sampled > 0)
			length = (int64) (sampled * 100.0 / percent);
		length = Max(length, limit + 1);
		if (invisible > limit && visible < 0)
		{
			visible = sampled > 0 ?
				(int64) ((double) length * sampled_visible / sampled) : length / 2;
			/* both sides are known to hold more than limit rows */
			length = Max(length, 2 * (limit + 1));
			visible = Max(visible, limit + 1);
			visible = Min(visible, length - (limit + 1));
		}
	}
	length = Max(length, limit + 1);

	if (visible < 0)
	{
		/* invisible was counted: at most limit */
		visible = Max(length - invisible, visible_seen);
		length = Max(length, visible + invisible);
	}
	else
		length = Max(length, visible + limit + 1);	/* invisible > limit */

	values[M_QUEUE_LENGTH] = Int64GetDatum(length);
	values[M_QUEUE_VISIBLE_LENGTH] = Int64GetDatum(visible);
}

/*
 * Fill the seven columns of metrics_result for one queue.  Must be
 * called connected to SPI; the queue_name datum is allocated in the
 * current memory context.
 *
 * The queue's rows are counted exactly up to pgq.metrics_exact_limit (L)
 * of them, by a scan that stops there; a longer queue gets the estimates
 * of estimate_long_queue, so that metrics() costs about as much on a queue
 * of a billion messages as on one of L.
 */
static void
queue_metrics(PgqQueue *queue, TimestampTz now, Datum *values, bool *nulls)
{
	Datum		args[2];
	char		argnulls[2] = {' ', ' '};
	/* a partitioned queue's parent has no statistics to estimate from: count */
	int64		limit = get_rel_relkind(queue->relid) == RELKIND_PARTITIONED_TABLE ?
		-1 : pgq_metrics_exact_limit;
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;

	args[0] = TimestampTzGetDatum(now);
	if (limit < 0)
	{
		args[1] = (Datum) 0;
		argnulls[1] = 'n';		/* LIMIT NULL: count them all */
	}
	else
		args[1] = Int64GetDatum(limit + 1);

	run_one_row(queue, PGQ_STMT_METRICS, args, argnulls);
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;

	memset(nulls, 0, sizeof(bool) * METRICS_NATTS);
	values[M_QUEUE_NAME] = CStringGetTextDatum(queue->name);
	values[M_QUEUE_LENGTH] = SPI_getbinval(tup, desc, 1, &isnull);
	values[M_QUEUE_VISIBLE_LENGTH] = SPI_getbinval(tup, desc, 2, &isnull);

	get_age(3, now, &values[M_NEWEST_MSG_AGE_SEC], &nulls[M_NEWEST_MSG_AGE_SEC]);
	get_age(4, now, &values[M_OLDEST_MSG_AGE_SEC], &nulls[M_OLDEST_MSG_AGE_SEC]);

	d = SPI_getbinval(tup, desc, 5, &isnull);
	values[M_TOTAL_MESSAGES] = isnull ? Int64GetDatum(0) : d;

	values[M_SCRAPE_TIME] = TimestampTzGetDatum(now);

	if (limit >= 0 && DatumGetInt64(values[M_QUEUE_LENGTH]) > limit)
		estimate_long_queue(queue, now, limit, DatumGetInt64(values[M_QUEUE_VISIBLE_LENGTH]),
							values, nulls);
}

/*
 * metrics(queue_name text) returns pgq.metrics_result
 */
Datum
pgq_metrics(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	TupleDesc	tupdesc;
	Datum		values[METRICS_NATTS];
	bool		nulls[METRICS_NATTS];
	HeapTuple	result;
	PgqExec		exec;
	MemoryContext callcxt = CurrentMemoryContext;

	pgq_get_queue_name(fcinfo, 0, name);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "pgq: return type must be a row type");

	/* consumers, admins and pg_monitor's members may look */
	pgq_lookup_queue(name, AccessShareLock, pgq_is_monitor() ? 0 : ACL_SELECT,
					 &queue, false);

	pgq_begin(&exec);
	queue_metrics(&queue, GetCurrentTimestamp(), values, nulls);
	/* form the result in the caller's memory, before SPI frees its own */
	{
		MemoryContext spicxt = MemoryContextSwitchTo(callcxt);

		result = heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls);
		MemoryContextSwitchTo(spicxt);
	}
	pgq_end(&exec);

	PG_RETURN_DATUM(HeapTupleGetDatum(result));
}

/*
 * Measure queue name for metrics_all, if it exists and the caller may
 * (required, on q_<name>), in a subtransaction that is rolled back
 * afterwards, so that the locks and the plans of one queue are let go
 * before the next: a scrape of thousands of queues must not hold
 * thousands of locks (the lock table is shared by the whole server) or
 * leave thousands of plans in the backend.  Nothing is written, so
 * nothing is lost by the rollback.  Returns false if the queue was left
 * out.  Called connected to SPI (exec) as the caller, whose rights are
 * checked; values are allocated in the current memory context.
 */
static bool
measure_apart(const char *name, Oid relid, TimestampTz now, AclMode required,
			  PgqExec *exec, Datum *values, bool *nulls)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool found = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		PgqQueue	queue;

		if (!ConditionalLockRelationOid(relid, AccessShareLock))
		{
			/*
			 * Someone holds the queue locked (a consumer may LOCK TABLE its
			 * queue): report it without numbers rather than wait, so that
			 * one queue cannot stall the scrape of all of them.
			 */
			memset(nulls, true, sizeof(bool) * METRICS_NATTS);
			values[M_QUEUE_NAME] = CStringGetTextDatum(name);
			nulls[M_QUEUE_NAME] = false;
			values[M_SCRAPE_TIME] = TimestampTzGetDatum(now);
			nulls[M_SCRAPE_TIME] = false;
			found = true;
		}
		else if (pgq_lookup_queue(name, AccessShareLock, required, &queue, true))
		{
			queue.transient = true;
			/* as in pgq_begin; the rollback gives the caller back */
			pgq_become_owner(exec);
			queue_metrics(&queue, now, values, nulls);
			pgq_release_transient_plans(&queue);
			found = true;
		}
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return found;
}

/*
 * metrics_all() returns setof pgq.metrics_result, one row per queue in name
 * order: the queues the caller may read (consumers, admins), or all of them
 * for members of pg_monitor.  The others are left out without being
 * locked; so is a queue dropped while this runs.  A queue someone holds
 * locked is not waited for: its row has only its name and scrape_time.
 */
Datum
pgq_metrics_all(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz now = GetCurrentTimestamp();
	AclMode		required = pgq_is_monitor() ? 0 : ACL_SELECT;
	uint64		nqueues;
	char	  **names;
	uint64		i;
	PgqExec		exec;

	InitMaterializedSRF(fcinfo, 0);

	pgq_begin(&exec);
	pgq_run_sql("SELECT queue_name FROM pgq.meta ORDER BY queue_name",
				SPI_OK_SELECT, "listing", "*");
	nqueues = SPI_processed;
	names = palloc(sizeof(char *) * Max(nqueues, 1));
	for (i = 0; i < nqueues; i++)
		names[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
	/* the privilege checks are the caller's */
	pgq_become_caller(&exec);

	for (i = 0; i < nqueues; i++)
	{
		Datum		values[METRICS_NATTS];
		bool		nulls[METRICS_NATTS];
		Oid			relid;
		bool		found;

		if (strlen(names[i]) > PGQ_MAX_NAME_LEN)
			continue;			/* not a name pgq could have created */

		/* privileges before locks: leave out, unlocked, what may not be read */
		relid = pgq_queue_table("q_", names[i]);
		if (!OidIsValid(relid) || (required != 0 && !pgq_has_privileges(relid, required)))
			continue;

		found = measure_apart(names[i], relid, now, required, &exec, values, nulls);
		if (found)
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pgq_end(&exec);

	return (Datum) 0;
}
