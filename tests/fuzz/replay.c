// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Replays a fuzz target's corpus with any compiler, as a TAP test in
 * `make check`: every seed and every crash input kept in
 * tests/fuzz/corpus/<name>/ is run through LLVMFuzzerTestOneInput once.
 * <name> is this program's name without "_replay" (ipc_replay -> ipc).
 * With arguments, replays those files instead.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/file.h"
#include "lib/mem.h"
#include "tests/unit/tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay(const char *path, const char *label)
{
	char *buf = NULL;
	size_t len = 0;
	int r = cv_file_read(path, 16u << 20, &buf, &len);

	ok(r == 0, "read %s", label);
	if (r == 0) {
		/* A crash ends the program (the plan line is then missing and
		 * the driver reports an error); libFuzzer wants 0 back, other
		 * values are reserved. */
		ok(LLVMFuzzerTestOneInput((const uint8_t *)buf, len) == 0, "replayed %s (%zu bytes)",
		   label, len);
	}
	free(buf);
}

int main(int argc, char **argv)
{
	const char *srcdir = getenv("top_srcdir");
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	size_t plen = strcspn(prog, "_");
	char *dir;
	char **names = NULL;
	size_t n = 0;
	DIR *d;
	struct dirent *de;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			replay(argv[i], argv[i]);
		return tap_done();
	}
	dir = xasprintf("%s/tests/fuzz/corpus/%.*s", srcdir ? srcdir : ".", (int)plen, prog);
	d = opendir(dir);
	if (!d) {
		printf("Bail out! no corpus at %s\n", dir);
		free(dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);

		replay(p, names[i]);
		free(p);
		free(names[i]);
	}
	free(names);
	free(dir);
	ok(n > 0, "the corpus has %zu inputs", n);
	return tap_done();
}
