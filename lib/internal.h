/* internal.h — shared by libdipr's own files only (sqliteInt.h style):
 * configuration, platform checks and dipr__ helpers. */
#ifndef DIPR_INTERNAL_H
#define DIPR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "dipr/dipr.h"

#if defined(__GNUC__)
#define DIPR__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DIPR__PRINTF(a, b)
#endif

/* Records a detail for dipr_errdetail() and returns code, so callers can
 * write `return dipr__err(DIPR_EINVAL, "checkpoint: line 2: ...")`. */
int dipr__err(int code, const char *fmt, ...) DIPR__PRINTF(2, 3);
void dipr__clear_err(void);

static inline void dipr__put_u64be(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}
static inline void dipr__put_u16be(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline uint16_t dipr__get_u16be(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t dipr__get_u32be(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* A signed-note key name: non-empty, <= DIPR_KEY_NAME_MAX bytes of UTF-8,
 * no Unicode space, no '+', no control characters (note.c). */
bool dipr__key_name_valid(const uint8_t *p, size_t n);

/* Valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int dipr__utf8_valid(const uint8_t *p, size_t n);

#endif
