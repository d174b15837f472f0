/*-------------------------------------------------------------------------
 *
 * queue.c
 *		Queue names, lookup and authorization: validating a name, finding a
 *		queue's table and its owner, checking the caller's rights, and
 *		checking that a queue's tables are what create_queue made.
 *
 * Authorization comes before any lock: a role without the right to do what
 * it asks gets 42501 without having waited for, or made anyone wait on, a
 * lock of pgq's.  A queue's rights are privileges on its table q_<name>
 * (see grant.c); its owner is the role recorded in pgq.meta, checked by
 * reading pgq.meta, which needs no lock.  Only then is the queue locked,
 * and what was checked is checked again under the lock.  Whether a queue
 * exists is decided by pgq.meta and by its table in the system catalog.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "pgq.h"

static void check_column(Relation rel, const char *name, const char *column, Oid type);
static void check_partitions(const char *name, Oid parent);

/*
 * Reject a name that is not 1 to PGQ_MAX_NAME_LEN bytes long, or that holds
 * a control character or one of the characters and sequences pgmq refuses
 * ($ ; ' --).  Anything else is allowed, as pgmq allows it: capitals
 * (folded by pgq_get_queue_name), hyphens, leading digits, spaces.  Every
 * name goes into SQL through quote_identifier() or as a parameter, so its
 * characters cannot change the SQL; the limit keeps "q_<name>_msg_id_seq"
 * and the other derived names within NAMEDATALEN.
 */
void
pgq_check_queue_name(const char *name)
{
	size_t		len = strlen(name);
	const char *bad = NULL;
	size_t		i;

	if (len < 1 || len > PGQ_MAX_NAME_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid queue name \"%s\"", name),
				 errdetail("Queue names are 1 to %d bytes long.", PGQ_MAX_NAME_LEN)));

	for (i = 0; bad == NULL && i < len; i++)
	{
		unsigned char c = (unsigned char) name[i];

		if (c < 0x20 || c == 0x7f)
			bad = "a control character";
		else if (c == '$')
			bad = "\"$\"";
		else if (c == ';')
			bad = "\";\"";
		else if (c == '\'')
			bad = "a quote (')";
		else if (c == '-' && name[i + 1] == '-')
			bad = "\"--\"";
	}
	if (bad != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid queue name \"%s\"", name),
				 errdetail("Queue names may not contain %s.", bad),
				 errhint("Queue names may hold any character but control characters, $, ;, ' and --.")));
}

/* fold the ASCII capitals of s to lower case, in place */
void
pgq_fold_lower(char *s)
{
	for (; *s != '\0'; s++)
	{
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
	}
}

/*
 * Fetch the queue name argument, rejecting NULL and bad names, and fold
 * ASCII capitals to lower case, as PostgreSQL folds unquoted identifiers
 * and as pgmq names its tables: "MyQueue" is queue "myqueue", whose tables
 * are pgq.q_myqueue and pgq.a_myqueue.  name must have room for
 * PGQ_MAX_NAME_LEN + 1 bytes.
 */
void
pgq_get_queue_name(FunctionCallInfo fcinfo, int argno, char *name)
{
	char	   *arg;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("queue name must not be null")));

	arg = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	pgq_check_queue_name(arg);
	pgq_fold_lower(arg);
	strlcpy(name, arg, PGQ_MAX_NAME_LEN + 1);
	pfree(arg);
}

void
pgq_check_not_null(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", argname)));
}

/*
 * now + seconds, for visibility timeouts and delays given in seconds.  pgq
 * refuses a negative number of seconds; pgmq takes it as a time in the
 * past (the message is visible at once).
 */
TimestampTz
pgq_seconds_from_now(TimestampTz now, int32 seconds, const char *argname, PgqDialect dialect)
{
	if (seconds < 0 && dialect == PGQ_DIALECT_PGQ)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", argname)));

	return now + (TimestampTz) seconds * USECS_PER_SEC;
}

/*
 * RangeVarGetRelidExtended callback: refuse, before any lock is taken, a
 * caller who lacks the privileges the operation needs on q_<name>.
 */
