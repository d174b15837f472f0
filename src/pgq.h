/*-------------------------------------------------------------------------
 *
 * pgq.h
 *		Declarations shared by the pgq source files.
 *
 * A queue named <name> is two tables in schema pgq: q_<name> holds the
 * live messages and a_<name> the archived ones; pgq.meta lists the queues
 * and the role that owns each.  The tables belong to the owner of schema
 * pgq (the extension's owner), never to the roles that use them: every
 * SQL-callable function checks the caller's rights on the queue itself
 * (queue.c), then runs its statements over SPI as that owner (execute.c),
 * inside the caller's transaction, using statements prepared once per
 * backend and per queue (statements.c, plancache.c).
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
#include "utils/acl.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

/* longest queue name: keeps "q_<name>_msg_id_seq" and friends within NAMEDATALEN */
#define PGQ_MAX_NAME_LEN	47

#define PGQ_SCHEMA			"pgq"

/* the privileges on q_<name> that stand for each right on a queue */
#define PGQ_RIGHT_PRODUCE	(ACL_INSERT)
#define PGQ_RIGHT_CONSUME	(ACL_SELECT | ACL_UPDATE | ACL_DELETE)
#define PGQ_RIGHT_ADMIN		(PGQ_RIGHT_PRODUCE | PGQ_RIGHT_CONSUME | ACL_TRUNCATE)

/* the statements prepared for each queue */
typedef enum PgqStmt
{
	PGQ_STMT_SEND,
	PGQ_STMT_SEND_BATCH,
	PGQ_STMT_READ,
	PGQ_STMT_READ_PGMQ,			/* the same, returning pgmq.message_record */
	PGQ_STMT_POP,
	PGQ_STMT_POP_PGMQ,
	PGQ_STMT_SET_VT,
	PGQ_STMT_SET_VT_PGMQ,
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
	PGQ_STMT_NEXT_VT,
	PGQ_STMT_LOW_PROBE,
	/* delivery policies (policy.c) */
	PGQ_STMT_SEND_EXT,
	PGQ_STMT_SEND_BATCH_EXT,
	PGQ_STMT_SEND_MOVED,
	PGQ_STMT_READ_PRI,
	PGQ_STMT_READ_PRI_PGMQ,
	PGQ_STMT_POP_PRI,
	PGQ_STMT_POP_PRI_PGMQ,
	PGQ_STMT_CANDIDATES,
	PGQ_STMT_CANDIDATES_PRI,
	PGQ_STMT_DELIVER,
	PGQ_STMT_DELIVER_PGMQ,
	PGQ_STMT_DEAD_TAKE,
	PGQ_STMT_DEAD_ARCHIVE,
	PGQ_STMT_REDRIVE_TAKE,
	PGQ_STMT_READ_CT,
	PGQ_STMT_DEDUP_CLAIM,
	PGQ_STMT_DEDUP_FIND,
	PGQ_STMT_DEDUP_EXPIRE,
	PGQ_STMT_DEPTH_BOUND,
	PGQ_STMT_DEPTH_COUNT,
	PGQ_STMT_LOW_PROBE_PRI,
	PGQ_STMT_PRIORITY_HEADS,
	PGQ_NUM_STMTS
} PgqStmt;

/* one statement of the catalogue in statements.c */
#define PGQ_STMT_MAX_ARGS	7
#define PGQ_STMT_MAX_COLS	7

typedef struct PgqStmtDef
{
	const char *what;			/* the operation, for messages */
	/*
	 * {q}: q_<name>, {a}: a_<name>, {seq}: the sequence; {qw}, {aw}: the
	 * child of each that rows are written to (ring.c); {d}: d_<name>, the
	 * deduplication keys (policy.c)
	 */
	const char *sql;
	int			nargs;
	Oid			argtypes[PGQ_STMT_MAX_ARGS];
	int			ncols;			/* the row it returns */
	Oid			coltypes[PGQ_STMT_MAX_COLS];
	int			expected_rc;	/* SPI_OK_* of a successful run */
	bool		use_indexes;	/* planned without sequential or bitmap scans */
} PgqStmtDef;

