#!/usr/bin/env node
// tlogverify.mjs: an independent verifier for C2SP transparency logs, written
// from the specifications alone (C2SP signed-note, tlog-checkpoint, tlog-proof,
// tlog-tiles; RFC 6962 / RFC 9162 Merkle trees). It shares no code or logic
// with dipr and uses only Node.js built-in modules (Node 20+, no npm).
//
//   node tlogverify.mjs receipt FILE.tlog-proof VKEY
//   node tlogverify.mjs tiles URL VKEY
//   node tlogverify.mjs make-log DIR ORIGIN N
//   node tlogverify.mjs witnessed FILE.tlog-proof VKEY WITNESS_VKEYS K
//
// make-log goes the other way: it is an independent *producer*, so that dipr's
// own verifier can be tried on material dipr did not make. It writes, for a
// fresh Ed25519 key and a log of N entries ("entry 0", "entry 1", ...):
// DIR/vkey; DIR/<i>.tlog-proof, a receipt for every entry at size N;
// DIR/inclusion, lines "index size leafhash root proof..." for every index of
// every size 1..N; DIR/consistency, lines "size1 size2 root1 root2 proof..."
// for every 1 <= size1 <= size2 <= N (base64 hashes, RFC 6962 proofs).
//
// VKEY is a signed-note verifier key "<name>+<hex key ID>+<base64(type||key)>"
// or a file holding such keys, one a line. Only Ed25519 keys (type 0x01) are
// trusted; keys of any other type in a file are skipped, and signature lines of
// keys we do not hold (the log's SM2 line, say) are ignored as the signed-note
// spec requires. Trees are SHA-256, as tlog-tiles specifies.
//
// Exit status: 0 verified, 1 verification failed (one line on stderr says
// why), 2 usage error.

import { createHash, createPublicKey, generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { readFileSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

class Fail extends Error {}
class Usage extends Error {}
const fail = (msg) => { throw new Fail(msg); };

const sha256 = (...parts) => {
	const h = createHash('sha256');
	for (const p of parts) h.update(p);
	return h.digest();
};

// ---- RFC 4648 section 4 base64, strict: canonical padding, no whitespace ----
function b64decode(s, what) {
	if (typeof s !== 'string' || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s))
		fail(`${what}: not standard base64`);
	const b = Buffer.from(s, 'base64');
	if (b.toString('base64') !== s) fail(`${what}: non-canonical base64`);
	return b;
}

// A decimal with no leading zeroes (except "0"), as tlog-checkpoint and
// tlog-proof require; returned as a BigInt so that any uint64 fits.
function parseDecimal(s, what) {
	if (!/^(?:0|[1-9][0-9]*)$/.test(s)) fail(`${what}: "${s}" is not a decimal without leading zeroes`);
	const v = BigInt(s);
	if (v >= 1n << 64n) fail(`${what}: ${s} does not fit in 64 bits`);
	return v;
}

// ---- signed-note verifier keys ----
// vkey = name "+" hex(key ID) "+" base64(type byte || public key)
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function parseVkey(s) {
	const i = s.indexOf('+');
	const j = i < 0 ? -1 : s.indexOf('+', i + 1);
	if (i <= 0 || j < 0) fail(`vkey "${s}": expected name+keyid+key`);
	const name = s.slice(0, i), idHex = s.slice(i + 1, j);
	if (/\s/u.test(name)) fail(`vkey "${s}": key name contains a space`);
	if (!/^[0-9a-f]{8}$/.test(idHex)) fail(`vkey "${s}": key ID is not 8 lowercase hex digits`);
	const key = b64decode(s.slice(j + 1), `vkey ${name}`);
	if (key.length < 1) fail(`vkey "${s}": empty key`);
	// key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]
	const id = sha256(Buffer.from(name, 'utf8'), Buffer.from([0x0a]), key).subarray(0, 4);
	if (id.toString('hex') !== idHex) fail(`vkey ${name}: key ID ${idHex} does not match the key (want ${id.toString('hex')})`);
	const vk = { name, id, type: key[0], raw: key.subarray(1), text: s };
	if (vk.type === 0x01) {
		if (vk.raw.length !== 32) fail(`vkey ${name}: Ed25519 key is ${vk.raw.length} bytes, want 32`);
		vk.pub = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, vk.raw]), format: 'der', type: 'spki' });
	}
	return vk;
}

