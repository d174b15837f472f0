/*-------------------------------------------------------------------------
 *
 * wait.c
 *		Waking waiting consumers when messages arrive: the shared table of
 *		read_with_poll calls that sleep, and what each transaction did to
 *		queues, acted on when it commits or rolls back.
 *
 * With pgq in shared_preload_libraries, shared memory holds a fixed table
 * of pgq.max_waiters slots.  A read_with_poll that found nothing takes a
 * slot for its queue (the database and the OID of q_<name>), reads once
 * more and sleeps on its backend's latch.  A transaction that sent
 * messages to the queue wakes, when it commits (never at the send, never
 * when it rolls back), as many of the queue's waiters as it takes to read
 * them: the one that started waiting last first, each counted for the qty
 * it asked for (as a pool of threads wakes its most recent idle thread: a
 * few consumers stay busy and warm, the rest sleep until their deadline).  A waiter woken that finds nothing (another consumer was quicker)
 * sleeps again without waking anyone.  A transaction that locked messages
 * (read, pop, set_vt, delete, archive, purge_queue) wakes waiters for them
 * when it rolls back, since they are back as they were and a waiter's read
 * may have skipped them; a read with vt 0 does when it commits too.  A waiter
 * that leaves with a wake-up it did not use (a second one came while it
 * read, or an error ended it before its read) passes it on.  A waiter
 * that reaches its deadline reads a last time.
 *
 * One waiter of each queue, its leader, also sleeps until the queue's
 * earliest due time: the first vt in the future (a delayed message, or a
 * message read whose consumer may never delete it), found in the vt index
 * after each of its empty reads and lowered by transactions that commit
 * an earlier one.  When it leaves, another waiter becomes the leader.  So a
 * delayed message, or one whose visibility timeout expires, is picked up
 * on time without any waiter polling.
 *
 * Without shared memory (pgq not preloaded, or pgq.max_waiters = 0), when
 * the table is full, under REPEATABLE READ or SERIALIZABLE (whose reads
 * see only their snapshot) and with a conditional (which messages it takes
 * is not known here), read_with_poll sleeps poll_interval_ms on its latch
 * between reads instead.
 *
 * drop_queue marks the waiters of the queue it drops, which end with an
 * error at once instead of holding their lock on the queue until their
 * wait is over, and keeps one slot as a marker until it holds the queue's
 * lock (or fails), so that no read_with_poll starts waiting on the queue
 * meanwhile.
 *
 * Locking: one LWLock (tranche "pgq") protects the slots and the counters.
 * Slots are taken lowest first, and every scan stops at "used", past the
 * last slot in use, so its cost follows the number of waiters, not
 * pgq.max_waiters.
 * nwaiting, the number of slots in use, is an atomic counter that a
 * committing transaction reads without the lock, to do nothing when nobody
 * waits.  That cannot lose a wake-up: a waiter takes its slot before the
 * snapshot of the read that finds nothing, and a transaction's callbacks
 * run after it became visible to new snapshots, so either that read sees
 * the transaction's messages or the transaction sees the slot.  The latch
 * protocol (set the flag, then the latch; reset the latch, then look at
 * the flag) does the rest.  Nothing is ever done in a slot while the lock
 * is released, and no error is raised while it is held.
 *
 * What a transaction did is kept per backend, per queue and per
 * subtransaction level, in TopTransactionContext: messages visible at
 * once if it commits, messages visible again if it rolls back, the
 * earliest future vt it set, and whether it queued a notification
 * (notify.c).  A subtransaction that rolls back wakes waiters for the
 * messages it gave back and forgets the rest.  PREPARE TRANSACTION
 * forgets everything: COMMIT PREPARED and ROLLBACK PREPARED wake nobody,
 * and the messages are found by the next read of a waiter (at the latest
 * at its deadline) or of any consumer.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "postmaster/postmaster.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pgq.h"

PG_FUNCTION_INFO_V1(pgq_wait_stats);

typedef enum PgqSlotKind
{
	SLOT_FREE = 0,
	SLOT_WAITER,				/* a read_with_poll asleep */
	SLOT_DROPPING				/* drop_queue's marker */
} PgqSlotKind;