/*
 * A queue's delivery policy (policy.c), as pgq.meta has it; zeros: none.
 */
#define PGQ_PRIORITY_MAX	9		/* priorities are 0 (the default) to 9 (first) */
#define PGQ_DEAD_LETTER_KEY	"pgq_dead_letter"	/* the headers' key of dead letters */
typedef enum PgqBackoff
{
	PGQ_BACKOFF_NONE,
	PGQ_BACKOFF_FIXED,
	PGQ_BACKOFF_EXPONENTIAL
} PgqBackoff;

typedef struct PgqPolicy
{
	int32		max_deliveries; /* a read hands a message out this many times at most */
	char		dead_letter_queue[PGQ_MAX_NAME_LEN + 1];	/* "": the archive */
	PgqBackoff	backoff;
	int64		retry_delay_us;
	int64		retry_delay_max_us;
	bool		retry_jitter;
	bool		priorities;
	int64		dedup_window_us;
	int64		max_depth;
} PgqPolicy;

/*
 * A queue opened for one call: its validated name and the OID of q_<name>.
 * With transient set (metrics_all), plans this backend has not kept already
 * are prepared for the call only, in plans[], and freed by
 * pgq_release_transient_plans().
 */
typedef struct PgqQueue
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	Oid			relid;
	bool		transient;
	int			ring_slot;		/* the children written to, -1: the tables */
	int			archive_slot;	/* (set by pgq_get_plan for {qw} and {aw}) */
	int			read_slot;		/* the one child read ({q}), -1: all of them */
	SPIPlanPtr	plans[PGQ_NUM_STMTS];
} PgqQueue;

/*
 * Whose rules a call follows: pgq's own (schema pgq), or pgmq's (schema
 * pgmq, extension pgq_pgmq), which accept what pgmq accepts (a NULL
 * message, negative delays and visibility timeouts, qty 0) and return
 * pgmq's six-column message_record.
 */
typedef enum PgqDialect
{
	PGQ_DIALECT_PGQ,
	PGQ_DIALECT_PGMQ
} PgqDialect;

/* what grant.c gives a role on a queue */
typedef enum PgqAccess
{
	PGQ_ACCESS_PRODUCER,
	PGQ_ACCESS_CONSUMER,
	PGQ_ACCESS_ADMIN,
	PGQ_ACCESS_REVOKE
} PgqAccess;

/* what pgq_begin saved, for pgq_end */
typedef struct PgqExec
{
	Oid			owner;			/* the tables' owner, whom pgq_begin became */
	Oid			save_userid;
	int			save_sec_context;
} PgqExec;

/*
 * What differs between the PostgreSQL majors pgq builds against (compat.c
 * and below).
 */
#if PG_VERSION_NUM >= 170000
#define PGQ_MY_PROCNO		GetNumberFromPGProc(MyProc)
#else
#define PGQ_MY_PROCNO		(MyProc->pgprocno)
#endif
extern AclMode pgq_class_aclmask_missing(Oid relid, Oid roleid, AclMode mask, bool *is_missing);
extern bool pgq_proc_executable(Oid fn, Oid roleid);
extern bool pgq_class_owned(Oid relid, Oid roleid);
extern Oid	pgq_identity_sequence(Oid relid, AttrNumber attnum);

/* queue.c */
extern void pgq_check_queue_name(const char *name);
extern void pgq_fold_lower(char *s);
extern void pgq_get_queue_name(FunctionCallInfo fcinfo, int argno, char *name);
extern bool pgq_lookup_queue(const char *name, LOCKMODE lockmode, AclMode required,
							 PgqQueue *queue, bool missing_ok);
extern Oid	pgq_queue_table(const char *prefix, const char *name);
extern bool pgq_has_privileges(Oid relid, AclMode required);
extern bool pgq_is_monitor(void);
extern Oid	pgq_check_extension_updated(void);
extern Oid	pgq_meta_owner(const char *name, bool latest);
extern Oid	pgq_check_queue_owner(const char *name, const char *action, bool latest);
extern Oid	pgq_lock_owned_queue(const char *name, const char *action);
extern Oid	pgq_msg_id_sequence(Oid relid);
extern void pgq_check_queue_tables(const char *name, Oid relid);
extern void pgq_check_not_null(FunctionCallInfo fcinfo, int argno, const char *argname);
extern TimestampTz pgq_seconds_from_now(TimestampTz now, int32 seconds, const char *argname,
										PgqDialect dialect);

