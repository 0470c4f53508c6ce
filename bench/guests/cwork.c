/*
 * Compiled C benchmark guest: the mix of work compiled code does, in four
 * parts of roughly equal guest instruction counts --
 *   1. hashing: FNV-1a over a 64 KiB buffer plus a 64-bit multiply/xor
 *      mix over its words;
 *   2. sorting: quicksort of 64 Ki u32 from an LCG, repeated;
 *   3. a switch-based bytecode VM running a small loop program that
 *      loads and stores VM memory and branches on data;
 *   4. pointer chasing along a linked list of 256 Ki nodes shuffled
 *      through 4 MiB, flushing the TLB between walks.
 * Freestanding, integer only (no SSE/x87), so encore and QEMU run the
 * same code.  Prints one line, "cwork <64-bit checksum in hex>", on COM1;
 * cwork_start.S then exits 0 through port 0xf4.
 */
typedef unsigned char u8;
typedef unsigned int u32;
typedef int s32;
typedef unsigned long u64;

/* Repetitions of each part, sized for ~2.5 G guest instructions in all;
 * -DCWORK_DIV=N divides them (bench/run.sh runs a 1/20 copy under
 * callgrind, so the count covers all four parts). */
#ifndef CWORK_DIV
#define CWORK_DIV 1
#endif
#define HASH_ROUNDS (1200 / CWORK_DIV)
#define SORT_ROUNDS (55 / CWORK_DIV)
#define VM_OUTER (2450 / CWORK_DIV)
#define LIST_WALKS (470 / CWORK_DIV)

static u64 lcg_next(u64 *state)
{
	*state = *state * 6364136223846793005ull + 1442695040888963407ull;
	return *state >> 32;
}

