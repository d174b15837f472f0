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

#include "executor/tstoreReceiver.h"
#include "funcapi.h"
#include "nodes/params.h"
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

/*
 * Execute a kept plan whose rows are the result of a set-returning
 * function set up with InitMaterializedSRF(), sending the rows straight
 * into the function's tuplestore (rather than into SPI_tuptable and then
 * copying them).  values and nulls are as for SPI_execute_plan.  Returns
 * the SPI_OK_* code; SPI_processed says how many rows were stored.  The
 * statements run this way return exactly the columns of the function's
 * result type, in order.
 */
int
pgq_execute_into_result(FunctionCallInfo fcinfo, SPIPlanPtr plan,
						Datum *values, const char *nulls)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			nargs = SPI_getargcount(plan);
	ParamListInfo params = makeParamList(nargs);
	SPIExecuteOptions options;
	DestReceiver *dest;
	int			rc;
	int			i;

	for (i = 0; i < nargs; i++)
	{
		ParamExternData *prm = &params->params[i];

		prm->value = values[i];
		prm->isnull = (nulls != NULL && nulls[i] == 'n');
		prm->pflags = PARAM_FLAG_CONST;
		prm->ptype = SPI_getargtypeid(plan, i);
	}

	dest = CreateDestReceiver(DestTuplestore);
	SetTuplestoreDestReceiverParams(dest, rsinfo->setResult,
									rsinfo->econtext->ecxt_per_query_memory,
									false, NULL, NULL);

	memset(&options, 0, sizeof(options));
	options.params = params;
	options.read_only = false;
	options.dest = dest;
	rc = SPI_execute_plan_extended(plan, &options);

	dest->rDestroy(dest);
	return rc;
}
