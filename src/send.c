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
#include "utils/jsonb.h"
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
PG_FUNCTION_INFO_V1(pgq_send_ext);
PG_FUNCTION_INFO_V1(pgq_send_batch_ext);

/* how the last argument gives the delay */
typedef enum DelayKind
{
	DELAY_NONE,					/* no delay argument */
	DELAY_SECONDS,				/* integer seconds from now */
	DELAY_AT,					/* timestamptz */
	DELAY_EXT					/* integer seconds, 4th of send(..., priority, dedup_key) */
} DelayKind;

/* the arguments of pgq's own overloads, after the delay */
#define EXT_DELAY_ARG		3
#define EXT_PRIORITY_ARG	4
#define EXT_DEDUP_ARG		5
#define DEDUP_KEY_MAX		512	/* bytes */

static TimestampTz visible_at(FunctionCallInfo fcinfo, DelayKind kind, PgqDialect dialect);
static int	check_jsonb_array(FunctionCallInfo fcinfo, int argno, const char *argname,
							  bool nulls_ok);
static Datum stamp(FunctionCallInfo fcinfo, PgqQueue *queue, DelayKind kind, PgqDialect dialect,
				   Datum checked);
static void sent(PgqQueue *queue, uint64 n, TimestampTz vt);
static int32 get_priority(FunctionCallInfo fcinfo);
static void check_ext_policy(PgqQueue *queue, int32 priority, bool has_key);
static bool dedup(PgqQueue *queue, text *key, Oid seqid, int64 *msg_id);
static void check_headers(Jsonb *headers);
static void check_headers_array(ArrayType *headers);
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
	int			argno = kind == DELAY_EXT ? EXT_DELAY_ARG : PG_NARGS() - 1;
	TimestampTz at;

	if (kind == DELAY_NONE)
		return now;

	pgq_check_not_null(fcinfo, argno, "delay");
	if (kind == DELAY_SECONDS || kind == DELAY_EXT)
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
 * Headers may not have the key pgq_dead_letter at the top: a dead letter's
 * headers say with it where it came from, and redrive sends it back there
 * (policy.c).  Only pgq writes it.
 */
static void
check_headers(Jsonb *headers)
{
	JsonbValue	key;

	if (!JB_ROOT_IS_OBJECT(headers) || JB_ROOT_IS_SCALAR(headers))
		return;
	key.type = jbvString;
	key.val.string.val = PGQ_DEAD_LETTER_KEY;
	key.val.string.len = strlen(PGQ_DEAD_LETTER_KEY);
	if (findJsonbValueFromContainer(&headers->root, JB_FOBJECT, &key) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("headers must not have the key \"%s\"", PGQ_DEAD_LETTER_KEY),
				 errdetail("pgq writes it into the headers of dead letters.")));
}

static void
check_headers_array(ArrayType *headers)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	deconstruct_array(headers, JSONBOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			check_headers(DatumGetJsonbP(elems[i]));
}

/* the priority argument of pgq's own overloads, from 0 to PGQ_PRIORITY_MAX */
static int32
get_priority(FunctionCallInfo fcinfo)
{
	int32		priority;

	pgq_check_not_null(fcinfo, EXT_PRIORITY_ARG, "priority");
	priority = PG_GETARG_INT32(EXT_PRIORITY_ARG);
	if (priority < 0 || priority > PGQ_PRIORITY_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("priority must be from 0 to %d", PGQ_PRIORITY_MAX)));
	return priority;
}

/*
 * Refuse a priority, or a deduplication key, that the queue's policy does
 * not take (55000): the message would not be what its sender meant.
 */
static void
check_ext_policy(PgqQueue *queue, int32 priority, bool has_key)
{
	const PgqPolicy *policy = pgq_queue_policy(queue);

	if (priority != 0 && !policy->priorities)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("queue \"%s\" has no priorities", queue->name),
				 errhint("Its owner turns them on with pgq.set_policy('%s', '{\"priorities\": true}').",
						 queue->name)));
	if (has_key && policy->dedup_window_us <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("queue \"%s\" has no deduplication", queue->name),
				 errhint("Its owner sets a dedup_window with pgq.set_policy().")));
}

/*
 * Claim deduplication key for a send: false, with the msg_id the message
 * is to have, if no message sent within the queue's window holds it; true,
 * with that message's id, if one does.  A send of the same key whose
 * transaction is open is waited for.  seqid: the queue's msg_id sequence.
 * Connected to SPI as the tables' owner.
 */