// The VKEY argument: a vkey, or a file with vkeys one a line. Returns the
// Ed25519 keys; others are not ours to check.
export function loadKeys(arg) {
	let lines = [arg];
	if (!/^[^+\s]+\+[0-9a-f]{8}\+/.test(arg) && existsSync(arg))
		lines = readFileSync(arg, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '');
	const keys = lines.map(parseVkey).filter((k) => k.type === 0x01);
	if (keys.length === 0) fail(`no Ed25519 vkey (type 0x01) in ${JSON.stringify(arg)}`);
	return keys;
}

// ---- signed notes ----
// note = text (ending in "\n") "\n" signature lines ("— name base64\n")+
// The text is separated from the signatures by the last empty line.
function openNote(bytes, keys) {
	let s;
	try {
		s = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
	} catch {
		fail('note: not valid UTF-8');
	}
	if (/[\u0000-\u0009\u000b-\u001f]/.test(s)) fail('note: contains a control character other than newline');
	const sep = s.lastIndexOf('\n\n');
	if (sep < 0) fail('note: no blank line before the signatures');
	const text = s.slice(0, sep + 1);
	const sigBlock = s.slice(sep + 2);
	if (sigBlock === '' || !sigBlock.endsWith('\n')) fail('note: signature block missing or not newline-terminated');
	const textBytes = Buffer.from(text, 'utf8');
	const verified = [];
	for (const line of sigBlock.slice(0, -1).split('\n')) {
		const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
		if (!m) fail(`note: malformed signature line "${line}"`);
		const [, name, b64] = m;
		const sig = b64decode(b64, `signature of ${name}`);
		if (sig.length < 5) fail(`signature of ${name}: not a key ID and a signature`);
		for (const k of keys) {
			// Known key = same name AND same key ID; anything else is ignored.
			if (k.name !== name || !sig.subarray(0, 4).equals(k.id)) continue;
			const raw = sig.subarray(4);
			if (raw.length !== 64 || !cryptoVerify(null, textBytes, k.pub, raw))
				fail(`signature by ${name}+${k.id.toString('hex')} does not verify`);
			verified.push(k);
		}
	}
	if (verified.length === 0) fail(`note: no signature from a trusted key (${keys.map((k) => `${k.name}+${k.id.toString('hex')}`).join(', ')})`);
	return { text, verified };
}

// ---- checkpoints ----
function parseCheckpoint(text, verified) {
	const lines = text.slice(0, -1).split('\n');
	if (lines.length < 3) fail(`checkpoint: ${lines.length} lines, want at least 3`);
	if (lines.some((l) => l === '')) fail('checkpoint: empty line in the note text');
	const [origin, sizeStr, rootB64] = lines;
	const size = parseDecimal(sizeStr, 'checkpoint tree size');
	const root = b64decode(rootB64, 'checkpoint root hash');
	if (root.length !== 32) fail(`checkpoint root hash: ${root.length} bytes, want 32`);
	// The log's key is named by its origin; a signature by some other trusted
	// key on a checkpoint of a different origin proves nothing here.
	if (!verified.some((k) => k.name === origin))
		fail(`checkpoint origin "${origin}" is not the name of the key that signed it (${verified.map((k) => k.name).join(', ')})`);
	return { origin, size, root, extensions: lines.slice(3) };
}

// ---- RFC 6962 / 9162 Merkle trees ----
const leafHash = (entry) => sha256(Buffer.from([0x00]), entry);
const nodeHash = (l, r) => sha256(Buffer.from([0x01]), l, r);

// RFC 9162 section 2.1.3.2, step by step.
function verifyInclusion(index, size, leaf, proof, root) {
	if (index >= size) fail(`inclusion: index ${index} is not below tree size ${size}`);
	let fn = index, sn = size - 1n, r = leaf;
	for (const p of proof) {
		if (sn === 0n) fail('inclusion: proof is longer than the path to the root');
		if ((fn & 1n) === 1n || fn === sn) {
			r = nodeHash(p, r);
			if ((fn & 1n) === 0n) {
				while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
			}
		} else {
			r = nodeHash(r, p);
		}
		fn >>= 1n; sn >>= 1n;
	}
	if (sn !== 0n) fail('inclusion: proof is shorter than the path to the root');
	if (!r.equals(root)) fail('inclusion: proof does not lead to the checkpoint root');
}

