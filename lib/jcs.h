/* jcs.h — canonical JSON (RFC 8785) over Jansson values, and a strict
 * parser for outside JSON.  Internal to dipr: Jansson types do not appear
 * in the public headers. */
#ifndef DIPR_JCS_H
#define DIPR_JCS_H

#include <jansson.h>
#include "dipr/dipr.h"

/* Largest integer magnitude allowed in entries: 2^53 - 1, so that every
 * verifier's JSON library (including IEEE-754 ones) reads it exactly. */
#define DIPR_JSON_MAX_INT 9007199254740991LL
#define DIPR_JSON_MAX_DEPTH 32

/* Appends the RFC 8785 canonical form of v: object members sorted by their
 * UTF-16 code units, no insignificant whitespace, strings with only the
 * mandatory escapes.  Only integers are accepted as numbers (reals fail
 * with DIPR_EINVAL, as dipr's entries promise "integers only"). */
int dipr__jcs_encode(const json_t *v, dipr_buf *out);

/* Parses n bytes of untrusted JSON: UTF-8 only, duplicate keys rejected,
 * nothing after the value, nesting at most max_depth, integers within
 * +-DIPR_JSON_MAX_INT, no reals.  `what` names the input for the error
 * detail ("request body").  *out is a new reference. */
int dipr__json_parse(const uint8_t *in, size_t n, size_t max_depth, const char *what,
		     json_t **out);

#endif
