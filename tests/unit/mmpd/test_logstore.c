// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for mmpd's log store (services/mmpd/mmpd_logstore.c) in a
 * temporary state directory: lines written are the lines read back, one
 * line per entry whatever it holds (control characters, escape sequences,
 * C1 controls and bytes that are not UTF-8 become \xHH); the stamped form;
 * rotation at the size cap keeping the configured number of old files;
 * reopening after an outside rotation (the SIGHUP path) and after the file
 * could not be opened; a log that is a link is refused; followers get
 * every line in order, may unfollow themselves or another, or write a
 * line, from their callback; and a NULL store (one that could not be
 * opened) does nothing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/file.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "services/mmpd/mmpd.h"
#include "tests/unit/mmpd/mmpd_test.h"
#include "tests/unit/tap.h"

static char tmpdir[] = "/tmp/cv-logstore-XXXXXX";
static struct mmpd d;

static char *path_of(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

/* The whole file name under tmpdir ("" when it does not exist). */
static char *slurp(const char *name)
{
	char *p = path_of(name), *text = NULL;

	if (cv_file_read(p, 1u << 20, &text, NULL) < 0)
		text = xstrdup("");
	free(p);
	return text;
}

/* The file name under tmpdir holds want, and nothing else. */
static void file_is(const char *name, const char *want, const char *what)
{
	char *text = slurp(name);

	is_str(text, want, "%s", what);
	free(text);
}

static bool exists(const char *name)
{
	char *p = path_of(name);
	bool r = access(p, F_OK) == 0;

	free(p);
	return r;
}

static void remove_all(const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *p = path_of(names[i]);

		unlink(p);
		free(p);
	}
}

/* --- write and read back, escaping ------------------------------------------------- */

static void test_escaping(void)
{
	static const struct {
		const char *in, *out, *what;
	} cases[] = {
		{ "plain text, 100 % ASCII", "plain text, 100 % ASCII", "printable ASCII as it is" },
		{ "two\nlines", "two\\x0alines", "a newline" },
		{ "a\ttab\rcr", "a\\x09tab\\x0dcr", "a tab and a carriage return" },
		{ "red \x1b[31mtext", "red \\x1b[31mtext", "an escape sequence" },
		{ "title \x1b]0;owned\x07", "title \\x1b]0;owned\\x07", "an OSC sequence and BEL" },
		{ "del \x7f", "del \\x7f", "DEL" },
		{ "c1 \xc2\x9b" "31m", "c1 \\xc2\\x9b31m", "a C1 control (CSI) in UTF-8" },
		{ "caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac", "valid UTF-8 as it is" },
		{ "bad \xff\xfe", "bad \\xff\\xfe", "bytes that are never UTF-8" },
		{ "overlong \xc0\xaf", "overlong \\xc0\\xaf", "an overlong encoding" },
		{ "cut \xe2\x82", "cut \\xe2\\x82", "a sequence cut short" },
		{ "surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80", "a UTF-16 surrogate" },
	};
	struct mmpd_logstore *ls;
	struct strbuf want = STRBUF_INIT;
	char *p = path_of("esc/convene.log");

	ls = mmpd_logstore_open(&d, p, 0, 4);
	ok(ls != NULL, "a store opens in a directory it makes");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mmpd_logstore_write(ls, cases[i].in);
		sb_printf(&want, "%s\n", cases[i].out);
	}
	file_is("esc/convene.log", sb_str(&want),
		"every entry is one line, escaped as \\xHH where needed");
	sb_reset(&want);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* Each case alone in a new file, for a readable failure. */
		unlink(p);
		mmpd_logstore_reopen(ls);
		mmpd_logstore_write(ls, cases[i].in);
		sb_reset(&want);
		sb_printf(&want, "%s\n", cases[i].out);
		file_is("esc/convene.log", sb_str(&want), cases[i].what);
	}
	mmpd_logstore_close(ls);
	{
		struct stat st;

		ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0640, "the log is mode 0640");
	}
	sb_free(&want);
	free(p);
}

