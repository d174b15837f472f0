/*-------------------------------------------------------------------------
 *
 * read.c
 *		Consuming messages: read (hand out with a visibility timeout),
 *		read_with_poll (the same, waiting a while for messages to come), pop
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
 * Each function has a second entry point for schema pgmq (extension
 * pgq_pgmq): it accepts what pgmq accepts (a negative vt, qty 0) and
 * returns pgmq's six-column message_record.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "pgq.h"

PG_FUNCTION_INFO_V1(pgq_read);
PG_FUNCTION_INFO_V1(pgq_read_with_poll);
PG_FUNCTION_INFO_V1(pgq_pop);
PG_FUNCTION_INFO_V1(pgq_set_vt);
PG_FUNCTION_INFO_V1(pgmq_read);
PG_FUNCTION_INFO_V1(pgmq_read_with_poll);
PG_FUNCTION_INFO_V1(pgmq_pop);
PG_FUNCTION_INFO_V1(pgmq_set_vt);

/* the statement of each operation, per dialect */
#define DIALECT_STMT(stmt, dialect) \
	((dialect) == PGQ_DIALECT_PGMQ ? stmt##_PGMQ : stmt)

static int32 get_qty(FunctionCallInfo fcinfo, int argno, PgqDialect dialect);
static int32 get_int(FunctionCallInfo fcinfo, int argno, const char *argname);
static bool get_conditional(FunctionCallInfo fcinfo, int argno, PgqDialect dialect,
							Datum *conditional);
static uint64 run_message_stmt(FunctionCallInfo fcinfo, PgqQueue *queue,
							   PgqStmt stmt, Datum *values, const char *nulls);
static uint64 read_once(FunctionCallInfo fcinfo, PgqQueue *queue, PgqDialect dialect,
						int32 vt, int32 qty, Datum *values, const char *nulls);
static TimestampTz next_vt(PgqQueue *queue);
static TimestampTz read_low(PgqQueue *queue, bool *probe);
static Datum priority_lows(PgqQueue *queue, TimestampTz *lows);
static void advance_priority_lows(PgqQueue *queue, Datum marks, TimestampTz *lows);
static void advance_low(PgqQueue *queue, TimestampTz low);
static TimestampTz timestamp_stmt(PgqQueue *queue, PgqStmt stmt, Datum *values,
								  TimestampTz none);
static long ms_until(TimestampTz now, TimestampTz until);
static void sleep_on_latch(long timeout_ms);
static void wait_in_slot(FunctionCallInfo fcinfo, PgqQueue *queue, PgqDialect dialect,
						 int32 vt, int32 qty, Datum *values, const char *nulls, int slot,
						 TimestampTz deadline);
static Datum read_messages(FunctionCallInfo fcinfo, PgqDialect dialect, bool poll);
static Datum pop(FunctionCallInfo fcinfo, PgqDialect dialect);
static Datum set_vt(FunctionCallInfo fcinfo, PgqDialect dialect);

/*
 * The qty argument.  pgq wants at least 1; pgmq's LIMIT takes 0 (no
 * messages, returned as 0 here) and refuses a negative number as LIMIT
 * does.
 */
static int32
get_qty(FunctionCallInfo fcinfo, int argno, PgqDialect dialect)
{
	int32		qty;

	pgq_check_not_null(fcinfo, argno, "qty");
	qty = PG_GETARG_INT32(argno);
	if (dialect == PGQ_DIALECT_PGMQ && qty < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE),
				 errmsg("LIMIT must not be negative")));
	if (dialect == PGQ_DIALECT_PGQ && qty < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("qty must be at least 1")));
	return qty;
}

static int32
get_int(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	pgq_check_not_null(fcinfo, argno, argname);
	return PG_GETARG_INT32(argno);
}

/*
 * The conditional argument of read and read_with_poll: true, with the jsonb
 * every message read must contain, or false for no condition (the empty
 * object '{}', as pgmq has it; NULL too in schema pgmq).
 */
static bool
get_conditional(FunctionCallInfo fcinfo, int argno, PgqDialect dialect, Datum *conditional)
{
	Jsonb	   *jb;

	if (PG_NARGS() <= argno)
		return false;
	if (dialect == PGQ_DIALECT_PGMQ && PG_ARGISNULL(argno))
		return false;
	pgq_check_not_null(fcinfo, argno, "conditional");

	jb = PG_GETARG_JSONB_P(argno);
	if (JB_ROOT_IS_OBJECT(jb) && JB_ROOT_COUNT(jb) == 0)
		return false;
	*conditional = PointerGetDatum(jb);
	return true;
}

