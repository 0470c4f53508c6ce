/*
 * encore inspect: what a recording holds, for people or (--json) for
 * programs: the guest, its length in instructions and time, its events
 * by kind, the log's size and density, and its checkpoints.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "integrity.h"
#include "recording.h"
#include "encore/run.h"
#include "encore/hw/virtio_net.h"
#include "rr/disk_journal.h"
#include "rr/rec_dir.h"
#include "snap/snap_reader.h"

struct inspect_opts {
	const char *dir;
	bool json, events, verify;
};

/* What inspect derives from the log. */
struct facts {
	u64 by_kind[RR_EV_KIND_END];
	struct rr_landmark last;  /* the end, or how far a cut-short log goes */
	double virtual_s;
	u64 console_file_bytes;
	i64 boot_time;
	const struct snap_reader *snap; /* the stored checkpoints */
	u64 page_store_bytes, checkpoint_file_bytes;
	/* Each vCPU's instructions at the last checkpoint (the end, if the
	 * recording is complete); known_vcpus 0 where that cannot be said. */
	u64 vcpu_insns[MACHINE_MAX_VCPUS];
	unsigned known_vcpus;
	u32 vcpu_checkpoint;
	/* Each disk's history in the disk journal: blocks first read (base)
	 * and blocks written; the journal's size. */
	int ndisks;
	u64 disk_base[RR_META_MAX_DISKS], disk_written[RR_META_MAX_DISKS];
	u64 journal_bytes;
	/* The network: frames received (the log's), and sent (the card's part
	 * at the last checkpoint, when there is one). */
	u64 rx_frames, rx_bytes;
	bool tx_known;
	struct virtio_net_io_state net_io;
	u32 net_checkpoint;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: encore inspect REC [--json] [--events] [--verify]\n"
		"\n"
		"Summarise the recording REC: guest, instructions, virtual and wall\n"
		"duration, events by kind, log size and bytes per guest-second, and\n"
		"its checkpoints (instructions, virtual time, pages written in the\n"
		"interval before, pages whose content changed, new unique pages and\n"
		"the bytes they take in the page store).\n"
		"\n"
		"  --json      the same as one JSON object\n"
		"  --events    list every event as well\n"
		"  --verify    also read every stored page and check its hash, and\n"
		"              recompute every checkpoint's state hash\n"
		"  -h, --help  this help\n"
		"\n"
		"Exit status: 0, or 2 if the recording is unreadable or damaged (each\n"
		"problem is listed, then what can still be replayed and restored).\n");
}

static int parse(int argc, char **argv, struct inspect_opts *o)
{
	enum { OPT_JSON = 256, OPT_EVENTS, OPT_VERIFY };
	static const struct option longopts[] = {
		{ "verify", no_argument, 0, OPT_VERIFY },
		{ "json", no_argument, 0, OPT_JSON },
		{ "events", no_argument, 0, OPT_EVENTS },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	memset(o, 0, sizeof(*o));
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON: o->json = true; break;
		case OPT_EVENTS: o->events = true; break;
		case OPT_VERIFY: o->verify = true; break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "encore inspect: give one recording directory\n");
		return 2;
	}
	o->dir = argv[optind];
	return 0;
}

/* By exits (docs/kvm.md), virtual time is idle_ns alone. */
static const char *progress_unit(const struct rr_meta *m)
{
	return rr_meta__by_exits(m) ? "exits" : "instructions";
}

static u64 virtual_ns(const struct rr_meta *m, u64 progress, u64 idle_ns)
{
	return (rr_meta__by_exits(m) ? 0 : progress) + idle_ns;
}

/* From the last checkpoint's vCPU parts; a recording made on KVM counts
 * exits, not instructions, so it has none to show. */
static void gather_vcpus(const struct recording *rec, struct facts *f)
{
	const struct snap_reader *r = f->snap;
	const struct encore_arch *arch = arch__by_name(rr_meta__arch(&rec->meta));
	if (!r || !r->count || rr_meta__by_exits(&rec->meta) || !arch)
		return;
	u32 k = r->count - 1;
	unsigned n = r->info[k].nvcpus;
	for (unsigned v = 0; v < n; v++) {
		struct state_part part;
		const u8 *bytes = snap_reader__part(r, k, 1 + v, &part);
		if (part.size != vcpu_part__size(arch))
			return;
		memcpy(&f->vcpu_insns[v], bytes + offsetof(struct vcpu_part, insns), sizeof(u64));
	}
	f->known_vcpus = n;
	f->vcpu_checkpoint = k;
}

