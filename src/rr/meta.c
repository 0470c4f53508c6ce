/*
 * REC/meta: reading, validating and atomically writing a recording's
 * metadata.  One table describes every key, so parser and writer agree.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "encore/errmsg.h"
#include "encore/machine.h"
#include "encore/arch.h"
#include "encore/rr_meta.h"

enum field_type { F_U64, F_HEX64, F_INT, F_BOOL, F_TEXT, F_NAME, F_HASH128 };

/* When a key must be present: always, once complete, never; a summary
 * key (IF_COMPLETE, SUMMARY_OPTIONAL) only once complete. */
enum need { ALWAYS, IF_COMPLETE, OPTIONAL, SUMMARY_OPTIONAL };

struct field {
	const char *key;
	enum field_type type;
	size_t offset, size;
	enum need need;
};

#define FIELD(key, type, member, need) \
	{ key, type, offsetof(struct rr_meta, member), sizeof(((struct rr_meta *)0)->member), need }

static const struct field fields[] = {
	FIELD("id", F_HEX64, id, ALWAYS),
	FIELD("state", F_TEXT, complete, ALWAYS), /* special: recording|complete */
	FIELD("encore", F_TEXT, encore, ALWAYS),
	FIELD("engine", F_TEXT, engine, ALWAYS),
	FIELD("arch", F_TEXT, arch, OPTIONAL),
	FIELD("started", F_TEXT, started, ALWAYS),
	FIELD("guest", F_TEXT, guest, ALWAYS),
	FIELD("kernel", F_NAME, kernel, OPTIONAL),
	FIELD("kernel-hash", F_HASH128, kernel_hash, OPTIONAL),
	FIELD("initrd", F_NAME, initrd, OPTIONAL),
	FIELD("initrd-hash", F_HASH128, initrd_hash, OPTIONAL),
	FIELD("append", F_TEXT, append, OPTIONAL),
	FIELD("mem", F_U64, mem, ALWAYS),
	FIELD("smp", F_U64, smp, ALWAYS),
	FIELD("vcpu-quantum", F_U64, quantum, ALWAYS),
	FIELD("input-slice", F_U64, input_slice, ALWAYS),
	FIELD("interval", F_U64, interval, ALWAYS),
	FIELD("interval-ns", F_U64, interval_ns, OPTIONAL),
	FIELD("realtime", F_BOOL, realtime, ALWAYS),
	FIELD("disks", F_TEXT, disks, OPTIONAL),
	FIELD("net", F_TEXT, net, OPTIONAL),
	FIELD("branch-of", F_TEXT, branch_of, OPTIONAL),
	FIELD("instructions", F_U64, insns, IF_COMPLETE),
	FIELD("virtual-ns", F_U64, virtual_ns, IF_COMPLETE),
	FIELD("wall-ns", F_U64, wall_ns, IF_COMPLETE),
	FIELD("outcome", F_TEXT, outcome, IF_COMPLETE),
	FIELD("exit-status", F_INT, exit_status, IF_COMPLETE),
	FIELD("state-hash", F_HEX64, state_hash, IF_COMPLETE),
	FIELD("console-bytes", F_U64, console_bytes, IF_COMPLETE),
	FIELD("log-bytes", F_U64, log_bytes, IF_COMPLETE),
	FIELD("events", F_U64, events, IF_COMPLETE),
	FIELD("checkpoints", F_U64, checkpoints, IF_COMPLETE),
	FIELD("vcpu-instructions", F_TEXT, vcpu_insns, SUMMARY_OPTIONAL),
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
#define STATE_FIELD 1
#define FIRST_SUMMARY_FIELD 22

static bool parse_u64(const char *s, int base, u64 *out)
{
	/* Digits only: strtoull would also skip leading white space
	 * (a tab, say) and take a sign after it. */
	if (!(base == 16 ? isxdigit((unsigned char)*s) : isdigit((unsigned char)*s)))
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t k = 0; k < n; k++)
		if (!strchr("0123456789abcdef", s[k]))
			return false;
	return true;
}

