/* client.c — dipr hash/attest/verify/audit: the commands that hold the
 * data (hashed locally: the file never leaves the machine) and the ones
 * that check the log without trusting its operator. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "internal.h"
#include "jcs.h"
#include "cli/cli.h"
#include "cli/backup.h"
#include "cli/http.h"
#include "cli/records.h"
#include "dipr/cert.h"
#include "dipr/merkle.h"
#include "dipr/note.h"
#include "dipr/witness.h"
#include "log/log.h"



/* Writes data to path durably and atomically (temp file, fsync, rename). */
int cli_write_file_atomic(const char *path, const void *data, size_t n, unsigned mode)
{
	char tmp[4200];
	int tn = snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
	if (tn < 0 || (size_t)tn >= sizeof tmp)
		return cli_fail(2, "%s: path too long", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return cli_fail(2, "%s: cannot create: %s", tmp, strerror(errno));
	if (write(fd, data, n) != (ssize_t)n || fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return cli_fail(2, "%s: write failed: %s", path, strerror(e));
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return cli_fail(2, "%s: cannot write: %s", path, strerror(e));
	}
	return 0;
}

static const char *server_error(const dipr_buf *b)
{
	static char msg[512];
	json_error_t err;
	json_t *v = json_loadb((const char *)b->p, b->n, 0, &err);
	const char *m = json_string_value(json_object_get(json_object_get(v, "error"), "message"));
	snprintf(msg, sizeof msg, "%s", m ? m : "(no error message)");
	json_decref(v);
	return msg;
}

/* ---- attest ---- */

int cmd_attest(int argc, char **argv)
{
	const char *server = NULL, *token = getenv("DIPR_TOKEN"), *alg = "sm3", *key = NULL, *outp = NULL,
		   *records = NULL, *secretp = NULL, *pos[CLI_MULTI_MAX];
	int npos, nalg, status = 0;
	dipr_hash_alg algs[2];
	dipr_signer *signer = NULL;
	char *holder = NULL;
	cli_opt o[] = {{"--server", 1, &server}, {"--token", 1, &token}, {"--alg", 1, &alg}, {"--key", 1, &key},
		       {"-o", 1, &outp}, {"--records", 1, &records}, {"--secret", 1, &secretp}, {0}};
	if (cli_parse(argc, argv, o, pos, &npos, CLI_MULTI_MAX) || cli_parse_algs(alg, algs, &nalg))
		return 2;
	if (secretp && npos > 1)
		return cli_fail(2, "--secret: only with a single FILE (each dataset has its own secret)");
	if (!server || npos == 0)
		return cli_fail(2, "usage: dipr attest FILE... --server URL [--token T] [--alg A] [--key K] [-o OUT]");
	if (!token)
		return cli_fail(2, "--token: missing (or set DIPR_TOKEN); create one with dipr token create");
	dipr_rec_format rfmt = 0;
	if (records && dipr_rec_format_parse(records, strlen(records), &rfmt))
		return cli_fail(2, "--records \"%s\": expected lines, csv or jsonl", records);
	if (outp && npos > 1)
		return cli_fail(2, "-o: only with a single FILE (receipts otherwise go to FILE.tlog-proof)");
	if (key) {
		dipr_buf kb;
		dipr_buf_init(&kb, 4096);
		int rc = dipr_read_file(key, 4096, &kb);
		while (!rc && kb.n && (kb.p[kb.n - 1] == '\n' || kb.p[kb.n - 1] == '\r'))
			kb.n--;
		if (!rc)
			rc = dipr_signer_from_skey(&signer, (const char *)kb.p, kb.n);
		if (kb.p)
			OPENSSL_cleanse(kb.p, kb.cap);
		dipr_buf_free(&kb);
		if (rc || dipr_signer_vkey(signer, &holder))
			return cli_fail(2, "--key %s: %s", key, dipr_errdetail());
	}
	char url[2048];
	if (cli_url(url, sizeof url, server, "api/v1/evidence"))
		return cli_fail(2, "--server: URL too long");
	for (int i = 0; i < npos; i++) {
		uint8_t d[2][DIPR_HASH_LEN];
		uint64_t size;
		char hex[65], rpath[4200], spath[4200];
		dipr_records_commitment rcm;
		bool new_secret = false;
		snprintf(rpath, sizeof rpath, "%s.tlog-proof", pos[i]);
		if (records) {
			/* The secret lives beside the receipt; an existing one is
			 * reused, so a grown dataset keeps its salts and its new
			 * record tree extends the old one. */
			uint8_t secret[DIPR_SECRET_LEN];
			if (secretp)
				snprintf(spath, sizeof spath, "%s", secretp);
			else if (cli_secret_path(outp ? outp : rpath, spath, sizeof spath)) {
				status = 2;
				continue;
			}
			int r = cli_secret_load(spath, secret, true, &new_secret);
			if (!r)
				r = cli_records_scan(pos[i], algs, nalg, rfmt, secret, d, &size, &rcm, NULL, NULL, NULL);
			OPENSSL_cleanse(secret, sizeof secret);
			if (r) {
				if (new_secret)
					unlink(spath);
				status = 2;
				continue;
			}
		} else if (cli_hash_file(pos[i], algs, nalg, d, &size)) {
			status = 2;
			continue;
		}
		json_t *digests = json_object();
		for (int k = 0; k < nalg; k++) {
			dipr_hex_encode(d[k], DIPR_HASH_LEN, hex);
			json_object_set_new(digests, dipr_hash_name(algs[k]), json_string(hex));
		}
		json_t *req = json_pack("{s:O,s:I}", "digests", digests, "size", (json_int_t)size);
		if (records)
			json_object_set_new(req, "records", cli_records_json(&rcm));
		if (signer) {
			dipr_buf line, sb;
			uint8_t sig[80];
			size_t siglen;
			dipr_buf_init(&line, 4096);
			dipr_buf_init(&sb, 256);
			dipr__jcs_encode(digests, &line);
			if (dipr_signer_sign_raw(signer, line.p, line.n, sig, &siglen) || dipr_b64_encode(sig, siglen, &sb)) {
				dipr_buf_free(&line);
				dipr_buf_free(&sb);
				json_decref(req);
				json_decref(digests);
				status = cli_fail(2, "--key: signing failed");
				continue;
			}
			json_object_set_new(req, "holder", json_string(holder));
			json_object_set_new(req, "holder_sig", json_string((const char *)sb.p));
			dipr_buf_free(&line);
			dipr_buf_free(&sb);
		}
		json_decref(digests);
		char *body = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		dipr_buf resp;
		long code = 0;
		dipr_buf_init(&resp, DIPR_TLOG_PROOF_MAX);
		int rc = cli_http("POST", url, token, body, strlen(body), "application/json", &code, &resp);
		free(body);
		if (rc) {
			status = cli_fail(2, "%s: %s", pos[i], dipr_errdetail());
			dipr_buf_free(&resp);
			continue;
		}
		if (code != 200) {
			status = cli_fail(2, "%s: server answered %ld: %s", pos[i], code, server_error(&resp));
			dipr_buf_free(&resp);
			continue;
		}
		/* Check the receipt is for what we sent before saving it. */
		dipr_tlog_proof p;
		memset(&p, 0, sizeof p);
		if (dipr_tlog_proof_parse(resp.p, resp.n, &p) != 0) {
			status = cli_fail(2, "%s: server sent an invalid receipt: %s", pos[i], dipr_errdetail());
			dipr_buf_free(&resp);
			continue;
		}
		json_error_t jerr;
		json_t *entry = json_loadb((const char *)p.extra, p.extra_len, 0, &jerr);
		bool match = entry != NULL;
		for (int k = 0; k < nalg && match; k++) {
			dipr_hex_encode(d[k], DIPR_HASH_LEN, hex);
			const char *got = json_string_value(json_object_get(json_object_get(entry, "digests"), dipr_hash_name(algs[k])));
			match = got && strcmp(got, hex) == 0;
		}
		json_decref(entry);
		if (!match) {
			status = cli_fail(2, "%s: the server's receipt is for a different entry", pos[i]);
		} else {
			const char *dest = outp ? outp : rpath;
			if (cli_write_file_atomic(dest, resp.p, resp.n, 0644) == 0) {
				printf("%s: logged as entry %llu, receipt %s\n", pos[i], (unsigned long long)p.index, dest);
				if (records)
					printf("%s: %llu %s records, dataset secret %s (keep it: samples need it)\n", pos[i],
					       (unsigned long long)rcm.count, rcm.format, spath);
			} else {
				status = 2;
			}
		}
		dipr_tlog_proof_free(&p);
		dipr_buf_free(&resp);
	}
	dipr_signer_free(signer);
	free(holder);
	return status;
}

/* ---- verify ---- */

typedef struct {
	dipr_verifier *v[CLI_MULTI_MAX];
	size_t n;
} keyring;

static void keyring_free(keyring *k)
{
	for (size_t i = 0; i < k->n; i++)
		dipr_verifier_free(k->v[i]);
	k->n = 0;
}

/* A --vkey is a vkey or a file of vkeys, one per line. */
int cli_key_lines(const char *opt, const char *arg, int (*fn)(void *ctx, const char *key, size_t n), void *ctx)
{
	dipr_buf b;
	struct stat st;
	const char *text = arg;
	size_t len = strlen(arg);
	int rc = 0;
	dipr_buf_init(&b, 65536);
	if (!strchr(arg, '+') && stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
		if (dipr_read_file(arg, 65536, &b)) {
			dipr_buf_free(&b);
			return cli_fail(2, "%s %s: %s", opt, arg, dipr_errdetail());
		}
		text = (const char *)b.p;
		len = b.n;
	}
	for (size_t i = 0; i < len && !rc;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (text + i)) : len - i, l2 = l;
		while (l2 && (text[i + l2 - 1] == '\r' || text[i + l2 - 1] == ' '))
			l2--;
		if (l2)
			rc = fn(ctx, text + i, l2);
		i += l + 1;
	}
	dipr_buf_free(&b);
	return rc;
}

