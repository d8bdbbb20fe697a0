// bytes.js: the byte helpers every other module shares (UTF-8, hex,
// strict base64, comparison).  No DOM, so Node can import it too.

const enc = new TextEncoder();

export const utf8 = (s) => enc.encode(s);
export const fromUtf8 = (b) => new TextDecoder('utf-8', { fatal: true }).decode(b);

export function concat(...parts) {
	let n = 0;
	for (const p of parts) n += p.length;
	const out = new Uint8Array(n);
	let o = 0;
	for (const p of parts) {
		out.set(p, o);
		o += p.length;
	}
	return out;
}

export function equal(a, b) {
	if (a.length !== b.length) return false;
	let d = 0;
	for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
	return d === 0;
}

export const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export function fromHex(s) {
	if (!/^(?:[0-9a-fA-F]{2})*$/.test(s)) throw new Error('not hex');
	const out = new Uint8Array(s.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
	return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function b64encode(b) {
	let s = '';
	for (let i = 0; i < b.length; i += 3) {
		const n = (b[i] << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
		s += B64[n >> 18] + B64[(n >> 12) & 63];
		s += i + 1 < b.length ? B64[(n >> 6) & 63] : '=';
		s += i + 2 < b.length ? B64[n & 63] : '=';
	}
	return s;
}

// Standard base64 with canonical padding and nothing else (RFC 4648 §4),
// the only spelling signed notes and tlog-proofs allow.
export function b64decode(s, what = 'base64') {
	if (typeof s !== 'string' || s.length % 4 !== 0 ||
	    !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s))
		throw new Error(`${what}: not standard base64`);
	const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
	const out = new Uint8Array((s.length / 4) * 3 - pad);
	let o = 0;
	for (let i = 0; i < s.length; i += 4) {
		const n = (B64.indexOf(s[i]) << 18) | (B64.indexOf(s[i + 1]) << 12) |
			((s[i + 2] === '=' ? 0 : B64.indexOf(s[i + 2])) << 6) | (s[i + 3] === '=' ? 0 : B64.indexOf(s[i + 3]));
		out[o++] = n >> 16;
		if (o < out.length) out[o++] = (n >> 8) & 255;
		if (o < out.length) out[o++] = n & 255;
	}
	if (b64encode(out) !== s) throw new Error(`${what}: not canonical base64`);
	return out;
}

export async function sha256(b) {
	return new Uint8Array(await crypto.subtle.digest('SHA-256', b));
}
