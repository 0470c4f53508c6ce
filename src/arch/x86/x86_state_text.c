/* x86 CPU states in words: where two differ, and the system registers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/x86_arch.h"
#include "encore/cpu_state.h"

#define REG(name, field) { name, offsetof(struct encore_cpu_state, field) }

/* The registers worth naming, in the order a reader looks at them. */
static const struct arch_reg_field fields[] = {
	REG("RIP", rip), REG("RFLAGS", rflags),
	REG("RAX", gpr[0]), REG("RCX", gpr[1]), REG("RDX", gpr[2]), REG("RBX", gpr[3]),
	REG("RSP", gpr[4]), REG("RBP", gpr[5]), REG("RSI", gpr[6]), REG("RDI", gpr[7]),
	REG("R8", gpr[8]), REG("R9", gpr[9]), REG("R10", gpr[10]), REG("R11", gpr[11]),
	REG("R12", gpr[12]), REG("R13", gpr[13]), REG("R14", gpr[14]), REG("R15", gpr[15]),
	REG("CR0", cr0), REG("CR2", cr2), REG("CR3", cr3), REG("CR4", cr4), REG("EFER", efer),
};

bool cpu_state__first_difference(const struct encore_cpu_state *a,
				 const struct encore_cpu_state *b, char *out, size_t n)
{
	return arch__first_difference(fields, ARRAY_SIZE(fields), sizeof(*a),
				      "segments, descriptor tables, MSRs, FPU or pending events",
				      a, b, out, n);
}

/* Append to out[*len .. n) like snprintf, never past n. */
static void put(char *out, size_t n, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void put(char *out, size_t n, size_t *len, const char *fmt, ...)
{
	if (*len >= n)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(out + *len, n - *len, fmt, ap);
	va_end(ap);
	if (w > 0)
		*len += (size_t)w < n - *len ? (size_t)w : n - *len - 1;
}

void x86__describe_system(const void *state, char *out, size_t n)
{
	const struct encore_cpu_state *s = state;
	size_t len = 0;
	if (n)
		out[0] = 0;
	put(out, n, &len, "cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx cr8 %#llx efer %#llx\n",
	    (unsigned long long)s->cr0, (unsigned long long)s->cr2, (unsigned long long)s->cr3,
	    (unsigned long long)s->cr4, (unsigned long long)s->cr8, (unsigned long long)s->efer);
	put(out, n, &len, "gdtr %#llx/%#x idtr %#llx/%#x ldtr %#x tr %#x (base %#llx)\n",
	    (unsigned long long)s->gdtr.base, s->gdtr.limit, (unsigned long long)s->idtr.base,
	    s->idtr.limit, s->ldtr.selector, s->tr.selector, (unsigned long long)s->tr.base);
	static const char *const names[] = { "es", "cs", "ss", "ds", "fs", "gs" };
	for (unsigned k = 0; k < SEG_COUNT; k++)
		put(out, n, &len, "%s %#06x base %#llx limit %#x attr %#x\n", names[k],
		    s->seg[k].selector, (unsigned long long)s->seg[k].base, s->seg[k].limit,
		    s->seg[k].attr);
	const struct encore_msrs *r = &s->msr;
	put(out, n, &len, "star %#llx lstar %#llx cstar %#llx fmask %#llx kernel_gs_base %#llx\n"
	    "sysenter_cs %#llx sysenter_esp %#llx sysenter_eip %#llx\n"
	    "pat %#llx apic_base %#llx tsc_aux %#llx misc_enable %#llx\n",
	    (unsigned long long)r->star, (unsigned long long)r->lstar,
	    (unsigned long long)r->cstar, (unsigned long long)r->fmask,
	    (unsigned long long)r->kernel_gs_base, (unsigned long long)r->sysenter_cs,
	    (unsigned long long)r->sysenter_esp, (unsigned long long)r->sysenter_eip,
	    (unsigned long long)r->pat, (unsigned long long)r->apic_base,
	    (unsigned long long)r->tsc_aux, (unsigned long long)r->misc_enable);
	put(out, n, &len, "halted %u, interrupt shadow %u, NMI blocked %u\n", s->halted,
	    s->irq_shadow, s->nmi_blocked);
}
