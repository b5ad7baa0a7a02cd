// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the API's form parser (services/callbridge/cb_form.h):
 * the input is parsed as a form with a cap of 4 KiB and with and without
 * CB_FORM_NO_DUPS; a parsed form must hold only non-empty keys of at most
 * CB_FORM_KEY_MAX bytes, and keys and values that are well-formed UTF-8
 * without NUL, and cb_form_get() must return the last value of a key.
 * Also tests/fuzz/cbform_replay in `make check` (tests/fuzz/replay.c) over
 * tests/fuzz/corpus/cbform/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/callbridge/cb_form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct cb_form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const char *k = f->pairs[i].key, *v = f->pairs[i].value;
		size_t kl = strlen(k);

		if (kl == 0 || kl > CB_FORM_KEY_MAX || !cb_utf8_valid(k, kl) ||
		    !cb_utf8_valid(v, strlen(v)))
			abort();
		if (cb_form_get(f, k) == NULL)
			abort();
	}
	if (f->n > CB_FORM_FIELDS_MAX)
		abort();
	/* The last value of each key is the one returned. */
	for (size_t i = 0; i < f->n; i++) {
		const char *want = NULL;

		for (size_t j = 0; j < f->n; j++)
			if (strcmp(f->pairs[j].key, f->pairs[i].key) == 0)
				want = f->pairs[j].value;
		if (cb_form_get(f, f->pairs[i].key) != want)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cb_form f;
	int r;

	for (unsigned flags = 0; flags <= CB_FORM_NO_DUPS; flags++) {
		r = cb_form_parse((const char *)data, size, 4096, flags, &f);
		if (r == 0)
			check(&f);
		else if (f.n != 0 || f.pairs)
			abort(); /* nothing kept on failure */
		cb_form_free(&f);
	}
	return 0;
}