static void
check_queue_privileges(const RangeVar *relation, Oid relId,
					   Oid oldRelId pg_attribute_unused(),
					   void *arg)
{
	AclMode		required = *(AclMode *) arg;
	bool		is_missing = false;

	if (!OidIsValid(relId) || required == 0)
		return;

	/*
	 * The table may have been dropped since its name was looked up (we hold
	 * no lock yet); RangeVarGetRelidExtended then looks again.
	 */
	if (pgq_class_aclmask_missing(relId, GetUserId(), required, &is_missing) != required &&
		!is_missing)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for queue \"%s\"",
						relation->relname + 2),
				 errhint("The queue's owner can grant access with pgq.grant_producer(), pgq.grant_consumer() or pgq.grant_admin().")));
}

bool
pgq_has_privileges(Oid relid, AclMode required)
{
	return pg_class_aclmask(relid, GetUserId(), required, ACLMASK_ALL) == required;
}

/* may the caller read every queue's metrics (pgmq's convention)? */
bool
pgq_is_monitor(void)
{
	return has_privs_of_role(GetUserId(), ROLE_PG_MONITOR);
}

/*
 * Find queue "name", check that the caller has the privileges in required
 * on its table, and lock the table in lockmode for the rest of the
 * transaction, so that it cannot be dropped under the caller.  Returns
 * false if there is no such queue and missing_ok, else raises 42P01.
 */
bool
pgq_lookup_queue(const char *name, LOCKMODE lockmode, AclMode required,
				 PgqQueue *queue, bool missing_ok)
{
	char		relname[NAMEDATALEN];
	RangeVar   *rv;
	Oid			role = GetUserId();
	Oid			relid;

	memset(queue, 0, sizeof(PgqQueue));
	strlcpy(queue->name, name, sizeof(queue->name));

	/*
	 * Fast path: this backend found the table before, nothing has
	 * invalidated it since, and the role was found to have the privileges
	 * (plancache.c).  Lock it by OID; taking the lock reads the
	 * invalidations other sessions committed meanwhile, so ask again, and
	 * make sure the table is still there, before trusting the OID.
	 */
	relid = pgq_known_queue(name, role, required);
	if (OidIsValid(relid))
	{
		LockRelationOid(relid, lockmode);
		if (pgq_known_queue(name, role, required) == relid &&
			SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		{
			queue->relid = relid;
			return true;
		}
		UnlockRelationOid(relid, lockmode);
	}

	snprintf(relname, sizeof(relname), "q_%s", name);
	rv = makeRangeVar(PGQ_SCHEMA, relname, -1);
	queue->relid = RangeVarGetRelidExtended(rv, lockmode, RVR_MISSING_OK,
											check_queue_privileges, &required);
	if (OidIsValid(queue->relid))
		pgq_remember_queue(name, queue->relid, role, required);

	if (!OidIsValid(queue->relid))
	{
		/* a plan cache entry under this name is stale now */
		pgq_forget_queue(name);
		if (missing_ok)
			return false;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("queue \"%s\" does not exist", name)));
	}
	return true;
}

/* OID of pgq.<prefix><name> as the catalog shows it now (no lock), or InvalidOid */
Oid
pgq_queue_table(const char *prefix, const char *name)
{
	char		relname[NAMEDATALEN];

	snprintf(relname, sizeof(relname), "%s%s", prefix, name);
	return get_relname_relid(relname, get_namespace_oid(PGQ_SCHEMA, false));
}

/*
 * The owner of queue name as pgq.meta records it, or InvalidOid if there
 * is no such queue: as the statement's snapshot sees it, or with latest,
 * as committed now (under REPEATABLE READ the row may have been written by
 * the transaction a lock waited for).
 */
