/*-------------------------------------------------------------------------
 *
 * pgq_stress.c
 *		Concurrency stress harness for pgq: producer, consumer and "churn"
 *		threads, each on its own libpq connection, hammering one queue.
 *
 * Build:
 *		gcc -O2 -Wall -Wextra -Werror -I$(pg_config --includedir) \
 *			pgq_stress.c -L$(pg_config --libdir) -lpq -lpthread
 *
 * The harness proves nothing by itself: it leaves a record in the database
 * and the caller (test/t/010_stress.pl, 020_crash.pl) checks it in SQL.
 *
 *	stress_sent(msg_id, producer, seq, poison)
 *		one row per message sent, inserted by the statement that sends it,
 *		so the row exists if and only if the send committed.  poison is
 *		true for a poison message (-X), read from the body that was sent.
 *	stress_unsent(msg_id)
 *		ids of sends that were deliberately rolled back (producer faults):
 *		they must never be delivered.
 *	stress_delivery(msg_id, consumer, read_ct, delivered_at, vt, outcome, message)
 *		one row per message a consumer saw come back from pgq.read.
 *		delivered_at is the row's last_read_at (the server clock at the
 *		read, the same clock the visibility test uses) and vt the lease the
 *		read granted.  outcome says what became of the delivery:
 *		  done         the consumer deleted/archived it; recorded in the
 *		               same transaction as the delete/archive
 *		  gone         the consumer's delete/archive found the message
 *		               already gone (its lease had expired and another
 *		               consumer finished it); same transaction
 *		  kept         fault: the read committed and the message was never
 *		               deleted; recorded in the read's own transaction
 *		  rolled_back  fault: the read's transaction was rolled back;
 *		               recorded afterwards in a transaction of its own,
 *		               since the rollback would otherwise erase it
 *		Only done, gone and kept deliveries held a lease (their read
 *		committed); a rolled_back one never did.
 *
 * A normal delivery is the pattern the README recommends: the read commits
 * on its own (the lease), then delete/archive and the record commit
 * together.  With -f, that share of reads is faulty, half rolled back and
 * half kept, and the same share of producer transactions is rolled back.
 *
 * -X PCT (poison) is for a queue whose owner set max_deliveries (and a
 * dead_letter_queue, or none for the archive) with pgq.set_policy: PCT
 * percent of each producer's messages, spread evenly (seq k is poison when
 * floor((k + 1) * PCT / 100) > floor(k * PCT / 100)), carry "poison": true
 * in their body, and no consumer ever finishes one.  Every read then runs
 * in a transaction of its own, and a poison message fails by turns: handed
 * out for an odd time (the read_ct the read returns, which under
 * max_deliveries counts rolled-back deliveries too), its read is rolled
 * back; for an even time, the read commits and the message is never
 * deleted (kept), so it comes back once its vt has passed.  A read is
 * rolled back only if it holds nothing but poison messages at their odd
 * turn (always so with -r 1); otherwise its poison messages are kept and
 * the others finished as usual.  pgq moves a message handed out
 * max_deliveries times to the dead-letter queue within the next read; a
 * read that did so is never rolled back (it is kept instead, counted as
 * kept_for_dead_letters), since rolling it back would put the dead letter
 * back in the queue, to be moved, and counted in pgq.stats, once more.
 * A poison run ends when the producers are done and the queue is empty:
 * every message deleted or moved; it is incomplete (exit 4) if fewer than
 * the non-poison messages sent were finished.  The dead letters themselves
 * are for the caller to check.
 *
 * -e (tolerant) is for running against a queue that -k churn threads (or
 * someone else) drop, purge and create again: nothing is recorded, and the
 * error `queue "<name>" does not exist` (42P01) is expected; every other
 * error, including a 42P01 with any other message, still fails the run.
 * -C (crash) is for runs whose server gets killed: losing the connection
 * ends a thread quietly instead of failing the run.  With -A FILE each
 * producer appends "msg_id producer seq" lines to FILE once its COMMIT has
 * returned, so the file lists exactly the acknowledged sends; -P numbers the
 * producers from a base, so that several runs' payloads stay distinct.
 *
 * Exit status: 0 when every thread finished its share; 1 on an unexpected
 * error (printed to stderr); 2 when the time limit (-t) cut the run short;
 * 3 on bad usage; 4 when the queue ran empty with fewer than N messages
 * (with -X: than the non-poison messages sent) finished (some were lost).
 * The last line on stdout is a one-line summary.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define MAX_CHURN_NAMES 16

typedef enum Role
{
	ROLE_PRODUCER,
	ROLE_CONSUMER,
	ROLE_CHURN
} Role;

static const char *const role_names[] = {"producer", "consumer", "churn"};

/* what became of one libpq call */
typedef enum Outcome
{
	OK,							/* what we asked for */
	EXPECTED,					/* an error the mode allows (-e) */
	STOP						/* connection lost under -C: end the thread */
} Outcome;

/* options */
static const char *conninfo = "";
static const char *queue = "stress";
static int	nproducers = 2;
static int	producer_base = 0;	/* -P: first producer number in payloads */
static int	nconsumers = 3;
static long nmessages = 5000;
static int	batch_mode = 0;		/* 0: send/delete one by one; 1: arrays */
static int	batch_size = 50;	/* -b: messages per send_batch */
static int	read_qty = 0;		/* -r: qty per read (default 1, or 50 in batch mode) */
static int	use_archive = 0;	/* -F archive */
static int	vt_seconds = 1;
static double fault_share = 0.0;
static int	poison_pct = 0;		/* -X: percent of messages that are poison */
static double time_limit = 50.0;
static unsigned int seed = 1;
static int	tolerant = 0;
static int	crash_ok = 0;
static const char *ack_path = NULL;
static int	nchurn = 0;
static char *churn_names[MAX_CHURN_NAMES];
static int	nchurn_names = 0;

