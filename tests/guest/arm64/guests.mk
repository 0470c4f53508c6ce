# Bare-metal AArch64 test guests for `encore run --arch arm64 --kernel`.
# Included from tests/guest/guests.mk (paths relative to the repository
# root).  Every tests/guest/arm64/<name>.c (plus <name>.S when present),
# diff_harness.c aside (a Linux program, built by the Makefile), is linked
# with the runtime in tests/guest/arm64/lib/ into
# build/guests/arm64/<name>.elf -- shared by every build like the x86
# guests -- only where the cross compiler is found.

A64_GUEST_CC ?= aarch64-linux-gnu-gcc
A64_GUEST_LD ?= aarch64-linux-gnu-ld
A64_GUEST_DIR := tests/guest/arm64
A64_GUEST_OUT := $(GUEST_OUT)/arm64
A64_GUEST_OBJ := $(A64_GUEST_OUT)/obj
A64_GUEST_LDS := $(A64_GUEST_DIR)/lib/guest.ld

A64_GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra \
	-ffreestanding -fno-pic -fno-pie -static -nostdlib -mgeneral-regs-only -mstrict-align \
	-fno-stack-protector -fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables \
	-I$(A64_GUEST_DIR)/lib -MMD -MP
A64_GUEST_ASFLAGS := -I$(A64_GUEST_DIR)/lib -MMD -MP
A64_GUEST_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack --build-id=none \
	--no-warn-rwx-segments

ifneq ($(shell command -v $(A64_GUEST_CC) 2>/dev/null),)
A64_GUEST_NAMES := $(sort $(filter-out diff_harness,$(basename $(notdir $(wildcard $(A64_GUEST_DIR)/*.c)))))
A64_GUEST_ELFS := $(patsubst %,$(A64_GUEST_OUT)/%.elf,$(A64_GUEST_NAMES))
A64_GUEST_LIB_SRCS := $(wildcard $(A64_GUEST_DIR)/lib/*.c $(A64_GUEST_DIR)/lib/*.S)
A64_GUEST_LIB_OBJS := $(patsubst $(A64_GUEST_DIR)/lib/%,$(A64_GUEST_OBJ)/lib/%.o,$(A64_GUEST_LIB_SRCS))

.PHONY: guests-arm64
guests-arm64: $(A64_GUEST_ELFS)
guests: guests-arm64
all: guests-arm64

$(A64_GUEST_OBJ)/%.c.o: $(A64_GUEST_DIR)/%.c
	@mkdir -p $(@D)
	$(A64_GUEST_CC) $(A64_GUEST_CFLAGS) -c $< -o $@

$(A64_GUEST_OBJ)/%.S.o: $(A64_GUEST_DIR)/%.S
	@mkdir -p $(@D)
	$(A64_GUEST_CC) $(A64_GUEST_ASFLAGS) -c $< -o $@

define A64_GUEST_LINK_RULE
$(A64_GUEST_OUT)/$(1).elf: $(A64_GUEST_OBJ)/$(1).c.o $(if $(wildcard $(A64_GUEST_DIR)/$(1).S),$(A64_GUEST_OBJ)/$(1).S.o) $(A64_GUEST_LIB_OBJS) $(A64_GUEST_LDS)
	@mkdir -p $$(@D)
	$(A64_GUEST_LD) $(A64_GUEST_LDFLAGS) -T $(A64_GUEST_LDS) -o $$@ $$(filter %.o,$$^)
endef
$(foreach g,$(A64_GUEST_NAMES),$(eval $(call A64_GUEST_LINK_RULE,$(g))))

-include $(wildcard $(A64_GUEST_OBJ)/*.d $(A64_GUEST_OBJ)/lib/*.d)
endif
