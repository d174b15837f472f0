/*-------------------------------------------------------------------------
 *
 * upgrade.c
 *		What an update script needs of the library: pgq_adopt_queue, with
 *		which sql/pgq--0.3.0--0.4.0.sql rebuilds each queue made before
 *		0.4.0 as create_queue now makes it.
 *
 * Before 0.4.0 the queue tables belonged to the roles that created them,
 * which could alter them, add triggers, rules, policies, indexes or
 * constraints running their own code, or tie them to the extension.  Taking
 * such a table over as it is would make all of that run as the tables' new
 * owner.  So the old tables are moved aside, fresh ones are made, the rows
 * are copied over by their columns (after checking each column is of the
 * type create_queue gives it, so that no cast of the creator's runs) by a
 * cursor that runs as the old tables' owner (see copy_rows), the rights
 * the old tables' privileges gave are granted anew, and the old tables
 * are dropped.
 *
 * The symbol stays in the library for as long as that update script is
 * shipped.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "pgq.h"

PG_FUNCTION_INFO_V1(pgq_adopt_queue);

static Oid	rel_owner(Oid relid);
static void check_old_table(const char *name, Oid relid, bool archive);
static void grant_old_rights(const char *name, Oid old_relid);

/* the columns copied (by name) */
static const char *const columns[] = {
	"msg_id", "read_ct", "enqueued_at", "last_read_at", "vt", "message", "headers",
	"archived_at"
};
static const Oid types[] = {
	INT8OID, INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, JSONBOID, JSONBOID,
	TIMESTAMPTZOID
};

static Oid
rel_owner(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "pgq: cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * An old queue table must be an ordinary table with every column pgq
 * copies, of its type; anything else stops the update (42804).
 */
static void
check_old_table(const char *name, Oid relid, bool archive)
{
	int			ncols = archive ? lengthof(columns) : lengthof(columns) - 1;
	int			i;

	if (get_rel_relkind(relid) != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot update queue \"%s\": pgq.%s is not an ordinary table",
						name, get_rel_name(relid)),
				 errhint("Drop the queue, or restore its tables, then run ALTER EXTENSION pgq UPDATE again.")));

	for (i = 0; i < ncols; i++)
	{
		AttrNumber	attnum = get_attnum(relid, columns[i]);

		if (attnum == InvalidAttrNumber || get_atttype(relid, attnum) != types[i])
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("cannot update queue \"%s\": column %s of pgq.%s is not of type %s",
							name, columns[i], get_rel_name(relid), format_type_be(types[i])),
					 errhint("The table was changed by hand. Drop the queue, or restore its tables, then run ALTER EXTENSION pgq UPDATE again.")));
	}
}

/*
 * Grant on queue name the rights that the privileges of the old table
 * old_relid gave: TRUNCATE was an admin's, SELECT + UPDATE + DELETE a
 * consumer's, INSERT a producer's.  The old owner's own privileges are not
 * looked at: the owner has every right.
 */
static void
grant_old_rights(const char *name, Oid old_relid)
{
	Oid		   *grantees;
	AclMode    *privs;
	int			n = pgq_relation_grants(old_relid, &grantees, &privs);
	int			i;

	for (i = 0; i < n; i++)
	{
		/* a role dropped since cannot hold a privilege; skip what is not there */
		if (grantees[i] != ACL_ID_PUBLIC &&
			!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(grantees[i])))
			continue;
		if (privs[i] & ACL_TRUNCATE)
			pgq_change_access(name, grantees[i], PGQ_ACCESS_ADMIN);
		else
		{
			if ((privs[i] & PGQ_RIGHT_CONSUME) == PGQ_RIGHT_CONSUME)
				pgq_change_access(name, grantees[i], PGQ_ACCESS_CONSUMER);
			if (privs[i] & ACL_INSERT)
				pgq_change_access(name, grantees[i], PGQ_ACCESS_PRODUCER);
		}
	}
}

/*
 * Copy the rows of old table "scratch"."table" into new table pgq."table".
 *
 * The old table still belongs to old_owner, who could have given it index
 * expressions, statistics or policies that the planner evaluates: so the
 * rows are read by a cursor opened and fetched as old_owner, in a
 * security-restricted operation, and inserted as the tables' owner, in
 * batches, switching between the two.  Only the table itself is read
 * (ONLY: not the children someone may have made it inherit).  Must be
 * called between pgq_begin and pgq_end.
 */
