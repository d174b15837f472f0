# pgq: PGXS build and test definitions

EXTENSION = pgq pgq_pgmq
# the version this tree builds: the control files and sql/<extension>--$(EXTVERSION).sql are
# made from it; test/version.sh checks every other place that names it
EXTVERSION = 0.6.0
# the maintainers' contact, which debian/ and META.json must name (test/version.sh)
MAINTAINER = pgq maintainers <maintainers@pgq.dev>

MODULE_big = pgq
OBJS = \
	src/pgq.o \
	src/execute.o \
	src/statements.o \
	src/queue.o \
	src/lifecycle.o \
	src/plancache.o \
	src/send.o \
	src/read.o \
	src/delete.o \
	src/metrics.o \
	src/grant.o \
	src/schema.o \
	src/upgrade.o \
	src/partition.o \
	src/wait.o \
	src/notify.o \
	src/lowwater.o \
	src/ring.o \
	src/worker.o \
	src/policy.o \
	src/compat.o

# sql/pgq.sql and sql/pgq_pgmq.sql are the install scripts of EXTVERSION; the scripts of
# earlier versions and every upgrade script are kept as written
DATA_built = $(foreach ext,$(EXTENSION),sql/$(ext)--$(EXTVERSION).sql)
DATA = $(filter-out $(DATA_built),$(wildcard $(foreach ext,$(EXTENSION),sql/$(ext)--*.sql)))
PGFILEDESC = "pgq - message queue with visibility timeouts"

REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --load-extension=pgq

ISOLATION = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
# --outputdir=. so that, on PG 15, expected output is found in ./expected
# as for REGRESS (PGXS's default output_iso/ would look elsewhere)
ISOLATION_OPTS = --inputdir=test --outputdir=. --load-extension=pgq

TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard test/t/*.pl))

EXTRA_CLEAN = results output_iso tmp_check log $(addsuffix .control,$(EXTENSION))

PG_CONFIG ?= pg_config

# PostgreSQL's headers as system headers: -Wextra then judges our code only
PG_CPPFLAGS = -isystem $(shell $(PG_CONFIG) --includedir-server)

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# every source file includes the shared header
$(OBJS): src/pgq.h

$(DATA_built): sql/%--$(EXTVERSION).sql: sql/%.sql
	cp $< $@

# PGXS's "all" and "install" take the control files from here
$(addsuffix .control,$(EXTENSION)): %.control: %.control.in Makefile
	sed "s/@EXTVERSION@/$(EXTVERSION)/g" $< >$@

.PHONY: check-version

check-version: $(DATA_built) $(addsuffix .control,$(EXTENSION))
	@bash test/version.sh