static void test_stamped(void)
{
	char *p = path_of("stamp.log"), *text;
	struct mmpd_logstore *ls = mmpd_logstore_open(&d, p, 0, 0);

	mmpd_logstore_log(ls, "turn", CV_LOG_WARNING, "relay \x1b[2Jgone");
	text = slurp("stamp.log");
	/* "Nov 21 08:17:03.570 user.warning CMS turn: WARNING : ..." */
	ok(strstr(text, " user.warning CMS turn: WARNING : relay \\x1b[2Jgone\n") != NULL,
	   "a stamped line: facility and level, host, tag, label, the message escaped (%s)",
	   tap_esc(text));
	ok(strlen(text) > 20 && text[3] == ' ' && text[15] == '.', "it starts with the seed's time");
	free(text);
	mmpd_logstore_close(ls);
	free(p);
}

/* --- rotation -------------------------------------------------------------------------- */

static void test_rotation(void)
{
	static const char *const names[] = { "rot.log", "rot.log.1", "rot.log.2", "rot.log.3" };
	char *p = path_of("rot.log"), *t0, *t1, line[64];
	struct mmpd_logstore *ls;

	/* 24-byte lines (with the newline) under a 60-byte cap: two a file. */
	ls = mmpd_logstore_open(&d, p, 60, 2);
	for (int i = 0; i < 7; i++) {
		snprintf(line, sizeof(line), "line %02d of the rotation", i);
		mmpd_logstore_write(ls, line);
	}
	file_is("rot.log", "line 06 of the rotation\n", "the newest line is in the live file");
	file_is("rot.log.1", "line 04 of the rotation\nline 05 of the rotation\n",
		"the file rotated at the cap went to .1, whole lines only");
	file_is("rot.log.2", "line 02 of the rotation\nline 03 of the rotation\n",
		"the one before to .2");
	ok(!exists("rot.log.3"), "with keep 2 there is no .3 (lines 00 and 01 are gone)");
	mmpd_logstore_close(ls);

	/* A line longer than the cap still goes in, alone in a fresh file. */
	remove_all(names, 4);
	ls = mmpd_logstore_open(&d, p, 60, 2);
	mmpd_logstore_write(ls, "short");
	{
		char big[100];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		mmpd_logstore_write(ls, big);
		t0 = slurp("rot.log");
		ok(strlen(t0) == 100 && t0[0] == 'x', "a line over the cap is written whole, alone");
		free(t0);
	}
	file_is("rot.log.1", "short\n", "after rotating what was there");
	mmpd_logstore_close(ls);

	/* keep 0: the old lines are dropped. */
	remove_all(names, 4);
	ls = mmpd_logstore_open(&d, p, 30, 0);
	mmpd_logstore_write(ls, "first line, 20 bytes");
	mmpd_logstore_write(ls, "second line");
	file_is("rot.log", "second line\n", "keep 0 starts the file over");
	ok(!exists("rot.log.1"), "and keeps no old file");
	mmpd_logstore_close(ls);

	/* The size of a file that was there counts. */
	remove_all(names, 4);
	{
		int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);

		write(fd, "0123456789012345678901234567890123456789012345678\n", 50);
		close(fd);
	}
	ls = mmpd_logstore_open(&d, p, 60, 1);
	mmpd_logstore_write(ls, "next line goes over");
	t1 = slurp("rot.log.1");
	t0 = slurp("rot.log");
	ok(strlen(t1) == 50 && strcmp(t0, "next line goes over\n") == 0,
	   "a store opened on a 50-byte file rotates before the line that would pass 60");
	free(t0);
	free(t1);
	mmpd_logstore_close(ls);
	remove_all(names, 4);
	free(p);
}

/* --- reopen ------------------------------------------------------------------------------ */

