/* dipr.h — libdipr basics: error codes, byte slices, growable buffers,
 * base64/hex codecs.
 *
 * Every libdipr function returns int: 0 on success or a negative DIPR_E*
 * code.  A human-readable detail of the last failure on the calling thread
 * (naming the field and what was expected) is available from
 * dipr_errdetail(); it is only meaningful right after a failing call.
 */
#ifndef DIPR_DIPR_H
#define DIPR_DIPR_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define DIPR_VERSION "0.1.0"

enum {
	DIPR_OK = 0,
	DIPR_ENOMEM = -1,     /* allocation failed */
	DIPR_EINVAL = -2,     /* malformed input or bad argument */
	DIPR_EVERIFY = -3,    /* verification failed: nothing is trusted */
	DIPR_ERANGE = -4,     /* a size or limit was exceeded */
	DIPR_EIO = -5,        /* storage read/write/fsync failed */
	DIPR_ECONFLICT = -6,  /* compare-and-swap lost */
	DIPR_ENOTFOUND = -7,  /* no such object */
	DIPR_ECRYPTO = -8,    /* the crypto library failed */
	DIPR_EFULL = -9,      /* queue full: try later */
	DIPR_EFORK = -10,     /* stored tree and checkpoint disagree */
	DIPR_ESTOPPED = -11,  /* the sequencer stopped after a write failure */
	DIPR_EQUORUM = -12,   /* too few witnesses cosigned the checkpoint */
	DIPR_ENOTLEADER = -13, /* this node is not the sequencer (several nodes) */
};

/* Name of an error code ("verification failed"); never NULL. */
const char *dipr_strerror(int code);

/* Detail of the last failure on this thread, or "" if none was recorded. */
const char *dipr_errdetail(void);

/* A borrowed byte range; lives as long as whatever it points into. */
typedef struct {
	const uint8_t *p;
	size_t n;
} dipr_bytes;

/* Growable buffer with a hard cap (curl's dynbuf).  Always NUL-terminated
 * after a successful add (the NUL is not counted in n).  Zero-initialise
 * with dipr_buf_init(). */
typedef struct {
	uint8_t *p;
	size_t n;
	size_t cap;
	size_t max; /* adds that would exceed max fail with DIPR_ERANGE */
} dipr_buf;

void dipr_buf_init(dipr_buf *b, size_t max);
void dipr_buf_free(dipr_buf *b);      /* frees storage, keeps max */
void dipr_buf_reset(dipr_buf *b);     /* n = 0, keeps storage */
int dipr_buf_add(dipr_buf *b, const void *p, size_t n);
int dipr_buf_adds(dipr_buf *b, const char *s);
int dipr_buf_addf(dipr_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Transfers ownership of the storage to the caller (free()), leaves b empty. */
uint8_t *dipr_buf_detach(dipr_buf *b, size_t *n);

/* Standard base64 (RFC 4648 §4) with padding. */
int dipr_b64_encode(const uint8_t *in, size_t n, dipr_buf *out);
/* Strict decode: padding required, no whitespace, canonical trailing bits.
 * Writes at most cap bytes to out, *n_out the count. */
int dipr_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *n_out);
/* Lowercase hex. out must hold 2n+1 bytes; NUL-terminated. */
void dipr_hex_encode(const uint8_t *in, size_t n, char *out);
/* Decodes exactly 2*n hex chars (either case) into n bytes. */
int dipr_hex_decode(const char *in, size_t len, uint8_t *out, size_t n);

/* Parses an unsigned decimal with no sign, no leading zeros (unless "0"),
 * no whitespace, within [0, max].  len is the number of characters. */
int dipr_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out);

/* Fills out with n bytes from the OS CSPRNG. */
int dipr_random(uint8_t *out, size_t n);

#endif
