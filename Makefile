# Makefile - one non-recursive Makefile for the whole mail server.
#
#   make                 build both daemons and the mailuser tool into build/
#   make run             start smtpd and pop3d on the embedded default (Ctrl-C stops both)
#   make check           unit, integration and interoperability tests (installs what they need)
#   make check SANITIZE=address,undefined   the same under the sanitizers (also: thread)
#   make bench           the load generator of tests/bench/ (a benchmark, never a test)
#   make rfc-index       labs/rfc-index.md: which code implements which RFC section
#   make install PREFIX=/usr/local DESTDIR=
#   make user NAME=alice [SCHEME=crypt|plain]   add a user (asks for the password)
#
# Every folder becomes a static library (libcommon.a, libmaildir.a,
# libsmtpd.a, libpop3d.a) so the tests link exactly the code the daemons run.

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
SANITIZE ?=
WERROR   ?= 0

comma := ,
ifeq ($(SANITIZE),)
BUILD    ?= build
OPTFLAGS := -O2 -D_FORTIFY_SOURCE=2
else
BUILD    ?= build/san-$(subst $(comma),-,$(SANITIZE))
OPTFLAGS := -O1 -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARN += -Werror
endif

CPPFLAGS += -I. -D_DEFAULT_SOURCE -DVERSION='"$(VERSION)"'
CFLAGS   += -std=c11 $(WARN) -g $(OPTFLAGS) -fstack-protector-strong -pthread -MMD -MP
LDFLAGS  += -pthread $(if $(SANITIZE),-fsanitize=$(SANITIZE))
LDLIBS   += -lcrypt
VERSION  := 0.1.0

CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

COMMON_SRC  := $(wildcard common/*.c)
MAILDIR_SRC := $(wildcard maildir/*.c)
SMTPD_SRC   := $(filter-out smtpd/main.c,$(wildcard smtpd/*.c))
POP3D_SRC   := $(filter-out pop3d/main.c,$(wildcard pop3d/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBCOMMON  := $(BUILD)/libcommon.a
LIBMAILDIR := $(BUILD)/libmaildir.a
LIBSMTPD   := $(BUILD)/libsmtpd.a
LIBPOP3D   := $(BUILD)/libpop3d.a
LIBS_ALL   := $(LIBSMTPD) $(LIBPOP3D) $(LIBMAILDIR) $(LIBCOMMON)

PROGRAMS := $(BUILD)/smtpd $(BUILD)/pop3d $(BUILD)/mailuser

.PHONY: all check check-unit check-integration check-interop deps run bench interop \
        rfc-index rfc-lint install user clean fuzz check-labs lab10
.DEFAULT_GOAL := all

all: $(PROGRAMS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(call obj,$(COMMON_SRC))
$(LIBMAILDIR): $(call obj,$(MAILDIR_SRC))
$(LIBSMTPD): $(call obj,$(SMTPD_SRC))
$(LIBPOP3D): $(call obj,$(POP3D_SRC))
$(BUILD)/lib%.a:
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/smtpd: $(BUILD)/obj/smtpd/main.o $(LIBSMTPD) $(LIBMAILDIR) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/pop3d: $(BUILD)/obj/pop3d/main.o $(LIBPOP3D) $(LIBMAILDIR) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/mailuser: $(BUILD)/obj/common/tools/mailuser.o $(LIBMAILDIR) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---- tests -----------------------------------------------------------------
# Each layer's runner finds its suites by name: every "Suite *x_suite(void)"
# defined in the layer's check_*.c is listed in a generated suites.h, so
# adding a test file needs no edit here.

SUPPORT_SRC := $(wildcard tests/support/*.c)
TEST_CFLAGS  = $(CHECK_CFLAGS) -Wno-missing-prototypes -DBUILD_DIR='"$(abspath $(BUILD))"' -DSOURCE_DIR='"$(CURDIR)"' \
               -I$(BUILD)/tests/$(1)

define test_layer
$(1)_SRC := $$(wildcard tests/$(1)/*.c)
$(BUILD)/tests/$(1)/suites.h: $$(filter tests/$(1)/check_%.c,$$($(1)_SRC)) Makefile
	@mkdir -p $$(dir $$@)
	sed -n 's/^Suite \*\([a-z0-9_]*_suite\)(void).*/SUITE(\1)/p' \
		$$(filter tests/$(1)/check_%.c,$$($(1)_SRC)) /dev/null > $$@.tmp
	mv $$@.tmp $$@
$(BUILD)/tests/$(1)/%.o: tests/$(1)/%.c $(BUILD)/tests/$(1)/suites.h
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CPPFLAGS) $$(CFLAGS) $$(call TEST_CFLAGS,$(1)) -c -o $$@ $$<
$(BUILD)/tests/run_$(1): $$(patsubst tests/%.c,$(BUILD)/tests/%.o,$$($(1)_SRC) $$(SUPPORT_SRC)) $$(LIBS_ALL)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(CHECK_LIBS) $$(LDLIBS)
endef
$(eval $(call test_layer,unit))
$(eval $(call test_layer,integration))
$(eval $(call test_layer,interop))

