/*-------------------------------------------------------------------------
 *
 * ring.c
 *		Rotation: a queue's rows live in a ring of child tables, and a child
 *		that holds no message any more is emptied with TRUNCATE, which frees
 *		its space at once, whatever snapshots other sessions hold.
 *
 * q_<name> and a_<name> keep their definitions (and are what privileges and
 * row-level security are set on); each has PGQ_RING_SIZE children that
 * inherit from it, q_<name>$0, $1, $2 (a "$" cannot be in a queue name, so
 * no queue's table can take a child's name).  pgq.meta.ring_slot says which
 * child sends write to, archive_slot which child archive writes to, and
 * ring_live which children (and whether q_<name> itself, after an update
 * from a release before the ring) may hold messages.  While that is the
 * child written to alone, every statement reads and deletes in that child
 * only (ONLY pgq."q_<name>$k", statements.c); else through q_<name>, which
 * finds the rows in whichever child holds them.  msg_ids still come from
 * q_<name>'s identity sequence, the children's default.
 *
 * maintain_queue (run by pgq.maintain(), which a scheduler calls) does the
 * rest, each step only with its locks in hand:
 *
 * - A child other than the one written to (or rows left in the parent by
 *   an older layout) holding PGQ_RING_MOVE_LIMIT live rows or fewer is
 *   cleared: under an ACCESS EXCLUSIVE lock (waited for lock_timeout_ms at
 *   most, else left for the next run) its live rows are copied as they are
 *   into the current child, and it is truncated.  Under that lock no other
 *   transaction holds one of its rows, nor can it be in the middle of a
 *   statement on the queue: a statement waiting for the lock takes its
 *   snapshot once it has it, after the move is committed, and finds the
 *   rows where they went.  Only a REPEATABLE READ or SERIALIZABLE
 *   transaction whose snapshot is older than the move misses them (as any
 *   TRUNCATE shows such a snapshot an empty table).
 * - The current child is rotated when its table and indexes have reached
 *   pgq.rotation_size and the next child is empty: ring_slot moves on and
 *   the next child joins ring_live, under an ACCESS EXCLUSIVE lock of
 *   q_<name>.  So no transaction that read the queue's settings before (and
 *   may read one child only, or send to the old one) still runs when it
 *   commits, and every later transaction reads its invalidation when it
 *   takes its own lock of q_<name>, before it chooses a plan (plancache.c).
 *   A clear only takes a table out of ring_live: a stale plan that reads
 *   through q_<name> reads more than it needs, never less.
 * - At most one step of a run takes an ACCESS EXCLUSIVE lock (kept until
 *   the transaction ends, with every statement on the queue waiting behind
 *   it); each waits lock_timeout_ms at most.
 * - The archive, when the queue has a retention, rotates every half
 *   retention: the next child, whose newest row is then at least the
 *   retention old, is truncated and becomes the one written to.  Archived
 *   rows are kept from one to one and a half retentions.
 *
 * Partitioned queues (pg_partman's) have no ring: ring_slot is NULL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pgq.h"

PG_FUNCTION_INFO_V1(pgq_maintain_queue);
PG_FUNCTION_INFO_V1(pgq_set_retention);
PG_FUNCTION_INFO_V1(pgq_make_ring);

/* pgq.rotation_size, in kB */
int			pgq_rotation_size_kb = 65536;

/* the columns of a queue table, as copied from one child to another */
#define RING_Q_COLUMNS "msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers, priority"

/* what one run of maintain_queue did */
typedef struct RingResult
{
	bool		rotated;
	int64		moved;
	int32		truncated;
	bool		archive_rotated;
} RingResult;

/* the name of child slot of queue name's table prefix ('q' or 'a') */
char *
pgq_ring_child(char prefix, const char *name, int slot)
{
	return psprintf("%c_%s$%d", prefix, name, slot);
}

/* OID of child slot of the queue's table prefix, InvalidOid if none */
static Oid
child_oid(char prefix, const char *name, int slot)
{
	return get_relname_relid(pgq_ring_child(prefix, name, slot),
							 get_namespace_oid(PGQ_SCHEMA, false));
}

/*
 * Does queue name's archive take part in the ring?  Not once
 * convert_archive_partitioned has handed it to pg_partman.
 */
static bool
archive_in_ring(const char *name)
{
	return get_rel_relkind(pgq_queue_table("a_", name)) == RELKIND_RELATION;
}