static int keyring_one(void *ctx, const char *key, size_t n)
{
	keyring *k = ctx;
	if (k->n >= CLI_MULTI_MAX)
		return cli_fail(2, "--vkey: too many keys");
	if (dipr_verifier_from_vkey(&k->v[k->n], key, n))
		return cli_fail(2, "--vkey \"%.*s\": %s", (int)(n > 80 ? 80 : n), key, dipr_errdetail());
	k->n++;
	return 0;
}

static int keyring_add(keyring *k, const char *arg)
{
	return cli_key_lines("--vkey", arg, keyring_one, k);
}

static int fetch(const char *server, const char *path, dipr_buf *out, size_t max)
{
	char url[2048];
	long code = 0;
	dipr_buf_init(out, max);
	if (cli_url(url, sizeof url, server, path))
		return cli_fail(2, "--server: URL too long");
	if (cli_http("GET", url, NULL, NULL, 0, NULL, &code, out))
		return cli_fail(2, "%s", dipr_errdetail());
	if (code != 200)
		return cli_fail(2, "%s: server answered %ld: %s", url, code, server_error(out));
	return 0;
}

static int keys_from_server(keyring *k, const char *server)
{
	dipr_buf b;
	if (fetch(server, "log.json", &b, 65536)) {
		dipr_buf_free(&b);
		return 2;
	}
	json_error_t err;
	json_t *v = json_loadb((const char *)b.p, b.n, 0, &err), *vk = json_object_get(v, "vkeys");
	int rc = json_is_array(vk) && json_array_size(vk) ? 0 : cli_fail(2, "%s/log.json: no vkeys", server);
	for (size_t i = 0; i < json_array_size(vk) && !rc; i++) {
		const char *s = json_string_value(json_array_get(vk, i));
		rc = s ? keyring_add(k, s) : cli_fail(2, "log.json: vkeys[%zu] is not a string", i);
	}
	json_decref(v);
	dipr_buf_free(&b);
	return rc;
}

/* Checks the file against the entry's digests and size. 0 match, 1 differs, 2 error. */
static int check_file(const char *file, const uint8_t *entry, size_t n, char *msg, size_t cap)
{
	json_error_t err;
	json_t *e = json_loadb((const char *)entry, n, 0, &err), *dg = json_object_get(e, "digests");
	dipr_hash_alg algs[2];
	const char *want[2];
	int nalg = 0, rc = 0;
	const char *k;
	json_t *v;
	if (!json_is_object(dg)) {
		json_decref(e);
		snprintf(msg, cap, "the receipt's entry has no digests (not an evidence entry)");
		return 1;
	}
	json_object_foreach(dg, k, v) {
		if (nalg < 2 && dipr_hash_parse(k, strlen(k), &algs[nalg]) == 0 && json_is_string(v))
			want[nalg++] = json_string_value(v);
	}
	uint8_t d[2][DIPR_HASH_LEN];
	uint64_t size;
	if (nalg == 0) {
		snprintf(msg, cap, "the receipt's entry has no sm3 or sha256 digest");
		rc = 1;
	} else if (cli_hash_file(file, algs, nalg, d, &size)) {
		rc = 2;
	} else {
		for (int i = 0; i < nalg && !rc; i++) {
			char hex[65];
			dipr_hex_encode(d[i], DIPR_HASH_LEN, hex);
			if (strcmp(hex, want[i]) != 0) {
				snprintf(msg, cap, "file %s: %s digest %s differs from the attested %s", file,
					 dipr_hash_name(algs[i]), hex, want[i]);
				rc = 1;
			}
		}
		json_t *sz = json_object_get(e, "size");
		if (!rc && json_is_integer(sz) && (uint64_t)json_integer_value(sz) != size) {
			snprintf(msg, cap, "file %s: size %llu differs from the attested %lld", file,
				 (unsigned long long)size, (long long)json_integer_value(sz));
			rc = 1;
		}
	}
	json_decref(e);
	return rc;
}

/* Checks that the receipt's checkpoint is a prefix of the server's latest. */
static int check_server(const char *server, const dipr_checkpoint *cp, dipr_hash_alg alg, keyring *k,
			char *msg, size_t cap, uint64_t *latest)
{
	dipr_buf b, pb;
	size_t tl;
	dipr_checkpoint now;
	int rc = 0;
	if (fetch(server, "checkpoint", &b, DIPR_NOTE_MAX)) {
		dipr_buf_free(&b);
		return 2;
	}
	if (dipr_note_verify(b.p, b.n, k->v, k->n, &tl) || dipr_checkpoint_parse(b.p, tl, &now) ||
	    strcmp(now.origin, cp->origin) != 0) {
		snprintf(msg, cap, "%s/checkpoint: not signed by the given keys for origin %s", server, cp->origin);
		dipr_buf_free(&b);
		return 1;
	}
	dipr_buf_free(&b);
	*latest = now.size;
	if (now.size < cp->size) {
		snprintf(msg, cap, "the server's latest checkpoint (size %llu) is smaller than the receipt's (%llu): the log was rolled back",
			 (unsigned long long)now.size, (unsigned long long)cp->size);
		return 1;
	}
	uint8_t proof[DIPR_MERKLE_MAX_PROOF][DIPR_HASH_LEN];
	size_t plen = 0;
	if (cp->size > 0 && now.size > cp->size) {
		char path[128];
		snprintf(path, sizeof path, "api/v1/proof/consistency?from=%llu&to=%llu", (unsigned long long)cp->size,
			 (unsigned long long)now.size);
		if (fetch(server, path, &pb, 65536)) {
			dipr_buf_free(&pb);
			return 2;
		}
		json_error_t err;
		json_t *v = json_loadb((const char *)pb.p, pb.n, 0, &err), *pr = json_object_get(v, "proof");
		for (size_t i = 0; i < json_array_size(pr) && i < DIPR_MERKLE_MAX_PROOF && !rc; i++) {
			const char *s = json_string_value(json_array_get(pr, i));
			size_t n = 0;
			if (!s || dipr_b64_decode(s, strlen(s), proof[i], DIPR_HASH_LEN, &n) || n != DIPR_HASH_LEN)
				rc = 1;
			plen = i + 1;
		}
		if (!json_is_array(pr) || json_array_size(pr) > DIPR_MERKLE_MAX_PROOF)
			rc = 1;
		json_decref(v);
		dipr_buf_free(&pb);
	}
	if (rc || dipr_merkle_verify_consistency(alg, cp->size, now.size, cp->root, now.root,
						 (const uint8_t(*)[DIPR_HASH_LEN])proof, plen)) {
		snprintf(msg, cap, "the server's latest checkpoint (size %llu) is not consistent with the receipt's: the log forked",
			 (unsigned long long)now.size);
		return 1;
	}
	return 0;
}