static void gather_disks(const struct recording *rec, struct facts *f)
{
	f->ndisks = rr_meta__ndisks(&rec->meta);
	struct disk_journal_entry *e;
	u64 count;
	bool torn;
	char err[REC_PATH_MAX + 1024], path[REC_PATH_MAX + 64];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", rec->dir, DISK_JOURNAL_FILE);
	if (f->ndisks <= 0 || stat(path, &st))
		return;
	f->journal_bytes = (u64)st.st_size;
	if (disk_journal__read(rec->dir, rec->meta.id, &e, &count, &torn, err, sizeof(err)))
		return; /* the integrity check reports it */
	for (u64 k = 0; k < count; k++)
		if (e[k].disk < f->ndisks)
			(e[k].kind == 1 ? f->disk_base : f->disk_written)[e[k].disk]++;
	free(e);
}

/* The network card's part at the last checkpoint: what the guest sent. */
static void gather_net(const struct recording *rec, struct facts *f)
{
	const struct snap_reader *r = f->snap;
	if (!rec->meta.net[0] || !r || !r->count)
		return;
	u32 k = r->count - 1;
	for (u32 idx = 0; idx < r->info[k].nparts; idx++) {
		struct state_part part;
		const u8 *bytes = snap_reader__part(r, k, idx, &part);
		if (!strcmp(part.name, "net0-io") && part.size == sizeof(f->net_io)) {
			memcpy(&f->net_io, bytes, sizeof(f->net_io));
			f->tx_known = true;
			f->net_checkpoint = k;
		}
	}
}

static void print_net(const struct recording *rec, const struct facts *f)
{
	if (!rec->meta.net[0])
		return;
	printf("network:       %s; received %llu frames (%llu bytes, in the log: %.0f log bytes per "
	       "MB received)", rec->meta.net, (unsigned long long)f->rx_frames,
	       (unsigned long long)f->rx_bytes,
	       f->rx_bytes ? rec->log.file_bytes / (f->rx_bytes / 1e6) : 0.0);
	if (f->tx_known)
		printf("; sent %llu frames (%llu bytes) by checkpoint %u",
		       (unsigned long long)f->net_io.tx_frames,
		       (unsigned long long)f->net_io.tx_bytes, f->net_checkpoint);
	printf("\n");
}

static void gather(const struct recording *rec, struct facts *f)
{
	memset(f, 0, sizeof(*f));
	const struct rr_log *log = &rec->log;
	for (size_t k = 0; k < log->count; k++) {
		f->by_kind[log->events[k].kind]++;
		if (log->events[k].kind == RR_EV_NET) {
			f->rx_frames++;
			f->rx_bytes += log->events[k].net.len;
		}
	}
	f->last = log->ended ? log->events[log->count - 1].at : log->through;
	f->virtual_s = virtual_ns(&rec->meta, f->last.insns, f->last.idle_ns) / 1e9;
	f->boot_time = log->count ? log->events[0].boot_time : 0;
	char path[REC_PATH_MAX + 64];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", rec->dir, REC_CONSOLE_FILE);
	if (!stat(path, &st))
		f->console_file_bytes = (u64)st.st_size;
	snprintf(path, sizeof(path), "%s/%s", rec->dir, SNAP_PAGES_FILE);
	if (!stat(path, &st))
		f->page_store_bytes = (u64)st.st_size;
	snprintf(path, sizeof(path), "%s/%s", rec->dir, SNAP_CKPTS_FILE);
	if (!stat(path, &st))
		f->checkpoint_file_bytes = (u64)st.st_size;
	gather_disks(rec, f);
}