/* A file name inside the recording directory: no paths, no dot files. */
static bool is_plain_name(const char *s)
{
	return *s && *s != '.' && !strchr(s, '/');
}

static int set_field(const struct field *f, const char *v, struct rr_meta *m)
{
	void *p = (char *)m + f->offset;
	u64 n;
	switch (f->type) {
	case F_U64:
		return parse_u64(v, 10, p) ? 0 : -1;
	case F_HEX64:
		return is_hex(v, 16) && parse_u64(v, 16, p) ? 0 : -1;
	case F_INT:
		if (*v == '-' ? !parse_u64(v + 1, 10, &n) || n > 0x80000000ull
			      : !parse_u64(v, 10, &n) || n > 0x7fffffffull)
			return -1;
		*(int *)p = *v == '-' ? -(int)(n - 1) - 1 : (int)n;
		return 0;
	case F_BOOL:
		if (strcmp(v, "0") && strcmp(v, "1"))
			return -1;
		*(bool *)p = *v == '1';
		return 0;
	case F_HASH128:
		if (!is_hex(v, 32))
			return -1;
		break;
	case F_NAME:
		if (!is_plain_name(v))
			return -1;
		break;
	case F_TEXT:
		break;
	}
	if (strlen(v) >= f->size)
		return -1;
	strcpy(p, v);
	return 0;
}

static int parse_line(char *line, unsigned lineno, struct rr_meta *m, bool *seen, char *err,
		      size_t errlen)
{
	char *value = strchr(line, ' ');
	if (value)
		*value++ = 0;
	else
		value = line + strlen(line);
	for (unsigned k = 0; k < NFIELDS; k++) {
		if (strcmp(line, fields[k].key))
			continue;
		if (seen[k])
			return errmsg(err, errlen, "line %u: '%s' given twice", lineno, line);
		seen[k] = true;
		int r;
		if (k == STATE_FIELD) {
			r = strcmp(value, "complete") && strcmp(value, "recording") ? -1 : 0;
			m->complete = !strcmp(value, "complete");
		} else {
			r = set_field(&fields[k], value, m);
		}
		if (r)
			return errmsg(err, errlen, "line %u: bad value for '%s': '%.64s'", lineno, line,
				    value);
		m->has_append |= !strcmp(line, "append");
		return 0;
	}
	return errmsg(err, errlen, "line %u: unknown key '%.64s'", lineno, line);
}

/* The numbers of m->vcpu_insns into out[max]; how many, or -1 if it is
 * not a list of decimal numbers separated by single spaces. */
static int parse_vcpu_insns(const struct rr_meta *m, u64 *out, unsigned max)
{
	const char *p = m->vcpu_insns;
	unsigned n = 0;
	while (*p) {
		char *end;
		if (!isdigit((unsigned char)*p) || n == max)
			return -1;
		errno = 0;
		out[n++] = strtoull(p, &end, 10);
		if (errno || (*end && (*end != ' ' || !end[1])))
			return -1;
		p = *end ? end + 1 : end;
	}
	return (int)n;
}

/* "SIZE:rw" or "SIZE:ro" per disk, separated by single spaces: sizes
 * into size[], flags into ro[]; how many, or -1 when malformed. */
static int parse_disks(const char *p, u64 *size, bool *ro, unsigned max)
{
	unsigned n = 0;
	while (*p) {
		char *end;
		if (!isdigit((unsigned char)*p) || n == max)
			return -1;
		errno = 0;
		size[n] = strtoull(p, &end, 10);
		if (errno || !size[n] || size[n] % 512 || *end != ':' ||
		    (strncmp(end + 1, "rw", 2) && strncmp(end + 1, "ro", 2)))
			return -1;
		ro[n++] = end[2] == 'o';
		p = end + 3;
		if (*p && (*p != ' ' || !p[1]))
			return -1;
		p += *p == ' ';
	}
	return (int)n;
}

