/*
 * Loading a System.map.  A symbol spans from its address to the next
 * symbol of any type, so data symbols end the code before them: an
 * address past _etext or in user space is not named after the last
 * function below it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encore/errmsg.h"
#include "system_map.h"

static char *slurp(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		errmsg(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	size_t n = 0, cap = 1 << 16;
	char *buf = malloc(cap + 1);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		char *bigger = realloc(buf, cap * 2 + 1);
		if (!bigger)
			free(buf);
		buf = bigger;
		cap *= 2;
	}
	bool failed = ferror(f);
	fclose(f);
	if (!buf || failed) {
		free(buf);
		errmsg(err, errlen, "%s", buf ? "read error" : "out of memory");
		return NULL;
	}
	buf[n] = 0;
	return buf;
}

static bool is_code_type(char t)
{
	return t == 'T' || t == 't' || t == 'W' || t == 'w';
}

/* Parses "ADDR TYPE NAME" in place (NUL-terminating NAME); false if the
 * line is not one. */
static bool parse_line(char *line, struct system_map_sym *s)
{
	char *end;
	errno = 0;
	s->addr = strtoull(line, &end, 16);
	if (end == line || errno || end[0] != ' ' || !end[1] || end[2] != ' ' || !end[3])
		return false;
	s->code = is_code_type(end[1]);
	s->name = end + 3;
	end[3 + strcspn(end + 3, " \t\r")] = 0;
	return true;
}

static int by_addr_code_first(const void *a, const void *b)
{
	const struct system_map_sym *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->code != y->code)
		return x->code ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name; /* file order */
}

/* Sorts and keeps one symbol per address: a code one if there is one. */
static void sort_unique(struct system_map *m)
{
	qsort(m->syms, m->n, sizeof(*m->syms), by_addr_code_first);
	size_t k = 0;
	for (size_t i = 0; i < m->n; i++)
		if (!k || m->syms[i].addr != m->syms[k - 1].addr)
			m->syms[k++] = m->syms[i];
	m->n = k;
}

static int parse_all(struct system_map *m, char *err, size_t errlen)
{
	size_t lines = 1, code = 0, lineno = 0;
	for (const char *p = m->text; *p; p++)
		lines += *p == '\n';
	m->syms = malloc(lines * sizeof(*m->syms));
	if (!m->syms)
		return errmsg(err, errlen, "out of memory");
	for (char *line = m->text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		if (!line[strspn(line, " \t\r")])
			continue;
		if (!parse_line(line, &m->syms[m->n]))
			return errmsg(err, errlen, "line %zu: not a System.map line "
				      "(want \"ADDRESS TYPE NAME\")", lineno);
		code += m->syms[m->n++].code;
	}
	if (!code)
		return errmsg(err, errlen, "no code symbols (types T, t, W, w)");
	sort_unique(m);
	return 0;
}

int system_map__load(struct system_map *m, const char *path, char *err, size_t errlen)
{
	*m = (struct system_map){ 0 };
	m->text = slurp(path, err, errlen);
	if (!m->text)
		return -1;
	if (parse_all(m, err, errlen)) {
		system_map__free(m);
		return -1;
	}
	return 0;
}

void system_map__free(struct system_map *m)
{
	free(m->syms);
	free(m->text);
	*m = (struct system_map){ 0 };
}

const char *system_map__lookup(const struct system_map *m, u64 addr, u64 *offset)
{
	size_t lo = 0, hi = m->n; /* the answer is the last symbol below hi with addr <= addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || !m->syms[lo - 1].code)
		return NULL;
	*offset = addr - m->syms[lo - 1].addr;
	return m->syms[lo - 1].name;
}
