// The applicant's pages: their applications, the application form (draft,
// submit, correction), and after registration the certificates and
// lifecycle requests (licence, pledge, release, renewal, cancellation).

import { h, add, clear, fmtTime } from '../dom.js';
import { t } from '../i18n.js';
import { get, post, put, today } from '../api.js';
import { need } from './account.js';
import { badge, fields, fullFields, deadlines, messageBox, field, busy, receiptSummary, eventText } from './common.js';

export async function list(view, { me }) {
	if (!need(view, me, 'applicant')) return;
	const r = await get('/applications');
	add(view, h('h1', {}, t('apply.listTitle')),
		h('p', {}, h('a', { href: '/apply/new', class: 'btn btn-primary' }, t('apply.new'))),
		h('p', { class: 'hint' }, t('apply.evidenceHint'), ' ', h('code', {}, 'dipr attest FILE --server URL -o FILE.tlog-proof')));
	if (r.applications.length === 0) {
		add(view, h('p', { class: 'empty' }, t('apply.none')));
		return;
	}
	add(view, h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
		h('thead', {}, h('tr', {}, [t('f.app'), t('f.data_name'), t('f.state'), t('f.regno'), t('f.updated')].map((x) => h('th', { scope: 'col' }, x)))),
		h('tbody', {}, r.applications.map((a) => h('tr', { class: a.state === 'correction_requested' ? 'attention' : null },
			h('td', { 'data-label': t('f.app') }, h('a', { href: `/apply/${a.id}` }, '#' + a.id)),
			h('td', { 'data-label': t('f.data_name') }, h('a', { href: `/apply/${a.id}` }, a.data_name || t('apply.untitled'))),
			h('td', { 'data-label': t('f.state') }, badge(a.state)),
			h('td', { 'data-label': t('f.regno'), class: 'mono' }, a.regno ? h('a', { href: `/r/${a.regno}` }, a.regno) : ''),
			h('td', { 'data-label': t('f.updated') }, fmtTime(a.updated))))))));
}

// ---- the application form ----

const SOURCES = ['self', 'contract', 'authorised', 'other'];
const TYPES = ['legal_person', 'unincorporated', 'natural_person'];
const MARKABLE = ['update_frequency', 'structure', 'processing_rules', 'source.description', 'source.agreement_end', 'sample'];
const fid = (path) => 'f-' + path.replace(/\./g, '-');

function dig(o, path) {
	return path.split('.').reduce((x, k) => (x && typeof x === 'object' ? x[k] : undefined), o);
}

function setIn(o, path, v) {
	const ks = path.split('.');
	let x = o;
	for (const k of ks.slice(0, -1)) x = x[k] ??= {};
	x[ks.at(-1)] = v;
}

// The server's message names the member ("application.applicant.id: ...");
// the matching control is marked and focused.
function markField(form, message) {
	form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
	const m = /^(?:application|change|body)\.([A-Za-z_.]+)/.exec(message.replace(/\[\d+\]/g, ''));
	if (!m) return;
	let path = m[1];
	while (path) {
		const el = form.querySelector('#' + fid(path));
		if (el) {
			el.setAttribute('aria-invalid', 'true');
			el.focus();
			return;
		}
		path = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
	}
}

