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

/* pgmq's and pgq's columns over alias u, the outer query of a WITH */
#define PGMQ_U_COLUMNS \
	"u.msg_id, u.read_ct, u.enqueued_at, u.vt, u.message, u.headers"
#define U_COLUMNS PGMQ_U_COLUMNS ", u.last_read_at"

/*
 * Queues with priorities (policy.c) have an index on (priority, vt, msg_id)
 * besides the one on (vt, msg_id): for each priority, highest first, the
 * visible messages of that priority, as VISIBLE_IDS_WHERE finds them, until
 * $2 are found.  Each priority is one descent of the index, from its own
 * low-water mark (lows, an array indexed by priority + 1): a read visits at
 * most PGQ_PRIORITY_MAX + 1 starts, whatever is waiting or in flight.
 */
#define PRIORITY_LEVELS "pg_catalog.generate_series(9, 0, -1) p(p)"
#define BY_PRIORITY(columns, lows, filter) \
	"SELECT " columns " FROM " PRIORITY_LEVELS ", LATERAL (SELECT msg_id, read_ct FROM {q}" \
	" WHERE priority OPERATOR(pg_catalog.=) p.p" \
	" AND vt OPERATOR(pg_catalog.>=) (" lows ")[p.p OPERATOR(pg_catalog.+) 1]" \
	" AND vt OPERATOR(pg_catalog.<=) $1" filter \
	" ORDER BY vt, msg_id LIMIT $2 FOR UPDATE SKIP LOCKED) c LIMIT $2"
#define CONDITIONAL(arg) " AND (" arg " IS NULL OR message OPERATOR(pg_catalog.@>) " arg ")"
#define NOT_HANDED " AND msg_id OPERATOR(pg_catalog.<>) ALL ($5)"

/* read of a queue with priorities: as READ_SQL, highest priority first */
#define READ_PRI_SQL(columns, ucolumns) \
	"WITH u AS (UPDATE {q} m SET vt =" \
	"  CASE WHEN $3 OPERATOR(pg_catalog.>) $1 THEN $3 ELSE m.vt END," \
	"  read_ct = m.read_ct OPERATOR(pg_catalog.+) 1," \
	"  last_read_at = $1" \
	"  WHERE m.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY(" \
	BY_PRIORITY("c.msg_id", "$5", CONDITIONAL("$4")) "))" \
	"  RETURNING " columns ", m.priority AS pgq_priority)" \
	" SELECT " ucolumns " FROM u ORDER BY u.pgq_priority DESC, u.msg_id"

/* as READ_ARGS and POP_ARGS, with a low-water mark per priority */
#define READ_PRI_ARGS	5, {TIMESTAMPTZOID, INT8OID, TIMESTAMPTZOID, JSONBOID, TIMESTAMPTZARRAYOID}
#define POP_PRI_ARGS	3, {TIMESTAMPTZOID, INT8OID, TIMESTAMPTZARRAYOID}

#define POP_PRI_SQL(columns, ucolumns) \
	"WITH u AS (DELETE FROM {q} m" \
	"  WHERE m.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY(" BY_PRIORITY("c.msg_id", "$3", "") "))" \
	"  RETURNING " columns ", m.priority AS pgq_priority)" \
	" SELECT " ucolumns " FROM u ORDER BY u.pgq_priority DESC, u.msg_id"

/*
 * The messages a read under a policy hands out (policy.c): $1 now, $2 the
 * ids in the order they are returned, $3 the deliveries each had that
 * rolled back, $4 the new vt of each (NULL: as it is, for vt 0).
 */
#define DELIVER_SQL(columns, ucolumns) \
	"WITH u AS (UPDATE {q} m SET vt = COALESCE(x.vt, m.vt)," \
	"  read_ct = m.read_ct OPERATOR(pg_catalog.+) 1 OPERATOR(pg_catalog.+) x.extra," \
	"  last_read_at = $1" \
	"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4))" \
	"   WITH ORDINALITY AS x(id, extra, vt, ord)" \
	"  WHERE m.msg_id OPERATOR(pg_catalog.=) x.id" \
	"  RETURNING " columns ", x.ord AS pgq_ord)" \
	" SELECT " ucolumns " FROM u ORDER BY u.pgq_ord"
