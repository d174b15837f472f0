/*-------------------------------------------------------------------------
 *
 * grant.c
 *		Per-queue access: grant_producer, grant_consumer, grant_admin and
 *		revoke_queue give a role, or take back, the rights on one queue.
 *
 * A right on a queue is a set of privileges on its table q_<name>, which
 * pgq's functions check before they do anything (queue.c):
 *
 *	producer	send, send_batch
 *				INSERT on q_<name>
 *	consumer	read, pop, set_vt, delete, archive, metrics
 *				SELECT, UPDATE, DELETE on q_<name>; SELECT on a_<name>
 *	admin		all of the above and purge_queue
 *				the above and TRUNCATE on q_<name>; DELETE on a_<name>
 *
 * Being privileges, they follow PostgreSQL's rules: role membership
 * passes them on, PUBLIC is everyone, \dp shows them, DROP ROLE refuses
 * while a role holds one, DROP OWNED BY takes them back, pg_dump keeps them.
 * The tables belong to the owner of schema pgq and have row-level security
 * with read-only policies, so the privileges let a role read the tables
 * directly but never write them around pgq (see pgq_create_queue_tables).
 * TRIGGER, REFERENCES and the sequence are never granted.
 *
 * Only the queue's owner (recorded in pgq.meta) or a superuser may grant or
 * revoke; that is checked before the queue is locked.  The GRANT and
 * REVOKE statements run as the tables' owner.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "pgq.h"

PG_FUNCTION_INFO_V1(pgq_grant_producer);
PG_FUNCTION_INFO_V1(pgq_grant_consumer);
PG_FUNCTION_INFO_V1(pgq_grant_admin);
PG_FUNCTION_INFO_V1(pgq_revoke_queue);

static void change_access(FunctionCallInfo fcinfo, PgqAccess access);

/*
 * The roles other than its owner that hold privileges on relation relid,
 * each once (PUBLIC: ACL_ID_PUBLIC), with the privileges they hold from any
 * grantor; returns how many, the arrays allocated in the current memory
 * context.
 */
int
pgq_relation_grants(Oid relid, Oid **grantees, AclMode **privs)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;
	Datum		aclDatum;
	bool		isnull;
	int			n = 0;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "pgq: cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	aclDatum = SysCacheGetAttr(RELOID, tup, Anum_pg_class_relacl, &isnull);
	*grantees = palloc(sizeof(Oid));
	*privs = palloc(sizeof(AclMode));
	if (!isnull)
	{
		Acl		   *acl = DatumGetAclPCopy(aclDatum);
		AclItem    *items = ACL_DAT(acl);
		int			i;

		*grantees = repalloc(*grantees, sizeof(Oid) * Max(ACL_NUM(acl), 1));
		*privs = repalloc(*privs, sizeof(AclMode) * Max(ACL_NUM(acl), 1));
		for (i = 0; i < ACL_NUM(acl); i++)
		{
			int			j;

			if (items[i].ai_grantee == owner)
				continue;
			for (j = 0; j < n && (*grantees)[j] != items[i].ai_grantee; j++)
				;
			if (j == n)
			{
				(*grantees)[n] = items[i].ai_grantee;
				(*privs)[n++] = 0;
			}
			(*privs)[j] |= ACLITEM_GET_PRIVS(items[i]);
		}
	}
	ReleaseSysCache(tup);
	return n;
}

/*
 * Run the GRANT or REVOKE statements that give role (ACL_ID_PUBLIC: PUBLIC)
 * access on queue name.  Must be called between pgq_begin and pgq_end.
 */
