// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The MMP command engine: compiles the syntax strings of every area table,
 * matches lines against them with typed arguments, and answers completion
 * and help from the same compiled tables (see cmd.h for the syntax).
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/parse.h"
#include "lib/cmd.h"

/* --- roles ------------------------------------------------------------ */

static const struct {
	unsigned role;
	const char *name;
} roles[] = {
	{ MMP_ROLE_ADMIN, "admin" },	   { MMP_ROLE_CRYPTO, "crypto" }, { MMP_ROLE_AUDIT, "audit" },
	{ MMP_ROLE_APPADMIN, "appadmin" }, { MMP_ROLE_API, "api" },
};

const char *mmp_role_name(unsigned role)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].role == role)
			return roles[i].name;
	return NULL;
}

int mmp_role_parse(const char *s, unsigned *ret_role)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(roles[i].name, s) == 0) {
			*ret_role = roles[i].role;
			return 0;
		}
	return -EINVAL;
}

/* --- argument types: chosen by the placeholder name -------------------- */

struct argtype {
	const char *name;
	enum mmp_arg_type type;
	const char *help;
};

static const struct argtype argtypes[] = {
	{ "if", MMP_T_IFACE, "Interface: a, b, c or d" },
	{ "addr", MMP_T_IPV4, "IPv4 address" },
	{ "gw", MMP_T_IPV4, "Gateway IPv4 address" },
	{ "server-ip", MMP_T_IPV4, "Server IPv4 address" },
	{ "primary-ip", MMP_T_IPV4, "IPv4 address of the primary" },
	{ "prefix", MMP_T_PREFIX, "Address/prefix length, for example 192.0.2.10/24" },
	{ "cidr", MMP_T_CIDR, "Network, for example 192.0.2.0/24" },
	{ "net", MMP_T_CIDR, "Network, for example 192.0.2.0/24" },
	{ "port", MMP_T_PORT, "Port, 1-65535" },
	{ "if:port", MMP_T_IFPORT, "Interface and port, for example a:445" },
	{ "key", MMP_T_FILE, "Private key file in the upload directory" },
	{ "crt", MMP_T_FILE, "Certificate file in the upload directory" },
	{ "fullchain-crt", MMP_T_FILE, "Full-chain certificate file in the upload directory" },
	{ "bundle", MMP_T_FILE, "CA bundle file in the upload directory" },
	{ "file", MMP_T_FILE, "File in the upload directory" },
	{ "host", MMP_T_HOST, "Host name or IPv4 address" },
	{ "hostname", MMP_T_HOSTNAME, "Host name" },
	{ "domain", MMP_T_HOSTNAME, "Domain name" },
	{ "user", MMP_T_USER, "User name" },
	{ "name", MMP_T_WORD, "Name" },
	{ "n", MMP_T_NUM, "Number" },
	{ "days", MMP_T_NUM, "Number of days" },
	{ "hours", MMP_T_NUM, "Number of hours" },
	{ "seconds", MMP_T_NUM, "Number of seconds" },
};

static const struct argtype *argtype_of(const char *name)
{
	static const struct argtype word = { NULL, MMP_T_WORD, "Text" };

	for (size_t i = 0; i < sizeof(argtypes) / sizeof(argtypes[0]); i++)
		if (strcmp(argtypes[i].name, name) == 0)
			return &argtypes[i];
	return &word;
}

/* Validates tok as type t, filling v. Returns 0, or -EINVAL with the
 * operator-facing message appended to err. */