static bool
dedup(PgqQueue *queue, text *key, Oid seqid, int64 *msg_id)
{
	int64		window = pgq_queue_policy(queue)->dedup_window_us;
	int			attempt;
	bool		isnull;

	/* a key found expired between the two statements: claimed again */
	for (attempt = 0; attempt < 3; attempt++)
	{
		TimestampTz now = GetCurrentTimestamp();
		Datum		values[4];

		values[0] = PointerGetDatum(key);
		values[1] = TimestampTzGetDatum(now + window);
		values[2] = TimestampTzGetDatum(now);
		values[3] = ObjectIdGetDatum(seqid);
		pgq_run(queue, PGQ_STMT_DEDUP_CLAIM, values, NULL, NULL);
		if (SPI_processed == 1)
		{
			*msg_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 1, &isnull));
			return false;
		}
		/* held by a committed send: as committed now (a new snapshot) */
		values[1] = values[2];
		pgq_run(queue, PGQ_STMT_DEDUP_FIND, values, NULL, NULL);
		if (SPI_processed == 1)
		{
			*msg_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 1, &isnull));
			return true;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not claim the deduplication key of a send to queue \"%s\"",
					queue->name)));
	return false;
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
		bool		has_headers = (kind == DELAY_EXT || nargs_no_delay == 3);
		char		name[PGQ_MAX_NAME_LEN + 1];
		PgqQueue	queue;
		Datum		values[6];
		char		nulls[6] = {' ', ' ', ' ', ' ', 'n', ' '};
		PgqExec		exec;
		bool		isnull;
		int64		msg_id;
		int32		priority = 0;
		text	   *dedup_key = NULL;

		pgq_get_queue_name(fcinfo, 0, name);
		if (kind == DELAY_EXT)
		{
			priority = get_priority(fcinfo);
			if (!PG_ARGISNULL(EXT_DEDUP_ARG))
			{
				dedup_key = PG_GETARG_TEXT_PP(EXT_DEDUP_ARG);
				if (VARSIZE_ANY_EXHDR(dedup_key) < 1 ||
					VARSIZE_ANY_EXHDR(dedup_key) > DEDUP_KEY_MAX)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("dedup_key must be from 1 to %d bytes long", DEDUP_KEY_MAX)));
			}
		}
		if (dialect == PGQ_DIALECT_PGQ)
			pgq_check_not_null(fcinfo, 1, "msg");
		values[0] = TimestampTzGetDatum(visible_at(fcinfo, kind, dialect));
		values[1] = PG_GETARG_DATUM(1);
		if (PG_ARGISNULL(1))
			nulls[1] = 'n';
		if (has_headers && !PG_ARGISNULL(2))
		{
			check_headers(PG_GETARG_JSONB_P(2));
			values[2] = PG_GETARG_DATUM(2);
		}
		else
		{
			values[2] = (Datum) 0;
			nulls[2] = 'n';
		}

		pgq_lookup_queue(name, RowExclusiveLock, PGQ_RIGHT_PRODUCE, &queue, false);

		values[0] = stamp(fcinfo, &queue, kind, dialect, values[0]);
		pgq_begin(&exec);
		if (kind == DELAY_EXT)
		{
			check_ext_policy(&queue, priority, dedup_key != NULL);
			values[5] = ObjectIdGetDatum(pgq_msg_id_sequence(queue.relid));
		}
		if (dedup_key != NULL && dedup(&queue, dedup_key, DatumGetObjectId(values[5]), &msg_id))
		{
			/* the key's message: nothing is stored */
			pgq_end(&exec);
			pgq_count(queue.relid, PGQ_COUNT_DEDUPLICATED, 1);
		}
		else
		{
			pgq_check_depth(&queue, 1);
			if (kind == DELAY_EXT)
			{
				values[3] = Int16GetDatum((int16) priority);
				if (dedup_key != NULL)
				{
					values[4] = Int64GetDatum(msg_id);
					nulls[4] = ' ';
				}
			}
			pgq_run(&queue, kind == DELAY_EXT ? PGQ_STMT_SEND_EXT : PGQ_STMT_SEND,
					values, nulls, NULL);
			if (SPI_processed != 1)
				elog(ERROR, "pgq: send to queue \"%s\" stored " UINT64_FORMAT " rows",
					 name, SPI_processed);
			msg_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												 SPI_tuptable->tupdesc, 1, &isnull));
			sent(&queue, 1, DatumGetTimestampTz(values[0]));
			pgq_end(&exec);
		}

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
	bool		has_headers = (kind == DELAY_EXT || nargs_no_delay == 3);
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	int			nmsgs;
	PgqExec		exec;
	int32		priority = 0;

	pgq_get_queue_name(fcinfo, 0, name);
	if (kind == DELAY_EXT)
	{
		priority = get_priority(fcinfo);
		values[3] = Int16GetDatum((int16) priority);
	}

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
		check_headers_array(PG_GETARG_ARRAYTYPE_P(2));
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
	if (kind == DELAY_EXT)
		check_ext_policy(&queue, priority, false);
	pgq_check_depth(&queue, nmsgs);
	pgq_run(&queue, kind == DELAY_EXT ? PGQ_STMT_SEND_BATCH_EXT : PGQ_STMT_SEND_BATCH,
			values, nulls, fcinfo);
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

/*
 * send(queue_name, msg, headers, delay integer, priority integer,
 *		dedup_key text DEFAULT NULL) returns setof bigint
 * send_batch(queue_name, msgs, headers, delay integer, priority integer)
 *   returns setof bigint
 *
 * pgq's own overloads, with the delivery policies' arguments (policy.c).
 * A send whose dedup_key a message sent within the queue's dedup_window
 * holds returns that message's id and stores nothing.
 */
Datum
pgq_send_ext(PG_FUNCTION_ARGS)
{
	return send_one(fcinfo, DELAY_EXT, PGQ_DIALECT_PGQ);
}

Datum
pgq_send_batch_ext(PG_FUNCTION_ARGS)
{
	return send_batch(fcinfo, DELAY_EXT, PGQ_DIALECT_PGQ);
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
