// sm2.js: SM2 signature verification (GB/T 32918.2, curve of GB/T 32918.5)
// with BigInt, for the log's SM2 signature lines.  Only verification: no
// secrets are handled here, so constant time does not matter.
//   sm2Verify(pub65, msg, derSig, id) -> boolean
// pub65 is the uncompressed point 0x04 || x || y; the digest is SM3 over
// Z_A || msg with the distinguishing ID (dipr sets "1234567812345678").

import { sm3 } from './sm3.js';
import { concat, hex, utf8 } from './bytes.js';

const P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFFn;
const A = P - 3n;
const B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93n;
const N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123n;
const GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7n;
const GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0n;

const mod = (x, m = P) => ((x % m) + m) % m;
const toBytes = (x) => {
	const out = new Uint8Array(32);
	for (let i = 31; i >= 0; i--, x >>= 8n) out[i] = Number(x & 255n);
	return out;
};
const toBig = (b) => (b.length ? BigInt('0x' + hex(b)) : 0n);

function inv(x, m = P) {
	let [a, b, u, v] = [mod(x, m), m, 1n, 0n];
	while (a !== 0n) {
		const q = b / a;
		[a, b] = [b - q * a, a];
		[u, v] = [v - q * u, u];
	}
	return mod(v, m);
}

// Jacobian coordinates (X, Y, Z); Z = 0 is the point at infinity.
function dbl([X, Y, Z]) {
	if (Z === 0n || Y === 0n) return [0n, 1n, 0n];
	const ZZ = (Z * Z) % P;
	const M = mod(3n * (X - ZZ) * (X + ZZ)); // a = -3
	const YY = (Y * Y) % P;
	const S = (4n * X * YY) % P;
	const X3 = mod(M * M - 2n * S);
	return [X3, mod(M * (S - X3) - 8n * YY * YY), (2n * Y * Z) % P];
}

function add(p, q) {
	if (p[2] === 0n) return q;
	if (q[2] === 0n) return p;
	const [X1, Y1, Z1] = p, [X2, Y2, Z2] = q;
	const Z1Z1 = (Z1 * Z1) % P, Z2Z2 = (Z2 * Z2) % P;
	const U1 = (X1 * Z2Z2) % P, U2 = (X2 * Z1Z1) % P;
	const S1 = (Y1 * Z2 * Z2Z2) % P, S2 = (Y2 * Z1 * Z1Z1) % P;
	if (U1 === U2) return S1 === S2 ? dbl(p) : [0n, 1n, 0n];
	const H = mod(U2 - U1), R = mod(S2 - S1);
	const HH = (H * H) % P, HHH = (H * HH) % P, V = (U1 * HH) % P;
	const X3 = mod(R * R - HHH - 2n * V);
	return [X3, mod(R * (V - X3) - S1 * HHH), (Z1 * Z2 * H) % P];
}

// k1*G + k2*Q in one pass (Shamir's trick); returns affine [x, y] or null.
function mul2(k1, k2, Q) {
	const G = [GX, GY, 1n], GQ = add(G, Q);
	let R = [0n, 1n, 0n];
	for (let i = 255n; i >= 0n; i--) {
		R = dbl(R);
		const b1 = (k1 >> i) & 1n, b2 = (k2 >> i) & 1n;
		if (b1 && b2) R = add(R, GQ);
		else if (b1) R = add(R, G);
		else if (b2) R = add(R, Q);
	}
	if (R[2] === 0n) return null;
	const zi = inv(R[2]), zi2 = (zi * zi) % P;
	return [(R[0] * zi2) % P, (R[1] * zi2 * zi) % P];
}

// DER SEQUENCE { INTEGER r, INTEGER s }, minimal encodings only.
function derDecode(sig) {
	let i = 0;
	const int = () => {
		if (sig[i++] !== 0x02) throw new Error('SM2 signature: expected an INTEGER');
		const len = sig[i++];
		if (!(len >= 1 && len <= 33) || i + len > sig.length) throw new Error('SM2 signature: bad INTEGER length');
		const b = sig.subarray(i, i + len);
		if (b[0] & 0x80 || (len > 1 && b[0] === 0 && !(b[1] & 0x80))) throw new Error('SM2 signature: not minimal DER');
		i += len;
		return toBig(b);
	};
	if (sig[i++] !== 0x30 || sig[i++] !== sig.length - 2) throw new Error('SM2 signature: expected a DER SEQUENCE');
	const r = int(), s = int();
	if (i !== sig.length) throw new Error('SM2 signature: trailing bytes');
	return [r, s];
}

export function sm2Verify(pub, msg, sig, id = '1234567812345678') {
	if (pub.length !== 65 || pub[0] !== 4) return false;
	const x = toBig(pub.subarray(1, 33)), y = toBig(pub.subarray(33));
	if (x >= P || y >= P || mod(y * y - (x * x * x + A * x + B)) !== 0n) return false;
	let r, s;
	try {
		[r, s] = derDecode(sig);
	} catch {
		return false;
	}
	if (r < 1n || r >= N || s < 1n || s >= N) return false;
	const idb = utf8(id), bits = idb.length * 8;
	const za = sm3(new Uint8Array([bits >> 8, bits & 255]), idb, toBytes(A), toBytes(B), toBytes(GX), toBytes(GY),
		pub.subarray(1, 33), pub.subarray(33));
	const e = toBig(sm3(concat(za, msg)));
	const t = (r + s) % N;
	if (t === 0n) return false;
	const pt = mul2(s, t, [x, y, 1n]);
	return pt !== null && (e + pt[0]) % N === r;
}