static void
copy_rows(PgqExec *exec, Oid old_owner, const char *scratch, const char *table,
		  bool archive)
{
	int			ncols = archive ? lengthof(columns) : lengthof(columns) - 1;
	StringInfoData select;
	StringInfoData insert;
	SPIPlanPtr	plan;
	Portal		portal;
	int			i;

	initStringInfo(&select);
	initStringInfo(&insert);
	appendStringInfo(&insert, "INSERT INTO pgq.%s (", table);
	for (i = 0; i < ncols; i++)
	{
		appendStringInfo(&select, "%s%s", i > 0 ? ", " : "SELECT ", columns[i]);
		appendStringInfo(&insert, "%s%s", i > 0 ? ", " : "", columns[i]);
	}
	appendStringInfo(&select, " FROM ONLY %s.%s", scratch, table);
	appendStringInfoString(&insert, archive ? ") VALUES (" : ") OVERRIDING SYSTEM VALUE VALUES (");
	for (i = 0; i < ncols; i++)
		appendStringInfo(&insert, "%s$%d", i > 0 ? ", " : "", i + 1);
	appendStringInfoChar(&insert, ')');

	plan = SPI_prepare(insert.data, ncols, (Oid *) types);
	if (plan == NULL)
		elog(ERROR, "pgq: preparing the copy into pgq.%s failed: %s",
			 table, SPI_result_code_string(SPI_result));

	SetUserIdAndSecContext(old_owner, exec->save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	portal = SPI_cursor_open_with_args(NULL, select.data, 0, NULL, NULL, NULL, true, 0);
	for (;;)
	{
		SPITupleTable *batch;
		uint64		n;
		uint64		r;

		SetUserIdAndSecContext(old_owner, exec->save_sec_context |
							   SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
		SPI_cursor_fetch(portal, true, 1000);
		batch = SPI_tuptable;
		n = SPI_processed;
		pgq_become_owner(exec);
		if (n == 0)
			break;

		for (r = 0; r < n; r++)
		{
			Datum		values[lengthof(columns)];
			char		nulls[lengthof(columns)];

			for (i = 0; i < ncols; i++)
			{
				bool		isnull;

				values[i] = SPI_getbinval(batch->vals[r], batch->tupdesc, i + 1, &isnull);
				nulls[i] = isnull ? 'n' : ' ';
			}
			if (SPI_execute_plan(plan, values, nulls, false, 0) != SPI_OK_INSERT)
				elog(ERROR, "pgq: copying a row into pgq.%s failed", table);
		}
		SPI_freetuptable(batch);
	}
	SetUserIdAndSecContext(old_owner, exec->save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	SPI_cursor_close(portal);
	pgq_become_owner(exec);
	SPI_freeplan(plan);
}

/*
 * adopt_queue(queue_name text, scratch_schema text) returns void
 *
 * For the update script only (superuser): rebuild queue queue_name, whose
 * old tables are moved to scratch_schema, copied, and dropped (RESTRICT:
 * objects of other roles built on them stop the update, listed, rather
 * than go silently); see the file header.  A pgq.meta row whose table is
 * gone is deleted.
 */
Datum
pgq_adopt_queue(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *scratch = text_to_cstring(PG_GETARG_TEXT_PP(1));
	const char *q = quote_identifier(psprintf("q_%s", name));
	const char *a = quote_identifier(psprintf("a_%s", name));
	const char *s = quote_identifier(scratch);
	Oid			old_q;
	Oid			old_a;
	Oid			old_owner;
	Oid			old_seq;
	bool		unlogged;
	Oid			argtypes[2] = {TEXTOID, REGROLEOID};
	Datum		values[2];
	PgqExec		exec;
	bool		saved_creating;
	Oid			saved_extension;
	Oid			tables_owner;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser may adopt a queue")));

	old_q = pgq_queue_table("q_", name);
	old_a = pgq_queue_table("a_", name);

	pgq_spi_connect();
	if (!OidIsValid(old_q) || !OidIsValid(old_a))
	{
		ereport(WARNING,
				(errmsg("queue \"%s\" has no tables: its pgq.meta row is removed", name)));
		values[0] = CStringGetTextDatum(name);
		if (SPI_execute_with_args("DELETE FROM pgq.meta WHERE queue_name OPERATOR(pg_catalog.=) $1",
								  1, argtypes, values, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "pgq: removing queue \"%s\" from pgq.meta failed", name);
		pgq_spi_finish();
		PG_RETURN_VOID();
	}

	check_old_table(name, old_q, false);
	check_old_table(name, old_a, true);
	old_owner = rel_owner(old_q);
	if (rel_owner(old_a) != old_owner)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot update queue \"%s\": pgq.a_%s and pgq.q_%s have different owners",
						name, name, name),
				 errhint("Give both tables the same owner, or drop the queue, then run ALTER EXTENSION pgq UPDATE again.")));
	unlogged = get_rel_persistence(old_q) == RELPERSISTENCE_UNLOGGED;
	old_seq = pgq_identity_sequence(old_q, get_attnum(old_q, "msg_id"));

	/*
	 * Out of the way: the indexes and the sequence go along.  The old owner
	 * may look into the scratch schema (not create in it), to be read as.
	 */
	pgq_run_sql(psprintf("ALTER TABLE pgq.%s SET SCHEMA %s;"
						 "ALTER TABLE pgq.%s SET SCHEMA %s;"
						 "GRANT USAGE ON SCHEMA %s TO %s",
						 q, s, a, s, s,
						 quote_identifier(GetUserNameFromId(old_owner, false))),
				SPI_OK_UTILITY, "moving the old tables", name);
	pgq_spi_finish();

	/*
	 * Queue tables are not members of the extension (they are user data,
	 * which pg_dump must dump and DROP EXTENSION must not drop), but
	 * whatever an extension script creates becomes one: make them as
	 * create_queue would, outside the script.  An error ends the update,
	 * which resets these.
	 */
	saved_creating = creating_extension;
	saved_extension = CurrentExtensionObject;
	tables_owner = pgq_tables_owner();	/* as the script's: not checked yet */
	creating_extension = false;
	CurrentExtensionObject = InvalidOid;

	pgq_begin_as(&exec, tables_owner);
	pgq_create_queue_tables(name, unlogged, old_owner, NULL);
	copy_rows(&exec, old_owner, s, q, false);
	copy_rows(&exec, old_owner, s, a, true);

	/* ids go on above every id the queue handed out */
	argtypes[1] = OIDOID;
	values[0] = CStringGetTextDatum(psprintf("pgq.%s", q));
	values[1] = ObjectIdGetDatum(old_seq);
	if (SPI_execute_with_args(psprintf("SELECT pg_catalog.setval("
									   "  pg_catalog.pg_get_serial_sequence($1, 'msg_id'), m, true)"
									   " FROM (SELECT GREATEST("
									   "  (SELECT pg_catalog.max(msg_id) FROM pgq.%s),"
									   "  (SELECT pg_catalog.max(msg_id) FROM pgq.%s),"
									   "  pg_catalog.pg_sequence_last_value($2::pg_catalog.regclass)) m) l"
									   " WHERE m IS NOT NULL", q, a),
							  2, argtypes, values, OidIsValid(old_seq) ? NULL : " n",
							  false, 0) != SPI_OK_SELECT)
		elog(ERROR, "pgq: setting the msg_id sequence of queue \"%s\" failed", name);

	grant_old_rights(name, old_q);

	argtypes[1] = REGROLEOID;
	values[0] = CStringGetTextDatum(name);
	values[1] = ObjectIdGetDatum(old_owner);
	if (SPI_execute_with_args("UPDATE pgq.meta SET owner = $2"
							  " WHERE queue_name OPERATOR(pg_catalog.=) $1",
							  2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "pgq: recording the owner of queue \"%s\" failed", name);
	pgq_end(&exec);

	creating_extension = saved_creating;
	CurrentExtensionObject = saved_extension;

	/* the old tables go; what others built on them stops the update */
	pgq_spi_connect();
	pgq_run_sql(psprintf("DROP TABLE %s.%s, %s.%s RESTRICT", s, q, s, a),
				SPI_OK_UTILITY, "dropping the old tables", name);
	pgq_spi_finish();

	PG_RETURN_VOID();
}
