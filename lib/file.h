/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File access for a process that runs as root in directories that others
 * may write (the upload directory is written over SFTP). Every reader and
 * writer of Convene goes through here, so that none of them can be made to
 * follow a planted link or to open a FIFO or a device:
 *
 *  - names are opened relative to a directory descriptor with O_NOFOLLOW,
 *    and only regular files are read (a link, a FIFO, a device or a
 *    directory under the name is refused with -ELOOP or -EINVAL);
 *  - reads are bounded (-EFBIG past the caller's cap) and never block on a
 *    FIFO (O_NONBLOCK until the type is known);
 *  - writes go to a fresh temporary file created with O_CREAT|O_EXCL (a link
 *    planted under its name makes the create fail; it is never followed),
 *    which is written, given its mode and owner, fsynced, then renamed over
 *    the name (or linked to it when the name must not exist yet), and the
 *    directory is fsynced. A crash at any instant leaves the old file or the
 *    new one, and at most a hidden temporary ".NAME.XXXXXX.tmp".
 *
 * Functions return 0 or a negative errno. Buffers returned through ret_*
 * belong to the caller.
 */
#ifndef CV_FILE_H
#define CV_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* Opens the directory path (its last component must not be a link) for the
 * *_at() functions. The components before it are the configuration of the
 * root who started the program (--state-dir) and may be links. */
int cv_dir_open(const char *path, int *ret_fd);
/* Creates path and its missing parents (parents get 0755, the last one
 * mode); an existing last component that is a link is refused (-ELOOP). */
int cv_mkdir_p(const char *path, mode_t mode);
/* fsync() of an open directory, or of the directory that holds path. */
int cv_fsync_dir(int dirfd);
int cv_fsync_parent(const char *path);

/* Opens the regular file name in dirfd for reading: not through a link
 * (-ELOOP), nothing but a regular file (-EINVAL), at most max bytes
 * (-EFBIG). On success *ret_fd is open (O_CLOEXEC, blocking) and *ret_st,
 * when given, describes it. */
int cv_file_open_at(int dirfd, const char *name, size_t max, int *ret_fd, struct stat *ret_st);
/* Reads all of an open file, at most max bytes (-EFBIG past it), and
 * NUL-terminates the buffer (its length excludes the NUL). */
int cv_file_read_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* cv_file_open_at() and cv_file_read_fd() together. */
int cv_file_read_at(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len);
/* The same for a path: its directory is opened with cv_dir_open(). */
int cv_file_read(const char *path, size_t max, char **ret, size_t *ret_len);

/* How cv_file_write_at() leaves the file. */
struct cv_file_opts {
	mode_t mode;
	bool excl;		     /* -EEXIST when name exists; never replace */
	bool set_owner;		     /* give it uid:gid (else the creator's) */
	uid_t uid;
	gid_t gid;
	const struct timespec *mtime; /* its modification time; NULL: now */
};

/* Writes data as name in dirfd, atomically and durably (see the top). */
int cv_file_write_at(int dirfd, const char *name, const void *data, size_t len,
		     const struct cv_file_opts *o);
/* The same for a path, with mode and replacing an existing file. */
int cv_file_write(const char *path, const void *data, size_t len, mode_t mode);
/* Removes name from dirfd (a link is removed, never followed; a directory
 * is refused) and fsyncs the directory. -ENOENT when it is not there. */
int cv_file_remove_at(int dirfd, const char *name);
/* Removes the temporary files a crash may have left for name in dirfd. */
void cv_file_clean_tmp(int dirfd, const char *name);
/* True when name is one of the temporary files of a write. */
bool cv_file_is_tmp(const char *name);

/* Writes all of data to fd, retrying short writes and EINTR. */
int cv_write_all(int fd, const void *data, size_t len);

#endif