/*
 * Make the children of queue name's tables, as the tables' owner (between
 * pgq_begin and pgq_end), unlogged if the queue is.  Each has the primary
 * key and index of its parent, row-level security with no policy (the
 * parent's apply to rows read through it), no privileges, and msg_ids from
 * the parent's identity sequence.
 */
void
pgq_create_ring(const char *name, bool unlogged)
{
	Oid			seqid = pgq_msg_id_sequence(pgq_queue_table("q_", name));
	const char *seq = quote_literal_cstr(quote_qualified_identifier(PGQ_SCHEMA,
																	get_rel_name(seqid)));
	int			ntables = archive_in_ring(name) ? 2 : 1;
	int			nestlevel = pgq_pin_ddl_settings();
	int			slot;

	for (slot = 0; slot < PGQ_RING_SIZE; slot++)
	{
		int			t;

		for (t = 0; t < ntables; t++)
		{
			char		prefix = t == 0 ? 'q' : 'a';
			char	   *child = pgq_ring_child(prefix, name, slot);
			const char *qchild = quote_identifier(child);
			StringInfoData ddl;

			initStringInfo(&ddl);
			appendStringInfo(&ddl,
							 "CREATE %sTABLE pgq.%s (CONSTRAINT %s PRIMARY KEY (msg_id))"
							 " INHERITS (pgq.%s);",
							 unlogged && prefix == 'q' ? "UNLOGGED " : "", qchild,
							 quote_identifier(psprintf("%s_pk", child)),
							 quote_identifier(psprintf("%c_%s", prefix, name)));
			if (prefix == 'q')
				appendStringInfo(&ddl,
								 "ALTER TABLE pgq.%s ALTER msg_id SET DEFAULT"
								 " pg_catalog.nextval(%s::pg_catalog.regclass);"
								 "CREATE INDEX %s ON pgq.%s (vt, msg_id);",
								 qchild, seq,
								 quote_identifier(psprintf("%s_vt", child)), qchild);
			else
				appendStringInfo(&ddl,
								 "CREATE INDEX %s ON pgq.%s (archived_at);",
								 quote_identifier(psprintf("%s_at", child)), qchild);
			appendStringInfo(&ddl, "ALTER TABLE pgq.%s ENABLE ROW LEVEL SECURITY;", qchild);
			pgq_run_sql(ddl.data, SPI_OK_UTILITY, "creating the ring", name);
			pgq_reset_privileges(child_oid(prefix, name, slot));
		}
	}
	AtEOXact_GUC(false, nestlevel);
}

/* drop the children of queue name's tables, as the tables' owner */
void
pgq_drop_ring(const char *name)
{
	int			slot;
	int			t;

	for (slot = 0; slot < PGQ_RING_SIZE; slot++)
	{
		for (t = 0; t < 2; t++)
		{
			char		prefix = t == 0 ? 'q' : 'a';

			if (OidIsValid(child_oid(prefix, name, slot)))
				pgq_run_sql(psprintf("DROP TABLE pgq.%s CASCADE",
									 quote_identifier(pgq_ring_child(prefix, name, slot))),
							SPI_OK_UTILITY, "dropping the tables", name);
		}
	}
}

/*
 * make_ring(queue_name text) returns void, for the update script: give a
 * queue made before rotation its children, as the tables' owner.  Its
 * rows stay in the parent, where reads find them, until maintain_queue
 * moves them into the ring and truncates the parent.
 */