typedef struct PgqWaitSlot
{
	PgqSlotKind kind;
	Oid			dbid;
	Oid			relid;			/* q_<name> */
	PGPROC	   *proc;			/* the backend holding the slot */
	uint64		seq;			/* arrival order */
	int32		qty;			/* messages it reads at once */
	bool		woken;			/* a wake-up it has not used yet */
	bool		dropped;		/* its queue is being dropped */
	bool		yield;			/* maintenance wants its queue's tables: return */
	bool		leader;			/* it keeps the queue's due time */
	bool		due_unknown;	/* leader: due time not found since a read */
	int			level;			/* marker: the subtransaction level of its drop_queue */
	TimestampTz due_at;			/* leader: wake then (DT_NOEND: never) */
} PgqWaitSlot;

typedef struct PgqWaitShared
{
	LWLock	   *lock;
	pg_atomic_uint32 nwaiting;	/* slots in use, of either kind */
	int			nslots;
	int			used;			/* no slot at this index or above is in use */
	uint64		next_seq;
	/* counters since the server started */
	uint64		waits;			/* slots taken by read_with_poll */
	uint64		wakeups;		/* waiters woken by other transactions */
	uint64		due_wakeups;	/* leaders woken at a due time */
	uint64		empty_wakeups;	/* wake-ups whose read found nothing */
	uint64		polls;			/* read_with_poll calls that found no free slot */
	PgqWaitSlot slots[FLEXIBLE_ARRAY_MEMBER];
} PgqWaitShared;

/* what this transaction did to one queue, at one subtransaction level */
typedef struct PgqPending
{
	Oid			relid;
	int			level;
	uint64		visible;		/* messages visible at once when it commits */
	uint64		taken;			/* messages visible again if it rolls back */
	TimestampTz next_vt;		/* earliest future vt it set (0: none) */
	bool		notified;		/* it queued a notification (notify.c) */
} PgqPending;

/* pgq.max_waiters */
int			pgq_max_waiters = 1024;

static PgqWaitShared *wait_shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static PgqPending *pending = NULL;
static int	npending = 0;
static int	maxpending = 0;
static int	my_slots = 0;		/* slots this backend holds */
static bool exit_callback_registered = false;

static Size wait_shmem_size(void);
static void wait_shmem_request(void);
static void wait_shmem_startup(void);
static void xact_callback(XactEvent event, void *arg);
static void subxact_callback(SubXactEvent event, SubTransactionId mySubid,
							 SubTransactionId parentSubid, void *arg);
static void exit_callback(int code, Datum arg);
static PgqPending *pending_entry(Oid relid);
static void release_my_slots(bool markers_only, int min_level);
static bool slot_is_mine(const PgqWaitSlot *slot);
static void report_dropping(const char *name);
static bool slot_of_queue(const PgqWaitSlot *slot, Oid relid);
static void wake_waiters(Oid relid, uint64 messages);
static void wake_slot(PgqWaitSlot *slot);
static void lower_due(Oid relid, TimestampTz due);
static void free_slot(PgqWaitSlot *slot);
static void register_exit_callback(void);
static void take_slot(PgqWaitSlot *slot, PgqSlotKind kind, Oid relid);

/*
 * Register the transaction callbacks and, when the library is being
 * preloaded, define pgq.max_waiters and ask for the shared table.  Called
 * by _PG_init.
 */
void
pgq_wait_init(void)
{
	RegisterXactCallback(xact_callback, NULL);
	RegisterSubXactCallback(subxact_callback, NULL);

	/* a PGC_POSTMASTER setting can only be made while preloading */
	if (!process_shared_preload_libraries_in_progress)
		return;

	DefineCustomIntVariable("pgq.max_waiters",
							"Sets how many read_with_poll calls can wait to be woken at once.",
							"Shared memory for this many waiters is set aside when pgq is in "
							"shared_preload_libraries; 0 turns waking off.  Further waiters, "
							"and every waiter without shared_preload_libraries, poll instead.",
							&pgq_max_waiters,
							1024, 0, MAX_BACKENDS,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = wait_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = wait_shmem_startup;
}

static Size
wait_shmem_size(void)
{
	return add_size(offsetof(PgqWaitShared, slots),
					mul_size(sizeof(PgqWaitSlot), pgq_max_waiters));
}

static void
wait_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(pgq_low_shmem_size());
	RequestAddinShmemSpace(pgq_policy_shmem_size());
	RequestNamedLWLockTranche("pgq policy", 1);
	if (pgq_max_waiters > 0)
	{
		RequestAddinShmemSpace(wait_shmem_size());
		RequestNamedLWLockTranche("pgq", 1);
	}
}

