# Bare-metal test guests for `encore run --kernel`.  Included by the
# top-level Makefile (paths are relative to the repository root).
#
# Every tests/guest/<name>.c (plus tests/guest/<name>.S when present) is
# linked with the runtime in tests/guest/lib/ into build/guests/<name>.elf.
# The guests do not depend on BUILD or SANITIZE (they have their own flags),
# so every build, the ASan one included, shares build/guests.

GUEST_DIR := tests/guest
GUEST_OUT := build/guests
GUEST_OBJ := $(GUEST_OUT)/obj
GUEST_LDS := $(GUEST_DIR)/lib/guest.ld
GUEST_CC ?= $(CC)
GUEST_LD ?= ld

GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra \
	-ffreestanding -fno-pic -fno-pie -mcmodel=small -static -nostdlib \
	-mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-80387 \
	-fno-stack-protector -fno-tree-loop-distribute-patterns \
	-fno-asynchronous-unwind-tables -fcf-protection=none \
	-I$(GUEST_DIR)/lib -MMD -MP
GUEST_ASFLAGS := -I$(GUEST_DIR)/lib -MMD -MP
GUEST_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack --build-id=none

GUEST_NAMES := $(sort $(basename $(notdir $(wildcard $(GUEST_DIR)/*.c))))
GUEST_ELFS := $(patsubst %,$(GUEST_OUT)/%.elf,$(GUEST_NAMES))

GUEST_LIB_SRCS := $(wildcard $(GUEST_DIR)/lib/*.c $(GUEST_DIR)/lib/*.S)
GUEST_LIB_OBJS := $(patsubst $(GUEST_DIR)/lib/%,$(GUEST_OBJ)/lib/%.o,$(GUEST_LIB_SRCS))

.PHONY: guests
guests: $(GUEST_ELFS)

$(GUEST_OBJ)/lib/%.c.o: $(GUEST_DIR)/lib/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OBJ)/lib/%.S.o: $(GUEST_DIR)/lib/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_ASFLAGS) -c $< -o $@

$(GUEST_OBJ)/%.c.o: $(GUEST_DIR)/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OBJ)/%.S.o: $(GUEST_DIR)/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_ASFLAGS) -c $< -o $@

# One link rule per guest: its own objects first, then the runtime.
define GUEST_LINK_RULE
$(GUEST_OUT)/$(1).elf: $(GUEST_OBJ)/$(1).c.o $(if $(wildcard $(GUEST_DIR)/$(1).S),$(GUEST_OBJ)/$(1).S.o) $(GUEST_LIB_OBJS) $(GUEST_LDS)
	@mkdir -p $$(@D)
	$(GUEST_LD) $(GUEST_LDFLAGS) -T $(GUEST_LDS) -o $$@ $$(filter %.o,$$^)
endef
$(foreach g,$(GUEST_NAMES),$(eval $(call GUEST_LINK_RULE,$(g))))

# A multiboot shim that runs the same guests on QEMU for cross-checking
# (tests/guest/qemu/run.sh); not part of `guests`.
GUEST_QEMU_SHIM := $(GUEST_OUT)/qemu/shim.elf
GUEST_QEMU_CFLAGS := -m32 -O2 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-mgeneral-regs-only -fcf-protection=none -fno-asynchronous-unwind-tables -Wall -Wextra \
	-Iinclude

.PHONY: guests-qemu
guests-qemu: $(GUEST_QEMU_SHIM) $(GUEST_ELFS)

$(GUEST_QEMU_SHIM): $(GUEST_DIR)/qemu/shim.S $(GUEST_DIR)/qemu/shim.c $(GUEST_DIR)/qemu/shim.ld \
		include/encore/cpu_state.h include/encore/types.h
	@mkdir -p $(@D)
	$(GUEST_CC) -m32 -c $(GUEST_DIR)/qemu/shim.S -o $(@D)/shim.S.o
	$(GUEST_CC) $(GUEST_QEMU_CFLAGS) -c $(GUEST_DIR)/qemu/shim.c -o $(@D)/shim.c.o
	$(GUEST_LD) -m elf_i386 --build-id=none -z noexecstack --no-warn-rwx-segments -T $(GUEST_DIR)/qemu/shim.ld \
		-o $@ $(@D)/shim.S.o $(@D)/shim.c.o

-include $(wildcard $(GUEST_OBJ)/*.d $(GUEST_OBJ)/lib/*.d)

# ---- AArch64 test guests (begin) ----
# tests/guest/arm64/guests.mk: build/guests/arm64/*.elf with the cross
# compiler, where it exists (tests/e2e/arm64_guests.sh skips without).
include $(GUEST_DIR)/arm64/guests.mk
# ---- AArch64 test guests (end) ----
