// SPDX-License-Identifier: GPL-2.0-or-later
/* rtnetlink helpers (libmnl): not written yet. */
#include "config.h"
