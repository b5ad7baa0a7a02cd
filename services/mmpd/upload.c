// SPDX-License-Identifier: GPL-2.0-or-later
/* The handlers' access to the upload directory, and mmp_local_ops (upload.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "lib/file.h"
#include "lib/mem.h"
#include "lib/parse.h"
#include "services/mmpd/upload.h"

/* --- the handlers' helpers ------------------------------------------------------ */

static bool have_ops(const struct mmp_env *env)
{
	return env && env->ops;
}

int mmp_upload_read(const struct mmp_env *env, const char *name, size_t max, char **ret,
		    size_t *ret_len)
{
	size_t size;
	int fd, r;

	if (!have_ops(env))
		return -ENOENT;
	if (cv_parse_filename(name) < 0)
		return -EINVAL;
	r = env->ops->open(env->opaque, name, &fd, &size);
	if (r < 0)
		return r;
	r = size > max ? -EFBIG : cv_file_read_fd(fd, max, ret, ret_len);
	close(fd);
	return r;
}

bool mmp_upload_readable(const struct mmp_env *env, const char *name)
{
	size_t size;
	int fd;

	if (!have_ops(env) || cv_parse_filename(name) < 0 ||
	    env->ops->open(env->opaque, name, &fd, &size) < 0)
		return false;
	close(fd);
	return true;
}

bool mmp_upload_exists(const struct mmp_env *env, const char *name)
{
	size_t size;
	int fd, r;

	if (!have_ops(env) || cv_parse_filename(name) < 0)
		return false;
	r = env->ops->open(env->opaque, name, &fd, &size);
	if (r == 0)
		close(fd);
	/* A link, a FIFO or a directory takes the name too. */
	return r != -ENOENT;
}

int mmp_upload_write(const struct mmp_env *env, const char *name, const void *data, size_t len,
		     mode_t mode, bool excl)
{
	if (!have_ops(env))
		return -ENOENT;
	if (cv_parse_filename(name) < 0 || name[0] == '.')
		return -EINVAL;
	return env->ops->write(env->opaque, name, data, len, mode, excl);
}

int mmp_upload_remove(const struct mmp_env *env, const char *name)
{
	if (!have_ops(env))
		return -ENOENT;
	if (cv_parse_filename(name) < 0)
		return -EINVAL;
	return env->ops->remove(env->opaque, name);
}

int mmp_upload_list(const struct mmp_env *env, struct mmp_upfile **ret, size_t *ret_n)
{
	if (!have_ops(env))
		return -ENOENT;
	return env->ops->list(env->opaque, ret, ret_n);
}

/* --- mmp_local_ops -------------------------------------------------------------- */

int mmp_local_open(struct mmp_local_dir *ld, const char *upload_dir, const char *state_dir)
{
	int r = cv_dir_open(upload_dir, &ld->dirfd);

	if (r < 0)
		return r;
	ld->state_dir = state_dir ? xstrdup(state_dir) : NULL;
	ld->bak_group = false;
	return 0;
}

void mmp_local_close(struct mmp_local_dir *ld)
{
	if (ld->dirfd >= 0)
		close(ld->dirfd);
	ld->dirfd = -1;
	free(ld->state_dir);
	ld->state_dir = NULL;
}

static int local_open(void *opaque, const char *name, int *ret_fd, size_t *ret_size)
{
	struct mmp_local_dir *ld = opaque;
	struct stat st;
	int r;

	if (cv_parse_filename(name) < 0)
		return -EINVAL;
	r = cv_file_open_at(ld->dirfd, name, SIZE_MAX, ret_fd, &st);
	if (r == 0)
		*ret_size = (size_t)st.st_size;
	return r;
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

static int local_write(void *opaque, const char *name, const void *data, size_t len, mode_t mode,
		       bool excl)
{
	struct mmp_local_dir *ld = opaque;
	struct cv_file_opts o = { .mode = mode, .excl = excl };
	struct timespec now, last;
	struct stat dst;

	if (cv_parse_filename(name) < 0 || name[0] == '.')
		return -EINVAL;
	if (fstat(ld->dirfd, &dst) == 0 && geteuid() == 0) {
		size_t n = strlen(name);

		o.set_owner = true;
		o.uid = dst.st_uid;
		o.gid = dst.st_gid;
		if (ld->bak_group && n > 4 && strcmp(name + n - 4, ".bak") == 0)
			o.gid = ld->bak_gid;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	last = newest_mtime(ld->dirfd);
	if (!later(&now, &last)) {
		now = last;
		if (++now.tv_nsec == 1000000000L) {
			now.tv_sec++;
			now.tv_nsec = 0;
		}
	}
	o.mtime = &now;
	return cv_file_write_at(ld->dirfd, name, data, len, &o);
}

static int local_remove(void *opaque, const char *name)
{
	struct mmp_local_dir *ld = opaque;
	struct stat st;

	if (cv_parse_filename(name) < 0)
		return -EINVAL;
	if (fstatat(ld->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	return cv_file_remove_at(ld->dirfd, name);
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

static int local_list(void *opaque, struct mmp_upfile **ret, size_t *ret_n)
{
	struct mmp_local_dir *ld = opaque;
	struct mmp_upfile *files = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd = openat(ld->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int r = -errno;

		close(fd);
		return r;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.' || cv_parse_filename(de->d_name) < 0 ||
		    fstatat(ld->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == MMP_UPLOAD_LIST_MAX) {
			mmp_upfiles_free(files, n);
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

/* As df(1): used / (used + available to users), rounded up. */
static unsigned vfs_pct(const struct statvfs *vfs)
{
	unsigned long long used = (unsigned long long)(vfs->f_blocks - vfs->f_bfree);
	unsigned long long total = used + vfs->f_bavail;

	return total ? (unsigned)((used * 100 + total - 1) / total) : 0;
}

static int local_disk_usage(void *opaque, struct mmp_disk_usage *ret)
{
	struct mmp_local_dir *ld = opaque;
	struct statvfs vfs, uvfs;
	struct stat sst, ust;

	if (!ld->state_dir)
		return -ENOENT;
	if (statvfs(ld->state_dir, &vfs) < 0 || stat(ld->state_dir, &sst) < 0 ||
	    fstatvfs(ld->dirfd, &uvfs) < 0 || fstat(ld->dirfd, &ust) < 0)
		return -errno;
	ret->state_pct = vfs_pct(&vfs);
	ret->upload_apart = sst.st_dev != ust.st_dev;
	ret->upload_pct = vfs_pct(&uvfs);
	return 0;
}

const struct mmp_ops mmp_local_ops = {
	.open = local_open,
	.write = local_write,
	.remove = local_remove,
	.list = local_list,
	.disk_usage = local_disk_usage,
};