/* Checks one receipt against the keyring: every key signed the checkpoint,
 * whose origin is the keys' name, and the entry is included.  Returns 0 or
 * the exit status, having printed why. */
static int verify_receipt(const char *name, const uint8_t *rbytes, size_t rlen, keyring *kr, const char *th,
			  dipr_tlog_proof *p, dipr_checkpoint *cp, dipr_hash_alg *alg_out)
{
	size_t tl;
	/* The log's key name is its origin (C2SP tlog-checkpoint). */
	const char *origin = dipr_verifier_name(kr->v[0]);
	dipr_hash_alg tried[2] = {DIPR_HASH_SHA256, DIPR_HASH_SM3}, alg = DIPR_HASH_SHA256;
	int ntry = 2;
	if (th) {
		if (dipr_hash_parse(th, strlen(th), &tried[0]))
			return cli_fail(2, "--tree-hash: expected sha256 or sm3");
		ntry = 1;
	}
	if (dipr_tlog_proof_parse(rbytes, rlen, p))
		return cli_fail(1, "%s: malformed receipt: %s", name, dipr_errdetail());
	if (!p->has_extra)
		return cli_fail(1, "%s: receipt has no entry (extra line)", name);
	if (dipr_note_verify(p->note, p->note_len, kr->v, kr->n, &tl))
		return cli_fail(1, "%s: checkpoint signature: not signed by every given key (%s)", name,
				dipr_errdetail()[0] ? dipr_errdetail() : "wrong key or changed checkpoint");
	/* Signatures once (above), then the inclusion proof under the log's
	 * tree hash; the receipt does not name it, so unless --tree-hash is
	 * given both are tried (a proof cannot verify under both). */
	if (dipr_checkpoint_parse(p->note, tl, cp) || strcmp(cp->origin, origin) != 0)
		return cli_fail(1, "%s: checkpoint: origin is not %s, the name of the given keys", name, origin);
	int vr = DIPR_EVERIFY;
	for (int i = 0; i < ntry && vr; i++) {
		uint8_t leaf[DIPR_HASH_LEN];
		alg = tried[i];
		dipr_merkle_leaf_hash(alg, p->extra, p->extra_len, leaf);
		vr = dipr_merkle_verify_inclusion(alg, p->index, cp->size, leaf, (const uint8_t(*)[DIPR_HASH_LEN])p->proof,
						  p->proof_len, cp->root);
	}
	if (vr)
		return cli_fail(1, "%s: inclusion proof: entry %llu is not in the signed tree (changed entry, index or proof)",
				name, (unsigned long long)p->index);
	*alg_out = alg;
	return 0;
}

/* ---- a certificate's current status (online) ---- */

/* Checks that the checkpoints a and b (verified with the same keys) are of
 * one log: equal, or the smaller a prefix of the larger by the server's
 * consistency proof.  0, 1 (inconsistent, msg set) or 2 (no answer). */
static int cps_consistent(const char *server, const dipr_checkpoint *a, const dipr_checkpoint *b, dipr_hash_alg alg,
			  char *msg, size_t cap)
{
	const dipr_checkpoint *lo = a->size <= b->size ? a : b, *hi = a->size <= b->size ? b : a;
	uint8_t proof[DIPR_MERKLE_MAX_PROOF][DIPR_HASH_LEN];
	size_t plen = 0;
	int bad = 0;
	if (lo->size == hi->size || lo->size == 0) {
		bad = lo->size == hi->size && memcmp(lo->root, hi->root, DIPR_HASH_LEN) != 0;
	} else {
		char path[128];
		dipr_buf pb;
		snprintf(path, sizeof path, "api/v1/proof/consistency?from=%llu&to=%llu", (unsigned long long)lo->size,
			 (unsigned long long)hi->size);
		if (fetch(server, path, &pb, 65536)) {
			dipr_buf_free(&pb);
			return 2;
		}
		json_error_t err;
		json_t *v = json_loadb((const char *)pb.p, pb.n, 0, &err), *pr = json_object_get(v, "proof");
		bad = !json_is_array(pr) || json_array_size(pr) > DIPR_MERKLE_MAX_PROOF;
		for (size_t i = 0; !bad && i < json_array_size(pr); i++) {
			const char *s = json_string_value(json_array_get(pr, i));
			size_t n = 0;
			bad = !s || dipr_b64_decode(s, strlen(s), proof[i], DIPR_HASH_LEN, &n) || n != DIPR_HASH_LEN;
			plen = i + 1;
		}
		json_decref(v);
		dipr_buf_free(&pb);
		bad = bad || dipr_merkle_verify_consistency(alg, lo->size, hi->size, lo->root, hi->root,
							    (const uint8_t(*)[DIPR_HASH_LEN])proof, plen);
	}
	if (bad)
		snprintf(msg, cap, "the registry's record is in a checkpoint (size %llu) not consistent with the certificate's (size %llu): the log forked",
			 (unsigned long long)b->size, (unsigned long long)a->size);
	return bad;
}

/* Checks one history item of a registration record: its tlog-proof
 * verifies with the certificate's keys, origin and tree hash; its "entry"
 * is the logged entry; it is a registration event of application app
 * chained to the item before (prev_index, -1 for the first).  Fills *cp.
 * 0, or 1 with msg set. */
static int check_history_item(const json_t *h, size_t i, int64_t app, int64_t prev_index, const char *regno,
			      keyring *kr, const dipr_cert_verified *cv, dipr_checkpoint *cp, bool *names_regno,
			      char *msg, size_t cap)
{
	const char *text = json_string_value(json_object_get(h, "tlog_proof"));
	json_t *entry = json_object_get(h, "entry"), *logged = NULL, *idx = json_object_get(h, "index");
	dipr_tlog_proof p;
	int rc = 1;
	memset(&p, 0, sizeof p);
	if (!text || dipr_tlog_proof_parse((const uint8_t *)text, strlen(text), &p) || !p.has_extra) {
		snprintf(msg, cap, "history[%zu].tlog_proof: not a tlog-proof with an entry", i);
		goto done;
	}
	if (dipr_tlog_proof_verify(&p, cv->tree_alg, kr->v, kr->n, cv->cp.origin, cp)) {
		snprintf(msg, cap, "history[%zu].tlog_proof: does not verify with the certificate's keys in log %s (%s)", i,
			 cv->cp.origin, dipr_errdetail());
		goto done;
	}
	if (!json_is_integer(idx) || json_integer_value(idx) < 0 || (uint64_t)json_integer_value(idx) != p.index) {
		snprintf(msg, cap, "history[%zu].index: differs from the proof's index %llu", i, (unsigned long long)p.index);
		goto done;
	}
	/* The server's parsed entry is what its record claims; the proof's
	 * bytes are what the log holds.  They must be the same value. */
	if (dipr__json_parse(p.extra, p.extra_len, 16, "entry", &logged) || !json_equal(logged, entry)) {
		snprintf(msg, cap, "history[%zu].entry: differs from the entry logged at index %llu", i,
			 (unsigned long long)p.index);
		goto done;
	}
	const char *type = json_string_value(json_object_get(logged, "type")),
		   *rn = json_string_value(json_object_get(logged, "regno"));
	json_t *a = json_object_get(logged, "app"), *prev = json_object_get(logged, "prev");
	if (!type || strcmp(type, "registration") != 0 || !json_is_integer(a) || json_integer_value(a) != app) {
		snprintf(msg, cap, "history[%zu]: entry %llu is not a registration event of application %lld", i,
			 (unsigned long long)p.index, (long long)app);
		goto done;
	}
	if (prev_index < 0 ? prev != NULL : !json_is_integer(prev) || json_integer_value(prev) != prev_index) {
		snprintf(msg, cap, "history[%zu]: entry %llu is not chained to the one before (prev should be %s%lld)", i,
			 (unsigned long long)p.index, prev_index < 0 ? "absent, not " : "",
			 prev_index < 0 ? (long long)json_integer_value(prev) : (long long)prev_index);
		goto done;
	}
	if (rn && strcmp(rn, regno) != 0) {
		snprintf(msg, cap, "history[%zu]: entry %llu names registration %.20s, not %s", i, (unsigned long long)p.index,
			 rn, regno);
		goto done;
	}
	*names_regno = *names_regno || rn;
	rc = 0;
done:
	json_decref(logged);
	dipr_tlog_proof_free(&p);
	return rc;
}