/*
 * -X: how many dead letters this transaction moved, a count of the rows of
 * the dead-letter queue (or the archive) that it inserted; built by setup()
 */
static char dead_letters_sql[512];

/* shared state */
static double start_time;
static volatile int stop_all = 0;	/* set on failure or time out */
static volatile int failed = 0;
static volatile int timed_out = 0;
static volatile int drained = 0;	/* producers done, queue empty, yet done < N
									 * (-X: the end of every run) */
static long done_count = 0;		/* messages deleted/archived (outcome done) */
static int	producers_running;
static int	consumers_running;
static double producers_done_at = 0;
static int	ack_fd = -1;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct Stats
{
	long		sent;			/* messages in committed sends */
	long		send_txns;
	long		send_rollbacks; /* producer transactions rolled back (faults) */
	long		reads;			/* read calls */
	long		empty_reads;
	long		delivered;		/* messages returned by read */
	long		done;
	long		gone;
	long		fault_reads;	/* reads made faulty that returned messages */
	long		rolled_back;	/* messages of rolled-back reads */
	long		kept;			/* messages of kept (never deleted) reads */
	long		poison_sent;	/* poison messages in committed sends */
	long		poison_rolled_back; /* deliveries of poison messages rolled back */
	long		poison_kept;	/* deliveries of poison messages kept */
	long		kept_for_dead_letters;	/* reads kept, not rolled back, for their
										 * dead letters */
	long		expected_errors;
	long		conn_lost;
	long		churn_create;
	long		churn_drop;
	long		churn_purge;
	long		churn_other;
} Stats;

typedef struct Worker
{
	Role		role;
	int			id;
	PGconn	   *conn;
	unsigned int rand_state;
	Stats		st;
	pthread_t	thread;
} Worker;

/* a growable string */
typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

static void
buf_reserve(Buf *b, size_t more)
{
	if (b->len + more + 1 > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 256;

		while (b->len + more + 1 > cap)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (b->data == NULL)
		{
			fprintf(stderr, "pgq_stress: out of memory\n");
			exit(1);
		}
		b->cap = cap;
	}
}

