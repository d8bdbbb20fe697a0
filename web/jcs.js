// jcs.js: RFC 8785 canonical JSON as dipr writes it (DESIGN.md "Log
// entries"): object keys sorted by UTF-16 code units, no white space,
// strings escaped as JSON.stringify does (RFC 8785 §3.2.2.2), and integers
// only (dipr's canonical JSON has no fractions or exponents).
//   canonicalize(value) -> string;  canonicalBytes(value) -> Uint8Array

export class CanonError extends Error {}

export function canonicalize(v) {
	if (v === null || typeof v === 'boolean') return String(v);
	if (typeof v === 'number') {
		if (!Number.isSafeInteger(v)) throw new CanonError(`not an integer dipr can write: ${v}`);
		return String(v === 0 ? 0 : v); // -0 is 0
	}
	if (typeof v === 'string') {
		if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(v))
			throw new CanonError('a string holds a lone surrogate');
		return JSON.stringify(v);
	}
	if (Array.isArray(v)) return '[' + v.map(canonicalize).join(',') + ']';
	if (typeof v === 'object') {
		// The default sort compares UTF-16 code units, as RFC 8785 §3.2.3 asks.
		const keys = Object.keys(v).sort();
		return '{' + keys.map((k) => canonicalize(k) + ':' + canonicalize(v[k])).join(',') + '}';
	}
	throw new CanonError(`not JSON: ${typeof v}`);
}

export const canonicalBytes = (v) => new TextEncoder().encode(canonicalize(v));

// Parses JSON text, refusing repeated object keys (JSON.parse keeps the
// last silently; dipr's parser refuses them, and so must a verifier).
export function parseStrict(text) {
	const v = JSON.parse(text);
	// Count the keys as written: in valid JSON a key is a string followed
	// by a colon.  Fewer keys kept than written means one was repeated.
	let written = 0;
	for (let i = 0; i < text.length; i++) {
		if (text[i] !== '"') continue;
		for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
		let j = i + 1;
		while (' \t\r\n'.includes(text[j])) j++;
		if (text[j] === ':') written++;
	}
	let kept = 0;
	const walk = (x) => {
		if (Array.isArray(x)) x.forEach(walk);
		else if (x && typeof x === 'object') for (const k of Object.keys(x)) { kept++; walk(x[k]); }
	};
	walk(v);
	if (written !== kept) throw new CanonError('an object repeats a key');
	return v;
}