static void
wait_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	pgq_low_shmem_init();
	pgq_policy_shmem_init();
	if (pgq_max_waiters > 0)
	{
		wait_shared = ShmemInitStruct("pgq waiters", wait_shmem_size(), &found);
		if (!found)
		{
			memset(wait_shared, 0, wait_shmem_size());
			wait_shared->lock = &(GetNamedLWLockTranche("pgq"))->lock;
			pg_atomic_init_u32(&wait_shared->nwaiting, 0);
			wait_shared->nslots = pgq_max_waiters;
			wait_shared->used = 0;
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

/* can read_with_poll wait to be woken here? */
bool
pgq_wait_shared(void)
{
	return wait_shared != NULL;
}

/*
 * Remember what a statement of the transaction did to n messages of queue
 * relid.  when: PGQ_NOTE_AT_COMMIT, they are visible at vt once it commits
 * (sent, read, or given a vt by set_vt); PGQ_NOTE_AT_ABORT, they are
 * visible again as they were if it rolls back (read, popped, deleted,
 * archived, given a vt: each row was locked, so a waiter's read may have
 * skipped it).
 */
void
pgq_note_messages(Oid relid, uint64 n, int when, TimestampTz vt, TimestampTz now)
{
	PgqPending *p;

	if ((wait_shared == NULL && !pgq_low_active()) || n == 0)
		return;
	p = pending_entry(relid);
	if (when & PGQ_NOTE_AT_ABORT)
		p->taken += n;
	if (when & PGQ_NOTE_AT_COMMIT)
	{
		if (vt <= now)
			p->visible += n;
		else if (p->next_vt == 0 || vt < p->next_vt)
			p->next_vt = vt;
	}
}

/* remember that the transaction queued a notification for queue relid */
void
pgq_note_notified(Oid relid)
{
	pending_entry(relid)->notified = true;
}

/* has the transaction queued a notification for queue relid? */
bool
pgq_pending_notified(Oid relid)
{
	int			i;

	for (i = 0; i < npending; i++)
	{
		if (pending[i].relid == relid && pending[i].notified)
			return true;
	}
	return false;
}

/* the entry of relid at the current subtransaction level, made if missing */
static PgqPending *
pending_entry(Oid relid)
{
	int			level = GetCurrentTransactionNestLevel();
	int			i;

	for (i = npending - 1; i >= 0; i--)
	{
		if (pending[i].relid == relid && pending[i].level == level)
			return &pending[i];
	}
	if (npending == maxpending)
	{
		int			newmax = Max(8, maxpending * 2);

		if (pending == NULL)
			pending = MemoryContextAlloc(TopTransactionContext, newmax * sizeof(PgqPending));
		else
			pending = repalloc(pending, newmax * sizeof(PgqPending));
		maxpending = newmax;
	}
	memset(&pending[npending], 0, sizeof(PgqPending));
	pending[npending].relid = relid;
	pending[npending].level = level;
	return &pending[npending++];
}

/*
 * At the end of the transaction: on commit, wake waiters for the messages
 * it made visible and lower the due times it brought forward; on rollback,
 * wake waiters for the messages it took (visible again).  Then let go of
 * drop_queue's markers.  Runs after the transaction's outcome is visible
 * to others; raises no error.
 */
static void
xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	bool		commit;
	bool		gave_back;
	int			i;

	switch (event)
	{
		case XACT_EVENT_COMMIT:
			commit = true;
			break;
		case XACT_EVENT_ABORT:
			commit = false;
			break;
		case XACT_EVENT_PREPARE:
			/* COMMIT PREPARED wakes nobody: see the file header */
			pending = NULL;
			npending = maxpending = 0;
			release_my_slots(false, 0);
			pgq_low_xact_end(false, false);
			return;
		default:
			return;
	}

	/*
	 * Low-water marks (lowwater.c) first: what it wrote, what it gave back;
	 * the waiters it wakes must see a reset it causes.
	 */
	gave_back = false;
	for (i = 0; i < npending; i++)
		gave_back |= (!commit && pending[i].taken > 0);
	pgq_low_xact_end(commit, gave_back);

	if (npending > 0 && wait_shared != NULL)
	{
		pg_memory_barrier();
		if (pg_atomic_read_u32(&wait_shared->nwaiting) > 0)
		{
			LWLockAcquire(wait_shared->lock, LW_EXCLUSIVE);
			for (i = 0; i < npending; i++)
			{
				if (commit)
				{
					wake_waiters(pending[i].relid, pending[i].visible);
					if (pending[i].next_vt != 0)
						lower_due(pending[i].relid, pending[i].next_vt);
				}
				else
					wake_waiters(pending[i].relid, pending[i].taken);
			}
			LWLockRelease(wait_shared->lock);
		}
	}
	if (commit)
	{
		for (i = 0; i < npending; i++)
		{
			if (pending[i].notified)
				pgq_notify_committed(pending[i].relid);
		}
	}

	/* the memory goes with TopTransactionContext */
	pending = NULL;
	npending = maxpending = 0;
	release_my_slots(false, 0);
}

/*
 * A subtransaction that commits hands what it did to its parent; one that
 * rolls back wakes waiters for the messages it took, visible again now,
 * and forgets the rest.
 */
static void
subxact_callback(SubXactEvent event, SubTransactionId mySubid pg_attribute_unused(),
				 SubTransactionId parentSubid pg_attribute_unused(),
				 void *arg pg_attribute_unused())
{
	int			level = GetCurrentTransactionNestLevel();
	int			i,
				kept;

	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		/* the marker of a drop_queue that failed in it */
		release_my_slots(true, level);
	}
	if (npending == 0)
		return;
	if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		for (i = 0; i < npending; i++)
		{
			if (pending[i].level >= level)
				pending[i].level = level - 1;
		}
		return;
	}
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;

	for (i = 0; i < npending; i++)
	{
		if (pending[i].level >= level && pending[i].taken > 0)
			pgq_low_gave_back();
	}
	if (wait_shared != NULL)
	{
		pg_memory_barrier();
		if (pg_atomic_read_u32(&wait_shared->nwaiting) > 0)
		{
			LWLockAcquire(wait_shared->lock, LW_EXCLUSIVE);
			for (i = 0; i < npending; i++)
			{
				if (pending[i].level >= level)
					wake_waiters(pending[i].relid, pending[i].taken);
			}
			LWLockRelease(wait_shared->lock);
		}
	}
	kept = 0;
	for (i = 0; i < npending; i++)
	{
		if (pending[i].level < level)
			pending[kept++] = pending[i];
	}
	npending = kept;
}

