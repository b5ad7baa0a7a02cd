// SPDX-License-Identifier: GPL-2.0-or-later
/* mmpd_super: being written. */
#include "config.h"

#include "services/mmpd/mmpd.h"
