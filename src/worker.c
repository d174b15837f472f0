/*-------------------------------------------------------------------------
 *
 * worker.c
 *		The maintenance worker: with pgq in shared_preload_libraries, one
 *		background worker per database named in pgq.maintenance_databases
 *		runs maintain_queue (ring.c) on each of its queues every
 *		pgq.maintenance_naptime seconds, each queue in a transaction of its
 *		own, as the bootstrap superuser.
 *
 * A database where pgq is not installed (or not yet updated to a version
 * with maintain_queue) is looked at again at the next nap.  The worker is a
 * superuser: it calls only the maintain_queue that belongs to extension
 * pgq (never a function of that name another role made in a database
 * where pgq is not installed), with search_path set to pg_catalog, and
 * maintain_queue runs its statements as the tables' owner.  An error on a
 * queue is logged and the worker goes on with the next one.  Without the
 * worker, CALL pgq.maintain() from a scheduler does the same.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/varlena.h"

#include "pgq.h"

PGDLLEXPORT void pgq_maintenance_main(Datum main_arg);

/* pgq.maintenance_databases, pgq.maintenance_naptime */
static char *maintenance_databases = NULL;
static int	maintenance_naptime = 5;

static List *list_queues(void);
static void maintain_queue(const char *name);

/*
 * Define the settings and register a worker per database, while pgq is
 * being preloaded (the settings exist only then).
 */
void
pgq_worker_init(void)
{
	char	   *names;
	List	   *dbs;
	ListCell   *lc;

	if (!process_shared_preload_libraries_in_progress)
		return;

	DefineCustomStringVariable("pgq.maintenance_databases",
							   "Databases whose queues pgq's background worker maintains.",
							   "A comma-separated list; one worker per database runs "
							   "pgq.maintain_queue on each queue every pgq.maintenance_naptime "
							   "seconds. Empty: no worker (schedule CALL pgq.maintain() instead).",
							   &maintenance_databases,
							   "",
							   PGC_POSTMASTER, GUC_LIST_INPUT,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("pgq.maintenance_naptime",
							"Seconds between two runs of pgq's maintenance worker.",
							NULL,
							&maintenance_naptime,
							5, 1, 3600,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	names = pstrdup(maintenance_databases);
	if (!SplitIdentifierString(names, ',', &dbs))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgq.maintenance_databases must be a list of database names")));
	foreach(lc, dbs)
	{
		const char *db = (const char *) lfirst(lc);
		BackgroundWorker worker;

		memset(&worker, 0, sizeof(worker));
		worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
		worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
		worker.bgw_restart_time = maintenance_naptime;
		snprintf(worker.bgw_library_name, BGW_MAXLEN, "pgq");
		snprintf(worker.bgw_function_name, BGW_MAXLEN, "pgq_maintenance_main");
		snprintf(worker.bgw_name, BGW_MAXLEN, "pgq maintenance of %s", db);
		snprintf(worker.bgw_type, BGW_MAXLEN, "pgq maintenance");
		strlcpy(worker.bgw_extra, db, BGW_EXTRALEN);
		RegisterBackgroundWorker(&worker);
	}
}

/* the worker's main loop */
void
pgq_maintenance_main(Datum main_arg pg_attribute_unused())
{
	char		db[BGW_EXTRALEN];

	strlcpy(db, MyBgworkerEntry->bgw_extra, sizeof(db));
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(db, NULL, 0);
	pgstat_report_appname("pgq maintenance");
	SetConfigOption("search_path", "pg_catalog", PGC_SUSET, PGC_S_OVERRIDE);
	/* maintenance judges what is committed now, whatever the server's default */
	SetConfigOption("default_transaction_isolation", "read committed", PGC_SUSET, PGC_S_OVERRIDE);

	for (;;)
	{
		List	   *queues;
		ListCell   *lc;

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 maintenance_naptime * 1000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		queues = list_queues();
		foreach(lc, queues)
		{
			CHECK_FOR_INTERRUPTS();
			maintain_queue((const char *) lfirst(lc));
		}
		list_free_deep(queues);
		pgstat_report_activity(STATE_IDLE, NULL);
	}
}

/* a transaction of its own for each statement, connected to SPI, with a snapshot */
static void
begin_statement(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pgq: SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

static void
end_statement(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/*
 * The queues with a ring, in TopMemoryContext; none unless extension pgq is
 * installed, in a version with maintain_queue
 */
static List *
list_queues(void)
{
	List	   *queues = NIL;
	uint64		i;

	begin_statement("pgq: listing queues");
	if (SPI_execute("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
					" JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid"
					" WHERE e.extname OPERATOR(pg_catalog.=) 'pgq'"
					" AND d.deptype OPERATOR(pg_catalog.=) 'e'"
					" AND d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass"
					" AND d.objid OPERATOR(pg_catalog.=)"
					"  pg_catalog.to_regprocedure('pgq.maintain_queue(pg_catalog.text,pg_catalog.int4)'))",
					true, 1) != SPI_OK_SELECT)
		elog(ERROR, "pgq: looking for pgq failed");
	if (SPI_processed == 1 &&
		strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), "t") == 0)
	{
		if (SPI_execute("SELECT m.queue_name FROM pgq.meta m WHERE m.ring_slot IS NOT NULL"
						" ORDER BY m.queue_name", true, 0) != SPI_OK_SELECT)
			elog(ERROR, "pgq: listing the queues failed");
		for (i = 0; i < SPI_processed; i++)
		{
			char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			queues = lappend(queues, pstrdup(name));
			MemoryContextSwitchTo(old);
		}
	}
	end_statement();
	return queues;
}

static void
maintain_queue(const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	MemoryContext oldcontext = CurrentMemoryContext;

	PG_TRY();
	{
		begin_statement("pgq: maintaining a queue");
		values[0] = CStringGetTextDatum(name);
		if (SPI_execute_with_args("SELECT pgq.maintain_queue($1)", 1, argtypes, values, NULL,
								  false, 0) != SPI_OK_SELECT)
			elog(ERROR, "pgq: maintaining queue \"%s\" failed", name);
		end_statement();
	}
	PG_CATCH();
	{
		/* logged; the transaction goes, and the other queues are still done */
		MemoryContextSwitchTo(oldcontext);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		MemoryContextSwitchTo(oldcontext);
	}
	PG_END_TRY();
}
