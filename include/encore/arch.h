/*
 * What the shared parts of encore (machine, log, checkpoints, simulation,
 * plugins, debugger) know about a guest architecture.  A vCPU's state is
 * a blob of `state_size` bytes that only its architecture interprets:
 * engines fill and accept it, checkpoints store it in the vCPU's part,
 * and everything else asks the architecture's functions about it.
 */
#ifndef ENCORE_ARCH_H
#define ENCORE_ARCH_H

#include <stddef.h>

#include "encore/types.h"

struct encore_machine;
struct encore_regs;
struct ram_region;

/* The largest state blob of any architecture (a vCPU part's scratch).
 * Blobs are plain structs aligned to at most 8 bytes. */
#define ARCH_STATE_MAX 4096

struct encore_arch {
	const char *name;      /* as recordings name it (meta "arch") */
	const char *pc_name;   /* what its manuals call the program counter */
	const char *cpu_part;  /* vCPU k's state part is this name + k */
	u16 elf_machine;       /* e_machine of its ELF files */
	u32 state_version;     /* the blob's layout version */
	u32 state_size;
	/* Where `ram_size` bytes of RAM go in the guest's physical address
	 * space: fills regions[0 .. MACHINE_RAM_REGIONS) (encore/machine.h),
	 * whose sizes add up to ram_size. */
	void (*ram_layout)(u64 ram_size, struct ram_region *regions);
	/* Where the vCPU with this state executes next. */
	u64 (*pc)(const void *state);
	/* Name the first register that differs between two states, as
	 * "NAME is X in the recording, Y in the replay"; false if none. */
	bool (*first_difference)(const void *recorded, const void *replayed, char *out, size_t n);
	/* The state a debugger user asks for beyond gdb's registers (system
	 * registers, pending events), as text lines. */
	void (*describe_system)(const void *state, char *out, size_t n);
	/* Fill a plugin's view of the registers (encore/plugin.h), all but
	 * `vcpu` and `icount`; `out` is zeroed. */
	void (*plugin_regs)(const void *state, struct encore_regs *out);
	/* gdb's view: the target description (qXfer:features:read:target.xml),
	 * how many registers it has, and register n of a state in its order
	 * (little-endian, at most 16 bytes): its size, 0 if there is none. */
	const char *(*gdb_target_xml)(void);
	unsigned (*gdb_nregs)(void);
	unsigned (*gdb_reg)(const void *state, unsigned n, u8 *out);
	/* gdb's view of a watchpoint on this architecture: false (x86-64)
	 * when the stop is reported after the accessing instruction, true
	 * (aarch64: gdb's "non-steppable" watchpoints) when it is reported
	 * before it and gdb steps it itself, forward or back. */
	bool gdb_watch_before_access;
	/* Translate `va` as the vCPU with this state would, without touching
	 * the guest (no accessed bits, no faults) and ignoring permissions;
	 * false if it is not mapped. */
	bool (*virt_to_phys)(struct encore_machine *m, const void *state, u64 va, u64 *pa);
};

extern const struct encore_arch arch_x86_64;

/* A 64-bit register of a state blob, named, for divergence reports. */
struct arch_reg_field {
	const char *name;
	size_t offset;
};

/* The first_difference of an architecture whose registers worth naming
 * are fields[0 .. nfields), in reading order: the first that differs, else
 * the first differing byte of the `size`-byte blobs, with `rest` saying
 * what lies beyond the named registers. */
bool arch__first_difference(const struct arch_reg_field *fields, size_t nfields, size_t size,
			    const char *rest, const void *recorded, const void *replayed,
			    char *out, size_t n);

/* Where vCPU `v` executes next (its engine's state, through its
 * architecture). */
struct encore_vcpu;
u64 vcpu__pc(const struct encore_vcpu *v);

/* The architecture recordings call `name`, or NULL. */
const struct encore_arch *arch__by_name(const char *name);
/* The names of every architecture encore knows, as "a, b and c". */
void arch__list(char *out, size_t n);

#endif
