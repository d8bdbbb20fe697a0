// public.js: the pages anyone may read: home, search, the public record,
// notices with the objection form, the log.  Only public API answers are
// shown here (the API never returns confidential fields to the public).

import { h, add, fmtTime } from '../dom.js';
import { t } from '../i18n.js';
import { get, post, getText, getJson, ApiError } from '../api.js';
import { b64encode, utf8, hex } from '../bytes.js';
import { sm3 } from '../sm3.js';
import { loadLog, splitNote, parseCheckpoint, checkSigs, checkProof, entryJson } from '../tlog.js';
import { badge, eventText, fields, publicFields, messageBox, field, busy } from './common.js';

function searchForm(q = '') {
	const input = h('input', { type: 'search', name: 'q', value: q, autocomplete: 'off', placeholder: t('search.placeholder') });
	return h('form', { class: 'search', role: 'search', action: '/search', method: 'get' },
		field('q', t('search.label'), input),
		h('button', { type: 'submit', class: 'btn btn-primary' }, t('search.button')));
}

// Search forms navigate without a page load.
function hookSearch(form, go) {
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		const q = form.q.value.trim();
		go('/search' + (q ? '?q=' + encodeURIComponent(q) : ''));
	});
	return form;
}

function noticeTable(list) {
	if (list.length === 0) return h('p', { class: 'empty' }, t('notices.none'));
	return h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
		h('thead', {}, h('tr', {}, [t('notices.app'), t('f.data_name'), t('f.holder'), t('f.industry'), t('notices.period'), t('f.state')]
			.map((x) => h('th', { scope: 'col' }, x)))),
		h('tbody', {}, list.map((n) => h('tr', {},
			h('td', { 'data-label': t('notices.app') }, h('a', { href: `/notice/${n.application}` }, `#${n.application}`)),
			h('td', { 'data-label': t('f.data_name') }, h('a', { href: `/notice/${n.application}` }, n.public.data_name)),
			h('td', { 'data-label': t('f.holder') }, n.public.applicant?.name),
			h('td', { 'data-label': t('f.industry') }, n.public.industry),
			h('td', { 'data-label': t('notices.period') }, `${n.notice_start} — ${n.notice_end}`),
			h('td', { 'data-label': t('f.state') }, badge(n.state)))))));
}

async function checkpointSummary() {
	const text = await getText('/checkpoint');
	const cp = parseCheckpoint(splitNote(text).text);
	return { text, cp };
}

export async function home(view, { go }) {
	const [notices, cp] = await Promise.all([get('/notices'), checkpointSummary().catch(() => null)]);
	add(view, 
		h('section', { class: 'hero' },
			h('h1', {}, t('home.title')),
			h('p', { class: 'lead' }, t('home.lead')),
			hookSearch(searchForm(), go)),
		h('section', { class: 'card' },
			h('h2', {}, t('home.notices')),
			h('p', { class: 'hint' }, t('home.noticesHint')),
			noticeTable(notices.notices.slice(0, 10)),
			notices.notices.length > 10 ? h('p', {}, h('a', { href: '/notices' }, t('home.allNotices'))) : null),
		h('div', { class: 'grid2' },
			h('section', { class: 'card' },
				h('h2', {}, t('home.howVerify')),
				h('ol', { class: 'steps' }, [1, 2, 3, 4].map((i) => h('li', {}, t('home.verifyStep' + i)))),
				h('p', {}, h('a', { href: '/verify', class: 'btn btn-primary' }, t('home.verifyButton'))),
				h('p', { class: 'hint' }, t('home.verifyCli'), ' ', h('code', {}, 'dipr verify cert.json --server URL'))),
			h('section', { class: 'card' },
				h('h2', {}, t('home.log')),
				cp ? fields([[t('log.origin'), cp.cp.origin], [t('log.size'), String(cp.cp.size)],
					[t('log.root'), h('code', { class: 'mono' }, hex(cp.cp.root).slice(0, 32) + '…')]]) : h('p', {}, t('error.network')),
				h('p', {}, h('a', { href: '/log' }, t('home.logMore'))))));
}

