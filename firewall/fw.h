/* SPDX-License-Identifier: GPL-2.0-or-later */
/* the nftables ruleset: not written yet. */
#ifndef CV_FW_H
#define CV_FW_H

#endif
