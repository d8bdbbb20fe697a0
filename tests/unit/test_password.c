/* test_password.c — scrypt against RFC 7914 §12 and a passlib-written
 * hash, the stored-string format and its parser, and the password and
 * session tables of the store (store/accounts.c), old databases included. */
#include "testutil.h"
#include "pgtest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "internal.h"
#include "dipr/password.h"
#include "store/store.h"

static void unhex(const char *h, uint8_t *out, size_t n)
{
	assert_int_equal(dipr_hex_decode(h, strlen(h), out, n), 0);
}

static void check_scrypt(const char *pw, const char *salt, uint64_t N, uint32_t r, uint32_t p, const char *hex)
{
	uint8_t want[64], got[64];
	unhex(hex, want, sizeof want);
	assert_int_equal(dipr_scrypt((const uint8_t *)pw, strlen(pw), (const uint8_t *)salt, strlen(salt), N, r, p, got,
				     sizeof got),
			 0);
	assert_memory_equal(got, want, sizeof want);
}

/* RFC 7914 §12, all but the N=2^20 one (1 GiB). */
static void test_scrypt_rfc7914_vectors(void **st)
{
	(void)st;
	check_scrypt("", "", 16, 1, 1,
		     "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
		     "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
	check_scrypt("password", "NaCl", 1024, 8, 16,
		     "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
		     "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
	check_scrypt("pleaseletmein", "SodiumChloride", 16384, 8, 1,
		     "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
		     "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887");
}

static void test_scrypt_rejects_bad_parameters(void **st)
{
	(void)st;
	uint8_t out[32];
	const uint8_t pw[] = "pw";
	assert_int_equal(dipr_scrypt(pw, 2, pw, 2, 0, 8, 1, out, sizeof out), DIPR_EINVAL);
	assert_int_equal(dipr_scrypt(pw, 2, pw, 2, 1, 8, 1, out, sizeof out), DIPR_EINVAL);
	assert_int_equal(dipr_scrypt(pw, 2, pw, 2, 1000, 8, 1, out, sizeof out), DIPR_EINVAL);
	assert_int_equal(dipr_scrypt(pw, 2, pw, 2, 1024, 0, 1, out, sizeof out), DIPR_EINVAL);
	assert_int_equal(dipr_scrypt(pw, 2, pw, 2, 1024, 8, 0, out, sizeof out), DIPR_EINVAL);
	assert_int_equal(dipr_scrypt(pw, 2, pw, 2, (uint64_t)1 << 62, 0xffffffffu, 1, out, sizeof out), DIPR_EINVAL);
	/* RFC 7914 §2: N < 2^(16r); OpenSSL refuses, we report it. */
	assert_int_equal(dipr_scrypt(pw, 2, pw, 2, (uint64_t)1 << 16, 1, 1, out, sizeof out), DIPR_ECRYPTO);
}

/* Written by passlib (Python) for zitadel/passwap's tests: salt
 * "randomsaltishard", password "password" (shorter than our minimum for
 * new passwords, which verify does not apply), ln=16. */
static const char passlib_hash[] = "$scrypt$ln=16,r=8,p=1$cmFuZG9tc2FsdGlzaGFyZA$Rh+NnJNo1I6nRwaNqbDm6kmADswD1+7FTKZ7Ln9D8nQ";

static void test_verify_hash_written_by_passlib(void **st)
{
	(void)st;
	assert_int_equal(dipr_password_verify("password", 8, passlib_hash), 0);
	assert_int_equal(dipr_password_verify("Password", 8, passlib_hash), DIPR_EVERIFY);
	assert_int_equal(dipr_password_verify("password", 7, passlib_hash), DIPR_EVERIFY);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_hash_format_and_round_trip(void **st)
{
	(void)st;
	char h1[DIPR_PASSWORD_HASH_MAX], h2[DIPR_PASSWORD_HASH_MAX];
	const char pw[] = "correct horse battery";
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(dipr_password_hash(pw, strlen(pw), h1), 0);
	double ms = ms_since(&t0);
	print_message("dipr_password_hash: %.1f ms\n", ms);
	assert_int_equal(dipr_password_hash(pw, strlen(pw), h2), 0);
	/* $scrypt$ln=15,r=8,p=1$ + 22 + $ + 43 */
	assert_int_equal(strlen(h1), 22 + 22 + 1 + 43);
	assert_int_equal(strncmp(h1, "$scrypt$ln=15,r=8,p=1$", 22), 0);
	assert_null(strchr(h1 + 22, '='));
	assert_int_equal(h1[22 + 22], '$');
	assert_string_not_equal(h1, h2); /* fresh salt each time */
	assert_int_equal(dipr_password_verify(pw, strlen(pw), h1), 0);
	assert_int_equal(dipr_password_verify(pw, strlen(pw), h2), 0);
	assert_int_equal(dipr_password_verify(pw, strlen(pw) - 1, h1), DIPR_EVERIFY);
	assert_int_equal(dipr_password_verify("correct horse batterY", strlen(pw), h1), DIPR_EVERIFY);
	/* Embedded NUL bytes are password bytes like any other. */
	assert_int_equal(dipr_password_hash("abc\0defghijk", 12, h1), 0);
	assert_int_equal(dipr_password_verify("abc\0defghijk", 12, h1), 0);
	assert_int_equal(dipr_password_verify("abc\0defghijK", 12, h1), DIPR_EVERIFY);
}

static void test_hash_length_limits(void **st)
{
	(void)st;
	char h[DIPR_PASSWORD_HASH_MAX], pw[DIPR_PASSWORD_MAX + 2];
	memset(pw, 'x', sizeof pw);
	assert_int_equal(dipr_password_hash(pw, DIPR_PASSWORD_MIN - 1, h), DIPR_EINVAL);
	assert_string_equal(dipr_errdetail(), "password: at least 10 characters");
	assert_int_equal(dipr_password_hash(pw, 0, h), DIPR_EINVAL);
	assert_int_equal(dipr_password_hash(pw, DIPR_PASSWORD_MAX + 1, h), DIPR_EINVAL);
	assert_string_equal(dipr_errdetail(), "password: at most 1024 characters");
	assert_int_equal(dipr_password_hash(pw, DIPR_PASSWORD_MIN, h), 0);
	assert_int_equal(dipr_password_verify(pw, DIPR_PASSWORD_MIN, h), 0);
	assert_int_equal(dipr_password_hash(pw, DIPR_PASSWORD_MAX, h), 0);
	assert_int_equal(dipr_password_verify(pw, DIPR_PASSWORD_MAX, h), 0);
	assert_int_equal(dipr_password_verify(pw, DIPR_PASSWORD_MAX + 1, h), DIPR_EVERIFY);
}

/* A stored string with cheap parameters (ln=10: 1 MiB), built here from
 * the raw KDF: shows verify takes ln, r, p from the string. */
static void cheap_hash(const char *pw, unsigned ln, unsigned r, unsigned p, char *out, size_t cap)
{
	uint8_t salt[16], dk[32];
	dipr_buf b;
	for (int i = 0; i < 16; i++)
		salt[i] = (uint8_t)(i * 11 + 3);
	assert_int_equal(dipr_scrypt((const uint8_t *)pw, strlen(pw), salt, 16, (uint64_t)1 << ln, r, p, dk, 32), 0);
	dipr_buf_init(&b, 1000);
	assert_int_equal(dipr_buf_addf(&b, "$scrypt$ln=%u,r=%u,p=%u$", ln, r, p), 0);
	assert_int_equal(dipr_b64_encode(salt, 16, &b), 0);
	b.n -= 2; /* "==" */
	assert_int_equal(dipr_buf_adds(&b, "$"), 0);
	assert_int_equal(dipr_b64_encode(dk, 32, &b), 0);
	b.n -= 1; /* "=" */
	assert_true(b.n < cap);
	memcpy(out, b.p, b.n);
	out[b.n] = 0;
	dipr_buf_free(&b);
}

static void test_verify_reads_parameters_from_string(void **st)
{
	(void)st;
	char h[DIPR_PASSWORD_HASH_MAX];
	cheap_hash("abcdefghijkl", 10, 8, 1, h, sizeof h);
	assert_int_equal(dipr_password_verify("abcdefghijkl", 12, h), 0);
	assert_int_equal(dipr_password_verify("abcdefghijkm", 12, h), DIPR_EVERIFY);
	cheap_hash("abcdefghijkl", 11, 2, 4, h, sizeof h);
	assert_int_equal(dipr_password_verify("abcdefghijkl", 12, h), 0);
	cheap_hash("abcdefghijkl", 10, 16, 3, h, sizeof h);
	assert_int_equal(dipr_password_verify("abcdefghijkl", 12, h), 0);
	/* The same KDF output under other parameters does not verify. */
	cheap_hash("abcdefghijkl", 10, 8, 1, h, sizeof h);
	assert_int_equal(strncmp(h, "$scrypt$ln=10,", 14), 0);
	h[12] = '1'; /* ln=11 */
	assert_int_equal(dipr_password_verify("abcdefghijkl", 12, h), DIPR_EVERIFY);
}

static void test_verify_rejects_malformed_strings(void **st)
{
	(void)st;
	const char *salt = "cmFuZG9tc2FsdGlzaGFyZA", *hash = "Rh+NnJNo1I6nRwaNqbDm6kmADswD1+7FTKZ7Ln9D8nQ";
	char s[512];
	const char *bad[] = {
		"", "$scrypt$", "scrypt$ln=16,r=8,p=1$%s$%s", "$scrypt$ln=16,r=8,p=1$%s$%s$", "$scrypt$ln=16,r=8,p=1$%s$%s=",
		"$scrypt$ln=16,r=8,p=1$%s==$%s", "$scrypt$ln=16,r=8,p=1$%s$%sA", "$scrypt$ln=16,r=8,p=1$%s$", "$scrypt$ln=16,r=8,p=1$$%s",
		"$scrypt$ln=016,r=8,p=1$%s$%s", "$scrypt$ln=9,r=8,p=1$%s$%s", "$scrypt$ln=21,r=8,p=1$%s$%s",
		"$scrypt$ln=16,r=0,p=1$%s$%s", "$scrypt$ln=16,r=17,p=1$%s$%s", "$scrypt$ln=16,r=8,p=0$%s$%s",
		"$scrypt$ln=16,r=8,p=5$%s$%s", "$scrypt$ln=16,r=1,p=1$%s$%s" /* N >= 2^(16r) */,
		"$scrypt$ln=+16,r=8,p=1$%s$%s", "$scrypt$ln=16,p=1,r=8$%s$%s", "$scrypt$ln=16,r=8$%s$%s",
		"$scrypt$ln=16,r=8,p=1,x=1$%s$%s", "$SCRYPT$ln=16,r=8,p=1$%s$%s", "$scrypt$ln=16, r=8,p=1$%s$%s",
		"$argon2id$v=19$m=65536,t=3,p=4$%s$%s",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(s, sizeof s, bad[i], salt, hash);
		if (dipr_password_verify("password", 8, s) != DIPR_EINVAL)
			fail_msg("accepted \"%s\"", s);
	}
	/* Salt 21/23 characters, hash 42/44, non-canonical trailing bits,
	 * a character outside the alphabet. */
	const char *pairs[][2] = {
		{"cmFuZG9tc2FsdGlzaGFyZ", hash}, {"cmFuZG9tc2FsdGlzaGFyZAA", hash},
		{salt, "Rh+NnJNo1I6nRwaNqbDm6kmADswD1+7FTKZ7Ln9D8n"}, {salt, "Rh+NnJNo1I6nRwaNqbDm6kmADswD1+7FTKZ7Ln9D8nQA"},
		{"cmFuZG9tc2FsdGlzaGFyZB", hash}, {salt, "Rh+NnJNo1I6nRwaNqbDm6kmADswD1+7FTKZ7Ln9D8nR"},
		{"cmFuZG9tc2FsdGlzaGFyZ-", hash}, {salt, "Rh-NnJNo1I6nRwaNqbDm6kmADswD1+7FTKZ7Ln9D8nQ"},
	};
	for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
		snprintf(s, sizeof s, "$scrypt$ln=16,r=8,p=1$%s$%s", pairs[i][0], pairs[i][1]);
		if (dipr_password_verify("password", 8, s) != DIPR_EINVAL)
			fail_msg("accepted \"%s\"", s);
	}
	/* Too long to be stored: refused before parsing. */
	memset(s, 'A', sizeof s - 1);
	s[sizeof s - 1] = 0;
	memcpy(s, "$scrypt$ln=16,r=8,p=1$", 22);
	assert_int_equal(dipr_password_verify("password", 8, s), DIPR_EINVAL);
	assert_int_equal(dipr_password_verify("password", 8, NULL), DIPR_EINVAL);
}

/* Every single-character change of a stored string is refused: either
 * malformed or not matching, never accepted. */
static void test_verify_every_changed_character_fails(void **st)
{
	(void)st;
	char h[DIPR_PASSWORD_HASH_MAX];
	const char pw[] = "abcdefghijkl", subst[] = "0A$=+,9z";
	cheap_hash(pw, 10, 1, 1, h, sizeof h);
	assert_int_equal(dipr_password_verify(pw, 12, h), 0);
	size_t n = strlen(h);
	for (size_t i = 0; i < n; i++) {
		char orig = h[i];
		for (const char *c = subst; *c; c++) {
			if (*c == orig)
				continue;
			h[i] = *c;
			int rc = dipr_password_verify(pw, 12, h);
			if (rc != DIPR_EINVAL && rc != DIPR_EVERIFY)
				fail_msg("offset %zu -> '%c': %d", i, *c, rc);
		}
		h[i] = orig;
	}
	assert_int_equal(dipr_password_verify(pw, 12, h), 0);
}

/* ---- store: on SQLite, and with DIPR_TEST_DB on PostgreSQL too ---- */

static char top[256], db[1400];
static bool on_pg;
static char schemas[8][64]; /* made on PostgreSQL by this group */
static int nschemas;

static int setup(void **st)
{
	(void)st;
	snprintf(top, sizeof top, "/tmp/dipr-test-password.XXXXXX");
	assert_non_null(mkdtemp(top));
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	char cmd[600];
	for (; nschemas > 0; nschemas--)
		pgtest_drop(schemas[nschemas - 1]);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

/* A new store: top/name.db, or a fresh schema on PostgreSQL; db names it. */
static dipr_store *fresh_store(const char *name)
{
	dipr_store *s;
	if (on_pg) {
		assert_true(nschemas < 8);
		pgtest_schema("t_pw", schemas[nschemas], sizeof schemas[0], db, sizeof db);
		nschemas++;
	} else {
		snprintf(db, sizeof db, "%s/%s.db", top, name);
	}
	assert_int_equal(dipr_store_open(&s, db, 1), 0);
	return s;
}

static void test_store_password_set_get(void **st)
{
	(void)st;
	dipr_store *s = fresh_store("pw");
	int64_t alice, bob;
	dipr_account a;
	char got[DIPR_PASSWORD_HASH_MAX];
	assert_int_equal(dipr_store_account_add(s, "alice", "applicant", &alice), 0);
	assert_int_equal(dipr_store_account_add(s, "bob", "examiner", &bob), 0);

	assert_int_equal(dipr_store_password_get(s, "alice", &a, got, sizeof got), DIPR_ENOTFOUND);
	assert_int_equal(dipr_store_password_get(s, "nobody", &a, got, sizeof got), DIPR_ENOTFOUND);

	assert_int_equal(dipr_store_password_set(s, alice, passlib_hash), 0);
	memset(&a, 0, sizeof a);
	assert_int_equal(dipr_store_password_get(s, "alice", &a, got, sizeof got), 0);
	assert_string_equal(got, passlib_hash);
	assert_int_equal(a.id, alice);
	assert_string_equal(a.name, "alice");
	assert_string_equal(a.role, "applicant");
	assert_int_equal(dipr_store_password_get(s, "bob", &a, got, sizeof got), DIPR_ENOTFOUND);
	assert_int_equal(dipr_store_password_get(s, "alice", &a, got, strlen(passlib_hash)), DIPR_ERANGE);

	/* Replace. */
	char h[DIPR_PASSWORD_HASH_MAX];
	cheap_hash("abcdefghijkl", 10, 8, 1, h, sizeof h);
	assert_int_equal(dipr_store_password_set(s, alice, h), 0);
	assert_int_equal(dipr_store_password_get(s, "alice", &a, got, sizeof got), 0);
	assert_string_equal(got, h);
	assert_int_equal(dipr_password_verify("abcdefghijkl", 12, got), 0);

	assert_int_equal(dipr_store_password_set(s, 9999, h), DIPR_ENOTFOUND);
	assert_int_equal(dipr_store_password_set(s, bob, "plaintext"), DIPR_EINVAL);
	assert_int_equal(dipr_store_password_set(s, bob, ""), DIPR_EINVAL);
	assert_int_equal(dipr_store_password_set(s, bob, NULL), DIPR_EINVAL);
	char longh[DIPR_PASSWORD_HASH_MAX + 1];
	memset(longh, 'a', sizeof longh);
	longh[0] = '$';
	longh[DIPR_PASSWORD_HASH_MAX] = 0;
	assert_int_equal(dipr_store_password_set(s, bob, longh), DIPR_EINVAL);
	longh[DIPR_PASSWORD_HASH_MAX - 1] = 0; /* 127 bytes: fits */
	assert_int_equal(dipr_store_password_set(s, bob, longh), 0);
	dipr_store_close(s);
}

static void fill(uint8_t *p, uint8_t v)
{
	memset(p, v, 32);
}

static void test_store_sessions(void **st)
{
	(void)st;
	dipr_store *s = fresh_store("sess");
	int64_t alice, bob;
	dipr_account a;
	uint8_t t1[32], t2[32], t3[32], c1[32], c2[32], got[32];
	fill(t1, 1), fill(t2, 2), fill(t3, 3), fill(c1, 0xc1), fill(c2, 0xc2);
	assert_int_equal(dipr_store_account_add(s, "alice", "applicant", &alice), 0);
	assert_int_equal(dipr_store_account_add(s, "bob", "admin", &bob), 0);

	int64_t now = 1700000000000;
	assert_int_equal(dipr_store_session_lookup(s, t1, now, &a, got), DIPR_ENOTFOUND);
	assert_int_equal(dipr_store_session_add(s, alice, t1, c1, now + 1000), 0);
	assert_int_equal(dipr_store_session_add(s, bob, t2, c2, now + 5000), 0);
	assert_int_equal(dipr_store_session_add(s, bob, t1, c2, now + 5000), DIPR_ECONFLICT);
	assert_int_equal(dipr_store_session_add(s, 9999, t3, c2, now + 5000), DIPR_ENOTFOUND);

	memset(&a, 0, sizeof a);
	assert_int_equal(dipr_store_session_lookup(s, t1, now, &a, got), 0);
	assert_int_equal(a.id, alice);
	assert_string_equal(a.name, "alice");
	assert_string_equal(a.role, "applicant");
	assert_memory_equal(got, c1, 32);
	assert_int_equal(dipr_store_session_lookup(s, t2, now, &a, got), 0);
	assert_string_equal(a.name, "bob");
	assert_string_equal(a.role, "admin");
	assert_memory_equal(got, c2, 32);

	/* Expiry: valid strictly before expires_ms. */
	assert_int_equal(dipr_store_session_lookup(s, t1, now + 999, &a, got), 0);
	assert_int_equal(dipr_store_session_lookup(s, t1, now + 1000, &a, got), DIPR_ENOTFOUND);
	assert_int_equal(dipr_store_session_lookup(s, t3, now, &a, got), DIPR_ENOTFOUND);

	/* Purge removes what lookup refuses, nothing else. */
	assert_int_equal(dipr_store_session_purge(s, now + 1000), 0);
	assert_int_equal(dipr_store_session_lookup(s, t1, now, &a, got), DIPR_ENOTFOUND);
	assert_int_equal(dipr_store_session_lookup(s, t2, now, &a, got), 0);
	assert_int_equal(dipr_store_session_purge(s, now + 4999), 0);
	assert_int_equal(dipr_store_session_lookup(s, t2, now, &a, got), 0);

	/* Delete (logout). */
	assert_int_equal(dipr_store_session_delete(s, t2), 0);
	assert_int_equal(dipr_store_session_lookup(s, t2, now, &a, got), DIPR_ENOTFOUND);
	assert_int_equal(dipr_store_session_delete(s, t2), DIPR_ENOTFOUND);

	/* Setting a password ends that account's sessions only. */
	assert_int_equal(dipr_store_session_add(s, alice, t1, c1, now + 1000), 0);
	assert_int_equal(dipr_store_session_add(s, bob, t2, c2, now + 1000), 0);
	assert_int_equal(dipr_store_password_set(s, alice, passlib_hash), 0);
	assert_int_equal(dipr_store_session_lookup(s, t1, now, &a, got), DIPR_ENOTFOUND);
	assert_int_equal(dipr_store_session_lookup(s, t2, now, &a, got), 0);
	dipr_store_close(s);
}

/* The CLI's user add: account and password under one savepoint; undoing
 * it leaves neither. */
static void test_store_password_joins_savepoint(void **st)
{
	(void)st;
	dipr_store *s = fresh_store("sp");
	int64_t id;
	dipr_account a;
	char got[DIPR_PASSWORD_HASH_MAX];
	assert_int_equal(dipr_store_savepoint(s), 0);
	assert_int_equal(dipr_store_account_add(s, "carol", "applicant", &id), 0);
	assert_int_equal(dipr_store_password_set(s, id, passlib_hash), 0);
	assert_int_equal(dipr_store_rollback_to(s), 0);
	assert_int_equal(dipr_store_account_get(s, "carol", &a), DIPR_ENOTFOUND);
	assert_int_equal(dipr_store_password_get(s, "carol", &a, got, sizeof got), DIPR_ENOTFOUND);

	assert_int_equal(dipr_store_savepoint(s), 0);
	assert_int_equal(dipr_store_account_add(s, "carol", "applicant", &id), 0);
	assert_int_equal(dipr_store_password_set(s, id, passlib_hash), 0);
	assert_int_equal(dipr_store_release(s), 0);
	dipr_store_close(s);
	assert_int_equal(dipr_store_open(&s, db, 0), 0);
	assert_int_equal(dipr_store_password_get(s, "carol", &a, got, sizeof got), 0);
	assert_string_equal(got, passlib_hash);
	dipr_store_close(s);
}

/* The tables' definitions, in a stable order, from sqlite_master. */
static void schema_of(const char *path, char *out, size_t cap)
{
	sqlite3 *d;
	sqlite3_stmt *q;
	size_t n = 0;
	assert_int_equal(sqlite3_open(path, &d), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(d,
					    "SELECT sql FROM sqlite_master WHERE tbl_name IN ('password', 'session') "
					    "ORDER BY name",
					    -1, &q, NULL),
			 SQLITE_OK);
	out[0] = 0;
	while (sqlite3_step(q) == SQLITE_ROW)
		n += (size_t)snprintf(out + n, cap - n, "%s;\n", (const char *)sqlite3_column_text(q, 0));
	assert_true(n < cap);
	sqlite3_finalize(q);
	sqlite3_close(d);
}

/* A data directory from before the tables existed (store opened with
 * create=0, as the server and CLI do) gets them on first use, defined
 * exactly as a new one's. */
static void test_store_old_database_gets_tables(void **st)
{
	(void)st;
	if (on_pg)
		skip(); /* SQLite's own upgrade path; PostgreSQL schemas start with the tables */
	char path_new[sizeof db], want[4096], got[4096];
	dipr_store *s = fresh_store("new");
	dipr_store_close(s);
	snprintf(path_new, sizeof path_new, "%s", db);
	schema_of(path_new, want, sizeof want);
	assert_non_null(strstr(want, "CREATE TABLE password("));
	assert_non_null(strstr(want, "CREATE TABLE session("));
	assert_non_null(strstr(want, "CREATE INDEX session_expires"));

	/* "Old": the new schema minus the two tables. */
	s = fresh_store("old");
	dipr_store_close(s);
	sqlite3 *d;
	assert_int_equal(sqlite3_open(db, &d), SQLITE_OK);
	assert_int_equal(sqlite3_exec(d, "DROP TABLE session; DROP TABLE password;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(d);
	schema_of(db, got, sizeof got);
	assert_string_equal(got, "");

	int64_t id;
	dipr_account a;
	uint8_t t[32], c[32], cg[32];
	char h[DIPR_PASSWORD_HASH_MAX];
	fill(t, 7), fill(c, 8);
	assert_int_equal(dipr_store_open(&s, db, 0), 0);
	assert_int_equal(dipr_store_account_add(s, "dave", "applicant", &id), 0);
	/* A read first: lookups work (and create) too. */
	assert_int_equal(dipr_store_session_lookup(s, t, 0, &a, cg), DIPR_ENOTFOUND);
	assert_int_equal(dipr_store_session_add(s, id, t, c, 1000), 0);
	assert_int_equal(dipr_store_session_lookup(s, t, 0, &a, cg), 0);
	assert_int_equal(dipr_store_password_set(s, id, passlib_hash), 0);
	assert_int_equal(dipr_store_password_get(s, "dave", &a, h, sizeof h), 0);
	dipr_store_close(s);
	schema_of(db, got, sizeof got);
	assert_string_equal(got, want);

	/* Each function on its own on an old database. */
	const char *names[] = {"old1", "old2", "old3", "old4"};
	for (int i = 0; i < 4; i++) {
		s = fresh_store(names[i]);
		dipr_store_close(s);
		assert_int_equal(sqlite3_open(db, &d), SQLITE_OK);
		assert_int_equal(sqlite3_exec(d, "DROP TABLE session; DROP TABLE password;", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(d);
		assert_int_equal(dipr_store_open(&s, db, 0), 0);
		assert_int_equal(dipr_store_account_add(s, "erin", "examiner", &id), 0);
		switch (i) {
		case 0: assert_int_equal(dipr_store_password_get(s, "erin", &a, h, sizeof h), DIPR_ENOTFOUND); break;
		case 1: assert_int_equal(dipr_store_password_set(s, id, passlib_hash), 0); break;
		case 2: assert_int_equal(dipr_store_session_delete(s, t), DIPR_ENOTFOUND); break;
		case 3: assert_int_equal(dipr_store_session_purge(s, 0), 0); break;
		}
		dipr_store_close(s);
		schema_of(db, got, sizeof got);
		assert_string_equal(got, want);
	}
}

int main(void)
{
	const struct CMUnitTest hashes[] = {
		cmocka_unit_test(test_scrypt_rfc7914_vectors),
		cmocka_unit_test(test_scrypt_rejects_bad_parameters),
		cmocka_unit_test(test_verify_hash_written_by_passlib),
		cmocka_unit_test(test_hash_format_and_round_trip),
		cmocka_unit_test(test_hash_length_limits),
		cmocka_unit_test(test_verify_reads_parameters_from_string),
		cmocka_unit_test(test_verify_rejects_malformed_strings),
		cmocka_unit_test(test_verify_every_changed_character_fails),
	};
	const struct CMUnitTest store[] = {
		cmocka_unit_test(test_store_password_set_get),
		cmocka_unit_test(test_store_sessions),
		cmocka_unit_test(test_store_password_joins_savepoint),
		cmocka_unit_test(test_store_old_database_gets_tables),
	};
	int rc = cmocka_run_group_tests_name("password", hashes, NULL, NULL);
	return rc | PGTEST_RUN_BOTH("password store", store, setup, teardown, &on_pg);
}
