/*-------------------------------------------------------------------------
 *
 * execute.c
 *		The one way pgq runs SQL: over SPI, as the owner of the queue
 *		tables, with every result row checked before the caller sees it.
 *
 * The queue tables belong to the owner of schema pgq, the role that ran
 * CREATE EXTENSION.  pgq's functions run with the caller's rights (none is
 * SECURITY DEFINER); once queue.c has checked that the caller may do what it
 * asks, pgq_begin() makes the tables' owner the current user for the
 * statements that follow, as a security-restricted operation (as
 * REFRESH MATERIALIZED VIEW and VACUUM run index functions), and pgq_end()
 * gives the caller back.  An error in between restores the caller with
 * the (sub)transaction's abort.  No role that uses a queue owns, alters
 * or adds triggers, rules or policies to the tables, so nothing a caller
 * wrote runs in there.
 *
 * pgq_run() executes one statement of statements.c and holds the row type
 * of the plan actually executed (a kept plan is planned again after DDL) to
 * the columns the catalogue lists, and, for a set-returning function, to
 * its declared result type: a mismatch is ERROR 42804 before any row is
 * stored.
 *
 * The owner's OID is kept per backend and forgotten when pg_namespace or
 * pgq.meta changes (cache callbacks).  Nothing here is shared between
 * backends.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "commands/extension.h"
#include "executor/tstoreReceiver.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "pgq.h"

/* a DestReceiver that checks the row type, then hands rows to another */
typedef struct CheckedDest
{
	DestReceiver pub;
	DestReceiver *inner;
	const PgqQueue *queue;
	PgqStmt		stmt;
	TupleDesc	declared;		/* the function's result type */
} CheckedDest;

static Oid	tables_owner = InvalidOid;
static Oid	meta_relid = InvalidOid;
static bool owner_callback_registered = false;

static void forget_owner(Datum arg, int cacheid, uint32 hashvalue);
static void forget_meta(Datum arg, Oid relid);
static void check_row_type(const PgqQueue *queue, PgqStmt stmt, TupleDesc got,
						   TupleDesc declared);
static char *describe_row(TupleDesc desc);
static void checked_startup(DestReceiver *self, int operation, TupleDesc typeinfo);
static bool checked_receive(TupleTableSlot *slot, DestReceiver *self);
static void checked_shutdown(DestReceiver *self);
static void checked_destroy(DestReceiver *self);

static void
forget_owner(Datum arg pg_attribute_unused(), int cacheid pg_attribute_unused(),
			 uint32 hashvalue pg_attribute_unused())
{
	tables_owner = InvalidOid;
}

/* pgq.meta changed (ALTER EXTENSION, DROP EXTENSION): check the version again */
static void
forget_meta(Datum arg pg_attribute_unused(), Oid relid)
{
	if (!OidIsValid(relid) || relid == meta_relid)
		tables_owner = InvalidOid;
}

/* the owner of schema pgq, looked up now, without any check */
Oid
pgq_schema_owner(void)
{
	Oid			nsp = get_namespace_oid(PGQ_SCHEMA, false);
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "pgq: cache lookup failed for schema %u", nsp);
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * The role that owns pgq's tables: the owner of schema pgq, which is the
 * role that created the extension (the install script refuses a schema
 * pgq that someone else made).  Finding it the first time, and after any
 * change to schema pgq or pgq.meta, also checks that the extension's
 * objects are of this library's version (pgq_check_extension_updated) and
 * that the schema holds nothing pgq cannot trust (pgq_check_schema).
 */
