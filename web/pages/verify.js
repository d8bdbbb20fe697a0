// The verify page: a certificate (or evidence receipt) file, and
// optionally the data file, checked in this browser against the log's
// keys; each check with a plain verdict and the reason.

import { h, add } from '../dom.js';
import { t } from '../i18n.js';
import { get, getJson, getText } from '../api.js';
import { loadLog } from '../tlog.js';
import { verifyFile } from '../verify.js';
import { field, busy } from './common.js';

function dropZone(id, label, hint, accept, onFile) {
	const input = h('input', { type: 'file', accept: accept || null, class: 'file' });
	const zone = h('div', { class: 'drop' }, field(id, label, input, hint));
	input.addEventListener('change', () => onFile(input.files[0] || null));
	for (const ev of ['dragenter', 'dragover']) zone.addEventListener(ev, (e) => { e.preventDefault(); zone.classList.add('drop-over'); });
	zone.addEventListener('dragleave', () => zone.classList.remove('drop-over'));
	zone.addEventListener('drop', (e) => {
		e.preventDefault();
		zone.classList.remove('drop-over');
		if (!e.dataTransfer.files.length) return;
		input.files = e.dataTransfer.files; // the input shows the dropped file's name
		onFile(input.files[0]);
	});
	return zone;
}

const fmtVars = (c) => {
	const v = { ...c.vars };
	for (const k of Object.keys(v)) if (typeof v[k] === 'bigint') v[k] = v[k].toString();
	if (v.status) v.status = t('state.' + v.status);
	return v;
};

function verdictText(ok) {
	return ok === true ? t('verdict.valid') : ok === false ? t('verdict.invalid') : t('verdict.unchecked');
}

function showResult(out, r, fileName) {
	const first = r.reason;
	const overall = h('div', { class: ['verdict', r.valid ? 'verdict-good' : 'verdict-bad'], role: 'status', 'data-verdict': r.valid ? 'valid' : 'invalid' },
		h('p', { class: 'verdict-head' }, r.valid ? '✔ ' : '✘ ',
			r.kind === 'receipt' ? (r.valid ? t('verify.receiptValid') : t('verify.receiptInvalid'))
				: r.valid ? t('verify.certValid') : t('verify.certInvalid')),
		first ? h('p', { class: 'verdict-why' }, t('verify.because'), ' ', t(first.reason, fmtVars(first))) : null,
		r.kind === 'certificate' && r.body ? h('p', {}, t('verify.about', { certno: r.body.certno, regno: r.body.regno, name: r.body.data_name, holder: r.body.holder?.name ?? '' }),
			' ', r.body.regno ? h('a', { href: `/r/${r.body.regno}` }, t('verify.record')) : null) : null,
		h('p', { class: 'hint' }, t('verify.file'), ' ', fileName));
	const list = h('ol', { class: 'checks' }, r.checks.map((c) => h('li', { class: ['check', c.ok === true ? 'check-good' : c.ok === false ? 'check-bad' : 'check-skip'], 'data-check': c.id, 'data-ok': String(c.ok) },
		h('span', { class: 'check-verdict' }, verdictText(c.ok)),
		h('span', { class: 'check-name' }, t('check.' + c.id)),
		h('span', { class: 'check-why' }, t(c.reason, fmtVars(c))))));
	out.replaceChildren(overall, h('h2', {}, t('verify.checks')), list);
}

export async function page(view, { q }) {
	let certText = null, certName = '', dataFile = null;
	const out = h('div', { class: 'result', 'aria-live': 'polite' });
	const run = h('button', { type: 'button', class: 'btn btn-primary', disabled: true }, t('verify.run'));
	let log = null;
	const doVerify = () => busy(run, async () => {
		if (certText === null) return;
		out.replaceChildren(h('p', { class: 'hint' }, t('verify.working')));
		try {
			log ??= await loadLog(getJson);
		} catch (e) {
			out.replaceChildren(h('p', { class: 'alert alert-bad', role: 'alert' }, t('verify.noLog', { msg: e.message })));
			return;
		}
		const r = await verifyFile(certText, log, { dataFile, status: (regno) => get('/registrations/' + encodeURIComponent(regno)) });
		showResult(out, r, certName);
	});
	run.addEventListener('click', doVerify);
	const certZone = dropZone('cert-file', t('verify.certLabel'), t('verify.certHint'), '.json,.tlog-proof,application/json,text/plain', async (f) => {
		certText = f ? await f.text() : null;
		certName = f ? f.name : '';
		run.disabled = !f;
		if (f) doVerify();
		else out.replaceChildren();
	});
	const dataZone = dropZone('data-file', t('verify.dataLabel'), t('verify.dataHint'), '', (f) => {
		dataFile = f;
		if (certText !== null) doVerify();
	});
	add(view, 
		h('h1', {}, t('verify.title')),
		h('p', { class: 'lead' }, t('verify.lead')),
		h('div', { class: 'card' }, h('div', { class: 'grid2' }, certZone, dataZone), h('div', { class: 'buttons' }, run),
			h('p', { class: 'hint' }, t('verify.private'))),
		out);
	// /verify?certno=N: the registry's current copy of that certificate.
	const certno = q.get('certno');
	if (certno && /^[0-9]{17}$/.test(certno)) {
		certText = await getText('/api/v1/certificates/' + certno);
		certName = `${certno}.json (${t('verify.fromRegistry')})`;
		run.disabled = false;
		doVerify();
	}
}