Oid
pgq_meta_owner(const char *name, bool latest)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	SPIPlanPtr	plan;
	PgqExec		exec;
	Oid			owner = InvalidOid;
	bool		isnull;
	int			rc;

	pgq_begin(&exec);
	plan = SPI_prepare("SELECT owner FROM pgq.meta WHERE queue_name OPERATOR(pg_catalog.=) $1",
					   1, argtypes);
	if (plan == NULL)
		elog(ERROR, "pgq: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	values[0] = CStringGetTextDatum(name);
	rc = SPI_execute_snapshot(plan, values, NULL,
							  latest ? GetLatestSnapshot() : InvalidSnapshot,
							  InvalidSnapshot, true, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pgq: reading pgq.meta failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		/* a queue made before owners were recorded belongs to the tables' owner */
		owner = isnull ? pgq_tables_owner() : DatumGetObjectId(d);
	}
	pgq_end(&exec);
	return owner;
}

/*
 * Refuse to run on the objects of a version of pgq older than this library
 * (0.6.0): after the library is installed and before ALTER EXTENSION pgq
 * UPDATE, the queue tables may still belong to the roles that made them
 * (before 0.4.0), the result types have another column order (before
 * 0.5.0), and pgq.meta lacks the notification setting, the rotation ring and the
 * delivery policy (before 0.6.0).  pgq's own update scripts, which run the library on the objects
 * of the version they update, are let through.  Returns the OID of
 * pgq.meta.  (pgq_tables_owner calls this; its result is kept until
 * pgq.meta or schema pgq changes.)
 */
Oid
pgq_check_extension_updated(void)
{
	Oid			meta = get_relname_relid("meta", get_namespace_oid(PGQ_SCHEMA, false));

	if (creating_extension && CurrentExtensionObject == get_extension_oid("pgq", true))
		return meta;
	if (!OidIsValid(meta) || get_attnum(meta, "max_depth") == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension pgq must be updated before it is used"),
				 errdetail("The pgq library is newer than the extension's objects in this database."),
				 errhint("Run ALTER EXTENSION pgq UPDATE.")));
	return meta;
}

/*
 * Raise 42P01 if there is no queue name, 42501 unless the caller has the
 * privileges of its owner (superusers have).  action: "drop", "grant or
 * revoke access to", ...  With latest, as committed now (see pgq_meta_owner):
 * once the queue is locked, the owner of the table that is locked.
 * Returns the owner.
 */
Oid
pgq_check_queue_owner(const char *name, const char *action, bool latest)
{
	Oid			owner = pgq_meta_owner(name, latest);

	if (!OidIsValid(owner))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("queue \"%s\" does not exist", name)));
	if (!has_privs_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of queue \"%s\" to %s it", name, action)));
	return owner;
}

/*
 * The owner's act on queue name: the caller is checked to be its owner
 * before the queue's name is locked (a caller who may not is refused without
 * waiting), and again under the lock, as committed now (the queue may have
 * been dropped and made again by another role meanwhile).  Returns the owner.
 */
Oid
pgq_lock_owned_queue(const char *name, const char *action)
{
	(void) pgq_check_queue_owner(name, action, false);
	pgq_lock_queue_name(name);
	return pgq_check_queue_owner(name, action, true);
}

/* the identity sequence behind msg_id of queue table relid */
Oid
pgq_msg_id_sequence(Oid relid)
{
	AttrNumber	attnum = get_attnum(relid, "msg_id");
	Oid			seqid = InvalidOid;

	if (attnum != InvalidAttrNumber)
		seqid = pgq_identity_sequence(relid, attnum);
	if (!OidIsValid(seqid))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("queue table \"%s\" has been altered: msg_id is not an identity column",
						get_rel_name(relid)),
				 errhint("Drop and create the queue again, or restore its tables as pgq.create_queue made them.")));
	return seqid;
}

static void
check_column(Relation rel, const char *name, const char *column, Oid type)
{
	AttrNumber	attnum = get_attnum(RelationGetRelid(rel), column);

	if (attnum == InvalidAttrNumber ||
		TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid != type)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("queue \"%s\" has been altered: column %s of table %s is not of type %s",
						name, column, RelationGetRelationName(rel), format_type_be(type)),
				 errhint("Drop and create the queue again, or restore its tables as pgq.create_queue made them.")));
}