#define DELIVER_ARGS 4, {TIMESTAMPTZOID, INT8ARRAYOID, INT4ARRAYOID, TIMESTAMPTZARRAYOID}

/*
 * Dead letters: $1 the ids, $2 the deliveries of each that rolled back,
 * $3 now, $4 why, $5 the queue's name.  Deleted from {q}; their headers
 * get key pgq_dead_letter, which says where they came from and keeps what
 * redrive puts back (the original headers among it).  Over alias m, the
 * rows deleted.
 */
#define DEAD_DELETE \
	"WITH d AS (DELETE FROM {q} t" \
	"  USING ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS x(id, extra)" \
	"  WHERE t.msg_id OPERATOR(pg_catalog.=) x.id" \
	"  RETURNING t.*, x.extra AS pgq_extra)"
#define DEAD_READ_CT "m.read_ct OPERATOR(pg_catalog.+) m.pgq_extra"
#define DEAD_HEADERS \
	"CASE WHEN pg_catalog.jsonb_typeof(m.headers) OPERATOR(pg_catalog.=) 'object'" \
	" THEN m.headers ELSE '{}'::pg_catalog.jsonb END OPERATOR(pg_catalog.||)" \
	" pg_catalog.jsonb_build_object('pgq_dead_letter', pg_catalog.jsonb_build_object(" \
	"  'queue', $5, 'msg_id', m.msg_id, 'read_ct', " DEAD_READ_CT "," \
	"  'enqueued_at', m.enqueued_at, 'priority', m.priority, 'headers', m.headers," \
	"  'reason', $4, 'dead_lettered_at', $3))"
#define DEAD_ARGS 5, {INT8ARRAYOID, INT4ARRAYOID, TIMESTAMPTZOID, TEXTOID, TEXTOID}