static int arg_convert(enum mmp_arg_type t, const char *tok, struct mmp_val *v, struct strbuf *err)
{
	const char *what = NULL;

	switch (t) {
	case MMP_T_LITERAL:
	case MMP_T_WORD:
		for (const char *p = tok; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				what = "argument";
				break;
			}
		break;
	case MMP_T_IFACE:
		if (cv_parse_iface(tok, &v->u.iface) < 0)
			what = "interface";
		break;
	case MMP_T_IPV4:
		if (cv_parse_ipv4(tok, &v->u.addr) < 0)
			what = "address";
		break;
	case MMP_T_PREFIX:
		if (cv_parse_ipv4_prefix(tok, &v->u.addr, &v->plen) < 0)
			what = "address";
		break;
	case MMP_T_CIDR:
		if (cv_parse_cidr(tok, &v->u.addr, &v->plen) < 0)
			what = "address";
		break;
	case MMP_T_PORT:
		if (cv_parse_port(tok, &v->u.port) < 0)
			what = "port";
		break;
	case MMP_T_IFPORT: {
		/* "<if>:<port>"; a bare "<if>" leaves the port 0 for the
		 * handler's default (webbridge3 uses 443, spec/mmp.md 1.3). */
		char ifn[2] = { tok[0], '\0' };

		if (tok[0] == '\0' || cv_parse_iface(ifn, &v->iface) < 0) {
			sb_printf(err, "Invalid interface \"%s\"\n", tok[0] ? ifn : tok);
			return -EINVAL;
		}
		if (tok[1] == '\0') {
			v->u.port = 0;
		} else if (tok[1] != ':' || cv_parse_port(tok + 2, &v->u.port) < 0) {
			sb_printf(err, "Invalid port \"%s\"\n", tok[1] == ':' ? tok + 2 : tok);
			return -EINVAL;
		}
		break;
	}
	case MMP_T_FILE:
		if (cv_parse_filename(tok) < 0)
			what = "file name";
		break;
	case MMP_T_HOST:
		if (cv_parse_host(tok) < 0)
			what = "host";
		break;
	case MMP_T_HOSTNAME:
		if (cv_parse_hostname(tok) < 0)
			what = "host name";
		break;
	case MMP_T_USER:
		if (cv_parse_username(tok) < 0)
			what = "user name";
		break;
	case MMP_T_NUM:
		if (cv_parse_ulong(tok, 0, 0xffffffffUL, &v->u.num) < 0)
			what = "number";
		break;
	}
	if (what) {
		sb_printf(err, "Invalid %s \"%s\"\n", what, tok);
		return -EINVAL;
	}
	v->str = tok;
	v->type = t;
	return 0;
}

/* --- compiled syntax ---------------------------------------------------- */

#define MAX_OPTS 12

struct opt {
	bool lit;
	const char *word; /* the keyword, or the placeholder name */
	const struct argtype *at;
};

struct elem {
	bool optional;
	bool repeat;
	size_t nopt;
	struct opt opts[MAX_OPTS];
};

struct compiled {
	const struct mmp_cmd *cmd;
	size_t nel;
	struct elem el[MMP_MAX_TOKENS];
	char *text; /* owns the strings the opts point into */
};

static struct compiled *compiled;
static size_t ncompiled;

static void __attribute__((noreturn)) syntax_bug(const struct mmp_cmd *c, const char *why)
{
	fprintf(stderr, "mmp: bad syntax string \"%s\": %s\n", c->syntax, why);
	abort();
}

static void compile_opt(const struct mmp_cmd *c, char *s, struct opt *o)
{
	size_t n = strlen(s);

	if (s[0] == '<') {
		if (n < 3 || s[n - 1] != '>')
			syntax_bug(c, "unclosed <");
		s[n - 1] = '\0';
		o->lit = false;
		o->word = s + 1;
		o->at = argtype_of(o->word);
	} else {
		if (n == 0 || strpbrk(s, "<>()[]|"))
			syntax_bug(c, "bad keyword");
		o->lit = true;
		o->word = s;
		o->at = NULL;
	}
}

