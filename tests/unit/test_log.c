/* test_log.c — the sequencer and the store together, in process:
 * receipts verify, restarts keep the tree, the start-up check catches
 * tampering, the checkpoint is compare-and-swap.  Every case runs on
 * SQLite and, with DIPR_TEST_DB set, on PostgreSQL (tests/unit/pgtest.h). */
#include "testutil.h"
#include "pgtest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <unistd.h>
#include "internal.h"
#include "log/log.h"
#include "store/registry.h"

static char dir[256], top[256];
static bool on_pg;          /* this run is on PostgreSQL */
static char target[1400];   /* the store: dir/dipr.db or a conninfo */
static char pgname[64];     /* the case's schema on PostgreSQL */

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof dir, "/tmp/dipr-test-log.XXXXXX");
	assert_non_null(mkdtemp(dir));
	memcpy(top, dir, sizeof top);
	snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/d");
	if (on_pg) {
		pgtest_schema("t_log", pgname, sizeof pgname, target, sizeof target);
		assert_int_equal(dipr_log_init_db(dir, "unit.test/log", DIPR_HASH_SHA256, target, NULL), 0);
	} else {
		pgname[0] = 0;
		snprintf(target, sizeof target, "%s/dipr.db", dir);
		assert_int_equal(dipr_log_init(dir, "unit.test/log", DIPR_HASH_SHA256, NULL), 0);
	}
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	char cmd[600];
	pgtest_drop(pgname);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

/* Starts the sequencer.  PostgreSQL: a node sequences once it holds the
 * log's lock (store/node.h), which the sequencer thread takes. */
static void start(dipr_log *l)
{
	assert_int_equal(dipr_log_start(l), 0);
	for (int i = 0; on_pg && !dipr_log_is_sequencer(l); i++) {
		if (i == 1000)
			fail_msg("not the sequencer after 10 s");
		usleep(10000);
	}
}

static json_t *evidence(int i)
{
	char hex[65];
	uint8_t d[32];
	dipr_hash(DIPR_HASH_SM3, &i, sizeof i, d);
	dipr_hex_encode(d, 32, hex);
	return json_pack("{s:i,s:s,s:{s:s},s:i}", "v", 1, "type", "evidence", "digests", "sm3", hex, "size", i);
}

typedef struct {
	uint8_t *receipt;
	size_t len;
} saved;

static void submit_and_verify(dipr_log *l, int from, int to, saved *out)
{
	dipr_store *s;
	assert_int_equal(dipr_store_open(&s, target, 0), 0);
	size_t nv;
	dipr_verifier *const *vs = dipr_log_verifiers(l, &nv);
	for (int i = from; i < to; i++) {
		dipr_log_req r;
		memset(&r, 0, sizeof r);
		r.entry = evidence(i);
		assert_int_equal(dipr_log_submit_wait(l, &r), 0);
		assert_int_equal(r.index, (uint64_t)i);
		dipr_buf b;
		dipr_buf_init(&b, DIPR_TLOG_PROOF_MAX);
		assert_int_equal(dipr_log_receipt(l, s, r.index, r.entry_bytes, r.entry_len, r.cp, &b), 0);
		dipr_tlog_proof p;
		dipr_checkpoint c;
		memset(&p, 0, sizeof p);
		assert_int_equal(dipr_tlog_proof_parse(b.p, b.n, &p), 0);
		assert_int_equal(dipr_tlog_proof_verify(&p, DIPR_HASH_SHA256, vs, nv, "unit.test/log", &c), 0);
		assert_true(c.size == (uint64_t)i + 1);
		/* the entry is canonical JSON carrying the log's time */
		assert_non_null(strstr((const char *)p.extra, "\"time\":"));
		dipr_tlog_proof_free(&p);
		if (out)
			out[i].receipt = dipr_buf_detach(&b, &out[i].len);
		else
			dipr_buf_free(&b);
		dipr_log_req_clear(&r);
	}
	dipr_store_close(s);
}