static void
buf_printf(Buf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_reserve(b, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

static void
buf_reset(Buf *b)
{
	buf_reserve(b, 0);
	b->len = 0;
	b->data[0] = '\0';
}

/* append one element to an array literal being built in b ("{" ... "}") */
static void
buf_array_elem(Buf *b, const char *value)
{
	const char *p;

	buf_reserve(b, 2 * strlen(value) + 3);
	if (b->len > 1)
		b->data[b->len++] = ',';
	b->data[b->len++] = '"';
	for (p = value; *p; p++)
	{
		if (*p == '"' || *p == '\\')
			b->data[b->len++] = '\\';
		b->data[b->len++] = *p;
	}
	b->data[b->len++] = '"';
	b->data[b->len] = '\0';
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
elapsed(void)
{
	return now_seconds() - start_time;
}

static double
rand01(Worker *w)
{
	return (double) rand_r(&w->rand_state) / ((double) RAND_MAX + 1.0);
}

static void
sleep_ms(double ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t) (ms / 1000);
	ts.tv_nsec = (long) ((ms - ts.tv_sec * 1000.0) * 1e6);
	nanosleep(&ts, NULL);
}

/* true when the thread must stop: failure, another thread's, or time up */
static int
must_stop(void)
{
	if (stop_all)
		return 1;
	if (elapsed() > time_limit)
	{
		timed_out = 1;
		stop_all = 1;
		return 1;
	}
	return 0;
}

static void
fail(Worker *w, const char *fmt,...)
{
	va_list		ap;

	pthread_mutex_lock(&state_lock);
	fprintf(stderr, "pgq_stress: %s %d: ", role_names[w->role], w->id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	failed = 1;
	stop_all = 1;
	pthread_mutex_unlock(&state_lock);
}

/* does msg read `queue "<some name>" does not exist`? */
static int
is_clean_missing_queue(const char *msg)
{
	size_t		len;
	const char *suffix = "\" does not exist";

	if (msg == NULL || strncmp(msg, "queue \"", 7) != 0)
		return 0;
	len = strlen(msg);
	return len > 7 + strlen(suffix) &&
		strcmp(msg + len - strlen(suffix), suffix) == 0;
}

/*
 * Judge the result of a libpq call; clears res.  want is the status that
 * means success.
 */
static Outcome
judge(Worker *w, PGresult *res, ExecStatusType want, const char *what)
{
	ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	const char *sqlstate;
	const char *msg;

	if (status == want)
	{
		PQclear(res);
		return OK;
	}

	sqlstate = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (crash_ok &&
		(PQstatus(w->conn) == CONNECTION_BAD || sqlstate == NULL ||
		 strncmp(sqlstate, "57P", 3) == 0 || strncmp(sqlstate, "08", 2) == 0))
	{
		w->st.conn_lost++;
		PQclear(res);
		return STOP;
	}
	if (tolerant && sqlstate != NULL && strcmp(sqlstate, "42P01") == 0 &&
		is_clean_missing_queue(msg))
	{
		w->st.expected_errors++;
		PQclear(res);
		return EXPECTED;
	}

	if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
		fail(w, "%s: unexpected result status %s", what, PQresStatus(status));
	else
		fail(w, "%s: %s %s", what, sqlstate ? sqlstate : "(no SQLSTATE)",
			 res ? PQresultErrorMessage(res) : PQerrorMessage(w->conn));
	PQclear(res);
	return STOP;
}

/* run a statement without parameters; want PGRES_COMMAND_OK */
static Outcome
run(Worker *w, const char *sql)
{
	return judge(w, PQexec(w->conn, sql), PGRES_COMMAND_OK, sql);
}

/* COMMIT, and make sure it did commit (an aborted transaction answers ROLLBACK) */
static Outcome
commit(Worker *w)
{
	PGresult   *res = PQexec(w->conn, "COMMIT");

	if (PQresultStatus(res) == PGRES_COMMAND_OK &&
		strcmp(PQcmdStatus(res), "COMMIT") != 0)
	{
		fail(w, "COMMIT answered %s", PQcmdStatus(res));
		PQclear(res);
		return STOP;
	}
	return judge(w, res, PGRES_COMMAND_OK, "COMMIT");
}

/* after an expected error inside a transaction */
static Outcome
rollback(Worker *w)
{
	return run(w, "ROLLBACK");
}

static PGresult *
query(Worker *w, const char *sql, int nparams, const char *const *params)
{
	return PQexecParams(w->conn, sql, nparams, NULL, params, NULL, NULL, 0);
}

static void
quiet_notices(void *arg, const char *message)
{
	(void) arg;
	(void) message;
}

static int
connect_worker(Worker *w)
{
	char		sql[128];

	w->conn = PQconnectdb(conninfo);
	if (PQstatus(w->conn) != CONNECTION_OK)
	{
		if (crash_ok)
		{
			w->st.conn_lost++;
			return 0;
		}
		fail(w, "connection failed: %s", PQerrorMessage(w->conn));
		return 0;
	}
	PQsetNoticeProcessor(w->conn, quiet_notices, NULL);

	/* no call may outlive the run by much */
	snprintf(sql, sizeof(sql),
			 "SET statement_timeout = %ld; SET application_name = 'pgq_stress %s %d'",
			 (long) (time_limit * 1000) + 10000, role_names[w->role], w->id);
	return run(w, sql) == OK;
}

/* ---------------------------------------------------------------- producer */

static void
ack(const char *lines, size_t len)
{
	if (ack_fd >= 0 && write(ack_fd, lines, len) != (ssize_t) len)
	{
		fprintf(stderr, "pgq_stress: writing the ack file failed: %s\n", strerror(errno));
		failed = 1;
		stop_all = 1;
	}
}

/* is message seq of a producer a poison message (-X)?  PCT in every 100 */
static int
is_poison(long seq)
{
	return poison_pct > 0 &&
		(seq + 1) * poison_pct / 100 > seq * poison_pct / 100;
}

/*
 * Send this producer's share: messages {"p": id, "seq": k}, k = 0..share-1,
 * one per transaction (-m single) or batch_size per transaction (-m batch);
 * a poison message has "poison": true as well.
 */
static void
producer(Worker *w)
{
	long		share = nmessages / nproducers +
		(w->id < nmessages % nproducers ? 1 : 0);
	int			pnum = producer_base + w->id;
	long		seq = 0;
	int			per_txn = batch_mode ? batch_size : 1;
	Buf			msgs = {0};
	Buf			ids = {0};
	Buf			acks = {0};
	char		pbuf[16];
	char		seqbuf[24];
	const char *sql;

	if (batch_mode)
		sql = tolerant ?
			"SELECT s FROM pgq.send_batch($1, $2::jsonb[]) AS s" :
			"INSERT INTO stress_sent (msg_id, producer, seq, poison)"
			" SELECT s.id, $3::int, $4::int + (s.ord - 1)::int,"
			"  ($2::jsonb[])[s.ord::int] ? 'poison'"
			" FROM pgq.send_batch($1, $2::jsonb[]) WITH ORDINALITY AS s(id, ord)"
			" RETURNING msg_id, seq";
	else
		sql = tolerant ?
			"SELECT pgq.send($1, $2::jsonb)" :
			"INSERT INTO stress_sent (msg_id, producer, seq, poison)"
			" SELECT pgq.send($1, $2::jsonb), $3::int, $4::int, $2::jsonb ? 'poison'"
			" RETURNING msg_id, seq";

	snprintf(pbuf, sizeof(pbuf), "%d", pnum);

	while (seq < share && !must_stop())
	{
		long		k = share - seq < per_txn ? share - seq : per_txn;
		int			fault = rand01(w) < fault_share;
		long		npoison = 0;
		const char *params[4];
		PGresult   *res;
		Outcome		o;
		int			i;

		buf_reset(&msgs);
		if (batch_mode)
		{
			char		one[64];

			buf_printf(&msgs, "{");
			for (i = 0; i < k; i++)
			{
				npoison += is_poison(seq + i);
				snprintf(one, sizeof(one), "{\"p\": %d, \"seq\": %ld%s}", pnum, seq + i,
						 is_poison(seq + i) ? ", \"poison\": true" : "");
				buf_array_elem(&msgs, one);
			}
			buf_printf(&msgs, "}");
		}
		else
		{
			npoison = is_poison(seq);
			buf_printf(&msgs, "{\"p\": %d, \"seq\": %ld%s}", pnum, seq,
					   npoison ? ", \"poison\": true" : "");
		}
		snprintf(seqbuf, sizeof(seqbuf), "%ld", seq);
		params[0] = queue;
		params[1] = msgs.data;
		params[2] = pbuf;
		params[3] = seqbuf;

		if ((o = run(w, "BEGIN")) != OK)
			break;
		res = query(w, sql, tolerant ? 2 : 4, params);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) != k)
		{
			fail(w, "sending %ld messages returned %d ids", k, PQntuples(res));
			PQclear(res);
			break;
		}
		/* keep the ids before judge() frees the result */
		buf_reset(&ids);
		buf_reset(&acks);
		buf_printf(&ids, "{");
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
		{
			for (i = 0; i < PQntuples(res); i++)
			{
				buf_printf(&ids, "%s%s", i ? "," : "", PQgetvalue(res, i, 0));
				if (!tolerant)
					buf_printf(&acks, "%s %d %s\n", PQgetvalue(res, i, 0), pnum,
							   PQgetvalue(res, i, 1));
			}
		}
		buf_printf(&ids, "}");
		o = judge(w, res, PGRES_TUPLES_OK, "send");
		if (o == STOP)
			break;
		if (o == EXPECTED)
		{
			if (rollback(w) != OK)
				break;
			sleep_ms(1 + 5 * rand01(w));
			continue;
		}

		if (fault)
		{
			const char *uparams[1] = {ids.data};

			if (rollback(w) != OK)
				break;
			w->st.send_rollbacks++;
			if (!tolerant &&
				judge(w, query(w, "INSERT INTO stress_unsent SELECT unnest($1::bigint[])",
							   1, uparams),
					  PGRES_COMMAND_OK, "recording a rolled-back send") != OK)
				break;
			continue;
		}

		o = commit(w);
		if (o == EXPECTED)
			continue;
		if (o != OK)
			break;
		/* the COMMIT returned: from now on these messages must exist */
		ack(acks.data, acks.len);
		w->st.send_txns++;
		w->st.sent += k;
		w->st.poison_sent += npoison;
		seq += k;
	}

	free(msgs.data);
	free(ids.data);
	free(acks.data);
}

/* ---------------------------------------------------------------- consumer */

typedef enum ReadKind
{
	READ_NORMAL,
	READ_ROLLBACK,
	READ_KEEP
} ReadKind;

/*
 * Record the deliveries of result res (rows msg_id, read_ct, last_read_at,
 * vt, message) with the outcome given per row in outcomes ("done", ...);
 * rows whose outcome is NULL are left for another call.
 */
static Outcome
record_deliveries(Worker *w, PGresult *res, const char *const *outcomes)
{
	Buf			a[6] = {{0}};
	char		cbuf[16];
	const char *params[7];
	int			i,
				j;
	Outcome		o;

	for (j = 0; j < 6; j++)
		buf_printf(&a[j], "{");
	for (i = 0; i < PQntuples(res); i++)
	{
		if (outcomes[i] == NULL)
			continue;
		for (j = 0; j < 5; j++)
			buf_array_elem(&a[j], PQgetvalue(res, i, j));
		buf_array_elem(&a[5], outcomes[i]);
	}
	for (j = 0; j < 6; j++)
	{
		buf_printf(&a[j], "}");
		params[j] = a[j].data;
	}
	snprintf(cbuf, sizeof(cbuf), "%d", w->id);
	params[6] = cbuf;

	o = judge(w, query(w,
					   "INSERT INTO stress_delivery"
					   " (msg_id, consumer, read_ct, delivered_at, vt, message, outcome)"
					   " SELECT u.id, $7::int, u.rc, u.la, u.vt, u.m, u.oc"
					   " FROM unnest($1::bigint[], $2::int[], $3::timestamptz[],"
					   "             $4::timestamptz[], $5::jsonb[], $6::text[])"
					   "  AS u(id, rc, la, vt, m, oc)",
					   7, params),
			  PGRES_COMMAND_OK, "recording deliveries");
	for (j = 0; j < 6; j++)
		free(a[j].data);
	return o;
}

/*
 * Delete or archive the messages of read result res in one transaction
 * together with their delivery records; all of them, or with skip, those
 * whose skip flag is 0 (skip[i] != 0: poison, recorded already).
 */
static Outcome
finish_messages(Worker *w, PGresult *res, const int *skip)
{
	int			n = PQntuples(res);
	int			nfinish = 0;
	const char **outcomes = calloc((size_t) n, sizeof(char *));
	long		finished = 0;
	Outcome		o;
	int			i;

	for (i = 0; i < n; i++)
		if (skip == NULL || !skip[i])
		{
			outcomes[i] = "gone";
			nfinish++;
		}

	if ((o = run(w, "BEGIN")) != OK)
		goto out;

	if (batch_mode)
	{
		Buf			ids = {0};
		const char *params[2];
		PGresult   *fr;

		buf_printf(&ids, "{");
		for (i = 0; i < n; i++)
			if (outcomes[i] != NULL)
				buf_printf(&ids, "%s%s", ids.len > 1 ? "," : "", PQgetvalue(res, i, 0));
		buf_printf(&ids, "}");
		params[0] = queue;
		params[1] = ids.data;
		fr = query(w, use_archive ?
				   "SELECT id FROM pgq.archive($1, $2::bigint[]) AS id" :
				   "SELECT id FROM pgq.delete($1, $2::bigint[]) AS id",
				   2, params);
		free(ids.data);
		if (PQresultStatus(fr) == PGRES_TUPLES_OK)
		{
			int			r;
			long		prev = -1;

			for (r = 0; r < PQntuples(fr); r++)
			{
				long		id = atol(PQgetvalue(fr, r, 0));

				if (id <= prev)
				{
					fail(w, "%s(msg_ids[]) returned ids out of order",
						 use_archive ? "archive" : "delete");
					PQclear(fr);
					o = STOP;
					goto out;
				}
				prev = id;
				for (i = 0; i < n; i++)
					if (outcomes[i] != NULL &&
						strcmp(PQgetvalue(res, i, 0), PQgetvalue(fr, r, 0)) == 0)
						break;
				if (i == n)
				{
					fail(w, "%s(msg_ids[]) returned id %ld that was not asked for",
						 use_archive ? "archive" : "delete", id);
					PQclear(fr);
					o = STOP;
					goto out;
				}
				outcomes[i] = "done";
				finished++;
			}
		}
		o = judge(w, fr, PGRES_TUPLES_OK, use_archive ? "archive" : "delete");
	}
	else
	{
		o = OK;
		for (i = 0; i < n && o == OK; i++)
		{
			const char *params[2] = {queue, PQgetvalue(res, i, 0)};
			PGresult   *fr;

			if (outcomes[i] == NULL)
				continue;
			fr = query(w, use_archive ?
					   "SELECT pgq.archive($1, $2::bigint)" :
					   "SELECT pgq.delete($1, $2::bigint)",
					   2, params);
			if (PQresultStatus(fr) == PGRES_TUPLES_OK &&
				strcmp(PQgetvalue(fr, 0, 0), "t") == 0)
			{
				outcomes[i] = "done";
				finished++;
			}
			o = judge(w, fr, PGRES_TUPLES_OK, use_archive ? "archive" : "delete");
		}
	}

	if (o == EXPECTED)
	{
		o = rollback(w);
		goto out;
	}
	if (o != OK)
		goto out;
	if (!tolerant && (o = record_deliveries(w, res, outcomes)) != OK)
		goto out;
	if ((o = commit(w)) != OK)
		goto out;

	w->st.done += finished;
	w->st.gone += nfinish - finished;
	pthread_mutex_lock(&state_lock);
	done_count += finished;
	pthread_mutex_unlock(&state_lock);

out:
	free(outcomes);
	return o;
}

/* have we seen everything we will ever see? */
static int
consumers_may_stop(void)
{
	int			stop;

	pthread_mutex_lock(&state_lock);
	if (drained)
		stop = 1;
	else if (poison_pct > 0)
		/* poison messages leave only by reads: read until the queue is empty */
		stop = 0;
	else if (!tolerant)
		stop = done_count >= nmessages;
	else
		/* messages purged or dropped never come: give the rest one vt */
		stop = producers_running == 0 &&
			now_seconds() - producers_done_at > vt_seconds + 1;
	pthread_mutex_unlock(&state_lock);
	return stop;
}

/*
 * After an empty read once the producers are done: if the queue holds
 * nothing at all, no message can come any more, so waiting for the rest
 * of the N is pointless (they are lost); stop the consumers.  With -X this
 * is how a run ends: every message finished or moved as a dead letter.
 */
static Outcome
check_drained(Worker *w)
{
	const char *params[1] = {queue};
	PGresult   *res = query(w, "SELECT queue_length FROM pgq.metrics($1)", 1, params);
	int			empty = PQresultStatus(res) == PGRES_TUPLES_OK &&
		strcmp(PQgetvalue(res, 0, 0), "0") == 0;
	Outcome		o = judge(w, res, PGRES_TUPLES_OK, "metrics");

	if (o == OK && empty)
	{
		pthread_mutex_lock(&state_lock);
		if (poison_pct > 0 || done_count < nmessages)
			drained = 1;
		pthread_mutex_unlock(&state_lock);
	}
	return o;
}

/*
 * -X: how many dead letters has this transaction moved so far?  Read only
 * before a rollback, which would undo the move.
 */
static Outcome
dead_letters_moved(Worker *w, long *moved)
{
	PGresult   *res = query(w, dead_letters_sql, 0, NULL);

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		*moved = atol(PQgetvalue(res, 0, 0));
	return judge(w, res, PGRES_TUPLES_OK, "counting the dead letters moved");
}

static void
consumer(Worker *w)
{
	char		vtbuf[16];
	char		qtybuf[16];
	const char *params[3] = {queue, vtbuf, qtybuf};
	const char *read_sql =
		"SELECT msg_id, read_ct, last_read_at, vt, message"
		" FROM pgq.read($1, $2::int, $3::int)";
	const char **outcomes = NULL;
	int		   *poison = NULL;

	snprintf(vtbuf, sizeof(vtbuf), "%d", vt_seconds);
	snprintf(qtybuf, sizeof(qtybuf), "%d", read_qty);
	outcomes = calloc((size_t) read_qty, sizeof(char *));
	poison = calloc((size_t) read_qty, sizeof(int));

	while (!must_stop() && !consumers_may_stop())
	{
		double		r = rand01(w);
		ReadKind	kind = r < fault_share / 2 ? READ_ROLLBACK :
			r < fault_share ? READ_KEEP : READ_NORMAL;
		int			fault = kind != READ_NORMAL;
		int			in_txn = fault || poison_pct > 0;	/* -X: any read may roll back */
		int			npoison = 0;
		PGresult   *res;
		int			n,
					i;
		Outcome		o;

		if (in_txn && run(w, "BEGIN") != OK)
			break;
		res = query(w, read_sql, 3, params);
		w->st.reads++;
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			o = judge(w, res, PGRES_TUPLES_OK, "read");
			if (o == EXPECTED)
			{
				if (in_txn && rollback(w) != OK)
					break;
				sleep_ms(1 + 5 * rand01(w));
				continue;
			}
			break;
		}
		n = PQntuples(res);
		if (n > read_qty)
		{
			fail(w, "read(qty => %d) returned %d rows", read_qty, n);
			PQclear(res);
			break;
		}
		for (i = 1; i < n; i++)
			if (atol(PQgetvalue(res, i, 0)) <= atol(PQgetvalue(res, i - 1, 0)))
			{
				fail(w, "read returned ids out of order");
				break;
			}
		if (stop_all)
		{
			PQclear(res);
			break;
		}
		w->st.delivered += n;
		if (n == 0)
			w->st.empty_reads++;
		else if (fault)
			w->st.fault_reads++;

		/*
		 * -X: a read of poison messages only, each at an odd delivery, is
		 * rolled back; but no read that moved dead letters is (see the top).
		 */
		if (poison_pct > 0)
		{
			int			all_odd = n > 0;
			long		moved = 0;

			for (i = 0; i < n; i++)
			{
				poison[i] = strstr(PQgetvalue(res, i, 4), "\"poison\": true") != NULL;
				npoison += poison[i];
				if (!poison[i] || atol(PQgetvalue(res, i, 1)) % 2 == 0)
					all_odd = 0;
			}
			if (kind == READ_NORMAL && all_odd)
				kind = READ_ROLLBACK;
			if (kind == READ_ROLLBACK)
			{
				if (dead_letters_moved(w, &moved) != OK)
				{
					PQclear(res);
					break;
				}
				if (moved > 0)
				{
					kind = READ_KEEP;
					w->st.kept_for_dead_letters++;
				}
			}
		}

		switch (kind)
		{
			case READ_ROLLBACK:
				/* hold the row locks a moment, so others must skip them */
				if (n > 0)
					sleep_ms(2 * rand01(w));
				o = rollback(w);
				for (i = 0; i < n; i++)
					outcomes[i] = "rolled_back";
				if (o == OK && n > 0 && !tolerant)
					o = record_deliveries(w, res, outcomes);
				w->st.rolled_back += n;
				w->st.poison_rolled_back += npoison;
				break;
			case READ_KEEP:
				for (i = 0; i < n; i++)
					outcomes[i] = "kept";
				o = OK;
				if (n > 0 && !tolerant)
					o = record_deliveries(w, res, outcomes);
				if (o == OK)
					o = commit(w);
				w->st.kept += n;
				w->st.poison_kept += npoison;
				break;
			default:
				if (poison_pct == 0)
				{
					o = n > 0 ? finish_messages(w, res, NULL) : OK;
					break;
				}
				/* the read commits (the lease): its poison messages are kept */
				for (i = 0; i < n; i++)
					outcomes[i] = poison[i] ? "kept" : NULL;
				o = npoison > 0 ? record_deliveries(w, res, outcomes) : OK;
				if (o == OK)
					o = commit(w);
				if (o == OK && n > npoison)
					o = finish_messages(w, res, poison);
				w->st.kept += npoison;
				w->st.poison_kept += npoison;
				break;
		}
		PQclear(res);
		if (o == STOP)
			break;
		if (n == 0 && !tolerant && producers_running == 0 &&
			(o = check_drained(w)) != OK)
			break;
		if (n == 0)
			sleep_ms(2 + 8 * rand01(w));
	}
	free(outcomes);
	free(poison);
}