/*
 * Run one of the statements that return message_record rows, adding the
 * rows to the function's result set; returns how many there were.
 */
static uint64
run_message_stmt(FunctionCallInfo fcinfo, PgqQueue *queue, PgqStmt stmt,
				 Datum *values, const char *nulls)
{
	PgqExec		exec;
	uint64		n;

	pgq_begin(&exec);
	pgq_run(queue, stmt, values, nulls, fcinfo);
	n = SPI_processed;
	pgq_end(&exec);
	return n;
}

/*
 * One read of read_messages: now, the rows found (added to the result).
 */
static uint64
read_once(FunctionCallInfo fcinfo, PgqQueue *queue, PgqDialect dialect, int32 vt,
		  int32 qty, Datum *values, const char *nulls)
{
	/* recorded for other backends' low-water marks before now is taken */
	TimestampTz recorded = pgq_low_begin_write(queue->relid);
	TimestampTz now = Max(GetCurrentTimestamp(), recorded);
	TimestampTz new_vt = pgq_seconds_from_now(now, vt, "vt", dialect);
	TimestampTz low;
	TimestampTz lows[PGQ_PRIORITY_MAX + 1];
	bool		probe;
	uint64		n;
	const PgqPolicy *policy;

	values[0] = TimestampTzGetDatum(now);
	values[1] = Int64GetDatum((int64) qty);
	values[2] = TimestampTzGetDatum(new_vt);
	low = read_low(queue, &probe);
	values[4] = TimestampTzGetDatum(low);
	policy = pgq_queue_policy(queue);
	if (!policy->priorities && !pgq_policy_reads(policy))
	{
		n = run_message_stmt(fcinfo, queue, DIALECT_STMT(PGQ_STMT_READ, dialect), values, nulls);
		if (probe)
			advance_low(queue, low);
	}
	else
	{
		/*
		 * What a read under a policy allocates goes with it: read_with_poll
		 * reads again and again in one call.
		 */
		MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "pgq read",
												  ALLOCSET_SMALL_SIZES);
		MemoryContext old = MemoryContextSwitchTo(cxt);
		bool		priorities = policy->priorities;

		if (priorities)
			values[4] = priority_lows(queue, lows);
		if (pgq_policy_reads(policy))
			n = pgq_policy_read(fcinfo, queue, dialect, values, nulls, qty);
		else
			n = run_message_stmt(fcinfo, queue, DIALECT_STMT(PGQ_STMT_READ_PRI, dialect),
								 values, nulls);
		if (probe && priorities)
			advance_priority_lows(queue, values[4], lows);
		else if (probe)
			advance_low(queue, low);
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
	}
	/* visible again at vt if it commits (now, for vt 0), at once if it rolls back */
	pgq_note_messages(queue->relid, n, PGQ_NOTE_AT_COMMIT | PGQ_NOTE_AT_ABORT, new_vt, now);
	return n;
}

/* the marks of a queue with priorities, as lows and as the array its statements take */
static Datum
priority_lows(PgqQueue *queue, TimestampTz *lows)
{
	Datum		elems[PGQ_PRIORITY_MAX + 1];
	int			p;

	pgq_queue_priority_lows(queue, lows);
	for (p = 0; p <= PGQ_PRIORITY_MAX; p++)
		elems[p] = TimestampTzGetDatum(lows[p]);
	return PointerGetDatum(construct_array(elems, PGQ_PRIORITY_MAX + 1, TIMESTAMPTZOID,
										   sizeof(TimestampTz), FLOAT8PASSBYVAL,
										   TYPALIGN_DOUBLE));
}

/*
 * advance_low for a queue with priorities: each priority's mark, from the
 * marks the read started at (lows, and the same as the array marks)
 */
static void
advance_priority_lows(PgqQueue *queue, Datum marks, TimestampTz *lows)
{
	Datum		values[2];
	TimestampTz now;
	TimestampTz bound;
	uint64		resets;
	PgqExec		exec;
	uint64		i;

	resets = pgq_low_reset_count();
	bound = pgq_low_bound(queue->relid);
	now = GetCurrentTimestamp();
	values[0] = marks;
	values[1] = TimestampTzGetDatum(now);
	pgq_begin(&exec);
	pgq_run(queue, PGQ_STMT_LOW_PROBE_PRI, values, NULL, NULL);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int32		p = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
													SPI_tuptable->tupdesc, 1, &isnull));
		Datum		first = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2,
										  &isnull);

		if (p >= 0 && p <= PGQ_PRIORITY_MAX)
			lows[p] = Min(isnull ? now : DatumGetTimestampTz(first), bound);
	}
	pgq_end(&exec);
	if (pgq_low_reset_count() == resets)
		pgq_queue_set_priority_lows(queue, lows);
}

