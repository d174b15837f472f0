/*-------------------------------------------------------------------------
 *
 * lowwater.c
 *		Where a read starts: each backend's low-water mark per queue, so
 *		that reads do not walk the dead index entries at the head of the
 *		vt index again and again.
 *
 * A read (and pop) takes the visible messages in (vt, msg_id) order from
 * the queue's vt index.  Every message read or deleted leaves a dead entry
 * behind at the head of that index, which only vacuum removes, and only
 * once no snapshot needs it: between vacuums, or beside a long
 * transaction, every read walks all of them.  With pgq in
 * shared_preload_libraries, each backend keeps, per queue, a mark L below
 * which no message can be visible to a read, and its reads scan from vt >=
 * L instead of from the start of the index.
 *
 * Every few reads, the backend probes for the smallest vt of a live row
 * up to now (as a new snapshot sees it, locked rows included: a row another
 * transaction read or deleted counts until that transaction commits, so a
 * rollback brings back nothing below) and moves L there, but never above
 * now, nor above the time any transaction still in progress started
 * writing to the queue.  Every statement that writes a vt (send, read,
 * set_vt) first records the time in its backend's entry of a shared
 * table, which the transaction's end clears (after the transaction is
 * visible), and only then computes the vt it writes, from the clock: at
 * or after that time.  The probe reads the table before its snapshot.  So
 * a row its snapshot does not see was either recorded (and L stays at or
 * below its vt), or recorded after the probe began, and its vt is later
 * than the probe's now (L <= now <= vt).  A vt in the past (a send with a
 * past timestamp) breaks that: it is recorded too, its backend forgets its
 * own marks at once, and its transaction's commit bumps a shared counter:
 * every backend that sees it change forgets its marks.  A backend
 * forgets its marks when one of its own transactions that locked messages
 * rolls back too (its own probes saw its changes), when the clock steps
 * back, and, when max_prepared_transactions allows prepared transactions
 * (whose writes nothing here tracks), every PGQ_LOW_RESCAN_SECS: their
 * messages are late by that much at most, at a backend's next read.  A
 * read from the head walks every dead entry: beside a long transaction,
 * that is what the marks save, so it is done only then.  (Rows written
 * into a queue table by hand are not tracked at all.)  Under REPEATABLE READ the probe's snapshot is
 * the transaction's: no probe is made then.
 *
 * The shared table has one entry per backend (by pgprocno), written only
 * by its backend under a change counter (odd while it writes), read by the
 * others without a lock, as PostgreSQL's backend status is.  Without
 * shared memory there are no marks: reads start at the head, as before.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "pgq.h"

/* queues one transaction can write to before its entry says "any queue" */
#define PGQ_WRITER_QUEUES	4

typedef struct PgqWriter
{
	pg_atomic_uint32 changecount;	/* odd while its backend writes it */
	Oid			dbid;
	int			nqueues;		/* -1: any queue of dbid */
	Oid			relid[PGQ_WRITER_QUEUES];
	TimestampTz min_vt[PGQ_WRITER_QUEUES];
} PgqWriter;

typedef struct PgqLowShared
{
	pg_atomic_uint64 resets;	/* bumped when a vt in the past is committed */
	int			nwriters;
	PgqWriter	writers[FLEXIBLE_ARRAY_MEMBER];
} PgqLowShared;

static PgqLowShared *low_shared = NULL;

/* this backend's entry holds something to clear at the transaction's end */
static bool my_entry_used = false;
/* the transaction wrote a vt earlier than the time it recorded */
static bool wrote_past = false;
/* this backend's marks are to be forgotten (its own rollback) */
static bool my_marks_stale = false;
static uint64 my_resets_seen = 0;

static void set_entry(PgqWriter *w, Oid relid, TimestampTz vt);

/* are there marks here (pgq preloaded)? */
bool
pgq_low_active(void)
{
	return low_shared != NULL;
}

Size
pgq_low_shmem_size(void)
{
	return add_size(offsetof(PgqLowShared, writers), mul_size(sizeof(PgqWriter), MaxBackends));
}

/* in the shmem startup hook, AddinShmemInitLock held */
void
pgq_low_shmem_init(void)
{
	bool		found;
	int			i;

	low_shared = ShmemInitStruct("pgq low-water marks", pgq_low_shmem_size(), &found);
	if (!found)
	{
		memset(low_shared, 0, pgq_low_shmem_size());
		pg_atomic_init_u64(&low_shared->resets, 0);
		low_shared->nwriters = MaxBackends;
		for (i = 0; i < MaxBackends; i++)
			pg_atomic_init_u32(&low_shared->writers[i].changecount, 0);
	}
}

static PgqWriter *
my_writer(void)
{
	if (low_shared == NULL || MyProc == NULL || PGQ_MY_PROCNO >= low_shared->nwriters)
		return NULL;
	return &low_shared->writers[PGQ_MY_PROCNO];
}

