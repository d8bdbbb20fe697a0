// app.js: the portal's shell and router.  Every page route (a path with
// no dot in its last segment) is answered with index.html; this script
// renders the page for location.pathname and follows links with
// history.pushState.

import { h, clear } from './dom.js';
import { t, lang, setLang } from './i18n.js';
import { session, logout } from './api.js';
import * as pub from './pages/public.js';
import * as verify from './pages/verify.js';
import * as account from './pages/account.js';
import * as applicant from './pages/applicant.js';
import * as examiner from './pages/examiner.js';

const routes = [
	[/^\/$/, pub.home],
	[/^\/search$/, pub.search],
	[/^\/r\/([0-9]{15}[0-9X])$/, pub.record],
	[/^\/notices$/, pub.notices],
	[/^\/notice\/([1-9][0-9]*)$/, pub.notice],
	[/^\/objection$/, pub.objectionLookup],
	[/^\/log$/, pub.log],
	[/^\/verify$/, verify.page],
	[/^\/login$/, account.login],
	[/^\/apply$/, applicant.list],
	[/^\/apply\/new$/, applicant.edit],
	[/^\/apply\/([1-9][0-9]*)$/, applicant.view],
	[/^\/review$/, examiner.queue],
	[/^\/review\/([1-9][0-9]*)$/, examiner.view],
];

let renderSeq = 0;

export async function render(focus = false) {
	const seq = ++renderSeq;
	const main = document.getElementById('main');
	const me = await session();
	renderHeader(me);
	const path = location.pathname.replace(/\/+$/, '') || '/';
	const q = new URLSearchParams(location.search);
	let page = null, args = [];
	for (const [re, fn] of routes) {
		const m = re.exec(path);
		if (m) {
			page = fn;
			args = m.slice(1);
			break;
		}
	}
	const view = h('div', { class: 'page' });
	try {
		if (page) await page(view, { args, q, me, go });
		else notFound(view);
	} catch (e) {
		clear(view);
		view.append(h('h1', { tabindex: '-1' }, t('error.title')), h('p', { class: 'alert alert-bad', role: 'alert' }, errorText(e)));
	}
	if (seq !== renderSeq) return; // a newer navigation won
	clear(main).append(view);
	const h1 = main.querySelector('h1');
	document.title = (h1 ? h1.textContent + ' · ' : '') + t('site.title');
	if (focus && h1) {
		h1.setAttribute('tabindex', '-1');
		h1.focus();
	}
}

export function errorText(e) {
	if (e && e.status === 404) return t('error.notFound') + (e.message ? ` (${e.message})` : '');
	if (e && e.status === 0) return t('error.network');
	return (e && e.message) || String(e);
}

function notFound(view) {
	view.append(h('h1', {}, t('error.notFound')), h('p', {}, h('a', { href: '/' }, t('nav.home'))));
}

// Navigation inside the portal.
export function go(url, replace = false) {
	if (replace) history.replaceState(null, '', url);
	else history.pushState(null, '', url);
	render(true);
	window.scrollTo(0, 0);
}

function renderHeader(me) {
	const nav = document.getElementById('nav');
	nav.setAttribute('aria-label', t('nav.main'));
	const items = [['/', 'nav.home'], ['/search', 'nav.search'], ['/notices', 'nav.notices'], ['/verify', 'nav.verify']];
	if (me.role === 'applicant') items.push(['/apply', 'nav.apply']);
	if (me.role === 'examiner') items.push(['/review', 'nav.review']);
	const here = location.pathname;
	const cur = (href) => (href === '/' ? here === '/' : here === href || here.startsWith(href + '/'));
	clear(nav).append(h('ul', {}, items.map(([href, key]) =>
		h('li', {}, h('a', { href, 'aria-current': cur(href) ? 'page' : null }, t(key))))));
	const acct = document.getElementById('account');
	clear(acct);
	if (me.role === 'public') acct.append(h('a', { href: '/login', class: 'btn btn-small' }, t('nav.login')));
	else
		acct.append(h('span', { class: 'who' }, `${me.account} · ${t('role.' + me.role)}`),
			h('button', { type: 'button', class: 'btn btn-small', onclick: async () => { await logout(); go('/'); } }, t('nav.logout')));
	const lb = document.getElementById('lang');
	lb.textContent = t('lang.switch');
	lb.setAttribute('lang', lang() === 'zh' ? 'en' : 'zh-CN');
	lb.setAttribute('aria-label', t('lang.switchLabel'));
	document.getElementById('brand-name').textContent = t('site.title');
	document.getElementById('skip').textContent = t('nav.skip');
	document.getElementById('foot').textContent = t('site.footer');
	document.documentElement.lang = lang() === 'zh' ? 'zh-CN' : 'en';
}

function start() {
	document.getElementById('lang').addEventListener('click', () => {
		setLang(lang() === 'zh' ? 'en' : 'zh');
		render();
	});
	// Links inside the portal: no page load.
	document.addEventListener('click', (e) => {
		const a = e.target.closest && e.target.closest('a[href]');
		if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
		const url = new URL(a.href, location.href);
		if (url.origin !== location.origin || a.hasAttribute('download') || a.target ||
		    url.pathname.startsWith('/api/') || /\.[a-z0-9]+$/i.test(url.pathname) || url.pathname === location.pathname && url.hash) return;
		e.preventDefault();
		go(url.pathname + url.search);
	});
	window.addEventListener('popstate', () => render(true));
	render();
}

start();