static u64 mix64(u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* ---- 1. hashing ---- */

#define HASH_WORDS 8192			/* 64 KiB */
static u64 hash_buf[HASH_WORDS];

static u64 fnv1a(const u8 *p, u64 len)
{
	u64 h = 14695981039346656037ull;

	for (u64 i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static u64 word_mix(const u64 *w, u64 n)
{
	u64 h = 0x9e3779b97f4a7c15ull;

	for (u64 i = 0; i < n; i++) {
		h = (h ^ w[i]) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
	}
	return h;
}

static u64 part_hash(void)
{
	u64 seed = 1, acc = 0;

	for (u64 i = 0; i < HASH_WORDS; i++)
		hash_buf[i] = lcg_next(&seed) << 32 | lcg_next(&seed);
	for (u32 r = 0; r < HASH_ROUNDS; r++) {
		u64 h = fnv1a((const u8 *)hash_buf, sizeof(hash_buf));
		u64 m = word_mix(hash_buf, HASH_WORDS);

		acc = mix64(acc ^ h) + m;
		hash_buf[h % HASH_WORDS] ^= m;	/* each round hashes new data */
	}
	return acc;
}

/* ---- 2. sorting ---- */

#define SORT_N 65536
static u32 sort_buf[SORT_N];

static void insertion_sort(u32 *a, long n)
{
	for (long i = 1; i < n; i++) {
		u32 v = a[i];
		long j = i - 1;

		while (j >= 0 && a[j] > v) {
			a[j + 1] = a[j];
			j--;
		}
		a[j + 1] = v;
	}
}

/* Hoare partition around a median of three; recurse on the smaller side. */
static void quicksort(u32 *a, long n)
{
	while (n > 16) {
		u32 x = a[0], y = a[n / 2], z = a[n - 1];
		u32 pivot = x < y ? (y < z ? y : (x < z ? z : x))
				  : (x < z ? x : (y < z ? z : y));
		long i = -1, j = n;

		for (;;) {
			do i++; while (a[i] < pivot);
			do j--; while (a[j] > pivot);
			if (i >= j)
				break;
			u32 t = a[i];
			a[i] = a[j];
			a[j] = t;
		}
		if (j + 1 < n - j - 1) {
			quicksort(a, j + 1);
			a += j + 1;
			n -= j + 1;
		} else {
			quicksort(a + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	insertion_sort(a, n);
}

static u64 part_sort(void)
{
	u64 seed = 2, acc = 0;

	for (u32 r = 0; r < SORT_ROUNDS; r++) {
		for (u32 i = 0; i < SORT_N; i++)
			sort_buf[i] = (u32)lcg_next(&seed);
		quicksort(sort_buf, SORT_N);
		u64 h = 0;
		for (u32 i = 0; i < SORT_N; i++) {
			if (i && sort_buf[i - 1] > sort_buf[i])
				return 0;	/* not sorted: a wrong checksum */
			h = h * 31 + sort_buf[i];
		}
		acc = mix64(acc ^ h);
	}
	return acc;
}

/* ---- 3. bytecode VM ---- */

enum vm_op {
	OP_LI,		/* r[a] = imm */
	OP_ADD,		/* r[a] = r[b] + r[c] */
	OP_ADDI,	/* r[a] = r[b] + imm */
	OP_MUL,		/* r[a] = r[b] * r[c] */
	OP_XOR,		/* r[a] = r[b] ^ r[c] */
	OP_ANDI,	/* r[a] = r[b] & imm */
	OP_SHRI,	/* r[a] = r[b] >> imm */
	OP_SHLI,	/* r[a] = r[b] << imm */
	OP_LD,		/* r[a] = mem[(r[b] + imm) % VM_MEM] */
	OP_ST,		/* mem[(r[b] + imm) % VM_MEM] = r[a] */
	OP_BLT,		/* if r[a] < r[b]: pc = imm */
	OP_BNE,		/* if r[a] != r[b]: pc = imm */
	OP_JMP,		/* pc = imm */
	OP_HALT,	/* return r[a] */
};

struct vm_insn {
	u8 op, a, b, c;
	s32 imm;
};

#define VM_MEM 1024
static u64 vm_mem[VM_MEM];

/*
 * for (o = 0; o < VM_OUTER; o++)
 *	for (i = 0; i < 1024; i++) {
 *		v = mem[i] * 31 + i ^ acc; mem[i] = v;
 *		acc += mem[(v >> 7) & 1023];
 *		acc ^= (v & 1) ? acc << 1 : v;
 *	}
 * return acc;
 */
static const struct vm_insn vm_prog[] = {
	/*  0 */ { OP_LI, 0, 0, 0, 0 },		/* r0 = o */
	/*  1 */ { OP_LI, 1, 0, 0, VM_OUTER },
	/*  2 */ { OP_LI, 7, 0, 0, 0x12345 },	/* r7 = acc */
	/*  3 */ { OP_LI, 6, 0, 0, 31 },
	/*  4 */ { OP_LI, 3, 0, 0, 1024 },
	/*  5 */ { OP_LI, 8, 0, 0, 0 },		/* r8 = 0 */
	/*  6 */ { OP_LI, 2, 0, 0, 0 },		/* outer: r2 = i */
	/*  7 */ { OP_LD, 4, 2, 0, 0 },		/* inner: */
	/*  8 */ { OP_MUL, 4, 4, 6, 0 },
	/*  9 */ { OP_ADD, 4, 4, 2, 0 },
	/* 10 */ { OP_XOR, 4, 4, 7, 0 },
	/* 11 */ { OP_ST, 4, 2, 0, 0 },
	/* 12 */ { OP_SHRI, 5, 4, 0, 7 },
	/* 13 */ { OP_ANDI, 5, 5, 0, 1023 },
	/* 14 */ { OP_LD, 5, 5, 0, 0 },
	/* 15 */ { OP_ADD, 7, 7, 5, 0 },
	/* 16 */ { OP_ANDI, 5, 4, 0, 1 },
	/* 17 */ { OP_BNE, 5, 8, 0, 20 },
	/* 18 */ { OP_XOR, 7, 7, 4, 0 },	/* even */
	/* 19 */ { OP_JMP, 0, 0, 0, 22 },
	/* 20 */ { OP_SHLI, 5, 7, 0, 1 },	/* odd */
	/* 21 */ { OP_XOR, 7, 7, 5, 0 },
	/* 22 */ { OP_ADDI, 2, 2, 0, 1 },
	/* 23 */ { OP_BLT, 2, 3, 0, 7 },
	/* 24 */ { OP_ADDI, 0, 0, 0, 1 },
	/* 25 */ { OP_BLT, 0, 1, 0, 6 },
	/* 26 */ { OP_HALT, 7, 0, 0, 0 },
};

static u64 vm_run(const struct vm_insn *prog, u64 *mem)
{
	u64 r[16] = { 0 };
	u32 pc = 0;

	for (;;) {
		const struct vm_insn *in = &prog[pc++];

		switch (in->op) {
		case OP_LI: r[in->a] = (u64)(long)in->imm; break;
		case OP_ADD: r[in->a] = r[in->b] + r[in->c]; break;
		case OP_ADDI: r[in->a] = r[in->b] + (u64)(long)in->imm; break;
		case OP_MUL: r[in->a] = r[in->b] * r[in->c]; break;
		case OP_XOR: r[in->a] = r[in->b] ^ r[in->c]; break;
		case OP_ANDI: r[in->a] = r[in->b] & (u64)(long)in->imm; break;
		case OP_SHRI: r[in->a] = r[in->b] >> (in->imm & 63); break;
		case OP_SHLI: r[in->a] = r[in->b] << (in->imm & 63); break;
		case OP_LD: r[in->a] = mem[(r[in->b] + in->imm) % VM_MEM]; break;
		case OP_ST: mem[(r[in->b] + in->imm) % VM_MEM] = r[in->a]; break;
		case OP_BLT: if (r[in->a] < r[in->b]) pc = in->imm; break;
		case OP_BNE: if (r[in->a] != r[in->b]) pc = in->imm; break;
		case OP_JMP: pc = in->imm; break;
		case OP_HALT: return r[in->a];
		default: return 0;
		}
	}
}

static u64 part_vm(void)
{
	u64 seed = 3;

	for (u32 i = 0; i < VM_MEM; i++)
		vm_mem[i] = lcg_next(&seed);
	u64 acc = vm_run(vm_prog, vm_mem);
	for (u32 i = 0; i < VM_MEM; i++)
		acc = mix64(acc ^ vm_mem[i]);
	return acc;
}

/* ---- 4. linked-list walk ---- */

#define LIST_N 262144			/* 16-byte nodes: 4 MiB */
struct node {
	struct node *next;
	u64 val;
};
static struct node nodes[LIST_N];
static u32 perm[LIST_N];

/*
 * Reload CR3 between walks, as an OS's context switches would.  QEMU only
 * resizes its soft TLB (256 entries to start with) when it is flushed;
 * without this it never grows to cover the 4 MiB of nodes, and misses on
 * nearly every node, which no guest under an OS would see.
 */
static void flush_tlb(void)
{
	u64 cr3;

	__asm__ volatile("mov %%cr3, %0\n\tmov %0, %%cr3" : "=r"(cr3) : : "memory");
}

static u64 part_list(void)
{
	u64 seed = 4, acc = 0;

	for (u32 i = 0; i < LIST_N; i++)
		perm[i] = i;
	for (u32 i = LIST_N - 1; i > 0; i--) {	/* Fisher-Yates */
		u32 j = (u32)((lcg_next(&seed) * (i + 1)) >> 32);
		u32 t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (u32 i = 0; i < LIST_N; i++) {	/* one cycle in shuffled order */
		nodes[perm[i]].next = &nodes[perm[(i + 1) % LIST_N]];
		nodes[perm[i]].val = lcg_next(&seed);
	}
	struct node *p = &nodes[perm[0]];
	for (u32 w = 0; w < LIST_WALKS; w++) {
		u64 s = w;

		for (u32 k = 0; k < LIST_N; k++) {
			s = s * 3 + p->val;
			p = p->next;
		}
		p->val ^= s;			/* each walk sees new data */
		flush_tlb();
		acc = mix64(acc ^ s);
	}
	return acc;
}

/* ---- output ---- */

static void outb(u32 port, u8 v)
{
	__asm__ volatile("outb %0, %w1" : : "a"(v), "Nd"(port));
}

static void puts_com1(const char *s)
{
	while (*s)
		outb(0x3f8, (u8)*s++);
}

void cwork_main(void);
void cwork_main(void)
{
	u64 sum = 0;
	char hex[17];

	sum = mix64(sum ^ part_hash());
	sum = mix64(sum ^ part_sort());
	sum = mix64(sum ^ part_vm());
	sum = mix64(sum ^ part_list());
	for (int i = 0; i < 16; i++)
		hex[i] = "0123456789abcdef"[(sum >> (60 - 4 * i)) & 15];
	hex[16] = 0;
	puts_com1("cwork ");
	puts_com1(hex);
	puts_com1("\n");
}
