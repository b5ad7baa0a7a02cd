// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cv_now() and cv_delay_scale() of the installed programs (clock.h). This
 * file holds nothing else: test programs link their own definition (tests/helpers/test_hooks.c)
 * and the linker then never pulls this object out of libconvene.a.
 */
#include "config.h"

#include "clock.h"

time_t cv_now(void)
{
	return time(NULL);
}

double cv_delay_scale(void)
{
	return 1.0;
}
