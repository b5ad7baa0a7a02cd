/* SPDX-License-Identifier: GPL-2.0-or-later */
/* the TLS layer: not written yet. */
#ifndef CV_TLS_H
#define CV_TLS_H

#endif