/*
 * Where a read or pop of the queue starts, and whether it moves the mark
 * after (*probe): not under REPEATABLE READ, where the probe would see the
 * transaction's snapshot.
 */
static TimestampTz
read_low(PgqQueue *queue, bool *probe)
{
	*probe = false;
	return pgq_queue_low(queue, IsolationUsesXactSnapshot() ? NULL : probe);
}

/*
 * After a read or pop (every PGQ_LOW_PROBE_EVERY of them, read_low): move
 * this backend's low-water mark of the queue from low, where the read
 * started, up to the smallest vt of a live row, as far as what is being
 * written allows (lowwater.c).  Between two moves, reads walk only the
 * entries that died since the last one.
 */
static void
advance_low(PgqQueue *queue, TimestampTz low)
{
	Datum		values[2];
	TimestampTz now;
	TimestampTz first;
	TimestampTz bound;
	uint64		resets;

	/* before the probe's snapshot */
	resets = pgq_low_reset_count();
	bound = pgq_low_bound(queue->relid);

	/* nothing live up to now: the mark may go to now */
	now = GetCurrentTimestamp();
	values[0] = TimestampTzGetDatum(low);
	values[1] = TimestampTzGetDatum(now);
	first = timestamp_stmt(queue, PGQ_STMT_LOW_PROBE, values, now);

	if (pgq_low_reset_count() == resets)
		pgq_queue_set_low(queue, Min(first, bound));
}

/*
 * Run a statement of the queue that returns at most one timestamp: it, or
 * none if there is no row.
 */
static TimestampTz
timestamp_stmt(PgqQueue *queue, PgqStmt stmt, Datum *values, TimestampTz none)
{
	PgqExec		exec;
	TimestampTz ts = none;
	bool		isnull;

	pgq_begin(&exec);
	pgq_run(queue, stmt, values, NULL, NULL);
	if (SPI_processed == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
									  &isnull);

		if (!isnull)
			ts = DatumGetTimestampTz(d);
	}
	pgq_end(&exec);
	return ts;
}

/* the earliest vt of the queue after now (0: none), for a waiting leader */
static TimestampTz
next_vt(PgqQueue *queue)
{
	Datum		values[1];

	values[0] = TimestampTzGetDatum(GetCurrentTimestamp());
	return timestamp_stmt(queue, PGQ_STMT_NEXT_VT, values, 0);
}

/* milliseconds from now until "until", rounded up, at least 0 */
static long
ms_until(TimestampTz now, TimestampTz until)
{
	if (until <= now)
		return 0;
	return (long) ((until - now + 999) / 1000);
}

/*
 * Sleep on the latch until it is set or timeout_ms pass; then handle a
 * cancel, a timeout or a shutdown.
 */
