// common.js: pieces several pages share: state badges, field lists,
// deadlines, forms' message boxes.

import { h, add, clear, daysUntil } from '../dom.js';
import { t, has } from '../i18n.js';
import { fromUtf8, b64decode } from '../bytes.js';
import { parseProof, entryJson } from '../tlog.js';

export const stateText = (s) => (has('state.' + s) ? t('state.' + s) : s);
const TONE = { valid: 'good', registered: 'good', pledged: 'warn', notice: 'info', suspended: 'warn', submitted: 'info',
	correction_requested: 'warn', draft: 'muted', withdrawn: 'muted', refused: 'bad', superseded: 'muted', cancelled: 'bad',
	revoked: 'bad', expired: 'bad', current: 'good', open: 'warn', upheld: 'bad', dismissed: 'muted' };
export const badge = (s, label) => h('span', { class: ['badge', 'tone-' + (TONE[s] || 'muted')], 'data-state': s }, label || stateText(s));

export const eventText = (e) => (has('event.' + e) ? t('event.' + e) : e);

// <dl> of [label, value] rows; rows with empty values are skipped.
export function fields(rows, cls = 'fields') {
	return h('dl', { class: cls }, rows.filter((r) => r && r[1] !== undefined && r[1] !== null && r[1] !== '')
		.map(([k, v]) => h('div', { class: 'row' }, h('dt', {}, k), h('dd', {}, v))));
}

export const sourceText = (s) => (has('source.' + s) ? t('source.' + s) : s);
export const holderTypeText = (s) => (has('holder.' + s) ? t('holder.' + s) : s);
export const scaleText = (s) => (s ? t('fmt.scale', { records: s.records ?? '?', bytes: s.bytes ?? '?' }) : '');

// The public view of an application (GET /notices, /registrations/X).
export function publicFields(p) {
	return fields([
		[t('f.data_name'), p.data_name],
		[t('f.industry'), p.industry],
		[t('f.scenario'), p.scenario],
		[t('f.source.type'), p.source && sourceText(p.source.type)],
		[t('f.source.description'), p.source && p.source.description],
		[t('f.source.agreement_end'), p.source && p.source.agreement_end],
		[t('f.scale'), scaleText(p.scale)],
		[t('f.structure'), p.structure],
		[t('f.update_frequency'), p.update_frequency],
		[t('f.processing_rules'), p.processing_rules],
		[t('f.holder'), p.applicant && `${p.applicant.name}`],
		[t('f.applicant.type'), p.applicant && holderTypeText(p.applicant.type)],
		[t('f.applicant.id'), p.applicant && p.applicant.id],
		[t('f.evidence_count'), p.evidence_count],
	]);
}

// A receipt's entry: "entry #3 · SM3 1a2b… · 909 bytes", or why not.
export function receiptSummary(text) {
	try {
		const p = parseProof(text);
		const e = entryJson(p.extra);
		const d = Object.entries(e.digests || {}).map(([a, x]) => `${a.toUpperCase()} ${x.slice(0, 16)}…`).join(' ');
		return t('fmt.receipt', { index: String(p.index), digest: d, size: e.size ?? '?' });
	} catch (err) {
		return t('apply.receiptBad', { msg: err.message });
	}
}