// RFC 6962 section 2.1: MTH(D[n]) over leaf hashes, k the largest power of two
// smaller than n.
function mth(hashes, lo = 0, hi = hashes.length) {
	const n = hi - lo;
	if (n === 0) return sha256(Buffer.alloc(0));
	if (n === 1) return hashes[lo];
	let k = 1;
	while (k * 2 < n) k *= 2;
	return nodeHash(mth(hashes, lo, lo + k), mth(hashes, lo + k, hi));
}

// RFC 6962 section 2.1.1: PATH(m, D[lo:hi]), the audit path of leaf m.
function auditPath(hashes, m, lo, hi) {
	const n = hi - lo;
	if (n <= 1) return [];
	let k = 1;
	while (k * 2 < n) k *= 2;
	return m < k
		? [...auditPath(hashes, m, lo, lo + k), mth(hashes, lo + k, hi)]
		: [...auditPath(hashes, m - k, lo + k, hi), mth(hashes, lo, lo + k)];
}

// RFC 6962 section 2.1.2: SUBPROOF(m, D[lo:hi], b).
function subProof(hashes, m, lo, hi, b) {
	const n = hi - lo;
	if (m === n) return b ? [] : [mth(hashes, lo, hi)];
	let k = 1;
	while (k * 2 < n) k *= 2;
	return m <= k
		? [...subProof(hashes, m, lo, lo + k, b), mth(hashes, lo + k, hi)]
		: [...subProof(hashes, m - k, lo + k, hi, false), mth(hashes, lo, lo + k)];
}

// ---- an independent producer (make-log) ----
function makeLog(dir, origin, n) {
	if (!/^[^\s+]+$/u.test(origin)) throw new Usage(`make-log: origin "${origin}" must be non-empty without spaces or '+'`);
	if (!(n >= 1 && n <= 4096)) throw new Usage('make-log: N must be 1..4096');
	mkdirSync(dir, { recursive: true });
	const { publicKey, privateKey } = generateKeyPairSync('ed25519');
	const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(ED25519_SPKI_PREFIX.length);
	const key = Buffer.concat([Buffer.from([0x01]), raw]);
	const id = sha256(Buffer.from(origin, 'utf8'), Buffer.from([0x0a]), key).subarray(0, 4);
	const vkey = `${origin}+${id.toString('hex')}+${key.toString('base64')}`;
	parseVkey(vkey); // round trip through our own parser
	writeFileSync(`${dir}/vkey`, vkey + '\n');
	const entries = Array.from({ length: n }, (_, i) => Buffer.from(`entry ${i}`));
	const leaves = entries.map(leafHash);
	const b64 = (h) => h.toString('base64');
	const root = mth(leaves);
	const text = `${origin}\n${n}\n${b64(root)}\n`;
	const sig = Buffer.concat([id, cryptoSign(null, Buffer.from(text, 'utf8'), privateKey)]);
	const note = `${text}\n\u2014 ${origin} ${b64(sig)}\n`;
	for (let i = 0; i < n; i++) {
		const proof = auditPath(leaves, i, 0, n).map((h) => b64(h) + '\n').join('');
		writeFileSync(`${dir}/${i}.tlog-proof`, `c2sp.org/tlog-proof@v1\nextra ${b64(entries[i])}\nindex ${i}\n${proof}\n${note}`);
	}
	const inc = [], con = [];
	for (let size = 1; size <= n; size++) {
		const r = b64(mth(leaves, 0, size));
		for (let i = 0; i < size; i++)
			inc.push([i, size, b64(leaves[i]), r, ...auditPath(leaves, i, 0, size).map(b64)].join(' '));
		for (let m = 1; m <= size; m++)
			con.push([m, size, b64(mth(leaves, 0, m)), r, ...subProof(leaves, m, 0, size, true).map(b64)].join(' '));
	}
	writeFileSync(`${dir}/inclusion`, inc.join('\n') + '\n');
	writeFileSync(`${dir}/consistency`, con.join('\n') + '\n');
	// and our own verifier must accept what we made
	for (let i = 0; i < n; i++) verifyReceipt(readFileSync(`${dir}/${i}.tlog-proof`), [parseVkey(vkey)]);
	return { vkey, root: b64(root) };
}

