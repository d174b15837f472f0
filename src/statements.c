/*-------------------------------------------------------------------------
 *
 * statements.c
 *		The catalogue of the statements pgq runs on a queue's tables: for
 *		each, its SQL text, its parameters and the row it returns.
 *
 * {q} in a statement's text stands for where the queue's messages are read:
 * the one child of the ring that holds them all (ONLY pgq."q_<name>$<k>"),
 * or else q_<name> with all its children (ring.c); {qw} for the child
 * sends write to, {aw} for the child of the archive a_<name> archive
 * writes to, {seq} for the msg_id sequence.  Values are always
 * parameters.  Every operator and function is schema-qualified, so nothing
 * is resolved through search_path.
 *
 * The result columns and SPI result code listed here are what execute.c holds every executed
 * plan to before a row reaches the caller: a queue table whose shape was
 * changed by hand gives an error (42804), never wrong data or a crash.
 *
 * The statements that find their rows through an index (use_indexes) are
 * planned with sequential and bitmap scans and sorts off (execute.c).  A queue
 * that keeps up is nearly empty, and its statistics say so, but its table
 * holds every dead row since the last vacuum: a generic plan made from
 * those statistics would read the whole table (or every entry of the vt
 * index up to now, and sort them) at every call, for as long as the plan
 * lives, instead of the few rows it takes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "pgq.h"

/*
 * The columns of pgq.message_record, as a select list over alias m: pgmq's
 * six, then pgq's own.  pgmq.message_record (extension pgq_pgmq) has the
 * first six only.
 */
#define PGMQ_MSG_COLUMNS \
	"m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message, m.headers"
#define MSG_COLUMNS PGMQ_MSG_COLUMNS ", m.last_read_at"
#define PGMQ_MSG_TYPES \
	{INT8OID, INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID, JSONBOID, JSONBOID}
#define MSG_TYPES \
	{INT8OID, INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID, JSONBOID, JSONBOID, TIMESTAMPTZOID}

/*
 * The ids read and pop hand out: visible ($1 = now), the one visible
 * longest first (vt, then msg_id), at most $2 of them, locked, skipping rows
 * other consumers hold.  Collected into an array so that the outer UPDATE or
 * DELETE finds its rows through the primary key whatever the generic plan
 * guesses about $2.
 *
 * The order is the one of the q_<name>_vt_idx index, (vt, msg_id): the scan
 * starts at the backend's low-water mark low (lowwater.c; -infinity: the
 * start of the index) and stops after $2 rows it could lock, so messages in
 * flight (vt in the future) are never visited, however many there are, nor
 * the dead entries below the mark.  filter is more of the WHERE clause.
 */
#define VISIBLE_IDS_WHERE(low, filter) \
	"ARRAY(SELECT msg_id FROM {q}" \
	" WHERE vt OPERATOR(pg_catalog.>=) " low " AND vt OPERATOR(pg_catalog.<=) $1" filter \
	" ORDER BY vt, msg_id LIMIT $2 FOR UPDATE SKIP LOCKED)"

/*
 * read: $1 now, $2 qty, $3 new vt, $4 the message must contain this
 * (NULL: any message), $5 the low-water mark.  A read with vt 0 ($3 = $1) leaves vt as it is: the
 * message stays visible and keeps its place.
 */
#define READ_SQL(columns) \
	"WITH u AS (UPDATE {q} m SET vt =" \
	"  CASE WHEN $3 OPERATOR(pg_catalog.>) $1 THEN $3 ELSE m.vt END," \
	"  read_ct = m.read_ct OPERATOR(pg_catalog.+) 1," \
	"  last_read_at = $1" \
	"  WHERE m.msg_id OPERATOR(pg_catalog.=) ANY (" \
	VISIBLE_IDS_WHERE("$5", " AND ($4 IS NULL OR message OPERATOR(pg_catalog.@>) $4)") ")" \
	"  RETURNING " columns ")" \
	" SELECT * FROM u ORDER BY msg_id"
#define READ_ARGS	5, {TIMESTAMPTZOID, INT8OID, TIMESTAMPTZOID, JSONBOID, TIMESTAMPTZOID}

/* pop: $1 now, $2 qty, $3 the low-water mark */
#define POP_SQL(columns) \
	"WITH d AS (DELETE FROM {q} m" \
	"  WHERE m.msg_id OPERATOR(pg_catalog.=) ANY (" VISIBLE_IDS_WHERE("$3", "") ")" \
	"  RETURNING " columns ")" \
	" SELECT * FROM d ORDER BY msg_id"
