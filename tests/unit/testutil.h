/* testutil.h — shared by the cmocka unit tests. */
#ifndef DIPR_TESTUTIL_H
#define DIPR_TESTUTIL_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#ifndef DIPR_VECTORS
#define DIPR_VECTORS "../shared/vectors"
#endif

#endif
