// SPDX-License-Identifier: GPL-2.0-or-later
/* the c-ares resolver on the libuv loop: not written yet. */
#include "config.h"