bool rr_meta__branch(const struct rr_meta *m, u64 *parent, u64 *progress)
{
	const char *at = strchr(m->branch_of, '@');
	char hex[17];
	u64 id, where;
	if (!at || at - m->branch_of != 16)
		return false;
	memcpy(hex, m->branch_of, 16);
	hex[16] = 0;
	if (!is_hex(hex, 16) || !parse_u64(hex, 16, &id) || !parse_u64(at + 1, 10, &where))
		return false;
	if (parent)
		*parent = id;
	if (progress)
		*progress = where;
	return true;
}

int rr_meta__ndisks(const struct rr_meta *m)
{
	u64 size[RR_META_MAX_DISKS];
	bool ro[RR_META_MAX_DISKS];
	return parse_disks(m->disks, size, ro, RR_META_MAX_DISKS);
}

bool rr_meta__disk(const struct rr_meta *m, unsigned n, u64 *size, bool *readonly)
{
	u64 sizes[RR_META_MAX_DISKS];
	bool ro[RR_META_MAX_DISKS];
	int count = parse_disks(m->disks, sizes, ro, RR_META_MAX_DISKS);
	if (count < 0 || n >= (unsigned)count)
		return false;
	*size = sizes[n];
	*readonly = ro[n];
	return true;
}

bool rr_meta__vcpu_insns(const struct rr_meta *m, unsigned n, u64 *out)
{
	u64 v[MACHINE_MAX_VCPUS];
	int count = parse_vcpu_insns(m, v, MACHINE_MAX_VCPUS);
	if (count < 0 || n >= (unsigned)count)
		return false;
	*out = v[n];
	return true;
}

/* One count per vCPU, summing to the machine's: a recording's parts
 * must agree. */
static bool vcpu_insns_valid(const struct rr_meta *m)
{
	u64 v[MACHINE_MAX_VCPUS], sum = 0;
	int count = parse_vcpu_insns(m, v, MACHINE_MAX_VCPUS);
	if (count < 0 || (u64)count != m->smp)
		return false;
	for (int k = 0; k < count; k++) {
		if (sum + v[k] < sum)
			return false;
		sum += v[k];
	}
	return !m->complete || sum == m->insns;
}

static int check_complete(const struct rr_meta *m, const bool *seen, char *err, size_t errlen)
{
	for (unsigned k = 0; k < NFIELDS; k++) {
		bool need = fields[k].need == ALWAYS || (fields[k].need == IF_COMPLETE && m->complete);
		if (need && !seen[k])
			return errmsg(err, errlen, "'%s' is missing", fields[k].key);
		/* The summary is written only once complete: rewriting this
		 * meta would lose it. */
		bool summary = fields[k].need == IF_COMPLETE || fields[k].need == SUMMARY_OPTIONAL;
		if (summary && !m->complete && seen[k])
			return errmsg(err, errlen, "'%s' in a recording that is not complete",
				    fields[k].key);
	}
	if (!m->kernel[0] != !m->kernel_hash[0] || !m->initrd[0] != !m->initrd_hash[0])
		return errmsg(err, errlen, "a guest file is listed without its hash, or a hash "
			    "without its file");
	if (m->mem < (1ull << 20) || m->mem % 4096 || !m->input_slice)
		return errmsg(err, errlen, "mem must be at least 1M and a multiple of 4096, and "
			    "input-slice not 0");
	if (m->smp < 1 || m->smp > MACHINE_MAX_VCPUS)
		return errmsg(err, errlen, "smp must be 1 to %u vCPUs, not %llu", MACHINE_MAX_VCPUS,
			      (unsigned long long)m->smp);
	if (!m->quantum)
		return errmsg(err, errlen, "vcpu-quantum must not be 0");
	if (m->vcpu_insns[0] && !vcpu_insns_valid(m))
		return errmsg(err, errlen, "vcpu-instructions must be %llu numbers adding up to the "
			      "instructions", (unsigned long long)m->smp);
	if (m->interval && m->interval_ns)
		return errmsg(err, errlen, "a checkpoint interval in both instructions and time");
	if (m->net[0] && strcmp(m->net, "user"))
		return errmsg(err, errlen, "net must be 'user', not '%s'", m->net);
	if (m->branch_of[0] && !rr_meta__branch(m, NULL, NULL))
		return errmsg(err, errlen, "branch-of must be ID@PROGRESS (the recording it "
			      "branched from, in hex, and where, in decimal), not '%s'", m->branch_of);
	if (rr_meta__ndisks(m) < 0)
		return errmsg(err, errlen, "disks must be up to %u SIZE:rw or SIZE:ro, SIZE a "
			      "multiple of 512", RR_META_MAX_DISKS);
	if (strcmp(m->guest, "linux") && strcmp(m->guest, "bare-metal") && strcmp(m->guest, "demo"))
		return errmsg(err, errlen, "unknown guest kind '%s'", m->guest);
	if (strcmp(m->guest, "demo") && !m->kernel[0])
		return errmsg(err, errlen, "a %s guest needs its kernel file", m->guest);
	return 0;
}

