/* SPDX-License-Identifier: GPL-2.0-or-later */
/* the c-ares resolver on the libuv loop: not written yet. */
#ifndef CV_RESOLVER_H
#define CV_RESOLVER_H

#endif
