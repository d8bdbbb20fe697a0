// The login page (portal session: cookie + CSRF token).

import { h, add } from '../dom.js';
import { t } from '../i18n.js';
import { login as apiLogin } from '../api.js';
import { field, messageBox, busy } from './common.js';

export function home(role) {
	return role === 'examiner' ? '/review' : role === 'applicant' ? '/apply' : '/';
}

export async function login(view, { q, me, go }) {
	const name = h('input', { type: 'text', name: 'name', autocomplete: 'username', required: true });
	const pw = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
	const msg = messageBox();
	const btn = h('button', { type: 'submit', class: 'btn btn-primary' }, t('login.submit'));
	const form = h('form', { class: 'card form narrow' }, field('login-name', t('login.name'), name),
		field('login-password', t('login.password'), pw), h('div', { class: 'buttons' }, btn), msg);
	const next = q.get('next');
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		busy(btn, async () => {
			try {
				const r = await apiLogin(name.value.trim(), pw.value);
				go(next && next.startsWith('/') && !next.startsWith('//') ? next : home(r.role), true);
			} catch (err) {
				msg.bad(err.status === 401 ? t('login.refused') : err.message);
				pw.value = '';
				pw.focus();
			}
		});
	});
	add(view, h('h1', {}, t('login.title')),
		me.stale ? h('p', { class: 'alert alert-warn' }, t('login.stale')) : null,
		me.role !== 'public' && !me.stale ? h('p', { class: 'alert alert-info' }, t('login.already', { name: me.account })) : null,
		h('p', { class: 'lead' }, t('login.lead')), form);
}

// Guard for pages that need a role: renders the login prompt instead.
export function need(view, me, role) {
	if (me.role === role && !me.stale) return true;
	add(view, h('h1', {}, t('login.needTitle')),
		h('p', { class: 'alert alert-info' }, t('login.need', { role: t('role.' + role) })),
		h('p', {}, h('a', { class: 'btn btn-primary', href: '/login?next=' + encodeURIComponent(location.pathname) }, t('nav.login'))));
	return false;
}
