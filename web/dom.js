// dom.js: building the page from data without innerHTML (so nothing a
// registrant typed can become markup), and small shared formatters.

// h('a', {href: '/x', class: 'y', onclick: fn}, 'text', child, [more])
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false) continue;
		if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
		else if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
		else if (k === 'value' || k === 'checked' || k === 'selected') el[k] = v;
		else el.setAttribute(k, v === true ? '' : String(v));
	}
	append(el, children);
	return el;
}

export function append(el, children) {
	for (const c of children.flat(Infinity)) {
		if (c === null || c === undefined || c === false) continue;
		el.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return el;
}

export function clear(el) {
	while (el.firstChild) el.removeChild(el.firstChild);
	return el;
}

const pad = (n) => String(n).padStart(2, '0');

// Unix milliseconds as local "YYYY-MM-DD HH:MM:SS".
export function fmtTime(ms) {
	if (typeof ms !== 'number') return '';
	const d = new Date(ms);
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// Days from today to an ISO date (negative: past).
export function daysUntil(date, today) {
	if (!date || !today) return null;
	return Math.round((Date.parse(date + 'T00:00:00Z') - Date.parse(today + 'T00:00:00Z')) / 86400000);
}

export const short = (s, n = 16) => (s && s.length > n ? s.slice(0, n) + '…' : s);

// el.append(...) that skips null, undefined and false (conditional parts).
export const add = (el, ...children) => append(el, children);