static void compile_cmd(const struct mmp_cmd *c, struct compiled *cc)
{
	char *save = NULL, *tok;

	cc->cmd = c;
	cc->text = xstrdup(c->syntax);
	for (tok = strtok_r(cc->text, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		struct elem *e;
		size_t n = strlen(tok);

		if (cc->nel >= MMP_MAX_TOKENS)
			syntax_bug(c, "too many elements");
		if (cc->nel > 0 && cc->el[cc->nel - 1].repeat)
			syntax_bug(c, "repeat must be last");
		e = &cc->el[cc->nel++];
		if (n > 3 && strcmp(tok + n - 3, "...") == 0) {
			e->repeat = true;
			tok[n - 3] = '\0';
			n -= 3;
		}
		if (tok[0] == '[') {
			if (tok[n - 1] != ']')
				syntax_bug(c, "unclosed [");
			e->optional = true;
			tok[n - 1] = '\0';
			tok++;
			n -= 2;
			/* "[x...]": zero or more. */
			if (n > 3 && strcmp(tok + n - 3, "...") == 0) {
				e->repeat = true;
				tok[n - 3] = '\0';
				n -= 3;
			}
		}
		if (tok[0] == '(') {
			char *alt_save = NULL, *a;

			if (tok[n - 1] != ')')
				syntax_bug(c, "unclosed (");
			tok[n - 1] = '\0';
			for (a = strtok_r(tok + 1, "|", &alt_save); a;
			     a = strtok_r(NULL, "|", &alt_save)) {
				if (e->nopt >= MAX_OPTS)
					syntax_bug(c, "too many alternatives");
				compile_opt(c, a, &e->opts[e->nopt++]);
			}
		} else {
			compile_opt(c, tok, &e->opts[e->nopt++]);
		}
		if (e->nopt == 0)
			syntax_bug(c, "empty element");
	}
	if (cc->nel == 0 || cc->el[0].nopt != 1 || !cc->el[0].opts[0].lit || cc->el[0].optional)
		syntax_bug(c, "a command starts with a keyword");
}

void mmp_engine_init(const struct mmp_area *const *areas, size_t nareas)
{
	size_t total = 0, k = 0;

	if (compiled)
		return;
	for (size_t a = 0; a < nareas; a++)
		total += areas[a]->ncmds;
	compiled = xcalloc(total ? total : 1, sizeof(*compiled));
	for (size_t a = 0; a < nareas; a++)
		for (size_t i = 0; i < areas[a]->ncmds; i++)
			compile_cmd(&areas[a]->cmds[i], &compiled[k++]);
	ncompiled = k;
}

size_t mmp_ncmds(void)
{
	return ncompiled;
}

const struct mmp_cmd *mmp_cmd_at(size_t i)
{
	return i < ncompiled ? compiled[i].cmd : NULL;
}

/* --- tokenizer ------------------------------------------------------------ */

int mmp_tokenize(const char *line, char **ret_buf, const char **argv, size_t *ret_argc)
{
	size_t len = strlen(line), argc = 0;
	char *buf, *w;
	const char *p = line;

	if (len > MMP_LINE_MAX)
		return -E2BIG;
	buf = xmalloc(len + 1);
	w = buf;
	for (;;) {
		bool quoted = false, have = false;
		char *start;

		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		start = w;
		while (*p && (quoted || !(*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))) {
			if (*p == '"') {
				quoted = !quoted;
				have = true;
				p++;
				continue;
			}
			*w++ = *p++;
			have = true;
		}
		if (quoted) {
			free(buf);
			return -EINVAL;
		}
		*w++ = '\0';
		if (have) {
			if (argc >= MMP_MAX_TOKENS) {
				free(buf);
				return -E2BIG;
			}
			argv[argc++] = start;
		}
	}
	*ret_buf = buf;
	*ret_argc = argc;
	return 0;
}

/* --- matching ---------------------------------------------------------- */

enum fail {
	F_NONE,	 /* matched whole */
	F_MORE,	 /* the line ended too soon */
	F_EXTRA, /* tokens left over */
	F_LIT,	 /* a keyword did not match */
	F_ARG,	 /* an argument failed its type */
};

struct result {
	enum fail fail;
	size_t depth; /* tokens matched before the failure */
	size_t lits;  /* keywords matched (specificity) */
	struct mmp_val vals[MMP_MAX_TOKENS];
	size_t nvals;
	char argerr[160];
};

/* Matches one token against an element: 1 matched (v filled), 0 keyword
 * mismatch, -1 an argument refused it (message in err). */
static int match_tok(const struct elem *e, const char *tok, struct mmp_val *v, bool *ret_lit,
		     struct strbuf *err)
{
	int r = 0;

	for (size_t i = 0; i < e->nopt; i++) {
		const struct opt *o = &e->opts[i];

		if (o->lit && strcmp(o->word, tok) == 0) {
			memset(v, 0, sizeof(*v));
			v->name = o->word;
			v->str = tok;
			v->type = MMP_T_LITERAL;
			*ret_lit = true;
			return 1;
		}
	}
	for (size_t i = 0; i < e->nopt; i++) {
		const struct opt *o = &e->opts[i];
		struct strbuf e2 = STRBUF_INIT;

		if (o->lit)
			continue;
		memset(v, 0, sizeof(*v));
		v->name = o->word;
		if (arg_convert(o->at->type, tok, v, &e2) == 0) {
			sb_free(&e2);
			*ret_lit = false;
			return 1;
		}
		if (r == 0)
			sb_puts(err, sb_str(&e2));
		r = -1;
		sb_free(&e2);
	}
	return r;
}

static bool better(const struct result *a, const struct result *b)
{
	/* Is a a better explanation of the line than b? */
	if ((a->fail == F_NONE) != (b->fail == F_NONE))
		return a->fail == F_NONE;
	if (a->depth != b->depth)
		return a->depth > b->depth;
	return a->fail == F_ARG && b->fail != F_ARG;
}

static void match_from(const struct compiled *c, size_t ei, const char **argv, size_t ti,
		       size_t argc, struct result *cur, struct result *best)
{
	const struct elem *e;

	if (ei == c->nel) {
		cur->fail = ti == argc ? F_NONE : F_EXTRA;
		cur->depth = ti;
		if (better(cur, best))
			*best = *cur;
		return;
	}
	e = &c->el[ei];
	if (ti == argc) {
		if (e->optional) {
			match_from(c, ei + 1, argv, ti, argc, cur, best);
			return;
		}
		cur->fail = F_MORE;
		cur->depth = ti;
		if (better(cur, best))
			*best = *cur;
		return;
	}
	{
		struct strbuf err = STRBUF_INIT;
		struct mmp_val *v = &cur->vals[cur->nvals];
		bool lit = false;
		int m = match_tok(e, argv[ti], v, &lit, &err);

		if (m == 1) {
			size_t saved_lits = cur->lits, saved_n = cur->nvals;

			cur->nvals++;
			cur->lits += lit;
			if (e->repeat && ti + 1 < argc)
				match_from(c, ei, argv, ti + 1, argc, cur, best);
			else
				match_from(c, ei + 1, argv, ti + 1, argc, cur, best);
			cur->nvals = saved_n;
			cur->lits = saved_lits;
		} else {
			cur->fail = m < 0 ? F_ARG : F_LIT;
			cur->depth = ti;
			snprintf(cur->argerr, sizeof(cur->argerr), "%s", sb_str(&err));
			if (better(cur, best))
				*best = *cur;
		}
		sb_free(&err);
	}
	if (e->optional)
		match_from(c, ei + 1, argv, ti, argc, cur, best);
}

static void match_cmd(const struct compiled *c, const char **argv, size_t argc, struct result *best)
{
	struct result *cur = xcalloc(1, sizeof(*cur));

	memset(best, 0, sizeof(*best));
	best->fail = F_LIT;
	match_from(c, 0, argv, 0, argc, cur, best);
	free(cur);
}

int mmp_match_line(const char *line, struct mmp_match *ret, struct strbuf *err)
{
	const char *argv[MMP_MAX_TOKENS];
	struct result *r, *best_full = NULL, *best_fail = NULL;
	size_t argc, best_depth = 0;
	bool known = false;
	char *buf;
	int rc;

	memset(ret, 0, sizeof(*ret));
	rc = mmp_tokenize(line, &buf, argv, &argc);
	if (rc == -EINVAL) {
		sb_puts(err, "Unterminated quote\n");
		return -EINVAL;
	}
	if (rc < 0) {
		sb_puts(err, "Command line too long\n");
		return -EINVAL;
	}
	if (argc == 0) {
		free(buf);
		return -ENOENT;
	}
	r = xcalloc(ncompiled, sizeof(*r));
	for (size_t i = 0; i < ncompiled; i++) {
		if (strcmp(compiled[i].el[0].opts[0].word, argv[0]) != 0)
			continue;
		known = true;
		match_cmd(&compiled[i], argv, argc, &r[i]);
		if (r[i].fail == F_NONE) {
			if (!best_full || r[i].lits > best_full->lits)
				best_full = &r[i];
		} else if (r[i].depth > best_depth) {
			best_depth = r[i].depth;
		}
	}
	if (best_full) {
		ret->cmd = compiled[best_full - r].cmd;
		memcpy(ret->vals, best_full->vals, sizeof(ret->vals));
		ret->nvals = best_full->nvals;
		ret->tokbuf = buf;
		free(r);
		return 0;
	}
	if (!known) {
		sb_printf(err, "Unknown command: %s\n", argv[0]);
		goto fail;
	}
	/* The deepest failure explains the line; an argument's own error
	 * beats a usage list when it is what stopped the match. */
	for (size_t i = 0; i < ncompiled; i++)
		if (r[i].fail != F_NONE && r[i].depth == best_depth && r[i].fail == F_ARG &&
		    strcmp(compiled[i].el[0].opts[0].word, argv[0]) == 0) {
			best_fail = &r[i];
			break;
		}
	if (best_fail) {
		sb_puts(err, best_fail->argerr);
		goto fail;
	}
	{
		bool first = true;

		for (size_t i = 0; i < ncompiled; i++) {
			if (strcmp(compiled[i].el[0].opts[0].word, argv[0]) != 0 ||
			    r[i].depth != best_depth)
				continue;
			sb_printf(err, "%s%s\n", first ? "Usage: " : "       ",
				  compiled[i].cmd->syntax);
			first = false;
		}
	}
fail:
	free(r);
	free(buf);
	return -EINVAL;
}

void mmp_match_free(struct mmp_match *m)
{
	free(m->tokbuf);
	m->tokbuf = NULL;
}

/* --- completion and help ------------------------------------------------- */

typedef void (*next_fn)(const struct compiled *c, const struct elem *e, void *opaque);

/* Calls fn for every element that may come after argv[0..argc) in c;
 * e == NULL means the line may end here. */
static void walk_next(const struct compiled *c, size_t ei, const char **argv, size_t ti,
		      size_t argc, next_fn fn, void *opaque)
{
	const struct elem *e;
	struct strbuf err = STRBUF_INIT;
	struct mmp_val v;
	bool lit;

	if (ti == argc) {
		if (ei == c->nel) {
			fn(c, NULL, opaque);
			return;
		}
		fn(c, &c->el[ei], opaque);
		if (c->el[ei].optional)
			walk_next(c, ei + 1, argv, ti, argc, fn, opaque);
		return;
	}
	if (ei == c->nel)
		return;
	e = &c->el[ei];
	if (match_tok(e, argv[ti], &v, &lit, &err) == 1) {
		if (e->repeat)
			walk_next(c, ei, argv, ti + 1, argc, fn, opaque);
		if (!e->repeat || ti + 1 == argc)
			walk_next(c, ei + 1, argv, ti + 1, argc, fn, opaque);
	}
	sb_free(&err);
	if (e->optional)
		walk_next(c, ei + 1, argv, ti, argc, fn, opaque);
}

static void walk_all(const char *line, bool with_partial, unsigned role, const char **ret_partial,
		     char **ret_buf, next_fn fn, void *opaque)
{
	const char *argv[MMP_MAX_TOKENS];
	size_t argc = 0, len = strlen(line);
	char *buf = NULL;

	*ret_partial = "";
	*ret_buf = NULL;
	if (mmp_tokenize(line, &buf, argv, &argc) < 0)
		return;
	if (with_partial && argc > 0 && len > 0 && line[len - 1] != ' ' && line[len - 1] != '\t')
		*ret_partial = argv[--argc];
	for (size_t i = 0; i < ncompiled; i++)
		if (compiled[i].cmd->roles & role)
			walk_next(&compiled[i], 0, argv, 0, argc, fn, opaque);
	*ret_buf = buf;
}

struct complete_state {
	const char *partial;
	json_object *files;
	json_object *arr;
};

static void add_unique(json_object *arr, const char *s)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s) == 0)
			return;
	json_object_array_add(arr, json_object_new_string(s));
}