// Everything in an application document, confidential fields included:
// only for its owner and examiners.
export function fullFields(doc) {
	const a = doc.applicant || {}, c = a.contact || {}, s = doc.source || {};
	const disc = doc.disclosure || {};
	// The label, tagged "confidential" when the public does not see it.
	const L = (key, markable, def = 'confidential') => {
		const vis = markable === null ? 'confidential' : markable ? disc[markable] || def : 'public';
		return vis === 'confidential' ? [t(key), ' ', h('span', { class: 'tag' }, t('disclosure.confidential'))] : t(key);
	};
	const sample = doc.sample && Array.isArray(doc.sample.samples) ? doc.sample.samples : null;
	return h('div', {}, fields([
		[L('f.data_name'), doc.data_name],
		[L('f.industry'), doc.industry],
		[L('f.scenario'), doc.scenario],
		[L('f.source.type'), s.type && sourceText(s.type)],
		[L('f.source.description', 'source.description'), s.description],
		[L('f.source.agreement_end', 'source.agreement_end'), s.agreement_end],
		[L('f.scale'), scaleText(doc.scale)],
		[L('f.structure', 'structure'), doc.structure],
		[L('f.update_frequency', 'update_frequency', 'public'), doc.update_frequency],
		[L('f.processing_rules', 'processing_rules'), doc.processing_rules],
		[L('f.legality_commitment', null), doc.legality_commitment === undefined ? '' : doc.legality_commitment ? t('yes') : t('no')],
		[L('f.applicant.name'), a.name],
		[L('f.applicant.type'), a.type && holderTypeText(a.type)],
		[L('f.applicant.id'), a.id],
		[L('f.contact.person', null), c.person],
		[L('f.contact.phone', null), c.phone],
		[L('f.contact.email', null), c.email],
		[L('f.contact.address', null), c.address],
		[L('f.evidence', null), Array.isArray(doc.evidence) && doc.evidence.length ?
			h('ul', { class: 'plain' }, doc.evidence.map((r) => h('li', { class: 'mono' }, receiptSummary(r)))) : ''],
	]),
	sample ? h('section', { class: 'sample' }, h('h3', {}, L('f.sample', 'sample')),
		h('pre', { class: 'mono box' }, sample.map((r) => {
			let text;
			try { text = fromUtf8(b64decode(r.bytes)); } catch { text = '?'; }
			return `#${r.index}  ${text.replace(/\n$/, '')}\n`;
		}).join(''))) : null);
}

// A deadline: the date with "overdue" / "N days left" highlighted.
export function deadline(label, date, today, opts = {}) {
	if (!date || date === '1970-01-01') return null;
	const d = daysUntil(date, today);
	let cls = 'due', note = '';
	if (opts.done) note = '';
	else if (d !== null && d < 0) { cls = 'due due-over'; note = t('due.over', { n: -d }); }
	else if (d !== null && d <= 3) { cls = 'due due-soon'; note = d === 0 ? t('due.today') : t('due.soon', { n: d }); }
	else if (d !== null) note = t('due.left', { n: d });
	return [label, h('span', { class: cls }, date, note ? h('span', { class: 'due-note' }, ' · ' + note) : null)];
}

// The deadlines that matter in a record's state.
export function deadlines(rec, state, today) {
	if (!rec) return [];
	const r = [];
	if (state === 'submitted') r.push(deadline(t('due.review'), rec.review_due, today));
	if (state === 'correction_requested') r.push(deadline(t('due.correction'), rec.correction_due, today));
	if (state === 'notice' || state === 'suspended') {
		r.push([t('due.noticeStart'), rec.notice_start]);
		r.push(deadline(t('due.noticeEnd'), rec.notice_end, today));
	}
	if (state === 'suspended') r.push(deadline(t('due.objection'), rec.objection_due, today));
	if (state === 'registered') r.push(deadline(t('f.valid_until'), rec.valid_until, today));
	return r.filter(Boolean);
}

// A live region for a form's outcome.
export function messageBox() {
	const box = h('div', { class: 'msg', role: 'status', 'aria-live': 'polite' });
	box.ok = (...parts) => { box.className = 'msg alert alert-good'; box.setAttribute('role', 'status'); add(clear(box), ...parts); };
	box.bad = (text) => { box.className = 'msg alert alert-bad'; box.setAttribute('role', 'alert'); box.replaceChildren(text); };
	box.clear = () => { box.className = 'msg'; box.replaceChildren(); };
	return box;
}

// A labelled control: field('id', label, input, hint?)
export function field(id, label, input, hint) {
	input.id = id;
	const hintEl = hint ? h('p', { class: 'hint', id: id + '-hint' }, hint) : null;
	if (hintEl) input.setAttribute('aria-describedby', id + '-hint');
	return h('div', { class: 'field' }, h('label', { for: id }, label), input, hintEl);
}

// Runs an async action from a button, disabling it meanwhile.
export async function busy(btn, fn) {
	btn.disabled = true;
	btn.setAttribute('aria-busy', 'true');
	try {
		return await fn();
	} finally {
		btn.disabled = false;
		btn.removeAttribute('aria-busy');
	}
}