export async function search(view, { q, go }) {
	const query = (q.get('q') || '').trim();
	add(view, h('h1', {}, t('search.title')), hookSearch(searchForm(query), go));
	if (!query) {
		add(view, h('p', { class: 'hint' }, t('search.hint')));
		return;
	}
	const r = await get('/registrations?q=' + encodeURIComponent(query));
	const list = r.registrations;
	add(view, h('h2', { id: 'results' }, t('search.results', { n: list.length, q: query })));
	if (list.length === 0) {
		add(view, h('p', { class: 'empty' }, t('search.none')));
		return;
	}
	add(view, h('div', { class: 'table-wrap' }, h('table', { class: 'list', 'aria-describedby': 'results' },
		h('thead', {}, h('tr', {}, [t('f.regno'), t('f.data_name'), t('f.holder'), t('f.certno'), t('f.state')].map((x) => h('th', { scope: 'col' }, x)))),
		h('tbody', {}, list.map((x) => h('tr', {},
			h('td', { 'data-label': t('f.regno') }, h('a', { href: `/r/${x.regno}`, class: 'mono' }, x.regno)),
			h('td', { 'data-label': t('f.data_name') }, h('a', { href: `/r/${x.regno}` }, x.data_name)),
			h('td', { 'data-label': t('f.holder') }, x.holder),
			h('td', { 'data-label': t('f.certno'), class: 'mono' }, x.certno),
			h('td', { 'data-label': t('f.state') }, badge(x.state))))))));
}

// The registration's history: each event's proof is checked here against
// the log's keys, and the chain of prev links followed.
async function checkHistory(rec, marks) {
	let log;
	try {
		log = await loadLog(getJson);
	} catch {
		return;
	}
	let prev = undefined;
	for (const [i, ev] of rec.history.entries()) {
		let ok = false;
		try {
			const p = await checkProof(ev.tlog_proof, log);
			const e = entryJson(p.entry);
			ok = !p.inclusion && p.cpSigs.every((s) => s.ok !== false) && p.cpSigs.some((s) => s.ok) &&
				p.index === BigInt(ev.index) && e.event === ev.event && e.prev === prev;
		} catch { /* not ok */ }
		prev = ev.index;
		marks[i].replaceChildren(ok ? badge('valid', t('record.proofOk')) : badge('revoked', t('record.proofBad')));
	}
}