Datum
pgq_make_ring(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	PgqQueue	queue;
	PgqExec		exec;
	Oid			argtypes[2] = {TEXTOID, BOOLOID};
	Datum		values[2];

	if (!superuser() && !has_privs_of_role(GetUserId(), pgq_tables_owner()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to rebuild queues")));
	pgq_get_queue_name(fcinfo, 0, name);
	pgq_lookup_queue(name, ShareUpdateExclusiveLock, 0, &queue, false);

	pgq_begin(&exec);
	if (get_rel_relkind(queue.relid) == RELKIND_RELATION)
	{
		if (!OidIsValid(child_oid('q', name, 0)))
			pgq_create_ring(name,
							get_rel_persistence(queue.relid) == RELPERSISTENCE_UNLOGGED);
		values[0] = CStringGetTextDatum(name);
		values[1] = BoolGetDatum(archive_in_ring(name));
		if (SPI_execute_with_args("UPDATE pgq.meta SET ring_slot = 0, ring_live = "
								  CppAsString2(PGQ_RING_PARENT_BIT) " OPERATOR(pg_catalog.|) 1,"
								  " archive_slot = CASE WHEN $2 THEN 0 END"
								  " WHERE queue_name OPERATOR(pg_catalog.=) $1 AND ring_slot IS NULL",
								  2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "pgq: registering the ring of queue \"%s\" failed", name);
	}
	pgq_end(&exec);
	PG_RETURN_VOID();
}

/* the pages of relation relid's main fork (its table or index) */
static BlockNumber
rel_blocks(Oid relid)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	BlockNumber n = RelationGetNumberOfBlocks(rel);

	relation_close(rel, NoLock);
	return n;
}

/* bytes of relid with its indexes */
static int64
rel_total_bytes(Oid relid)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	int64		bytes = (int64) RelationGetNumberOfBlocks(rel) * BLCKSZ;
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;

	foreach(lc, indexes)
		bytes += (int64) rel_blocks(lfirst_oid(lc)) * BLCKSZ;
	relation_close(rel, NoLock);
	return bytes;
}

/* one int8 (count, or 0 if NULL) from the first column of a one-row select */
static int64
select_int8(const char *sql, const char *name)
{
	bool		isnull;
	Datum		d;

	pgq_run_sql(sql, SPI_OK_SELECT, "maintaining", name);
	if (SPI_processed != 1)
		return 0;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(d);
}

/*
 * Run step(arg) in a subtransaction: kept if it returns true, rolled back
 * (its locks released) if it returns false or could not have a lock in time
 * (55P03, lock_timeout is set for the whole maintenance: see
 * pgq_maintain_queue).  Any other error is raised, the subtransaction
 * rolled back first.
 */
typedef bool (*RingStep) (void *arg);

static bool
in_subtransaction(RingStep step, void *arg)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	bool		done = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);
	PG_TRY();
	{
		done = step(arg);
		if (done)
			ReleaseCurrentSubTransaction();
		else
			RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			ReThrowError(edata);
		FreeErrorData(edata);
		done = false;
	}
	PG_END_TRY();
	return done;
}

/* clear_step's argument */
typedef struct ClearArg
{
	const char *name;
	Oid			relid;			/* the table to clear */
	const char *target;			/* quoted child the rows go to */
	int64		moved;
} ClearArg;

/* lock a's table, move its rows to the current child, truncate it */
static bool
clear_step(void *arg)
{
	ClearArg   *a = (ClearArg *) arg;
	const char *rel = quote_identifier(get_rel_name(a->relid));

	LockRelationOid(a->relid, AccessExclusiveLock);
	pgq_run_sql(psprintf("INSERT INTO pgq.%s (" RING_Q_COLUMNS ")"
						 " SELECT " RING_Q_COLUMNS " FROM ONLY pgq.%s",
						 a->target, rel),
				SPI_OK_INSERT, "moving messages", a->name);
	a->moved = (int64) SPI_processed;
	pgq_run_sql(psprintf("TRUNCATE ONLY pgq.%s", rel), SPI_OK_UTILITY, "truncating", a->name);
	return true;
}

/* archive_step's argument */
typedef struct ArchiveArg
{
	const char *name;
	Oid			relid;			/* the child to truncate */
	TimestampTz cutoff;			/* its rows must be older */
} ArchiveArg;

/* lock the archive child; truncate it if all its rows are old enough */
static bool
archive_step(void *arg)
{
	ArchiveArg *a = (ArchiveArg *) arg;
	const char *rel = quote_identifier(get_rel_name(a->relid));
	Oid			argtypes[1] = {TIMESTAMPTZOID};
	Datum		values[1];

	LockRelationOid(a->relid, AccessExclusiveLock);
	values[0] = TimestampTzGetDatum(a->cutoff);
	if (SPI_execute_with_args(psprintf("SELECT 1 FROM ONLY pgq.%s"
									   " WHERE archived_at OPERATOR(pg_catalog.>=) $1 LIMIT 1",
									   rel),
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "pgq: checking the archive of queue \"%s\" failed", a->name);
	if (SPI_processed > 0)
		return false;
	pgq_run_sql(psprintf("TRUNCATE ONLY pgq.%s", rel), SPI_OK_UTILITY, "truncating", a->name);
	return true;
}

/*
 * UPDATE pgq.meta SET <assignments> for queue name (assignments of numbers
 * pgq computed), and tell every backend: through an invalidation of
 * q_<name>, which is what their cached settings follow (plancache.c), for
 * the archive's slot too
 */
static void
set_meta(const char *name, Oid qparent, const char *assignments)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];

	values[0] = CStringGetTextDatum(name);
	if (SPI_execute_with_args(psprintf("UPDATE pgq.meta SET %s"
									   " WHERE queue_name OPERATOR(pg_catalog.=) $1",
									   assignments),
							  1, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "pgq: rotating queue \"%s\" failed", name);
	CacheInvalidateRelcacheByRelid(qparent);
}

