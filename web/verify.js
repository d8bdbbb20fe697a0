// verify.js: checks a certificate (or an evidence receipt) in the browser,
// with nothing trusted but the log's keys (DESIGN.md "Certificates").
// No DOM here: verifyFile() returns the checks, the verify page shows them.
//
// A check is {id, ok: true | false | null (not checked), reason, vars}:
// reason is an i18n key ("why.*") for the plain verdict, vars its values.

import { equal, hex, sha256 } from './bytes.js';
import { canonicalBytes, parseStrict } from './jcs.js';
import { SM3 } from './sm3.js';
import { checkProof, checkSigs, entryJson } from './tlog.js';

const check = (id, ok, reason, vars = {}) => ({ id, ok, reason, vars });

function sigChecks(prefix, results) {
	const out = [];
	for (const type of ['ed25519', 'sm2']) {
		const rs = results.filter((r) => r.vkey.type === type);
		if (rs.length === 0) continue;
		const bad = rs.find((r) => r.ok === false);
		const id = `${prefix}.${type}`;
		const key = (bad || rs[0]).vkey;
		const vars = { key: `${key.name}+${key.id}` };
		if (bad) out.push(check(id, false, bad.missing ? 'why.sigMissing' : 'why.sigBad', vars));
		else if (rs.some((r) => r.ok === null)) out.push(check(id, null, type === 'sm2' ? 'why.sm2Unchecked' : 'why.edUnsupported', vars));
		else out.push(check(id, true, 'why.sigOk', vars));
	}
	return out;
}

// The data file's digests, computed only for the algorithms asked for.
export async function digestFile(file, algs) {
	const out = {};
	if (algs.has('sm3')) {
		const h = new SM3();
		for (let o = 0; o < file.size; o += 1 << 22) h.update(new Uint8Array(await file.slice(o, o + (1 << 22)).arrayBuffer()));
		out.sm3 = hex(h.digest());
	}
	if (algs.has('sha256')) out.sha256 = hex(await sha256(new Uint8Array(await file.arrayBuffer())));
	return out;
}

// Every digest the item names must equal the file's; at least one must.
function digestsMatch(want, got) {
	const algs = Object.keys(want || {}).filter((a) => a === 'sm3' || a === 'sha256');
	return algs.length > 0 && algs.every((a) => got[a] === String(want[a]).toLowerCase());
}

async function dataCheck(dataFile, items) {
	const algs = new Set(items.flatMap((d) => Object.keys(d.digests || {})));
	const got = await digestFile(dataFile, algs);
	const hit = items.find((d) => digestsMatch(d.digests, got) && (d.size === undefined || d.size === dataFile.size));
	const shown = Object.entries(got).map(([a, h]) => `${a.toUpperCase()} ${h}`).join(', ');
	return hit ? check('data', true, 'why.dataOk', { name: dataFile.name, digest: shown, index: hit.index })
		: check('data', false, 'why.dataBad', { name: dataFile.name, digest: shown });
}

async function proofChecks(text, log, checks) {
	let p;
	try {
		p = await checkProof(text, log);
	} catch (e) {
		checks.push(check('inclusion', false, 'why.proofMalformed', { msg: e.message }));
		return null;
	}
	checks.push(...sigChecks('cp', p.cpSigs));
	checks.push(p.inclusion ? check('inclusion', false, 'why.inclusionBad', { msg: p.inclusion })
		: check('inclusion', true, 'why.inclusionOk', { index: p.index, size: p.checkpoint.size, origin: p.checkpoint.origin }));
	return p;
}

