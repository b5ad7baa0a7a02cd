/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging in the seed line format (DESIGN.md section 6):
 *
 *   Feb 23 09:02:21.597 user.info CMS host:server: INFO : created guest account ...
 *
 * Services write "<level>: <message>" lines on stderr; mmpd reads them,
 * stamps them with cv_log_format() and stores them. mmpd itself installs a
 * sink so its own lines land in the same store. Never pass a secret here.
 */
#ifndef CV_LOG_H
#define CV_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <time.h>

enum cv_log_level {
	CV_LOG_ERR = 3,
	CV_LOG_WARNING = 4,
	CV_LOG_INFO = 6,
	CV_LOG_DEBUG = 7,
};

/* Line length cap for one log message (longer ones are cut). */
#define CV_LOG_LINE_MAX 2048

typedef void (*cv_log_sink)(int level, const char *msg, void *opaque);

/* Sets the program tag; with no sink installed, lines go to stderr as
 * "<level>: <message>", the form mmpd collects from its services. */
void cv_log_open(const char *tag);
void cv_log_set_sink(cv_log_sink sink, void *opaque);
void cv_log_set_debug(int on);
void cv_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cv_vlog(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define cv_err(...) cv_log(CV_LOG_ERR, __VA_ARGS__)
#define cv_warn(...) cv_log(CV_LOG_WARNING, __VA_ARGS__)
#define cv_info(...) cv_log(CV_LOG_INFO, __VA_ARGS__)
#define cv_debug(...) cv_log(CV_LOG_DEBUG, __VA_ARGS__)

/* "err", "warning", "info", "debug". */
const char *cv_log_level_name(int level);
/* "ERROR", "WARNING", "INFO", "DEBUG". */
const char *cv_log_level_label(int level);
/* Parses a service's "<level>: " prefix; lines without one are info.
 * Returns the level and points ret_msg past the prefix. */
int cv_log_parse_level(const char *line, const char **ret_msg);
/* Formats one stored line (no newline):
 * "<Mon dd HH:MM:SS.mmm> <facility>.<level> <host> <tag>: <LABEL> : <msg>". */
int cv_log_format(char *buf, size_t size, const struct timespec *ts, const char *facility,
		  int level, const char *host, const char *tag, const char *msg);
/* Formats an audit line in the CMS form (spec/mmp.md 1.1):
 * "<YYYY-mm-ddTHH:MM:SS.mmm> local0.info <host> cli: User <u> from <from> issued command
 * < <line>>: permission granted|denied". */
int cv_log_format_audit(char *buf, size_t size, const struct timespec *ts, const char *host,
			const char *user, const char *from, const char *line, int granted);

#endif