/* rotate_step's argument */
typedef struct RotateArg
{
	const char *name;
	Oid			qparent;
	int			next;			/* the child sends go to now */
	int			live;			/* ring_live with it */
} RotateArg;

/*
 * Sends go to the next child: under an ACCESS EXCLUSIVE lock of q_<name>,
 * so that no transaction that read the queue's settings before (and may
 * read one child only, plancache.c) still runs once it is committed.
 */
static bool
rotate_step(void *arg)
{
	RotateArg  *a = (RotateArg *) arg;

	LockRelationOid(a->qparent, AccessExclusiveLock);
	set_meta(a->name, a->qparent,
			 psprintf("ring_slot = %d, ring_live = %d", a->next, a->live));
	return true;
}

/*
 * One run of maintenance on queue name (see the file header), as the
 * tables' owner; false if the queue is gone, has no ring, or another
 * maintenance holds it.
 *
 * At most one step takes an ACCESS EXCLUSIVE lock: the lock is kept until
 * the transaction ends, and every statement on the queue locks all its
 * tables, so a second step waiting for its own lock would keep the whole
 * queue waiting behind the first.  The next run does the rest.
 */
static bool
maintain_one(const char *name, RingResult *res)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	bool		isnull[5];
	Datum		d[5];
	int			slot;
	int			live;
	int			i;
	Oid			qparent;
	Oid			aparent;
	Oid			cur;
	bool		locked = false;

	memset(res, 0, sizeof(*res));

	/* the meta row, locked: one maintenance of a queue at a time */
	values[0] = CStringGetTextDatum(name);
	if (SPI_execute_with_args("SELECT ring_slot, archive_slot, archive_rotated_at,"
							  " archive_retention, ring_live FROM pgq.meta"
							  " WHERE queue_name OPERATOR(pg_catalog.=) $1"
							  " FOR NO KEY UPDATE SKIP LOCKED",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "pgq: reading queue \"%s\" failed", name);
	if (SPI_processed != 1)
		return false;
	for (i = 0; i < 5; i++)
		d[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1, &isnull[i]);
	if (isnull[0])
		return false;
	slot = DatumGetInt16(d[0]);
	/* unknown: anything may hold rows */
	live = isnull[4] ? (1 << PGQ_RING_SIZE) - 1 + PGQ_RING_PARENT_BIT : DatumGetInt16(d[4]);
	live |= 1 << slot;
	if (slot < 0 || slot >= PGQ_RING_SIZE ||
		(!isnull[1] && (DatumGetInt16(d[1]) < 0 || DatumGetInt16(d[1]) >= PGQ_RING_SIZE)))
		elog(ERROR, "pgq: queue \"%s\" has a bad ring slot", name);

	qparent = pgq_queue_table("q_", name);
	aparent = pgq_queue_table("a_", name);
	cur = child_oid('q', name, slot);
	if (!OidIsValid(qparent) || !OidIsValid(cur))
		return false;

	/*
	 * Clear what is no longer written to but may hold rows: the other
	 * children, the parent.  A table holds rows without its bit only if
	 * they were written around pgq (by hand, or by a session still running
	 * the library of a release before the ring, which writes to q_<name>):
	 * reads of one child do not see them, so they are moved too, and every
	 * backend's low-water marks, which may have passed them, are forgotten.
	 */
	for (i = 0; i < PGQ_RING_SIZE && !locked; i++)
	{
		int			bit = i == 0 ? PGQ_RING_PARENT_BIT : 1 << ((slot + i) % PGQ_RING_SIZE);
		Oid			relid = i == 0 ? qparent : child_oid('q', name, (slot + i) % PGQ_RING_SIZE);
		ClearArg	arg;

		if (!OidIsValid(relid) || ((live & bit) == 0 && rel_blocks(relid) == 0))
			continue;
		if (rel_blocks(relid) > 0 &&
			select_int8(psprintf("SELECT pg_catalog.count(*) FROM"
								 " (SELECT 1 FROM ONLY pgq.%s LIMIT %d) s",
								 quote_identifier(get_rel_name(relid)),
								 PGQ_RING_MOVE_LIMIT + 1), name) > PGQ_RING_MOVE_LIMIT)
			continue;
		arg.name = name;
		arg.relid = relid;
		arg.target = quote_identifier(get_rel_name(cur));
		arg.moved = 0;
		/* waiters of read_with_poll hold the queue's tables: they return now */
		(void) pgq_wait_yield(qparent);
		if (in_subtransaction(clear_step, &arg))
		{
			res->truncated++;
			res->moved += arg.moved;
			if ((live & bit) == 0 && arg.moved > 0)
				pgq_low_note_past_write(qparent, DT_NOBEGIN);
			live &= ~bit;
			set_meta(name, qparent, psprintf("ring_live = %d", live));
			locked = true;
		}
	}

	/*
	 * Waiters may have skipped the rows while they were locked.  (Moved rows
	 * keep their vt, which no backend's low-water mark is above: a mark is
	 * never past a live row's vt, nor past the time of a probe that found a
	 * row in flight.)
	 */
	if (res->moved > 0)
	{
		TimestampTz now = GetCurrentTimestamp();

		pgq_note_messages(qparent, (uint64) res->moved, PGQ_NOTE_AT_COMMIT, now, now);
	}

	/*
	 * Rotate the current child once it is big enough and the next is empty
	 * (then, readers read both until the old one is cleared).
	 */
	if (!locked && rel_total_bytes(cur) >= (int64) pgq_rotation_size_kb * 1024)
	{
		RotateArg	arg;
		Oid			nextrel;

		arg.name = name;
		arg.qparent = qparent;
		arg.next = (slot + 1) % PGQ_RING_SIZE;
		arg.live = live | (1 << arg.next);
		nextrel = child_oid('q', name, arg.next);
		if (OidIsValid(nextrel) && (live & (1 << arg.next)) == 0 && rel_blocks(nextrel) == 0)
		{
			(void) pgq_wait_yield(qparent);
			if (in_subtransaction(rotate_step, &arg))
			{
				res->rotated = true;
				locked = true;
			}
		}
	}

	/* the archive (unless pg_partman's), every half retention */
	if (!isnull[1] && !isnull[2] && !isnull[3] && OidIsValid(aparent) && !locked)
	{
		Interval   *retention = DatumGetIntervalP(d[3]);
		TimestampTz now = GetCurrentTransactionStartTimestamp();
		TimestampTz since = DatumGetTimestampTz(d[2]);
		Interval   *half;
		TimestampTz due;
		TimestampTz cutoff;

		half = DatumGetIntervalP(DirectFunctionCall2(interval_div, IntervalPGetDatum(retention),
													 Float8GetDatum(2.0)));
		due = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
													  TimestampTzGetDatum(since),
													  IntervalPGetDatum(half)));
		cutoff = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
														 TimestampTzGetDatum(now),
														 IntervalPGetDatum(retention)));
		if (now >= due)
		{
			int			next = (DatumGetInt16(d[1]) + 1) % PGQ_RING_SIZE;
			ArchiveArg	arg;

			arg.name = name;
			arg.relid = child_oid('a', name, next);
			arg.cutoff = cutoff;
			if (OidIsValid(arg.relid) && rel_blocks(arg.relid) > 0)
				locked = in_subtransaction(archive_step, &arg);
			if (OidIsValid(arg.relid) && (locked || rel_blocks(arg.relid) == 0))
			{
				set_meta(name, qparent,
						 psprintf("archive_slot = %d, archive_rotated_at = pg_catalog.now()", next));
				res->archive_rotated = true;
			}
		}
		/* archived rows of an older layout, once all are past the retention */
		if (!locked && rel_blocks(aparent) > 0)
		{
			ArchiveArg	parg;

			parg.name = name;
			parg.relid = aparent;
			parg.cutoff = cutoff;
			if (in_subtransaction(archive_step, &parg))
				res->truncated++;
		}
	}
	return true;
}