static void complete_files(struct complete_state *st)
{
	size_t n = st->files ? json_object_array_length(st->files) : 0;

	for (size_t i = 0; i < n; i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(st->files, i));

		/* Only names a command accepts: a name goes back to the
		 * operator's terminal, so none with control characters. */
		if (name && cv_parse_filename(name) == 0 &&
		    strncmp(name, st->partial, strlen(st->partial)) == 0)
			add_unique(st->arr, name);
	}
}

static void complete_one(const struct compiled *c, const struct elem *e, void *opaque)
{
	struct complete_state *st = opaque;
	size_t plen = strlen(st->partial);

	if (!e)
		return;
	for (size_t i = 0; i < e->nopt; i++) {
		const struct opt *o = &e->opts[i];

		if (o->lit) {
			if (strncmp(o->word, st->partial, plen) == 0)
				add_unique(st->arr, o->word);
		} else if (o->at->type == MMP_T_IFACE) {
			for (const char *p = CV_IFACES; *p; p++) {
				char s[2] = { *p, '\0' };

				if (strncmp(s, st->partial, plen) == 0)
					add_unique(st->arr, s);
			}
		} else if (o->at->type == MMP_T_FILE) {
			complete_files(st);
		}
	}
}

static int cmp_json_str(const void *a, const void *b)
{
	json_object *const *x = a, *const *y = b;

	return strcmp(json_object_get_string(*x), json_object_get_string(*y));
}