/* One line per disk: its size and mode, what the recording holds of it. */
static void print_disks(const struct recording *rec, const struct facts *f)
{
	for (int k = 0; k < f->ndisks; k++) {
		u64 size;
		bool ro;
		rr_meta__disk(&rec->meta, (unsigned)k, &size, &ro);
		printf("%-15svd%c, %.1f MiB%s: %llu blocks kept as first read, %llu block writes "
		       "(4 KiB blocks, in the page store)\n", k ? "" : "disks:", 'a' + k,
		       size / 1048576.0, ro ? ", read-only" : "",
		       (unsigned long long)f->disk_base[k], (unsigned long long)f->disk_written[k]);
	}
	if (f->ndisks > 0)
		printf("%-15s%llu bytes of disk journal\n", "", (unsigned long long)f->journal_bytes);
}

static void describe_event(const struct rr_event *ev, char *buf, size_t n)
{
	switch (ev->kind) {
	case RR_EV_BOOT_TIME: snprintf(buf, n, "epoch %lld", (long long)ev->boot_time); break;
	case RR_EV_CHECKPOINT:
		snprintf(buf, n, "#%u state %016llx console %llu", ev->checkpoint.index,
			 (unsigned long long)ev->checkpoint.state_hash,
			 (unsigned long long)ev->checkpoint.console_bytes);
		break;
	case RR_EV_INPUT: {
		int len = snprintf(buf, n, "%u bytes \"", ev->input.len);
		for (u32 k = 0; k < ev->input.len && len + 6 < (int)n; k++) {
			u8 c = ev->input.bytes[k];
			len += snprintf(buf + len, n - len, c >= 32 && c < 127 && c != '"' && c != '\\' ?
					"%c" : "\\x%02x", c);
		}
		snprintf(buf + len, n - len, "\"");
		break;
	}
	case RR_EV_IDLE:
		snprintf(buf, n, "skipped %llu of %llu ns", (unsigned long long)ev->idle.skipped_ns,
			 (unsigned long long)ev->idle.gap_ns);
		break;
	case RR_EV_PACE: snprintf(buf, n, "+%llu ns", (unsigned long long)ev->pace.ns); break;
	case RR_EV_NET:
		snprintf(buf, n, "%u bytes, ethertype %04x", ev->net.len,
			 ev->net.len >= 14 ? ev->net.bytes[12] << 8 | ev->net.bytes[13] : 0);
		break;
	case RR_EV_NET_SENT:
		snprintf(buf, n, "%llu frames sent, digest %016llx",
			 (unsigned long long)ev->net_sent.frames,
			 (unsigned long long)ev->net_sent.digest);
		break;
	case RR_EV_STOP: snprintf(buf, n, "status %d", ev->stop.status); break;
	case RR_EV_END:
		snprintf(buf, n, "%s status %d state %016llx console %llu",
			 run_outcome__name(ev->end.outcome), ev->end.status,
			 (unsigned long long)ev->end.state_hash,
			 (unsigned long long)ev->end.console_bytes);
		break;
	default: buf[0] = 0;
	}
}

static void describe_interval(const struct rr_meta *m, char *buf, size_t n)
{
	if (m->interval)
		snprintf(buf, n, "every %llu instructions", (unsigned long long)m->interval);
	else if (m->interval_ns)
		snprintf(buf, n, "every %.3f s of virtual time", m->interval_ns / 1e9);
	else
		snprintf(buf, n, "at the start and the end only");
}

static void print_checkpoints(const struct rr_meta *m, const struct facts *f)
{
	const struct snap_reader *r = f->snap;
	char every[64];
	describe_interval(m, every, sizeof(every));
	printf("checkpoints:   %u stored, %s; %llu bytes of pages, %llu bytes of checkpoint "
	       "records%s\n", r->count, every, (unsigned long long)f->page_store_bytes,
	       (unsigned long long)f->checkpoint_file_bytes,
	       r->torn ? " (the last record was cut short)" : "");
	printf("  %5s %14s %12s %8s %8s %8s %12s %10s %16s\n", "#", progress_unit(m), "virtual s",
	       "dirty", "changed", "new", "new bytes", "console", "state hash");
	for (u32 k = 0; k < r->count; k++) {
		const struct ckpt_info *i = &r->info[k];
		printf("  %5u %14llu %12.6f %8llu %8u %8u %12llu %10llu %016llx%s\n", i->index,
		       (unsigned long long)i->insns, virtual_ns(m, i->insns, i->idle_ns) / 1e9,
		       (unsigned long long)i->dirty_frames, i->ndelta, i->nnew,
		       (unsigned long long)i->new_packed_bytes, (unsigned long long)i->console_bytes,
		       (unsigned long long)i->state_hash, i->flags & CKPT_FLAG_FINAL ? " final" : "");
	}
}

