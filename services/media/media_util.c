// SPDX-License-Identifier: GPL-2.0-or-later
/* See media_util.h. */
#include "config.h"

#include "services/media/media_util.h"

/* The library's one out-of-line symbol, so that libmedia.a is never an
 * empty archive while its parts are added. */
const char *md_util_version(void)
{
	return CONVENE_VERSION;
}