static void
set_entry(PgqWriter *w, Oid relid, TimestampTz vt)
{
	int			i;

	pg_atomic_fetch_add_u32(&w->changecount, 1);
	pg_write_barrier();
	if (!my_entry_used)
	{
		w->dbid = MyDatabaseId;
		w->nqueues = 0;
	}
	if (w->nqueues >= 0)
	{
		for (i = 0; i < w->nqueues; i++)
		{
			if (w->relid[i] == relid)
			{
				w->min_vt[i] = Min(w->min_vt[i], vt);
				break;
			}
		}
		if (i == w->nqueues)
		{
			if (w->nqueues < PGQ_WRITER_QUEUES)
			{
				w->relid[i] = relid;
				w->min_vt[i] = vt;
				w->nqueues++;
			}
			else
			{
				/* any queue, at the smallest vt of them all */
				for (i = 0; i < w->nqueues; i++)
					vt = Min(vt, w->min_vt[i]);
				w->nqueues = -1;
				w->min_vt[0] = vt;
			}
		}
	}
	else
		w->min_vt[0] = Min(w->min_vt[0], vt);
	pg_write_barrier();
	pg_atomic_fetch_add_u32(&w->changecount, 1);
	my_entry_used = true;
}

/*
 * A statement of this transaction is about to write rows of queue relid:
 * record the time, now, before it computes the vt it writes, and return it.
 * Every vt computed from the clock afterwards is at or after that time;
 * the caller passes any other, earlier one to pgq_low_note_past_write.
 */
TimestampTz
pgq_low_begin_write(Oid relid)
{
	PgqWriter  *w = my_writer();
	TimestampTz now = GetCurrentTimestamp();

	if (w != NULL)
		set_entry(w, relid, now);
	return now;
}

/*
 * The statement writes a vt earlier than the time pgq_low_begin_write
 * recorded: record it too, and have every backend forget its marks when
 * the transaction commits.
 */
void
pgq_low_note_past_write(Oid relid, TimestampTz vt)
{
	PgqWriter  *w = my_writer();

	if (w == NULL)
		return;
	set_entry(w, relid, vt);
	wrote_past = true;
	/* this backend's own reads see the row at once */
	my_marks_stale = true;
}

/*
 * The transaction ended (after it became visible).  committed: it
 * committed; gave_back: it locked messages and rolled back.
 */
void
pgq_low_xact_end(bool committed, bool gave_back)
{
	PgqWriter  *w;

	if (committed && wrote_past && low_shared != NULL)
		pg_atomic_fetch_add_u64(&low_shared->resets, 1);
	if (gave_back)
		my_marks_stale = true;
	wrote_past = false;
	if (!my_entry_used || (w = my_writer()) == NULL)
		return;
	pg_atomic_fetch_add_u32(&w->changecount, 1);
	pg_write_barrier();
	w->nqueues = 0;
	w->dbid = InvalidOid;
	pg_write_barrier();
	pg_atomic_fetch_add_u32(&w->changecount, 1);
	my_entry_used = false;
}

/* a subtransaction that locked messages rolled back */
void
pgq_low_gave_back(void)
{
	my_marks_stale = true;
}

/*
 * Are this backend's marks still good?  False, once, after a reset
 * (theirs or its own); the caller then forgets every mark it keeps.
 */
bool
pgq_low_marks_valid(void)
{
	uint64		resets;

	if (low_shared == NULL)
		return false;
	resets = pg_atomic_read_u64(&low_shared->resets);
	if (resets != my_resets_seen || my_marks_stale)
	{
		my_resets_seen = resets;
		my_marks_stale = false;
		return false;
	}
	return true;
}

/* the counter of resets, for pgq_low_bound */
uint64
pgq_low_reset_count(void)
{
	return low_shared == NULL ? 0 : pg_atomic_read_u64(&low_shared->resets);
}

/*
 * The highest mark a probe of queue relid may set, taken before its
 * snapshot: now, or the smallest vt a transaction in progress is writing
 * to the queue, if earlier.
 */
TimestampTz
pgq_low_bound(Oid relid)
{
	TimestampTz bound = GetCurrentTimestamp();
	int			i,
				j;

	for (i = 0; i < low_shared->nwriters; i++)
	{
		PgqWriter  *w = &low_shared->writers[i];

		for (;;)
		{
			uint32		before = pg_atomic_read_u32(&w->changecount);
			TimestampTz min = DT_NOEND;

			pg_read_barrier();
			if (w->dbid == MyDatabaseId)
			{
				if (w->nqueues < 0)
					min = w->min_vt[0];
				else
					for (j = 0; j < w->nqueues && j < PGQ_WRITER_QUEUES; j++)
						if (w->relid[j] == relid)
							min = Min(min, w->min_vt[j]);
			}
			pg_read_barrier();
			if (before % 2 == 0 && pg_atomic_read_u32(&w->changecount) == before)
			{
				bound = Min(bound, min);
				break;
			}
			CHECK_FOR_INTERRUPTS();
		}
	}
	return bound;
}
