// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The log store: one append-only file (<state-dir>/log/convene.log) holding
 * mmpd's own lines and every line the services write, stamped in the seed
 * format (lib/log.h, DESIGN.md section 6). The file is rotated when the next
 * line would take it past its size cap (convene.log -> convene.log.1 -> ...,
 * keeping a fixed number of old files).
 *
 * Each line goes out with one write(2) on an O_APPEND descriptor, with no
 * stdio buffering, so `syslog follow`, tests and `tail -f` see it at once.
 * Followers registered with mmpd_logstore_follow() get every line written
 * after they subscribe, in the order written.
 *
 * Nothing here logs through cv_log(): mmpd's log sink writes into this store,
 * so an error here would recurse. Errors go to stderr, once until the next
 * success. Every entry point accepts ls == NULL (the store could not be
 * opened) and then does nothing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/file.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "services/mmpd/mmpd.h"

struct logstore_follower {
	mmpd_follow_fn fn; /* NULL once unfollowed during a callback */
	void *opaque;
};

struct mmpd_logstore {
	struct mmpd *d;
	char *path;
	int fd;		   /* -1 while the file cannot be opened */
	size_t size;	   /* current size of the file */
	size_t max_bytes;  /* rotate before passing this */
	int keep;	   /* old files kept: path.1 .. path.<keep> */
	bool open_failed;  /* the last open failed and was reported */
	bool write_failed; /* the last write failed and was reported */
	struct logstore_follower *followers;
	size_t nfollowers;
	size_t cap;
	unsigned calling; /* > 0 while followers are being called */
};

/* mkdir -p for the directory part of path, mode 0750 for what it creates. */
static int make_parent_dirs(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int r = 0;

	if (slash && slash != dir) {
		*slash = '\0';
		r = cv_mkdir_p(dir, 0750);
	}
	free(dir);
	return r;
}

static int logstore_openfile(struct mmpd_logstore *ls)
{
	struct stat st;
	int fd;

	/* Never through a link: the log directory is root's, but a log that
	 * is a link would make every line a write to its target. */
	fd = open(ls->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0) {
		int r = -errno;

		if (!ls->open_failed)
			dprintf(STDERR_FILENO, "mmpd: cannot open log %s: %s\n", ls->path,
				strerror(-r));
		ls->open_failed = true;
		return r;
	}
	ls->open_failed = false;
	ls->size = fstat(fd, &st) == 0 ? (size_t)st.st_size : 0;
	ls->fd = fd;
	return 0;
}

struct mmpd_logstore *mmpd_logstore_open(struct mmpd *d, const char *path, size_t max_bytes,
					 int keep)
{
	struct mmpd_logstore *ls;
	int r;

	r = make_parent_dirs(path);
	if (r < 0) {
		dprintf(STDERR_FILENO, "mmpd: cannot create the directory of %s: %s\n", path,
			strerror(-r));
		errno = -r;
		return NULL;
	}
	ls = xcalloc(1, sizeof(*ls));
	ls->d = d;
	ls->path = xstrdup(path);
	ls->fd = -1;
	ls->max_bytes = max_bytes;
	ls->keep = keep < 0 ? 0 : keep;
	r = logstore_openfile(ls);
	if (r < 0) {
		free(ls->path);
		free(ls);
		errno = -r;
		return NULL;
	}
	return ls;
}

void mmpd_logstore_close(struct mmpd_logstore *ls)
{
	if (!ls)
		return;
	if (ls->fd >= 0)
		close(ls->fd);
	free(ls->followers);
	free(ls->path);
	free(ls);
}

/* Shifts path.N-1 -> path.N ... path -> path.1 and opens a new path. With
 * keep == 0 the old lines are simply dropped. */
static void logstore_rotate(struct mmpd_logstore *ls)
{
	if (ls->fd >= 0) {
		close(ls->fd);
		ls->fd = -1;
	}
	if (ls->keep == 0) {
		unlink(ls->path);
	} else {
		for (int i = ls->keep - 1; i >= 1; i--) {
			char *from = xasprintf("%s.%d", ls->path, i);
			char *to = xasprintf("%s.%d", ls->path, i + 1);

			/* A missing older file is normal on the first rotations. */
			if (rename(from, to) < 0 && errno != ENOENT)
				dprintf(STDERR_FILENO, "mmpd: cannot rename %s: %s\n", from,
					strerror(errno));
			free(from);
			free(to);
		}
		char *first = xasprintf("%s.1", ls->path);

		if (rename(ls->path, first) < 0 && errno != ENOENT)
			dprintf(STDERR_FILENO, "mmpd: cannot rename %s: %s\n", ls->path,
				strerror(errno));
		free(first);
	}
	logstore_openfile(ls);
}

