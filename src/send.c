/*-------------------------------------------------------------------------
 *
 * send.c
 *		Producing messages: send and send_batch, in all their overloads.
 *
 * Each overload set maps to three C entry points that differ only in how
 * the delay is given: none, integer seconds, or an absolute timestamptz,
 * and three more for schema pgmq, which follow pgmq's rules (a NULL
 * message is stored, a negative delay means "visible now").
 * Whether headers are given is told by the argument count.  The message's
 * vt (when it becomes visible) is computed here and passed as a parameter
 * to the prepared INSERT.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/array.h"
#include "utils/timestamp.h"

#include "pgq.h"

PG_FUNCTION_INFO_V1(pgq_send);
PG_FUNCTION_INFO_V1(pgq_send_delay);
PG_FUNCTION_INFO_V1(pgq_send_at);
PG_FUNCTION_INFO_V1(pgq_send_batch);
PG_FUNCTION_INFO_V1(pgq_send_batch_delay);
PG_FUNCTION_INFO_V1(pgq_send_batch_at);
PG_FUNCTION_INFO_V1(pgmq_send);
PG_FUNCTION_INFO_V1(pgmq_send_delay);
PG_FUNCTION_INFO_V1(pgmq_send_at);
PG_FUNCTION_INFO_V1(pgmq_send_batch);
PG_FUNCTION_INFO_V1(pgmq_send_batch_delay);
PG_FUNCTION_INFO_V1(pgmq_send_batch_at);

/* how the last argument gives the delay */
typedef enum DelayKind
{
	DELAY_NONE,					/* no delay argument */
	DELAY_SECONDS,				/* integer seconds from now */
	DELAY_AT					/* timestamptz */
} DelayKind;

static TimestampTz visible_at(FunctionCallInfo fcinfo, DelayKind kind, PgqDialect dialect);
static int	check_jsonb_array(FunctionCallInfo fcinfo, int argno, const char *argname,
							  bool nulls_ok);
static Datum stamp(FunctionCallInfo fcinfo, PgqQueue *queue, DelayKind kind, PgqDialect dialect,
				   Datum checked);
static void sent(PgqQueue *queue, uint64 n, TimestampTz vt);
static Datum send_one(FunctionCallInfo fcinfo, DelayKind kind, PgqDialect dialect);
static Datum send_batch(FunctionCallInfo fcinfo, DelayKind kind, PgqDialect dialect);

/*
 * When a message sent now becomes visible.  The delay, if any, is the last
 * argument.
 */
static TimestampTz
visible_at(FunctionCallInfo fcinfo, DelayKind kind, PgqDialect dialect)
{
	TimestampTz now = GetCurrentTimestamp();
	int			argno = PG_NARGS() - 1;
	TimestampTz at;

	if (kind == DELAY_NONE)
		return now;

	pgq_check_not_null(fcinfo, argno, "delay");
	if (kind == DELAY_SECONDS)
		return pgq_seconds_from_now(now, PG_GETARG_INT32(argno), "delay", dialect);

	at = PG_GETARG_TIMESTAMPTZ(argno);
	if (TIMESTAMP_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("delay must be a finite timestamp")));
	return at;
}

/*
 * Check a jsonb[] argument of send_batch and return its element count.
 */
