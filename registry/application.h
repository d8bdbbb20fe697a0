/* application.h — the application document (申请, DOMAIN.md "The chain"
 * step 2): what an applicant files, which of it the public may see, and
 * how a change (变更) after registration is merged into it.
 *
 * The document is a JSON object (Jansson json_t; this is app-level code).
 * Every member, none other allowed at any level:
 *
 *   data_name            text 1..200            (public)
 *   industry             text 1..100            (public)
 *   scenario             text 1..2000, \n \t ok (public)
 *   source               object                 (type public)
 *     type               "self" | "contract" | "authorised" | "other"
 *     description        text 1..2000, \n \t ok (markable, confidential)
 *     agreement_end      "YYYY-MM-DD"           (markable, confidential):
 *                        required for contract and authorised, optional
 *                        for other, refused for self
 *   scale                {"records": n, "bytes": n}, integers 1..2^53-1 (public)
 *   structure            text 1..100            (markable, confidential)
 *   update_frequency     text 1..100            (markable, public)
 *   processing_rules     text 1..10000, \n \t ok (markable, confidential)
 *   evidence             1..16 strings of 1..65536 bytes, each a C2SP
 *                        tlog-proof receipt (only type and length are
 *                        checked here; the server verifies them).  The
 *                        public view shows "evidence_count" only.
 *   sample               object, at most 1 MiB as compact JSON; optional
 *                        (markable, confidential)
 *   legality_commitment  boolean, must be true to submit (confidential)
 *   applicant            object
 *     name               text 1..200            (public)
 *     type               "legal_person" | "unincorporated" | "natural_person" (public)
 *     id                 unified social credit code (legal_person,
 *                        unincorporated) or resident identity number
 *                        (natural_person), see dipr/ident.h (public; a
 *                        natural person's is masked: 11010519********1234)
 *     contact            object (confidential)
 *       person           text 1..100
 *       phone            text 1..40
 *       email            text 1..200 with exactly one '@' that has text
 *                        on both sides, no whitespace; optional
 *       address          text 1..500; optional
 *   disclosure           optional object: markable field name -> "public"
 *                        or "confidential"; the six markable names are
 *                        update_frequency, structure, processing_rules,
 *                        source.description, source.agreement_end, sample
 *
 * Text: lengths count Unicode characters (code points); no control
 * characters (U+0000-U+001F, U+007F-U+009F) except \n and \t where marked;
 * single-line text (every text member without "\n \t ok") has no leading
 * or trailing white space (ASCII space, U+00A0, U+1680, U+2000-U+200A,
 * U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF).  Evidence strings are
 * receipts, not text: only a U+0000 is refused in them.
 *
 * A natural person's identity number may end in a lowercase 'x'
 * (dipr_ident_idno_parse accepts it); the public view shows it as 'X'.
 *
 * Messages.  Validation failures write one line to msg (truncated to cap,
 * always NUL-terminated when cap > 0; msg may be NULL when cap is 0) that
 * names the member by its path under "application." (or "change." for
 * dipr_app_apply_change) and says what was expected:
 *   application.colour: unknown member
 *   application.data_name: 201 characters, at most 200 allowed
 *   application.source.agreement_end: required when source.type is "contract"
 *   application.applicant.id: unified social credit code: check character
 *     (position 18) should be 'X', got 'Y'
 * Member names from the input are shown with control bytes replaced by
 * '?' and cut at 64 bytes.
 *
 * Thread safety: every function is pure over its arguments (the ident
 * checks use dipr's thread-local error detail); documents passed in are
 * only read, so any number of threads may use one document at once as
 * long as nobody modifies it.
 */
#ifndef DIPR_REGISTRY_APPLICATION_H
#define DIPR_REGISTRY_APPLICATION_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "dipr/calendar.h"

#define DIPR_APP_EVIDENCE_MAX 16          /* receipts in one application */
#define DIPR_APP_RECEIPT_MAX 65536        /* bytes in one receipt */
#define DIPR_APP_SAMPLE_MAX (1024 * 1024) /* bytes of the sample as compact JSON */

typedef enum {
	DIPR_APP_DRAFT,  /* an unfinished form: required members may be missing */
	DIPR_APP_SUBMIT, /* a filing: everything required, commitment given */
} dipr_app_mode;