/* the backend exits (FATAL included): its slots are free again */
static void
exit_callback(int code pg_attribute_unused(), Datum arg pg_attribute_unused())
{
	release_my_slots(false, 0);
}

/*
 * Free this backend's slots: every one (at the end of the transaction, at
 * exit), or only drop_queue's markers taken at subtransaction level
 * min_level or deeper.
 */
static void
release_my_slots(bool markers_only, int min_level)
{
	int			i;
	int			held = 0;

	if (my_slots == 0 || wait_shared == NULL)
		return;
	LWLockAcquire(wait_shared->lock, LW_EXCLUSIVE);
	for (i = 0; i < wait_shared->used; i++)
	{
		PgqWaitSlot *s = &wait_shared->slots[i];

		if (s->kind == SLOT_FREE || s->proc != MyProc)
			continue;
		if (!markers_only || (s->kind == SLOT_DROPPING && s->level >= min_level))
			free_slot(s);
		else
			held++;
	}
	LWLockRelease(wait_shared->lock);
	my_slots = held;
}

/* is this slot this backend's wait? */
static bool
slot_is_mine(const PgqWaitSlot *slot)
{
	return slot->kind == SLOT_WAITER && slot->proc == MyProc;
}

static void
report_dropping(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_TABLE),
			 errmsg("queue \"%s\" is being dropped", name)));
}

/* a waiter of queue relid of this database, not ending for a drop */
static bool
slot_of_queue(const PgqWaitSlot *slot, Oid relid)
{
	return slot->kind == SLOT_WAITER && slot->relid == relid && slot->dbid == MyDatabaseId &&
		!slot->dropped;
}

/*
 * Wake waiters of queue relid for this many messages: the ones waiting
 * most recently first (the leader last, so that it keeps its due time), until
 * their qty cover the messages.  Lock held exclusively.
 */