// A certificate file: {certificate, signatures, tlog_proof}.
async function verifyCert(cert, log, opts, checks) {
	const body = cert.certificate;
	const canon = canonicalBytes(body);
	// (1) the signature lines over the canonical body
	if (!Array.isArray(cert.signatures) || !cert.signatures.every((s) => typeof s === 'string'))
		checks.push(check('sig.ed25519', false, 'why.sigMissing', { key: log.origin }));
	else {
		let res;
		try {
			res = await checkSigs(cert.signatures, canon, log.vkeys);
		} catch (e) {
			res = null;
			checks.push(check('sig.ed25519', false, 'why.sigMalformed', { msg: e.message }));
		}
		if (res) checks.push(...sigChecks('sig', res));
	}
	// (2) the tlog-proof of the certificate entry
	const p = typeof cert.tlog_proof === 'string' ? await proofChecks(cert.tlog_proof, log, checks) : null;
	if (!p) {
		if (typeof cert.tlog_proof !== 'string') checks.push(check('inclusion', false, 'why.proofMissing'));
	} else {
		let e = null;
		try {
			e = entryJson(p.entry);
		} catch { /* shown below */ }
		const want = { sha256: hex(await sha256(canon)), sm3: hex(new SM3().update(canon).digest()) };
		const keys = e && Object.keys(e).sort().join(',');
		const ok = e && keys === 'cert_hash,certno,regno,time,type,v' && e.type === 'certificate' && e.v === 1 &&
			e.certno === body.certno && e.regno === body.regno && e.cert_hash &&
			e.cert_hash.sha256 === want.sha256 && e.cert_hash.sm3 === want.sm3 &&
			equal(canonicalBytes(e), p.entry);
		checks.push(ok ? check('entry', true, 'why.entryOk', { index: p.index, time: e.time })
			: check('entry', false, e && e.type === 'certificate' ? 'why.entryHash' : 'why.entryType'));
	}
	// (3) the current status, online
	if (opts.status) {
		try {
			const rec = await opts.status(body.regno);
			const c = (rec.certificates || []).find((x) => x.certno === body.certno);
			const st = rec.status;
			const vars = { status: st, regno: body.regno, current: rec.certno, until: rec.valid_until };
			if (!c) checks.push(check('status', false, 'why.statusUnknownCert', vars));
			else if (c.status !== 'current' || rec.certno !== body.certno) checks.push(check('status', false, 'why.statusSuperseded', vars));
			else if (st === 'valid' || st === 'pledged') checks.push(check('status', true, st === 'pledged' ? 'why.statusPledged' : 'why.statusValid', vars));
			else checks.push(check('status', false, 'why.status_' + st, vars));
		} catch (e) {
			checks.push(check('status', null, 'why.statusOffline', { msg: e.message }));
		}
	}
	// (4) the data file against the evidence digests
	if (opts.dataFile) checks.push(await dataCheck(opts.dataFile, Array.isArray(body.evidence) ? body.evidence : []));
	return { kind: 'certificate', body };
}

// An evidence receipt (*.tlog-proof).
async function verifyReceipt(text, log, opts, checks) {
	const p = await proofChecks(text, log, checks);
	let e = null;
	if (p) {
		try {
			e = entryJson(p.entry);
		} catch { /* below */ }
		checks.push(e && e.type === 'evidence' && e.digests ? check('entry', true, 'why.evidenceOk', { index: p.index, time: e.time })
			: check('entry', false, 'why.entryType'));
	}
	if (opts.dataFile && e && e.digests) checks.push(await dataCheck(opts.dataFile, [{ digests: e.digests, size: e.size, index: p.index }]));
	return { kind: 'receipt', entry: e };
}

// text: the dropped file's content; log: tlog.loadLog(); opts: {status:
// async regno -> public record, dataFile: File}.  Returns {kind, body |
// entry, checks, valid: bool | null, reason: the first failed check}.
export async function verifyFile(text, log, opts = {}) {
	const checks = [];
	let info = { kind: 'unknown' };
	if (text.startsWith('c2sp.org/tlog-proof@v1\n')) {
		info = await verifyReceipt(text, log, opts, checks);
	} else {
		let cert = null;
		try {
			cert = parseStrict(text);
		} catch (e) {
			checks.push(check('format', false, 'why.notJson', { msg: e.message }));
		}
		if (cert) {
			if (!cert || typeof cert !== 'object' || !cert.certificate || typeof cert.certificate !== 'object')
				checks.push(check('format', false, 'why.notCert'));
			else {
				try {
					info = await verifyCert(cert, log, opts, checks);
				} catch (e) {
					checks.push(check('format', false, 'why.notCanonical', { msg: e.message }));
				}
			}
		}
	}
	const failed = checks.find((c) => c.ok === false);
	return { ...info, checks, valid: !failed, reason: failed || null };
}