/*
 * How a partitioned queue's tables are partitioned (partition.c): by
 * msg_id in ranges of interval ids, or by time (enqueued_at, archived_at
 * in the archive) in ranges of an interval; pg_partman drops the
 * partitions older than retention.
 */
typedef struct PgqPartitioning
{
	bool		by_id;
	const char *q_column;
	const char *a_column;
	const char *interval;
	const char *retention;
} PgqPartitioning;

/* lifecycle.c */
extern void pgq_create_queue_tables(const char *name, bool unlogged, Oid owner,
									const PgqPartitioning *part);
extern void pgq_create_archive_table(const char *name, const PgqPartitioning *part, int premake);
extern void pgq_lock_queue_name(const char *name);
extern void pgq_reset_privileges(Oid relid);
extern int	pgq_pin_ddl_settings(void);

/* partition.c */
extern void pgq_parse_partitioning(const char *interval, const char *retention,
								   PgqPartitioning *part);
extern void pgq_check_partitioned_name(const char *name);
extern void pgq_partition_table(const char *name, char prefix, const PgqPartitioning *part,
								int premake);
extern void pgq_forget_partitions(const char *name);

/* ring.c */
#define PGQ_RING_SIZE		3		/* children of each queue table */
#define PGQ_RING_MOVE_LIMIT	10000	/* rows moved out of a child to truncate it */
#define PGQ_RING_PARENT_BIT	(1 << PGQ_RING_SIZE)	/* ring_live: q_<name> itself has rows */
extern int	pgq_rotation_size_kb;
extern char *pgq_ring_child(char prefix, const char *name, int slot);
extern void pgq_create_ring(const char *name, bool unlogged);
extern void pgq_drop_ring(const char *name);

/* policy.c */
/* what pgq.stats() counts per queue, in shared memory */
typedef enum PgqCounter
{
	PGQ_COUNT_DEAD_LETTERED,
	PGQ_COUNT_REDELIVERED,
	PGQ_COUNT_ROLLED_BACK,
	PGQ_COUNT_NACKED,
	PGQ_COUNT_DEDUPLICATED,
	PGQ_COUNT_REFUSED_FULL,
	PGQ_NUM_COUNTERS
} PgqCounter;
extern Size pgq_policy_shmem_size(void);
extern void pgq_policy_shmem_init(void);
extern void pgq_count(Oid relid, PgqCounter counter, uint64 n);
extern void pgq_forget_counts(Oid relid);
extern void pgq_drop_dedup_table(const char *name);
extern bool pgq_policy_reads(const PgqPolicy *policy);
extern uint64 pgq_policy_read(FunctionCallInfo fcinfo, PgqQueue *queue, PgqDialect dialect,
							  Datum *values, const char *nulls, int32 qty);
extern void pgq_check_depth(PgqQueue *queue, int64 adding);
extern void pgq_apply_policy(const char *name, Jsonb *policy);
extern void pgq_drop_policy_objects(const char *name);

/* worker.c */
extern void pgq_worker_init(void);

/* schema.c */
extern void pgq_check_schema(bool old_queues);

/* statements.c */
extern const PgqStmtDef pgq_stmts[PGQ_NUM_STMTS];
extern char *pgq_stmt_sql(const PgqQueue *queue, PgqStmt stmt);