static void
wake_waiters(Oid relid, uint64 messages)
{
	uint64		covered = 0;
	uint64		asleep = 0;
	int			i;

	if (messages == 0)
		return;
	for (i = 0; i < wait_shared->used; i++)
	{
		PgqWaitSlot *s = &wait_shared->slots[i];

		if (slot_of_queue(s, relid) && !s->woken)
			asleep += s->qty;
	}
	/* enough messages for all of them: one pass */
	if (messages >= asleep)
	{
		for (i = 0; i < wait_shared->used; i++)
		{
			PgqWaitSlot *s = &wait_shared->slots[i];

			if (slot_of_queue(s, relid) && !s->woken)
				wake_slot(s);
		}
		return;
	}
	while (covered < messages)
	{
		PgqWaitSlot *best = NULL;

		for (i = 0; i < wait_shared->used; i++)
		{
			PgqWaitSlot *s = &wait_shared->slots[i];

			if (!slot_of_queue(s, relid) || s->woken)
				continue;
			if (best == NULL ||
				(best->leader && !s->leader) ||
				(best->leader == s->leader && s->seq > best->seq))
				best = s;
		}
		if (best == NULL)
			break;
		wake_slot(best);
		covered += best->qty;
	}
}

static void
wake_slot(PgqWaitSlot *slot)
{
	slot->woken = true;
	wait_shared->wakeups++;
	SetLatch(&slot->proc->procLatch);
}

/* bring the due time of queue relid's leader forward to due.  Lock held. */
static void
lower_due(Oid relid, TimestampTz due)
{
	int			i;

	for (i = 0; i < wait_shared->used; i++)
	{
		PgqWaitSlot *s = &wait_shared->slots[i];

		if (slot_of_queue(s, relid) && s->leader)
		{
			if (due < s->due_at)
			{
				s->due_at = due;
				SetLatch(&s->proc->procLatch);
			}
			return;
		}
	}
}

/*
 * Free a slot; a waiter's unused wake-up goes to another waiter, and a
 * leaving leader's role to the waiter waiting longest.  Lock held.
 */
static void
free_slot(PgqWaitSlot *slot)
{
	PgqWaitSlot old = *slot;
	int			i;

	memset(slot, 0, sizeof(PgqWaitSlot));
	pg_atomic_fetch_sub_u32(&wait_shared->nwaiting, 1);
	while (wait_shared->used > 0 && wait_shared->slots[wait_shared->used - 1].kind == SLOT_FREE)
		wait_shared->used--;
	if (old.kind != SLOT_WAITER)
		return;

	if (old.woken)
	{
		wait_shared->wakeups--;		/* counted again for the next waiter */
		wake_waiters(old.relid, old.qty);
	}
	if (old.leader)
	{
		PgqWaitSlot *next = NULL;

		for (i = 0; i < wait_shared->used; i++)
		{
			PgqWaitSlot *s = &wait_shared->slots[i];

			if (slot_of_queue(s, old.relid) && s->dbid == old.dbid &&
				(next == NULL || s->seq < next->seq))
				next = s;
		}
		if (next != NULL)
		{
			next->leader = true;
			next->due_unknown = false;
			next->due_at = old.due_unknown ? GetCurrentTimestamp() : old.due_at;
			SetLatch(&next->proc->procLatch);
		}
	}
}

/* release this backend's slots when it exits, FATAL included */
static void
register_exit_callback(void)
{
	if (!exit_callback_registered)
	{
		before_shmem_exit(exit_callback, (Datum) 0);
		exit_callback_registered = true;
	}
}

/* a free slot becomes this backend's, of kind for queue relid.  Lock held. */
static void
take_slot(PgqWaitSlot *slot, PgqSlotKind kind, Oid relid)
{
	memset(slot, 0, sizeof(PgqWaitSlot));
	slot->kind = kind;
	slot->dbid = MyDatabaseId;
	slot->relid = relid;
	slot->proc = MyProc;
	pg_atomic_fetch_add_u32(&wait_shared->nwaiting, 1);
	wait_shared->used = Max(wait_shared->used, (int) (slot - wait_shared->slots) + 1);
	my_slots++;
}

/*
 * Take a slot to wait on queue relid (named name), reading qty messages at
 * a time.  Returns its index, or -1 if there is no shared table or it is
 * full (then the caller polls).  If the queue is being dropped, raises
 * 42P01.
 */
