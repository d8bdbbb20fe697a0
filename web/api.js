// api.js: the registry's HTTP API (docs/REGISTRY.md) from the portal.
// The login cookie is HttpOnly; the CSRF token it comes with is kept in
// sessionStorage and sent as X-CSRF-Token on every write.

export class ApiError extends Error {
	constructor(status, code, message) {
		super(message);
		this.status = status;
		this.code = code;
	}
}

const CSRF = 'dipr.csrf';
const store = {
	get: (k) => { try { return sessionStorage.getItem(k); } catch { return null; } },
	set: (k, v) => { try { v === null ? sessionStorage.removeItem(k) : sessionStorage.setItem(k, v); } catch { /* private mode */ } },
};

async function request(method, url, body) {
	const headers = { Accept: 'application/json' };
	const csrf = store.get(CSRF);
	if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
	if (body !== undefined) headers['Content-Type'] = 'application/json';
	let r;
	try {
		r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
	} catch (e) {
		throw new ApiError(0, 'network', e.message);
	}
	return r;
}

async function json(r) {
	const text = await r.text();
	let v = null;
	try {
		v = text ? JSON.parse(text) : {};
	} catch {
		if (!r.ok) throw new ApiError(r.status, 'http', `HTTP ${r.status}`);
		throw new ApiError(r.status, 'bad_response', 'the server answered something other than JSON');
	}
	if (!r.ok) throw new ApiError(r.status, v?.error?.code || 'http', v?.error?.message || `HTTP ${r.status}`);
	return v;
}

// api('GET', '/registrations?q=x') -> parsed JSON; throws ApiError.
export async function api(method, path, body) {
	return json(await request(method, '/api/v1' + path, body));
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);
export const put = (path, body) => api('PUT', path, body);

// Files outside /api/v1 (/log.json, /checkpoint).
export async function getJson(url) {
	return json(await request('GET', url));
}
export async function getText(url) {
	const r = await request('GET', url);
	if (!r.ok) throw new ApiError(r.status, 'http', `HTTP ${r.status}`);
	return r.text();
}

// ---- the session ----
let me = null;

export async function session() {
	if (!me) {
		try {
			me = await get('/me');
		} catch {
			me = { account: '', role: 'public' };
		}
		if (me.role !== 'public' && !store.get(CSRF)) me.stale = true; // a cookie without its token: log in again
	}
	return me;
}

export async function login(name, password) {
	const r = await post('/login', { name, password });
	store.set(CSRF, r.csrf);
	me = { account: r.account, role: r.role };
	return me;
}

export async function logout() {
	try {
		await post('/logout');
	} finally {
		store.set(CSRF, null);
		me = { account: '', role: 'public' };
	}
}

// The registry's today (a test clock moves it), for deadlines.
let todayP = null;
export function today() {
	todayP ??= get('/admin/clock').then((c) => c.today).catch(() => new Date().toISOString().slice(0, 10));
	return todayP;
}
