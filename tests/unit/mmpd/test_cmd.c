// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the MMP command engine (lib/cmd.c) against the real
 * command tables: every syntax string compiles, the tokenizer, the error
 * texts ("Unknown command: x", "Usage: ...", "Invalid interface \"z\""),
 * typed values of a full match, completion and "?" help, and the role
 * masks. The commands used are the ones spec/mmp.md requires (turn, ipv4,
 * webbridge3, version, help, pki list); their handlers are run only where
 * the test can check a result that the spec fixes.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/mem.h"
#include "lib/cmd.h"
#include "services/mmpd/cmd_areas.h"
#include "services/mmpd/upload.h"
#include "tests/unit/tap.h"

/* --- helpers ---------------------------------------------------------------- */

static bool arr_has(json_object *arr, const char *s)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s) == 0)
			return true;
	return false;
}

static const char *arr_str(json_object *arr)
{
	return arr ? json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN) : "(null)";
}

/* The error text of matching line ("" when it matched). */
static char *match_err(const char *line, int *ret_rc)
{
	struct strbuf err = STRBUF_INIT;
	struct mmp_match m;
	int rc = mmp_match_line(line, &m, &err);

	if (rc == 0)
		mmp_match_free(&m);
	if (ret_rc)
		*ret_rc = rc;
	return sb_steal(&err);
}

static const struct mmp_cmd *find_cmd(const char *syntax_prefix)
{
	size_t n = strlen(syntax_prefix);

	for (size_t i = 0; i < mmp_ncmds(); i++) {
		const struct mmp_cmd *c = mmp_cmd_at(i);

		if (strncmp(c->syntax, syntax_prefix, n) == 0 &&
		    (c->syntax[n] == ' ' || c->syntax[n] == '\0'))
			return c;
	}
	return NULL;
}

static const struct mmp_val *val_of_type(const struct mmp_match *m, enum mmp_arg_type t,
					 size_t nth)
{
	for (size_t i = 0; i < m->nvals; i++)
		if (m->vals[i].type == t && nth-- == 0)
			return &m->vals[i];
	return NULL;
}

/* A fake mmpd environment: an upload directory and no installed services. */
static char upload_dir[4096];

/* The upload directory of the handlers: mmp_local_ops on upload_dir. No
 * service is installed; reboot and shutdown may be asked for. */
static struct mmp_local_dir updir = { .dirfd = -1 };
static struct mmp_env env = {
	.ops = &mmp_local_ops,
	.opaque = &updir,
	.can_act = true,
};

static void touch(const char *name)
{
	char *p = xasprintf("%s/%s", upload_dir, name);
	FILE *f = fopen(p, "w");

	if (f)
		fclose(f);
	free(p);
}

/* Runs line as admin against doc; returns the output (caller frees). */
static char *run(json_object *doc, const char *line, int *ret_status, bool *ret_changed)
{
	struct strbuf err = STRBUF_INIT;
	struct mmp_match m;
	struct mmp_ctx ctx;
	char *out;
	int rc;

	if (mmp_match_line(line, &m, &err) < 0) {
		*ret_status = 1;
		if (ret_changed)
			*ret_changed = false;
		return sb_steal(&err);
	}
	sb_free(&err);
	mmp_ctx_init(&ctx);
	ctx.doc = doc;
	ctx.env = &env;
	ctx.user = "admin";
	ctx.role = MMP_ROLE_ADMIN;
	rc = mmp_exec(&ctx, &m);
	*ret_status = rc < 0 ? 1 : 0;
	if (ret_changed)
		*ret_changed = ctx.changed;
	out = sb_steal(&ctx.out);
	mmp_ctx_free(&ctx);
	mmp_match_free(&m);
	return out;
}

/* --- tests ------------------------------------------------------------------ */

