/*-------------------------------------------------------------------------
 *
 * pgq.c
 *		Module entry point (the settings pgq defines) and the small helpers
 *		every pgq file uses: connecting to SPI and returning SPI result rows
 *		from a set-returning function.
 *
 * pgq keeps no shared memory and takes no locks of its own; the only
 * backend-local state is the plan cache in plancache.c and the settings.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "funcapi.h"
#include "utils/guc.h"
#include "utils/tuplestore.h"

#include "pgq.h"

PG_MODULE_MAGIC;

/* pgq.metrics_exact_limit: see metrics.c */
int			pgq_metrics_exact_limit = 100000;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("pgq.metrics_exact_limit",
							"Counts metrics() takes exactly, at most; beyond, they are estimated.",
							"metrics() counts the messages of a queue up to this many; a longer "
							"queue's queue_length and queue_visible_length are estimates. "
							"-1 counts every message, whatever it costs.",
							&pgq_metrics_exact_limit,
							100000, -1, INT_MAX - 1,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("pgq");
}

void
pgq_spi_connect(void)
{
	int			rc = SPI_connect();

	if (rc != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));
}

void
pgq_spi_finish(void)
{
	int			rc = SPI_finish();

	if (rc != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(rc));
}

/*
 * Append the rows of the last SPI result to the tuplestore of a
 * set-returning function set up with InitMaterializedSRF().  The statements
 * that feed this return exactly the columns of the function's result type,
 * in order, so the tuples are stored as they are.
 */
void
pgq_return_spi_rows(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	uint64		i;

	if (SPI_tuptable == NULL ||
		SPI_tuptable->tupdesc->natts != rsinfo->setDesc->natts)
		elog(ERROR, "pgq: result row shape does not match the function result");

	for (i = 0; i < SPI_processed; i++)
		tuplestore_puttuple(rsinfo->setResult, SPI_tuptable->vals[i]);
}
