// sm3.js: the SM3 hash (GB/T 32905-2016) in plain JavaScript, for data
// files and certificate bodies hashed in the browser.
//   sm3(bytes) -> Uint8Array(32);  new SM3().update(b).update(b).digest()
// Test vectors (GB/T 32905 appendix A): SM3("abc") = 66c7f0f4...8f4ba8e0.

const IV = [0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e];
const rotl = (x, n) => ((x << (n & 31)) | (x >>> ((32 - n) & 31))) >>> 0;
const P0 = (x) => (x ^ rotl(x, 9) ^ rotl(x, 17)) >>> 0;
const P1 = (x) => (x ^ rotl(x, 15) ^ rotl(x, 23)) >>> 0;
const T = Array.from({ length: 64 }, (_, j) => rotl(j < 16 ? 0x79cc4519 : 0x7a879d8a, j));

export class SM3 {
	constructor() {
		this.v = Uint32Array.from(IV);
		this.buf = new Uint8Array(64);
		this.n = 0; // bytes in buf
		this.len = 0; // total bytes (a Number: exact up to 2^53)
		this.w = new Uint32Array(68);
		this.w1 = new Uint32Array(64);
	}

	block(b, o) {
		const w = this.w, w1 = this.w1, v = this.v;
		for (let j = 0; j < 16; j++)
			w[j] = ((b[o + 4 * j] << 24) | (b[o + 4 * j + 1] << 16) | (b[o + 4 * j + 2] << 8) | b[o + 4 * j + 3]) >>> 0;
		for (let j = 16; j < 68; j++)
			w[j] = (P1(w[j - 16] ^ w[j - 9] ^ rotl(w[j - 3], 15)) ^ rotl(w[j - 13], 7) ^ w[j - 6]) >>> 0;
		for (let j = 0; j < 64; j++) w1[j] = (w[j] ^ w[j + 4]) >>> 0;
		let [A, B, C, D, E, F, G, H] = v;
		for (let j = 0; j < 64; j++) {
			const a12 = rotl(A, 12);
			const ss1 = rotl((a12 + E + T[j]) >>> 0, 7);
			const ss2 = (ss1 ^ a12) >>> 0;
			const ff = j < 16 ? A ^ B ^ C : (A & B) | (A & C) | (B & C);
			const gg = j < 16 ? E ^ F ^ G : (E & F) | (~E & G);
			const tt1 = (ff + D + ss2 + w1[j]) >>> 0;
			const tt2 = (gg + H + ss1 + w[j]) >>> 0;
			D = C;
			C = rotl(B, 9);
			B = A;
			A = tt1;
			H = G;
			G = rotl(F, 19);
			F = E;
			E = P0(tt2);
		}
		v[0] ^= A; v[1] ^= B; v[2] ^= C; v[3] ^= D;
		v[4] ^= E; v[5] ^= F; v[6] ^= G; v[7] ^= H;
	}

	update(data) {
		const b = data instanceof Uint8Array ? data : new Uint8Array(data);
		let i = 0;
		this.len += b.length;
		if (this.n > 0) {
			const take = Math.min(64 - this.n, b.length);
			this.buf.set(b.subarray(0, take), this.n);
			this.n += take;
			i = take;
			if (this.n < 64) return this;
			this.block(this.buf, 0);
			this.n = 0;
		}
		for (; i + 64 <= b.length; i += 64) this.block(b, i);
		if (i < b.length) {
			this.buf.set(b.subarray(i), 0);
			this.n = b.length - i;
		}
		return this;
	}

	digest() {
		const bits = this.len * 8;
		const pad = new Uint8Array(((this.n + 9 + 63) & ~63) - this.n);
		pad[0] = 0x80;
		const hi = Math.floor(bits / 2 ** 32), lo = bits >>> 0;
		const k = pad.length;
		pad[k - 8] = hi >>> 24; pad[k - 7] = hi >>> 16; pad[k - 6] = hi >>> 8; pad[k - 5] = hi;
		pad[k - 4] = lo >>> 24; pad[k - 3] = lo >>> 16; pad[k - 2] = lo >>> 8; pad[k - 1] = lo;
		this.update(pad);
		const out = new Uint8Array(32);
		this.v.forEach((x, j) => {
			out[4 * j] = x >>> 24; out[4 * j + 1] = x >>> 16; out[4 * j + 2] = x >>> 8; out[4 * j + 3] = x;
		});
		return out;
	}
}

export const sm3 = (...parts) => {
	const h = new SM3();
	for (const p of parts) h.update(p);
	return h.digest();
};