/* valid 0, pledged 1, anything else (an end, or unknown) 2. */
static int status_rank(const char *st)
{
	return !st || strcmp(st, "valid") == 0 ? 0 : strcmp(st, "pledged") == 0 ? 1 : 2;
}

/* The registration's status after one more logged event (DOMAIN.md
 * lifecycle; docs/REGISTRY.md "Log entries"): NULL until "registered". */
static const char *status_after(const char *st, const char *event)
{
	static const char *const ev[][2] = {{"registered", "valid"},	   {"pledge", "pledged"},
					    {"pledge_release", "valid"},   {"cancellation", "cancelled"},
					    {"revocation", "revoked"},	   {"expiry", "expired"}};
	for (size_t i = 0; event && i < sizeof ev / sizeof ev[0]; i++)
		if (strcmp(event, ev[i][0]) == 0)
			return st && status_rank(st) > 1 ? st : ev[i][1]; /* nothing after an end */
	return st;
}

/* After the offline checks: GET /api/v1/registrations/{regno}, every
 * history proof checked with the same keys (check_history_item), the
 * record's checkpoint consistent with the certificate's, then the status.
 * 0 (valid or pledged), 1 (any other status, or a check failed) or 2. */
static int cert_status(const char *name, const dipr_cert *c, const dipr_cert_verified *cv, keyring *kr,
		       const char *server)
{
	char path[128], url[2048], msg[1024];
	long code = 0;
	dipr_buf b;
	json_t *rec = NULL, *it;
	dipr_checkpoint cp, first;
	int rc = 0;
	size_t i;
	const char *regno = c->body.regno, *certno = c->body.certno;
	snprintf(path, sizeof path, "api/v1/registrations/%s", regno);
	dipr_buf_init(&b, 16u << 20); /* a long history of proofs stays far below */
	if (cli_url(url, sizeof url, server, path)) {
		rc = cli_fail(2, "--server: URL too long");
		goto done;
	}
	if (cli_http("GET", url, NULL, NULL, 0, NULL, &code, &b)) {
		rc = cli_fail(2, "%s", dipr_errdetail());
		goto done;
	}
	if (code == 404) {
		rc = cli_fail(1, "%s: the registry at %s has no registration %s", name, server, regno);
		goto done;
	}
	json_error_t err;
	if (code != 200 || !(rec = json_loadb((const char *)b.p, b.n, JSON_REJECT_DUPLICATES, &err))) {
		rc = cli_fail(2, "%s: server answered %ld: %s", url, code, server_error(&b));
		goto done;
	}
	json_t *hist = json_object_get(rec, "history"), *appv = json_object_get(rec, "application");
	if (!json_is_array(hist) || json_array_size(hist) == 0 || !json_is_integer(appv)) {
		rc = cli_fail(1, "%s: the registry's record of %s has no history to check", name, regno);
		goto done;
	}
	int64_t prev = -1;
	bool names_regno = false;
	const char *logged = NULL; /* the status the verified events prove */
	json_array_foreach(hist, i, it) {
		if (check_history_item(it, i, json_integer_value(appv), prev, regno, kr, cv, &cp, &names_regno, msg,
				       sizeof msg)) {
			rc = cli_fail(1, "%s: registration %s: %s", name, regno, msg);
			goto done;
		}
		if (i == 0)
			first = cp;
		else if (cp.size != first.size || memcmp(cp.root, first.root, DIPR_HASH_LEN) != 0) {
			rc = cli_fail(1, "%s: registration %s: history[%zu] is proven in another checkpoint than history[0]",
				      name, regno, i);
			goto done;
		}
		prev = json_integer_value(json_object_get(it, "index"));
		logged = status_after(logged, json_string_value(json_object_get(json_object_get(it, "entry"), "event")));
	}
	if (!names_regno || !logged) {
		rc = cli_fail(1, "%s: registration %s: no registration event of the history names it", name, regno);
		goto done;
	}
	int cr = cps_consistent(server, &cv->cp, &first, cv->tree_alg, msg, sizeof msg);
	if (cr) {
		rc = cr == 1 ? cli_fail(1, "%s: %s", name, msg) : 2;
		goto done;
	}
	printf("history: %zu events of registration %s verified (chained, in the signed checkpoint of size %llu, consistent with the certificate's)\n",
	       json_array_size(hist), regno, (unsigned long long)first.size);
	/* This certificate's line in the record, then the status. */
	json_t *mine = NULL;
	json_array_foreach(json_object_get(rec, "certificates"), i, it) {
		const char *cn = json_string_value(json_object_get(it, "certno"));
		if (cn && strcmp(cn, certno) == 0)
			mine = it;
	}
	json_t *ix = json_object_get(mine, "index");
	if (!mine || !json_is_integer(ix) || (uint64_t)json_integer_value(ix) != cv->index) {
		rc = cli_fail(1, "%s: the registry's record of %s does not list certificate %s logged as entry %llu", name,
			      regno, certno, (unsigned long long)cv->index);
		goto done;
	}
	const char *rst = json_string_value(json_object_get(rec, "status")),
		   *cst = json_string_value(json_object_get(mine, "status")),
		   *cur = json_string_value(json_object_get(rec, "certno"));
	if (!rst || !cst) {
		rc = cli_fail(1, "%s: the registry's record of %s has no status", name, regno);
		goto done;
	}
	/* The record's status is the registry's word; the events are proven.
	 * Whichever is worse stands: a registry cannot hide a logged pledge,
	 * cancellation, revocation or expiry by claiming "valid" (and one that
	 * claims worse than its log shows, e.g. a step logged after the
	 * checkpoint it proved the history in, is believed). */
	if (status_rank(logged) > status_rank(rst)) {
		printf("note: the registry's record says %s, but its logged events show %s\n", rst, logged);
		rst = logged;
	}
	if (!cur || strcmp(cur, certno) != 0 || strcmp(cst, "superseded") == 0) {
		printf("status: superseded (the current certificate of %s is %s)\n", regno, cur ? cur : "none");
		rc = cli_fail(1, "%s: certificate %s is superseded", name, certno);
	} else if (strcmp(rst, "pledged") == 0) {
		json_t *pl = json_object_get(rec, "pledge");
		const char *pe = json_string_value(json_object_get(pl, "pledgee")),
			   *end = json_string_value(json_object_get(pl, "end"));
		printf("status: pledged (to %s until %s)\n", pe ? pe : "?", end ? end : "?");
	} else if (strcmp(rst, "valid") == 0) {
		printf("status: valid\n");
	} else {
		printf("status: %s\n", rst);
		rc = cli_fail(1, "%s: certificate %s of registration %s is %s", name, certno, regno, rst);
	}
done:
	json_decref(rec);
	dipr_buf_free(&b);
	return rc;
}

/* A certificate: body signatures, its log entry's inclusion, and that the
 * entry commits to this body (dipr_cert_verify); with a server, also its
 * current status (cert_status). */
static int verify_certificate(const char *name, const uint8_t *in, size_t n, keyring *kr, const char *th,
			      const char *server)
{
	dipr_cert *c = calloc(1, sizeof *c);
	dipr_cert_verified v;
	dipr_hash_alg alg = 0;
	int rc = 0;
	if (!c)
		return cli_fail(2, "out of memory");
	if (th && dipr_hash_parse(th, strlen(th), &alg)) {
		rc = cli_fail(2, "--tree-hash: expected sha256 or sm3");
		goto done;
	}
	if (dipr_cert_parse(in, n, c)) {
		rc = cli_fail(1, "%s: malformed certificate: %s", name, dipr_errdetail());
		goto done;
	}
	if (dipr_cert_verify(c, kr->v, kr->n, NULL, (int)alg, &v)) {
		rc = cli_fail(1, "%s: %s", name, dipr_errdetail());
		goto done;
	}
	printf("certificate %s (registration %s): \"%s\", holder %s, valid %s to %s\n", c->body.certno, c->body.regno,
	       c->body.data_name, c->body.holder_name, c->body.registered, c->body.valid_until);
	printf("signed by every given key; logged as entry %llu of %s (checkpoint size %llu, %s tree)\n",
	       (unsigned long long)v.index, v.cp.origin, (unsigned long long)v.cp.size, dipr_hash_name(v.tree_alg));
	/* Online: the registry's record, its every event proven in the same
	 * log, says whether this certificate still stands. */
	if (server && (rc = cert_status(name, c, &v, kr, server)))
		goto done;
	printf("OK\n");
done:
	dipr_cert_free(c);
	free(c);
	return rc;
}

