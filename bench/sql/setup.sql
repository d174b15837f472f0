-- bench/sql/setup.sql: the benchmark database.
--
-- pgq's queue "bq", and the reference tables ref_q and ref_a: copies of the tables that
-- pgq.create_queue made for bq (src/queue.c), with the same columns, defaults, identity,
-- constraints and indexes, so that both sides write to identical tables and differ only in how
-- the statements reach them.
\set ON_ERROR_STOP 1

CREATE EXTENSION pgq;
SELECT pgq.create_queue('bq');

CREATE TABLE public.ref_q (LIKE pgq.q_bq INCLUDING ALL);
CREATE TABLE public.ref_a (LIKE pgq.a_bq INCLUDING ALL);

-- the copies must match: columns (type, not null, identity, default) and index definitions
DO $$
DECLARE
    t record;
    diff bigint;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('pgq.q_bq'::regclass, 'public.ref_q'::regclass),
                                   ('pgq.a_bq'::regclass, 'public.ref_a'::regclass)) v(orig, copy)
    LOOP
        WITH cols AS (
            SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod) AS type,
                   a.attnotnull, a.attidentity, pg_get_expr(d.adbin, d.adrelid) AS dflt
            FROM pg_attribute a
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid IN (t.orig, t.copy) AND a.attnum > 0 AND NOT a.attisdropped),
        idx AS (
            SELECT i.indrelid AS attrelid,
                   regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '') AS def,
                   i.indisprimary, i.indisunique
            FROM pg_index i WHERE i.indrelid IN (t.orig, t.copy))
        SELECT (SELECT count(*) FROM (
                    (SELECT attname, type, attnotnull, attidentity, dflt FROM cols WHERE attrelid = t.orig
                     EXCEPT ALL
                     SELECT attname, type, attnotnull, attidentity, dflt FROM cols WHERE attrelid = t.copy)
                    UNION ALL
                    (SELECT attname, type, attnotnull, attidentity, dflt FROM cols WHERE attrelid = t.copy
                     EXCEPT ALL
                     SELECT attname, type, attnotnull, attidentity, dflt FROM cols WHERE attrelid = t.orig)) c)
             + (SELECT count(*) FROM (
                    (SELECT def, indisprimary, indisunique FROM idx WHERE attrelid = t.orig
                     EXCEPT ALL
                     SELECT def, indisprimary, indisunique FROM idx WHERE attrelid = t.copy)
                    UNION ALL
                    (SELECT def, indisprimary, indisunique FROM idx WHERE attrelid = t.copy
                     EXCEPT ALL
                     SELECT def, indisprimary, indisunique FROM idx WHERE attrelid = t.orig)) i)
        INTO diff;
        IF diff > 0 THEN
            RAISE EXCEPTION '% is not a copy of %', t.copy, t.orig;
        END IF;
    END LOOP;
END
$$;
