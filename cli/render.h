/* render.h — the certificate people hold and print: a registration
 * certificate file (dipr/cert.h) drawn as a one-page A4 PDF and as one
 * self-contained HTML page (DESIGN.md "Certificates", DOMAIN.md
 * "Certificate contents"). */
#ifndef DIPR_CLI_RENDER_H
#define DIPR_CLI_RENDER_H

/* dipr cert render CERT.json (--pdf OUT.pdf | --html OUT.html) [--vkey K]...
 *
 * argv holds the arguments after the command word, as for the other cmd_*
 * functions; a leading "render" (the verb, when the caller passes it on as
 * `dipr cert` does) is skipped.  The certificate is parsed strictly
 * (dipr_cert_parse) but NOT verified: that is `dipr verify`; the page shows
 * what a reader needs to verify it (the record URL as text and QR code, the
 * signing keys, the log entry, the commands).  --vkey (a vkey or a file of
 * vkeys, as for dipr verify) only labels each signature line Ed25519 or
 * SM2 when its key name and key ID match one of them; without it the lines
 * are shown as "signature 1", "signature 2" with their key IDs.
 *
 * Prints each path written, one a line; exit 0.  Usage, an unreadable or
 * malformed certificate, or a failed write: exit 2 with one line on stderr
 * naming the file.  Outputs are written atomically (temp file, rename). */
int cmd_cert_render(int argc, char **argv);

#include <stddef.h>
#include <stdint.h>
#include "dipr/dipr.h"
#include "dipr/note.h"

/* The PDF of a certificate file (n bytes) appended to out, signatures
 * labelled with vs (may be empty).  For the server: no process-wide
 * cleanup, so other threads may render at the same time.  0 or
 * DIPR_EINVAL (malformed; a line may go to stderr) / DIPR_ENOMEM. */
int dipr_cert_render_pdf(const uint8_t *cert, size_t n, dipr_verifier *const *vs, size_t nv, dipr_buf *out);

#endif