static void test_reopen(void)
{
	char *p = path_of("re.log"), *moved = path_of("re.log.outside");
	struct mmpd_logstore *ls = mmpd_logstore_open(&d, p, 0, 0);

	mmpd_logstore_write(ls, "before");
	ok(rename(p, moved) == 0, "an outside rotator moves the file");
	mmpd_logstore_write(ls, "still to the old file");
	file_is("re.log.outside", "before\nstill to the old file\n",
		"until SIGHUP the store writes where it was");
	ok(mmpd_logstore_reopen(ls) == 0, "reopen (SIGHUP)");
	mmpd_logstore_write(ls, "after");
	file_is("re.log", "after\n", "then into a new file of the old name");

	/* The file cannot be opened: lines are lost, not queued, and the
	 * store opens it again by itself once it can. */
	unlink(p);
	ok(mkdir(p, 0700) == 0, "the log's name becomes a directory");
	ok(mmpd_logstore_reopen(ls) < 0, "reopen fails");
	mmpd_logstore_write(ls, "lost");
	ok(rmdir(p) == 0, "the directory goes away");
	mmpd_logstore_write(ls, "found");
	file_is("re.log", "found\n", "the next write opens the file again");
	mmpd_logstore_close(ls);

	/* Never through a link. */
	unlink(p);
	ok(symlink(moved, p) == 0, "the log's name is a link");
	errno = 0;
	ls = mmpd_logstore_open(&d, p, 0, 0);
	ok(ls == NULL && errno == ELOOP, "a log that is a link is not opened (ELOOP)");
	unlink(p);
	unlink(moved);
	free(moved);
	free(p);
}

/* --- followers ---------------------------------------------------------------------------- */

struct follower {
	struct mmpd_logstore *ls;
	struct strbuf got;
	int calls;
	/* What to do at the call numbered at (1 = the first): */
	int at;
	void *unfollow;		 /* unfollow this opaque */
	const char *write;	 /* write this line */
	struct follower *add;	 /* follow with this one */
};

static void follow_cb(const char *line, void *opaque)
{
	struct follower *f = opaque;

	f->calls++;
	sb_printf(&f->got, "%s|", line);
	if (f->calls != f->at)
		return;
	if (f->unfollow)
		mmpd_logstore_unfollow(f->ls, f->unfollow);
	if (f->add)
		mmpd_logstore_follow(f->ls, follow_cb, f->add);
	if (f->write)
		mmpd_logstore_write(f->ls, f->write);
}

static void follower_init(struct follower *f, struct mmpd_logstore *ls)
{
	memset(f, 0, sizeof(*f));
	f->ls = ls;
	sb_init(&f->got);
}