int mmpd_logstore_reopen(struct mmpd_logstore *ls)
{
	if (!ls)
		return -EBADF;
	if (ls->fd >= 0) {
		close(ls->fd);
		ls->fd = -1;
	}
	ls->open_failed = false;
	return logstore_openfile(ls);
}

static void logstore_append(struct mmpd_logstore *ls, const char *buf, size_t len)
{
	size_t off = 0;

	if (ls->fd < 0 && logstore_openfile(ls) < 0)
		return;
	if (ls->max_bytes > 0 && ls->size > 0 && ls->size + len > ls->max_bytes) {
		logstore_rotate(ls);
		if (ls->fd < 0)
			return;
	}
	while (off < len) {
		ssize_t n = write(ls->fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (!ls->write_failed)
				dprintf(STDERR_FILENO, "mmpd: cannot write log %s: %s\n", ls->path,
					strerror(errno));
			ls->write_failed = true;
			return;
		}
		off += (size_t)n;
	}
	ls->write_failed = false;
	ls->size += len;
}

static void logstore_notify(struct mmpd_logstore *ls, const char *line)
{
	size_t n = ls->nfollowers;

	ls->calling++;
	/* A follower may unfollow (itself or another) from its callback: such
	 * entries get fn = NULL and are compacted once the outermost call ends.
	 * Followers added meanwhile are not called for this line. */
	for (size_t i = 0; i < n && i < ls->nfollowers; i++) {
		struct logstore_follower f = ls->followers[i];

		if (f.fn)
			f.fn(line, f.opaque);
	}
	if (--ls->calling == 0) {
		size_t j = 0;

		for (size_t i = 0; i < ls->nfollowers; i++)
			if (ls->followers[i].fn)
				ls->followers[j++] = ls->followers[i];
		ls->nfollowers = j;
	}
}

void mmpd_logstore_write(struct mmpd_logstore *ls, const char *line)
{
	struct strbuf sb = STRBUF_INIT;

	if (!ls)
		return;
	/* One entry is one line in the file, and nothing in it can drive the
	 * terminal of whoever reads the log (cat, syslog follow): a newline,
	 * an escape sequence or a stray byte from a file name, a user name or
	 * a service's output is written as "\xHH". */
	sb_put_escaped(&sb, line, strlen(line), false);
	sb_putc(&sb, '\n');
	logstore_append(ls, sb.buf, sb.len);
	sb.buf[--sb.len] = '\0';
	logstore_notify(ls, sb.buf);
	sb_free(&sb);
}

void mmpd_logstore_log(struct mmpd_logstore *ls, const char *tag, int level, const char *msg)
{
	char line[CV_LOG_LINE_MAX + 256];
	struct timespec ts;

	if (!ls)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	cv_log_format(line, sizeof(line), &ts, "user", level, mmpd_hostname(ls->d), tag, msg);
	mmpd_logstore_write(ls, line);
}

void mmpd_logstore_follow(struct mmpd_logstore *ls, mmpd_follow_fn fn, void *opaque)
{
	if (!ls)
		return;
	if (ls->nfollowers == ls->cap) {
		ls->cap = ls->cap ? ls->cap * 2 : 4;
		ls->followers = xrealloc(ls->followers, ls->cap * sizeof(*ls->followers));
	}
	ls->followers[ls->nfollowers].fn = fn;
	ls->followers[ls->nfollowers].opaque = opaque;
	ls->nfollowers++;
}

void mmpd_logstore_unfollow(struct mmpd_logstore *ls, void *opaque)
{
	size_t j = 0;

	if (!ls)
		return;
	if (ls->calling) {
		for (size_t i = 0; i < ls->nfollowers; i++)
			if (ls->followers[i].opaque == opaque)
				ls->followers[i].fn = NULL;
		return;
	}
	for (size_t i = 0; i < ls->nfollowers; i++)
		if (ls->followers[i].opaque != opaque)
			ls->followers[j++] = ls->followers[i];
	ls->nfollowers = j;
}