static void test_receipts_verify_across_restarts(void **st)
{
	(void)st;
	dipr_log *l = NULL;
	enum { N = 700 }; /* crosses two full level-0 tiles */
	saved *rs = calloc(N, sizeof *rs);
	assert_int_equal(dipr_log_open(&l, dir), 0);
	start(l);
	submit_and_verify(l, 0, 300, rs);
	dipr_log_close(l);
	assert_int_equal(dipr_log_open(&l, dir), 0);
	dipr_cp *cp = dipr_log_checkpoint(l);
	assert_true(cp->size == 300);
	dipr_cp_release(cp);
	start(l);
	submit_and_verify(l, 300, N, rs);
	/* old receipts: their checkpoint root is consistent with the newest */
	dipr_store *s;
	dipr_hash_reader rd;
	assert_int_equal(dipr_store_open(&s, target, 0), 0);
	dipr_log_reader(l, s, &rd);
	cp = dipr_log_checkpoint(l);
	for (int i = 0; i < N; i += 37) {
		dipr_tlog_proof p;
		dipr_checkpoint c;
		size_t tl;
		uint8_t proof[DIPR_MERKLE_MAX_PROOF][DIPR_HASH_LEN];
		size_t plen;
		memset(&p, 0, sizeof p);
		assert_int_equal(dipr_tlog_proof_parse(rs[i].receipt, rs[i].len, &p), 0);
		assert_int_equal(dipr_note_parse(p.note, p.note_len, &tl), 0);
		assert_int_equal(dipr_checkpoint_parse(p.note, tl, &c), 0);
		assert_int_equal(dipr_merkle_prove_consistency(DIPR_HASH_SHA256, c.size, cp->size, &rd, proof, &plen), 0);
		assert_int_equal(dipr_merkle_verify_consistency(DIPR_HASH_SHA256, c.size, cp->size, c.root, cp->root,
								(const uint8_t(*)[DIPR_HASH_LEN])proof, plen), 0);
		dipr_tlog_proof_free(&p);
	}
	dipr_cp_release(cp);
	dipr_store_close(s);
	dipr_log_close(l);
	for (int i = 0; i < N; i++)
		free(rs[i].receipt);
	free(rs);
}

/* Changes the database behind dipr's back: stmt on SQLite, pg_stmt (NULL:
 * the same) on PostgreSQL. */