// ---- C2SP tlog-cosignature (cosignature/v1, Ed25519, key type 0x04) ----
// A witness's vkey has type 0x04 and a 32-byte Ed25519 key; its key ID is
// computed like any vkey's (SHA-256 of name, newline, type and key), which
// parseVkey already checks. A cosignature line is a note signature line whose
// bytes are key ID (4) || big-endian u64 timestamp (8) || Ed25519 signature
// (64) over "cosignature/v1\ntime <timestamp>\n" followed by the note text.
export function loadWitnessKeys(arg) {
	let lines = [arg];
	if (!/^[^+\s]+\+[0-9a-f]{8}\+/.test(arg) && existsSync(arg))
		lines = readFileSync(arg, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '');
	const keys = lines.map(parseVkey);
	for (const k of keys) {
		if (k.type !== 0x04) fail(`witness vkey ${k.name}: type 0x${k.type.toString(16)}, want 0x04 (cosignature/v1)`);
		if (k.raw.length !== 32) fail(`witness vkey ${k.name}: Ed25519 key is ${k.raw.length} bytes, want 32`);
		k.pub = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, k.raw]), format: 'der', type: 'spki' });
	}
	if (keys.length === 0) fail(`no witness vkey in ${JSON.stringify(arg)}`);
	return keys;
}

// Returns [{name, time}] of the witnesses whose cosignature verifies; a line
// of a trusted witness that does not verify fails the whole note.
export function cosignatures(noteBytes, wkeys) {
	const s = new TextDecoder('utf-8', { fatal: true }).decode(noteBytes);
	const sep = s.lastIndexOf('\n\n');
	if (sep < 0) fail('note: no blank line before the signatures');
	const text = Buffer.from(s.slice(0, sep + 1), 'utf8');
	const found = new Map();
	for (const line of s.slice(sep + 2).replace(/\n$/, '').split('\n')) {
		const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
		if (!m) fail(`note: malformed signature line "${line}"`);
		const sig = b64decode(m[2], `signature of ${m[1]}`);
		for (const k of wkeys) {
			if (k.name !== m[1] || sig.length < 4 || !sig.subarray(0, 4).equals(k.id)) continue;
			if (sig.length !== 4 + 8 + 64) fail(`cosignature of ${k.name}: ${sig.length} bytes, want 76`);
			const time = sig.readBigUInt64BE(4);
			if (time >= 1n << 63n) fail(`cosignature of ${k.name}: timestamp above 2^63-1`);
			const msg = Buffer.concat([Buffer.from(`cosignature/v1\ntime ${time}\n`, 'utf8'), text]);
			if (!cryptoVerify(null, msg, k.pub, sig.subarray(12)))
				fail(`cosignature of ${k.name}+${k.id.toString('hex')} does not verify`);
			found.set(k.text, { name: k.name, time });
		}
	}
	return [...found.values()];
}

// ---- tlog-proof ----
export { Fail };
export function verifyReceipt(bytes, keys, file = 'receipt') {
	const s = bytes.toString('latin1'); // header lines are ASCII; the note is checked as UTF-8 below
	const lines = s.split('\n');
	let i = 0;
	if (lines[i++] !== 'c2sp.org/tlog-proof@v1') fail(`${file}: first line is not c2sp.org/tlog-proof@v1`);
	let extra = null;
	if (lines[i] !== undefined && lines[i].startsWith('extra ')) extra = b64decode(lines[i++].slice(6), `${file}: extra`);
	if (lines[i] === undefined || !lines[i].startsWith('index ')) fail(`${file}: no "index" line`);
	const index = parseDecimal(lines[i++].slice(6), `${file}: index`);
	const proof = [];
	while (lines[i] !== undefined && lines[i] !== '') {
		const h = b64decode(lines[i], `${file}: proof hash ${proof.length}`);
		if (h.length !== 32) fail(`${file}: proof hash ${proof.length} is ${h.length} bytes, want 32`);
		proof.push(h);
		i++;
	}
	if (lines[i] !== '') fail(`${file}: no empty line before the checkpoint`);
	i++;
	// The checkpoint follows verbatim; measure it in bytes, not characters.
	const headerLen = Buffer.byteLength(lines.slice(0, i).join('\n') + '\n', 'latin1');
	const note = bytes.subarray(headerLen);
	const { text, verified } = openNote(note, keys);
	const cp = parseCheckpoint(text, verified);
	if (extra === null) fail(`${file}: no "extra" line; the entry is needed to compute the leaf hash`);
	verifyInclusion(index, cp.size, leafHash(extra), proof, cp.root);
	return { index, cp };
}