function applicationForm(doc, { mode, onSave, onSubmit }) {
	doc = structuredClone(doc || {});
	let receipts = Array.isArray(doc.evidence) ? [...doc.evidence] : [];
	let sample = doc.sample ?? null;
	const text = (path, attrs = {}) => h('input', { type: 'text', value: dig(doc, path) ?? '', ...attrs });
	const area = (path, rows = 3) => { const el = h('textarea', { rows }); el.value = dig(doc, path) ?? ''; return el; };
	const num = (path) => h('input', { type: 'number', min: 1, step: 1, inputmode: 'numeric', value: dig(doc, path) ?? '' });
	const select = (path, options, prefix, blank = true) => h('select', {},
		blank ? h('option', { value: '' }, t('apply.choose')) : null,
		options.map((o) => h('option', { value: o, selected: dig(doc, path) === o }, t(prefix + o))));
	const controls = {
		data_name: text('data_name', { maxlength: 200 }), industry: text('industry', { maxlength: 100 }), scenario: area('scenario'),
		'source.type': select('source.type', SOURCES, 'source.'), 'source.description': area('source.description'),
		'source.agreement_end': h('input', { type: 'date', value: dig(doc, 'source.agreement_end') ?? '' }),
		'scale.records': num('scale.records'), 'scale.bytes': num('scale.bytes'),
		structure: text('structure', { maxlength: 100 }), update_frequency: text('update_frequency', { maxlength: 100 }),
		processing_rules: area('processing_rules', 5),
		'applicant.name': text('applicant.name', { maxlength: 200, autocomplete: 'organization' }),
		'applicant.type': select('applicant.type', TYPES, 'holder.'),
		'applicant.id': text('applicant.id', { maxlength: 18, class: 'mono', autocapitalize: 'characters', spellcheck: 'false' }),
		'applicant.contact.person': text('applicant.contact.person', { autocomplete: 'name' }),
		'applicant.contact.phone': text('applicant.contact.phone', { type: 'tel', autocomplete: 'tel' }),
		'applicant.contact.email': text('applicant.contact.email', { type: 'email', autocomplete: 'email' }),
		'applicant.contact.address': text('applicant.contact.address', { autocomplete: 'street-address' }),
	};
	const commit = h('input', { type: 'checkbox', checked: doc.legality_commitment === true });
	const disclosure = Object.fromEntries(MARKABLE.map((k) => [k, h('select', {},
		['', 'public', 'confidential'].map((v) => h('option', { value: v, selected: (doc.disclosure?.[k] ?? '') === v }, v ? t('disclosure.' + v) : t('disclosure.default'))))]));

	// evidence receipts (.tlog-proof files) and the sample proof
	const rlist = h('ul', { class: 'receipts', 'aria-live': 'polite' });
	const showReceipts = () => rlist.replaceChildren(...(receipts.length ? receipts.map((r, i) => h('li', {},
		h('span', { class: 'mono' }, receiptSummary(r)), ' ',
		h('button', { type: 'button', class: 'btn btn-small', onclick: () => { receipts.splice(i, 1); showReceipts(); } }, t('apply.remove')))) : [h('li', { class: 'empty' }, t('apply.noReceipts'))]));
	showReceipts();
	const rfile = h('input', { type: 'file', accept: '.tlog-proof,text/plain', multiple: true });
	rfile.addEventListener('change', async () => {
		for (const f of rfile.files) receipts.push(await f.text());
		rfile.value = '';
		showReceipts();
	});
	const sinfo = h('p', { class: 'hint', 'aria-live': 'polite' });
	const showSample = () => add(clear(sinfo), sample ? t('apply.sampleLoaded', { n: sample.samples?.length ?? 0 }) : t('apply.noSample'), ' ',
		sample ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => { sample = null; showSample(); } }, t('apply.remove')) : null);
	showSample();
	const sfile = h('input', { type: 'file', accept: '.json,application/json' });
	const msg = messageBox();
	sfile.addEventListener('change', async () => {
		const f = sfile.files[0];
		if (!f) return;
		try {
			sample = JSON.parse(await f.text());
		} catch {
			msg.bad(t('apply.sampleBad'));
		}
		sfile.value = '';
		showSample();
	});

	const F = (path, key, hint) => field(fid(path), t(key), controls[path], hint);
	const readDoc = () => {
		const d = {};
		for (const [path, el] of Object.entries(controls)) {
			const v = el.value.trim();
			if (v === '') continue;
			setIn(d, path, el.type === 'number' ? (Number.isInteger(Number(v)) ? Number(v) : v) : v);
		}
		if (receipts.length) d.evidence = receipts;
		if (sample) d.sample = sample;
		if (commit.checked) d.legality_commitment = true;
		else if (doc.legality_commitment !== undefined) d.legality_commitment = false;
		for (const [k, el] of Object.entries(disclosure)) if (el.value) setIn(d, 'disclosure', { ...d.disclosure, [k]: el.value });
		return d;
	};
	const save = h('button', { type: 'button', class: 'btn' }, t('apply.save'));
	const submit = h('button', { type: 'button', class: 'btn btn-primary' }, mode === 'correction' ? t('apply.answerCorrection') : t('apply.submit'));
	const form = h('form', { class: 'form app-form', novalidate: true },
		h('fieldset', {}, h('legend', {}, t('apply.sectionData')),
			F('data_name', 'f.data_name'), F('industry', 'f.industry'), F('scenario', 'f.scenario'),
			h('div', { class: 'grid2' }, F('scale.records', 'f.scale.records'), F('scale.bytes', 'f.scale.bytes')),
			F('structure', 'f.structure', t('apply.structureHint')), F('update_frequency', 'f.update_frequency', t('apply.frequencyHint')),
			F('processing_rules', 'f.processing_rules')),
		h('fieldset', {}, h('legend', {}, t('apply.sectionSource')),
			F('source.type', 'f.source.type'), F('source.description', 'f.source.description'),
			F('source.agreement_end', 'f.source.agreement_end', t('apply.agreementHint'))),
		h('fieldset', {}, h('legend', {}, t('apply.sectionEvidence')),
			h('p', { class: 'hint' }, t('apply.evidenceHint')),
			rlist, field(fid('evidence'), t('apply.addReceipts'), rfile),
			field(fid('sample'), t('f.sample'), sfile, t('apply.sampleHint')), sinfo),
		h('fieldset', {}, h('legend', {}, t('apply.sectionApplicant')),
			F('applicant.name', 'f.applicant.name'), F('applicant.type', 'f.applicant.type'),
			F('applicant.id', 'f.applicant.id', t('apply.idHint')),
			h('div', { class: 'grid2' }, F('applicant.contact.person', 'f.contact.person'), F('applicant.contact.phone', 'f.contact.phone'),
				F('applicant.contact.email', 'f.contact.email'), F('applicant.contact.address', 'f.contact.address'))),
		h('fieldset', {}, h('legend', {}, t('apply.sectionDisclosure')),
			h('p', { class: 'hint' }, t('apply.disclosureHint')),
			h('div', { class: 'grid2' }, MARKABLE.map((k) => field(fid('disclosure.' + k), t('f.' + k), disclosure[k])))),
		h('div', { class: 'field check-field' }, commit, h('label', { for: fid('legality_commitment') }, t('apply.commitment'))),
		h('div', { class: 'buttons sticky' }, mode === 'correction' ? null : save, submit), msg);
	commit.id = fid('legality_commitment');
	const act = (btn, fn) => btn.addEventListener('click', () => busy(btn, async () => {
		msg.clear();
		try {
			await fn(readDoc(), msg);
		} catch (err) {
			msg.bad(err.message);
			markField(form, err.message);
		}
	}));
	act(save, onSave);
	act(submit, onSubmit);
	form.addEventListener('submit', (e) => e.preventDefault());
	return form;
}