static void test_tables(void)
{
	size_t n, bad_roles = 0, bad_handler = 0, bad_help = 0, dup = 0;

	size_t total = 0;
	const struct mmp_cmd *first;

	for (size_t a = 0; a < mmp_nareas; a++)
		total += mmp_areas[a]->ncmds;
	mmp_engine_init(mmp_areas, mmp_nareas); /* aborts on a malformed syntax string */
	ok(mmp_ncmds() == total && total > 100,
	   "mmp_engine_init compiles every command of every table (%zu)", total);
	first = mmp_cmd_at(0);
	mmp_engine_init(&mmp_areas[1], 1);
	ok(mmp_ncmds() == total && mmp_cmd_at(0) == first,
	   "a second mmp_engine_init keeps the first tables");
	n = mmp_ncmds();
	ok(n > 0, "the tables hold %zu commands", n);
	ok(mmp_cmd_at(n) == NULL, "mmp_cmd_at past the end is NULL");

	for (size_t i = 0; i < n; i++) {
		const struct mmp_cmd *c = mmp_cmd_at(i);

		if (c->roles == 0 || (c->roles & ~MMP_ROLES_ALL)) {
			diag("bad roles 0x%x: %s", c->roles, c->syntax);
			bad_roles++;
		}
		if (!c->handler) {
			diag("no handler: %s", c->syntax);
			bad_handler++;
		}
		if (!c->help || !c->help[0] || strchr(c->help, '\n')) {
			diag("no one-line help: %s", c->syntax);
			bad_help++;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(mmp_cmd_at(j)->syntax, c->syntax) == 0) {
				diag("duplicate syntax: %s", c->syntax);
				dup++;
			}
	}
	is_int(bad_roles, 0, "every command has a non-zero roles mask within MMP_ROLES_ALL");
	is_int(bad_handler, 0, "every command has a handler");
	is_int(bad_help, 0, "every command has one line of help text");
	is_int(dup, 0, "no two commands share a syntax string");

	{
		static const char *const required[] = {
			"turn", "turn listen", "turn credentials", "ipv4", "version",
			"help", "pki list", "webbridge3", "hostname",
		};

		for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
			ok(find_cmd(required[i]) != NULL, "a command \"%s ...\" exists",
			   required[i]);
	}
	{
		int roles_ok = 1;

		for (size_t i = 0; i < mmp_nareas; i++)
			if (!mmp_areas[i]->name || !mmp_areas[i]->name[0])
				roles_ok = 0;
		ok(mmp_nareas >= 4 && roles_ok, "%zu named areas", mmp_nareas);
	}
	{
		unsigned r = 0;

		ok(mmp_role_parse("crypto", &r) == 0 && r == MMP_ROLE_CRYPTO,
		   "role \"crypto\" parses");
		ok(mmp_role_parse("root", &r) == -EINVAL, "role \"root\" is refused");
		is_str(mmp_role_name(MMP_ROLE_AUDIT), "audit", "role name of MMP_ROLE_AUDIT");
		ok(mmp_role_name(1u << 9) == NULL, "no name for an unknown role bit");
	}
}

static void test_tokenizer(void)
{
	const char *argv[MMP_MAX_TOKENS];
	char *buf = NULL;
	size_t argc = 0;
	int r;

	r = mmp_tokenize("  turn   listen\ta b  ", &buf, argv, &argc);
	ok(r == 0 && argc == 4 && strcmp(argv[0], "turn") == 0 && strcmp(argv[2], "a") == 0 &&
		   strcmp(argv[3], "b") == 0,
	   "spaces and tabs separate tokens");
	free(buf);

	r = mmp_tokenize("dns add rr \"edge IN A 192.0.2.1\" x", &buf, argv, &argc);
	ok(r == 0 && argc == 5, "a quoted string is one token");
	if (r == 0 && argc == 5)
		is_str(argv[3], "edge IN A 192.0.2.1", "quotes are dropped, spaces kept");
	else
		skip("no tokens");
	free(buf);

	r = mmp_tokenize("pki csr tac O:\"Example Inc.\" CN:x", &buf, argv, &argc);
	ok(r == 0 && argc == 5 && strcmp(argv[3], "O:Example Inc.") == 0,
	   "quotes inside a token group (O:\"Example Inc.\")");
	free(buf);

	r = mmp_tokenize("a \"\" b", &buf, argv, &argc);
	ok(r == 0 && argc == 3 && argv[1][0] == '\0', "\"\" is an empty token");
	free(buf);

	r = mmp_tokenize("   \t  ", &buf, argv, &argc);
	ok(r == 0 && argc == 0, "a blank line has no tokens");
	free(buf);

	buf = NULL;
	r = mmp_tokenize("turn credentials \"admin", &buf, argv, &argc);
	ok(r == -EINVAL && buf == NULL, "an unterminated quote is -EINVAL");

	{
		struct strbuf sb = STRBUF_INIT;

		for (int i = 0; i < MMP_MAX_TOKENS; i++)
			sb_puts(&sb, "x ");
		r = mmp_tokenize(sb_str(&sb), &buf, argv, &argc);
		ok(r == 0 && argc == MMP_MAX_TOKENS, "%d tokens are allowed", MMP_MAX_TOKENS);
		free(buf);
		sb_puts(&sb, "x");
		buf = NULL;
		r = mmp_tokenize(sb_str(&sb), &buf, argv, &argc);
		ok(r == -E2BIG && buf == NULL, "%d tokens are -E2BIG", MMP_MAX_TOKENS + 1);
		sb_free(&sb);
	}
	{
		char *longline = xmalloc(MMP_LINE_MAX + 2);

		memset(longline, 'y', MMP_LINE_MAX + 1);
		longline[MMP_LINE_MAX + 1] = '\0';
		buf = NULL;
		r = mmp_tokenize(longline, &buf, argv, &argc);
		ok(r == -E2BIG && buf == NULL, "a line over MMP_LINE_MAX is -E2BIG");
		free(longline);
	}
}