#define POP_ARGS	3, {TIMESTAMPTZOID, INT8OID, TIMESTAMPTZOID}

/* set_vt: $1 msg_id, $2 new vt */
#define SET_VT_SQL(columns) \
	"UPDATE {q} m SET vt = $2" \
	" WHERE m.msg_id OPERATOR(pg_catalog.=) $1" \
	" RETURNING " columns
#define SET_VT_ARGS	2, {INT8OID, TIMESTAMPTZOID}

const PgqStmtDef pgq_stmts[PGQ_NUM_STMTS] = {
	[PGQ_STMT_SEND] = {
		"send",
		/* $1 vt, $2 message, $3 headers */
		"INSERT INTO pgq.{qw} (vt, message, headers)"
		" VALUES ($1, $2, $3) RETURNING msg_id",
		3, {TIMESTAMPTZOID, JSONBOID, JSONBOID},
		1, {INT8OID},
		SPI_OK_INSERT_RETURNING
	},
	[PGQ_STMT_SEND_BATCH] = {
		"send_batch",
		/* $1 vt, $2 messages, $3 headers (NULL: none) */
		"INSERT INTO pgq.{qw} (vt, message, headers)"
		" SELECT $1, b.message, b.headers"
		" FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3))"
		"  AS b(message, headers)"
		" RETURNING msg_id",
		3, {TIMESTAMPTZOID, JSONBARRAYOID, JSONBARRAYOID},
		1, {INT8OID},
		SPI_OK_INSERT_RETURNING
	},
	[PGQ_STMT_READ] = {
		"read", READ_SQL(MSG_COLUMNS), READ_ARGS, 7, MSG_TYPES, SPI_OK_SELECT, true
	},
	[PGQ_STMT_READ_PGMQ] = {
		"read", READ_SQL(PGMQ_MSG_COLUMNS), READ_ARGS, 6, PGMQ_MSG_TYPES, SPI_OK_SELECT, true
	},
	[PGQ_STMT_POP] = {
		"pop", POP_SQL(MSG_COLUMNS), POP_ARGS, 7, MSG_TYPES, SPI_OK_SELECT, true
	},
	[PGQ_STMT_POP_PGMQ] = {
		"pop", POP_SQL(PGMQ_MSG_COLUMNS), POP_ARGS, 6, PGMQ_MSG_TYPES, SPI_OK_SELECT, true
	},
	[PGQ_STMT_SET_VT] = {
		"set_vt", SET_VT_SQL(MSG_COLUMNS), SET_VT_ARGS, 7, MSG_TYPES,
		SPI_OK_UPDATE_RETURNING, true
	},
	[PGQ_STMT_SET_VT_PGMQ] = {
		"set_vt", SET_VT_SQL(PGMQ_MSG_COLUMNS), SET_VT_ARGS, 6, PGMQ_MSG_TYPES,
		SPI_OK_UPDATE_RETURNING, true
	},
	[PGQ_STMT_DELETE] = {
		"delete",
		/* $1 msg_id */
		"DELETE FROM {q} WHERE msg_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID},
		0, {InvalidOid},
		SPI_OK_DELETE, true
	},
	[PGQ_STMT_DELETE_BATCH] = {
		"delete",
		/* $1 msg_ids */
		"WITH d AS (DELETE FROM {q}"
		"  WHERE msg_id OPERATOR(pg_catalog.=) ANY ($1)"
		"  RETURNING msg_id)"
		" SELECT msg_id FROM d ORDER BY msg_id",
		1, {INT8ARRAYOID},
		1, {INT8OID},
		SPI_OK_SELECT, true
	},
	[PGQ_STMT_ARCHIVE] = {
		"archive",
		/* $1 msg_id */
		"WITH m AS (DELETE FROM {q}"
		"  WHERE msg_id OPERATOR(pg_catalog.=) $1"
		"  RETURNING *)"
		" INSERT INTO pgq.{aw} (msg_id, read_ct, enqueued_at,"
		"  vt, message, headers, last_read_at)"
		" SELECT " MSG_COLUMNS " FROM m",
		1, {INT8OID},
		0, {InvalidOid},
		SPI_OK_INSERT, true
	},
	[PGQ_STMT_ARCHIVE_BATCH] = {
		"archive",
		/* $1 msg_ids */
		"WITH m AS (DELETE FROM {q}"
		"  WHERE msg_id OPERATOR(pg_catalog.=) ANY ($1)"
		"  RETURNING *),"
		" i AS (INSERT INTO pgq.{aw} (msg_id, read_ct, enqueued_at,"
		"  vt, message, headers, last_read_at)"
		"  SELECT " MSG_COLUMNS " FROM m RETURNING msg_id)"
		" SELECT msg_id FROM i ORDER BY msg_id",
		1, {INT8ARRAYOID},
		1, {INT8OID},
		SPI_OK_SELECT, true
	},
	[PGQ_STMT_PURGE] = {
		"purge_queue",

		/*
		 * Lock the rows in msg_id order, as delete and archive of several
		 * messages do, so that two purges, or a purge and such a delete,
		 * cannot lock them in opposite orders and deadlock.  (read and pop
		 * lock in (vt, msg_id) order but never wait: SKIP LOCKED.)
		 */
		"DELETE FROM {q}"
		" WHERE msg_id OPERATOR(pg_catalog.=) ANY (ARRAY("
		"  SELECT msg_id FROM {q} ORDER BY msg_id FOR UPDATE))",
		0, {InvalidOid},
		0, {InvalidOid},
		SPI_OK_DELETE
	},
	[PGQ_STMT_METRICS] = {
		"metrics",

		/*
		 * $1 now, $2 how many rows to count at most (NULL: all).  A plain
		 * scan that stops after $2 rows.  The sequence's last value is read
		 * from the sequence itself, not with pg_sequence_last_value(), which
		 * would keep it locked until the end of the caller's transaction.
		 */
		"SELECT pg_catalog.count(*),"
		" pg_catalog.count(*) FILTER (WHERE s.vt OPERATOR(pg_catalog.<=) $1),"
		" pg_catalog.max(s.enqueued_at), pg_catalog.min(s.enqueued_at),"
		" (SELECT CASE WHEN l.is_called THEN l.last_value END FROM {seq} l)"
		" FROM (SELECT vt, enqueued_at FROM {q} LIMIT $2) s",
		2, {TIMESTAMPTZOID, INT8OID},
		5, {INT8OID, INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID},
		SPI_OK_SELECT
	},
	[PGQ_STMT_METRICS_ENDS] = {
		"metrics",

		/*
		 * $1 the queue table.  The enqueued_at of the newest and of the
		 * oldest message by msg_id (two probes of the primary key), the
		 * statistics system's count of live rows, the planner's estimate
		 * (reltuples per page times the pages there are now), and the number
		 * of pages there are now, each summed over the table and its
		 * children (ring.c).
		 */
		"WITH r AS (SELECT c.oid, c.relpages, c.reltuples,"
		"   pg_catalog.pg_relation_size(c.oid)"
		"    OPERATOR(pg_catalog./) pg_catalog.current_setting('block_size')::pg_catalog.int8 AS pages"
		"  FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) $1"
		"   OR c.oid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT i.inhrelid FROM pg_catalog.pg_inherits i"
		"    WHERE i.inhparent OPERATOR(pg_catalog.=) $1)))"
		" SELECT (SELECT enqueued_at FROM {q}"
		"   ORDER BY msg_id DESC LIMIT 1),"
		" (SELECT enqueued_at FROM {q} ORDER BY msg_id LIMIT 1),"
		" (SELECT pg_catalog.sum(pg_catalog.pg_stat_get_live_tuples(r.oid))::pg_catalog.int8 FROM r),"
		" (SELECT CASE WHEN pg_catalog.bool_and(r.pages OPERATOR(pg_catalog.=) 0"
		"   OR (r.relpages OPERATOR(pg_catalog.>) 0 AND r.reltuples OPERATOR(pg_catalog.>=) 0))"
		"  THEN pg_catalog.sum(CASE WHEN r.relpages OPERATOR(pg_catalog.>) 0"
		"   THEN r.reltuples OPERATOR(pg_catalog./) r.relpages OPERATOR(pg_catalog.*) r.pages"
		"   ELSE 0 END)::pg_catalog.int8 END FROM r),"
		" (SELECT pg_catalog.sum(r.pages)::pg_catalog.int8 FROM r)",
		1, {OIDOID},
		5, {TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID, INT8OID, INT8OID},
		SPI_OK_SELECT
	},
	[PGQ_STMT_METRICS_INVISIBLE] = {
		"metrics",
		/* $1 now, $2 limit: messages in flight or delayed, from the vt index's far end */
		"SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {q}"
		" WHERE vt OPERATOR(pg_catalog.>) $1 ORDER BY vt DESC LIMIT $2) s",
		2, {TIMESTAMPTZOID, INT8OID},
		1, {INT8OID},
		SPI_OK_SELECT
	},
	[PGQ_STMT_METRICS_VISIBLE] = {
		"metrics",
		/* $1 now, $2 limit: visible messages, from the vt index's start */
		"SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {q}"
		" WHERE vt OPERATOR(pg_catalog.<=) $1 ORDER BY vt LIMIT $2) s",
		2, {TIMESTAMPTZOID, INT8OID},
		1, {INT8OID},
		SPI_OK_SELECT
	},
	[PGQ_STMT_METRICS_SAMPLE] = {
		"metrics",
		/* $1 now, $2 percent of the table's pages to sample */
		"SELECT pg_catalog.count(*) FILTER (WHERE vt OPERATOR(pg_catalog.<=) $1),"
		" pg_catalog.count(*) FROM {q} TABLESAMPLE pg_catalog.system ($2)",
		2, {TIMESTAMPTZOID, FLOAT4OID},
		2, {INT8OID, INT8OID},
		SPI_OK_SELECT
	},
	[PGQ_STMT_LOW_PROBE] = {
		"read",
		/*
		 * $1 the current low-water mark, $2 now: the smallest vt of a live
		 * row from the mark up to now (lowwater.c), locked rows included;
		 * never past now, where messages in flight and their dead entries
		 * are
		 */
		"SELECT vt FROM {q}"
		" WHERE vt OPERATOR(pg_catalog.>=) $1 AND vt OPERATOR(pg_catalog.<=) $2"
		" ORDER BY vt, msg_id LIMIT 1",
		2, {TIMESTAMPTZOID, TIMESTAMPTZOID},
		1, {TIMESTAMPTZOID},
		SPI_OK_SELECT, true
	},
	[PGQ_STMT_NEXT_VT] = {
		"read_with_poll",
		/*
		 * $1 now: the earliest vt after it, when read_with_poll's leader
		 * wakes (wait.c); the start of the vt index, past the visible
		 * messages
		 */
		"SELECT vt FROM {q} WHERE vt OPERATOR(pg_catalog.>) $1 ORDER BY vt LIMIT 1",
		1, {TIMESTAMPTZOID},
		1, {TIMESTAMPTZOID},
		SPI_OK_SELECT, true
	},
};