Oid
pgq_tables_owner(void)
{
	if (!OidIsValid(tables_owner))
	{
		Oid			owner;
		Oid			save_userid;
		int			save_sec_context;

		if (!owner_callback_registered)
		{
			CacheRegisterSyscacheCallback(NAMESPACEOID, forget_owner, (Datum) 0);
			CacheRegisterRelcacheCallback(forget_meta, (Datum) 0);
			owner_callback_registered = true;
		}

		meta_relid = pgq_check_extension_updated();
		owner = pgq_schema_owner();

		/*
		 * Inside pgq's own install or update script (not another
		 * extension's), which checks the schema itself when it is ready
		 * to, take the owner as it is and keep nothing.
		 */
		if (creating_extension &&
			CurrentExtensionObject == get_extension_oid("pgq", true))
			return owner;

		/* and nothing in the schema belongs to anyone else (schema.c) */
		GetUserIdAndSecContext(&save_userid, &save_sec_context);
		SetUserIdAndSecContext(owner, save_sec_context |
							   SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		pgq_check_schema(false);
		SetUserIdAndSecContext(save_userid, save_sec_context);
		tables_owner = owner;
	}
	return tables_owner;
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
 * Connect to SPI and become the owner of the queue tables; see the file
 * header.  The caller's rights must have been checked already.
 */
void
pgq_begin(PgqExec *exec)
{
	/* found (and checked) outside SPI */
	pgq_begin_as(exec, pgq_tables_owner());
}

/* pgq_begin, with the tables' owner given (the update script's) */
void
pgq_begin_as(PgqExec *exec, Oid owner)
{
	exec->owner = owner;
	pgq_spi_connect();
	GetUserIdAndSecContext(&exec->save_userid, &exec->save_sec_context);
	pgq_become_owner(exec);
}

/* give the caller back its identity and leave SPI */
void
pgq_end(PgqExec *exec)
{
	pgq_become_caller(exec);
	pgq_spi_finish();
}

/* between pgq_begin and pgq_end: the tables' owner again */
void
pgq_become_owner(PgqExec *exec)
{
	SetUserIdAndSecContext(exec->owner, exec->save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
}

/* between pgq_begin and pgq_end: the caller again, for a privilege check */
void
pgq_become_caller(PgqExec *exec)
{
	SetUserIdAndSecContext(exec->save_userid, exec->save_sec_context);
}

/* "bigint, jsonb, ..." */
static char *
describe_row(TupleDesc desc)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (i > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, att->attisdropped ? "(dropped)" :
							   format_type_be(att->atttypid));
	}
	return buf.data;
}

/*
 * Raise 42804 unless the rows of statement stmt, of type got, are what the
 * catalogue says, and, if declared is given, what the function returns.
 */
static void
check_row_type(const PgqQueue *queue, PgqStmt stmt, TupleDesc got, TupleDesc declared)
{
	const PgqStmtDef *def = &pgq_stmts[stmt];
	bool		ok = (got->natts == def->ncols);
	int			i;

	if (declared != NULL && declared->natts != got->natts)
		ok = false;
	for (i = 0; ok && i < got->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(got, i);

		if (att->attisdropped || att->atttypid != def->coltypes[i] ||
			(declared != NULL && TupleDescAttr(declared, i)->atttypid != att->atttypid))
			ok = false;
	}

	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("queue \"%s\" has been altered: %s returns rows of (%s), expected (%s)",
						queue->name, def->what, describe_row(got),
						declared != NULL ? describe_row(declared) : "the queue's columns"),
				 errhint("Drop and create the queue again, or restore its tables as pgq.create_queue made them.")));
}

static void
checked_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	CheckedDest *dest = (CheckedDest *) self;

	check_row_type(dest->queue, dest->stmt, typeinfo, dest->declared);
	dest->inner->rStartup(dest->inner, operation, typeinfo);
}

static bool
checked_receive(TupleTableSlot *slot, DestReceiver *self)
{
	CheckedDest *dest = (CheckedDest *) self;

	return dest->inner->receiveSlot(slot, dest->inner);
}

static void
checked_shutdown(DestReceiver *self)
{
	CheckedDest *dest = (CheckedDest *) self;

	dest->inner->rShutdown(dest->inner);
}

static void
checked_destroy(DestReceiver *self)
{
	CheckedDest *dest = (CheckedDest *) self;

	dest->inner->rDestroy(dest->inner);
	pfree(dest);
}