int
pgq_wait_register(const char *name, Oid relid, int32 qty)
{
	int			i,
				found = -1;
	bool		dropping = false;

	if (wait_shared == NULL)
		return -1;
	register_exit_callback();

	LWLockAcquire(wait_shared->lock, LW_EXCLUSIVE);
	for (i = 0; i < Min(wait_shared->used + 1, wait_shared->nslots); i++)
	{
		PgqWaitSlot *s = &wait_shared->slots[i];

		if (s->kind == SLOT_FREE)
		{
			if (found < 0)
				found = i;
		}
		else if (s->kind == SLOT_DROPPING && s->relid == relid && s->dbid == MyDatabaseId)
			dropping = true;
	}
	if (!dropping && found >= 0)
	{
		PgqWaitSlot *s = &wait_shared->slots[found];
		bool		has_leader = false;

		for (i = 0; i < wait_shared->used; i++)
		{
			if (slot_of_queue(&wait_shared->slots[i], relid) && wait_shared->slots[i].leader)
				has_leader = true;
		}
		take_slot(s, SLOT_WAITER, relid);
		s->seq = wait_shared->next_seq++;
		s->qty = Max(qty, 1);
		s->leader = !has_leader;
		s->due_at = DT_NOEND;
		wait_shared->waits++;
	}
	else if (!dropping)
		wait_shared->polls++;
	LWLockRelease(wait_shared->lock);

	if (dropping)
		report_dropping(name);
	return found;
}

/*
 * After the latch woke a waiter, or its sleep ended: should it read now?
 * Yes if it was woken (the wake-up is used up here, before the read, so a
 * wake-up that comes during the read makes it read again), or if it is the
 * leader and the due time has come.  *due is when to wake next (DT_NOEND:
 * at the deadline only).  Raises 42P01 if its queue is being dropped.
 */
PgqWake
pgq_wait_check(int slotno, const char *name, TimestampTz now, TimestampTz *due)
{
	PgqWaitSlot *s = &wait_shared->slots[slotno];
	PgqWake		wake = PGQ_WAKE_NONE;
	bool		dropped;
	bool		mine;

	LWLockAcquire(wait_shared->lock, LW_EXCLUSIVE);
	mine = slot_is_mine(s);
	dropped = s->dropped;
	if (mine && s->yield)
	{
		s->yield = false;
		wake = PGQ_WAKE_YIELD;
	}
	else if (mine && s->woken)
	{
		s->woken = false;
		wake = PGQ_WAKE_WOKEN;
	}
	else if (mine && s->leader && s->due_at <= now)
	{
		s->due_at = DT_NOEND;
		s->due_unknown = true;
		wait_shared->due_wakeups++;
		wake = PGQ_WAKE_DUE;
	}
	*due = (mine && s->leader) ? s->due_at : DT_NOEND;
	LWLockRelease(wait_shared->lock);

	if (!mine)
		elog(ERROR, "pgq: the wait slot of queue \"%s\" was lost", name);
	if (dropped)
		report_dropping(name);
	return wake;
}

/* is this waiter its queue's leader (which finds the due time)? */
bool
pgq_wait_is_leader(int slotno)
{
	bool		leader;

	LWLockAcquire(wait_shared->lock, LW_SHARED);
	leader = slot_is_mine(&wait_shared->slots[slotno]) && wait_shared->slots[slotno].leader;
	LWLockRelease(wait_shared->lock);
	return leader;
}

/*
 * After a read of the waiter that found nothing, or, for a leader, fewer
 * messages than it asked for.  empty_wakeup: it read because a transaction
 * woke it, and found nothing.  next_vt: for a leader, the
 * earliest future vt of the queue (0: none).  Returns when to wake next,
 * as pgq_wait_check.
 */
TimestampTz
pgq_wait_after_read(int slotno, bool empty_wakeup, TimestampTz next_vt)
{
	PgqWaitSlot *s = &wait_shared->slots[slotno];
	TimestampTz due;

	LWLockAcquire(wait_shared->lock, LW_EXCLUSIVE);
	if (empty_wakeup)
		wait_shared->empty_wakeups++;
	if (slot_is_mine(s) && s->leader)
	{
		if (next_vt != 0 && next_vt < s->due_at)
			s->due_at = next_vt;
		s->due_unknown = false;
	}
	due = (slot_is_mine(s) && s->leader) ? s->due_at : DT_NOEND;
	LWLockRelease(wait_shared->lock);
	return due;
}

