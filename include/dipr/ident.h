/* ident.h — identifiers of the registration workflow (DOMAIN.md "The
 * chain" step 2 and "Numbers"): the applicant's unified social credit code
 * or resident identity number, and the registration and certificate
 * numbers dipr issues.
 *
 * Every parser takes a length (no NUL needed), demands the exact length
 * and character set, reads nothing beyond len bytes, and on failure
 * returns DIPR_EINVAL with a detail (dipr_errdetail) that names the number,
 * the 1-based position and what was expected, e.g.
 *   "unified social credit code: position 9: 'O' is not in the code set
 *    0-9 A-H J-N P-R T U W-Y"
 *   "unified social credit code: check character (position 18) should be
 *    'X', got 'Y'"
 * All functions are pure and thread-safe.
 */
#ifndef DIPR_IDENT_H
#define DIPR_IDENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "calendar.h"

/* --- Unified social credit code (统一社会信用代码), GB 32100-2015 ---
 *
 * 18 characters from the 31-character set "0123456789ABCDEFGHJKLMNPQRTUWXY"
 * (uppercase; no I, O, Z, S, V):
 *   1     registration authority (登记管理部门代码), any code-set character
 *   2     organisation type (机构类别代码), any code-set character
 *   3-8   administrative division of the registering authority, digits
 *   9-17  organisation code (主体标识码), code-set characters
 *   18    check character: with C_i the value of character i (its index in
 *         the code set) and W_i = 3^(i-1) mod 31 = 1 3 9 27 19 26 16 17 20
 *         29 25 13 8 24 10 30 28, C_18 = (31 - (sum C_i W_i mod 31)) mod 31.
 * Lowercase letters are refused (the code set is uppercase): callers that
 * take typed input may uppercase it first.  The authority and type codes
 * are not checked against their tables, which GB 32100 lets grow.
 * Some codes issued in pilot regions before the standard (e.g. Fujian's
 * 91350100M0001TGQXM) fail the check and are refused.
 */
#define DIPR_USCC_LEN 18

/* Checks s[0..len): DIPR_EINVAL with the failing position or the check
 * character it should have. */
int dipr_ident_uscc_validate(const char *s, size_t len);

/* *check = the check character for the first 17 characters s[0..17);
 * len must be 17 or 18 (an 18th character is ignored).  Validates
 * positions 1-17 like dipr_ident_uscc_validate. */
int dipr_ident_uscc_check_char(const char *s, size_t len, char *check);

/* --- Resident identity number (公民身份号码), GB 11643-1999 ---
 *
 * 18 characters: 1-6 address code (digits), 7-14 birth date YYYYMMDD,
 * 15-17 sequence (odd: male, even: female), 18 check character by ISO 7064
 * MOD 11-2: with weights W_i = 2^(18-i) mod 11 = 7 9 10 5 8 4 2 1 6 3 7 9
 * 10 5 8 4 2, check = (12 - (sum a_i W_i mod 11)) mod 11, 10 written 'X'.
 * The birth date must be a real date in 1900..today.  A lowercase 'x' as
 * the check character is accepted and normalised to 'X' (people type it,
 * and it is unambiguous); lowercase is accepted nowhere else.
 * The address code is not looked up in GB/T 2260.
 */
#define DIPR_IDNO_LEN 18

typedef struct {
	char text[DIPR_IDNO_LEN + 1]; /* normalised ('X' uppercase), NUL-terminated */
	dipr_date birth;
	bool female; /* sequence code even */
} dipr_ident_idno;

/* Validates s[0..len) as an identity number of a person born no later
 * than today (the caller's current date in its zone).  out may be NULL;
 * it is filled only on success. */
int dipr_ident_idno_parse(const char *s, size_t len, dipr_date today, dipr_ident_idno *out);

/* *check = '0'..'9' or 'X' for the 17 digits s[0..17); len must be 17 or
 * 18 (an 18th character is ignored).  Checks only that they are digits. */
