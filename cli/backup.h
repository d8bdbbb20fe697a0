/* backup.h — dipr backup, dipr restore, and dipr audit --dir (cli/backup.c). */
#ifndef DIPR_CLI_BACKUP_H
#define DIPR_CLI_BACKUP_H

#include <stddef.h>
#include "dipr/note.h"

int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
/* dipr migrate (cli/migrate.c). */
int cmd_migrate(int argc, char **argv);

/* dipr audit --dir D: every check of store/verify.h; vs (n may be 0: the
 * keys in D, else the vkeys stored in its database) check the checkpoint.
 * Returns the exit status. */
int cli_audit_dir(const char *dir, dipr_verifier *const *vs, size_t n);

#endif
