/*
 * icount.c - a minimal QEMU TCG plugin (plugin API version 1, QEMU 7.2) that
 * counts the guest instructions executed and, optionally, the guest's memory
 * accesses, for a side-by-side with encore's counting on the same guest.
 *
 * Build (bench/qemu_plugin/run.sh does this; qemu-plugin.h comes from
 * Debian's qemu source package, see README.md):
 *   gcc -O2 -shared -fPIC -fvisibility=hidden -I DIR_OF_qemu-plugin.h \
 *       -o libicount.so bench/qemu_plugin/icount.c
 * Use:
 *   qemu-system-x86_64 ... -plugin ./libicount.so[,ARG=VALUE...]
 * Arguments:
 *   count=insn   (default) one inline add before each instruction: exact
 *                per executed instruction (an instruction that faults and
 *                is restarted counts twice, like every "before" callback)
 *   count=tb     one inline add of the block's length per translation-block
 *                execution: cheaper, over-counts blocks left early
 *   split=on     (default) count kernel and user instructions apart.  The
 *                API has no privilege level, so this goes by the
 *                instruction's virtual address: the upper canonical half
 *                (bit 63 set) is the kernel's on x86-64 Linux.
 *   mem=off      (default) no memory counting
 *   mem=inline   one inline add per memory access (no callback): counts
 *                accesses only (QEMU 7.2's load/store filter for inline ops
 *                is broken, see README.md)
 *   mem=cb       a C callback on every memory access (what a memory tracer
 *                pays): counts accesses, loads, stores and bytes
 *   out=FILE     write the results to FILE at exit; without it they go
 *                through qemu_plugin_outs(), which QEMU prints only with
 *                "-d plugin" (and -D LOGFILE)
 * Output, at QEMU's exit, one "key: value" line each:
 *   insns, insns_kernel, insns_user, and with mem=... mem_accesses, and
 *   with mem=cb mem_reads, mem_writes and mem_bytes.
 * Counters are plain (non-atomic) adds: with -icount (and so with
 * record/replay) QEMU runs all vCPUs in one thread.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum { MEM_OFF, MEM_INLINE, MEM_CB };

static bool per_tb;
static bool split = true;
static int mem_mode = MEM_OFF;
static char *out_path;

/* [0] user, [1] kernel */
static uint64_t insns[2];
static uint64_t mem_accesses, mem_reads, mem_writes, mem_bytes;

static int is_kernel(uint64_t vaddr)
{
	return split && (vaddr >> 63) != 0;
}

static void mem_cb(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr,
		   void *udata)
{
	(void)vcpu;
	(void)vaddr;
	(void)udata;
	mem_accesses++;
	if (qemu_plugin_mem_is_store(info))
		mem_writes++;
	else
		mem_reads++;
	mem_bytes += 1u << qemu_plugin_mem_size_shift(info);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	(void)id;
	if (per_tb)
		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
							 &insns[is_kernel(qemu_plugin_tb_vaddr(tb))],
							 n);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		if (!per_tb)
			qemu_plugin_register_vcpu_insn_exec_inline(
				insn, QEMU_PLUGIN_INLINE_ADD_U64,
				&insns[is_kernel(qemu_plugin_insn_vaddr(insn))], 1);
		if (mem_mode == MEM_INLINE) {
			/* All accesses: QEMU 7.2's filter on loads or stores
			 * alone is off by one (a MEM_R inline op runs on
			 * stores, a MEM_W one on every access). */
			qemu_plugin_register_vcpu_mem_inline(insn, QEMU_PLUGIN_MEM_RW,
							     QEMU_PLUGIN_INLINE_ADD_U64,
							     &mem_accesses, 1);
		} else if (mem_mode == MEM_CB) {
			qemu_plugin_register_vcpu_mem_cb(insn, mem_cb, QEMU_PLUGIN_CB_NO_REGS,
							 QEMU_PLUGIN_MEM_RW, NULL);
		}
	}
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	char buf[512];
	int len;
	(void)id;
	(void)udata;
	len = snprintf(buf, sizeof buf,
		       "insns: %" PRIu64 "\ninsns_kernel: %" PRIu64 "\ninsns_user: %" PRIu64 "\n",
		       insns[0] + insns[1], insns[1], insns[0]);
	if (mem_mode != MEM_OFF)
		len += snprintf(buf + len, sizeof buf - len, "mem_accesses: %" PRIu64 "\n",
				mem_accesses);
	if (mem_mode == MEM_CB)
		snprintf(buf + len, sizeof buf - len,
			 "mem_reads: %" PRIu64 "\nmem_writes: %" PRIu64 "\nmem_bytes: %" PRIu64 "\n",
			 mem_reads, mem_writes, mem_bytes);
	if (out_path) {
		FILE *f = fopen(out_path, "w");
		if (f) {
			fputs(buf, f);
			fclose(f);
		} else {
			perror(out_path);
		}
	} else {
		qemu_plugin_outs(buf);
	}
}

static int bad_arg(const char *opt)
{
	fprintf(stderr, "icount plugin: bad argument '%s' (count=insn|tb, split=on|off, "
			"mem=off|inline|cb, out=FILE)\n", opt);
	return -1;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	(void)info;
	for (int i = 0; i < argc; i++) {
		const char *opt = argv[i];
		const char *eq = strchr(opt, '=');
		const char *val;
		size_t klen;
		if (!eq)
			return bad_arg(opt);
		klen = (size_t)(eq - opt);
		val = eq + 1;
		if (klen == 5 && !strncmp(opt, "count", 5)) {
			if (!strcmp(val, "insn"))
				per_tb = false;
			else if (!strcmp(val, "tb"))
				per_tb = true;
			else
				return bad_arg(opt);
		} else if (klen == 5 && !strncmp(opt, "split", 5)) {
			if (!qemu_plugin_bool_parse("split", val, &split))
				return bad_arg(opt);
		} else if (klen == 3 && !strncmp(opt, "mem", 3)) {
			if (!strcmp(val, "off"))
				mem_mode = MEM_OFF;
			else if (!strcmp(val, "inline"))
				mem_mode = MEM_INLINE;
			else if (!strcmp(val, "cb"))
				mem_mode = MEM_CB;
			else
				return bad_arg(opt);
		} else if (klen == 3 && !strncmp(opt, "out", 3) && *val) {
			out_path = strdup(val);
		} else {
			return bad_arg(opt);
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