static void print_text(const struct recording *rec, const struct facts *f, bool events)
{
	const struct rr_meta *m = &rec->meta;
	const struct rr_log *log = &rec->log;
	char why[256] = "complete";
	if (!log->ended)
		recording__describe_cut(rec, why, sizeof(why));
	printf("recording:     %s (%s)\n", rec->dir, log->ended ? "complete" : why);
	printf("recorded:      %s by encore %s on %s (%s)%s\n", m->started, m->encore,
	       m->engine, rr_meta__arch(m), m->realtime ? ", --realtime" : "");
	u64 parent, at;
	if (rr_meta__branch(m, &parent, &at))
		printf("branch of:     recording %016llx, gone live at instruction %llu (this one "
		       "starts there, at its checkpoint 0)\n", (unsigned long long)parent,
		       (unsigned long long)at);
	printf("guest:         %s", m->guest);
	if (m->kernel[0])
		printf(", kernel %s (xxh128 %s)", m->kernel, m->kernel_hash);
	if (m->initrd[0])
		printf(", initrd %s (xxh128 %s)", m->initrd, m->initrd_hash);
	printf(", %llu MiB RAM\n", (unsigned long long)(m->mem >> 20));
	if (m->has_append)
		printf("command line:  %s\n", m->append);
	printf("boot time:     %lld (seconds since 1970, UTC)\n", (long long)f->boot_time);
	printf("%-15s%llu%s\n", rr_meta__by_exits(m) ? "exits:" : "instructions:",
	       (unsigned long long)f->last.insns, log->ended ? "" : " (as far as the log goes)");
	printf("vCPUs:         %llu", (unsigned long long)m->smp);
	if (m->smp > 1)
		printf(", in turns of %llu instructions", (unsigned long long)m->quantum);
	for (unsigned v = 0; v < f->known_vcpus; v++)
		printf("%s%llu on vCPU %u", v ? ", " : " (instructions: ",
		       (unsigned long long)f->vcpu_insns[v], v);
	if (f->known_vcpus)
		printf("%s)", log->ended ? "" : " at the last checkpoint");
	printf("\n");
	printf("virtual time:  %.3f s (%.3f s of it idle)\n", f->virtual_s, f->last.idle_ns / 1e9);
	if (m->complete)
		printf("wall time:     %.3f s to record\n", m->wall_ns / 1e9);
	if (log->ended)
		printf("ended:         %s, exit status %d, state hash %016llx\n",
		       run_outcome__name(log->events[log->count - 1].end.outcome),
		       log->events[log->count - 1].end.status,
		       (unsigned long long)log->events[log->count - 1].end.state_hash);
	printf("events:        %zu:", log->count);
	for (unsigned k = 1; k < RR_EV_KIND_END; k++)
		printf(" %s %llu", rr_event_kind__name(k), (unsigned long long)f->by_kind[k]);
	printf("\nlog:           %llu bytes in %u blocks; %.1f bytes per guest-second, %.4f bytes "
	       "per 1000 %s\n", (unsigned long long)log->file_bytes, log->blocks,
	       f->virtual_s > 0 ? log->file_bytes / f->virtual_s : 0.0,
	       f->last.insns ? log->file_bytes * 1000.0 / f->last.insns : 0.0, progress_unit(m));
	printf("console:       %llu bytes of output\n", (unsigned long long)f->console_file_bytes);
	print_disks(rec, f);
	print_net(rec, f);
	print_checkpoints(m, f);
	if (!events)
		return;
	printf("events:\n  %6s %-10s %16s %16s %5s %4s %18s  %s\n", "#", "kind", progress_unit(m),
	       "idle ns", "poll", "vcpu", "rip", "details");
	for (size_t k = 0; k < log->count; k++) {
		const struct rr_event *ev = &log->events[k];
		char d[512];
		describe_event(ev, d, sizeof(d));
		printf("  %6zu %-10s %16llu %16llu %5u %4u %#18llx  %s\n", k,
		       rr_event_kind__name(ev->kind), (unsigned long long)ev->at.insns,
		       (unsigned long long)ev->at.idle_ns, ev->at.seq, ev->at.vcpu,
		       (unsigned long long)ev->pc, d);
	}
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 32 || c >= 127)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_json(const struct recording *rec, const struct facts *f,
		       const struct integrity *health, bool events)
{
	const struct rr_meta *m = &rec->meta;
	const struct rr_log *log = &rec->log;
	const struct rr_event *end = log->ended ? &log->events[log->count - 1] : NULL;
	printf("{\"recording\":");
	json_string(rec->dir);
	printf(",\"complete\":%s,\"torn\":%s,\"started\":", log->ended ? "true" : "false",
	       log->torn ? "true" : "false");
	json_string(m->started);
	printf(",\"branch_of\":");
	json_string(m->branch_of);
	printf(",\"encore\":");
	json_string(m->encore);
	printf(",\"engine\":");
	json_string(m->engine);
	printf(",\"arch\":");
	json_string(rr_meta__arch(m));
	printf(",\"guest\":");
	json_string(m->guest);
	printf(",\"kernel\":");
	json_string(m->kernel);
	printf(",\"initrd\":");
	json_string(m->initrd);
	printf(",\"append\":");
	if (m->has_append)
		json_string(m->append);
	else
		printf("null");
	printf(",\"vcpus\":%llu,\"vcpu_quantum\":%llu,\"vcpu_instructions\":",
	       (unsigned long long)m->smp, (unsigned long long)m->quantum);
	for (unsigned v = 0; v < f->known_vcpus; v++)
		printf("%s%llu", v ? "," : "[", (unsigned long long)f->vcpu_insns[v]);
	printf(f->known_vcpus ? "]" : "null");
	printf(",\"mem\":%llu,\"realtime\":%s,\"boot_time\":%lld,\"instructions\":%llu,"
	       "\"idle_ns\":%llu,\"virtual_seconds\":%.9f,\"wall_seconds\":",
	       (unsigned long long)m->mem, m->realtime ? "true" : "false", (long long)f->boot_time,
	       (unsigned long long)f->last.insns, (unsigned long long)f->last.idle_ns,
	       f->virtual_s);
	if (m->complete)
		printf("%.9f", m->wall_ns / 1e9);
	else
		printf("null");
	if (end)
		printf(",\"outcome\":\"%s\",\"exit_status\":%d,\"state_hash\":\"%016llx\"",
		       run_outcome__name(end->end.outcome), end->end.status,
		       (unsigned long long)end->end.state_hash);
	printf(",\"events\":{\"total\":%zu", log->count);
	for (unsigned k = 1; k < RR_EV_KIND_END; k++)
		printf(",\"%s\":%llu", rr_event_kind__name(k), (unsigned long long)f->by_kind[k]);
	printf("},\"disks\":[");
	for (int k = 0; k < f->ndisks; k++) {
		u64 size;
		bool ro;
		rr_meta__disk(m, (unsigned)k, &size, &ro);
		printf("%s{\"name\":\"vd%c\",\"bytes\":%llu,\"readonly\":%s,\"blocks_first_read\":%llu,"
		       "\"block_writes\":%llu}", k ? "," : "", 'a' + k, (unsigned long long)size,
		       ro ? "true" : "false", (unsigned long long)f->disk_base[k],
		       (unsigned long long)f->disk_written[k]);
	}
	printf("],\"disk_journal_bytes\":%llu", (unsigned long long)f->journal_bytes);
	printf(",\"net\":\"%s\",\"net_rx_frames\":%llu,\"net_rx_bytes\":%llu", m->net,
	       (unsigned long long)f->rx_frames, (unsigned long long)f->rx_bytes);
	if (f->tx_known)
		printf(",\"net_tx_frames\":%llu,\"net_tx_bytes\":%llu",
		       (unsigned long long)f->net_io.tx_frames, (unsigned long long)f->net_io.tx_bytes);
	printf(",\"log_bytes\":%llu,\"log_blocks\":%u,\"log_bytes_per_guest_second\":%.3f,"
	       "\"log_bytes_per_1000_instructions\":%.6f,\"console_bytes\":%llu,\"interval\":%llu,"
	       "\"interval_ns\":%llu,\"page_store_bytes\":%llu,\"checkpoint_file_bytes\":%llu,"
	       "\"checkpoints_torn\":%s,\"checkpoints\":[", (unsigned long long)log->file_bytes,
	       log->blocks, f->virtual_s > 0 ? log->file_bytes / f->virtual_s : 0.0,
	       f->last.insns ? log->file_bytes * 1000.0 / f->last.insns : 0.0,
	       (unsigned long long)f->console_file_bytes, (unsigned long long)m->interval,
	       (unsigned long long)m->interval_ns, (unsigned long long)f->page_store_bytes,
	       (unsigned long long)f->checkpoint_file_bytes, f->snap->torn ? "true" : "false");
	for (u32 k = 0; k < f->snap->count; k++) {
		const struct ckpt_info *i = &f->snap->info[k];
		printf("%s{\"index\":%u,\"instructions\":%llu,\"idle_ns\":%llu,\"virtual_ns\":%llu,"
		       "\"state_hash\":\"%016llx\",\"console_bytes\":%llu,\"dirty_pages\":%llu,"
		       "\"changed_pages\":%u,\"new_pages\":%u,\"new_bytes\":%llu,\"final\":%s}",
		       k ? "," : "", i->index, (unsigned long long)i->insns,
		       (unsigned long long)i->idle_ns,
		       (unsigned long long)virtual_ns(&rec->meta, i->insns, i->idle_ns),
		       (unsigned long long)i->state_hash, (unsigned long long)i->console_bytes,
		       (unsigned long long)i->dirty_frames, i->ndelta, i->nnew,
		       (unsigned long long)i->new_packed_bytes,
		       i->flags & CKPT_FLAG_FINAL ? "true" : "false");
	}
	printf("]");
	if (events) {
		printf(",\"event_list\":[");
		for (size_t k = 0; k < log->count; k++) {
			const struct rr_event *ev = &log->events[k];
			char d[512];
			describe_event(ev, d, sizeof(d));
			printf("%s{\"kind\":\"%s\",\"instructions\":%llu,\"idle_ns\":%llu,\"poll\":%u,"
			       "\"rip\":%llu,\"details\":", k ? "," : "", rr_event_kind__name(ev->kind),
			       (unsigned long long)ev->at.insns, (unsigned long long)ev->at.idle_ns,
			       ev->at.seq, (unsigned long long)ev->pc);
			json_string(d);
			printf("}");
		}
		printf("]");
	}
	printf(",\"damaged\":%s,\"damage\":[", health->damaged ? "true" : "false");
	const char *line = health->report;
	for (bool first = true; *line; first = false) {
		const char *nl = strchr(line, '\n');
		char one[2048];
		snprintf(one, sizeof(one), "%.*s", (int)(nl - line), line);
		printf(first ? "" : ",");
		json_string(one);
		line = nl + 1;
	}
	printf("]}\n");
}