$(BUILD)/tests/support/%.o: tests/support/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(CHECK_CFLAGS) -Wno-missing-prototypes -DBUILD_DIR='"$(abspath $(BUILD))"' \
		-DSOURCE_DIR='"$(CURDIR)"' -c -o $@ $<

deps:
	@sh tests/tools/deps.sh

check: deps
	@$(MAKE) --no-print-directory check-unit check-integration check-interop rfc-lint

check-unit: $(BUILD)/tests/run_unit
	$(BUILD)/tests/run_unit
check-integration: $(PROGRAMS) $(BUILD)/tests/run_integration
	$(BUILD)/tests/run_integration
check-interop: $(PROGRAMS) $(BUILD)/tests/run_interop
	$(BUILD)/tests/run_interop

# Issue 5: the real Thunderbird, headless, against both daemons
# (tests/interop/thunderbird/run.sh installs it with apt when missing), after
# the interoperability suite of the other clients.
interop: $(PROGRAMS) $(BUILD)/tests/run_interop
	$(BUILD)/tests/run_interop
	BUILD=$(abspath $(BUILD)) sh tests/interop/thunderbird/run.sh

rfc-lint:
	@sh tests/tools/rfc-index.sh --lint
	@sh tests/tools/rfc-index.sh --check-fresh
	@sh tests/tools/layers.sh

rfc-index:
	@sh tests/tools/rfc-index.sh > labs/rfc-index.md
	@echo "wrote labs/rfc-index.md"

# ---- labs (labs/README.md) ---------------------------------------------------------
# Every lab's check replays its README against a freshly started server.
check-labs: $(PROGRAMS)
	LAB_BUILD=$(BUILD) SANITIZE=$(SANITIZE) sh labs/run-checks.sh

# Lab 10's exercise: a Check test that fails until the student's code is
# right. It lives in labs/, not tests/, so that make check stays green.
LAB10_SUPPORT_OBJ := $(patsubst tests/%.c,$(BUILD)/tests/%.o,$(SUPPORT_SRC))
$(BUILD)/labs/check_lab10.o: labs/10-extend-the-server/check_lab10.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(CHECK_CFLAGS) -DBUILD_DIR='"$(abspath $(BUILD))"' \
		-DSOURCE_DIR='"$(CURDIR)"' -c -o $@ $<
$(BUILD)/labs/check_lab10: $(BUILD)/labs/check_lab10.o $(LAB10_SUPPORT_OBJ) $(LIBS_ALL)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)
lab10: $(PROGRAMS) $(BUILD)/labs/check_lab10
	$(BUILD)/labs/check_lab10

