/* calendar.h — calendar dates and the working-day calendar that every
 * deadline of the registration workflow is counted in (DOMAIN.md "Working
 * days").
 *
 * Dates.  A dipr_date is a proleptic Gregorian calendar date held as the
 * number of days since 1970-01-01 (negative before), so that comparing,
 * subtracting and adding days is integer arithmetic.  Only years 1900 to
 * 9999 are valid: every function that makes a date refuses to leave that
 * range (DIPR_ERANGE), and every function that reads one checks it, since
 * the struct is public and a caller may fill it in by hand.  A date has no
 * time zone: the caller decides which day "today" is (dipr_date_from_unix
 * takes the UTC offset, +8 h for China).
 *
 * Working days.  Monday to Friday are working days, Saturday and Sunday
 * are not, except for the dates listed in the admin's calendar file:
 *
 *     # 2025 Spring Festival (国办发明电〔2024〕12号)
 *     2025-01-26 work      # adjusted working Sunday (调休)
 *     2025-01-28 off
 *
 * One entry a line: an ISO date, blanks (spaces or tabs), then "off" (a
 * holiday: not a working day) or "work" (an adjusted working day: a
 * working day even on a weekend).  Blank lines and comments from '#' to
 * the end of the line are ignored, as are blanks at either end of a line,
 * a CR before the LF and a UTF-8 byte order mark at the start of the
 * file.  Listing a weekend day as "off" or a weekday as "work" changes
 * nothing and is allowed, so that an official range such as
 * "4月4日至6日放假" can be copied day by day.  Anything else is an error
 * naming the line; so is a date listed twice (also with the same word),
 * a line longer than DIPR_CALENDAR_MAX_LINE bytes, or a file of more than
 * DIPR_CALENDAR_MAX_LINES lines.
 *
 * Counting.  "N working days after S" is the Nth working day strictly
 * after S: S itself never counts, whatever it is (an application submitted
 * on Friday 2025-01-24 with 15 working days for formal review is due on
 * 2025-02-20 under the 2025 holidays).  Counting is the inverse: the
 * number of working days in (from, to].  A notice period of N working days
 * starting on S includes S when S is a working day: it ends on the Nth
 * working day on or after S.
 *
 * Thread safety: a parsed calendar is immutable; any number of threads may
 * query it at once.  The core does no I/O: the caller reads the file.
 */
#ifndef DIPR_CALENDAR_H
#define DIPR_CALENDAR_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define DIPR_DATE_MIN_YEAR 1900
#define DIPR_DATE_MAX_YEAR 9999
#define DIPR_DATE_STRLEN 11 /* "YYYY-MM-DD" and its NUL */

#define DIPR_CALENDAR_MAX_LINES 10000 /* lines in a calendar file */
#define DIPR_CALENDAR_MAX_LINE 1024   /* bytes in one line, without its LF */
#define DIPR_CALENDAR_MAX_N 100000    /* working days in one count (~400 years) */

/* Days since 1970-01-01; 1900-01-01 is -25567, 9999-12-31 is 2932896. */
typedef struct {
	int32_t days;
} dipr_date;

/* ISO 8601 weekdays as dipr_date_weekday returns them. */
enum {
	DIPR_MONDAY = 1,
	DIPR_TUESDAY = 2,
	DIPR_WEDNESDAY = 3,
	DIPR_THURSDAY = 4,
	DIPR_FRIDAY = 5,
	DIPR_SATURDAY = 6,
	DIPR_SUNDAY = 7,
};

/* True when d lies in 1900-01-01 .. 9999-12-31. */
bool dipr_date_valid(dipr_date d);

/* Makes the date year-month-day.  DIPR_EINVAL (detail names the field) if
 * the year is outside 1900..9999, the month outside 1..12 or the day
 * outside the month (2023-02-29, 2024-04-31). */
int dipr_date_from_ymd(int year, int month, int day, dipr_date *out);

/* Splits a valid date; DIPR_ERANGE (outputs untouched) if it is not.  Any
 * output pointer may be NULL. */
int dipr_date_to_ymd(dipr_date d, int *year, int *month, int *day);

/* Parses exactly "YYYY-MM-DD" (len characters, no NUL needed): four-digit
 * year 1900..9999, two-digit month and day, '-' separators, a real date.
 * Nothing else is accepted: no sign, no blanks, no time, no "2025-1-5". */