export async function record(view, { args }) {
	const regno = args[0];
	const rec = await get('/registrations/' + regno);
	const p = rec.public || {};
	const certLink = (c) => [h('a', { href: `/api/v1/certificates/${c}`, download: `${c}.json`, class: 'btn btn-small' }, t('record.download')), ' ',
		h('a', { href: `/api/v1/certificates/${c}.pdf`, download: `${c}.pdf`, class: 'btn btn-small' }, t('record.pdf'))];
	const marks = rec.history.map(() => h('span', { class: 'proof-mark' }, t('record.proofChecking')));
	add(view, 
		h('p', { class: 'crumb' }, h('a', { href: '/search' }, t('nav.search')), ' / ', regno),
		h('h1', {}, p.data_name || regno),
		h('p', { class: 'status-line' }, t('record.status'), ' ', badge(rec.status === 'pledged' ? 'valid' : rec.status),
			rec.status === 'pledged' ? [' ', badge('pledged')] : null),
		h('section', { class: 'card' },
			h('h2', {}, t('record.registration')),
			fields([
				[t('f.regno'), h('span', { class: 'mono' }, rec.regno)],
				[t('f.certno'), rec.certno && h('span', { class: 'mono' }, rec.certno)],
				[t('f.registered'), rec.registered],
				[t('f.valid_until'), rec.valid_until],
				[t('f.version'), rec.version],
			]),
			h('h3', {}, t('record.public')),
			publicFields(p)),
		h('section', { class: 'card' },
			h('h2', {}, t('record.pledge')),
			rec.pledge ? fields([[t('pledge.pledgee'), rec.pledge.pledgee], [t('pledge.since'), rec.pledge.since], [t('pledge.end'), rec.pledge.end]])
				: h('p', { class: 'empty' }, t('record.noPledge')),
			h('h2', {}, t('record.licenses')),
			rec.licenses.length === 0 ? h('p', { class: 'empty' }, t('record.noLicenses')) :
				h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
					h('thead', {}, h('tr', {}, [t('license.licensee'), t('license.start'), t('license.end'), t('license.recorded')].map((x) => h('th', { scope: 'col' }, x)))),
					h('tbody', {}, rec.licenses.map((l) => h('tr', {},
						h('td', { 'data-label': t('license.licensee') }, l.licensee), h('td', { 'data-label': t('license.start') }, l.start),
						h('td', { 'data-label': t('license.end') }, l.end), h('td', { 'data-label': t('license.recorded') }, l.recorded))))))),
		h('section', { class: 'card' },
			h('h2', {}, t('record.certificates')),
			h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
				h('thead', {}, h('tr', {}, [t('f.certno'), t('f.version'), t('f.state'), t('record.logIndex'), ''].map((x) => h('th', { scope: 'col' }, x)))),
				h('tbody', {}, rec.certificates.map((c) => h('tr', {},
					h('td', { 'data-label': t('f.certno'), class: 'mono' }, c.certno),
					h('td', { 'data-label': t('f.version') }, c.version),
					h('td', { 'data-label': t('f.state') }, badge(c.status, t('cert.' + c.status))),
					h('td', { 'data-label': t('record.logIndex') }, c.index),
					h('td', { class: 'actions' }, certLink(c.certno), ' ',
						h('a', { href: `/verify?certno=${c.certno}`, class: 'btn btn-small' }, t('record.verify'))))))))),
		h('section', { class: 'card' },
			h('h2', {}, t('record.history')),
			h('p', { class: 'hint' }, t('record.historyHint')),
			h('div', { class: 'table-wrap' }, h('table', { class: 'list history' },
				h('thead', {}, h('tr', {}, [t('record.logIndex'), t('record.event'), t('record.time'), t('record.proof')].map((x) => h('th', { scope: 'col' }, x)))),
				h('tbody', {}, rec.history.map((ev, i) => h('tr', {},
					h('td', { 'data-label': t('record.logIndex'), class: 'mono' }, ev.index),
					h('td', { 'data-label': t('record.event') }, eventText(ev.event)),
					h('td', { 'data-label': t('record.time') }, fmtTime(ev.entry?.time)),
					h('td', { 'data-label': t('record.proof') }, marks[i], ' ',
						h('details', { class: 'proof' }, h('summary', {}, t('record.showProof')), h('pre', { class: 'mono box' }, ev.tlog_proof)))))))),
			h('details', { class: 'proof' }, h('summary', {}, t('record.checkpoint')), h('pre', { class: 'mono box' }, rec.checkpoint))));
	checkHistory(rec, marks);
}

export async function notices(view) {
	const r = await get('/notices');
	add(view, h('h1', {}, t('notices.title')), h('p', { class: 'lead' }, t('notices.lead')), noticeTable(r.notices),
		h('p', {}, h('a', { href: '/objection' }, t('objection.lookupLink'))));
}

export async function notice(view, { args }) {
	const id = Number(args[0]);
	const r = await get('/notices');
	const n = r.notices.find((x) => x.application === id);
	add(view, h('p', { class: 'crumb' }, h('a', { href: '/notices' }, t('nav.notices')), ' / #' + id));
	if (!n) {
		add(view, h('h1', {}, t('notice.gone')), h('p', {}, t('notice.goneHint')));
		return;
	}
	add(view, 
		h('h1', {}, n.public.data_name),
		h('p', { class: 'status-line' }, badge(n.state), ' ', t('notice.period', { start: n.notice_start, end: n.notice_end })),
		n.state === 'suspended' ? h('p', { class: 'alert alert-warn' }, t('notice.suspended')) : null,
		h('section', { class: 'card' }, h('h2', {}, t('record.public')), publicFields(n.public)),
		objectionForm(id));
}