// /apply/new: a new draft; saved with POST, then it has an id.
export async function edit(view, { me, go }) {
	if (!need(view, me, 'applicant')) return;
	let id = null;
	const saveDoc = async (doc) => {
		if (id === null) {
			const r = await post('/applications', doc);
			id = r.id;
			history.replaceState(null, '', `/apply/${id}`);
		} else await put(`/applications/${id}`, { application: doc });
	};
	add(view, h('p', { class: 'crumb' }, h('a', { href: '/apply' }, t('nav.apply')), ' / ', t('apply.new')),
		h('h1', {}, t('apply.newTitle')), h('p', { class: 'lead' }, t('apply.formLead')),
		applicationForm({}, {
			mode: 'draft',
			onSave: async (doc, msg) => { await saveDoc(doc); msg.ok(t('apply.saved', { id })); },
			onSubmit: async (doc) => { await saveDoc(doc); await post(`/applications/${id}/submit`); go(`/apply/${id}`, true); },
		}));
}

// ---- one application ----

export async function view(view, { args, me, go }) {
	if (!need(view, me, 'applicant')) return;
	const id = args[0];
	const [a, day] = await Promise.all([get(`/applications/${id}`), today()]);
	const rerender = () => go(`/apply/${id}`, true);
	add(view, h('p', { class: 'crumb' }, h('a', { href: '/apply' }, t('nav.apply')), ' / #' + id),
		h('h1', {}, a.application?.data_name || t('apply.untitled')),
		h('p', { class: 'status-line' }, t('f.state'), ' ', badge(a.state), a.record?.pledged ? [' ', badge('pledged')] : null,
			a.record?.overdue ? [' ', badge('revoked', t('due.overdueFlag'))] : null));
	const info = [[t('f.app'), '#' + a.id], [t('f.regno'), a.regno && h('a', { href: `/r/${a.regno}`, class: 'mono' }, a.regno)],
		[t('f.certno'), a.certno && h('span', { class: 'mono' }, a.certno)], ...deadlines(a.record, a.state, day)];
	add(view, h('section', { class: 'card' }, fields(info)));
	if (a.correction && a.state === 'correction_requested')
		add(view, h('div', { class: 'alert alert-warn' }, h('strong', {}, t('apply.correctionAsked')), ' ', a.correction.reasons,
			h('br'), t('apply.correctionDue', { due: a.correction.due })));
	if (a.refusal) add(view, h('div', { class: 'alert alert-bad' }, h('strong', {}, t('apply.refused')), ' ', a.refusal.reasons));
	if (a.revocation) add(view, h('div', { class: 'alert alert-bad' }, h('strong', {}, t('apply.revoked')), ' ', a.revocation.reasons));

	const msg = messageBox();
	if (a.state === 'draft' || a.state === 'correction_requested') {
		const correction = a.state === 'correction_requested';
		add(view, h('h2', {}, correction ? t('apply.correctionTitle') : t('apply.editTitle')), applicationForm(a.application, {
			mode: correction ? 'correction' : 'draft',
			onSave: async (doc, m) => { await put(`/applications/${id}`, { application: doc }); m.ok(t('apply.saved', { id })); },
			onSubmit: async (doc) => {
				if (correction) await post(`/applications/${id}/correction`, { application: doc });
				else {
					await put(`/applications/${id}`, { application: doc });
					await post(`/applications/${id}/submit`);
				}
				rerender();
			},
		}));
	} else {
		add(view, h('section', { class: 'card' }, h('h2', {}, t('apply.content')), fullFields(a.application || {})));
	}
	if (['draft', 'submitted', 'correction_requested', 'notice', 'suspended'].includes(a.state)) {
		const btn = h('button', { type: 'button', class: 'btn btn-danger' }, t('apply.withdraw'));
		const sure = h('input', { type: 'checkbox', id: 'withdraw-sure' });
		btn.addEventListener('click', () => busy(btn, async () => {
			if (!sure.checked) return msg.bad(t('apply.confirmFirst'));
			try {
				await post(`/applications/${id}/withdraw`);
				rerender();
			} catch (e) { msg.bad(e.message); }
		}));
		add(view, h('section', { class: 'card' }, h('h2', {}, t('apply.withdrawTitle')),
			h('div', { class: 'field check-field' }, sure, h('label', { for: 'withdraw-sure' }, t('apply.withdrawSure'))),
			h('div', { class: 'buttons' }, btn), msg));
	}
	if (a.objections?.length) add(view, objectionList(a.objections));
	if (a.regno) add(view, await lifecycle(a, rerender));
	if (a.events?.length) add(view, h('section', { class: 'card' }, h('h2', {}, t('record.history')),
		h('ol', { class: 'events' }, a.events.map((e) => h('li', {}, h('span', { class: 'mono' }, `#${e.index}`), ' ', eventText(e.event),
			e.body?.date ? ` · ${e.body.date}` : '')))));
}

