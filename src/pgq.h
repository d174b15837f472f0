/*-------------------------------------------------------------------------
 *
 * pgq.h
 *		Declarations shared by the pgq source files.
 *
 * A queue named <name> is two tables in schema pgq: q_<name> holds the
 * live messages and a_<name> the archived ones; pgq.meta lists the queues.
 * Every SQL-callable function runs over SPI inside the caller's
 * transaction, using statements prepared once per backend and per queue
 * (see plancache.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGQ_H
#define PGQ_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "storage/lockdefs.h"
#include "utils/timestamp.h"

/* longest queue name: keeps "q_<name>_msg_id_seq" and friends within NAMEDATALEN */
#define PGQ_MAX_NAME_LEN	47

#define PGQ_SCHEMA			"pgq"

/* the statements prepared for each queue */
typedef enum PgqStmt
{
	PGQ_STMT_SEND,
	PGQ_STMT_SEND_BATCH,
	PGQ_STMT_READ,
	PGQ_STMT_POP,
	PGQ_STMT_SET_VT,
	PGQ_STMT_DELETE,
	PGQ_STMT_DELETE_BATCH,
	PGQ_STMT_ARCHIVE,
	PGQ_STMT_ARCHIVE_BATCH,
	PGQ_STMT_PURGE,
	PGQ_STMT_METRICS,
	PGQ_STMT_METRICS_ENDS,
	PGQ_STMT_METRICS_INVISIBLE,
	PGQ_STMT_METRICS_VISIBLE,
	PGQ_STMT_METRICS_SAMPLE,
	PGQ_NUM_STMTS
} PgqStmt;

/* a queue opened for one call: its validated name and the OID of q_<name> */
typedef struct PgqQueue
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	Oid			relid;
} PgqQueue;

/* queue.c */
extern void pgq_check_queue_name(const char *name);
extern void pgq_get_queue_name(FunctionCallInfo fcinfo, int argno, char *name);
extern bool pgq_lookup_queue(const char *name, LOCKMODE lockmode, AclMode required,
							 PgqQueue *queue, bool missing_ok);
extern bool pgq_has_privileges(Oid relid, AclMode required);
extern Oid	pgq_msg_id_sequence(Oid relid);
extern void pgq_check_not_null(FunctionCallInfo fcinfo, int argno, const char *argname);
extern TimestampTz pgq_seconds_from_now(TimestampTz now, int32 seconds, const char *argname);

/* plancache.c */
extern SPIPlanPtr pgq_get_plan(const PgqQueue *queue, PgqStmt stmt);
extern void pgq_forget_queue(const char *name);
extern Oid	pgq_known_queue(const char *name, Oid role, AclMode required);
extern void pgq_remember_queue(const char *name, Oid relid, Oid role, AclMode granted);

/* pgq.c */
extern int	pgq_metrics_exact_limit;

extern void pgq_spi_connect(void);
extern void pgq_spi_finish(void);
extern void pgq_return_spi_rows(FunctionCallInfo fcinfo);
extern int	pgq_execute_into_result(FunctionCallInfo fcinfo, SPIPlanPtr plan,
									Datum *values, const char *nulls);

#endif							/* PGQ_H */