/* An extension proof: both receipts, then the record trees' consistency. */
static int verify_extension(const char *name, const uint8_t *in, size_t n, keyring *kr, const char *th)
{
	dipr_extension e;
	dipr_tlog_proof po = {0}, pn = {0};
	dipr_checkpoint co, cn;
	dipr_hash_alg ao, an;
	dipr_records_commitment ro, rn;
	int rc;
	if (dipr_extension_parse(in, n, &e))
		return cli_fail(1, "%s: malformed extension proof: %s", name, dipr_errdetail());
	if ((rc = verify_receipt(name, e.old_receipt, e.old_len, kr, th, &po, &co, &ao)) ||
	    (rc = verify_receipt(name, e.new_receipt, e.new_len, kr, th, &pn, &cn, &an)))
		goto done;
	if (dipr_records_from_entry(po.extra, po.extra_len, &ro) || dipr_records_from_entry(pn.extra, pn.extra_len, &rn)) {
		rc = cli_fail(1, "%s: %s", name, dipr_errdetail());
		goto done;
	}
	if (dipr_extension_check(&e, &ro, &rn)) {
		rc = cli_fail(1, "%s: %s", name, dipr_errdetail());
		goto done;
	}
	printf("extension: entry %llu (%llu records) is a prefix of entry %llu (%llu records), both in %s\nOK\n",
	       (unsigned long long)po.index, (unsigned long long)ro.count, (unsigned long long)pn.index,
	       (unsigned long long)rn.count, co.origin);
done:
	dipr_tlog_proof_free(&po);
	dipr_tlog_proof_free(&pn);
	dipr_extension_free(&e);
	return rc;
}

/* Witness policies (end of this file). */
typedef struct {
	dipr_cosig_verifier *v[CLI_MULTI_MAX];
	size_t n;
	unsigned quorum;
} wpolicy;
static int wpolicy_init(wpolicy *w, const char *const *args, int n, const char *quorum);
static void wpolicy_free(wpolicy *w);
static int wpolicy_check(const char *name, const uint8_t *note, size_t len, const wpolicy *w, bool print, char *msg,
			 size_t cap, uint64_t *newest);
static int audit_follow(int argc, char **argv);

int cmd_verify(int argc, char **argv)
{
	const char *file = NULL, *server = NULL, *th = NULL, *vk[CLI_MULTI_MAX], *pos[1], *wvk[CLI_MULTI_MAX],
		   *wquorum = NULL;
	int nvk = 0, npos, nwvk = 0;
	wpolicy wp = {0};
	keyring k = {0};
	dipr_buf b;
	dipr_tlog_proof p;
	dipr_sample smp = {0};
	dipr_checkpoint cp;
	dipr_hash_alg alg = DIPR_HASH_SHA256;
	char msg[1024];
	int rc = 0;
	cli_opt o[] = {{"--file", 1, &file}, {"--server", 1, &server}, {"--tree-hash", 1, &th},
		       {"--vkey", 1, NULL, vk, &nvk}, {"--witness-vkey", 1, NULL, wvk, &nwvk},
		       {"--witness-quorum", 1, &wquorum}, {0}};
	if (cli_parse(argc, argv, o, pos, &npos, 1))
		return 2;
	if (wpolicy_init(&wp, wvk, nwvk, wquorum))
		return 2;
	if (npos != 1)
		return cli_fail(2, "usage: dipr verify R.tlog-proof|X.sample.json|X.extension.json|CERT.json [--file F] [--vkey K]... [--server URL]");
	for (int i = 0; i < nvk; i++)
		if (keyring_add(&k, vk[i])) {
			keyring_free(&k);
			return 2;
		}
	bool tofu = false;
	if (k.n == 0) {
		if (!server)
			return cli_fail(2, "--vkey: give the log's vkeys (dipr keys, /log.json), or --server to fetch them");
		if (keys_from_server(&k, server))
			return 2;
		tofu = true;
	}
	dipr_buf_init(&b, DIPR_SAMPLE_MAX);
	memset(&p, 0, sizeof p);
	if (dipr_read_file(pos[0], DIPR_SAMPLE_MAX, &b)) {
		rc = cli_fail(2, "%s", dipr_errdetail());
		goto done;
	}
	const uint8_t *rbytes = b.p;
	size_t rlen = b.n;
	if (b.n && b.p[0] == '{') {
		json_error_t jerr;
		json_t *jv = json_loadb((const char *)b.p, b.n, 0, &jerr);
		const char *type = json_string_value(json_object_get(jv, "type"));
		bool ext = type && strcmp(type, "extension") == 0, cert = json_object_get(jv, "certificate") != NULL;
		json_decref(jv);
		if ((ext || cert) && wp.n) {
			rc = cli_fail(2, "--witness-vkey: checked on receipts and sample proofs only");
			goto done;
		}
		if (ext) {
			rc = verify_extension(pos[0], b.p, b.n, &k, th);
			goto done;
		}
		if (cert) {
			rc = verify_certificate(pos[0], b.p, b.n, &k, th, server);
			goto done;
		}
	}
	if (b.n && b.p[0] == '{') {
		/* a sample proof: its receipt first, then its records */
		if (dipr_sample_parse(b.p, b.n, &smp)) {
			rc = cli_fail(1, "%s: malformed sample proof: %s", pos[0], dipr_errdetail());
			goto done;
		}
		rbytes = smp.receipt;
		rlen = smp.receipt_len;
	} else if (b.n < 22 || memcmp(b.p, DIPR_TLOG_PROOF_HEADER, 22) != 0) {
		rc = cli_fail(1, "%s: not a receipt or sample proof: expected a c2sp.org/tlog-proof@v1 file or a *.sample.json ",
			      pos[0]);
		goto done;
	}
	if ((rc = verify_receipt(pos[0], rbytes, rlen, &k, th, &p, &cp, &alg)))
		goto done;
	printf("receipt: entry %llu of %s, in the signed checkpoint of size %llu (%s tree)%s\n",
	       (unsigned long long)p.index, cp.origin, (unsigned long long)cp.size, dipr_hash_name(alg),
	       tofu ? " [keys fetched from the server itself: pin them with --vkey]" : "");
	if (wp.n && wpolicy_check(pos[0], p.note, p.note_len, &wp, true, msg, sizeof msg, NULL)) {
		rc = cli_fail(1, "%s: %s", pos[0], msg);
		goto done;
	}
	if (smp.nrecs) {
		dipr_records_commitment rcm;
		if (dipr_records_from_entry(p.extra, p.extra_len, &rcm)) {
			rc = cli_fail(1, "%s: %s", pos[0], dipr_errdetail());
			goto done;
		}
		if (dipr_sample_check_records(&smp, &rcm)) {
			rc = cli_fail(1, "%s: %s (changed bytes, salt, index or proof)", pos[0], dipr_errdetail());
			goto done;
		}
		printf("sample: %zu record(s) verified in the attested %s record tree of %llu records\n", smp.nrecs,
		       rcm.format, (unsigned long long)rcm.count);
	}
	if (file) {
		int fr = check_file(file, p.extra, p.extra_len, msg, sizeof msg);
		if (fr) {
			rc = fr == 1 ? cli_fail(1, "%s: %s", pos[0], msg) : 2;
			goto done;
		}
		printf("file: %s matches the attested digests and size\n", file);
	}
	if (server) {
		uint64_t latest = 0;
		int sr = check_server(server, &cp, alg, &k, msg, sizeof msg, &latest);
		if (sr) {
			rc = sr == 1 ? cli_fail(1, "%s: %s", pos[0], msg) : 2;
			goto done;
		}
		printf("server: latest checkpoint (size %llu) is consistent with the receipt's\n", (unsigned long long)latest);
	}
	printf("OK\n");
done:
	dipr_tlog_proof_free(&p);
	dipr_sample_free(&smp);
	dipr_buf_free(&b);
	keyring_free(&k);
	wpolicy_free(&wp);
	return rc;
}

/* ---- audit ---- */

/* audit --server; audit --dir is store/verify.c (dipr_verify_dir). */
typedef struct {
	const char *server;
	dipr_hash_alg alg;
	char where[160];
	int bad;
} audit_src;

