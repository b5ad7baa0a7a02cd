// SPDX-License-Identifier: GPL-2.0-or-later
/* The handlers' access to the upload directory (upload.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/file.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "shell/upload.h"

static int open_dir(const struct mmp_env *env, int *ret_fd)
{
	if (!env || !env->upload_dir)
		return -ENOENT;
	return cv_dir_open(env->upload_dir, ret_fd);
}

int mmp_upload_read(const struct mmp_env *env, const char *name, size_t max, char **ret,
		    size_t *ret_len)
{
	int dfd, r;

	if (cv_parse_filename(name) < 0)
		return -EINVAL;
	r = open_dir(env, &dfd);
	if (r < 0)
		return r;
	r = cv_file_read_at(dfd, name, max, ret, ret_len);
	close(dfd);
	return r;
}

bool mmp_upload_readable(const struct mmp_env *env, const char *name)
{
	int dfd, fd;
	bool ok = false;

	if (cv_parse_filename(name) < 0 || open_dir(env, &dfd) < 0)
		return false;
	if (cv_file_open_at(dfd, name, SIZE_MAX, &fd, NULL) == 0) {
		close(fd);
		ok = true;
	}
	close(dfd);
	return ok;
}

bool mmp_upload_exists(const struct mmp_env *env, const char *name)
{
	struct stat st;
	bool e = false;
	int dfd;

	if (cv_parse_filename(name) < 0 || open_dir(env, &dfd) < 0)
		return false;
	e = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	close(dfd);
	return e;
}

static bool later(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* The newest modification time of the directory's files. */
static struct timespec newest_mtime(int dfd)
{
	struct timespec t = { 0, 0 };
	struct dirent *de;
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return t;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.' || fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (later(&st.st_mtim, &t))
			t = st.st_mtim;
	}
	closedir(d);
	return t;
}

int mmp_upload_write(const struct mmp_env *env, const char *name, const void *data, size_t len,
		     mode_t mode, bool excl)
{
	struct cv_file_opts o = { .mode = mode, .excl = excl };
	struct timespec now, last;
	struct stat dst;
	int dfd, r;

	if (cv_parse_filename(name) < 0 || name[0] == '.')
		return -EINVAL;
	r = open_dir(env, &dfd);
	if (r < 0)
		return r;
	if (fstat(dfd, &dst) == 0 && geteuid() == 0) {
		o.set_owner = true;
		o.uid = dst.st_uid;
		o.gid = dst.st_gid;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	last = newest_mtime(dfd);
	if (!later(&now, &last)) {
		now = last;
		if (++now.tv_nsec == 1000000000L) {
			now.tv_sec++;
			now.tv_nsec = 0;
		}
	}
	o.mtime = &now;
	r = cv_file_write_at(dfd, name, data, len, &o);
	close(dfd);
	return r;
}

int mmp_upload_remove(const struct mmp_env *env, const char *name)
{
	int dfd, r;

	if (cv_parse_filename(name) < 0)
		return -EINVAL;
	r = open_dir(env, &dfd);
	if (r < 0)
		return r;
	r = cv_file_remove_at(dfd, name);
	close(dfd);
	return r;
}

static int cmp_upfile(const void *a, const void *b)
{
	const struct mmp_upfile *x = a, *y = b;

	if (later(&x->mtime, &y->mtime))
		return 1;
	if (later(&y->mtime, &x->mtime))
		return -1;
	return strcmp(x->name, y->name);
}

int mmp_upload_list(const struct mmp_env *env, struct mmp_upfile **ret, size_t *ret_n)
{
	struct mmp_upfile *files = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int dfd, r = open_dir(env, &dfd);

	if (r < 0)
		return r;
	d = fdopendir(dfd);
	if (!d) {
		r = -errno;
		close(dfd);
		return r;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.' || cv_parse_filename(de->d_name) < 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == MMP_UPLOAD_LIST_MAX) {
			mmp_upload_list_free(files, n);
			closedir(d);
			return -E2BIG;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			files = xrealloc(files, cap * sizeof(*files));
		}
		files[n].name = xstrdup(de->d_name);
		files[n].mtime = st.st_mtim;
		files[n].size = st.st_size;
		n++;
	}
	closedir(d);
	if (n)
		qsort(files, n, sizeof(*files), cmp_upfile);
	*ret = files;
	*ret_n = n;
	return 0;
}

void mmp_upload_list_free(struct mmp_upfile *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(files[i].name);
	free(files);
}