export function objectionList(list) {
	return h('section', { class: 'card' }, h('h2', {}, t('objection.listTitle')), h('ul', { class: 'plain' }, list.map((o) => {
		const d = o.data?.decision;
		return h('li', { class: 'objection' }, h('strong', {}, `${t('objection.number')} #${o.id}`), ' ', badge(o.state, t('objstate.' + o.state)),
			h('p', {}, o.data?.reasons), d ? h('p', { class: 'hint' }, `${t('objection.decision')}: ${t('objstate.' + d.outcome)} (${d.date}) ${d.reasons}`) : null);
	})));
}

// Certificates and the lifecycle requests of a registered application.
async function lifecycle(a, rerender) {
	const sec = h('section', { class: 'card' }, h('h2', {}, t('apply.certificates')));
	add(sec, h('ul', { class: 'plain' }, (a.certificates || []).map((c) => h('li', {},
		h('span', { class: 'mono' }, c.certno), ` · ${t('f.version')} ${c.version} `,
		h('a', { href: `/api/v1/certificates/${c.certno}`, download: `${c.certno}.json`, class: 'btn btn-small' }, t('record.download')), ' ',
		h('a', { href: `/verify?certno=${c.certno}`, class: 'btn btn-small' }, t('record.verify'))))));
	if (a.state !== 'registered') return sec;
	const regno = a.regno;
	const pledged = a.record?.pledged;
	const action = (key, inputs, build, opts = {}) => {
		const msg = messageBox();
		const btn = h('button', { type: 'submit', class: ['btn', opts.danger ? 'btn-danger' : 'btn-primary'] }, t(`life.${key}.button`));
		const form = h('form', { class: 'form life', novalidate: true }, h('h3', {}, t(`life.${key}.title`)),
			opts.hint ? h('p', { class: 'hint' }, opts.hint) : null, inputs, h('div', { class: 'buttons' }, btn), msg);
		form.addEventListener('submit', (e) => {
			e.preventDefault();
			busy(btn, async () => {
				try {
					const body = build();
					if (body === null) return msg.bad(t('apply.confirmFirst'));
					const r = await post(`/registrations/${regno}/${opts.path || key}`, body);
					msg.ok(t('life.done') + (r.certno && r.certno !== a.certno ? ' ' + t('life.newCert', { certno: r.certno }) : ''));
					setTimeout(rerender, 1200);
				} catch (err) {
					msg.bad(err.message);
				}
			});
		});
		return form;
	};
	const inp = (id, label, attrs = {}) => { const el = h('input', { type: 'text', ...attrs }); return [field(id, label, el), el]; };
	const [fl, licensee] = inp('lic-licensee', t('license.licensee'));
	const [fs, scope] = inp('lic-scope', t('license.scope'));
	const [fst, start] = inp('lic-start', t('license.start'), { type: 'date' });
	const [fen, end] = inp('lic-end', t('license.end'), { type: 'date' });
	const excl = h('input', { type: 'checkbox', id: 'lic-exclusive' });
	const [fp, pledgee] = inp('pl-pledgee', t('pledge.pledgee'));
	const [fa, amount] = inp('pl-amount', t('pledge.amount'), { type: 'number', min: 1, step: 1 });
	const [fpe, pend] = inp('pl-end', t('pledge.end'), { type: 'date' });
	const [fr, agr] = inp('rn-agreement', t('f.source.agreement_end'), { type: 'date' });
	const sure = h('input', { type: 'checkbox', id: 'cancel-sure' });
	add(sec, h('h2', {}, t('apply.lifecycle')), h('div', { class: 'grid2' },
		action('license', [fl, fs, h('div', { class: 'grid2' }, fst, fen), h('div', { class: 'field check-field' }, excl, h('label', { for: 'lic-exclusive' }, t('license.exclusive')))],
			() => ({ licensee: licensee.value.trim(), scope: scope.value.trim(), start: start.value, end: end.value, ...(excl.checked ? { exclusive: true } : {}) })),
		pledged ? action('release', [], () => ({}), { path: 'release-pledge', hint: t('life.release.hint') })
			: action('pledge', [fp, fa, fpe], () => ({ pledgee: pledgee.value.trim(), amount: Number(amount.value), end: pend.value })),
		action('renew', [fr], () => (agr.value ? { agreement_end: agr.value } : {}), { hint: t('life.renew.hint', { until: a.record?.valid_until }) }),
		action('cancel', [h('div', { class: 'field check-field' }, sure, h('label', { for: 'cancel-sure' }, t('life.cancel.sure')))],
			() => (sure.checked ? {} : null), { danger: true, hint: pledged ? t('life.cancel.pledged') : t('life.cancel.hint') })));
	return sec;
}
