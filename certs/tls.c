// SPDX-License-Identifier: GPL-2.0-or-later
/* the TLS layer: not written yet. */
#include "config.h"
