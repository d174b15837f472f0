/*-------------------------------------------------------------------------
 *
 * pgq.c
 *		Module entry point: the settings pgq defines.
 *
 * Shared memory, when pgq is in shared_preload_libraries, holds the table
 * of waiting readers (wait.c), the writers' low-water entries
 * (lowwater.c), and the counters and rolled-back deliveries of the delivery
 * policies (policy.c); the maintenance workers (worker.c) are registered then
 * too.  Backend-local state: the plan cache (plancache.c), the tables'
 * owner (execute.c), what the transaction did to queues (wait.c),
 * notification times (notify.c) and the settings.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"

#include "pgq.h"

PG_MODULE_MAGIC;

/* pgq.metrics_exact_limit: see metrics.c */
int			pgq_metrics_exact_limit = 100000;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("pgq.metrics_exact_limit",
							"Counts metrics() takes exactly, at most; beyond, they are estimated.",
							"metrics() counts the messages of a queue up to this many; a longer "
							"queue's queue_length and queue_visible_length are estimates. "
							"-1 counts every message, whatever it costs.",
							&pgq_metrics_exact_limit,
							100000, -1, INT_MAX - 1,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pgq.rotation_size",
							"Size of a queue's current table at which maintenance moves writes to the next one.",
							"pgq.maintain() rotates a queue once the child table it writes to, with "
							"its indexes, has reached this size and the next child is empty.",
							&pgq_rotation_size_kb,
							65536, 8, INT_MAX / 1024,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	pgq_wait_init();
	pgq_worker_init();
	MarkGUCPrefixReserved("pgq");
}