int cmd_inspect(int argc, char **argv)
{
	struct inspect_opts o;
	int pr = parse(argc, argv, &o);
	if (pr)
		return pr == 1 ? 0 : pr;
	struct recording rec;
	if (recording__open(&rec, o.dir, "inspect"))
		return 2;
	struct facts f;
	gather(&rec, &f);
	static struct snap_reader snap;
	static struct integrity health;
	char err[1024];
	int status = 0;
	integrity__check(&rec, o.verify, &health);
	if (snap_reader__open(&snap, o.dir, rec.meta.id, err, sizeof(err))) {
		status = 2;
	} else {
		f.snap = &snap;
		gather_vcpus(&rec, &f);
		gather_net(&rec, &f);
		if (o.json)
			print_json(&rec, &f, &health, o.events);
		else
			print_text(&rec, &f, o.events);
	}
	if (health.damaged) {
		integrity__print(&health, "inspect");
		status = 2;
	} else if (o.verify) {
		fprintf(stderr, "encore inspect: all %llu stored pages match their hashes, and all "
			"%u checkpoints their state hashes; the guest files, console output and "
			"event log are whole\n", (unsigned long long)health.pages_checked,
			health.checkpoints);
	}
	integrity__free(&health);
	snap_reader__close(&snap);
	recording__close(&rec);
	return status;
}
