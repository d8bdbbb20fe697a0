/* migrate.h — copying an SQLite store into PostgreSQL (dipr migrate). */
#ifndef DIPR_STORE_MIGRATE_H
#define DIPR_STORE_MIGRATE_H

#include <stdint.h>
#include "store/store.h"

#define DIPR_MIGRATE_TABLES 17

typedef struct {
	uint64_t rows[DIPR_MIGRATE_TABLES]; /* per table, in dipr_store_migrate_tables order */
	uint64_t total;
	uint64_t evidence_seals; /* evidence batch seals copied */
} dipr_migrate_stats;

/* The copied tables, NULL-terminated, in copy (dependency) order. */
const char *const *dipr_store_migrate_tables(void);
/* Copies every row of src (SQLite) into dst (PostgreSQL, an empty dipr
 * schema) in one transaction, holding src's write lock meanwhile: all or
 * nothing.  Seals are not copied: dst seals the copied rows itself. */
int dipr_store_migrate(dipr_store *src, dipr_store *dst, dipr_migrate_stats *st);
/* A digest of every seal and table sum, the same for two stores whose
 * sealed rows are the same (under the same key); *rows: seal rows. */
int dipr_store_seal_digest(dipr_store *s, uint8_t out[32], uint64_t *rows);
/* Rows in table. */
int dipr_store_count(dipr_store *s, const char *table, uint64_t *n);

#endif