json_object *mmp_complete(const char *line, unsigned role, json_object *files)
{
	struct complete_state st = { .files = files, .arr = json_object_new_array() };
	char *buf;

	walk_all(line, true, role, &st.partial, &buf, complete_one, &st);
	json_object_array_sort(st.arr, cmp_json_str);
	free(buf);
	return st.arr;
}

struct help_state {
	struct strbuf *out;
	json_object *seen;
};

static void help_row(struct help_state *st, const char *tok, const char *help)
{
	size_t n = json_object_array_length(st->seen);

	add_unique(st->seen, tok);
	if (json_object_array_length(st->seen) == n)
		return;
	if (help && strlen(tok) < 22)
		sb_printf(st->out, "  %-22s%s\n", tok, help);
	else if (help)
		sb_printf(st->out, "  %s  %s\n", tok, help);
	else
		sb_printf(st->out, "  %s\n", tok);
}

static void help_one(const struct compiled *c, const struct elem *e, void *opaque)
{
	struct help_state *st = opaque;

	if (!e) {
		help_row(st, "<cr>", NULL);
		return;
	}
	for (size_t i = 0; i < e->nopt; i++) {
		const struct opt *o = &e->opts[i];

		if (o->lit) {
			help_row(st, o->word, c->cmd->help);
		} else {
			char name[80];

			snprintf(name, sizeof(name), "<%s>", o->word);
			help_row(st, name, o->at->help);
		}
	}
}

