# encore: plain Makefile.  `make`, `make test`, `make bench`.
# BUILD selects the output directory; SANITIZE=1 builds with ASan/UBSan.

BUILD ?= build
CC ?= cc
PKGS := libzstd libxxhash capstone slirp
OPT ?= -O2
SANITIZERS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_FLAGS := $(if $(SANITIZE),$(SANITIZERS))
CFLAGS ?= $(OPT) -g
CFLAGS += -std=gnu11 -Wall -Wextra -Iinclude -Isrc $(SAN_FLAGS) $(shell pkg-config --cflags $(PKGS))
# Experiments without editing a file, e.g. EXTRA_CFLAGS=-DMACHINE_QUANTUM_INSNS=2000
CFLAGS += $(EXTRA_CFLAGS)
LDFLAGS += $(SAN_FLAGS)
# libfdt (Debian: libfdt-dev) ships no pkg-config file in Debian 12.
LDLIBS += $(shell pkg-config --libs $(PKGS)) -lfdt -lm -pthread -ldl
# Open MPI for encore simulate --mpi: built in when pkg-config finds it.
MPI_PKG := $(shell pkg-config --exists ompi-c 2>/dev/null && echo ompi-c)
ifneq ($(MPI_PKG),)
CFLAGS += -DENCORE_HAVE_MPI $(shell pkg-config --cflags $(MPI_PKG))
LDLIBS += $(shell pkg-config --libs $(MPI_PKG))
else
$(info encore: Open MPI not found (Debian: libopenmpi-dev): building without simulate --mpi)
endif

LIB_SRCS := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
LIB_ASMS := $(shell find src -name '*.S' | sort)
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS)) $(patsubst %.S,$(BUILD)/obj/%.o,$(LIB_ASMS))
LIB := $(BUILD)/libencore.a

TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_SUPPORT := $(filter-out tests/unit/test_%,$(wildcard tests/unit/*.c tests/unit/*.S))
TEST_SUPPORT_OBJS := $(patsubst %,$(BUILD)/obj/%.o,$(basename $(TEST_SUPPORT)))
TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

# Fuzz targets tests/fuzz/fuzz_NAME.c: built as $(BUILD)/tests/test_fuzz_NAME,
# which replays the seed corpus tests/fuzz/corpus/NAME, and by `make fuzz`
# as libFuzzer programs (tests/fuzz/README.md).
FUZZ_NAMES := log meta ckpt translate memtrace virtq virtio_blk disk_journal virtio_net gdb mpi_wire \
	virtio_mmio arm64_image
FUZZ_TEST_BINS := $(patsubst %,$(BUILD)/tests/test_fuzz_%,$(FUZZ_NAMES))
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_BUILD := $(BUILD)-fuzz
FUZZ_SAN := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined -DFUZZ_LIBFUZZER
LIBFUZZER_PROBE := echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' | \
	$(FUZZ_CC) -fsanitize=fuzzer -x c - -o /dev/null >/dev/null 2>&1

# Helper programs the end-to-end tests use (not tests themselves), and
# LD_PRELOAD shims (tests/tools/preload/NAME.c -> BUILD/tools/NAME.so).
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(wildcard tests/tools/*.c)) \
	$(patsubst tests/tools/preload/%.c,$(BUILD)/tools/%.so,$(wildcard tests/tools/preload/*.c))

.DEFAULT_GOAL := all
-include tests/guest/guests.mk

# Example external plugins (examples/plugins/NAME.c), built as shared
# objects the way a user builds one: against include/encore/plugin.h only.
EXAMPLE_PLUGINS := $(patsubst examples/plugins/%.c,$(BUILD)/plugins/%.so,$(wildcard examples/plugins/*.c))

# Plugins only tests use (tests/plugins/NAME.c), built the same way.
TEST_PLUGINS := $(patsubst tests/plugins/%.c,$(BUILD)/test-plugins/%.so,$(wildcard tests/plugins/*.c))

all: $(BUILD)/encore $(TEST_BINS) $(FUZZ_TEST_BINS) $(TOOL_BINS) $(GUEST_ELFS) $(EXAMPLE_PLUGINS) \
	$(TEST_PLUGINS)

$(BUILD)/test-plugins/%.so: tests/plugins/%.c include/encore/plugin.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -Wall -Wextra -O2 -g -shared -fPIC -Iinclude $< -o $@

$(BUILD)/plugins/%.so: examples/plugins/%.c include/encore/plugin.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -Wall -Wextra -O2 -g -shared -fPIC -Iinclude $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/encore: $(BUILD)/obj/src/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TEST_SUPPORT_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---- AArch64 differential oracle (begin) ----
# tests/guest/arm64/diff_harness.c: a static aarch64 Linux program that
# test_a64_diff runs under qemu-aarch64.  Built only where the cross
# compiler is found (the test then skips); no sanitizers, own flags.
A64_CROSS_CC ?= aarch64-linux-gnu-gcc
A64_HARNESS := $(if $(shell command -v $(A64_CROSS_CC) 2>/dev/null),$(BUILD)/tests/arm64/diff_harness)
ifneq ($(A64_HARNESS),)
all: $(A64_HARNESS)
$(BUILD)/tests/test_a64_diff: | $(A64_HARNESS)
$(BUILD)/tests/test_a64_diff_simd: | $(A64_HARNESS)
$(BUILD)/tests/test_a64_diff_elem: | $(A64_HARNESS)
$(A64_HARNESS): tests/guest/arm64/diff_harness.c
	@mkdir -p $(dir $@)
	$(A64_CROSS_CC) -std=gnu11 -O2 -g -Wall -Wextra -static -o $@ $<
endif
# ---- AArch64 differential oracle (end) ----

# test_modes runs guest code assembled from test_modes_code.S.
$(BUILD)/tests/test_modes: $(BUILD)/obj/tests/unit/test_modes_code.o
$(BUILD)/obj/tests/unit/test_modes_code.o: tests/unit/test_modes.h

$(BUILD)/tests/test_fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/corpus_main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Built without the sanitizers: a shim is loaded into a process before them.
$(BUILD)/tools/%.so: tests/tools/preload/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -shared -fPIC -o $@ $< -ldl

$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Real fuzzing: everything rebuilt with clang, coverage and ASan/UBSan in
# $(FUZZ_BUILD), then each target run for FUZZ_SECONDS.  New inputs go
# to $(FUZZ_BUILD)/corpus/NAME (the seeds are only read), crashes to
# $(FUZZ_BUILD)/artifacts/.
fuzz:
	@if $(LIBFUZZER_PROBE); then \
		$(MAKE) fuzz-run; \
	else \
		echo "make fuzz: skipped: '$(FUZZ_CC) -fsanitize=fuzzer' does not work here (install clang with libFuzzer)"; \
	fi

fuzz-run:
	$(MAKE) CC=$(FUZZ_CC) BUILD=$(FUZZ_BUILD) SAN_FLAGS='$(FUZZ_SAN)' fuzz-programs
	@for t in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts; \
		echo "make fuzz: fuzz_$$t for $(FUZZ_SECONDS) s"; \
		$(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- \
			$(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t || \
			{ echo "make fuzz: fuzz_$$t failed; its input is in $(FUZZ_BUILD)/artifacts/"; exit 1; }; \
	done
	@echo "make fuzz: no failures"

# Only as fuzz-run calls it, with CC=clang and the fuzzer flags.
fuzz-programs: $(patsubst %,$(BUILD)/fuzz_%,$(FUZZ_NAMES))

$(BUILD)/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(LIB)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)


# The suite runs twice: as built, and built with ASan/UBSan.  The QEMU
# shim lets tests/e2e/smp.sh cross-check its guest on QEMU.
test: all $(GUEST_QEMU_SHIM)
	$(MAKE) SANITIZE=1 BUILD=$(BUILD)-asan all
	tests/run.sh $(BUILD) $(BUILD)-asan

bench: all
	bench/run.sh $(BUILD)

# The long campaigns (tests/campaign/run.sh): damage, crash and full disk
# on the default Linux guest, and an hour of fuzzing per target; results
# in $(BUILD)/campaign/RESULTS.md.
campaign: all
	tests/campaign/run.sh $(BUILD)

clean:
	rm -rf build build-*

# make install [PREFIX=/usr/local] [DESTDIR=...]: the encore program, the
# plugin header with its pkg-config file (encore-plugin.pc), the manual
# pages (man/), bash completion, the example plugins' sources and the
# guest-building scripts; make uninstall removes exactly those files.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
PKGCONFIGDIR ?= $(DATADIR)/pkgconfig
MANDIR ?= $(DATADIR)/man
COMPLETIONDIR ?= $(DATADIR)/bash-completion/completions
MAN_PAGES := $(wildcard man/*.1 man/*.5 man/*.7)
# man/NAME.S -> MANDIR/manS/NAME.S
man_dest = $(foreach p,$(1),$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(notdir $(p)))
ENCORE_VERSION := $(shell sed -n 's/^\#define ENCORE_VERSION "\(.*\)"/\1/p' src/cli/cli.h)
GUEST_SCRIPTS := $(filter-out guest/threads.c,$(wildcard guest/*))
INSTALLED := $(BINDIR)/encore $(INCLUDEDIR)/encore/plugin.h $(PKGCONFIGDIR)/encore-plugin.pc \
	$(patsubst examples/plugins/%,$(DATADIR)/doc/encore/examples/%,$(wildcard examples/plugins/*.c)) \
	$(patsubst guest/%,$(DATADIR)/encore/guest/%,$(GUEST_SCRIPTS) guest/threads.c) \
	$(call man_dest,$(MAN_PAGES)) $(if $(wildcard completion/encore.bash),$(COMPLETIONDIR)/encore)

install: $(BUILD)/encore
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCLUDEDIR)/encore $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(DATADIR)/doc/encore/examples $(DESTDIR)$(DATADIR)/encore/guest
	install -m 755 $(BUILD)/encore $(DESTDIR)$(BINDIR)/encore
	install -m 644 include/encore/plugin.h $(DESTDIR)$(INCLUDEDIR)/encore/plugin.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(ENCORE_VERSION)|' packaging/encore-plugin.pc.in \
		>$(DESTDIR)$(PKGCONFIGDIR)/encore-plugin.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/encore-plugin.pc
	install -m 644 examples/plugins/*.c $(DESTDIR)$(DATADIR)/doc/encore/examples/
	install -m 755 $(GUEST_SCRIPTS) $(DESTDIR)$(DATADIR)/encore/guest/
	install -m 644 guest/threads.c $(DESTDIR)$(DATADIR)/encore/guest/
	for p in $(MAN_PAGES); do \
		install -D -m 644 $$p $(DESTDIR)$(MANDIR)/man$${p##*.}/$${p##*/} || exit; done
	[ ! -f completion/encore.bash ] || \
		install -D -m 644 completion/encore.bash $(DESTDIR)$(COMPLETIONDIR)/encore

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/encore $(DESTDIR)$(DATADIR)/doc/encore/examples \
		$(DESTDIR)$(DATADIR)/doc/encore $(DESTDIR)$(DATADIR)/encore/guest \
		$(DESTDIR)$(DATADIR)/encore 2>/dev/null; true

.PHONY: all test bench campaign clean install uninstall guests fuzz fuzz-run fuzz-programs
.SECONDARY:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