size_t rr_meta__checksum_line(const char *body, size_t len, char line[RR_META_CHECKSUM_LINE])
{
	return (size_t)snprintf(line, RR_META_CHECKSUM_LINE, "checksum %016llx\n",
				(unsigned long long)XXH3_64bits(body, len));
}

/* The length of the text before its last line, which must be the
 * checksum of that text; -1 with a message if it is not. */
static int check_sum(const char *text, size_t len, size_t *body, char *err, size_t errlen)
{
	size_t end = len && text[len - 1] == '\n' ? len - 1 : len, start = end;
	while (start && text[start - 1] != '\n')
		start--;
	char want[RR_META_CHECKSUM_LINE];
	size_t n = rr_meta__checksum_line(text, start, want);
	if (end - start < 9 || memcmp(text + start, "checksum ", 9))
		return errmsg(err, errlen, "its last line is not its checksum (the file was cut "
			      "short, or written by hand)");
	if (end - start != n - 1 || memcmp(text + start, want, n - 1))
		return errmsg(err, errlen, "its checksum does not match its contents (the file is "
			      "damaged, or was edited)");
	*body = start;
	return 0;
}

int rr_meta__parse(const char *text, size_t len, struct rr_meta *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	if (len > RR_META_TEXT_MAX || memchr(text, 0, len))
		return errmsg(err, errlen, "not a metadata file (too big, or binary)");
	if (len < 17 || memcmp(text, "encore-recording ", 17))
		return errmsg(err, errlen, "not an encore recording's metadata (line 1)");
	/* An older version says so, whatever else it lacks. */
	size_t eol = 17;
	while (eol < len && text[eol] != '\n')
		eol++;
	char version[24] = "";
	u64 v = 0;
	if (eol - 17 < sizeof(version))
		memcpy(version, text + 17, eol - 17);
	if (!parse_u64(version, 10, &v))
		return errmsg(err, errlen, "not an encore recording's metadata (line 1)");
	if (v != RR_META_VERSION)
		return errmsg(err, errlen, "recording format version %llu; this encore reads "
			      "version %u", (unsigned long long)v, RR_META_VERSION);
	if (check_sum(text, len, &len, err, errlen))
		return -1;
	m->version = (unsigned)v;
	char *copy = malloc(len + 1);
	if (!copy)
		return errmsg(err, errlen, "out of memory");
	memcpy(copy, text, len);
	copy[len] = 0;
	bool seen[NFIELDS] = { 0 };
	int r = 0;
	unsigned lineno = 0;
	char *next = copy;
	while (next && *next && !r) {
		char *line = strsep(&next, "\n"); /* blank lines count, for the line numbers */
		if (++lineno > 1 && *line) /* line 1, the version, was checked above */
			r = parse_line(line, lineno, m, seen, err, errlen);
	}
	free(copy);
	return r ? r : check_complete(m, seen, err, errlen);
}

static void format_field(const struct field *f, const struct rr_meta *m, FILE *out)
{
	const void *p = (const char *)m + f->offset;
	switch (f->type) {
	case F_U64: fprintf(out, "%s %llu\n", f->key, *(const unsigned long long *)p); break;
	case F_HEX64: fprintf(out, "%s %016llx\n", f->key, *(const unsigned long long *)p); break;
	case F_INT: fprintf(out, "%s %d\n", f->key, *(const int *)p); break;
	case F_BOOL: fprintf(out, "%s %d\n", f->key, *(const bool *)p); break;
	default: fprintf(out, "%s %s\n", f->key, (const char *)p); break;
	}
}