/* ---------------------------------------------------------------- churn */

/*
 * Create, drop, purge and look at queues (-K names) while the others work.
 */
static void
churn(Worker *w)
{
	while (!must_stop())
	{
		const char *name = churn_names[rand_r(&w->rand_state) % nchurn_names];
		const char *params[2] = {name, NULL};
		double		r = rand01(w);
		const char *sql;
		long	   *counter;
		Outcome		o;
		int			stop;

		pthread_mutex_lock(&state_lock);
		stop = producers_running == 0 && consumers_running == 0;
		pthread_mutex_unlock(&state_lock);
		if (stop)
			break;

		if (r < 0.3)
		{
			sql = "SELECT pgq.purge_queue($1)";
			counter = &w->st.churn_purge;
		}
		else if (r < 0.5)
		{
			sql = "SELECT pgq.drop_queue($1)";
			counter = &w->st.churn_drop;
		}
		else if (r < 0.8)
		{
			params[1] = rand01(w) < 0.25 ? "true" : "false";
			sql = "SELECT pgq.create_queue($1, $2::boolean)";
			counter = &w->st.churn_create;
		}
		else if (r < 0.9)
		{
			sql = "SELECT queue_length FROM pgq.metrics($1)";
			counter = &w->st.churn_other;
		}
		else
		{
			sql = "SELECT count(*) FROM pgq.metrics_all(), pgq.list_queues()";
			counter = &w->st.churn_other;
		}

		o = judge(w, query(w, sql, params[1] ? 2 : (strchr(sql, '$') ? 1 : 0), params),
				  PGRES_TUPLES_OK, sql);
		if (o == STOP)
			break;
		if (o == OK)
			(*counter)++;
		sleep_ms(0.5 + 3 * rand01(w));
	}
}

