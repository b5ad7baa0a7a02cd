/* SPDX-License-Identifier: GPL-2.0-or-later */
/* keys and certificates with GnuTLS: not written yet. */
#ifndef CV_CERTS_H
#define CV_CERTS_H

#endif
