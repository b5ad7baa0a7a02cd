// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the MMP command engine: an arbitrary line goes
 * through the tokenizer, the matcher with its typed-argument parsers
 * (mmp_match_line), completion and the "?" listing, as it would when an
 * operator types it. Handlers are not run: they need mmpd's document.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/cmd.h"
#include "services/mmpd/cmd_areas.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf err = STRBUF_INIT, help = STRBUF_INIT;
	struct mmp_match m;
	json_object *c;
	char *line;

	/* Longer lines are refused up front; no need to spend time on them. */
	if (size > MMP_LINE_MAX + 16)
		return 0;
	mmp_engine_init(mmp_areas, mmp_nareas);
	line = xmalloc(size + 1);
	memcpy(line, data, size);
	line[size] = '\0';

	if (mmp_match_line(line, &m, &err) == 0)
		mmp_match_free(&m);
	c = mmp_complete(line, MMP_ROLES_ALL, NULL);
	json_object_put(c);
	mmp_help_next(line, MMP_ROLE_ADMIN, &help);

	sb_free(&help);
	sb_free(&err);
	free(line);
	return 0;
}