/*
 * Check that the queue's tables are what create_queue made, as far as
 * pgq's statements depend on it: ordinary tables owned by the owner of
 * schema pgq, with their columns of their types (a column of another type
 * could bring another type's casts and operators into pgq's statements).
 * q_<name> (relid) must be locked by the caller; a_<name> is looked at as
 * the catalog shows it now.
 */
void
pgq_check_queue_tables(const char *name, Oid relid)
{
	static const char *const columns[] = {
		"msg_id", "read_ct", "enqueued_at", "last_read_at", "vt", "message", "headers"
	};
	static const Oid types[] = {
		INT8OID, INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, JSONBOID, JSONBOID
	};
	char		aname[NAMEDATALEN];
	Oid			archive;
	Oid			relids[2];
	int			t;

	/*
	 * Found and locked together: convert_archive_partitioned may be
	 * replacing the archive, and the name then leads to the new table.
	 */
	snprintf(aname, sizeof(aname), "a_%s", name);
	archive = RangeVarGetRelidExtended(makeRangeVar(PGQ_SCHEMA, aname, -1), AccessShareLock,
									   RVR_MISSING_OK, NULL, NULL);
	relids[0] = relid;
	relids[1] = archive;

	if (!OidIsValid(archive))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("queue \"%s\" has no archive table", name),
				 errhint("Drop and create the queue again.")));

	for (t = 0; t < 2; t++)
	{
		Relation	rel = relation_open(relids[t], NoLock);
		size_t		i;

		if ((rel->rd_rel->relkind != RELKIND_RELATION &&
			 rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE) ||
			rel->rd_rel->relowner != pgq_tables_owner())
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("queue \"%s\" has been altered: %s is not a table owned by the owner of schema pgq",
							name, RelationGetRelationName(rel)),
					 errhint("Drop and create the queue again, or restore its tables as pgq.create_queue made them.")));
		for (i = 0; i < lengthof(columns); i++)
			check_column(rel, name, columns[i], types[i]);
		if (t == 0)
			check_column(rel, name, "priority", INT2OID);
		if (t == 1)
			check_column(rel, name, "archived_at", TIMESTAMPTZOID);
		if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
			check_partitions(name, RelationGetRelid(rel));
		relation_close(rel, NoLock);
	}
}

/*
 * The partitions of a partitioned queue's table (pg_partman's, made later
 * by its maintenance too) have no row-level security: they must belong to
 * the tables' owner and give no privilege to anyone else, or a role could
 * read and write the queue's rows around pgq.  (Any relcache invalidation
 * makes the plan cache run this check again, a GRANT on a partition
 * included.)
 */
static void
check_partitions(const char *name, Oid parent)
{
	List	   *children = find_all_inheritors(parent, NoLock, NULL);
	ListCell   *lc;

	foreach(lc, children)
	{
		Oid			child = lfirst_oid(lc);
		HeapTuple	tup;
		Oid			owner;
		char		persistence;
		Oid		   *grantees;
		AclMode    *privs;

		if (child == parent)
			continue;
		tup = SearchSysCache1(RELOID, ObjectIdGetDatum(child));
		if (!HeapTupleIsValid(tup))
			continue;			/* dropped meanwhile */
		owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
		persistence = ((Form_pg_class) GETSTRUCT(tup))->relpersistence;
		ReleaseSysCache(tup);
		if (persistence != get_rel_persistence(parent))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("queue \"%s\" has been altered: partition %s is not as durable as its table",
							name, get_rel_name(child)),
					 errhint("Drop and create the queue again, or restore its tables as pgq.create_partitioned made them.")));
		if (owner != pgq_tables_owner() || pgq_relation_grants(child, &grantees, &privs) > 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("queue \"%s\" has a partition other roles may reach around pgq: %s",
							name, get_rel_name(child)),
					 errdetail("A partition has no row-level security: it must belong to the owner of schema pgq and grant nothing to other roles."),
					 errhint("Revoke the privileges on it, or give it to the owner of schema pgq. Run pg_partman's maintenance as that role, with no default privileges in schema pgq.")));
	}
}