/*
 * The waiter leaves.  found_all: its last read found all the messages it
 * asked for, so there may be more visible: a leader hands the next one a
 * due time of now.  (A leader that found fewer has told
 * pgq_wait_after_read the next due time.)  unused_wakeup: it leaves (with
 * an error) before the read it was woken for: another waiter gets it.
 */
void
pgq_wait_release(int slotno, bool found_all, bool unused_wakeup)
{
	PgqWaitSlot *s = &wait_shared->slots[slotno];

	LWLockAcquire(wait_shared->lock, LW_EXCLUSIVE);
	if (slot_is_mine(s))
	{
		if (found_all && s->leader)
			s->due_unknown = true;
		if (unused_wakeup && !s->woken)
		{
			s->woken = true;
			wait_shared->wakeups++;		/* free_slot takes it back when passing it on */
		}
		free_slot(s);
		my_slots--;
	}
	LWLockRelease(wait_shared->lock);
}

/*
 * drop_queue is about to drop queue relid: its waiters end with an error
 * now (even if the drop is then rolled back), and a marker keeps new ones
 * from starting to wait until drop_queue holds the queue's lock
 * (pgq_wait_dropped) or fails.  Without a free slot there is no marker: a
 * read_with_poll that starts waiting in between ends at its deadline, and
 * the drop waits for it.
 */
void
pgq_wait_dropping(Oid relid)
{
	int			i;
	PgqWaitSlot *marker = NULL;

	if (wait_shared == NULL)
		return;
	register_exit_callback();
	LWLockAcquire(wait_shared->lock, LW_EXCLUSIVE);
	for (i = 0; i < Min(wait_shared->used + 1, wait_shared->nslots); i++)
	{
		PgqWaitSlot *s = &wait_shared->slots[i];

		if (slot_of_queue(s, relid))
		{
			s->dropped = true;
			SetLatch(&s->proc->procLatch);
		}
		else if (s->kind == SLOT_FREE && marker == NULL)
			marker = s;
	}
	if (marker != NULL)
	{
		take_slot(marker, SLOT_DROPPING, relid);
		marker->level = GetCurrentTransactionNestLevel();
	}
	LWLockRelease(wait_shared->lock);
}

/*
 * Maintenance (ring.c) is about to lock a child of queue relid: its waiters
 * read a last time and return, ending (in autocommit) the transactions
 * that hold the queue's tables, rather than keep the lock from it until
 * their deadlines.  Returns how many were told.
 */
int
pgq_wait_yield(Oid relid)
{
	int			i;
	int			n = 0;

	if (wait_shared == NULL)
		return 0;
	LWLockAcquire(wait_shared->lock, LW_EXCLUSIVE);
	for (i = 0; i < Min(wait_shared->used + 1, wait_shared->nslots); i++)
	{
		PgqWaitSlot *s = &wait_shared->slots[i];

		if (slot_of_queue(s, relid) && s->kind == SLOT_WAITER)
		{
			s->yield = true;
			SetLatch(&s->proc->procLatch);
			n++;
		}
	}
	LWLockRelease(wait_shared->lock);
	return n;
}

/* drop_queue holds the queue's lock: its marker can go */
void
pgq_wait_dropped(void)
{
	release_my_slots(true, 0);
}

/*
 * wait_stats() returns record: how read_with_poll waits on this server
 * and what it has done since the server started.
 */
Datum
pgq_wait_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {false};
	uint64		counters[5] = {0};
	int			waiting = 0;
	int			i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "pgq: wait_stats must return a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	if (wait_shared != NULL)
	{
		LWLockAcquire(wait_shared->lock, LW_SHARED);
		for (i = 0; i < wait_shared->used; i++)
		{
			if (wait_shared->slots[i].kind == SLOT_WAITER)
				waiting++;
		}
		counters[0] = wait_shared->waits;
		counters[1] = wait_shared->wakeups;
		counters[2] = wait_shared->due_wakeups;
		counters[3] = wait_shared->empty_wakeups;
		counters[4] = wait_shared->polls;
		LWLockRelease(wait_shared->lock);
	}

	values[0] = CStringGetTextDatum(wait_shared != NULL ? "wake" : "poll");
	values[1] = Int32GetDatum(wait_shared != NULL ? wait_shared->nslots : 0);
	values[2] = Int32GetDatum(waiting);
	for (i = 0; i < 5; i++)
		values[3 + i] = Int64GetDatum((int64) counters[i]);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
