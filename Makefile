# encore: plain Makefile.  `make`, `make test`, `make bench`.
# BUILD selects the output directory; SANITIZE=1 builds with ASan/UBSan.

BUILD ?= build
CC ?= cc
PKGS := libzstd libxxhash capstone
OPT ?= -O2
SANITIZERS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_FLAGS := $(if $(SANITIZE),$(SANITIZERS))
CFLAGS ?= $(OPT) -g
CFLAGS += -std=gnu11 -Wall -Wextra -Iinclude -Isrc $(SAN_FLAGS) $(shell pkg-config --cflags $(PKGS))
LDFLAGS += $(SAN_FLAGS)
LDLIBS += $(shell pkg-config --libs $(PKGS)) -lm

LIB_SRCS := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
LIB_ASMS := $(shell find src -name '*.S' | sort)
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS)) $(patsubst %.S,$(BUILD)/obj/%.o,$(LIB_ASMS))
LIB := $(BUILD)/libencore.a

TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_SUPPORT := $(filter-out tests/unit/test_%,$(wildcard tests/unit/*.c tests/unit/*.S))
TEST_SUPPORT_OBJS := $(patsubst %,$(BUILD)/obj/%.o,$(basename $(TEST_SUPPORT)))
TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

.DEFAULT_GOAL := all
-include tests/guest/guests.mk

all: $(BUILD)/encore $(TEST_BINS) $(GUEST_ELFS)

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


# The suite runs twice: as built, and built with ASan/UBSan.
test: all
	$(MAKE) SANITIZE=1 BUILD=$(BUILD)-asan all
	tests/run.sh $(BUILD) $(BUILD)-asan

bench: all
	bench/run.sh $(BUILD)

clean:
	rm -rf build build-*

.PHONY: all test bench clean guests
.SECONDARY:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