static void
sleep_on_latch(long timeout_ms)
{
	/* at most an hour at a time: the wait takes the timeout as an int */
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 Min(timeout_ms, 3600L * 1000), PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/*
 * read_with_poll when it can wait in a slot (wait.c): read again (the
 * slot is taken before this read's snapshot), then sleep until woken, the
 * leader's due time or the deadline, reading only when woken or due.
 */
static void
wait_in_slot(FunctionCallInfo fcinfo, PgqQueue *queue, PgqDialect dialect, int32 vt,
			 int32 qty, Datum *values, const char *nulls, int slot, TimestampTz deadline)
{
	volatile bool found_all = false;
	volatile PgqWake wake = PGQ_WAKE_NONE;

	PG_TRY();
	{
		bool		read = true;
		TimestampTz due = DT_NOEND;

		for (;;)
		{
			TimestampTz now;

			if (read)
			{
				uint64		n = read_once(fcinfo, queue, dialect, vt, qty, values, nulls);
				bool		leader = (n < (uint64) qty) && pgq_wait_is_leader(slot);

				/* a leader finds the next due time, also when it leaves */
				if (n == 0 || leader)
					due = pgq_wait_after_read(slot, wake == PGQ_WAKE_WOKEN && n == 0,
											  leader ? next_vt(queue) : 0);
				wake = PGQ_WAKE_NONE;
				if (n > 0)
				{
					found_all = (n >= (uint64) qty);
					break;
				}
			}
			now = GetCurrentTimestamp();
			if (now >= deadline || wake == PGQ_WAKE_YIELD)
			{
				/* a last read: nothing committed before the deadline is missed */
				found_all = (read_once(fcinfo, queue, dialect, vt, qty, values, nulls) >=
							 (uint64) qty);
				break;
			}
			sleep_on_latch(ms_until(now, Min(deadline, due)));
			wake = pgq_wait_check(slot, queue->name, GetCurrentTimestamp(), &due);
			read = (wake == PGQ_WAKE_WOKEN || wake == PGQ_WAKE_DUE);
		}
	}
	PG_CATCH();
	{
		/* a wake-up it was about to use goes to another waiter */
		pgq_wait_release(slot, false, wake == PGQ_WAKE_WOKEN);
		PG_RE_THROW();
	}
	PG_END_TRY();
	pgq_wait_release(slot, found_all, false);
}

/*
 * read(queue_name text, vt integer, qty integer, conditional jsonb DEFAULT '{}')
 * read_with_poll(queue_name text, vt integer, qty integer,
 *				  max_poll_seconds integer DEFAULT 5, poll_interval_ms integer DEFAULT 100,
 *				  conditional jsonb DEFAULT '{}')
 *   returns setof message_record
 *
 * read_with_poll reads, and while it finds nothing and max_poll_seconds
 * have not passed, sleeps on the backend's latch: until a transaction
 * that commits messages wakes it, when pgq is preloaded (wait.c), else
 * poll_interval_ms between reads.  The sleep ends at once for a query
 * cancel, statement_timeout or a shutdown.  It holds no row lock while it
 * sleeps; it keeps the queue's table locked (as every pgq function does
 * until its transaction ends): drop_queue ends the wait with an error
 * when pgq is preloaded, and else waits for it.  Each read takes a new
 * snapshot (under READ COMMITTED), so messages committed meanwhile are
 * found; the statement's own snapshot is held for the whole call.
 */
static Datum
read_messages(FunctionCallInfo fcinfo, PgqDialect dialect, bool poll)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	int32		vt;
	int32		qty;
	int32		poll_ms = 0;
	TimestampTz deadline = 0;
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	bool		conditional;
	int			slot;

	pgq_get_queue_name(fcinfo, 0, name);
	vt = get_int(fcinfo, 1, "vt");
	qty = get_qty(fcinfo, 2, dialect);
	conditional = get_conditional(fcinfo, poll ? 5 : 3, dialect, &values[3]);
	if (!conditional)
	{
		values[3] = (Datum) 0;
		nulls[3] = 'n';
	}
	if (poll)
	{
		int32		max_poll_seconds = get_int(fcinfo, 3, "max_poll_seconds");

		poll_ms = get_int(fcinfo, 4, "poll_interval_ms");
		if (dialect == PGQ_DIALECT_PGQ && max_poll_seconds < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_poll_seconds must not be negative")));
		if (dialect == PGQ_DIALECT_PGQ && poll_ms < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("poll_interval_ms must be at least 1")));
		/* pgmq would spin without sleeping: sleep 1 ms at least */
		poll_ms = Max(poll_ms, 1);
		deadline = GetCurrentTimestamp() +
			(TimestampTz) Max(max_poll_seconds, 0) * USECS_PER_SEC;
	}
	/* a negative vt in pgmq's dialect: checked, not refused */
	(void) pgq_seconds_from_now(0, vt, "vt", dialect);

	pgq_lookup_queue(name, RowExclusiveLock, PGQ_RIGHT_CONSUME, &queue, false);
	InitMaterializedSRF(fcinfo, 0);
	if (qty == 0)
		return (Datum) 0;

	if (read_once(fcinfo, &queue, dialect, vt, qty, values, nulls) > 0 || !poll ||
		GetCurrentTimestamp() >= deadline)
		return (Datum) 0;

	/*
	 * Poll under a transaction snapshot, which would never show new
	 * messages, and with a conditional: which messages it takes is not
	 * known to whoever wakes waiters.
	 */
	slot = (IsolationUsesXactSnapshot() || conditional) ? -1 :
		pgq_wait_register(name, queue.relid, qty);
	if (slot >= 0)
	{
		wait_in_slot(fcinfo, &queue, dialect, vt, qty, values, nulls, slot, deadline);
		return (Datum) 0;
	}

	for (;;)
	{
		TimestampTz now = GetCurrentTimestamp();

		if (now >= deadline)
			break;
		sleep_on_latch(Min((long) poll_ms, ms_until(now, deadline)));
		if (read_once(fcinfo, &queue, dialect, vt, qty, values, nulls) > 0)
			break;
	}

	return (Datum) 0;
}