/* the columns SEND_MOVED takes, as arrays of one row each */
#define MOVED_TYPES \
	{JSONBARRAYOID, JSONBARRAYOID, INT4ARRAYOID, TIMESTAMPTZARRAYOID, INT2ARRAYOID, INT8OID}

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
	[PGQ_STMT_SEND_EXT] = {
		"send",

		/*
		 * $1 vt, $2 message, $3 headers, $4 priority, $5 the msg_id a
		 * deduplication key claimed (NULL: a new one), $6 the sequence
		 */
		"INSERT INTO pgq.{qw} (msg_id, vt, message, headers, priority) OVERRIDING SYSTEM VALUE"
		" VALUES (COALESCE($5, pg_catalog.nextval($6::pg_catalog.regclass)), $1, $2, $3, $4)"
		" RETURNING msg_id",
		6, {TIMESTAMPTZOID, JSONBOID, JSONBOID, INT2OID, INT8OID, OIDOID},
		1, {INT8OID},
		SPI_OK_INSERT_RETURNING
	},
	[PGQ_STMT_SEND_BATCH_EXT] = {
		"send_batch",
		/* $1 vt, $2 messages, $3 headers (NULL: none), $4 priority */
		"INSERT INTO pgq.{qw} (vt, message, headers, priority)"
		" SELECT $1, b.message, b.headers, $4"
		" FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3))"
		"  AS b(message, headers)"
		" RETURNING msg_id",
		4, {TIMESTAMPTZOID, JSONBARRAYOID, JSONBARRAYOID, INT2OID},
		1, {INT8OID},
		SPI_OK_INSERT_RETURNING
	},
	[PGQ_STMT_SEND_MOVED] = {
		"send",

		/*
		 * Messages moved from another queue (dead letters, redrive): $1 vt,
		 * $2 to $6 the columns as arrays, $7 keep their priorities (else 0)
		 */
		"INSERT INTO pgq.{qw} (vt, message, headers, read_ct, enqueued_at, priority)"
		" SELECT $1, b.message, b.headers, b.read_ct, b.enqueued_at,"
		"  CASE WHEN $7 THEN b.priority ELSE 0::pg_catalog.int2 END"
		" FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4),"
		"  pg_catalog.unnest($5), pg_catalog.unnest($6))"
		"  AS b(message, headers, read_ct, enqueued_at, priority)"
		" RETURNING msg_id",
		7, {TIMESTAMPTZOID, JSONBARRAYOID, JSONBARRAYOID, INT4ARRAYOID, TIMESTAMPTZARRAYOID,
		INT2ARRAYOID, BOOLOID},
		1, {INT8OID},
		SPI_OK_INSERT_RETURNING
	},
	[PGQ_STMT_READ_PRI] = {
		"read", READ_PRI_SQL(MSG_COLUMNS, U_COLUMNS), READ_PRI_ARGS, 7, MSG_TYPES, SPI_OK_SELECT, true
	},
	[PGQ_STMT_READ_PRI_PGMQ] = {
		"read", READ_PRI_SQL(PGMQ_MSG_COLUMNS, PGMQ_U_COLUMNS), READ_PRI_ARGS, 6, PGMQ_MSG_TYPES,
		SPI_OK_SELECT, true
	},
	[PGQ_STMT_POP_PRI] = {
		"pop", POP_PRI_SQL(MSG_COLUMNS, U_COLUMNS), POP_PRI_ARGS, 7, MSG_TYPES, SPI_OK_SELECT, true
	},
	[PGQ_STMT_POP_PRI_PGMQ] = {
		"pop", POP_PRI_SQL(PGMQ_MSG_COLUMNS, PGMQ_U_COLUMNS), POP_PRI_ARGS, 6, PGMQ_MSG_TYPES,
		SPI_OK_SELECT, true
	},
	[PGQ_STMT_CANDIDATES] = {
		"read",
		/*
		 * $1 now, $2 qty, $3 conditional, $4 the low-water mark, $5 ids
		 * not to take (handed out by this read already): the messages to
		 * hand out, locked
		 */
		"SELECT msg_id, read_ct FROM {q}"
		" WHERE vt OPERATOR(pg_catalog.>=) $4 AND vt OPERATOR(pg_catalog.<=) $1"
		CONDITIONAL("$3") NOT_HANDED
		" ORDER BY vt, msg_id LIMIT $2 FOR UPDATE SKIP LOCKED",
		5, {TIMESTAMPTZOID, INT8OID, JSONBOID, TIMESTAMPTZOID, INT8ARRAYOID},
		2, {INT8OID, INT4OID},
		SPI_OK_SELECT, true
	},
	[PGQ_STMT_CANDIDATES_PRI] = {
		"read",
		BY_PRIORITY("c.msg_id, c.read_ct", "$4", CONDITIONAL("$3") NOT_HANDED),
		5, {TIMESTAMPTZOID, INT8OID, JSONBOID, TIMESTAMPTZARRAYOID, INT8ARRAYOID},
		2, {INT8OID, INT4OID},
		SPI_OK_SELECT, true
	},
	[PGQ_STMT_DELIVER] = {
		"read", DELIVER_SQL(MSG_COLUMNS, U_COLUMNS), DELIVER_ARGS, 7, MSG_TYPES, SPI_OK_SELECT, true
	},
	[PGQ_STMT_DELIVER_PGMQ] = {
		"read", DELIVER_SQL(PGMQ_MSG_COLUMNS, PGMQ_U_COLUMNS), DELIVER_ARGS, 6, PGMQ_MSG_TYPES,
		SPI_OK_SELECT, true
	},
	[PGQ_STMT_DEAD_TAKE] = {
		"read",
		/* dead letters for a dead-letter queue: one row of arrays for its SEND_MOVED */
		DEAD_DELETE
		" SELECT pg_catalog.array_agg(m.message), pg_catalog.array_agg(" DEAD_HEADERS "),"
		"  pg_catalog.array_agg(" DEAD_READ_CT "), pg_catalog.array_agg(m.enqueued_at),"
		"  pg_catalog.array_agg(m.priority), pg_catalog.count(*)"
		" FROM d m",
		DEAD_ARGS,
		6, MOVED_TYPES,
		SPI_OK_SELECT, true
	},
	[PGQ_STMT_DEAD_ARCHIVE] = {
		"read",
		/* dead letters of a queue without a dead-letter queue: to the archive */
		DEAD_DELETE
		" INSERT INTO pgq.{aw} (msg_id, read_ct, enqueued_at, vt, message, headers, last_read_at)"
		" SELECT m.msg_id, " DEAD_READ_CT ", m.enqueued_at, m.vt, m.message, " DEAD_HEADERS ","
		"  m.last_read_at FROM d m",
		DEAD_ARGS,
		0, {InvalidOid},
		SPI_OK_INSERT, true
	},
	[PGQ_STMT_REDRIVE_TAKE] = {
		"redrive",

		/*
		 * Of a dead-letter queue: $1 the queue the messages go back to, $2
		 * which (NULL: any), $3 how many at most.  One row of arrays for the
		 * queue's SEND_MOVED: the original headers and priority, read_ct 0.
		 */
		"WITH d AS (DELETE FROM {q} t WHERE t.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY("
		"  SELECT msg_id FROM {q}"
		"  WHERE headers OPERATOR(pg_catalog.->) 'pgq_dead_letter' OPERATOR(pg_catalog.->>) 'queue'"
		"   OPERATOR(pg_catalog.=) $1"
		"   AND ($2 IS NULL OR msg_id OPERATOR(pg_catalog.=) ANY ($2))"
		"  ORDER BY msg_id LIMIT $3 FOR UPDATE SKIP LOCKED))"
		"  RETURNING t.message, t.headers OPERATOR(pg_catalog.->) 'pgq_dead_letter' AS info)"
		" SELECT pg_catalog.array_agg(d.message),"
		"  pg_catalog.array_agg(CASE WHEN pg_catalog.jsonb_typeof(d.info OPERATOR(pg_catalog.->) 'headers')"
		"   OPERATOR(pg_catalog.<>) 'null' THEN d.info OPERATOR(pg_catalog.->) 'headers' END),"
		"  pg_catalog.array_agg(0),"
		"  pg_catalog.array_agg(COALESCE((d.info OPERATOR(pg_catalog.->>) 'enqueued_at')::pg_catalog.timestamptz,"
		"   pg_catalog.now())),"
		"  pg_catalog.array_agg(COALESCE((d.info OPERATOR(pg_catalog.->>) 'priority')::pg_catalog.int2,"
		"   0::pg_catalog.int2)),"
		"  pg_catalog.count(*)"
		" FROM d",
		3, {TEXTOID, INT8ARRAYOID, INT8OID},
		6, MOVED_TYPES,
		SPI_OK_SELECT
	},
	[PGQ_STMT_READ_CT] = {
		"nack",
		/* $1 msg_id */
		"SELECT read_ct FROM {q} WHERE msg_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID},
		1, {INT4OID},
		SPI_OK_SELECT, true
	},
	[PGQ_STMT_DEDUP_CLAIM] = {
		"send",

		/*
		 * $1 the key, $2 until when it holds, $3 now, $4 the sequence: a
		 * new msg_id for the key, unless a message sent within the window
		 * has it.  A concurrent send of the same key waits here for the
		 * first one's transaction, then finds the key taken (or free, if
		 * that one rolled back).
		 */
		"INSERT INTO {d} AS d (dedup_key, msg_id, expires_at)"
		" VALUES ($1, pg_catalog.nextval($4::pg_catalog.regclass), $2)"
		" ON CONFLICT (dedup_key) DO UPDATE SET msg_id = EXCLUDED.msg_id,"
		"  expires_at = EXCLUDED.expires_at"
		" WHERE d.expires_at OPERATOR(pg_catalog.<=) $3"
		" RETURNING d.msg_id",
		4, {TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, OIDOID},
		1, {INT8OID},
		SPI_OK_INSERT_RETURNING
	},
	[PGQ_STMT_DEDUP_FIND] = {
		"send",
		/* $1 the key, $2 now: the msg_id of the send that holds it */
		"SELECT msg_id FROM {d} WHERE dedup_key OPERATOR(pg_catalog.=) $1"
		" AND expires_at OPERATOR(pg_catalog.>) $2",
		2, {TEXTOID, TIMESTAMPTZOID},
		1, {INT8OID},
		SPI_OK_SELECT
	},
	[PGQ_STMT_DEDUP_EXPIRE] = {
		"maintain_queue",
		/* $1 now: forget keys whose window has passed, 10,000 at a time */
		"DELETE FROM {d} WHERE dedup_key OPERATOR(pg_catalog.=) ANY (ARRAY("
		" SELECT dedup_key FROM {d} WHERE expires_at OPERATOR(pg_catalog.<=) $1"
		" ORDER BY expires_at LIMIT 10000 FOR UPDATE SKIP LOCKED))",
		1, {TIMESTAMPTZOID},
		0, {InvalidOid},
		SPI_OK_DELETE
	},
	[PGQ_STMT_DEPTH_BOUND] = {
		"send",

		/*
		 * At most how many messages the queue holds: the last msg_id given
		 * out, and the smallest one still there (one probe of the primary
		 * key); every message has an id between them
		 */
		"SELECT (SELECT CASE WHEN l.is_called THEN l.last_value END FROM {seq} l),"
		" (SELECT msg_id FROM {q} ORDER BY msg_id LIMIT 1)",
		0, {InvalidOid},
		2, {INT8OID, INT8OID},
		SPI_OK_SELECT, true
	},
	[PGQ_STMT_DEPTH_COUNT] = {
		"send",
		/* $1: the messages of the queue, counted up to $1 */
		"SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {q} ORDER BY msg_id LIMIT $1) s",
		1, {INT8OID},
		1, {INT8OID},
		SPI_OK_SELECT, true
	},
	[PGQ_STMT_LOW_PROBE_PRI] = {
		"read",
		/* $1 the marks, $2 now: LOW_PROBE per priority */
		"SELECT p.p, (SELECT vt FROM {q} WHERE priority OPERATOR(pg_catalog.=) p.p"
		"  AND vt OPERATOR(pg_catalog.>=) ($1)[p.p OPERATOR(pg_catalog.+) 1]"
		"  AND vt OPERATOR(pg_catalog.<=) $2 ORDER BY vt, msg_id LIMIT 1)"
		" FROM " PRIORITY_LEVELS,
		2, {TIMESTAMPTZARRAYOID, TIMESTAMPTZOID},
		2, {INT4OID, TIMESTAMPTZOID},
		SPI_OK_SELECT, true
	},
	[PGQ_STMT_PRIORITY_HEADS] = {
		"priority_stats",
		/* $1 now, $2 the highest priority: per priority, the smallest vt of a visible message */
		"SELECT p.p, (SELECT pg_catalog.min(vt) FROM {q}"
		"  WHERE priority OPERATOR(pg_catalog.=) p.p AND vt OPERATOR(pg_catalog.<=) $1)"
		" FROM pg_catalog.generate_series($2, 0, -1) p(p)",
		2, {TIMESTAMPTZOID, INT4OID},
		2, {INT4OID, TIMESTAMPTZOID},
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
	static const char *const tokens[] = {"{qw}", "{aw}", "{q}", "{seq}", "{d}"};
	const char *values[5];
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
	values[4] = psprintf("pgq.%s", quote_identifier(psprintf("d_%s", queue->name)));
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
