// SPDX-License-Identifier: GPL-2.0-or-later
/* keys and certificates with GnuTLS: not written yet. */
#include "config.h"