static int
check_jsonb_array(FunctionCallInfo fcinfo, int argno, const char *argname,
				  bool nulls_ok)
{
	ArrayType  *arr;

	pgq_check_not_null(fcinfo, argno, argname);
	arr = PG_GETARG_ARRAYTYPE_P(argno);

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", argname)));
	if (!nulls_ok && array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain null elements", argname)));

	return ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
}

/*
 * The vt to store, once the queue is locked (the arguments were checked
 * before, giving checked): recorded for the low-water marks of other
 * backends (lowwater.c) before it is taken from the clock, so it is at or
 * after the recorded time; a timestamp given in the past is recorded too.
 */
static Datum
stamp(FunctionCallInfo fcinfo, PgqQueue *queue, DelayKind kind, PgqDialect dialect,
	  Datum checked)
{
	TimestampTz recorded = pgq_low_begin_write(queue->relid);
	TimestampTz vt;

	/* a timestamp as given; a delay from now (negative in pgmq's dialect) */
	vt = (kind == DELAY_AT) ? DatumGetTimestampTz(checked) : visible_at(fcinfo, kind, dialect);
	if (vt < recorded)
		pgq_low_note_past_write(queue->relid, vt);
	return TimestampTzGetDatum(vt);
}

/*
 * n messages visible at vt were stored: tell the waiters when the
 * transaction commits (wait.c), and queue a notification (notify.c).
 * Connected to SPI as the tables' owner.
 */
static void
sent(PgqQueue *queue, uint64 n, TimestampTz vt)
{
	pgq_note_messages(queue->relid, n, PGQ_NOTE_AT_COMMIT, vt, GetCurrentTimestamp());
	pgq_notify_after_send(queue);
}

/*
 * send(queue_name, msg [, headers] [, delay]) returns setof bigint: the new
 * message's msg_id, as one row (pgmq's shape).  Returned value per call:
 * the message is stored on the first call, whose result is the only row.
 */
static Datum
send_one(FunctionCallInfo fcinfo, DelayKind kind, PgqDialect dialect)
{
	FuncCallContext *funcctx;

	if (SRF_IS_FIRSTCALL())
	{
		int			nargs_no_delay = PG_NARGS() - (kind == DELAY_NONE ? 0 : 1);
		bool		has_headers = (nargs_no_delay == 3);
		char		name[PGQ_MAX_NAME_LEN + 1];
		PgqQueue	queue;
		Datum		values[3];
		char		nulls[3] = {' ', ' ', ' '};
		PgqExec		exec;
		bool		isnull;
		int64		msg_id;

		pgq_get_queue_name(fcinfo, 0, name);
		if (dialect == PGQ_DIALECT_PGQ)
			pgq_check_not_null(fcinfo, 1, "msg");
		values[0] = TimestampTzGetDatum(visible_at(fcinfo, kind, dialect));
		values[1] = PG_GETARG_DATUM(1);
		if (PG_ARGISNULL(1))
			nulls[1] = 'n';
		if (has_headers && !PG_ARGISNULL(2))
			values[2] = PG_GETARG_DATUM(2);
		else
		{
			values[2] = (Datum) 0;
			nulls[2] = 'n';
		}

		pgq_lookup_queue(name, RowExclusiveLock, PGQ_RIGHT_PRODUCE, &queue, false);

		values[0] = stamp(fcinfo, &queue, kind, dialect, values[0]);
		pgq_begin(&exec);
		pgq_run(&queue, PGQ_STMT_SEND, values, nulls, NULL);
		if (SPI_processed != 1)
			elog(ERROR, "pgq: send to queue \"%s\" stored " UINT64_FORMAT " rows",
				 name, SPI_processed);
		msg_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1, &isnull));
		sent(&queue, 1, DatumGetTimestampTz(values[0]));
		pgq_end(&exec);

		funcctx = SRF_FIRSTCALL_INIT();
		funcctx->max_calls = 1;
		funcctx->user_fctx = MemoryContextAlloc(funcctx->multi_call_memory_ctx, sizeof(int64));
		*(int64 *) funcctx->user_fctx = msg_id;
	}

	funcctx = SRF_PERCALL_SETUP();
	if (funcctx->call_cntr < funcctx->max_calls)
		SRF_RETURN_NEXT(funcctx, Int64GetDatum(*(int64 *) funcctx->user_fctx));
	SRF_RETURN_DONE(funcctx);
}

/*
 * send_batch(queue_name, msgs [, headers] [, delay]) returns setof bigint,
 * the new msg_ids in the order of msgs.
 */