static int src_bundle(audit_src *s, uint64_t n, unsigned width, dipr_buf *out)
{
	char path[128];
	dipr_tile_id t = {DIPR_TILE_ENTRIES, n, width};
	dipr_tile_path_format(&t, path, sizeof path);
	dipr_buf b;
	if (fetch(s->server, path, &b, 256 * (DIPR_ENTRY_MAX + 2))) {
		dipr_buf_free(&b);
		return 2;
	}
	int rc = dipr_buf_add(out, b.p, b.n);
	dipr_buf_free(&b);
	return rc ? 2 : 0;
}

static int src_tile(audit_src *s, const dipr_tile_id *t, uint8_t *out, unsigned *width)
{
	char path[128];
	dipr_tile_path_format(t, path, sizeof path);
	dipr_buf b;
	if (fetch(s->server, path, &b, DIPR_TILE_WIDTH * DIPR_HASH_LEN)) {
		dipr_buf_free(&b);
		return 2;
	}
	if (b.n % DIPR_HASH_LEN || b.n == 0) {
		dipr_buf_free(&b);
		return cli_fail(1, "audit: %s: %zu bytes is not a whole number of hashes", path, b.n);
	}
	memcpy(out, b.p, b.n);
	*width = (unsigned)(b.n / DIPR_HASH_LEN);
	dipr_buf_free(&b);
	return 0;
}

static int compare_tile(audit_src *s, const dipr_tile_id *t, const uint8_t (*hashes)[DIPR_HASH_LEN])
{
	uint8_t *data = malloc(DIPR_TILE_WIDTH * DIPR_HASH_LEN);
	unsigned width = 0;
	int rc = data ? src_tile(s, t, data, &width) : 2;
	/* The server serves exactly the width asked for. */
	if (!rc && width < t->width)
		rc = cli_fail(1, "audit: tile %d/%llu holds %u hashes, the tree needs %u", t->level,
			      (unsigned long long)t->index, width, t->width);
	for (unsigned i = 0; !rc && i < t->width; i++)
		if (memcmp(data + (size_t)i * DIPR_HASH_LEN, hashes[i], DIPR_HASH_LEN) != 0)
			rc = cli_fail(1, "audit: tile %d/%llu hash %u differs from the one recomputed from the entries%s",
				      t->level, (unsigned long long)t->index, i,
				      t->level == 0 ? " (that entry or the tile was changed)" : "");
	free(data);
	return rc;
}

static int audit_emit(void *ctx, const dipr_tile_id *t, const uint8_t (*hashes)[DIPR_HASH_LEN])
{
	return compare_tile(ctx, t, hashes) ? DIPR_EVERIFY : 0;
}

int cmd_audit(int argc, char **argv)
{
	const char *dir = NULL, *server = NULL, *vk[CLI_MULTI_MAX], *pos[1];
	int nvk = 0, npos, rc = 0;
	keyring k = {0};
	audit_src src = {0};
	dipr_buf note;
	dipr_checkpoint cp;
	size_t tl;
	uint64_t tree_size = 0;
	dipr_tree_edge *edge = NULL;
	cli_opt o[] = {{"--dir", 1, &dir}, {"--server", 1, &server}, {"--vkey", 1, NULL, vk, &nvk}, {0}};
	for (int i = 0; i < argc; i++) /* the monitor has options of its own */
		if (strcmp(argv[i], "--follow") == 0 || strncmp(argv[i], "--follow=", 9) == 0)
			return audit_follow(argc, argv);
	if (cli_parse(argc, argv, o, pos, &npos, 0))
		return 2;
	if (!dir == !server)
		return cli_fail(2, "usage: dipr audit --dir D | --server URL [--vkey K]...");
	dipr_buf_init(&note, DIPR_NOTE_MAX);
	for (int i = 0; i < nvk; i++)
		if (keyring_add(&k, vk[i])) {
			rc = 2;
			goto done;
		}
	if (dir) {
		/* Every table, not only the tree (store/verify.c). */
		rc = cli_audit_dir(dir, k.v, k.n);
		goto done;
	} else {
		src.server = server;
		dipr_buf lj;
		if (fetch(server, "log.json", &lj, 65536)) {
			dipr_buf_free(&lj);
			rc = 2;
			goto done;
		}
		json_error_t err;
		json_t *v = json_loadb((const char *)lj.p, lj.n, 0, &err);
		const char *th = json_string_value(json_object_get(v, "tree_hash"));
		int bad = !th || dipr_hash_parse(th, strlen(th), &src.alg);
		json_decref(v);
		dipr_buf_free(&lj);
		if (bad) {
			rc = cli_fail(1, "audit: %s/log.json: tree_hash missing or invalid", server);
			goto done;
		}
		if (k.n == 0 && keys_from_server(&k, server)) {
			rc = 2;
			goto done;
		}
		dipr_buf_free(&note);
		if (fetch(server, "checkpoint", &note, DIPR_NOTE_MAX)) {
			rc = 2;
			goto done;
		}
	}
	if (dipr_note_verify(note.p, note.n, k.v, k.n, &tl) || dipr_checkpoint_parse(note.p, tl, &cp)) {
		rc = cli_fail(1, "audit: checkpoint: signature does not verify with the log's keys");
		goto done;
	}
	if (strcmp(cp.origin, dipr_verifier_name(k.v[0])) != 0) {
		rc = cli_fail(1, "audit: checkpoint origin %s differs from the key name %s", cp.origin, dipr_verifier_name(k.v[0]));
		goto done;
	}
	if (server)
		tree_size = cp.size;
	if (cp.size > tree_size) {
		rc = cli_fail(1, "audit: checkpoint size %llu exceeds the %llu stored entries", (unsigned long long)cp.size,
			      (unsigned long long)tree_size);
		goto done;
	}
	edge = malloc(sizeof *edge);
	if (!edge) {
		rc = 2;
		goto done;
	}
	dipr_tree_edge_init(edge, src.alg);
	uint8_t root_at_cp[DIPR_HASH_LEN];
	dipr_merkle_empty_root(src.alg, root_at_cp);
	bool progress = isatty(2) && tree_size > 1000000;
	for (uint64_t n = 0; n * 256 < tree_size; n++) {
		unsigned width = tree_size - n * 256 >= 256 ? 256 : (unsigned)(tree_size - n * 256);
		dipr_buf bundle;
		dipr_buf_init(&bundle, 256 * (DIPR_ENTRY_MAX + 2));
		if ((rc = src_bundle(&src, n, width, &bundle))) {
			dipr_buf_free(&bundle);
			goto done;
		}
		size_t off = 0;
		for (unsigned i = 0; i < width; i++) {
			uint64_t idx = n * 256 + i;
			if (off + 2 > bundle.n || off + 2 + dipr__get_u16be(bundle.p + off) > bundle.n) {
				dipr_buf_free(&bundle);
				rc = cli_fail(1, "audit: entry bundle %llu is truncated at entry %llu", (unsigned long long)n,
					      (unsigned long long)idx);
				goto done;
			}
			size_t len = dipr__get_u16be(bundle.p + off);
			const uint8_t *e = bundle.p + off + 2;
			off += 2 + len;
			/* Entries must be canonical JSON, or leaf hashes could not be
			 * recomputed by other verifiers from the parsed values. */
			json_t *jv = NULL;
			dipr_buf canon;
			dipr_buf_init(&canon, DIPR_ENTRY_MAX);
			int bad = dipr__json_parse(e, len, 16, "entry", &jv) || dipr__jcs_encode(jv, &canon) ||
				  canon.n != len || memcmp(canon.p, e, len) != 0;
			json_decref(jv);
			dipr_buf_free(&canon);
			if (bad) {
				dipr_buf_free(&bundle);
				rc = cli_fail(1, "audit: entry %llu is not canonical JSON", (unsigned long long)idx);
				goto done;
			}
			uint8_t leaf[DIPR_HASH_LEN];
			dipr_merkle_leaf_hash(src.alg, e, len, leaf);
			if (dipr_tree_edge_append(edge, leaf, audit_emit, &src)) {
				dipr_buf_free(&bundle);
				rc = 1;
				goto done;
			}
			if (edge->size == cp.size)
				dipr_tree_edge_root(edge, root_at_cp);
		}
		if (off != bundle.n) {
			dipr_buf_free(&bundle);
			rc = cli_fail(1, "audit: entry bundle %llu has trailing bytes", (unsigned long long)n);
			goto done;
		}
		dipr_buf_free(&bundle);
		if (progress && n % 1024 == 0)
			fprintf(stderr, "\raudit: %llu / %llu entries", (unsigned long long)edge->size, (unsigned long long)tree_size);
	}
	if (progress)
		fputc('\n', stderr);
	for (int lv = 0; lv < DIPR_TILE_MAX_LEVELS; lv++) {
		if (!edge->count[lv])
			continue;
		dipr_tile_id t = {lv, (edge->size >> (8 * lv)) / DIPR_TILE_WIDTH, edge->count[lv]};
		if ((rc = compare_tile(&src, &t, (const uint8_t(*)[DIPR_HASH_LEN])edge->hashes[lv])))
			goto done;
	}
	if (memcmp(root_at_cp, cp.root, DIPR_HASH_LEN) != 0) {
		rc = cli_fail(1, "audit: the root recomputed from the entries at size %llu differs from the signed checkpoint",
			      (unsigned long long)cp.size);
		goto done;
	}
	printf("audit: OK: %llu entries recomputed, every tile matches, checkpoint of size %llu verified (%zu signatures)\n",
	       (unsigned long long)tree_size, (unsigned long long)cp.size, k.n);
done:
	free(edge);
	dipr_buf_free(&note);
	keyring_free(&k);
	return rc;
}