/* plancache.c */
extern SPIPlanPtr pgq_get_plan(PgqQueue *queue, PgqStmt stmt);
extern void pgq_release_transient_plans(PgqQueue *queue);
extern void pgq_forget_queue(const char *name);
extern Oid	pgq_known_queue(const char *name, Oid role, AclMode required);
extern void pgq_remember_queue(const char *name, Oid relid, Oid role, AclMode granted);
extern bool pgq_queue_notify_setting(PgqQueue *queue, int32 *throttle_ms);
extern TimestampTz pgq_queue_low(PgqQueue *queue, bool *probe);
extern const PgqPolicy *pgq_queue_policy(PgqQueue *queue);
extern void pgq_queue_set_low(PgqQueue *queue, TimestampTz low);
extern void pgq_queue_priority_lows(PgqQueue *queue, TimestampTz *lows);
extern void pgq_queue_set_priority_lows(PgqQueue *queue, const TimestampTz *lows);

/* wait.c */
extern int	pgq_max_waiters;
extern void pgq_wait_init(void);
extern bool pgq_wait_shared(void);
/* pgq_note_messages: when the messages a statement changed may be visible (wait.c) */
#define PGQ_NOTE_AT_COMMIT	0x01	/* at commit: at vt (visible now if vt <= now) */
#define PGQ_NOTE_AT_ABORT	0x02	/* at rollback: visible again, as they were */
extern void pgq_note_messages(Oid relid, uint64 n, int when, TimestampTz vt,
							  TimestampTz now);
extern void pgq_note_notified(Oid relid);
extern bool pgq_pending_notified(Oid relid);
extern int	pgq_wait_register(const char *name, Oid relid, int32 qty);
/* why a waiter should read now (pgq_wait_check) */
typedef enum PgqWake
{
	PGQ_WAKE_NONE,				/* not at all: sleep again */
	PGQ_WAKE_WOKEN,				/* a transaction woke it */
	PGQ_WAKE_DUE,				/* the leader's due time came */
	PGQ_WAKE_YIELD				/* maintenance waits for the queue: read and return */
} PgqWake;
extern PgqWake pgq_wait_check(int slotno, const char *name, TimestampTz now, TimestampTz *due);
extern bool pgq_wait_is_leader(int slotno);
extern TimestampTz pgq_wait_after_read(int slotno, bool empty_wakeup, TimestampTz next_vt);
extern void pgq_wait_release(int slotno, bool found_all, bool unused_wakeup);
extern void pgq_wait_dropping(Oid relid);
extern int	pgq_wait_yield(Oid relid);
extern void pgq_wait_dropped(void);

/* lowwater.c */
#define PGQ_LOW_RESCAN_SECS	10		/* a read from the head at least this often */
#define PGQ_LOW_PROBE_EVERY	8		/* reads per move of the mark */
extern Size pgq_low_shmem_size(void);
extern void pgq_low_shmem_init(void);
extern bool pgq_low_active(void);
extern TimestampTz pgq_low_begin_write(Oid relid);
extern void pgq_low_note_past_write(Oid relid, TimestampTz vt);
extern void pgq_low_xact_end(bool committed, bool gave_back);
extern void pgq_low_gave_back(void);
extern bool pgq_low_marks_valid(void);
extern uint64 pgq_low_reset_count(void);
extern TimestampTz pgq_low_bound(Oid relid);

/* notify.c */
extern void pgq_notify_after_send(PgqQueue *queue);
extern void pgq_notify_committed(Oid relid);

/* execute.c */
extern Oid	pgq_schema_owner(void);
extern Oid	pgq_tables_owner(void);
extern void pgq_begin(PgqExec *exec);
extern void pgq_begin_as(PgqExec *exec, Oid owner);
extern void pgq_end(PgqExec *exec);
extern void pgq_become_owner(PgqExec *exec);
extern void pgq_become_caller(PgqExec *exec);
extern void pgq_spi_connect(void);
extern void pgq_spi_finish(void);
extern void pgq_run(PgqQueue *queue, PgqStmt stmt, Datum *values, const char *nulls,
					FunctionCallInfo srf);
extern void pgq_run_sql(const char *sql, int expected_rc, const char *what, const char *name);

/* grant.c */
extern int	pgq_relation_grants(Oid relid, Oid **grantees, AclMode **privs);
extern void pgq_change_access(const char *name, Oid role, PgqAccess access);

/* pgq.c */
extern int	pgq_metrics_exact_limit;

#endif							/* PGQ_H */