static void test_errors(void)
{
	char *e;
	int rc;

	e = match_err("", &rc);
	ok(rc == -ENOENT && e[0] == '\0', "an empty line is -ENOENT and says nothing");
	free(e);
	e = match_err("   ", &rc);
	ok(rc == -ENOENT && e[0] == '\0', "a blank line is -ENOENT and says nothing");
	free(e);

	e = match_err("foo", &rc);
	ok(rc == -EINVAL, "foo does not match");
	is_str(e, "Unknown command: foo\n", "Unknown command: foo");
	free(e);
	e = match_err("foo bar baz", &rc);
	is_str(e, "Unknown command: foo\n", "Unknown command names only the first token");
	free(e);
	e = match_err("TURN", &rc);
	is_str(e, "Unknown command: TURN\n", "keywords are case-sensitive");
	free(e);
	e = match_err("turn credentials \"admin", &rc);
	ok(rc == -EINVAL && strcmp(e, "Unterminated quote\n") == 0, "an unterminated quote");
	free(e);

	e = match_err("version extra", &rc);
	is_str(e, "Usage: version\n", "a word too many prints Usage:");
	free(e);

	e = match_err("turn listen", &rc);
	ok(rc == -EINVAL && strncmp(e, "Usage: turn listen", 18) == 0,
	   "turn listen without interfaces prints its Usage: line (%s)", tap_esc(e));
	free(e);

	e = match_err("ipv4 z", &rc);
	is_str(e, "Invalid interface \"z\"\n", "ipv4 z: Invalid interface \"z\"");
	free(e);
	e = match_err("ipv4 e", &rc);
	is_str(e, "Invalid interface \"e\"\n", "ipv4 e: Invalid interface \"e\"");
	free(e);
	e = match_err("turn listen a e", &rc);
	is_str(e, "Invalid interface \"e\"\n", "turn listen a e: Invalid interface \"e\"");
	free(e);
	e = match_err("ipv4 a add 10.124.144.80/33 10.124.144.1", &rc);
	is_str(e, "Invalid address \"10.124.144.80/33\"\n", "prefix 33: Invalid address");
	free(e);
	e = match_err("ipv4 a add 10.124.144.80/24 10.124.144.01", &rc);
	is_str(e, "Invalid address \"10.124.144.01\"\n", "gateway with a leading zero");
	free(e);
	e = match_err("webbridge3 c2w listen a:65536", &rc);
	is_str(e, "Invalid port \"65536\"\n", "a:65536: Invalid port");
	free(e);
	e = match_err("webbridge3 c2w listen a:0", &rc);
	is_str(e, "Invalid port \"0\"\n", "a:0: Invalid port");
	free(e);
	e = match_err("webbridge3 c2w listen e:6000", &rc);
	is_str(e, "Invalid interface \"e\"\n", "e:6000: Invalid interface");
	free(e);
	e = match_err("turn certs ../edge.key cmsedge-fullchain.cer", &rc);
	is_str(e, "Invalid file name \"../edge.key\"\n", "a file name with / is refused");
	free(e);
	e = match_err("turn certs .. cmsedge-fullchain.cer", &rc);
	is_str(e, "Invalid file name \"..\"\n", "the file name .. is refused");
	free(e);
}