/* Validates doc (any JSON value, NULL included; never crashes).
 *
 * Both modes: doc is an object; no unknown member at any level; every
 * member present has its type and limits; source.agreement_end is refused
 * when source.type is "self"; applicant.id, when present, is checked
 * fully (check character included) as the code applicant.type calls for,
 * or, if applicant.type is absent, must be one of the two; the keys and
 * values of disclosure are checked.
 * DIPR_APP_SUBMIT also requires every required member, agreement_end for
 * "contract" and "authorised", and legality_commitment == true.
 *
 * today: the current date (the caller's zone), the latest birth date an
 * identity number may carry.
 * msg, cap: out, the one-line message on failure (see above).
 * Returns 0 if valid, DIPR_EINVAL otherwise. */
int dipr_app_validate(const json_t *doc, dipr_app_mode mode, dipr_date today, char *msg, size_t cap);

/* A new object holding only what the public may see of doc (which should
 * be valid in DIPR_APP_SUBMIT mode; for other input the result is safe but
 * unspecified: missing members are skipped and an id is masked unless
 * applicant.type says it is an organisation's):
 *   data_name, industry, scenario, scale, source {type, and description /
 *   agreement_end if public}, applicant {name, type, id (masked for a
 *   natural person: first 6 and last 4 characters kept, the 8 between
 *   replaced by '*')}, evidence_count (the number of receipts), and each
 *   markable member that dipr_app_is_public says is public.
 * Never: applicant.contact, legality_commitment, disclosure, evidence.
 * Members are deep copies: the result shares nothing with doc.
 * Returns a new reference the caller json_decref()s, or NULL on ENOMEM. */
json_t *dipr_app_public_view(const json_t *doc);

/* Whether field (a dotted name: "data_name", "source.type",
 * "applicant.id", "applicant.contact", "sample", ...) is public in doc:
 * the fixed public fields always (applicant.id is public though masked
 * for a natural person), the fixed confidential ones (applicant.contact,
 * legality_commitment) never, a markable field as doc's disclosure marks
 * it or else by its default (update_frequency public; structure,
 * processing_rules, source.description, source.agreement_end, sample
 * confidential).  Any other name: false.  doc may be NULL (defaults). */
bool dipr_app_is_public(const json_t *doc, const char *field);

/* The registration-number codes of doc (dipr/ident.h): source.type ->
 * DIPR_SOURCE_* and applicant.type -> DIPR_APPLICANT_*; 0 when the member
 * is absent or not one of the names above. */
int dipr_app_source_code(const json_t *doc);
int dipr_app_applicant_code(const json_t *doc);

/* If doc has a well-formed source.agreement_end: true, *out set (out may
 * be NULL).  Otherwise false and *out untouched. */
bool dipr_app_agreement_end(const json_t *doc, dipr_date *out);

/* Applies a change (变更) filed after registration to doc.
 *
 * change is an object holding a non-empty subset of data_name, industry,
 * scenario, scale, structure, update_frequency, processing_rules,
 * applicant and disclosure.  A top-level member replaces doc's whole
 * (scale must therefore be complete); applicant may hold only name and/or
 * contact, each replacing doc's (contact as a whole); disclosure is merged
 * key by key.  Refused, naming the member: evidence, source, sample,
 * legality_commitment, applicant.id, applicant.type (these identify the
 * data or the holder: a new filing is needed), unknown members, an empty
 * change ("change: nothing to change") and an empty applicant or
 * disclosure.  Nothing can be removed.
 *
 * doc must itself be valid in DIPR_APP_SUBMIT mode (else the message
 * names "application."); the merged document is validated in
 * DIPR_APP_SUBMIT mode and its failures are reported as "change.<path>".
 * today: as for dipr_app_validate.
 *
 * Returns a new document (a deep copy; doc is not modified) the caller
 * json_decref()s, or NULL with msg set ("change: out of memory" on ENOMEM); on
 * failure there is nothing to free. */
json_t *dipr_app_apply_change(const json_t *doc, const json_t *change, dipr_date today, char *msg,
			      size_t cap);

#endif