# ---- running it --------------------------------------------------------------
# The embedded default (common/config.c) listens on 127.0.0.1/::1 ports 2525,
# 2587 and 1100 and keeps everything under var/.
run: all
	@sh tests/tools/run.sh $(BUILD)

user: $(BUILD)/mailuser
	@test -n "$(NAME)" || { echo "usage: make user NAME=alice [SCHEME=crypt|plain]"; exit 64; }
	$(BUILD)/mailuser -u var/users -m var/mail -s $(or $(SCHEME),crypt) $(NAME)

# ---- benchmark -----------------------------------------------------------------
$(BUILD)/tests/bench/%.o: tests/bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<
BENCH_SRC := $(wildcard tests/bench/*.c)
$(BUILD)/tests/mailbench: $(patsubst tests/%.c,$(BUILD)/tests/%.o,$(BENCH_SRC)) $(LIBMAILDIR) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
bench: $(PROGRAMS) $(BUILD)/tests/mailbench
	sh tests/bench/run.sh $(BUILD)

# ---- install ---------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 $(BUILD)/smtpd $(BUILD)/pop3d $(BUILD)/mailuser $(DESTDIR)$(PREFIX)/sbin/
	for m in smtpd/smtpd.8 pop3d/pop3d.8 common/mailuser.8; do \
		test ! -f $$m || install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man8/; done
	for m in common/mail.conf.5 maildir/maildir.5; do \
		test ! -f $$m || install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man5/; done

# ---- fuzzing (clang's libFuzzer; not part of make check) -----------------------
# make fuzz FUZZ_SECONDS=60 runs each entry point of tests/fuzz/ for that long.
FUZZ_SECONDS ?= 30
FUZZ_CC := clang -std=c11 -I. -D_DEFAULT_SOURCE -DVERSION='"$(VERSION)"' -g -O1 \
	-fsanitize=fuzzer,address,undefined
FUZZ_USERS := common/users.c common/users_file.c common/users_aliases.c common/md5.c \
	common/hmac.c common/text.c common/log.c
# fuzz_session runs the daemons' sessions: all of their code but main() and
# the start-up in common/daemon.c.
FUZZ_SESSION := $(filter-out common/daemon.c,$(wildcard common/*.c)) $(wildcard maildir/*.c) \
	$(filter-out smtpd/main.c,$(wildcard smtpd/*.c)) \
	$(filter-out pop3d/main.c,$(wildcard pop3d/*.c)) tests/support/harness.c
fuzz:
	@mkdir -p build/fuzz/corpus-conn build/fuzz/corpus-dot build/fuzz/corpus-addr \
		build/fuzz/corpus-sasl build/fuzz/corpus-session
	$(FUZZ_CC) tests/fuzz/fuzz_conn.c common/conn.c -o build/fuzz/fuzz_conn
	$(FUZZ_CC) tests/fuzz/fuzz_dot.c common/dot.c -o build/fuzz/fuzz_dot
	$(FUZZ_CC) tests/fuzz/fuzz_addr.c common/addr.c common/text.c -o build/fuzz/fuzz_addr
	$(FUZZ_CC) -pthread tests/fuzz/fuzz_sasl.c common/sasl.c common/base64.c $(FUZZ_USERS) \
		-lcrypt -o build/fuzz/fuzz_sasl
	$(FUZZ_CC) -pthread tests/fuzz/fuzz_session.c $(FUZZ_SESSION) -lcrypt -o build/fuzz/fuzz_session
	build/fuzz/fuzz_conn -max_len=65536 -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-conn
	build/fuzz/fuzz_dot -max_len=65536 -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-dot
	build/fuzz/fuzz_addr -max_len=1024 -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-addr
	build/fuzz/fuzz_sasl -max_len=4096 -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-sasl
	@# close_fd_mask=2: the sessions' log lines are noise; crash reports still show.
	build/fuzz/fuzz_session -close_fd_mask=2 -max_len=16384 -max_total_time=$(FUZZ_SECONDS) \
		build/fuzz/corpus-session

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