int dipr_date_parse(const char *s, size_t len, dipr_date *out);

/* Writes "YYYY-MM-DD" and a NUL to out.  DIPR_ERANGE if d is not valid
 * (out is then ""). */
int dipr_date_format(dipr_date d, char out[DIPR_DATE_STRLEN]);

/* DIPR_MONDAY (1) .. DIPR_SUNDAY (7); 0 if d is not valid. */
int dipr_date_weekday(dipr_date d);

/* *out = d + n days (n may be negative); DIPR_ERANGE if d or the result is
 * not valid (*out untouched). */
int dipr_date_add_days(dipr_date d, int64_t n, dipr_date *out);

/* *out = d + n months (n may be negative), the day clamped to the end of
 * the target month: 2024-01-31 + 1 month = 2024-02-29, 2024-03-31 - 1
 * month = 2024-02-29.  Clamping makes this lossy: (d + 1 month) - 1 month
 * need not be d.  DIPR_ERANGE if d or the result is not valid. */
int dipr_date_add_months(dipr_date d, int64_t n, dipr_date *out);

/* *out = d + n years = d + 12n months, clamped the same way: 2024-02-29 +
 * 3 years = 2027-02-28, + 4 years = 2028-02-29. */
int dipr_date_add_years(dipr_date d, int64_t n, dipr_date *out);

/* -1, 0 or 1 as a is before, equal to or after b (like memcmp; this is
 * not an error code). */
int dipr_date_cmp(dipr_date a, dipr_date b);

/* The calendar date at unix_seconds in a zone utc_offset_seconds east of
 * UTC (China: 8 * 3600).  DIPR_ERANGE outside 1900..9999 or if the offset
 * is beyond +-24 h. */
int dipr_date_from_unix(int64_t unix_seconds, int32_t utc_offset_seconds, dipr_date *out);

/* A working-day calendar: opaque, immutable once parsed. */
typedef struct dipr_calendar dipr_calendar;

/* Parses calendar file text (format above; need not be NUL-terminated,
 * must not contain NUL bytes).  name labels the file in error details
 * ("calendar holidays.txt: line 12: ..."); NULL means "calendar".  Empty
 * text gives a calendar of plain Monday-to-Friday weeks.  On success *out
 * is a new calendar the caller frees with dipr_calendar_free; on failure
 * *out is NULL and the code is DIPR_EINVAL (bad line, duplicate date),
 * DIPR_ERANGE (too many lines, line too long) or DIPR_ENOMEM. */
int dipr_calendar_parse(const char *text, size_t len, const char *name, dipr_calendar **out);

/* Frees c; NULL is a no-op. */
void dipr_calendar_free(dipr_calendar *c);

/* Number of dates the file listed. */
size_t dipr_calendar_entries(const dipr_calendar *c);

/* First and last date the file listed (either pointer may be NULL), so a
 * server can warn when a deadline falls past the years the admin has
 * entered.  DIPR_ENOTFOUND for a calendar without entries. */
int dipr_calendar_span(const dipr_calendar *c, dipr_date *first, dipr_date *last);

/* Whether d is a working day under c (c NULL: plain Monday to Friday).
 * False for an invalid date. */
bool dipr_calendar_is_working_day(const dipr_calendar *c, dipr_date d);

/* *out = the nth working day strictly after start (n = 0: start itself).
 * n must be in 0..DIPR_CALENDAR_MAX_N (else DIPR_EINVAL); DIPR_ERANGE if
 * the count runs past 9999-12-31.  c NULL: plain Monday to Friday. */
int dipr_calendar_add_working_days(const dipr_calendar *c, dipr_date start, int32_t n, dipr_date *out);

/* *out = the number of working days d with from < d <= to, so that
 * count(s, add(s, n)) == n.  DIPR_EINVAL if to is before from. */
int dipr_calendar_count_working_days(const dipr_calendar *c, dipr_date from, dipr_date to, int64_t *out);

/* *out = the last day of a notice period of n working days starting on
 * start (start counts as day 1 when it is a working day): the nth working
 * day on or after start, i.e. add_working_days(start - 1 day, n).  n must
 * be in 1..DIPR_CALENDAR_MAX_N. */
int dipr_calendar_notice_end(const dipr_calendar *c, dipr_date start, int32_t n, dipr_date *out);

#endif
