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
 * type create_queue gives it, so that no cast of the creator's runs), the
 * rights the old tables' privileges gave are granted anew, and the update
 * script drops the old tables with the scratch schema.
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
static void grant_old_rights(const char *name, Oid old_relid, Oid old_owner);

/* the columns copied, in the order of the tables */
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
grant_old_rights(const char *name, Oid old_relid, Oid old_owner)
{
	Oid			argtypes[2] = {OIDOID, OIDOID};
	Datum		values[2];
	uint64		i;
	uint64		n;
	Oid		   *grantees;
	AclMode    *privs;

	values[0] = ObjectIdGetDatum(old_relid);
	values[1] = ObjectIdGetDatum(old_owner);
	if (SPI_execute_with_args("SELECT a.grantee, a.privilege_type"
							  " FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a"
							  " WHERE c.oid OPERATOR(pg_catalog.=) $1"
							  " AND a.grantee OPERATOR(pg_catalog.<>) $2"
							  " ORDER BY a.grantee",
							  2, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "pgq: reading the privileges of queue \"%s\" failed", name);

	/* fold the rows into one privilege mask per grantee */
	n = SPI_processed;
	grantees = palloc0(sizeof(Oid) * Max(n, 1));
	privs = palloc0(sizeof(AclMode) * Max(n, 1));
	{
		uint64		ngrantees = 0;

		for (i = 0; i < n; i++)
		{
			bool		isnull;
			Oid			grantee = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
																 SPI_tuptable->tupdesc, 1, &isnull));
			char	   *priv = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);

			if (ngrantees == 0 || grantees[ngrantees - 1] != grantee)
				grantees[ngrantees++] = grantee;
			if (strcmp(priv, "INSERT") == 0)
				privs[ngrantees - 1] |= ACL_INSERT;
			else if (strcmp(priv, "SELECT") == 0)
				privs[ngrantees - 1] |= ACL_SELECT;
			else if (strcmp(priv, "UPDATE") == 0)
				privs[ngrantees - 1] |= ACL_UPDATE;
			else if (strcmp(priv, "DELETE") == 0)
				privs[ngrantees - 1] |= ACL_DELETE;
			else if (strcmp(priv, "TRUNCATE") == 0)
				privs[ngrantees - 1] |= ACL_TRUNCATE;
		}
		n = ngrantees;
	}

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
 * adopt_queue(queue_name text, scratch_schema text) returns void
 *
 * For the update script only (superuser): rebuild queue queue_name, whose
 * old tables are moved to scratch_schema; see the file header.  A
 * pgq.meta row whose table is gone is deleted.
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
	unlogged = get_rel_persistence(old_q) == RELPERSISTENCE_UNLOGGED;
	old_seq = getIdentitySequence(old_q, get_attnum(old_q, "msg_id"), true);

	/* out of the way: the indexes and the sequence go along */
	pgq_run_sql(psprintf("ALTER TABLE pgq.%s SET SCHEMA %s;"
						 "ALTER TABLE pgq.%s SET SCHEMA %s",
						 q, s, a, s),
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
	creating_extension = false;
	CurrentExtensionObject = InvalidOid;

	pgq_begin(&exec);
	pgq_create_queue_tables(name, unlogged, old_owner);
	pgq_run_sql(psprintf("INSERT INTO pgq.%1$s (msg_id, read_ct, enqueued_at, last_read_at,"
						 "  vt, message, headers) OVERRIDING SYSTEM VALUE"
						 " SELECT msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers"
						 " FROM %3$s.%1$s;"
						 "INSERT INTO pgq.%2$s (msg_id, read_ct, enqueued_at, last_read_at,"
						 "  vt, message, headers, archived_at)"
						 " SELECT msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers,"
						 "  archived_at FROM %3$s.%2$s",
						 q, a, s),
				SPI_OK_INSERT, "copying the messages", name);

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

	grant_old_rights(name, old_q, old_owner);

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

	PG_RETURN_VOID();
}