/* ---------------------------------------------------------------- main */

static void *
worker_main(void *arg)
{
	Worker	   *w = arg;

	if (connect_worker(w))
	{
		switch (w->role)
		{
			case ROLE_PRODUCER:
				producer(w);
				break;
			case ROLE_CONSUMER:
				consumer(w);
				break;
			case ROLE_CHURN:
				churn(w);
				break;
		}
	}
	PQfinish(w->conn);

	pthread_mutex_lock(&state_lock);
	if (w->role == ROLE_PRODUCER && --producers_running == 0)
		producers_done_at = now_seconds();
	if (w->role == ROLE_CONSUMER)
		consumers_running--;
	pthread_mutex_unlock(&state_lock);
	return NULL;
}

/*
 * -X: the queue must hand a message out max_deliveries times at most; find
 * where its dead letters go, for dead_letters_moved()
 */
static int
setup_poison(Worker *w)
{
	const char *params[1] = {queue};
	PGresult   *res = query(w,
							"SELECT p->>'max_deliveries' IS NOT NULL,"
							" format('pgq.%I', COALESCE('q_' || (p->>'dead_letter_queue'), 'a_' || $1))"
							" FROM pgq.policy($1) AS p",
							1, params);
	int			ok = 0;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
	{
		if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
			fail(w, "-X needs a queue with max_deliveries (pgq.set_policy)");
		else
		{
			/* its rows inserted by this transaction (the top one: no savepoints) */
			snprintf(dead_letters_sql, sizeof(dead_letters_sql),
					 "SELECT CASE WHEN pg_current_xact_id_if_assigned() IS NULL THEN 0"
					 " ELSE (SELECT count(*) FROM %s WHERE xmin ="
					 "  (pg_current_xact_id_if_assigned()::text::bigint %% 4294967296)::text::xid)"
					 " END",
					 PQgetvalue(res, 0, 1));
			ok = 1;
		}
	}
	return judge(w, res, PGRES_TUPLES_OK, "reading the policy") == OK && ok;
}

