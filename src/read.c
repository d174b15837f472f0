/*-------------------------------------------------------------------------
 *
 * read.c
 *		Consuming messages: read (hand out with a visibility timeout), pop
 *		(hand out and delete) and set_vt (move a message's visibility).
 *
 * read and pop pick visible messages (vt <= now), the one visible longest
 * first (ordered by vt, then msg_id, which the queue's vt index serves
 * without visiting messages in flight), with FOR UPDATE SKIP LOCKED, so
 * concurrent consumers never get the same row: a row another consumer has
 * taken is either locked (skipped) or, once that consumer commits, has a vt
 * in the future (re-checked and left out).  A read with vt 0 leaves vt as
 * it is, so the message keeps its place at the head.
 * "now" is the clock time of the call, taken once and passed to the
 * statement, so the visibility test and the new vt agree.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/timestamp.h"

#include "pgq.h"

PG_FUNCTION_INFO_V1(pgq_read);
PG_FUNCTION_INFO_V1(pgq_pop);
PG_FUNCTION_INFO_V1(pgq_set_vt);

static int32 get_qty(FunctionCallInfo fcinfo, int argno);
static int32 get_vt(FunctionCallInfo fcinfo, int argno);
static void run_message_stmt(FunctionCallInfo fcinfo, PgqQueue *queue,
							 PgqStmt stmt, Datum *values);

static int32
get_qty(FunctionCallInfo fcinfo, int argno)
{
	int32		qty;

	pgq_check_not_null(fcinfo, argno, "qty");
	qty = PG_GETARG_INT32(argno);
	if (qty < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("qty must be at least 1")));
	return qty;
}

static int32
get_vt(FunctionCallInfo fcinfo, int argno)
{
	pgq_check_not_null(fcinfo, argno, "vt");
	return PG_GETARG_INT32(argno);
}

/*
 * Run one of the statements that return pgq.message_record rows and hand
 * the rows back as the function's result set.
 */
static void
run_message_stmt(FunctionCallInfo fcinfo, PgqQueue *queue, PgqStmt stmt, Datum *values)
{
	PgqExec		exec;

	InitMaterializedSRF(fcinfo, 0);

	pgq_begin(&exec);
	pgq_run(queue, stmt, values, NULL, fcinfo);
	pgq_end(&exec);
}

/*
 * read(queue_name text, vt integer, qty integer) returns setof pgq.message_record
 */
Datum
pgq_read(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	TimestampTz now = GetCurrentTimestamp();
	Datum		values[3];

	pgq_get_queue_name(fcinfo, 0, name);
	values[0] = TimestampTzGetDatum(now);
	values[2] = TimestampTzGetDatum(pgq_seconds_from_now(now, get_vt(fcinfo, 1), "vt"));
	values[1] = Int64GetDatum((int64) get_qty(fcinfo, 2));

	pgq_lookup_queue(name, RowExclusiveLock, PGQ_RIGHT_CONSUME, &queue, false);
	run_message_stmt(fcinfo, &queue, PGQ_STMT_READ, values);

	return (Datum) 0;
}

/*
 * pop(queue_name text, qty integer DEFAULT 1) returns setof pgq.message_record
 */
Datum
pgq_pop(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	Datum		values[2];

	pgq_get_queue_name(fcinfo, 0, name);
	values[0] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[1] = Int64GetDatum((int64) get_qty(fcinfo, 1));

	pgq_lookup_queue(name, RowExclusiveLock, PGQ_RIGHT_CONSUME, &queue, false);
	run_message_stmt(fcinfo, &queue, PGQ_STMT_POP, values);

	return (Datum) 0;
}

/*
 * set_vt(queue_name text, msg_id bigint, vt integer) returns setof pgq.message_record
 *
 * The message becomes visible vt seconds from now; no row if it does not
 * exist.
 */
Datum
pgq_set_vt(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	Datum		values[2];

	pgq_get_queue_name(fcinfo, 0, name);
	pgq_check_not_null(fcinfo, 1, "msg_id");
	values[0] = PG_GETARG_DATUM(1);
	values[1] = TimestampTzGetDatum(pgq_seconds_from_now(GetCurrentTimestamp(),
														 get_vt(fcinfo, 2), "vt"));

	pgq_lookup_queue(name, RowExclusiveLock, PGQ_RIGHT_CONSUME, &queue, false);
	run_message_stmt(fcinfo, &queue, PGQ_STMT_SET_VT, values);

	return (Datum) 0;
}