static void test_full_match(void)
{
	struct strbuf err = STRBUF_INIT;
	struct mmp_match m;
	const struct mmp_val *v;
	int rc;

	rc = mmp_match_line("ipv4 a add 10.124.144.80/24 10.124.144.1", &m, &err);
	ok(rc == 0 && m.cmd && strncmp(m.cmd->syntax, "ipv4 ", 5) == 0,
	   "ipv4 a add ... matches an ipv4 command (%s)", tap_esc(sb_str(&err)));
	if (rc == 0) {
		v = val_of_type(&m, MMP_T_IFACE, 0);
		ok(v && v->u.iface == 'a', "the interface is typed: 'a'");
		v = val_of_type(&m, MMP_T_PREFIX, 0);
		ok(v && ntohl(v->u.addr.s_addr) == 0x0a7c9050 && v->plen == 24,
		   "the address is typed: 10.124.144.80 plen 24");
		v = val_of_type(&m, MMP_T_IPV4, 0);
		ok(v && ntohl(v->u.addr.s_addr) == 0x0a7c9001,
		   "the gateway is typed: 10.124.144.1");
		ok(m.vals[0].type == MMP_T_LITERAL && strcmp(m.vals[0].str, "ipv4") == 0,
		   "the first value is the keyword");
		mmp_match_free(&m);
	} else {
		skip("no match to inspect");
		skip("no match to inspect");
		skip("no match to inspect");
		skip("no match to inspect");
	}
	sb_reset(&err);

	rc = mmp_match_line("turn listen a b", &m, &err);
	ok(rc == 0 && m.cmd == find_cmd("turn listen"), "turn listen a b matches turn listen");
	if (rc == 0) {
		const struct mmp_val *a = val_of_type(&m, MMP_T_IFACE, 0);
		const struct mmp_val *b = val_of_type(&m, MMP_T_IFACE, 1);

		ok(a && b && a->u.iface == 'a' && b->u.iface == 'b',
		   "a repeated argument gives one typed value per token");
		ok(!(m.cmd->roles & MMP_ROLE_CRYPTO) && (m.cmd->roles & MMP_ROLE_ADMIN),
		   "turn listen is admin-only");
		mmp_match_free(&m);
	} else {
		skip("no match");
		skip("no match");
	}
	sb_reset(&err);

	rc = mmp_match_line("webbridge3 https listen a:445 b:445", &m, &err);
	ok(rc == 0, "webbridge3 https listen a:445 b:445 matches (%s)", tap_esc(sb_str(&err)));
	if (rc == 0) {
		const struct mmp_val *a = val_of_type(&m, MMP_T_IFPORT, 0);
		const struct mmp_val *b = val_of_type(&m, MMP_T_IFPORT, 1);

		ok(a && b && a->iface == 'a' && a->u.port == 445 && b->iface == 'b' &&
			   b->u.port == 445,
		   "if:port values carry interface and port");
		mmp_match_free(&m);
	} else {
		skip("no match");
	}
	sb_reset(&err);

	rc = mmp_match_line("turn credentials admin Cisco.123 cms.demo", &m, &err);
	ok(rc == 0 && m.cmd == find_cmd("turn credentials"), "turn credentials matches (%s)",
	   tap_esc(sb_str(&err)));
	if (rc == 0)
		mmp_match_free(&m);
	sb_reset(&err);

	rc = mmp_match_line("pki list", &m, &err);
	ok(rc == 0 && (m.cmd->roles & MMP_ROLE_CRYPTO) && (m.cmd->roles & MMP_ROLE_ADMIN),
	   "pki list is open to admin and crypto");
	if (rc == 0)
		mmp_match_free(&m);
	sb_reset(&err);

	rc = mmp_match_line("help turn", &m, &err);
	ok(rc == 0 && m.cmd == find_cmd("help"), "help turn matches help");
	if (rc == 0)
		mmp_match_free(&m);
	sb_free(&err);
}