/* maintain_step's argument */
typedef struct MaintainArg
{
	const char *name;
	RingResult	res;
	bool		done;
} MaintainArg;

/* find and lock the queue, then maintain it as the tables' owner */
static bool
maintain_step(void *arg)
{
	MaintainArg *a = (MaintainArg *) arg;
	PgqQueue	queue;
	PgqExec		exec;

	if (!pgq_lookup_queue(a->name, AccessShareLock, 0, &queue, true))
		return false;
	pgq_begin(&exec);
	a->done = maintain_one(a->name, &a->res);
	/* deduplication keys whose window has passed (policy.c) */
	if (a->done && OidIsValid(pgq_queue_table("d_", a->name)))
	{
		Datum		now = TimestampTzGetDatum(GetCurrentTimestamp());

		pgq_run(&queue, PGQ_STMT_DEDUP_EXPIRE, &now, NULL, NULL);
	}
	pgq_end(&exec);
	return a->done;
}

/*
 * maintain_queue(queue_name text, lock_timeout_ms integer DEFAULT 100)
 *   returns record (rotated boolean, moved bigint, truncated integer,
 *   archive_rotated boolean)
 *
 * One run of maintenance on the queue (see the file header).  EXECUTE is
 * not granted to PUBLIC: it takes ACCESS EXCLUSIVE locks on the queue's
 * tables, for lock_timeout_ms at most each.  A queue that does not exist
 * (dropped meanwhile), has no ring, or is being maintained by another
 * session returns NULL.
 */
