--
-- pgmq's API, called as pgmq's clients call it, through schema pgq.  The
-- same scripts run through schema pgmq in compat_pgmq; lenient.sql shows
-- where pgq's own functions are stricter than pgmq's.
-- (pg_regress runs this file from the top of the tree.)
--
\set s pgq
\ir test/compat/body.sql
\ir test/compat/lenient.sql
