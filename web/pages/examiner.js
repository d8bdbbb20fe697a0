// The examiner's pages: the review queue with deadlines, an application
// with its confidential fields, decisions, and objections.

import { h, add, fmtTime } from '../dom.js';
import { t } from '../i18n.js';
import { get, post, today } from '../api.js';
import { need } from './account.js';
import { badge, fields, fullFields, deadlines, deadline, messageBox, field, busy, eventText } from './common.js';
import { objectionList } from './applicant.js';

const TABS = [['submitted', 'review.tabQueue'], ['correction_requested', 'review.tabCorrection'], ['notice,suspended', 'review.tabNotice'],
	['registered', 'review.tabRegistered'], ['', 'review.tabAll']];

export async function queue(view, { me, q }) {
	if (!need(view, me, 'examiner')) return;
	const state = q.has('state') ? q.get('state') : 'submitted';
	const [r, objs, day] = await Promise.all([get('/applications' + (state ? '?state=' + encodeURIComponent(state) : '')),
		get('/objections?state=open'), today()]);
	// The list has no deadlines; each record has them (the queue is short).
	const details = await Promise.all(r.applications.slice(0, 100).map((a) => get(`/applications/${a.id}`).catch(() => null)));
	add(view, h('h1', {}, t('review.title')),
		h('nav', { class: 'tabs', 'aria-label': t('review.tabs') }, TABS.map(([s, key]) =>
			h('a', { href: '/review?state=' + encodeURIComponent(s), 'aria-current': s === state ? 'page' : null }, t(key)))),
		h('p', { class: 'hint' }, t('review.today', { today: day })));
	if (objs.objections.length) add(view, h('section', { class: 'card attention-card' }, h('h2', {}, t('review.openObjections', { n: objs.objections.length })),
		h('ul', { class: 'plain' }, objs.objections.map((o) => h('li', {}, h('a', { href: `/review/${o.app}#objections` }, `${t('objection.number')} #${o.id} · ${t('f.app')} #${o.app}`),
			' · ', o.data?.reasons)))));
	if (r.applications.length === 0) {
		add(view, h('p', { class: 'empty' }, t('review.empty')));
		return;
	}
	add(view, h('div', { class: 'table-wrap' }, h('table', { class: 'list queue' },
		h('thead', {}, h('tr', {}, [t('f.app'), t('f.data_name'), t('f.holder'), t('f.state'), t('review.deadline'), t('f.updated')].map((x) => h('th', { scope: 'col' }, x)))),
		h('tbody', {}, r.applications.map((a, i) => {
			const d = details[i];
			const dl = d ? deadlines(d.record, d.state, day).filter((x) => x[1] instanceof Node && x[1].classList.contains('due')) : [];
			const over = d?.record?.overdue || dl.some((x) => x[1].classList.contains('due-over'));
			return h('tr', { class: over ? 'overdue' : null },
				h('td', { 'data-label': t('f.app') }, h('a', { href: `/review/${a.id}` }, '#' + a.id)),
				h('td', { 'data-label': t('f.data_name') }, h('a', { href: `/review/${a.id}` }, a.data_name || t('apply.untitled'))),
				h('td', { 'data-label': t('f.holder') }, a.holder_name),
				h('td', { 'data-label': t('f.state') }, badge(a.state), over ? [' ', badge('revoked', t('due.overdueFlag'))] : null),
				h('td', { 'data-label': t('review.deadline') }, dl.map((x) => h('div', {}, x[0], ': ', x[1]))),
				h('td', { 'data-label': t('f.updated') }, fmtTime(a.updated)));
		})))));
}

function decision(key, path, needReasons, after, opts = {}) {
	const msg = messageBox();
	const reasons = needReasons ? h('textarea', { rows: 3, maxlength: 5000 }) : null;
	const btn = h('button', { type: 'submit', class: ['btn', opts.danger ? 'btn-danger' : 'btn-primary'] }, t(`decide.${key}`));
	const form = h('form', { class: 'form decide', novalidate: true }, h('h3', {}, t(`decide.${key}Title`)),
		reasons ? field(`${key}-reasons-${opts.suffix ?? ''}`, t('decide.reasons'), reasons) : h('p', { class: 'hint' }, t(`decide.${key}Hint`)),
		h('div', { class: 'buttons' }, btn), msg);
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		if (reasons && !reasons.value.trim()) {
			reasons.setAttribute('aria-invalid', 'true');
			reasons.focus();
			return msg.bad(t('decide.needReasons'));
		}
		busy(btn, async () => {
			try {
				await post(path, reasons ? { reasons: reasons.value.trim() } : {});
				msg.ok(t('life.done'));
				setTimeout(after, 800);
			} catch (err) {
				msg.bad(err.message);
			}
		});
	});
	return form;
}

