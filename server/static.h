/* static.h — the portal's files, embedded at build time
 * (scripts/embed-web.sh), served by dipr serve with a strict CSP. */
#ifndef DIPR_STATIC_H
#define DIPR_STATIC_H

#include <stddef.h>

typedef struct {
	const char *path; /* "/index.html"; NULL ends the table */
	const unsigned char *data;
	size_t len;
	const char *type;
} dipr_asset;

extern const dipr_asset dipr_assets[];

#endif