static void test_followers(void)
{
	char *p = path_of("follow.log");
	struct mmpd_logstore *ls = mmpd_logstore_open(&d, p, 0, 0);
	struct follower a, b, c, e;

	follower_init(&a, ls);
	follower_init(&b, ls);
	follower_init(&c, ls);
	follower_init(&e, ls);
	mmpd_logstore_write(ls, "before anyone follows");
	mmpd_logstore_follow(ls, follow_cb, &a);
	mmpd_logstore_follow(ls, follow_cb, &b);
	mmpd_logstore_write(ls, "one");
	mmpd_logstore_write(ls, "two\x1b");
	mmpd_logstore_write(ls, "three");
	is_str(sb_str(&a.got), "one|two\\x1b|three|", "a follower gets every line after it "
						       "followed, in order, escaped, no newline");
	is_str(sb_str(&b.got), sb_str(&a.got), "and so does a second one");

	/* a unfollows itself during its second call: it gets that line, no
	 * later one; b, called after it, still gets everything. */
	sb_reset(&a.got);
	sb_reset(&b.got);
	a.calls = b.calls = 0;
	a.at = 2;
	a.unfollow = &a;
	mmpd_logstore_write(ls, "x1");
	mmpd_logstore_write(ls, "x2");
	mmpd_logstore_write(ls, "x3");
	is_str(sb_str(&a.got), "x1|x2|", "a follower that unfollows itself in its callback");
	is_str(sb_str(&b.got), "x1|x2|x3|", "does not take the next one with it");

	/* c unfollows b (called after it) on the first line: b does not get
	 * that line either. */
	sb_reset(&b.got);
	c.at = 1;
	c.unfollow = &b;
	mmpd_logstore_unfollow(ls, &b);
	mmpd_logstore_follow(ls, follow_cb, &c);
	mmpd_logstore_follow(ls, follow_cb, &b);
	mmpd_logstore_write(ls, "y1");
	mmpd_logstore_write(ls, "y2");
	is_str(sb_str(&c.got), "y1|y2|", "a follower that unfollows another");
	is_str(sb_str(&b.got), "", "the other gets nothing from then on, that line included");

	/* c follows e during a call: e starts with the next line. c writes a
	 * line from its callback: every follower gets it, after the line
	 * being delivered to c and before the next. */
	sb_reset(&c.got);
	c.calls = 0;
	c.at = 1;
	c.unfollow = NULL;
	c.add = &e;
	c.write = "nested";
	mmpd_logstore_write(ls, "z1");
	mmpd_logstore_write(ls, "z2");
	is_str(sb_str(&c.got), "z1|nested|z2|", "a line written from a callback comes next");
	is_str(sb_str(&e.got), "nested|z2|",
	       "a follower added in a callback gets lines written after it was added");
	{
		char *t = slurp("follow.log");

		ok(strstr(t, "z1\nnested\nz2\n") != NULL, "the file has them in that order");
		free(t);
	}
	mmpd_logstore_unfollow(ls, &c);
	mmpd_logstore_unfollow(ls, &e);
	mmpd_logstore_unfollow(ls, &a); /* long gone: nothing happens */
	sb_reset(&c.got);
	mmpd_logstore_write(ls, "nobody");
	is_str(sb_str(&c.got), "", "after unfollow nothing comes");
	mmpd_logstore_close(ls);
	sb_free(&a.got);
	sb_free(&b.got);
	sb_free(&c.got);
	sb_free(&e.got);
	free(p);
}

/* Many followers: the table grows. */
static void test_many_followers(void)
{
	char *p = path_of("many.log");
	struct mmpd_logstore *ls = mmpd_logstore_open(&d, p, 0, 0);
	struct follower f[40];
	bool all = true;

	for (size_t i = 0; i < 40; i++) {
		follower_init(&f[i], ls);
		mmpd_logstore_follow(ls, follow_cb, &f[i]);
	}
	for (size_t i = 0; i < 40; i += 2)
		mmpd_logstore_unfollow(ls, &f[i]);
	mmpd_logstore_write(ls, "hello");
	for (size_t i = 0; i < 40; i++) {
		all = all && strcmp(sb_str(&f[i].got), i % 2 ? "hello|" : "") == 0;
		sb_free(&f[i].got);
	}
	ok(all, "40 followers, every other one gone: the others get the line");
	mmpd_logstore_close(ls);
	free(p);
}

static void test_null_store(void)
{
	struct follower f;

	follower_init(&f, NULL);
	/* Each of these would crash on a NULL store that was not allowed. */
	mmpd_logstore_write(NULL, "x");
	mmpd_logstore_log(NULL, "mmpd", CV_LOG_ERR, "x");
	mmpd_logstore_follow(NULL, follow_cb, &f);
	mmpd_logstore_unfollow(NULL, &f);
	mmpd_logstore_close(NULL);
	is_int(mmpd_logstore_reopen(NULL), -EBADF, "a NULL store: reopen is -EBADF, the rest "
						    "does nothing");
	is_int(f.calls, 0, "and calls no follower");
	sb_free(&f.got);
}

int main(void)
{
	/* The modes the store asks for, as they are. */
	umask(022);
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp failed\n");
		return 1;
	}
	test_escaping();
	test_stamped();
	test_rotation();
	test_reopen();
	test_followers();
	test_many_followers();
	test_null_store();
	{
		/* Only what this test made, by name. */
		static const char *const left[] = { "esc/convene.log", "stamp.log", "follow.log",
						    "many.log" };
		static const char *const dirs[] = { "esc" };

		ok(test_cleanup(tmpdir, left, sizeof(left) / sizeof(left[0]), dirs, 1),
		   "the test leaves nothing behind");
	}
	return tap_done();
}