/*
 * pop(queue_name text, qty integer DEFAULT 1) returns setof pgq.message_record
 * pgmq.pop(queue_name text) returns setof pgmq.message_record
 */
static Datum
pop(FunctionCallInfo fcinfo, PgqDialect dialect)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	Datum		values[3];
	int32		qty = 1;
	bool		probe;

	pgq_get_queue_name(fcinfo, 0, name);
	if (PG_NARGS() > 1)
		qty = get_qty(fcinfo, 1, dialect);
	values[0] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[1] = Int64GetDatum((int64) qty);

	pgq_lookup_queue(name, RowExclusiveLock, PGQ_RIGHT_CONSUME, &queue, false);
	InitMaterializedSRF(fcinfo, 0);
	if (qty > 0)
	{
		TimestampTz low = read_low(&queue, &probe);
		TimestampTz lows[PGQ_PRIORITY_MAX + 1];
		bool		priorities = pgq_queue_policy(&queue)->priorities;

		values[2] = priorities ? priority_lows(&queue, lows) : TimestampTzGetDatum(low);
		pgq_note_messages(queue.relid,
						  run_message_stmt(fcinfo, &queue,
										   priorities ?
										   DIALECT_STMT(PGQ_STMT_POP_PRI, dialect) :
										   DIALECT_STMT(PGQ_STMT_POP, dialect),
										   values, NULL),
						  PGQ_NOTE_AT_ABORT, 0, 0);
		if (probe && priorities)
			advance_priority_lows(&queue, values[2], lows);
		else if (probe)
			advance_low(&queue, low);
	}

	return (Datum) 0;
}

/*
 * set_vt(queue_name text, msg_id bigint, vt integer) returns setof message_record
 *
 * The message becomes visible vt seconds from now; no row if it does not
 * exist.
 */
static Datum
set_vt(FunctionCallInfo fcinfo, PgqDialect dialect)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	Datum		values[2];
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz vt;
	int32		seconds;

	pgq_get_queue_name(fcinfo, 0, name);
	pgq_check_not_null(fcinfo, 1, "msg_id");
	values[0] = PG_GETARG_DATUM(1);
	seconds = get_int(fcinfo, 2, "vt");
	(void) pgq_seconds_from_now(now, seconds, "vt", dialect);

	pgq_lookup_queue(name, RowExclusiveLock, PGQ_RIGHT_CONSUME, &queue, false);
	InitMaterializedSRF(fcinfo, 0);
	/* recorded for other backends' low-water marks before now is taken */
	now = Max(GetCurrentTimestamp(), pgq_low_begin_write(queue.relid));
	vt = pgq_seconds_from_now(now, seconds, "vt", dialect);
	if (vt < now)
		pgq_low_note_past_write(queue.relid, vt);	/* pgmq's negative vt */
	values[1] = TimestampTzGetDatum(vt);
	pgq_note_messages(queue.relid,
					  run_message_stmt(fcinfo, &queue, DIALECT_STMT(PGQ_STMT_SET_VT, dialect),
									   values, NULL),
					  PGQ_NOTE_AT_COMMIT | PGQ_NOTE_AT_ABORT, vt, now);

	return (Datum) 0;
}

Datum
pgq_read(PG_FUNCTION_ARGS)
{
	return read_messages(fcinfo, PGQ_DIALECT_PGQ, false);
}

Datum
pgq_read_with_poll(PG_FUNCTION_ARGS)
{
	return read_messages(fcinfo, PGQ_DIALECT_PGQ, true);
}

Datum
pgq_pop(PG_FUNCTION_ARGS)
{
	return pop(fcinfo, PGQ_DIALECT_PGQ);
}

Datum
pgq_set_vt(PG_FUNCTION_ARGS)
{
	return set_vt(fcinfo, PGQ_DIALECT_PGQ);
}

Datum
pgmq_read(PG_FUNCTION_ARGS)
{
	return read_messages(fcinfo, PGQ_DIALECT_PGMQ, false);
}

Datum
pgmq_read_with_poll(PG_FUNCTION_ARGS)
{
	return read_messages(fcinfo, PGQ_DIALECT_PGMQ, true);
}

Datum
pgmq_pop(PG_FUNCTION_ARGS)
{
	return pop(fcinfo, PGQ_DIALECT_PGMQ);
}

Datum
pgmq_set_vt(PG_FUNCTION_ARGS)
{
	return set_vt(fcinfo, PGQ_DIALECT_PGMQ);
}
