// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Link-safe, bounded, durable file access (file.h). The one module through
 * which Convene reads and writes files.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "file.h"
#include "mem.h"

/* The longest part of a name kept in its temporary name, so that
 * ".<name>.XXXXXX.tmp" stays within NAME_MAX. */
#define TMP_NAME_KEEP 200
#define TMP_TRIES 16

int cv_dir_open(const char *path, int *ret_fd)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOTDIR ? -ELOOP : -errno;
	*ret_fd = fd;
	return 0;
}

int cv_mkdir_p(const char *path, mode_t mode)
{
	char *copy = xstrdup(path);
	int r = 0;

	for (char *p = copy + 1; *p && r == 0; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			r = -errno;
		*p = '/';
	}
	if (r == 0 && mkdir(copy, mode) < 0 && errno != EEXIST)
		r = -errno;
	if (r == 0) {
		int fd = -1;

		r = cv_dir_open(copy, &fd);
		if (r == 0)
			close(fd);
	}
	free(copy);
	return r;
}

int cv_fsync_dir(int dirfd)
{
	return fsync(dirfd) < 0 ? -errno : 0;
}

/* The directory part of path, opened. */
static int open_parent(const char *path, int *ret_fd, const char **ret_base)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int r;

	if (!slash) {
		*ret_base = path;
		return cv_dir_open(".", ret_fd);
	}
	if (slash[1] == '\0')
		return -EISDIR;
	dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	r = cv_dir_open(dir, ret_fd);
	free(dir);
	*ret_base = slash + 1;
	return r;
}

int cv_fsync_parent(const char *path)
{
	const char *base;
	int dfd, r = open_parent(path, &dfd, &base);

	if (r < 0)
		return r;
	r = cv_fsync_dir(dfd);
	close(dfd);
	return r;
}

int cv_file_open_at(int dirfd, const char *name, size_t max, int *ret_fd, struct stat *ret_st)
{
	struct stat st;
	int fd, r;

	/* O_NONBLOCK: a FIFO under the name must not hang the caller until
	 * someone writes to it; O_NOCTTY: nor may a terminal become ours. */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno; /* -ELOOP for a link */
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto fail;
	}
	if ((uint64_t)st.st_size > max) {
		r = -EFBIG;
		goto fail;
	}
	if (fcntl(fd, F_SETFL, 0) < 0) {
		r = -errno;
		goto fail;
	}
	*ret_fd = fd;
	if (ret_st)
		*ret_st = st;
	return 0;
fail:
	close(fd);
	return r;
}

int cv_file_read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap + 1);

	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap > max) {
				free(buf);
				return -EFBIG;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			free(buf);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			/* It grew after it was opened. */
			free(buf);
			return -EFBIG;
		}
	}
	buf[len] = '\0';
	*ret = buf;
	if (ret_len)
		*ret_len = len;
	return 0;
}

int cv_file_read_at(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len)
{
	int fd, r = cv_file_open_at(dirfd, name, max, &fd, NULL);

	if (r < 0)
		return r;
	r = cv_file_read_fd(fd, max, ret, ret_len);
	close(fd);
	return r;
}

int cv_file_read(const char *path, size_t max, char **ret, size_t *ret_len)
{
	const char *base;
	int dfd, r = open_parent(path, &dfd, &base);

	if (r < 0)
		return r;
	r = cv_file_read_at(dfd, base, max, ret, ret_len);
	close(dfd);
	return r;
}

int cv_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, p + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	return 0;
}

/* ".<name>.XXXXXX.tmp" with six random characters. */
static void tmp_name(char *buf, size_t size, const char *name)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[6];
	char sfx[7];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		/* Practically never; uniqueness is still enforced by O_EXCL. */
		for (size_t i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)rand();
	}
	for (size_t i = 0; i < 6; i++)
		sfx[i] = chars[rnd[i] % (sizeof(chars) - 1)];
	sfx[6] = '\0';
	snprintf(buf, size, ".%.*s.%s.tmp", TMP_NAME_KEEP, name, sfx);
}

bool cv_file_is_tmp(const char *name)
{
	size_t n = strlen(name);

	/* ".<x>.XXXXXX.tmp": at least 1 + 1 + 1 + 6 + 4 characters. */
	return n >= 13 && name[0] == '.' && strcmp(name + n - 4, ".tmp") == 0 &&
	       name[n - 11] == '.';
}

void cv_file_clean_tmp(int dirfd, const char *name)
{
	char prefix[TMP_NAME_KEEP + 3];
	struct dirent *de;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	snprintf(prefix, sizeof(prefix), ".%.*s.", TMP_NAME_KEEP, name);
	while ((de = readdir(d)) != NULL)
		if (cv_file_is_tmp(de->d_name) && strlen(de->d_name) == strlen(prefix) + 10 &&
		    strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			unlinkat(dirfd, de->d_name, 0);
	closedir(d);
}

int cv_file_write_at(int dirfd, const char *name, const void *data, size_t len,
		     const struct cv_file_opts *o)
{
	char tmp[NAME_MAX + 1];
	int fd = -1, r;

	if (!name[0] || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	for (int i = 0; i < TMP_TRIES && fd < 0; i++) {
		tmp_name(tmp, sizeof(tmp), name);
		/* O_EXCL: a fresh file of ours; a link under the name fails
		 * with EEXIST and is never followed. */
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    o->mode & 07777);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	if (fchmod(fd, o->mode & 07777) < 0 ||
	    (o->set_owner && fchown(fd, o->uid, o->gid) < 0)) {
		r = -errno;
		goto fail;
	}
	r = cv_write_all(fd, data, len);
	if (r < 0)
		goto fail;
	if (o->mtime) {
		struct timespec ts[2] = { *o->mtime, *o->mtime };

		if (futimens(fd, ts) < 0) {
			r = -errno;
			goto fail;
		}
	}
	if (fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		goto fail;
	}
	fd = -1;
	if (o->excl) {
		/* link() never replaces: -EEXIST when the name is taken, by a
		 * link or anything else. */
		if (linkat(dirfd, tmp, dirfd, name, 0) < 0) {
			r = -errno;
			goto fail;
		}
		unlinkat(dirfd, tmp, 0);
	} else if (renameat(dirfd, tmp, dirfd, name) < 0) {
		/* rename() replaces the name itself, a link included, and never
		 * writes through it. */
		r = -errno;
		goto fail;
	}
	return cv_fsync_dir(dirfd);
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return r;
}

int cv_file_write(const char *path, const void *data, size_t len, mode_t mode)
{
	struct cv_file_opts o = { .mode = mode };
	const char *base;
	int dfd, r = open_parent(path, &dfd, &base);

	if (r < 0)
		return r;
	r = cv_file_write_at(dfd, base, data, len, &o);
	close(dfd);
	return r;
}

int cv_file_remove_at(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) < 0)
		return -errno;
	return cv_fsync_dir(dirfd);
}