/* ---- witness policies (C2SP tlog-cosignature) ---- */

static int wpolicy_one(void *ctx, const char *key, size_t n)
{
	wpolicy *w = ctx;
	if (w->n >= CLI_MULTI_MAX)
		return cli_fail(2, "--witness-vkey: too many keys");
	if (dipr_cosig_verifier_from_vkey(&w->v[w->n], key, n))
		return cli_fail(2, "--witness-vkey \"%.*s\": %s", (int)(n > 80 ? 80 : n), key, dipr_errdetail());
	w->n++;
	return 0;
}

/* --witness-vkey: a witness vkey (type 0x04) or a file of them, one a
 * line; --witness-quorum K (default: every witness given). */
static int wpolicy_init(wpolicy *w, const char *const *args, int n, const char *quorum)
{
	memset(w, 0, sizeof *w);
	for (int i = 0; i < n; i++) {
		int rc = cli_key_lines("--witness-vkey", args[i], wpolicy_one, w);
		if (rc) {
			wpolicy_free(w);
			return rc;
		}
	}
	uint64_t k = w->n;
	if (quorum && (!w->n || dipr_parse_u64(quorum, strlen(quorum), w->n, &k) || k == 0)) {
		size_t have = w->n;
		wpolicy_free(w);
		return have ? cli_fail(2, "--witness-quorum %s: expected 1..%zu (the number of witness keys)", quorum, have)
			    : cli_fail(2, "--witness-quorum: give the witnesses' keys with --witness-vkey");
	}
	w->quorum = (unsigned)k;
	return 0;
}

static void wpolicy_free(wpolicy *w)
{
	for (size_t i = 0; i < w->n; i++)
		dipr_cosig_verifier_free(w->v[i]);
	w->n = 0;
}

/* Which witnesses of the policy cosigned the checkpoint note (printed
 * with their timestamps when print).  0 when at least the quorum did and
 * no trusted line fails; 1 with msg otherwise.  *newest: the newest valid
 * cosignature's timestamp. */
static int wpolicy_check(const char *name, const uint8_t *note, size_t len, const wpolicy *w, bool print, char *msg,
			 size_t cap, uint64_t *newest)
{
	size_t good = 0;
	uint64_t top = 0;
	char missing[512] = "";
	for (size_t i = 0; i < w->n; i++) {
		uint64_t t = 0;
		int rc = dipr_cosig_verify(note, len, w->v[i], &t);
		const char *wn = dipr_cosig_verifier_name(w->v[i]);
		if (rc == 0) {
			good++;
			top = t > top ? t : top;
			if (print) {
				char when[32];
				time_t tt = (time_t)t;
				struct tm tm;
				strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
				printf("witness: %s+%08x cosigned it at %s\n", wn, (unsigned)dipr_cosig_verifier_keyid(w->v[i]),
				       when);
			}
		} else if (rc == DIPR_ENOTFOUND) {
			if (print)
				printf("witness: %s+%08x did not cosign it\n", wn, (unsigned)dipr_cosig_verifier_keyid(w->v[i]));
			size_t ml = strlen(missing);
			snprintf(missing + ml, sizeof missing - ml, "%s%s", ml ? ", " : "", wn);
		} else {
			/* A line of a trusted witness that does not verify is
			 * tampering, whatever the others say. */
			snprintf(msg, cap, "checkpoint: %s", dipr_errdetail());
			return 1;
		}
	}
	if (newest)
		*newest = top;
	if (good < w->quorum) {
		snprintf(msg, cap, "witness policy not met: %zu of %zu trusted witnesses cosigned the checkpoint, %u required "
			 "(missing: %s)", good, w->n, w->quorum, missing);
		return 1;
	}
	if (print)
		printf("witnesses: %zu of %zu cosigned (quorum %u)\n", good, w->n, w->quorum);
	(void)name;
	return 0;
}

/* ---- audit --follow: a monitor ---- */

/* Hash reader over a server's tiles, for the tree of `size` leaves: each
 * tile is fetched at the width that tree has (tlog-tiles), at most once
 * per call. */
typedef struct {
	const char *server;
	dipr_hash_alg alg;
	uint64_t size;
} tile_reader;

static int tiles_read(void *ctx, const dipr_node_id *ids, size_t n, uint8_t (*out)[DIPR_HASH_LEN])
{
	tile_reader *tr = ctx;
	enum { MEMO = 8 };
	struct {
		dipr_tile_id id;
		uint8_t data[DIPR_TILE_WIDTH * DIPR_HASH_LEN];
	} *memo = malloc(MEMO * sizeof *memo);
	size_t nmemo = 0;
	int rc = memo ? 0 : DIPR_ENOMEM;
	for (size_t i = 0; i < n && !rc; i++) {
		dipr_tile_id t;
		unsigned off, count;
		size_t m;
		dipr_tile_locate(ids[i], &t, &off, &count);
		t.width = dipr_tile_width(t.level, t.index, tr->size);
		if (t.width < off + count) {
			rc = dipr__err(DIPR_EINVAL, "node %u/%llu is not in the tree of size %llu", ids[i].level,
				       (unsigned long long)ids[i].index, (unsigned long long)tr->size);
			break;
		}
		for (m = 0; m < nmemo; m++)
			if (memo[m].id.level == t.level && memo[m].id.index == t.index)
				break;
		if (m == nmemo) {
			char path[DIPR_TILE_PATH_MAX], url[2200];
			dipr_buf b;
			long code = 0;
			m = nmemo < MEMO ? nmemo++ : MEMO - 1;
			memo[m].id = t;
			dipr_tile_path_format(&t, path, sizeof path);
			dipr_buf_init(&b, DIPR_TILE_WIDTH * DIPR_HASH_LEN);
			if (cli_url(url, sizeof url, tr->server, path) || cli_http("GET", url, NULL, NULL, 0, NULL, &code, &b))
				rc = dipr__err(DIPR_EIO, "%s: %s", url, dipr_errdetail());
			else if (code != 200 || b.n != (size_t)t.width * DIPR_HASH_LEN)
				rc = dipr__err(DIPR_EVERIFY, "%s: HTTP %ld, %zu bytes (expected %u hashes)", url, code, b.n,
					       t.width);
			else
				memcpy(memo[m].data, b.p, b.n);
			dipr_buf_free(&b);
			if (rc)
				break;
		}
		rc = dipr_tile_node_hash(tr->alg, ids[i], memo[m].data, memo[m].id.width, out[i]);
	}
	free(memo);
	return rc;
}