// ---- tlog-tiles client ----
// Tile index N as zero-padded 3-digit path elements, all but the last
// prefixed with "x": 1234067 -> x001/x234/067.
function tileIndexPath(n) {
	let digits = String(n);
	while (digits.length % 3 !== 0) digits = '0' + digits;
	const parts = digits.match(/.../g);
	return parts.map((p, k) => (k < parts.length - 1 ? 'x' + p : p)).join('/');
}
const tilePath = (level, n, width) => `tile/${level}/${tileIndexPath(n)}${width === 256 ? '' : `.p/${width}`}`;

async function get(base, path, wantType) {
	const url = `${base}/${path}`;
	let resp;
	try {
		resp = await fetch(url, { headers: { 'Accept-Encoding': 'gzip, identity' } });
	} catch (e) {
		fail(`GET ${url}: ${e.cause?.message ?? e.message}`);
	}
	if (resp.status !== 200) fail(`GET ${url}: HTTP ${resp.status}`);
	const ct = resp.headers.get('content-type') ?? '';
	if (!ct.toLowerCase().startsWith(wantType)) fail(`GET ${url}: Content-Type "${ct}", want ${wantType}`);
	return Buffer.from(await resp.arrayBuffer());
}

function parseBundle(buf, want, where) {
	const entries = [];
	let off = 0;
	while (off < buf.length) {
		if (off + 2 > buf.length) fail(`${where}: truncated length prefix at byte ${off}`);
		const len = buf.readUInt16BE(off);
		off += 2;
		if (off + len > buf.length) fail(`${where}: entry ${entries.length} runs past the end of the bundle`);
		entries.push(buf.subarray(off, off + len));
		off += len;
	}
	if (entries.length !== want) fail(`${where}: ${entries.length} entries, want ${want}`);
	return entries;
}