void mmp_help_next(const char *line, unsigned role, struct strbuf *out)
{
	struct help_state st = { .out = out, .seen = json_object_new_array() };
	const char *partial;
	char *buf;

	walk_all(line, false, role, &partial, &buf, help_one, &st);
	free(buf);
	json_object_put(st.seen);
}

void mmp_help_list(const char *prefix, unsigned role, struct strbuf *out)
{
	size_t plen = strlen(prefix);

	for (size_t i = 0; i < ncompiled; i++) {
		const struct mmp_cmd *c = compiled[i].cmd;

		if (!(c->roles & role))
			continue;
		if (plen && (strncmp(c->syntax, prefix, plen) != 0 ||
			     (c->syntax[plen] != ' ' && c->syntax[plen] != '\0')))
			continue;
		if (strlen(c->syntax) < 46)
			sb_printf(out, "%-46s %s\n", c->syntax, c->help);
		else
			sb_printf(out, "%s\n%-46s %s\n", c->syntax, "", c->help);
	}
}

/* --- execution and handler helpers ------------------------------------------ */

void mmp_ctx_init(struct mmp_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	sb_init(&ctx->out);
	ctx->from = "console";
}

void mmp_ctx_free(struct mmp_ctx *ctx)
{
	sb_free(&ctx->out);
}

