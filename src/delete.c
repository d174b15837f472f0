/*-------------------------------------------------------------------------
 *
 * delete.c
 *		Finishing with messages: delete removes them, archive moves them to
 *		the queue's archive table a_<name> (stamped with archived_at).
 *		Both come in a single-id form returning boolean and an array form
 *		returning the ids that were actually there, ascending.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/array.h"

#include "pgq.h"

PG_FUNCTION_INFO_V1(pgq_delete);
PG_FUNCTION_INFO_V1(pgq_delete_batch);
PG_FUNCTION_INFO_V1(pgq_archive);
PG_FUNCTION_INFO_V1(pgq_archive_batch);

static bool finish_one(FunctionCallInfo fcinfo, PgqStmt stmt);
static void finish_many(FunctionCallInfo fcinfo, PgqStmt stmt);

/*
 * delete or archive one message; true if it was there
 */
static bool
finish_one(FunctionCallInfo fcinfo, PgqStmt stmt)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	Datum		values[1];
	PgqExec		exec;
	bool		found;

	pgq_get_queue_name(fcinfo, 0, name);
	pgq_check_not_null(fcinfo, 1, "msg_id");
	values[0] = PG_GETARG_DATUM(1);

	pgq_lookup_queue(name, RowExclusiveLock, PGQ_RIGHT_CONSUME, &queue, false);

	pgq_begin(&exec);
	pgq_run(&queue, stmt, values, NULL, NULL);
	found = (SPI_processed > 0);
	pgq_end(&exec);
	/* rolled back, the message is back as it was; a waiter may have skipped it */
	pgq_note_messages(queue.relid, found ? 1 : 0, PGQ_NOTE_AT_ABORT, 0, 0);

	return found;
}

/*
 * delete or archive the messages of an id array; returns the ids found
 */
static void
finish_many(FunctionCallInfo fcinfo, PgqStmt stmt)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	Datum		values[1];
	PgqExec		exec;

	pgq_get_queue_name(fcinfo, 0, name);
	pgq_check_not_null(fcinfo, 1, "msg_ids");
	if (array_contains_nulls(PG_GETARG_ARRAYTYPE_P(1)))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("msg_ids must not contain null elements")));
	values[0] = PG_GETARG_DATUM(1);

	pgq_lookup_queue(name, RowExclusiveLock, PGQ_RIGHT_CONSUME, &queue, false);

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	pgq_begin(&exec);
	pgq_run(&queue, stmt, values, NULL, fcinfo);
	pgq_note_messages(queue.relid, SPI_processed, PGQ_NOTE_AT_ABORT, 0, 0);
	pgq_end(&exec);
}

/* delete(queue_name text, msg_id bigint) returns boolean */
Datum
pgq_delete(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(finish_one(fcinfo, PGQ_STMT_DELETE));
}

/* delete(queue_name text, msg_ids bigint[]) returns setof bigint */
Datum
pgq_delete_batch(PG_FUNCTION_ARGS)
{
	finish_many(fcinfo, PGQ_STMT_DELETE_BATCH);
	return (Datum) 0;
}

/* archive(queue_name text, msg_id bigint) returns boolean */
Datum
pgq_archive(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(finish_one(fcinfo, PGQ_STMT_ARCHIVE));
}

/* archive(queue_name text, msg_ids bigint[]) returns setof bigint */
Datum
pgq_archive_batch(PG_FUNCTION_ARGS)
{
	finish_many(fcinfo, PGQ_STMT_ARCHIVE_BATCH);
	return (Datum) 0;
}
