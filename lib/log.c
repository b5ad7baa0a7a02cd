// SPDX-License-Identifier: GPL-2.0-or-later
/* Logging: level names, the seed line format, and the stderr/sink output. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

static const char *log_tag = "convene";
static cv_log_sink log_sink;
static void *log_sink_opaque;
static int log_debug;

void cv_log_open(const char *tag)
{
	log_tag = tag;
}

void cv_log_set_sink(cv_log_sink sink, void *opaque)
{
	log_sink = sink;
	log_sink_opaque = opaque;
}

void cv_log_set_debug(int on)
{
	log_debug = on;
}

static const struct {
	int level;
	const char *name;
	const char *label;
} levels[] = {
	{ CV_LOG_ERR, "err", "ERROR" },
	{ CV_LOG_WARNING, "warning", "WARNING" },
	{ CV_LOG_INFO, "info", "INFO" },
	{ CV_LOG_DEBUG, "debug", "DEBUG" },
};

const char *cv_log_level_name(int level)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (levels[i].level == level)
			return levels[i].name;
	return "info";
}

const char *cv_log_level_label(int level)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (levels[i].level == level)
			return levels[i].label;
	return "INFO";
}

int cv_log_parse_level(const char *line, const char **ret_msg)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		size_t n = strlen(levels[i].name);

		if (strncasecmp(line, levels[i].name, n) == 0 && line[n] == ':') {
			const char *m = line + n + 1;

			while (*m == ' ')
				m++;
			*ret_msg = m;
			return levels[i].level;
		}
	}
	*ret_msg = line;
	return CV_LOG_INFO;
}

void cv_vlog(int level, const char *fmt, va_list ap)
{
	char msg[CV_LOG_LINE_MAX];
	char *nl;

	if (level == CV_LOG_DEBUG && !log_debug)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One message is one line. */
	while ((nl = strchr(msg, '\n')) != NULL)
		*nl = ' ';
	if (log_sink) {
		log_sink(level, msg, log_sink_opaque);
		return;
	}
	dprintf(STDERR_FILENO, "%s: %s\n", cv_log_level_name(level), msg);
}

void cv_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cv_vlog(level, fmt, ap);
	va_end(ap);
}

int cv_log_format(char *buf, size_t size, const struct timespec *ts, const char *facility,
		  int level, const char *host, const char *tag, const char *msg)
{
	struct tm tm;
	char when[32];

	localtime_r(&ts->tv_sec, &tm);
	strftime(when, sizeof(when), "%b %e %H:%M:%S", &tm);
	return snprintf(buf, size, "%s.%03ld %s.%s %s %s: %s : %s", when, ts->tv_nsec / 1000000,
			facility, cv_log_level_name(level), host, tag ? tag : log_tag,
			cv_log_level_label(level), msg);
}

int cv_log_format_audit(char *buf, size_t size, const struct timespec *ts, const char *host,
			const char *user, const char *from, const char *line, int granted)
{
	struct tm tm;
	char when[32];

	localtime_r(&ts->tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	return snprintf(buf, size,
			"%s.%03ld local0.info %s cli: User %s from %s issued command < %s>: "
			"permission %s",
			when, ts->tv_nsec / 1000000, host, user, from, line,
			granted ? "granted" : "denied");
}
