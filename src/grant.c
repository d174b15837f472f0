/*-------------------------------------------------------------------------
 *
 * grant.c
 *		Per-queue access: grant_producer, grant_consumer, grant_admin and
 *		revoke_queue give a role, or take back, exactly the privileges on a
 *		queue's tables and sequence that its functions need, so nobody has
 *		to write GRANTs on pgq's internal tables by hand.
 *
 *	producer	send, send_batch
 *				INSERT and SELECT (msg_id) on q_<name>
 *	consumer	read, pop, set_vt, delete, archive, metrics
 *				SELECT, UPDATE, DELETE on q_<name>; INSERT and
 *				SELECT (msg_id) on a_<name>; SELECT on the msg_id sequence
 *	admin		all of the above, purge_queue (which takes TRUNCATE), and
 *				the archive
 *				ALL on both tables and the sequence
 *
 * Every pgq function runs with the caller's rights, so these grants are
 * the whole story.  Dropping a queue stays with its owner.  Only the owner
 * of the queue (or a superuser) may grant or revoke.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "pgq.h"

PG_FUNCTION_INFO_V1(pgq_grant_producer);
PG_FUNCTION_INFO_V1(pgq_grant_consumer);
PG_FUNCTION_INFO_V1(pgq_grant_admin);
PG_FUNCTION_INFO_V1(pgq_revoke_queue);

typedef enum QueueAccess
{
	ACCESS_PRODUCER,
	ACCESS_CONSUMER,
	ACCESS_ADMIN,
	ACCESS_REVOKE
} QueueAccess;

static void change_access(FunctionCallInfo fcinfo, QueueAccess access);

/*
 * Run the GRANT or REVOKE statements for one role on one queue.
 * Arguments: (queue_name text, role_name text).
 */
static void
change_access(FunctionCallInfo fcinfo, QueueAccess access)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	char	   *role;
	const char *grantee;
	PgqQueue	queue;
	const char *q;
	const char *a;
	const char *seq;
	StringInfoData sql;
	int			rc;

	pgq_get_queue_name(fcinfo, 0, name);
	pgq_check_not_null(fcinfo, 1, "role_name");
	role = text_to_cstring(PG_GETARG_TEXT_PP(1));

	/* a role that does not exist is 42704 here, before any statement runs */
	if (pg_strcasecmp(role, "public") == 0)
		grantee = "PUBLIC";
	else
	{
		(void) get_role_oid(role, false);
		grantee = quote_identifier(role);
	}

	pgq_lookup_queue(name, AccessShareLock, 0, &queue, false);
	if (!pg_class_ownercheck(queue.relid, GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of queue \"%s\" to grant or revoke access to it",
						name)));

	q = quote_identifier(psprintf("q_%s", name));
	a = quote_identifier(psprintf("a_%s", name));
	seq = quote_identifier(get_rel_name(pgq_msg_id_sequence(queue.relid)));

	initStringInfo(&sql);
	switch (access)
	{
		case ACCESS_PRODUCER:
			appendStringInfo(&sql,
							 "GRANT INSERT, SELECT (msg_id) ON pgq.%s TO %s;",
							 q, grantee);
			break;
		case ACCESS_CONSUMER:
			appendStringInfo(&sql,
							 "GRANT SELECT, UPDATE, DELETE ON pgq.%s TO %s;"
							 "GRANT INSERT, SELECT (msg_id) ON pgq.%s TO %s;"
							 "GRANT SELECT ON SEQUENCE pgq.%s TO %s;",
							 q, grantee, a, grantee, seq, grantee);
			break;
		case ACCESS_ADMIN:
			appendStringInfo(&sql,
							 "GRANT ALL ON pgq.%s, pgq.%s TO %s;"
							 "GRANT ALL ON SEQUENCE pgq.%s TO %s;",
							 q, a, grantee, seq, grantee);
			break;
		case ACCESS_REVOKE:
			appendStringInfo(&sql,
							 "REVOKE ALL ON pgq.%s, pgq.%s FROM %s;"
							 "REVOKE ALL ON SEQUENCE pgq.%s FROM %s;",
							 q, a, grantee, seq, grantee);
			break;
	}

	pgq_spi_connect();
	rc = SPI_execute(sql.data, false, 0);
	if (rc != SPI_OK_UTILITY)
		elog(ERROR, "pgq: changing access to queue \"%s\" failed: %s",
			 name, SPI_result_code_string(rc));
	pgq_spi_finish();
}

/* grant_producer(queue_name text, role_name text) returns void */
Datum
pgq_grant_producer(PG_FUNCTION_ARGS)
{
	change_access(fcinfo, ACCESS_PRODUCER);
	PG_RETURN_VOID();
}

/* grant_consumer(queue_name text, role_name text) returns void */
Datum
pgq_grant_consumer(PG_FUNCTION_ARGS)
{
	change_access(fcinfo, ACCESS_CONSUMER);
	PG_RETURN_VOID();
}

/* grant_admin(queue_name text, role_name text) returns void */
Datum
pgq_grant_admin(PG_FUNCTION_ARGS)
{
	change_access(fcinfo, ACCESS_ADMIN);
	PG_RETURN_VOID();
}

/* revoke_queue(queue_name text, role_name text) returns void */
Datum
pgq_revoke_queue(PG_FUNCTION_ARGS)
{
	change_access(fcinfo, ACCESS_REVOKE);
	PG_RETURN_VOID();
}