static Datum
send_batch(FunctionCallInfo fcinfo, DelayKind kind, PgqDialect dialect)
{
	int			nargs_no_delay = PG_NARGS() - (kind == DELAY_NONE ? 0 : 1);
	bool		has_headers = (nargs_no_delay == 3);
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	int			nmsgs;
	PgqExec		exec;

	pgq_get_queue_name(fcinfo, 0, name);

	/* pgmq stores no message for a NULL array, and NULL for a NULL element */
	if (dialect == PGQ_DIALECT_PGMQ && PG_ARGISNULL(1))
		nmsgs = 0;
	else
		nmsgs = check_jsonb_array(fcinfo, 1, "msgs", dialect == PGQ_DIALECT_PGMQ);
	values[1] = PG_GETARG_DATUM(1);
	if (has_headers && !PG_ARGISNULL(2))
	{
		int			nheaders = check_jsonb_array(fcinfo, 2, "headers", true);

		if (nheaders != nmsgs)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("headers has %d elements but msgs has %d",
							nheaders, nmsgs)));
		values[2] = PG_GETARG_DATUM(2);
	}
	else
	{
		values[2] = (Datum) 0;
		nulls[2] = 'n';
	}
	values[0] = TimestampTzGetDatum(visible_at(fcinfo, kind, dialect));

	pgq_lookup_queue(name, RowExclusiveLock, PGQ_RIGHT_PRODUCE, &queue, false);

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (nmsgs == 0)
		return (Datum) 0;

	values[0] = stamp(fcinfo, &queue, kind, dialect, values[0]);
	pgq_begin(&exec);
	pgq_run(&queue, PGQ_STMT_SEND_BATCH, values, nulls, fcinfo);
	if (SPI_processed != (uint64) nmsgs)
		elog(ERROR, "pgq: send_batch to queue \"%s\" stored " UINT64_FORMAT " rows of %d",
			 name, SPI_processed, nmsgs);
	sent(&queue, nmsgs, DatumGetTimestampTz(values[0]));
	pgq_end(&exec);

	return (Datum) 0;
}

Datum
pgq_send(PG_FUNCTION_ARGS)
{
	return send_one(fcinfo, DELAY_NONE, PGQ_DIALECT_PGQ);
}

Datum
pgq_send_delay(PG_FUNCTION_ARGS)
{
	return send_one(fcinfo, DELAY_SECONDS, PGQ_DIALECT_PGQ);
}

Datum
pgq_send_at(PG_FUNCTION_ARGS)
{
	return send_one(fcinfo, DELAY_AT, PGQ_DIALECT_PGQ);
}

Datum
pgq_send_batch(PG_FUNCTION_ARGS)
{
	return send_batch(fcinfo, DELAY_NONE, PGQ_DIALECT_PGQ);
}

Datum
pgq_send_batch_delay(PG_FUNCTION_ARGS)
{
	return send_batch(fcinfo, DELAY_SECONDS, PGQ_DIALECT_PGQ);
}

Datum
pgq_send_batch_at(PG_FUNCTION_ARGS)
{
	return send_batch(fcinfo, DELAY_AT, PGQ_DIALECT_PGQ);
}

Datum
pgmq_send(PG_FUNCTION_ARGS)
{
	return send_one(fcinfo, DELAY_NONE, PGQ_DIALECT_PGMQ);
}

Datum
pgmq_send_delay(PG_FUNCTION_ARGS)
{
	return send_one(fcinfo, DELAY_SECONDS, PGQ_DIALECT_PGMQ);
}

Datum
pgmq_send_at(PG_FUNCTION_ARGS)
{
	return send_one(fcinfo, DELAY_AT, PGQ_DIALECT_PGMQ);
}

Datum
pgmq_send_batch(PG_FUNCTION_ARGS)
{
	return send_batch(fcinfo, DELAY_NONE, PGQ_DIALECT_PGMQ);
}

Datum
pgmq_send_batch_delay(PG_FUNCTION_ARGS)
{
	return send_batch(fcinfo, DELAY_SECONDS, PGQ_DIALECT_PGMQ);
}

Datum
pgmq_send_batch_at(PG_FUNCTION_ARGS)
{
	return send_batch(fcinfo, DELAY_AT, PGQ_DIALECT_PGMQ);
}
