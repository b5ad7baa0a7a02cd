// SPDX-License-Identifier: GPL-2.0-or-later
/* the nftables ruleset: not written yet. */
#include "config.h"