/* create the queue and the record tables; one connection, before the threads */
static int
setup(void)
{
	Worker		w = {.role = ROLE_CHURN, .id = -1};
	const char *params[1] = {queue};
	int			ok;

	if (!connect_worker(&w))
	{
		PQfinish(w.conn);
		return 0;
	}
	ok = judge(&w, query(&w, "SELECT pgq.create_queue($1)", 1, params),
			   PGRES_TUPLES_OK, "create_queue") == OK;
	if (ok && !tolerant)
		ok = run(&w,
				 "CREATE TABLE IF NOT EXISTS stress_sent ("
				 " msg_id bigint PRIMARY KEY, producer int NOT NULL, seq int NOT NULL,"
				 " poison boolean NOT NULL DEFAULT false);"
				 "CREATE TABLE IF NOT EXISTS stress_unsent (msg_id bigint);"
				 "CREATE TABLE IF NOT EXISTS stress_delivery ("
				 " msg_id bigint NOT NULL, consumer int NOT NULL, read_ct int NOT NULL,"
				 " delivered_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
				 " vt timestamptz NOT NULL, message jsonb,"
				 " outcome text NOT NULL CHECK (outcome IN ('done', 'gone', 'kept', 'rolled_back')));"
				 "CREATE INDEX IF NOT EXISTS stress_delivery_msg_id ON stress_delivery (msg_id)") == OK;
	if (ok && poison_pct > 0)
		ok = setup_poison(&w);
	PQfinish(w.conn);
	return ok;
}

