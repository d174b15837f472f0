/*-------------------------------------------------------------------------
 *
 * notify.c
 *		Notifications for clients that LISTEN: enable_notify_insert and
 *		disable_notify_insert, and the NOTIFY a send queues.
 *
 * A queue's owner turns notifications on with a throttle interval, kept in
 * the queue's row of pgq.meta (so pg_dump keeps it, and create_queue of
 * the existing queue leaves it as it is).  Each backend reads the setting
 * once per queue (plancache.c keeps it until the queue's table is
 * invalidated, which changing the setting does).  A send to such a queue
 * queues a NOTIFY on channel "pgmq.q_<name>.INSERT" with an empty payload,
 * pgmq's channel, which PostgreSQL delivers when the transaction commits,
 * once per transaction and channel, and never if it rolls back.
 *
 * The throttle is per backend: a session notifies a queue at most once per
 * interval, counted from its last transaction that committed with a
 * notification for it.  A message sent within the interval brings no
 * notification, and none comes later for it: a listener reads until the
 * queue is empty after each notification, and once more an interval
 * after it (with throttle 0 every transaction notifies).  A transaction
 * that notifies cannot be prepared (PREPARE TRANSACTION refuses NOTIFY).
 *
 * Any role that can connect may LISTEN on any channel: a notification tells
 * everyone connected that a queue got messages, never what they hold.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/async.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pgq.h"

PG_FUNCTION_INFO_V1(pgq_enable_notify_insert);
PG_FUNCTION_INFO_V1(pgq_disable_notify_insert);

/* when this backend last committed a notification for a queue */
typedef struct NotifyTime
{
	Oid			relid;			/* hash key: q_<name> */
	TimestampTz at;
} NotifyTime;

static HTAB *notify_times = NULL;

static NotifyTime *notify_time(Oid relid, bool create);
static void set_notify(FunctionCallInfo fcinfo, bool enable);

static NotifyTime *
notify_time(Oid relid, bool create)
{
	bool		found;
	NotifyTime *entry;

	if (notify_times == NULL)
	{
		HASHCTL		ctl;

		if (!create)
			return NULL;
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(NotifyTime);
		ctl.hcxt = TopMemoryContext;
		notify_times = hash_create("pgq notify times", 16, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(notify_times, &relid, create ? HASH_ENTER : HASH_FIND, &found);
	if (create && !found)
		entry->at = 0;
	return entry;
}

/*
 * After a send to queue: queue its notification if the queue has them and
 * the throttle lets it.  Runs connected to SPI as the tables' owner.
 */
void
pgq_notify_after_send(PgqQueue *queue)
{
	int32		throttle_ms;
	NotifyTime *last;
	char		channel[NAMEDATALEN];

	if (!pgq_queue_notify_setting(queue, &throttle_ms))
		return;
	if (pgq_pending_notified(queue->relid))
		return;
	last = notify_time(queue->relid, false);
	if (last != NULL && throttle_ms > 0 &&
		!TimestampDifferenceExceeds(last->at, GetCurrentTimestamp(), throttle_ms))
		return;

	snprintf(channel, sizeof(channel), "pgmq.q_%s.INSERT", queue->name);
	Async_Notify(channel, NULL);
	pgq_note_notified(queue->relid);
	/* made now: the commit only sets the time, allocating nothing */
	(void) notify_time(queue->relid, true);
}

/*
 * The transaction that queued a notification for queue relid committed.
 * Runs in the commit callback: no error, no allocation.
 */
void
pgq_notify_committed(Oid relid)
{
	NotifyTime *entry = notify_time(relid, false);

	if (entry != NULL)
		entry->at = GetCurrentTimestamp();
}

/*
 * enable_notify_insert(queue_name text, throttle_interval_ms integer DEFAULT 250) returns void
 * disable_notify_insert(queue_name text) returns void
 *
 * Only the queue's owner may change them.  Enabling again changes the
 * interval; disabling a queue without notifications does nothing.
 */
static void
set_notify(FunctionCallInfo fcinfo, bool enable)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	const char *action = "change notifications for";
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	PgqExec		exec;
	Oid			relid;
	int			rc;

	pgq_get_queue_name(fcinfo, 0, name);
	values[0] = CStringGetTextDatum(name);
	if (enable)
	{
		pgq_check_not_null(fcinfo, 1, "throttle_interval_ms");
		if (PG_GETARG_INT32(1) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("throttle_interval_ms must not be negative")));
		values[1] = PG_GETARG_DATUM(1);
	}
	else
	{
		values[1] = (Datum) 0;
		nulls[1] = 'n';
	}

	(void) pgq_lock_owned_queue(name, action);

	pgq_begin(&exec);
	rc = SPI_execute_with_args("UPDATE pgq.meta SET notify_throttle_ms = $2"
							   " WHERE queue_name OPERATOR(pg_catalog.=) $1",
							   2, argtypes, values, nulls, false, 0);
	if (rc != SPI_OK_UPDATE || SPI_processed != 1)
		elog(ERROR, "pgq: changing the notifications of queue \"%s\" failed: %s",
			 name, SPI_result_code_string(rc));
	pgq_end(&exec);

	/* every backend reads the setting again */
	relid = pgq_queue_table("q_", name);
	if (OidIsValid(relid))
		CacheInvalidateRelcacheByRelid(relid);
}

Datum
pgq_enable_notify_insert(PG_FUNCTION_ARGS)
{
	set_notify(fcinfo, true);
	PG_RETURN_VOID();
}

Datum
pgq_disable_notify_insert(PG_FUNCTION_ARGS)
{
	set_notify(fcinfo, false);
	PG_RETURN_VOID();
}