/* The upload directory's names, as mmpd gives them to mmp_complete(). */
static json_object *mmpd_names_of(const struct mmp_env *e)
{
	json_object *arr = json_object_new_array();
	struct mmp_upfile *files = NULL;
	size_t n = 0;

	if (mmp_upload_list(e, &files, &n) == 0)
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, json_object_new_string(files[i].name));
	mmp_upfiles_free(files, n);
	return arr;
}

static void test_complete(void)
{
	json_object *c, *files;
	bool prefixed = true;

	c = mmp_complete("tu", MMP_ROLE_ADMIN, NULL);
	for (size_t i = 0; i < json_object_array_length(c); i++)
		if (strncmp(json_object_get_string(json_object_array_get_idx(c, i)), "tu", 2))
			prefixed = false;
	ok(arr_has(c, "turn") && prefixed, "\"tu\" completes to turn (%s)", arr_str(c));
	json_object_put(c);

	c = mmp_complete("turn li", MMP_ROLE_ADMIN, NULL);
	ok(json_object_array_length(c) == 1 && arr_has(c, "listen"),
	   "\"turn li\" completes to listen (%s)", arr_str(c));
	json_object_put(c);

	c = mmp_complete("ipv4 ", MMP_ROLE_ADMIN, NULL);
	is_str(arr_str(c), "[\"a\",\"b\",\"c\",\"d\"]", "\"ipv4 \" completes to a b c d");
	json_object_put(c);

	c = mmp_complete("turn listen a ", MMP_ROLE_ADMIN, NULL);
	ok(arr_has(c, "b") && arr_has(c, "d"), "after one interface come more (%s)", arr_str(c));
	json_object_put(c);

	c = mmp_complete("nosuch ", MMP_ROLE_ADMIN, NULL);
	is_int(json_object_array_length(c), 0, "nothing completes after an unknown command");
	json_object_put(c);

	c = mmp_complete("", MMP_ROLE_ADMIN, NULL);
	ok(arr_has(c, "turn") && arr_has(c, "ipv4") && arr_has(c, "version") && arr_has(c, "pki"),
	   "an empty line offers every first word");
	json_object_put(c);

	/* Files complete from the upload directory. */
	touch("edge.key");
	touch("cmsedge-fullchain.cer");
	touch("core.key");
	files = mmpd_names_of(&env);
	c = mmp_complete("turn certs e", MMP_ROLE_ADMIN, files);
	is_str(arr_str(c), "[\"edge.key\"]", "file names complete from the upload directory");
	json_object_put(c);
	c = mmp_complete("turn certs edge.key c", MMP_ROLE_ADMIN, files);
	ok(arr_has(c, "cmsedge-fullchain.cer") && arr_has(c, "core.key"),
	   "the certificate completes too (%s)", arr_str(c));
	json_object_put(c);

	/* Roles: crypto sees pki but not turn. */
	c = mmp_complete("", MMP_ROLE_CRYPTO, NULL);
	ok(arr_has(c, "pki") && !arr_has(c, "turn") && !arr_has(c, "ipv4"),
	   "crypto sees pki, not turn or ipv4 (%s)", arr_str(c));
	json_object_put(c);
	c = mmp_complete("pki ", MMP_ROLE_CRYPTO, NULL);
	ok(arr_has(c, "list"), "crypto completes pki list");
	json_object_put(c);
	c = mmp_complete("turn li", MMP_ROLE_CRYPTO, NULL);
	ok(!arr_has(c, "listen"), "crypto does not see turn listen");
	json_object_put(c);
	/* A name with a control character never reaches a terminal. */
	json_object_array_add(files, json_object_new_string("evil\x1b]0;x\x07.key"));
	c = mmp_complete("turn certs ", MMP_ROLE_ADMIN, files);
	ok(json_object_array_length(c) == 3 && !arr_has(c, "evil\x1b]0;x\x07.key"),
	   "a file name with control characters is not offered (%s)", arr_str(c));
	json_object_put(c);
	json_object_put(files);
}