static void
usage(FILE *out)
{
	fprintf(out,
			"Usage: pgq_stress [options]\n"
			"  -d CONNINFO   libpq connection string (default: environment)\n"
			"  -q QUEUE      queue name (default stress; created if missing)\n"
			"  -p N          producer threads (default 2)\n"
			"  -P BASE       number producers from BASE in payloads (default 0)\n"
			"  -c N          consumer threads (default 3)\n"
			"  -n N          messages to send in all (default 5000)\n"
			"  -m MODE       single (send, delete(msg_id)) or batch (send_batch,\n"
			"                delete(msg_ids[])) (default single)\n"
			"  -b B          messages per send_batch (default 50)\n"
			"  -r Q          read qty (default 1; 50 in batch mode)\n"
			"  -F HOW        finish messages with delete or archive (default delete)\n"
			"  -v SECONDS    visibility timeout of reads (default 1)\n"
			"  -f SHARE      fault share 0..1: that share of reads is rolled back or\n"
			"                never deleted (half each), and that share of sends is\n"
			"                rolled back (default 0)\n"
			"  -X PCT        poison: PCT percent of the messages are never finished;\n"
			"                the queue needs max_deliveries (default 0)\n"
			"  -t SECONDS    time limit; the run stops there (default 50)\n"
			"  -s SEED       random seed (default 1)\n"
			"  -e            tolerant: record nothing, expect `queue does not exist`\n"
			"  -C            crash: a lost connection ends a thread quietly\n"
			"  -A FILE       append \"msg_id producer seq\" per committed send\n"
			"  -k N          churn threads (create/drop/purge queues) (default 0)\n"
			"  -K NAMES      comma-separated queues to churn (default the -q queue)\n");
}

