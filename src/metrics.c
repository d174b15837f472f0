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
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "pgq.h"

PG_FUNCTION_INFO_V1(pgq_metrics);
PG_FUNCTION_INFO_V1(pgq_metrics_all);

#define METRICS_NATTS 7

static void queue_metrics(const PgqQueue *queue, TimestampTz now,
						  Datum *values, bool *nulls);
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

/*
 * Fill the seven columns of pgq.metrics_result for one queue.  Must be
 * called connected to SPI; the queue_name datum is allocated in the
 * current memory context.
 */
static void
queue_metrics(const PgqQueue *queue, TimestampTz now, Datum *values, bool *nulls)
{
	Datum		args[2];
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;
	int			rc;

	args[0] = TimestampTzGetDatum(now);
	args[1] = ObjectIdGetDatum(pgq_msg_id_sequence(queue->relid));

	rc = SPI_execute_plan(pgq_get_plan(queue, PGQ_STMT_METRICS), args, NULL,
						  true, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "pgq: measuring queue \"%s\" failed: %s",
			 queue->name, SPI_result_code_string(rc));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;

	memset(nulls, 0, sizeof(bool) * METRICS_NATTS);
	values[0] = CStringGetTextDatum(queue->name);
	values[1] = SPI_getbinval(tup, desc, 1, &isnull);	/* queue_length */
	values[2] = SPI_getbinval(tup, desc, 2, &isnull);	/* queue_visible_length */

	d = SPI_getbinval(tup, desc, 3, &isnull);	/* newest_msg_age_sec */
	nulls[3] = isnull;
	values[3] = isnull ? (Datum) 0 : Int32GetDatum(age_seconds(now, d));

	d = SPI_getbinval(tup, desc, 4, &isnull);	/* oldest_msg_age_sec */
	nulls[4] = isnull;
	values[4] = isnull ? (Datum) 0 : Int32GetDatum(age_seconds(now, d));

	d = SPI_getbinval(tup, desc, 5, &isnull);	/* total_messages */
	values[5] = isnull ? Int64GetDatum(0) : d;

	values[6] = TimestampTzGetDatum(now);	/* scrape_time */
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
	MemoryContext callcxt = CurrentMemoryContext;

	pgq_get_queue_name(fcinfo, 0, name);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "pgq: return type must be a row type");

	pgq_lookup_queue(name, AccessShareLock, ACL_SELECT, &queue, false);

	pgq_spi_connect();
	queue_metrics(&queue, GetCurrentTimestamp(), values, nulls);
	/* form the result in the caller's memory, before SPI frees its own */
	{
		MemoryContext spicxt = MemoryContextSwitchTo(callcxt);

		result = heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls);
		MemoryContextSwitchTo(spicxt);
	}
	pgq_spi_finish();

	PG_RETURN_DATUM(HeapTupleGetDatum(result));
}

/*
 * metrics_all() returns setof pgq.metrics_result, one row per queue in name
 * order.  A queue dropped while this runs is left out.
 */
Datum
pgq_metrics_all(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz now = GetCurrentTimestamp();
	uint64		nqueues;
	char	  **names;
	uint64		i;
	int			rc;

	InitMaterializedSRF(fcinfo, 0);

	pgq_spi_connect();
	rc = SPI_execute("SELECT queue_name FROM pgq.meta ORDER BY queue_name", true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pgq: reading pgq.meta failed: %s", SPI_result_code_string(rc));

	nqueues = SPI_processed;
	names = palloc(sizeof(char *) * Max(nqueues, 1));
	for (i = 0; i < nqueues; i++)
		names[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

	for (i = 0; i < nqueues; i++)
	{
		PgqQueue	queue;
		Datum		values[METRICS_NATTS];
		bool		nulls[METRICS_NATTS];

		if (strlen(names[i]) > PGQ_MAX_NAME_LEN)
			continue;			/* not a name pgq could have created */
		if (!pgq_lookup_queue(names[i], AccessShareLock, 0, &queue, true))
			continue;
		/* leave out the queues the caller may not look into */
		if (!pgq_has_privileges(queue.relid, ACL_SELECT))
			continue;
		queue_metrics(&queue, now, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pgq_spi_finish();

	return (Datum) 0;
}