static void test_help(void)
{
	struct strbuf sb = STRBUF_INIT;

	mmp_help_next("version", MMP_ROLE_ADMIN, &sb);
	ok(strstr(sb_str(&sb), "  <cr>") != NULL, "help_next lists <cr> after a whole command");
	sb_reset(&sb);

	mmp_help_next("turn listen", MMP_ROLE_ADMIN, &sb);
	ok(strstr(sb_str(&sb), "<cr>") == NULL && strstr(sb_str(&sb), "<if>") != NULL,
	   "help_next after turn listen wants <if>, not <cr> (%s)", tap_esc(sb_str(&sb)));
	sb_reset(&sb);

	mmp_help_next("turn listen a", MMP_ROLE_ADMIN, &sb);
	ok(strstr(sb_str(&sb), "<cr>") != NULL, "turn listen a may end there");
	sb_reset(&sb);

	mmp_help_next("turn", MMP_ROLE_ADMIN, &sb);
	ok(strstr(sb_str(&sb), "  listen ") != NULL && strstr(sb_str(&sb), "  <cr>") != NULL,
	   "help_next after turn lists listen and <cr> (turn alone is the status screen)");
	sb_reset(&sb);

	mmp_help_next("", MMP_ROLE_CRYPTO, &sb);
	ok(strstr(sb_str(&sb), "  pki ") != NULL && strstr(sb_str(&sb), "  turn ") == NULL,
	   "crypto's ? lists pki, not turn");
	sb_reset(&sb);

	mmp_help_list("", MMP_ROLE_CRYPTO, &sb);
	ok(strstr(sb_str(&sb), "pki list") != NULL && strstr(sb_str(&sb), "turn listen") == NULL,
	   "help for crypto lists pki list and not turn listen");
	sb_reset(&sb);

	mmp_help_list("turn", MMP_ROLE_ADMIN, &sb);
	ok(strstr(sb_str(&sb), "turn listen") != NULL && strstr(sb_str(&sb), "ipv4") == NULL,
	   "help turn lists the turn commands only");
	sb_reset(&sb);

	mmp_help_list("tu", MMP_ROLE_ADMIN, &sb);
	is_str(sb_str(&sb), "", "help list matches whole words, not prefixes");
	sb_free(&sb);
}

static void test_exec(void)
{
	json_object *doc = cv_conf_new(), *before;
	char *out;
	int st;
	bool changed;

	out = run(doc, "version", &st, &changed);
	ok(st == 0 && !changed, "version succeeds and changes nothing");
	{
		char *want = xasprintf("%s\n", CONVENE_VERSION);

		is_str(out, want, "version prints the version");
		free(want);
	}
	free(out);

	out = run(doc, "turn credentials admin Cisco.123 cms.demo", &st, &changed);
	ok(st == 0 && changed, "turn credentials succeeds and changes the document (%s)",
	   tap_esc(out));
	is_str(out, "", "turn credentials prints nothing");
	free(out);

	out = run(doc, "turn", &st, &changed);
	ok(st == 0 && !changed, "the turn status screen changes nothing");
	ok(strstr(out, "Username                : admin\n") != NULL &&
		   strstr(out, "Password                : Cisco.123\n") != NULL &&
		   strstr(out, "Realm                   : cms.demo\n") != NULL,
	   "the turn screen shows the stored credentials (spec/mmp.md 9)");
	free(out);

	before = NULL;
	json_object_deep_copy(doc, &before, NULL);
	out = run(doc, "ipv4 a add 10.0.0.5/24 10.1.0.1", &st, &changed);
	ok(st == 1 && !changed && strncmp(out, "Unknown", 7) != 0 && strncmp(out, "Usage", 5) != 0,
	   "a gateway off the subnet fails in its handler and changes nothing (%s)", tap_esc(out));
	free(out);
	ok(json_object_equal(before, doc), "the document is as before");
	json_object_put(before);

	json_object_put(doc);
}

static void rm_upload_dir(void)
{
	const char *names[] = { "edge.key", "cmsedge-fullchain.cer", "core.key" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *p = xasprintf("%s/%s", upload_dir, names[i]);

		unlink(p);
		free(p);
	}
	rmdir(upload_dir);
}

int main(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(upload_dir, sizeof(upload_dir), "%s/cv-cmd-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(upload_dir) || mmp_local_open(&updir, upload_dir, NULL) < 0) {
		printf("Bail out! cannot create a temporary directory\n");
		return 1;
	}
	test_tables();
	test_tokenizer();
	test_errors();
	test_full_match();
	test_complete();
	test_help();
	test_exec();
	mmp_local_close(&updir);
	rm_upload_dir();
	return tap_done();
}
