// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the configuration document (lib/conf.h): dotted-path
 * set/get/del, the save/load round trip, the atomic save (no ".tmp" left
 * behind, mode 0600), migration of a version-0 document to schema 1, and
 * refusal of a newer schema, garbage JSON, non-objects and oversized files.
 * Files go to a private temporary directory that is removed at the end.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/file.h"
#include "lib/mem.h"
#include "tests/unit/tap.h"

static char tmpdir[4096];

static char *tpath(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void write_text(const char *name, const char *text)
{
	char *p = tpath(name);
	FILE *f = fopen(p, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(p);
}

/* Number of directory entries other than "." and ".." whose name ends in suffix. */
static int count_suffix(const char *suffix)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	size_t sl = strlen(suffix);
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' && (l == 1 || (l == 2 && de->d_name[1] == '.')))
			continue;
		if (l >= sl && strcmp(de->d_name + l - sl, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void test_paths(void)
{
	json_object *doc = cv_conf_new();

	is_int(cv_conf_get_int(doc, "schema", -1), CV_CONF_SCHEMA, "a new document has schema %d",
	       CV_CONF_SCHEMA);
	cv_conf_set_str(doc, "turn.username", "admin");
	cv_conf_set_int(doc, "turn.tls", 447);
	cv_conf_set_bool(doc, "turn.enabled", true);
	cv_conf_set_str(doc, "ipv4.a.address", "10.124.144.80");
	cv_conf_set_int(doc, "ipv4.a.prefixlen", 24);
	is_str(cv_conf_get_str(doc, "turn.username", NULL), "admin", "set/get a string");
	is_int(cv_conf_get_int(doc, "turn.tls", 0), 447, "set/get an int");
	ok(cv_conf_get_bool(doc, "turn.enabled", false), "set/get a bool");
	is_str(cv_conf_get_str(doc, "ipv4.a.address", NULL), "10.124.144.80",
	       "three-level path creates the intermediate objects");
	ok(json_object_is_type(cv_conf_get(doc, "ipv4.a"), json_type_object),
	   "the intermediate is an object");

	is_str(cv_conf_get_str(doc, "turn.realm", "none"), "none", "missing key gives the default");
	is_str(cv_conf_get_str(doc, "nosuch.area.key", "dflt"), "dflt",
	       "missing parent gives the default");
	is_str(cv_conf_get_str(doc, "turn.tls", "dflt"), "dflt",
	       "a string getter on an int gives the default");
	is_int(cv_conf_get_int(doc, "turn.username", -7), -7,
	       "an int getter on a string gives the default");
	ok(cv_conf_get_bool(doc, "turn.tls", true), "a bool getter on an int gives the default");
	ok(cv_conf_get(doc, "turn..tls") == NULL, "an empty path component finds nothing");
	ok(cv_conf_get(doc, "") == NULL, "an empty path finds nothing");
	ok(cv_conf_get(doc, "turn.username.deeper") == NULL,
	   "a path through a string finds nothing");

	cv_conf_set_str(doc, "turn.username", "bob");
	is_str(cv_conf_get_str(doc, "turn.username", NULL), "bob", "set replaces a value");

	cv_conf_set(doc, "ntp.servers", json_object_new_array());
	ok(json_object_is_type(cv_conf_get(doc, "ntp.servers"), json_type_array),
	   "set takes an arbitrary json value");

	cv_conf_del(doc, "turn.tls");
	ok(cv_conf_get(doc, "turn.tls") == NULL, "del removes a key");
	is_str(cv_conf_get_str(doc, "turn.username", NULL), "bob", "del leaves the siblings");
	cv_conf_del(doc, "turn.nosuch");
	cv_conf_del(doc, "nosuch.deeper.key");
	ok(cv_conf_get(doc, "turn") != NULL, "del of a missing path is harmless");
	cv_conf_del(doc, "ipv4.a");
	ok(cv_conf_get(doc, "ipv4.a.address") == NULL && cv_conf_get(doc, "ipv4") != NULL,
	   "del of an object removes its subtree only");
	json_object_put(doc);
}

static void test_roundtrip(void)
{
	char *p = tpath("config.json");
	json_object *doc = cv_conf_new(), *back = NULL, *arr = json_object_new_array();
	char err[256] = "";
	struct stat st;
	int r;

	cv_conf_set_str(doc, "hostname", "edge1");
	cv_conf_set_str(doc, "turn.password", "Cisco.123 with \"quotes\" and \xc3\xa9");
	cv_conf_set_int(doc, "turn.tls", 447);
	cv_conf_set_bool(doc, "turn.enabled", true);
	json_object_array_add(arr, json_object_new_string("a"));
	json_object_array_add(arr, json_object_new_string("b"));
	cv_conf_set(doc, "turn.listen", arr);

	r = cv_conf_save(p, doc);
	is_int(r, 0, "save succeeds");
	is_int(count_suffix(".tmp"), 0, "save leaves no .tmp file");
	ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600, "saved file has mode 0600");
	r = cv_conf_load(p, &back, err, sizeof(err));
	is_int(r, 0, "load succeeds (%s)", err);
	ok(back && json_object_equal(doc, back), "loaded document equals the saved one");
	json_object_put(back);
	back = NULL;

	/* A second save replaces the first, atomically. */
	cv_conf_set_str(doc, "hostname", "edge2");
	is_int(cv_conf_save(p, doc), 0, "second save succeeds");
	is_int(count_suffix(".tmp"), 0, "second save leaves no .tmp file");
	r = cv_conf_load(p, &back, err, sizeof(err));
	ok(r == 0 && back && strcmp(cv_conf_get_str(back, "hostname", ""), "edge2") == 0,
	   "load sees the second save");
	json_object_put(back);
	json_object_put(doc);
	free(p);
}

static void test_load_errors(void)
{
	json_object *doc = NULL;
	char err[256];
	char *p;
	int r;

	p = tpath("missing.json");
	err[0] = '\0';
	is_int(cv_conf_load(p, &doc, err, sizeof(err)), -ENOENT, "load of a missing file: -ENOENT");
	free(p);

	static const struct {
		const char *name, *text, *why;
	} bad[] = {
		{ "garbage.json", "this is not json\n", "garbage" },
		{ "empty.json", "", "an empty file" },
		{ "trailing.json", "{\"schema\":1} {\"x\":2}\n", "trailing data after the object" },
		{ "truncated.json", "{\"schema\":1,\"hostname\":\"ed", "a truncated document" },
		{ "array.json", "[1,2,3]\n", "an array" },
		{ "string.json", "\"hello\"\n", "a bare string" },
		{ "newer.json", "{\"schema\":2,\"hostname\":\"x\"}\n", "a newer schema" },
		{ "huge.json", "{\"schema\":99999}\n", "a far newer schema" },
		{ "negative.json", "{\"schema\":-1}\n", "a negative schema" },
		{ "strschema.json", "{\"schema\":\"1\"}\n", "a schema that is a string" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_text(bad[i].name, bad[i].text);
		p = tpath(bad[i].name);
		doc = NULL;
		err[0] = '\0';
		r = cv_conf_load(p, &doc, err, sizeof(err));
		ok(r == -EINVAL && doc == NULL && err[0] != '\0', "load refuses %s (%s)",
		   bad[i].why, tap_esc(err));
		free(p);
	}

	write_text("newer2.json", "{\"schema\":2}\n");
	p = tpath("newer2.json");
	r = cv_conf_load(p, &doc, err, sizeof(err));
	ok(r < 0 && strstr(err, "2") != NULL, "the refusal of a newer schema names its version");
	free(p);

	/* Oversized: one byte more than the cap. */
	{
		char *big = tpath("big.json");
		int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		ok(fd >= 0 && ftruncate(fd, (off_t)CV_CONF_MAX + 1) == 0, "made an oversized file");
		if (fd >= 0)
			close(fd);
		doc = NULL;
		r = cv_conf_load(big, &doc, err, sizeof(err));
		ok(r < 0 && doc == NULL, "load refuses a file over CV_CONF_MAX (%d)", r);
		free(big);
	}
}

static void test_migrate(void)
{
	json_object *doc = NULL;
	char err[256] = "";
	char *p = tpath("v0.json");
	int r;

	/* Version 0: no "schema" key, and an "ifmap" inside the document. */
	write_text("v0.json", "{\"hostname\":\"old\",\"ifmap\":{\"a\":\"eth0\"},"
			      "\"turn\":{\"enabled\":true}}\n");
	r = cv_conf_load(p, &doc, err, sizeof(err));
	is_int(r, 0, "a version-0 document loads (%s)", err);
	if (doc) {
		is_int(cv_conf_get_int(doc, "schema", -1), 1, "it is migrated to schema 1");
		ok(cv_conf_get(doc, "ifmap") == NULL, "migration drops the in-document ifmap");
		is_str(cv_conf_get_str(doc, "hostname", NULL), "old",
		       "migration keeps the settings");
		ok(cv_conf_get_bool(doc, "turn.enabled", false), "migration keeps nested settings");
	} else {
		skip("no document to inspect");
	}
	json_object_put(doc);
	free(p);

	doc = json_tokener_parse("{\"schema\":1,\"hostname\":\"x\"}");
	is_int(cv_conf_migrate(doc, err, sizeof(err)), 0, "migrate of a current document succeeds");
	is_str(cv_conf_get_str(doc, "hostname", NULL), "x", "and leaves it alone");
	json_object_put(doc);

	doc = json_object_new_array();
	ok(cv_conf_migrate(doc, err, sizeof(err)) == -EINVAL, "migrate refuses a non-object");
	json_object_put(doc);
}

static void test_atomic_write(void)
{
	char *p = tpath("plain.txt");
	char *nodir = tpath("no/such/dir/file");
	char *buf = NULL;
	size_t len = 0;

	is_int(cv_file_write(p, "hello\n", 6, 0644), 0, "atomic write succeeds");
	ok(cv_file_read(p, 100, &buf, &len) == 0 && len == 6 && memcmp(buf, "hello\n", 6) == 0,
	   "read_file gets the bytes back");
	free(buf);
	buf = NULL;
	is_int(cv_file_read(p, 5, &buf, &len), -EFBIG, "read_file refuses a file over its cap");
	ok(cv_file_write(nodir, "x", 1, 0600) < 0, "atomic write into a missing dir fails");
	is_int(count_suffix(".tmp"), 0, "and leaves no .tmp file");
	free(p);
	free(nodir);
}

static void cleanup(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = tpath(de->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(tmpdir);
}

int main(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/cv-conf-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! cannot create a temporary directory\n");
		return 1;
	}
	test_paths();
	test_roundtrip();
	test_load_errors();
	test_migrate();
	test_atomic_write();
	cleanup();
	return tap_done();
}
