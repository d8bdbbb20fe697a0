# dipr — top-level Makefile.  `make` builds build/dipr; see README.md.
CC ?= cc
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
OPT ?= -O2
CFLAGS ?= $(OPT) -g
WARN = -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-missing-field-initializers
PKGS = libcrypto sqlite3 libmicrohttpd jansson libcurl cairo pangocairo libqrencode libpq
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DDIPR_HAVE_PG -I. -Iinclude -Ilib $(WARN) $(CFLAGS) \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
LDFLAGS ?=

LIB_SRC = $(wildcard lib/*.c)
APP_SRC = $(wildcard store/*.c log/*.c registry/*.c server/*.c cli/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
APP_OBJ = $(APP_SRC:%.c=$(BUILD)/%.o) $(BUILD)/web_assets.o
WEB_FILES = $(shell find web -type f ! -name '.*' | LC_ALL=C sort)
APP_NOMAIN = $(filter-out $(BUILD)/cli/main.o,$(APP_OBJ))
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps run test test-pg unit e2e browser fuzz fuzz-replay bench bench-scale sanitize clean install

all: $(BUILD)/dipr

deps:
	@sh scripts/deps.sh

# V=1 shows the full commands.
Q = $(if $(V),,@)

$(BUILD)/%.o: %.c $(wildcard include/dipr/*.h lib/*.h store/*.h log/*.h registry/*.h server/*.h cli/*.h)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# The portal is compiled into the binary: one file to deploy, no outside fetches.
$(BUILD)/web_assets.c: $(WEB_FILES) scripts/embed-web.sh
	@mkdir -p $(dir $@)
	$(Q)sh scripts/embed-web.sh $@ $(WEB_FILES)

$(BUILD)/web_assets.o: $(BUILD)/web_assets.c server/static.h
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libdipr.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libdipr-app.a: $(APP_NOMAIN)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/dipr: $(BUILD)/cli/main.o $(BUILD)/libdipr-app.a $(BUILD)/libdipr.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libdipr-app.a $(BUILD)/libdipr.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  TEST    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libdipr-app.a $(BUILD)/libdipr.a $(LIBS) -lcmocka

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

$(BUILD)/tests/failsync.so: tests/fault/failsync.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -o $@ $< -ldl

e2e: $(BUILD)/dipr $(BUILD)/tests/failsync.so
	@sh tests/e2e/run.sh $(BUILD)/dipr

fuzz-replay:
	@sh tests/fuzz/run.sh replay $(BUILD)

FUZZ_SECONDS ?= 60
fuzz:
	@sh scripts/deps.sh fuzz
	@sh tests/fuzz/run.sh fuzz $(BUILD) $(FUZZ_SECONDS)

# The README's test command: installs what is missing, builds, runs every test.
test: deps
	$(MAKE) all unit
	$(MAKE) e2e
	$(MAKE) browser
	$(MAKE) fuzz-replay

# The storage tests again on PostgreSQL, in a throwaway cluster
# (scripts/pgtest.sh, stopped on exit; docs/POSTGRES.md §4.3): the unit
# tests with store cases (test_registry is the workflow alone, no store)
# and the e2e suites tests/run-pg.sh lists.
PG_UNIT = $(BUILD)/tests/test_log $(BUILD)/tests/test_password $(BUILD)/tests/test_dbpg
test-pg: deps
	$(MAKE) all $(PG_UNIT)
	@sh tests/run-pg.sh $(BUILD) $(PG_UNIT)

# The portal in Debian's Chromium (playwright-core from npm, `npm ci`).
browser: $(BUILD)/dipr
	@sh tests/browser/run.sh $(BUILD)/dipr

run: deps
	$(MAKE) all
	@sh scripts/run.sh $(BUILD)/dipr

bench: deps
	@sh scripts/deps.sh bench
	$(MAKE) all
	@sh bench/run.sh $(BUILD)/dipr

# issue 6's scale figures: an empty log vs SCALE_N (default 10^7) entries
bench-scale: deps
	@sh scripts/deps.sh bench
	$(MAKE) all $(BUILD)/libdipr-app.a
	@sh bench/scale.sh $(BUILD)/dipr

sanitize: deps
	$(MAKE) BUILD=build-san OPT=-O1 CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" all unit e2e

install: all
	install -D -m 0755 $(BUILD)/dipr $(DESTDIR)$(PREFIX)/bin/dipr

clean:
	rm -rf build build-san build-fuzz