/*
 * Run statement stmt of the queue with parameters values/nulls (as for
 * SPI_execute_plan).  Must be called between pgq_begin and pgq_end.
 *
 * With srf, a set-returning function set up with InitMaterializedSRF(),
 * the rows go straight into its tuplestore; SPI_processed says how many.
 * Without, they are in SPI_tuptable.  Either way their type is checked
 * first (see check_row_type), and a result code other than the
 * statement's expected one is an internal error.
 */
void
pgq_run(PgqQueue *queue, PgqStmt stmt, Datum *values, const char *nulls,
		FunctionCallInfo srf)
{
	const PgqStmtDef *def = &pgq_stmts[stmt];
	SPIPlanPtr	plan = pgq_get_plan(queue, stmt);
	int			rc;
	int			nest = -1;

	/*
	 * A plan is made, or made again after an invalidation, when it is
	 * executed: these statements must use the queue's indexes, in their
	 * order, whatever the statistics say (statements.c).  The only node the
	 * settings disable that such a plan keeps is the sort of the few rows
	 * returned; jit is off so that its disable_cost compiles nothing.
	 */
	if (def->use_indexes)
	{
		static const char *const off[] = {"enable_seqscan", "enable_bitmapscan", "enable_sort", "jit"};
		size_t		i;

		nest = NewGUCNestLevel();
		for (i = 0; i < lengthof(off); i++)
			(void) set_config_option(off[i], "off", PGC_USERSET, PGC_S_SESSION,
									 GUC_ACTION_SAVE, true, 0, false);
	}

	if (srf == NULL)
	{
		rc = SPI_execute_plan(plan, values, nulls, false, 0);
		if (rc == def->expected_rc && SPI_tuptable != NULL)
			check_row_type(queue, stmt, SPI_tuptable->tupdesc, NULL);
		else if (rc == def->expected_rc && def->ncols > 0)
			elog(ERROR, "pgq: %s on queue \"%s\" returned no rows", def->what, queue->name);
	}
	else
	{
		ReturnSetInfo *rsinfo = (ReturnSetInfo *) srf->resultinfo;
		ParamListInfo params = makeParamList(def->nargs);
		SPIExecuteOptions options;
		CheckedDest *dest;
		int			i;

		for (i = 0; i < def->nargs; i++)
		{
			ParamExternData *prm = &params->params[i];

			prm->value = values[i];
			prm->isnull = (nulls != NULL && nulls[i] == 'n');
			prm->pflags = PARAM_FLAG_CONST;
			prm->ptype = def->argtypes[i];
		}

		dest = palloc0(sizeof(CheckedDest));
		dest->inner = CreateDestReceiver(DestTuplestore);
		SetTuplestoreDestReceiverParams(dest->inner, rsinfo->setResult,
										rsinfo->econtext->ecxt_per_query_memory,
										false, NULL, NULL);
		dest->pub.receiveSlot = checked_receive;
		dest->pub.rStartup = checked_startup;
		dest->pub.rShutdown = checked_shutdown;
		dest->pub.rDestroy = checked_destroy;
		dest->pub.mydest = dest->inner->mydest;
		dest->queue = queue;
		dest->stmt = stmt;
		dest->declared = rsinfo->setDesc;

		memset(&options, 0, sizeof(options));
		options.params = params;
		options.read_only = false;
		options.dest = (DestReceiver *) dest;
		rc = SPI_execute_plan_extended(plan, &options);
		dest->pub.rDestroy((DestReceiver *) dest);
	}

	if (nest >= 0)
		AtEOXact_GUC(true, nest);
	if (rc != def->expected_rc)
		elog(ERROR, "pgq: %s on queue \"%s\" failed: %s",
			 def->what, queue->name, SPI_result_code_string(rc));
}

/*
 * Run one SQL command that is not one of a queue's statements (DDL,
 * pgq.meta) between pgq_begin and pgq_end; what and name say what it was
 * for in the internal error a wrong result code gives.
 */
void
pgq_run_sql(const char *sql, int expected_rc, const char *what, const char *name)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc != expected_rc)
		elog(ERROR, "pgq: %s of queue \"%s\" failed: %s",
			 what, name, SPI_result_code_string(rc));
}