function objectionForm(app) {
	const reasons = h('textarea', { name: 'reasons', rows: 5, required: true, maxlength: 5000 });
	const contact = h('input', { type: 'text', name: 'contact', autocomplete: 'email', maxlength: 200 });
	const files = h('input', { type: 'file', name: 'attachments', multiple: true });
	const msg = messageBox();
	const btn = h('button', { type: 'submit', class: 'btn btn-primary' }, t('objection.submit'));
	const form = h('form', { class: 'card form', novalidate: true },
		h('h2', {}, t('objection.title')),
		h('p', { class: 'hint' }, t('objection.hint')),
		field('obj-reasons', t('objection.reasons'), reasons),
		field('obj-contact', t('objection.contact'), contact, t('objection.contactHint')),
		field('obj-files', t('objection.attachments'), files, t('objection.attachmentsHint')),
		h('div', { class: 'buttons' }, btn), msg);
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		if (!reasons.value.trim()) {
			msg.bad(t('objection.needReasons'));
			reasons.setAttribute('aria-invalid', 'true');
			reasons.focus();
			return;
		}
		reasons.removeAttribute('aria-invalid');
		busy(btn, async () => {
			try {
				const body = { application: app, reasons: reasons.value.trim() };
				if (contact.value.trim()) body.contact = contact.value.trim();
				if (files.files.length) {
					body.attachments = [];
					for (const f of files.files) body.attachments.push({ name: f.name, sm3: hex(sm3(new Uint8Array(await f.arrayBuffer()))) });
				}
				const r = await post('/objections', body);
				msg.ok(t('objection.filed', { id: r.objection }), h('br'), t('objection.key'), ' ',
					h('code', { class: 'mono key', 'data-key': r.key }, r.key), h('br'), t('objection.keyHint'), ' ',
					h('a', { href: '/objection' }, t('objection.lookupLink')));
				form.reset();
			} catch (err) {
				msg.bad(err.message);
			}
		});
	});
	return form;
}

// The objector reads the decision with the objection number and key.
export async function objectionLookup(view) {
	const id = h('input', { type: 'text', inputmode: 'numeric', name: 'id', required: true });
	const key = h('input', { type: 'text', name: 'key', required: true, autocomplete: 'off', class: 'mono' });
	const out = h('div', { 'aria-live': 'polite' });
	const btn = h('button', { type: 'submit', class: 'btn btn-primary' }, t('objection.lookup'));
	const form = h('form', { class: 'card form' }, field('ol-id', t('objection.number'), id), field('ol-key', t('objection.key'), key),
		h('div', { class: 'buttons' }, btn));
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		busy(btn, async () => {
			out.replaceChildren();
			try {
				const o = await get(`/objections/${encodeURIComponent(id.value.trim())}?key=${encodeURIComponent(key.value.trim())}`);
				const d = o.data?.decision;
				add(out, h('section', { class: 'card' }, h('h2', {}, t('objection.number') + ' #' + o.id),
					fields([[t('f.state'), badge(o.state, t('objstate.' + o.state))], [t('notices.app'), '#' + o.app],
						[t('objection.reasons'), o.data?.reasons], [t('objection.decision'), d ? `${t('objstate.' + d.outcome)} (${d.date}): ${d.reasons}` : t('objection.pending')]])));
			} catch (err) {
				add(out, h('p', { class: 'alert alert-bad', role: 'alert' }, err instanceof ApiError && err.status === 404 ? t('objection.notFound') : err.message));
			}
		});
	});
	add(view, h('h1', {}, t('objection.lookupTitle')), form, out);
}

export async function log(view) {
	const [info, text] = await Promise.all([getJson('/log.json'), getText('/checkpoint')]);
	const note = splitNote(text), cp = parseCheckpoint(note.text);
	const verdict = h('span', {}, t('record.proofChecking'));
	add(view, h('h1', {}, t('log.title')), h('p', { class: 'lead' }, t('log.lead')),
		h('section', { class: 'card' }, fields([
			[t('log.origin'), info.origin], [t('log.treeHash'), info.tree_hash], [t('log.size'), String(cp.size)],
			[t('log.root'), h('code', { class: 'mono wrap' }, b64encode(cp.root))], [t('log.signature'), verdict],
			[t('log.version'), info.version]]),
		h('h2', {}, t('log.checkpoint')), h('pre', { class: 'mono box' }, text),
		h('h2', {}, t('log.vkeys')), h('pre', { class: 'mono box' }, info.vkeys.join('\n')),
		h('p', { class: 'hint' }, t('log.tiles'))));
	try {
		const l = await loadLog(async () => info);
		const sigs = await checkSigs(note.lines, utf8(note.text), l.vkeys);
		const ok = cp.origin === l.origin && sigs.every((s) => s.ok !== false) && sigs.some((s) => s.ok);
		verdict.replaceChildren(ok ? badge('valid', t('log.sigOk')) : badge('revoked', t('log.sigBad')));
	} catch {
		verdict.replaceChildren(badge('revoked', t('log.sigBad')));
	}
}