Datum
pgq_maintain_queue(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	MaintainArg arg;
	RingResult	res;
	int32		timeout_ms;
	int			nestlevel;
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	pgq_get_queue_name(fcinfo, 0, name);
	pgq_check_not_null(fcinfo, 1, "lock_timeout_ms");
	timeout_ms = PG_GETARG_INT32(1);
	if (timeout_ms < 1 || timeout_ms > 60000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lock_timeout_ms must be between 1 and 60000")));
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("queue maintenance must run in a READ COMMITTED transaction"),
				 errdetail("It decides what to truncate from what is committed now, not from an older snapshot.")));
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "pgq: maintain_queue must return a record");

	/*
	 * Every lock it takes, it waits for timeout_ms at most: a role that
	 * holds a queue's table (a consumer may LOCK it) must not stop the
	 * maintenance of the others.  A queue not had in time is left for the
	 * next run.
	 */
	arg.name = name;
	arg.done = false;
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("lock_timeout", psprintf("%d", timeout_ms),
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) in_subtransaction(maintain_step, &arg);
	AtEOXact_GUC(true, nestlevel);
	if (!arg.done)
		PG_RETURN_NULL();
	res = arg.res;

	values[0] = BoolGetDatum(res.rotated);
	values[1] = Int64GetDatum(res.moved);
	values[2] = Int32GetDatum(res.truncated);
	values[3] = BoolGetDatum(res.archive_rotated);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/*
 * set_retention(queue_name text, retention interval) returns void
 *
 * How long the queue's archive keeps a row: from retention to one and a
 * half retentions (NULL: for ever, as before).  Only the queue's owner may
 * set it.  A partitioned queue's retention is pg_partman's.
 */
Datum
pgq_set_retention(PG_FUNCTION_ARGS)
{
	char		name[PGQ_MAX_NAME_LEN + 1];
	Oid			argtypes[2] = {TEXTOID, INTERVALOID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	PgqExec		exec;
	int			rc;

	pgq_get_queue_name(fcinfo, 0, name);
	if (PG_ARGISNULL(1))
		nulls[1] = 'n';
	else
	{
		Interval   *ret = PG_GETARG_INTERVAL_P(1);
		Interval	minimum;
		Interval	maximum;

		memset(&minimum, 0, sizeof(minimum));
		minimum.time = USECS_PER_SEC;
		memset(&maximum, 0, sizeof(maximum));
		maximum.month = 100 * MONTHS_PER_YEAR;
		if (DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(ret),
											  IntervalPGetDatum(&minimum))) < 0 ||
			DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(ret),
											  IntervalPGetDatum(&maximum))) > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("retention must be between 1 second and 100 years")));
		values[1] = PG_GETARG_DATUM(1);
	}
	values[0] = CStringGetTextDatum(name);
	(void) pgq_lock_owned_queue(name, "set the retention of");

	pgq_begin(&exec);
	rc = SPI_execute_with_args("UPDATE pgq.meta SET archive_retention = $2,"
							   " archive_rotated_at = pg_catalog.now()"
							   " WHERE queue_name OPERATOR(pg_catalog.=) $1"
							   " AND archive_slot IS NOT NULL",
							   2, argtypes, values, nulls, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "pgq: setting the retention of queue \"%s\" failed", name);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("queue \"%s\" is partitioned: its retention is pg_partman's", name)));
	pgq_end(&exec);
	PG_RETURN_VOID();
}