export async function view(view, { args, me, go }) {
	if (!need(view, me, 'examiner')) return;
	const id = args[0];
	const [a, day] = await Promise.all([get(`/applications/${id}`), today()]);
	const again = () => go(`/review/${id}`, true);
	add(view, h('p', { class: 'crumb' }, h('a', { href: '/review' }, t('nav.review')), ' / #' + id),
		h('h1', {}, a.application?.data_name || t('apply.untitled')),
		h('p', { class: 'status-line' }, t('f.state'), ' ', badge(a.state),
			a.record?.overdue ? [' ', badge('revoked', t('due.overdueFlag'))] : null),
		a.record?.overdue ? h('p', { class: 'alert alert-bad' }, t('review.overdue')) : null,
		h('section', { class: 'card' }, fields([
			[t('f.app'), '#' + a.id], [t('review.owner'), a.owner], [t('f.regno'), a.regno && h('a', { href: `/r/${a.regno}`, class: 'mono' }, a.regno)],
			[t('f.certno'), a.certno], [t('review.submitted'), a.record?.submitted_on], ...deadlines(a.record, a.state, day),
			a.state === 'notice' ? deadline(t('due.objection'), a.record?.objection_due, day) : null])));
	if (a.correction) add(view, h('p', { class: 'alert alert-warn' }, t('review.correctionAsked', { date: a.correction.date, due: a.correction.due }), ' ', a.correction.reasons));
	if (a.refusal) add(view, h('p', { class: 'alert alert-bad' }, t('apply.refused'), ' ', a.refusal.reasons));
	add(view, h('section', { class: 'card' }, h('h2', {}, t('review.content')), h('p', { class: 'hint' }, t('review.confidentialHint')), fullFields(a.application || {})));
	if (a.evidence?.length) add(view, h('section', { class: 'card' }, h('h2', {}, t('review.evidence')),
		h('ul', { class: 'plain' }, a.evidence.map((e) => h('li', { class: 'mono' }, `#${e.index} ` + Object.entries(e.digests || {}).map(([k, v]) => `${k.toUpperCase()} ${v}`).join(' '))))));
	if (a.state === 'submitted') add(view, h('section', { class: 'card' }, h('h2', {}, t('review.decide')), h('div', { class: 'grid3' },
		decision('accept', `/applications/${id}/accept`, false, again),
		decision('correction', `/applications/${id}/request-correction`, true, again),
		decision('refuse', `/applications/${id}/refuse`, true, again, { danger: true }))));
	if (a.state === 'registered' && a.regno) add(view, h('section', { class: 'card' }, h('h2', {}, t('review.revokeTitle')),
		decision('revoke', `/registrations/${a.regno}/revoke`, true, again, { danger: true })));
	if (a.objections?.length) {
		const sec = objectionList(a.objections);
		sec.id = 'objections';
		for (const o of a.objections.filter((x) => x.state === 'open')) {
			add(sec, h('div', { class: 'grid2' },
				h('p', { class: 'hint' }, `${t('objection.number')} #${o.id}: `, o.data?.contact ? `${t('objection.contact')} ${o.data.contact}` : '',
					(o.data?.attachments || []).map((x) => h('span', { class: 'mono' }, ` ${x.name} ${x.sm3 || x.sha256 || ''}`))),
				h('div', {}),
				decision('uphold', `/objections/${o.id}/uphold`, true, again, { danger: true, suffix: o.id }),
				decision('dismiss', `/objections/${o.id}/dismiss`, true, again, { suffix: o.id })));
		}
		add(view, sec);
	}
	if (a.events?.length) add(view, h('section', { class: 'card' }, h('h2', {}, t('record.history')),
		h('ol', { class: 'events' }, a.events.map((e) => h('li', {}, h('span', { class: 'mono' }, `#${e.index}`), ' ', eventText(e.event),
			e.body?.date ? ` · ${e.body.date}` : '', e.body?.actor?.name ? ` · ${e.body.actor.name}` : '')))));
}