static void format_body(const struct rr_meta *m, FILE *out)
{
	fprintf(out, "encore-recording %u\n", RR_META_VERSION);
	for (unsigned k = 0; k < NFIELDS; k++) {
		const struct field *f = &fields[k];
		if (k == STATE_FIELD) {
			fprintf(out, "state %s\n", m->complete ? "complete" : "recording");
			continue;
		}
		if (k >= FIRST_SUMMARY_FIELD && !m->complete)
			break;
		/* An empty append is still a command line (--append ""),
		 * unlike none at all, which means the default one. */
		const void *v = (const char *)m + f->offset;
		bool given = !strcmp(f->key, "append") ? m->has_append
			     : f->type == F_U64 ? *(const u64 *)v != 0 : *(const char *)v != 0;
		if ((f->need == OPTIONAL || f->need == SUMMARY_OPTIONAL) && !given)
			continue;
		format_field(f, m, out);
	}
}

void rr_meta__format(const struct rr_meta *m, FILE *out)
{
	char *body = NULL, line[RR_META_CHECKSUM_LINE];
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	if (!f) {
		fputs("(out of memory)\n", out); /* no checksum: read back as damaged */
		return;
	}
	format_body(m, f);
	if (fclose(f)) {
		fputs("(out of memory)\n", out);
		return;
	}
	rr_meta__checksum_line(body, len, line);
	fwrite(body, 1, len, out);
	fputs(line, out);
	free(body);
}

int rr_meta__write(const char *dir, const struct rr_meta *m, char *err, size_t errlen)
{
	char tmp[4200], path[4200];
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, RR_META_FILE);
	snprintf(path, sizeof(path), "%s/%s", dir, RR_META_FILE);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return errmsg(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
	rr_meta__format(m, f);
	bool ok = !ferror(f) && fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok &= fclose(f) == 0;
	if (!ok || rename(tmp, path))
		return errmsg(err, errlen, "cannot write %s: %s", path, strerror(errno));
	return 0;
}

int rr_meta__read(const char *dir, struct rr_meta *m, char *err, size_t errlen)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, RR_META_FILE);
	FILE *f = fopen(path, "r");
	if (!f) {
		memset(m, 0, sizeof(*m));
		return errmsg(err, errlen, "%s: cannot open %s: %s", dir, RR_META_FILE,
			    errno == ENOENT ? "no such file (not a recording, or the recorder "
			    "was killed before it began)" : strerror(errno));
	}
	char *text = malloc(RR_META_TEXT_MAX + 1);
	char msg[256] = "out of memory";
	size_t n = text ? fread(text, 1, RR_META_TEXT_MAX + 1, f) : 0;
	fclose(f);
	int r = text ? rr_meta__parse(text, n, m, msg, sizeof(msg)) : -1;
	free(text);
	return r ? errmsg(err, errlen, "%s: %s", path, msg) : 0;
}

bool rr_meta__by_exits(const struct rr_meta *m)
{
	return !strcmp(m->engine, "kvm");
}

const char *rr_meta__arch(const struct rr_meta *m)
{
	return m->arch[0] ? m->arch : RR_META_ARCH_X86_64;
}

int rr_meta__check_engine(const struct rr_meta *m, char *err, size_t errlen)
{
	if (!arch__by_name(rr_meta__arch(m))) {
		char known[128];
		arch__list(known, sizeof(known));
		return errmsg(err, errlen, "it records a machine of architecture '%s'; this encore "
			      "replays %s recordings only", rr_meta__arch(m), known);
	}
	if (!strcmp(m->engine, "interp") || rr_meta__by_exits(m))
		return 0;
	return errmsg(err, errlen, "recorded on the '%s' engine; this encore replays recordings "
		      "of the interpreter ('interp') and of KVM ('kvm')", m->engine);
}