/* Seconds with an optional fraction ("0.5", "30"), into milliseconds. */
static int parse_secs(const char *opt, const char *s, uint64_t max_s, uint64_t *ms)
{
	const char *dot = strchr(s, '.');
	uint64_t whole = 0, frac = 0;
	size_t wl = dot ? (size_t)(dot - s) : strlen(s);
	size_t fl = dot ? strlen(dot + 1) : 0;
	if (dipr_parse_u64(s, wl, max_s, &whole) || (dot && (fl == 0 || fl > 3)) ||
	    (dot && strspn(dot + 1, "0123456789") != fl))
		return cli_fail(2, "%s \"%s\": expected seconds, e.g. 5 or 0.5 (at most %llu)", opt, s,
				(unsigned long long)max_s);
	for (size_t i = 0; i < 3; i++)
		frac = frac * 10 + (i < fl ? (uint64_t)(dot[1 + i] - '0') : 0);
	*ms = whole * 1000 + frac;
	return 0;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One "ALARM <kind>: ..." line on stderr; the monitor then exits 1 (see
 * docs/WITNESS.md: whatever supervises it pages someone). */
static int alarm_line(const char *kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int alarm_line(const char *kind, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "ALARM %s: ", kind);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int audit_follow(int argc, char **argv)
{
	const char *url = NULL, *interval = "5", *stale = NULL, *checks = NULL, *vk[CLI_MULTI_MAX],
		   *wvk[CLI_MULTI_MAX], *wquorum = NULL, *pos[1];
	int nvk = 0, nwvk = 0, npos, rc = 0;
	cli_opt o[] = {{"--follow", 1, &url},		   {"--vkey", 1, NULL, vk, &nvk},
		       {"--interval", 1, &interval},	   {"--stale-after", 1, &stale},
		       {"--checks", 1, &checks},	   {"--witness-vkey", 1, NULL, wvk, &nwvk},
		       {"--witness-quorum", 1, &wquorum}, {0}};
	keyring k = {0};
	wpolicy wp = {0};
	uint64_t every_ms, stale_ms = 0, max_checks = 0;
	dipr_hash_alg alg;
	cli_cmd = "dipr audit --follow";
	if (cli_parse(argc, argv, o, pos, &npos, 0))
		return 2;
	if (!url)
		return cli_fail(2, "usage: dipr audit --follow URL [--vkey K]... [--interval S] [--stale-after S] "
				   "[--checks N] [--witness-vkey W]... [--witness-quorum K]");
	if (parse_secs("--interval", interval, 86400, &every_ms) || every_ms == 0 ||
	    (stale && parse_secs("--stale-after", stale, 30 * 86400, &stale_ms)))
		return every_ms ? 2 : cli_fail(2, "--interval: must be above 0");
	if (checks && dipr_parse_u64(checks, strlen(checks), UINT32_MAX, &max_checks))
		return cli_fail(2, "--checks: expected a number of polls (0: forever)");
	if (wpolicy_init(&wp, wvk, nwvk, wquorum))
		return 2;
	for (int i = 0; i < nvk && !rc; i++)
		rc = keyring_add(&k, vk[i]);
	/* The tree hash from /log.json: it is not in the checkpoint. */
	dipr_buf lj;
	dipr_buf_init(&lj, 65536);
	if (!rc && fetch(url, "log.json", &lj, 65536))
		rc = 2;
	if (!rc) {
		json_error_t err;
		json_t *v = json_loadb((const char *)lj.p, lj.n, 0, &err);
		const char *th = json_string_value(json_object_get(v, "tree_hash"));
		if (!th || dipr_hash_parse(th, strlen(th), &alg))
			rc = cli_fail(2, "%s/log.json: tree_hash missing or invalid", url);
		json_decref(v);
	}
	dipr_buf_free(&lj);
	if (!rc && k.n == 0) {
		if ((rc = keys_from_server(&k, url)) == 0)
			fprintf(stderr, "dipr audit --follow: keys fetched from %s/log.json itself: pin them with --vkey\n", url);
	}
	if (rc)
		goto done;
	const char *origin = dipr_verifier_name(k.v[0]);
	dipr_checkpoint prev = {0};
	bool have_prev = false;
	int64_t last_new = wall_ms();
	printf("following %s (log %s, %s tree)%s\n", url, origin, dipr_hash_name(alg),
	       wp.n ? ", witness policy on" : "");
	fflush(stdout);
	for (uint64_t n = 0; !max_checks || n < max_checks; n++) {
		if (n)
			usleep((useconds_t)(every_ms * 1000));
		dipr_buf note;
		char msg[1024];
		size_t tl;
		dipr_checkpoint cp;
		uint64_t newest = 0;
		int64_t now = wall_ms();
		if (fetch(url, "checkpoint", &note, DIPR_NOTE_MAX)) {
			/* fetch printed why; an unreachable log turns stale */
			dipr_buf_free(&note);
			if (stale_ms && now - last_new > (int64_t)stale_ms) {
				rc = alarm_line("stale", "%s: no checkpoint for %.1f s (limit %s s): the log is unreachable", url,
						(double)(now - last_new) / 1000.0, stale);
				break;
			}
			continue;
		}
		if (dipr_note_verify(note.p, note.n, k.v, k.n, &tl) || dipr_checkpoint_parse(note.p, tl, &cp) ||
		    strcmp(cp.origin, origin) != 0) {
			rc = alarm_line("signature", "%s/checkpoint: not a checkpoint of %s signed by every given key (%s)", url,
					origin, dipr_errdetail());
			dipr_buf_free(&note);
			break;
		}
		if (wp.n && wpolicy_check(url, note.p, note.n, &wp, false, msg, sizeof msg, &newest)) {
			rc = alarm_line("witness", "%s/checkpoint of size %llu: %s", url, (unsigned long long)cp.size, msg);
			dipr_buf_free(&note);
			break;
		}
		dipr_buf_free(&note);
		bool is_new = !have_prev || cp.size != prev.size || memcmp(cp.root, prev.root, DIPR_HASH_LEN) != 0;
		if (have_prev && cp.size < prev.size) {
			rc = alarm_line("rollback", "%s: checkpoint of size %llu after one of size %llu: the log went back", url,
					(unsigned long long)cp.size, (unsigned long long)prev.size);
			break;
		}
		if (have_prev && cp.size == prev.size && is_new) {
			rc = alarm_line("fork", "%s: two different checkpoints of size %llu signed by the log: a fork", url,
					(unsigned long long)cp.size);
			break;
		}
		if (have_prev && cp.size > prev.size && prev.size > 0) {
			/* The proof is computed here from the log's tiles, not asked
			 * for: it connects the two signed roots or nothing does. */
			uint8_t proof[DIPR_MERKLE_MAX_PROOF][DIPR_HASH_LEN];
			size_t plen = 0;
			tile_reader tr = {url, alg, cp.size};
			dipr_hash_reader r = {tiles_read, &tr};
			int pr = dipr_merkle_prove_consistency(alg, prev.size, cp.size, &r, proof, &plen);
			if (pr == DIPR_EIO) {
				fprintf(stderr, "dipr audit --follow: %s (will retry)\n", dipr_errdetail());
				continue;
			}
			if (pr || dipr_merkle_verify_consistency(alg, prev.size, cp.size, prev.root, cp.root,
								 (const uint8_t(*)[DIPR_HASH_LEN])proof, plen)) {
				rc = alarm_line("fork", "%s: the checkpoint of size %llu is not consistent with the one of size "
						"%llu seen before (consistency proof from the log's tiles: %s)", url,
						(unsigned long long)cp.size, (unsigned long long)prev.size,
						pr ? dipr_errdetail() : "does not verify");
				break;
			}
		}
		if (is_new) {
			char root[48];
			dipr_buf rb;
			dipr_buf_init(&rb, sizeof root);
			dipr_b64_encode(cp.root, DIPR_HASH_LEN, &rb);
			snprintf(root, sizeof root, "%s", rb.p ? (const char *)rb.p : "");
			dipr_buf_free(&rb);
			printf("checkpoint %llu %s: %s\n", (unsigned long long)cp.size, root,
			       !have_prev ? "first seen" : prev.size == 0 ? "grew from the empty tree" : "consistent with the last");
			fflush(stdout);
			prev = cp;
			have_prev = true;
			last_new = now;
		}
		/* Stale: nothing new for the limit, or (with witnesses) the
		 * newest cosignature is older than it: a log frozen for us. */
		if (stale_ms && now - last_new > (int64_t)stale_ms) {
			rc = alarm_line("stale", "%s: no new checkpoint for %.1f s (limit %s s); still size %llu", url,
					(double)(now - last_new) / 1000.0, stale, (unsigned long long)cp.size);
			break;
		}
		if (stale_ms && wp.n && (int64_t)newest * 1000 + (int64_t)stale_ms < now) {
			rc = alarm_line("stale", "%s: the newest witness cosignature of checkpoint %llu is %.0f s old (limit %s s)",
					url, (unsigned long long)cp.size, (double)(now - (int64_t)newest * 1000) / 1000.0, stale);
			break;
		}
	}
done:
	keyring_free(&k);
	wpolicy_free(&wp);
	return rc;
}
