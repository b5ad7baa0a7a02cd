/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MMP user accounts: password hashing, the user rules, expiry. */
#ifndef MMP_USERS_H
#define MMP_USERS_H

#endif
