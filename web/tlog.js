// tlog.js: the log's public formats, checked in the browser (DESIGN.md
// "The log", "Receipts"): signed-note vkeys and signatures (Ed25519 via
// WebCrypto, SM2 via sm2.js), tlog-checkpoint, C2SP tlog-proof, and the
// RFC 6962 / 9162 inclusion proof.  Errors are thrown as Error with a
// one-line English message; the pages translate the outcome, not these.

import { b64decode, concat, equal, fromUtf8, hex, sha256, utf8 } from './bytes.js';
import { sm3 } from './sm3.js';
import { sm2Verify } from './sm2.js';

export const SM2_IDENT = 'sm2-sm3/1234567812345678';

// vkey = <name>+<hex key ID>+base64(type || key); key ID = SHA-256(name ||
// 0x0A || type || key)[:4], with SM2's identifier after its type byte.
export async function parseVkey(text) {
	const i = text.indexOf('+'), j = i < 0 ? -1 : text.indexOf('+', i + 1);
	if (i <= 0 || j < 0 || !/^[0-9a-f]{8}$/.test(text.slice(i + 1, j))) throw new Error(`vkey ${text}: expected name+keyid+key`);
	const name = text.slice(0, i), id = text.slice(i + 1, j);
	const enc = b64decode(text.slice(j + 1), `vkey ${name}`);
	const want = hex((await sha256(concat(utf8(name), new Uint8Array([10]), enc))).subarray(0, 4));
	if (want !== id) throw new Error(`vkey ${name}: key ID ${id} does not match the key`);
	const k = { name, id, text, type: 'unknown', key: enc.subarray(1) };
	if (enc[0] === 0x01 && enc.length === 33) k.type = 'ed25519';
	const ident = utf8(SM2_IDENT);
	if (enc[0] === 0xff && enc.length === 1 + ident.length + 65 && equal(enc.subarray(1, 1 + ident.length), ident)) {
		k.type = 'sm2';
		k.key = enc.subarray(1 + ident.length);
	}
	return k;
}

let edSupport; // WebCrypto Ed25519 (Chrome 137+, Firefox 129+, Safari 17+)
async function edKey(raw) {
	try {
		return await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
	} catch (e) {
		if (e.name === 'NotSupportedError') edSupport = false;
		throw new Error('this browser has no Ed25519 in WebCrypto');
	}
}

// One raw signature check: true / false, or null when this browser cannot
// check it.
export async function verifyRaw(vkey, msg, sig) {
	if (vkey.type === 'ed25519') {
		if (edSupport === false) return null;
		let key;
		try {
			key = await edKey(vkey.key);
		} catch {
			return null;
		}
		return sig.length === 64 && crypto.subtle.verify({ name: 'Ed25519' }, key, sig, msg);
	}
	if (vkey.type === 'sm2') return sig.length <= 72 && sm2Verify(vkey.key, msg, sig);
	return null;
}

// "— <name> <base64(key ID || signature)>"
export function parseSigLine(line) {
	const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
	if (!m) throw new Error(`signature line "${line.slice(0, 80)}": expected "— NAME BASE64"`);
	const b = b64decode(m[2], `signature of ${m[1]}`);
	if (b.length < 5) throw new Error(`signature of ${m[1]}: too short`);
	return { name: m[1], id: hex(b.subarray(0, 4)), sig: b.subarray(4) };
}

// The signatures of lines over msg by each trusted key:
// [{vkey, ok: true|false|null, missing?}].  Lines of unknown keys are
// ignored (signed-note); every line of a trusted key must verify.
export async function checkSigs(lines, msg, vkeys) {
	const sigs = lines.map(parseSigLine);
	const out = [];
	for (const k of vkeys) {
		const mine = sigs.filter((s) => s.name === k.name && s.id === k.id);
		if (mine.length === 0) {
			out.push({ vkey: k, ok: false, missing: true });
			continue;
		}
		let ok = true;
		for (const s of mine) {
			const r = await verifyRaw(k, msg, s.sig);
			if (r === null) ok = null;
			else if (!r) { ok = false; break; }
		}
		out.push({ vkey: k, ok });
	}
	return out;
}

// A signed note: text (ending "\n"), a blank line, signature lines.
export function splitNote(note) {
	const sep = note.lastIndexOf('\n\n');
	if (sep < 0) throw new Error('note: no blank line before the signatures');
	const sigs = note.slice(sep + 2);
	if (sigs === '' || !sigs.endsWith('\n')) throw new Error('note: no signature lines');
	return { text: note.slice(0, sep + 1), lines: sigs.slice(0, -1).split('\n') };
}

