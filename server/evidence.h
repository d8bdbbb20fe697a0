/* evidence.h — validation of POST /api/v1/evidence bodies. */
#ifndef DIPR_EVIDENCE_H
#define DIPR_EVIDENCE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Validates a parsed request body and builds the log entry (every member
 * but "time"), per DESIGN.md "Log entries": digests, size, and the
 * optional records, meta (replaced by a salted meta_hash; *meta_out gets
 * the database row, malloc'd), holder and holder_sig (verified).  On error
 * writes a message naming the field to msg and returns NULL. */
json_t *dipr__evidence_build(json_t *in, uint8_t **meta_out, size_t *meta_len, char *msg, size_t cap);

#endif