void
pgq_change_access(const char *name, Oid role, PgqAccess access)
{
	const char *q = quote_identifier(psprintf("q_%s", name));
	const char *a = quote_identifier(psprintf("a_%s", name));
	const char *grantee;
	StringInfoData sql;

	if (role == ACL_ID_PUBLIC)
		grantee = "PUBLIC";
	else
		grantee = quote_identifier(GetUserNameFromId(role, false));

	initStringInfo(&sql);
	switch (access)
	{
		case PGQ_ACCESS_PRODUCER:
			appendStringInfo(&sql, "GRANT INSERT ON pgq.%s TO %s;", q, grantee);
			break;
		case PGQ_ACCESS_CONSUMER:
			appendStringInfo(&sql,
							 "GRANT SELECT, UPDATE, DELETE ON pgq.%s TO %s;"
							 "GRANT SELECT ON pgq.%s TO %s;",
							 q, grantee, a, grantee);
			break;
		case PGQ_ACCESS_ADMIN:
			appendStringInfo(&sql,
							 "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON pgq.%s TO %s;"
							 "GRANT SELECT, DELETE ON pgq.%s TO %s;",
							 q, grantee, a, grantee);
			break;
		case PGQ_ACCESS_REVOKE:
			appendStringInfo(&sql,
							 "REVOKE ALL ON pgq.%s, pgq.%s FROM %s;",
							 q, a, grantee);
			break;
	}
	pgq_run_sql(sql.data, SPI_OK_UTILITY, "changing access", name);
	pfree(sql.data);
}

/*
 * Arguments: (queue_name text, role_name text).  role_name is a role's
 * name exactly as stored; only the lower-case word public means PUBLIC
 * (a role cannot be called "public"; one called "PUBLIC" is that role).
 */
static void
change_access(FunctionCallInfo fcinfo, PgqAccess access)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	char	   *rolname;
	Oid			role;
	Oid			owner;
	PgqQueue	queue;
	PgqExec		exec;

	pgq_get_queue_name(fcinfo, 0, name);
	pgq_check_not_null(fcinfo, 1, "role_name");
	rolname = text_to_cstring(PG_GETARG_TEXT_PP(1));

	/* a role that does not exist is 42704 here, before any statement runs */
	if (strcmp(rolname, "public") == 0)
		role = ACL_ID_PUBLIC;
	else
		role = get_role_oid(rolname, false);

	/*
	 * The owner's right, checked before the queue is locked, and again
	 * once it is, as committed now: the queue may have been dropped and
	 * made again by another role meanwhile.
	 */
	(void) pgq_check_queue_owner(name, "grant or revoke access to", false);
	pgq_lookup_queue(name, AccessShareLock, 0, &queue, false);
	owner = pgq_check_queue_owner(name, "grant or revoke access to", true);

	/*
	 * The owner keeps its rights: they are what keeps DROP ROLE from
	 * dropping a role that owns queues.
	 */
	if (access == PGQ_ACCESS_REVOKE && role != ACL_ID_PUBLIC &&
		role == owner)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot revoke the rights of the owner of queue \"%s\"", name),
				 errhint("Drop the queue instead.")));

	pgq_begin(&exec);
	pgq_change_access(name, role, access);
	pgq_end(&exec);
}

/* grant_producer(queue_name text, role_name text) returns void */
Datum
pgq_grant_producer(PG_FUNCTION_ARGS)
{
	change_access(fcinfo, PGQ_ACCESS_PRODUCER);
	PG_RETURN_VOID();
}

/* grant_consumer(queue_name text, role_name text) returns void */
Datum
pgq_grant_consumer(PG_FUNCTION_ARGS)
{
	change_access(fcinfo, PGQ_ACCESS_CONSUMER);
	PG_RETURN_VOID();
}

/* grant_admin(queue_name text, role_name text) returns void */
Datum
pgq_grant_admin(PG_FUNCTION_ARGS)
{
	change_access(fcinfo, PGQ_ACCESS_ADMIN);
	PG_RETURN_VOID();
}

/* revoke_queue(queue_name text, role_name text) returns void */
Datum
pgq_revoke_queue(PG_FUNCTION_ARGS)
{
	change_access(fcinfo, PGQ_ACCESS_REVOKE);
	PG_RETURN_VOID();
}