int
main(int argc, char **argv)
{
	int			c;
	int			nworkers;
	Worker	   *workers;
	Stats		tot = {0};
	int			i;
	const char *result;
	int			lost;
	char	   *names = NULL;

	while ((c = getopt(argc, argv, "d:q:p:P:c:n:m:b:r:F:v:f:X:t:s:eCA:k:K:h")) != -1)
	{
		switch (c)
		{
			case 'd':
				conninfo = optarg;
				break;
			case 'q':
				queue = optarg;
				break;
			case 'p':
				nproducers = atoi(optarg);
				break;
			case 'P':
				producer_base = atoi(optarg);
				break;
			case 'c':
				nconsumers = atoi(optarg);
				break;
			case 'n':
				nmessages = atol(optarg);
				break;
			case 'm':
				if (strcmp(optarg, "single") == 0)
					batch_mode = 0;
				else if (strcmp(optarg, "batch") == 0)
					batch_mode = 1;
				else
				{
					usage(stderr);
					return 3;
				}
				break;
			case 'b':
				batch_size = atoi(optarg);
				break;
			case 'r':
				read_qty = atoi(optarg);
				break;
			case 'F':
				if (strcmp(optarg, "delete") == 0)
					use_archive = 0;
				else if (strcmp(optarg, "archive") == 0)
					use_archive = 1;
				else
				{
					usage(stderr);
					return 3;
				}
				break;
			case 'v':
				vt_seconds = atoi(optarg);
				break;
			case 'f':
				fault_share = atof(optarg);
				break;
			case 'X':
				poison_pct = atoi(optarg);
				break;
			case 't':
				time_limit = atof(optarg);
				break;
			case 's':
				seed = (unsigned int) strtoul(optarg, NULL, 10);
				break;
			case 'e':
				tolerant = 1;
				break;
			case 'C':
				crash_ok = 1;
				break;
			case 'A':
				ack_path = optarg;
				break;
			case 'k':
				nchurn = atoi(optarg);
				break;
			case 'K':
				names = optarg;
				break;
			case 'h':
				usage(stdout);
				return 0;
			default:
				usage(stderr);
				return 3;
		}
	}
	if (read_qty == 0)
		read_qty = batch_mode ? 50 : 1;
	if (optind < argc || nproducers < 0 || nconsumers < 0 || nchurn < 0 ||
		nmessages < 0 || (nproducers == 0 && nmessages > 0 && nconsumers > 0) ||
		batch_size < 1 || read_qty < 1 || vt_seconds < 0 ||
		fault_share < 0 || fault_share > 1 || time_limit <= 0 ||
		poison_pct < 0 || poison_pct > 100 || (poison_pct > 0 && tolerant))
	{
		usage(stderr);
		return 3;
	}
	if (names != NULL)
	{
		char	   *save = NULL;
		char	   *tok;

		for (tok = strtok_r(names, ",", &save); tok != NULL && nchurn_names < MAX_CHURN_NAMES;
			 tok = strtok_r(NULL, ",", &save))
			churn_names[nchurn_names++] = tok;
	}
	if (nchurn_names == 0)
		churn_names[nchurn_names++] = (char *) queue;

	if (ack_path != NULL)
	{
		ack_fd = open(ack_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (ack_fd < 0)
		{
			fprintf(stderr, "pgq_stress: cannot open %s: %s\n", ack_path, strerror(errno));
			return 1;
		}
	}

	start_time = now_seconds();
	if (!setup())
		return 1;

	nworkers = nproducers + nconsumers + nchurn;
	workers = calloc((size_t) nworkers, sizeof(Worker));
	producers_running = nproducers;
	consumers_running = nconsumers;
	if (nproducers == 0)
		producers_done_at = now_seconds();
	for (i = 0; i < nworkers; i++)
	{
		Worker	   *w = &workers[i];

		w->role = i < nproducers ? ROLE_PRODUCER :
			i < nproducers + nconsumers ? ROLE_CONSUMER : ROLE_CHURN;
		w->id = w->role == ROLE_PRODUCER ? i :
			w->role == ROLE_CONSUMER ? i - nproducers : i - nproducers - nconsumers;
		w->rand_state = seed * 7919u + (unsigned int) i * 104729u + 1;
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
		{
			fprintf(stderr, "pgq_stress: cannot start a thread\n");
			return 1;
		}
	}
	for (i = 0; i < nworkers; i++)
	{
		Stats	   *s = &workers[i].st;

		pthread_join(workers[i].thread, NULL);
		tot.sent += s->sent;
		tot.send_txns += s->send_txns;
		tot.send_rollbacks += s->send_rollbacks;
		tot.reads += s->reads;
		tot.empty_reads += s->empty_reads;
		tot.delivered += s->delivered;
		tot.done += s->done;
		tot.gone += s->gone;
		tot.fault_reads += s->fault_reads;
		tot.rolled_back += s->rolled_back;
		tot.kept += s->kept;
		tot.poison_sent += s->poison_sent;
		tot.poison_rolled_back += s->poison_rolled_back;
		tot.poison_kept += s->poison_kept;
		tot.kept_for_dead_letters += s->kept_for_dead_letters;
		tot.expected_errors += s->expected_errors;
		tot.conn_lost += s->conn_lost;
		tot.churn_create += s->churn_create;
		tot.churn_drop += s->churn_drop;
		tot.churn_purge += s->churn_purge;
		tot.churn_other += s->churn_other;
	}
	if (ack_fd >= 0)
		close(ack_fd);

	/* with -X an empty queue is the end; the non-poison messages must be done */
	lost = poison_pct > 0 ? tot.done < tot.sent - tot.poison_sent : drained;
	result = failed ? "error" : timed_out ? "timeout" : lost ? "incomplete" :
		tot.conn_lost > 0 ? "connection_lost" : "ok";
	printf("pgq_stress: queue=%s mode=%s finish=%s producers=%d consumers=%d churn=%d"
		   " messages=%ld sent=%ld send_txns=%ld send_rollbacks=%ld"
		   " reads=%ld empty_reads=%ld delivered=%ld done=%ld gone=%ld"
		   " fault_reads=%ld rolled_back=%ld kept=%ld"
		   " poison_sent=%ld poison_rolled_back=%ld poison_kept=%ld kept_for_dead_letters=%ld"
		   " expected_errors=%ld conn_lost=%ld"
		   " churn_create=%ld churn_drop=%ld churn_purge=%ld churn_other=%ld"
		   " elapsed=%.2f result=%s\n",
		   queue, batch_mode ? "batch" : "single", use_archive ? "archive" : "delete",
		   nproducers, nconsumers, nchurn,
		   nmessages, tot.sent, tot.send_txns, tot.send_rollbacks,
		   tot.reads, tot.empty_reads, tot.delivered, tot.done, tot.gone,
		   tot.fault_reads, tot.rolled_back, tot.kept,
		   tot.poison_sent, tot.poison_rolled_back, tot.poison_kept, tot.kept_for_dead_letters,
		   tot.expected_errors, tot.conn_lost,
		   tot.churn_create, tot.churn_drop, tot.churn_purge, tot.churn_other,
		   elapsed(), result);
	fflush(stdout);

	if (failed)
		return 1;
	if (timed_out)
		return 2;
	if (lost)
		return 4;
	return 0;
}