static void sql2(const char *stmt, const char *pg_stmt)
{
	if (on_pg) {
		pgtest_exec(target, pg_stmt ? pg_stmt : stmt);
		return;
	}
	sqlite3 *db;
	assert_int_equal(sqlite3_open(target, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, stmt, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void sql(const char *stmt) { sql2(stmt, NULL); }

/* UPDATE entry: "size":from becomes "size":to in entry idx. */
static void entry_size(int idx, int from, int to)
{
	char q[300], pq[300];
	snprintf(q, sizeof q,
		 "UPDATE entry SET data = CAST(replace(CAST(data AS TEXT), '\"size\":%d', '\"size\":%d') AS BLOB) "
		 "WHERE idx = %d", from, to, idx);
	snprintf(pq, sizeof pq,
		 "UPDATE entry SET data = convert_to(replace(convert_from(data, 'UTF8'), '\"size\":%d', "
		 "'\"size\":%d'), 'UTF8') WHERE idx = %d", from, to, idx);
	sql2(q, pq);
}

static void test_startup_refuses_tampered_tree(void **st)
{
	(void)st;
	dipr_log *l = NULL;
	assert_int_equal(dipr_log_open(&l, dir), 0);
	start(l);
	/* 300 entries: one complete level-0 tile (under a stored level-1
	 * tile) and a partial one */
	submit_and_verify(l, 0, 300, NULL);
	dipr_log_close(l);
	/* a changed entry among the newest (the partial tile the start-up
	 * check recomputes) no longer gives the signed root; older entries
	 * are checked by dipr audit, which recomputes every tile */
	for (int idx = 256; idx < 300; idx += 37) {
		entry_size(idx, idx, idx + 1000);
		l = NULL;
		assert_int_equal(dipr_log_open(&l, dir), DIPR_EFORK);
		assert_non_null(strstr(dipr_errdetail(), "differs from the signed checkpoint"));
		entry_size(idx, idx + 1000, idx);
		assert_int_equal(dipr_log_open(&l, dir), 0);
		dipr_log_close(l);
	}
	/* a changed stored tile no longer gives the signed root */
	sql2("UPDATE tile SET data = zeroblob(length(data)) WHERE level = 1",
	     "UPDATE tile SET data = decode(repeat('00', length(data)), 'hex') WHERE level = 1");
	l = NULL;
	assert_int_equal(dipr_log_open(&l, dir), DIPR_EFORK);
}

static void test_startup_refuses_forged_checkpoint(void **st)
{
	(void)st;
	dipr_log *l = NULL;
	/* a checkpoint ahead of the tree */
	sql("UPDATE checkpoint SET size = 5");
	assert_int_equal(dipr_log_open(&l, dir), DIPR_EFORK);
	/* a checkpoint note with a changed byte */
	sql2("UPDATE checkpoint SET size = 0, note = CAST(replace(CAST(note AS TEXT), 'unit.test/log', 'unit.test/lob') AS BLOB)",
	     "UPDATE checkpoint SET size = 0, note = convert_to(replace(convert_from(note, 'UTF8'), 'unit.test/log', "
	     "'unit.test/lob'), 'UTF8')");
	assert_int_equal(dipr_log_open(&l, dir), DIPR_EFORK);
}

static void test_tree_ahead_of_checkpoint_is_signed_on_start(void **st)
{
	(void)st;
	dipr_log *l = NULL;
	assert_int_equal(dipr_log_open(&l, dir), 0);
	start(l);
	submit_and_verify(l, 0, 5, NULL);
	dipr_cp *cp = dipr_log_checkpoint(l);
	uint8_t *note = malloc(cp->len);
	size_t len = cp->len;
	memcpy(note, cp->note, len);
	dipr_cp_release(cp);
	submit_and_verify(l, 5, 8, NULL);
	dipr_log_close(l);
	/* simulate a crash between the batch commit and the checkpoint write:
	 * put back the checkpoint of size 5 */
	dipr_store *s;
	assert_int_equal(dipr_store_open(&s, target, 0), 0);
	dipr_buf cur;
	uint64_t cs;
	dipr_buf_init(&cur, DIPR_NOTE_MAX);
	assert_int_equal(dipr_store_checkpoint_get(s, &cur, &cs), 0);
	/* compare-and-swap: a stale "old" value loses */
	assert_int_equal(dipr_store_checkpoint_cas(s, note, len, 5, note, len, true), DIPR_ECONFLICT);
	assert_int_equal(dipr_store_checkpoint_cas(s, note, len, 5, note, len, false), DIPR_ECONFLICT);
	/* regression: the non-durable checkpoint write must not leave the
	 * connection without fsync (a prepared PRAGMA once did); SQLite only:
	 * PostgreSQL's durability is the server's synchronous_commit */
	if (!on_pg)
		assert_int_equal(dipr_store_sync_level(s), 2);
	sql("UPDATE checkpoint SET size = 0");
	dipr_store_close(s);
	if (on_pg) {
		pgtest_exec_blob(target, "UPDATE checkpoint SET size = 5, note = $1", note, (int)len);
	} else {
		sqlite3 *db;
		sqlite3_stmt *stmt;
		assert_int_equal(sqlite3_open(target, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "UPDATE checkpoint SET size = 5, note = ?1", -1, &stmt, NULL),
				 SQLITE_OK);
		sqlite3_bind_blob(stmt, 1, note, (int)len, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
		sqlite3_finalize(stmt);
		sqlite3_close(db);
	}
	dipr_buf_free(&cur);
	l = NULL;
	assert_int_equal(dipr_log_open(&l, dir), 0);
	/* PostgreSQL: several nodes may share the database, and a node signs
	 * the tree it finds ahead only once it sequences */
	if (on_pg)
		start(l);
	cp = dipr_log_checkpoint(l);
	assert_true(cp->size == 8);
	dipr_cp_release(cp);
	dipr_log_close(l);
	free(note);
}

static void test_oversized_entry_fails_alone(void **st)
{
	(void)st;
	dipr_log *l = NULL;
	assert_int_equal(dipr_log_open(&l, dir), 0);
	start(l);
	char *big = malloc(DIPR_ENTRY_MAX + 1);
	memset(big, 'a', DIPR_ENTRY_MAX);
	big[DIPR_ENTRY_MAX] = 0;
	dipr_log_req r;
	memset(&r, 0, sizeof r);
	r.entry = json_pack("{s:s}", "x", big);
	assert_int_equal(dipr_log_submit_wait(l, &r), DIPR_ERANGE);
	dipr_log_req_clear(&r);
	free(big);
	assert_true(dipr_log_healthy(l));
	submit_and_verify(l, 0, 2, NULL);
	dipr_log_close(l);
}

/* Jobs: entries and the job's own writes commit in the batch's one
 * transaction; a job that refuses leaves neither entries nor writes. */
typedef struct {
	bool refuse;
	uint64_t first;
} job_args;

static int counter_job(dipr_log_req *r, dipr_log_job *j)
{
	job_args *a = r->job_ctx;
	uint64_t v, idx;
	assert_int_equal(dipr_store_savepoint(j->store), 0);
	assert_int_equal(dipr_store_counter_next(j->store, "unit", &v), 0);
	for (int i = 0; i < 2; i++) {
		json_t *e = json_pack("{s:i,s:s,s:I}", "v", 1, "type", "registration", "n", (json_int_t)v);
		assert_int_equal(dipr_log_job_append(j, e, &idx), 0);
		assert_int_equal(idx, j->next_index + (uint64_t)i);
		if (i == 0)
			a->first = idx;
		json_decref(e);
	}
	if (a->refuse) {
		dipr_log_job_discard(j);
		return dipr_store_rollback_to(j->store);
	}
	return dipr_store_release(j->store);
}

static void test_jobs_commit_with_their_entries(void **st)
{
	dipr_log *l;
	dipr_store *s;
	assert_int_equal(dipr_log_open(&l, dir), 0);
	start(l);
	assert_int_equal(dipr_store_open(&s, target, 0), 0);
	/* an evidence entry, a job, a refused job, a job: in one go */
	dipr_log_req ev, jr[3];
	job_args ja[3] = {{false, 0}, {true, 0}, {false, 0}};
	memset(&ev, 0, sizeof ev);
	memset(jr, 0, sizeof jr);
	ev.entry = evidence(1);
	assert_int_equal(dipr_log_submit_wait(l, &ev), 0);
	for (int i = 0; i < 3; i++) {
		jr[i].job = counter_job;
		jr[i].job_ctx = &ja[i];
		assert_int_equal(dipr_log_submit_wait(l, &jr[i]), 0);
	}
	dipr_cp *cp = dipr_log_checkpoint(l);
	assert_int_equal(cp->size, 5); /* 1 + 2 + 0 + 2 */
	assert_int_equal(ja[0].first, 1);
	assert_int_equal(jr[2].index, 3);
	dipr_cp_release(cp);
	/* the refused job's counter step was rolled back: 1 then 2 */
	uint64_t v;
	dipr_buf e;
	dipr_buf_init(&e, DIPR_ENTRY_MAX);
	assert_int_equal(dipr_store_entry(s, 3, &e), 0);
	assert_non_null(strstr((const char *)e.p, "\"n\":2"));
	dipr_buf_free(&e);
	assert_int_equal(dipr_store_begin(s), 0);
	assert_int_equal(dipr_store_counter_next(s, "unit", &v), 0);
	assert_int_equal(v, 3);
	dipr_store_rollback(s);
	dipr_store_close(s);
	dipr_log_req_clear(&ev);
	for (int i = 0; i < 3; i++)
		dipr_log_req_clear(&jr[i]);
	dipr_log_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_receipts_verify_across_restarts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_startup_refuses_tampered_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_startup_refuses_forged_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_ahead_of_checkpoint_is_signed_on_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_entry_fails_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jobs_commit_with_their_entries, setup, teardown),
	};
	return PGTEST_RUN_BOTH("log", tests, NULL, NULL, &on_pg);
}