export async function verifyTiles(base, keys) {
	base = base.replace(/\/+$/, '');
	const { text, verified } = openNote(await get(base, 'checkpoint', 'text/plain'), keys);
	const cp = parseCheckpoint(text, verified);
	if (cp.size > BigInt(Number.MAX_SAFE_INTEGER)) fail(`tree size ${cp.size} is too large to download`);
	const size = Number(cp.size);

	// Level 0 and the entries: floor(size/256) full tiles, then a partial one.
	const tiles = [];
	for (let n = 0; n * 256 < size; n++) tiles.push({ n, width: Math.min(256, size - n * 256) });
	const leaves = [];
	let entryCount = 0;
	await Promise.all(tiles.map(async ({ n, width }) => {
		const path = tilePath(0, n, width);
		const [bundle, tile] = await Promise.all([
			get(base, path.replace(/^tile\/0\//, 'tile/entries/'), 'application/octet-stream'),
			get(base, path, 'application/octet-stream'),
		]);
		const entries = parseBundle(bundle, width, `entry bundle ${n}`);
		if (tile.length !== width * 32) fail(`tile 0/${n}: ${tile.length} bytes, want ${width * 32}`);
		entries.forEach((e, k) => {
			const h = leafHash(e);
			if (!h.equals(tile.subarray(k * 32, (k + 1) * 32)))
				fail(`tile 0/${n}: hash ${k} (entry ${n * 256 + k}) differs from the hash of the entry in the bundle`);
			leaves[n * 256 + k] = h;
		});
		entryCount += entries.length;
	}));
	if (entryCount !== size) fail(`fetched ${entryCount} entries, checkpoint says ${size}`);

	// The root of the whole tree, from the leaves.
	const root = mth(leaves);
	if (!root.equals(cp.root)) fail(`root recomputed from ${size} entries is ${root.toString('base64')}, checkpoint says ${cp.root.toString('base64')}`);

	// Levels 1 and up: hash i of level l is MTH(D[i*256^l : (i+1)*256^l]).
	let higher = 0;
	for (let level = 1, span = 256; span <= size; level++, span *= 256) {
		const count = Math.floor(size / span); // hashes at this level
		for (let n = 0; n * 256 < count; n++) {
			const width = Math.min(256, count - n * 256);
			const path = tilePath(level, n, width);
			const tile = await get(base, path, 'application/octet-stream');
			if (tile.length !== width * 32) fail(`${path}: ${tile.length} bytes, want ${width * 32}`);
			for (let k = 0; k < width; k++) {
				const i = n * 256 + k;
				const want = mth(leaves, i * span, (i + 1) * span);
				if (!want.equals(tile.subarray(k * 32, (k + 1) * 32)))
					fail(`${path}: hash ${k} differs from the subtree hash of entries ${i * span}..${(i + 1) * span - 1}`);
			}
			higher++;
		}
	}
	return { cp, root, tiles: tiles.length, higher };
}

// ---- main ----
async function main(argv) {
	const [cmd, a, b] = argv;
	if (cmd === 'make-log' && argv.length === 4) {
		const { vkey, root } = makeLog(a, b, Number(argv[3]));
		console.log(`ok: wrote a log of ${argv[3]} entries, root ${root}, vkey ${vkey}`);
		return;
	}
	if (cmd === 'witnessed' && argv.length === 5) {
		// A receipt whose checkpoint at least K of the given witnesses cosigned.
		const need = Number(argv[4]);
		const wkeys = loadWitnessKeys(argv[3]);
		if (!(need >= 1 && need <= wkeys.length)) throw new Usage(`witnessed: K must be 1..${wkeys.length}`);
		const bytes = readFileSync(a);
		const { index, cp } = verifyReceipt(bytes, loadKeys(b), a);
		// the checkpoint is everything after the first empty line
		const s = bytes.toString('latin1');
		const at = s.indexOf('\n\n');
		const got = cosignatures(bytes.subarray(Buffer.byteLength(s.slice(0, at + 2), 'latin1')), wkeys);
		if (got.length < need)
			fail(`${a}: ${got.length} of ${wkeys.length} witnesses cosigned the checkpoint, ${need} required`);
		console.log(`ok: entry ${index} is in ${cp.origin} at size ${cp.size}, cosigned by ` +
			got.map((w) => `${w.name} at ${w.time}`).join(', '));
		return;
	}
	if (argv.length !== 3 || !['receipt', 'tiles'].includes(cmd))
		throw new Usage('usage: node tlogverify.mjs receipt FILE.tlog-proof VKEY | tiles URL VKEY | make-log DIR ORIGIN N' +
			' | witnessed FILE.tlog-proof VKEY WITNESS_VKEYS K');
	const keys = loadKeys(b);
	if (cmd === 'receipt') {
		const { index, cp } = verifyReceipt(readFileSync(a), keys, a);
		console.log(`ok: entry ${index} is in ${cp.origin} at size ${cp.size}, root ${cp.root.toString('base64')}`);
	} else {
		const { cp, root, tiles, higher } = await verifyTiles(a, keys);
		console.log(`ok: ${cp.origin} size ${cp.size} root ${root.toString('base64')} ` +
			`(${tiles} entry bundles and level-0 tiles, ${higher} higher tiles checked)`);
	}
}

// Run as a program, not when imported (tests may import the functions).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.slice(2)).then(
	() => process.exit(0),
	(e) => {
		if (e instanceof Fail) { console.error(`tlogverify: ${e.message}`); process.exit(1); }
		if (e instanceof Usage) { console.error(e.message); process.exit(2); }
		console.error(`tlogverify: ${e.stack ?? e}`);
		process.exit(2);
	},
);
