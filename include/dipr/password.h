/* password.h — password hashing for portal logins: scrypt (RFC 7914)
 * through OpenSSL 3's EVP_KDF.
 *
 * A stored hash is one ASCII string in the PHC-like form passlib and
 * others write for scrypt:
 *
 *     $scrypt$ln=15,r=8,p=1$<salt>$<hash>
 *
 * ln is log2(N); salt is 16 bytes and hash 32 bytes, both in standard
 * base64 (RFC 4648 §4) without padding (22 and 43 characters).  New hashes
 * use ln=15, r=8, p=1 (32 MiB of memory, tens of milliseconds); verify reads
 * the parameters from the stored string, so they can be raised later
 * without invalidating old hashes.
 *
 * All functions are thread safe.  Each hash or verify holds about
 * 128 * r * N bytes (32 MiB for new hashes) while it runs. */
#ifndef DIPR_PASSWORD_H
#define DIPR_PASSWORD_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define DIPR_PASSWORD_MIN 10        /* characters (bytes) */
#define DIPR_PASSWORD_MAX 1024
#define DIPR_PASSWORD_HASH_MAX 128  /* stored string incl. NUL */

/* Hashes the n bytes at pw (any bytes; not NUL-terminated) with a fresh
 * random salt into out, NUL-terminated.
 * Returns 0; DIPR_EINVAL if n is outside DIPR_PASSWORD_MIN..MAX (the detail
 * says "password: at least 10 characters" or "...: at most 1024 ...");
 * DIPR_ECRYPTO if randomness or the KDF failed. */
int dipr_password_hash(const char *pw, size_t n, char out[DIPR_PASSWORD_HASH_MAX]);

/* Checks the n bytes at pw against stored (a NUL-terminated string from
 * dipr_password_hash or another PHC scrypt writer with the same salt and
 * hash lengths).  The length minimum is a rule for new passwords only and
 * is not applied here; n above DIPR_PASSWORD_MAX never matches.
 * Returns 0 if it matches, DIPR_EVERIFY if not (compared in constant time);
 * DIPR_EINVAL if stored is malformed or its parameters are outside
 * ln 10..20, r 1..16, p 1..4 (or N >= 2^(16r), RFC 7914 §2);
 * DIPR_ECRYPTO if the KDF failed.
 *
 * A caller that must not reveal whether an account exists should verify
 * against a hash of a random password when there is none, so both paths
 * cost the same. */
int dipr_password_verify(const char *pw, size_t n, const char *stored);

/* Raw scrypt (RFC 7914 §6): outlen bytes derived from pw and salt with
 * cost N (a power of two > 1), block size r and parallelism p.  pw and salt
 * may be NULL when their length is 0.  Memory use is about 128 * r * (N + p)
 * bytes; OpenSSL's memory limit is raised to fit.  Returns 0;
 * DIPR_EINVAL if N is not a power of two above 1, r or p is 0, or the
 * memory need overflows; DIPR_ECRYPTO if OpenSSL refused (parameters
 * outside RFC 7914 §2, out of memory).  out is wiped on failure. */
int dipr_scrypt(const uint8_t *pw, size_t n, const uint8_t *salt, size_t sn, uint64_t N, uint32_t r, uint32_t p,
		uint8_t *out, size_t outlen);

#endif