int dipr_ident_idno_check_char(const char *s, size_t len, char *check);

/* --- Registration number (登记号), 16 characters (DOMAIN.md) ---
 *
 *   1-4    application year, 1900..9999
 *   5      data source code (dipr_regno_source)
 *   6      applicant type code (dipr_regno_applicant)
 *   7-15   sequence, 000000001..999999999 (0 is never issued)
 *   16     check character, ISO 7064 MOD 11-2 over characters 1-15
 *          (weights 2^(16-i) mod 11 = 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2,
 *          check = (12 - sum mod 11) mod 11, 10 written 'X').
 * dipr issues these itself, so parsing is strict: uppercase 'X' only.
 * Example: year 2025, self-collected, legal person, sequence 1 is
 * "2025110000000016".
 */
#define DIPR_REGNO_LEN 16
#define DIPR_REGNO_SEQ_MAX 999999999u

/* Data source type (数据来源), DOMAIN.md step 2. */
typedef enum {
	DIPR_SOURCE_SELF = 1,       /* self-collected (自行采集) */
	DIPR_SOURCE_CONTRACT = 2,   /* acquired under contract (协议获取) */
	DIPR_SOURCE_AUTHORISED = 3, /* authorised public data (授权运营的公共数据) */
	DIPR_SOURCE_OTHER = 9,      /* other (其他) */
} dipr_regno_source;

/* Applicant type (申请主体类型), DOMAIN.md "What can be registered". */
typedef enum {
	DIPR_APPLICANT_LEGAL_PERSON = 1,   /* legal person (法人) */
	DIPR_APPLICANT_UNINCORPORATED = 2, /* unincorporated organisation (非法人组织) */
	DIPR_APPLICANT_NATURAL_PERSON = 3, /* natural person (自然人) */
} dipr_regno_applicant;

typedef struct {
	int year;       /* 1900..9999 */
	int source;     /* a dipr_regno_source value */
	int applicant;  /* a dipr_regno_applicant value */
	uint32_t seq;   /* 1..DIPR_REGNO_SEQ_MAX */
} dipr_regno;

/* True for the values the enums above define. */
bool dipr_regno_source_valid(int source);
bool dipr_regno_applicant_valid(int applicant);

/* Writes the 16 characters and a NUL; DIPR_EINVAL naming the field if one
 * is out of range (out is then ""). */
int dipr_regno_format(const dipr_regno *r, char out[DIPR_REGNO_LEN + 1]);

/* Parses and validates s[0..len); out may be NULL. */
int dipr_regno_parse(const char *s, size_t len, dipr_regno *out);

/* --- Certificate number (证书号), 17 digits (DOMAIN.md) ---
 *
 *   1-4    year of issue, 1900..9999
 *   5-6    month of issue, 01..12
 *   7-10   registration body code, 0001..9999 (default 1200, Tianjin)
 *   11-17  serial within the body, 0000001..9999999
 * Example: Tianjin's first certificate of January 2025 is
 * "20250112000000001".
 */
#define DIPR_CERTNO_LEN 17
#define DIPR_CERTNO_BODY_DEFAULT 1200
#define DIPR_CERTNO_SERIAL_MAX 9999999u

typedef struct {
	int year;        /* 1900..9999 */
	int month;       /* 1..12 */
	int body;        /* 1..9999 */
	uint32_t serial; /* 1..DIPR_CERTNO_SERIAL_MAX */
} dipr_certno;

/* Writes the 17 digits and a NUL; DIPR_EINVAL naming the field if one is
 * out of range (out is then ""). */
int dipr_certno_format(const dipr_certno *c, char out[DIPR_CERTNO_LEN + 1]);

/* Parses and validates s[0..len); out may be NULL. */
int dipr_certno_parse(const char *s, size_t len, dipr_certno *out);

#endif