int mmp_exec(struct mmp_ctx *ctx, const struct mmp_match *m)
{
	int r;

	ctx->cmd = m->cmd;
	memcpy(ctx->vals, m->vals, sizeof(ctx->vals));
	ctx->nvals = m->nvals;
	r = m->cmd->handler(ctx);
	if (r < 0)
		ctx->failed = true;
	if (ctx->failed) {
		/* A failed command changes nothing. */
		ctx->changed = false;
		ctx->nactions = 0;
	}
	return ctx->failed ? -1 : 0;
}

/* Arguments are found by placeholder name; keywords never match here (a
 * command like "hostname <hostname>" has both), use mmp_has() for them. */
const struct mmp_val *mmp_val(const struct mmp_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->nvals; i++)
		if (ctx->vals[i].type != MMP_T_LITERAL && strcmp(ctx->vals[i].name, name) == 0)
			return &ctx->vals[i];
	return NULL;
}

const char *mmp_arg(const struct mmp_ctx *ctx, const char *name)
{
	const struct mmp_val *v = mmp_val(ctx, name);

	return v ? v->str : NULL;
}

size_t mmp_vals(const struct mmp_ctx *ctx, const char *name, const struct mmp_val **ret_first)
{
	size_t n = 0;

	for (size_t i = 0; i < ctx->nvals; i++)
		if (ctx->vals[i].type != MMP_T_LITERAL && strcmp(ctx->vals[i].name, name) == 0) {
			if (n == 0)
				*ret_first = &ctx->vals[i];
			n++;
		}
	return n;
}

bool mmp_has(const struct mmp_ctx *ctx, const char *kw)
{
	for (size_t i = 0; i < ctx->nvals; i++)
		if (ctx->vals[i].type == MMP_T_LITERAL && strcmp(ctx->vals[i].str, kw) == 0)
			return true;
	return false;
}

void mmp_printf(struct mmp_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(&ctx->out, fmt, ap);
	va_end(ap);
}

int mmp_fail(struct mmp_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(&ctx->out, fmt, ap);
	va_end(ap);
	if (ctx->out.len == 0 || ctx->out.buf[ctx->out.len - 1] != '\n')
		sb_putc(&ctx->out, '\n');
	ctx->failed = true;
	return -1;
}

void mmp_upfiles_free(struct mmp_upfile *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(files[i].name);
	free(files);
}

void mmp_svc_action(struct mmp_ctx *ctx, const char *svc, enum mmp_svc_op op)
{
	assert(ctx->nactions < sizeof(ctx->actions) / sizeof(ctx->actions[0]));
	ctx->actions[ctx->nactions].svc = svc;
	ctx->actions[ctx->nactions].op = op;
	ctx->nactions++;
}
