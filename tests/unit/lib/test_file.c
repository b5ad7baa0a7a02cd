// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib/file.c and lib/base64.c: what a user who can write the directory can
 * plant (links under the name and under temporary names, FIFOs, devices,
 * directories, huge files) never makes the reader or writer touch anything
 * else, and what a crash leaves behind is cleaned. Base64 against the
 * RFC 4648 section 10 vectors and the strict decoder's refusals.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/base64.h"
#include "lib/file.h"
#include "lib/mem.h"
#include "tests/unit/tap.h"

static char tmpdir[256];

static char *tpath(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void put(const char *name, const char *text)
{
	char *p = tpath(name);
	FILE *f = fopen(p, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(p);
}

/* The contents of a file as a string ("" when missing). */
static char *slurp(const char *name)
{
	char *p = tpath(name), *buf = NULL;
	FILE *f = fopen(p, "r");
	size_t n = 0;

	free(p);
	buf = xcalloc(1, 4096);
	if (f) {
		n = fread(buf, 1, 4095, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

static bool is_link(const char *name)
{
	char *p = tpath(name);
	struct stat st;
	bool r = lstat(p, &st) == 0 && S_ISLNK(st.st_mode);

	free(p);
	return r;
}

static int count_entries(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void test_read(int dfd)
{
	char *buf = NULL;
	size_t len = 0;
	int fd;

	put("plain", "hello\n");
	ok(cv_file_read_at(dfd, "plain", 100, &buf, &len) == 0 && len == 6 &&
		   strcmp(buf, "hello\n") == 0,
	   "reads a regular file, NUL-terminated");
	free(buf);
	buf = NULL;
	ok(cv_file_read_at(dfd, "plain", 5, &buf, &len) == -EFBIG, "refuses a file over the cap");
	ok(cv_file_read_at(dfd, "plain", 6, &buf, &len) == 0 && len == 6,
	   "takes a file of exactly the cap");
	free(buf);
	buf = NULL;

	put("secret", "root only\n");
	symlinkat("secret", dfd, "link");
	ok(cv_file_read_at(dfd, "link", 100, &buf, &len) == -ELOOP,
	   "refuses to read through a link");

	mkfifoat(dfd, "fifo", 0600);
	/* Without O_NONBLOCK this would hang until a writer came. */
	ok(cv_file_read_at(dfd, "fifo", 100, &buf, &len) == -EINVAL,
	   "refuses a FIFO without blocking on it");
	mkdirat(dfd, "dir", 0700);
	ok(cv_file_read_at(dfd, "dir", 100, &buf, &len) == -EINVAL, "refuses a directory");
	if (mknodat(dfd, "null", S_IFCHR | 0600, makedev(1, 3)) == 0)
		ok(cv_file_read_at(dfd, "null", 100, &buf, &len) == -EINVAL,
		   "refuses a device node");
	else
		skip("refuses a device node: cannot make one here (%s; needs root and CAP_MKNOD)",
		     strerror(errno));
	ok(cv_file_open_at(dfd, "plain", 100, &fd, NULL) == 0 && fcntl(fd, F_GETFL) >= 0 &&
		   !(fcntl(fd, F_GETFL) & O_NONBLOCK),
	   "an opened file is blocking again");
	close(fd);
	ok(cv_file_read(tmpdir, 100, &buf, &len) < 0, "cv_file_read of a directory path fails");
}

static void test_write(int dfd)
{
	struct cv_file_opts excl = { .mode = 0600, .excl = true };
	struct cv_file_opts repl = { .mode = 0640 };
	char *got, *target = tpath("target");
	struct stat st;

	put("target", "precious\n");
	/* The reproduction of issue 14: links planted under the name and
	 * under the temporary name the old code used. */
	symlinkat(target, dfd, "snap.bak");
	symlinkat(target, dfd, "snap.bak.tmp");
	ok(cv_file_write_at(dfd, "snap.bak", "backup", 6, &repl) == 0, "writes over a planted link");
	got = slurp("target");
	is_str(got, "precious\n", "the link's target is untouched");
	free(got);
	ok(!is_link("snap.bak"), "the name is now a regular file, not the link");
	got = slurp("snap.bak");
	is_str(got, "backup", "with the new contents");
	free(got);
	ok(fstatat(dfd, "snap.bak", &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & 07777) == 0640,
	   "and the mode asked for");

	symlinkat(target, dfd, "new.key");
	ok(cv_file_write_at(dfd, "new.key", "k", 1, &excl) == -EEXIST,
	   "an exclusive write refuses a name taken by a link");
	got = slurp("target");
	is_str(got, "precious\n", "and writes nothing through it");
	free(got);
	ok(cv_file_write_at(dfd, "fresh.key", "k", 1, &excl) == 0, "an exclusive write of a new name");
	ok(cv_file_write_at(dfd, "fresh.key", "k2", 2, &excl) == -EEXIST,
	   "a second exclusive write of it is refused");
	ok(cv_file_write_at(dfd, "../escape", "x", 1, &repl) == -EINVAL, "a name with '/' is refused");
	ok(cv_file_write_at(dfd, "..", "x", 1, &repl) == -EINVAL, "\"..\" is refused");

	ok(cv_file_remove_at(dfd, "new.key") == 0 && !is_link("new.key"),
	   "removing a link removes the link");
	got = slurp("target");
	is_str(got, "precious\n", "not its target");
	free(got);
	free(target);
}

static void test_tmp(int dfd)
{
	int before;

	ok(cv_file_is_tmp(".config.json.a1b2c3.tmp"), "a temporary name is recognised");
	ok(!cv_file_is_tmp("config.json.tmp") && !cv_file_is_tmp(".x.tmp"),
	   "other names are not temporaries");
	put(".config.json.a1b2c3.tmp", "half");
	put(".other.json.a1b2c3.tmp", "keep");
	before = count_entries();
	cv_file_clean_tmp(dfd, "config.json");
	ok(count_entries() == before - 1, "clean_tmp removes the leftover of that name only");
	ok(cv_file_write_at(dfd, "config.json", "{}", 2, &(struct cv_file_opts){ .mode = 0600 }) == 0,
	   "a write");
	ok(count_entries() == before, "leaves no temporary behind");
}

static void test_dirs(void)
{
	char *real = tpath("realdir"), *lnk = tpath("linkdir"), *deep = tpath("a/b/c");
	int fd;

	mkdir(real, 0700);
	symlink(real, lnk);
	ok(cv_dir_open(lnk, &fd) == -ELOOP, "cv_dir_open refuses a link as the directory");
	ok(cv_mkdir_p(lnk, 0700) == -ELOOP, "cv_mkdir_p refuses a link as the last component");
	ok(cv_mkdir_p(deep, 0700) == 0 && cv_dir_open(deep, &fd) == 0, "cv_mkdir_p makes parents");
	close(fd);
	ok(cv_mkdir_p(deep, 0700) == 0, "and is idempotent");
	free(real);
	free(lnk);
	free(deep);
}

static void test_base64(void)
{
	static const struct {
		const char *raw, *enc;
	} v[] = {
		{ "", "" },	    { "f", "Zg==" },	     { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	static const char *bad[] = { "Zg=", "Z===", "Zg=a", "Zm9v\n", "Zm 9", "Zm9v====", "=Zm9" };
	char enc[64], dec[64];
	size_t n;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		cv_base64_encode(v[i].raw, strlen(v[i].raw), enc);
		is_str(enc, v[i].enc, "base64 of \"%s\" (RFC 4648 section 10)", v[i].raw);
		ok(cv_base64_decode(v[i].enc, strlen(v[i].enc), dec, &n) == 0 &&
			   n == strlen(v[i].raw) && memcmp(dec, v[i].raw, n) == 0,
		   "decodes \"%s\" back", v[i].enc);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(cv_base64_decode(bad[i], strlen(bad[i]), dec, &n) == -EINVAL,
		   "the strict decoder refuses input %zu", i);
}

static void cleanup(void)
{
	/* The test's own temporary directory, by its mkdtemp name. */
	if (tmpdir[0] == '/' && strstr(tmpdir, "cv-file-")) {
		char *argv[] = { "rm", "-rf", tmpdir, NULL };
		pid_t pid = fork();

		if (pid == 0) {
			execvp("rm", argv);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
}

int main(void)
{
	const char *base = getenv("TMPDIR");
	int dfd;

	snprintf(tmpdir, sizeof(tmpdir), "%s/cv-file-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir) || cv_dir_open(tmpdir, &dfd) < 0) {
		printf("Bail out! cannot create a temporary directory\n");
		return 1;
	}
	test_read(dfd);
	test_write(dfd);
	test_tmp(dfd);
	test_dirs();
	test_base64();
	close(dfd);
	cleanup();
	return tap_done();
}
