// SPDX-License-Identifier: GPL-2.0-or-later
/* MMP user accounts. */
#include "config.h"

#include "shell/users.h"