/* buf += text with every token replaced by its value */
static void
append_replaced(StringInfo buf, const char *text, int ntokens,
				const char *const *tokens, const char *const *values)
{
	while (*text != '\0')
	{
		int			i;

		for (i = 0; i < ntokens; i++)
		{
			size_t		len = strlen(tokens[i]);

			if (strncmp(text, tokens[i], len) == 0)
			{
				appendStringInfoString(buf, values[i]);
				text += len;
				break;
			}
		}
		if (i == ntokens)
			appendStringInfoChar(buf, *text++);
	}
}

/*
 * The text of statement stmt for the queue, in the current memory context.
 */
char *
pgq_stmt_sql(const PgqQueue *queue, PgqStmt stmt)
{
	static const char *const tokens[] = {"{qw}", "{aw}", "{q}", "{seq}"};
	const char *values[4];
	const char *sql = pgq_stmts[stmt].sql;
	StringInfoData buf;

	Assert(stmt >= 0 && stmt < PGQ_NUM_STMTS);
	values[0] = quote_identifier(queue->ring_slot < 0 ? psprintf("q_%s", queue->name) :
								 pgq_ring_child('q', queue->name, queue->ring_slot));
	values[1] = quote_identifier(queue->archive_slot < 0 ? psprintf("a_%s", queue->name) :
								 pgq_ring_child('a', queue->name, queue->archive_slot));
	values[2] = queue->read_slot < 0 ?
		psprintf("pgq.%s", quote_identifier(psprintf("q_%s", queue->name))) :
		psprintf("ONLY pgq.%s", quote_identifier(pgq_ring_child('q', queue->name,
															   queue->read_slot)));
	values[3] = NULL;
	if (strstr(sql, "{seq}") != NULL)
	{
		Oid			seqid = pgq_msg_id_sequence(queue->relid);

		values[3] = quote_qualified_identifier(get_namespace_name(get_rel_namespace(seqid)),
											   get_rel_name(seqid));
	}

	initStringInfo(&buf);
	append_replaced(&buf, sql, lengthof(tokens), tokens, values);
	return buf.data;
}
