/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rtnetlink helpers (libmnl): not written yet. */
#ifndef CV_NETLINK_H
#define CV_NETLINK_H

#endif