export function parseCheckpoint(text) {
	const l = text.slice(0, -1).split('\n');
	if (l.length < 3 || !/^(?:0|[1-9][0-9]*)$/.test(l[1])) throw new Error('checkpoint: expected origin, size and root hash');
	const root = b64decode(l[2], 'checkpoint root hash');
	if (root.length !== 32) throw new Error('checkpoint root hash: not 32 bytes');
	return { origin: l[0], size: BigInt(l[1]), root };
}

// c2sp.org/tlog-proof@v1, extra, index, proof hashes, blank line, checkpoint.
export function parseProof(text) {
	const lines = text.split('\n');
	let i = 0;
	if (lines[i++] !== 'c2sp.org/tlog-proof@v1') throw new Error('tlog-proof: expected the header c2sp.org/tlog-proof@v1');
	let extra = null;
	if (lines[i]?.startsWith('extra ')) extra = b64decode(lines[i++].slice(6), 'tlog-proof extra');
	const m = /^index (0|[1-9][0-9]*)$/.exec(lines[i++] ?? '');
	if (!m) throw new Error('tlog-proof: expected "index N"');
	const proof = [];
	while (i < lines.length && lines[i] !== '') {
		const h = b64decode(lines[i++], 'tlog-proof hash');
		if (h.length !== 32) throw new Error('tlog-proof: a proof hash is not 32 bytes');
		proof.push(h);
	}
	if (i >= lines.length) throw new Error('tlog-proof: no checkpoint after the proof');
	return { extra, index: BigInt(m[1]), proof, note: lines.slice(i + 1).join('\n') };
}

export function hasher(alg) {
	if (alg === 'sm3') return async (...p) => sm3(...p);
	return async (...p) => sha256(concat(...p));
}

// RFC 9162 §2.1.3.2; throws unless proof leads from leaf to root.
export async function verifyInclusion(H, index, size, leaf, proof, root) {
	if (index >= size) throw new Error(`inclusion: index ${index} is not below the tree size ${size}`);
	let fn = index, sn = size - 1n, r = leaf;
	const one = new Uint8Array([1]);
	for (const p of proof) {
		if (sn === 0n) throw new Error('inclusion: the proof is too long');
		if ((fn & 1n) === 1n || fn === sn) {
			r = await H(one, p, r);
			while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
		} else {
			r = await H(one, r, p);
		}
		fn >>= 1n;
		sn >>= 1n;
	}
	if (sn !== 0n) throw new Error('inclusion: the proof is too short');
	if (!equal(r, root)) throw new Error('inclusion: the proof does not lead to the checkpoint root');
}

// Everything about one tlog-proof against the log (origin, tree hash and
// vkeys from /log.json).  Returns {entry (bytes), index, checkpoint,
// cpSigs: checkSigs result, inclusion: null | error message}.
export async function checkProof(text, log) {
	const p = parseProof(text);
	const note = splitNote(p.note);
	const cp = parseCheckpoint(note.text);
	const cpSigs = await checkSigs(note.lines, utf8(note.text), log.vkeys);
	let inclusion = null;
	try {
		if (cp.origin !== log.origin) throw new Error(`checkpoint origin ${cp.origin} is not this log's (${log.origin})`);
		if (!p.extra) throw new Error('tlog-proof: no entry (extra)');
		const H = hasher(log.tree_hash);
		await verifyInclusion(H, p.index, cp.size, await H(new Uint8Array([0]), p.extra), p.proof, cp.root);
	} catch (e) {
		inclusion = e.message;
	}
	return { entry: p.extra, index: p.index, checkpoint: cp, cpSigs, inclusion };
}

// GET /log.json, with its vkeys parsed (and key IDs checked).
export async function loadLog(fetchJson) {
	const j = await fetchJson('/log.json');
	const vkeys = [];
	for (const v of j.vkeys || []) {
		const k = await parseVkey(v);
		if (k.type !== 'unknown') vkeys.push(k); // keys of other types: not ours to check
	}
	return { origin: j.origin, tree_hash: j.tree_hash || 'sha256', vkeys, version: j.version };
}

export const entryJson = (bytes) => JSON.parse(fromUtf8(bytes));
