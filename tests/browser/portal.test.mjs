// portal.test.mjs — the portal in Chromium (run by tests/browser/run.sh,
// which prepares the data and the server and passes them in the
// environment).  One line per check: "ok   NAME" or "FAIL NAME: why".
// Exit status 1 if any check failed.

import { chromium } from 'playwright-core';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const env = (k) => {
	if (!process.env[k]) throw new Error(`${k}: not set (run tests/browser/run.sh)`);
	return process.env[k];
};
const URL0 = env('DIPR_URL'), ORIGIN = new URL(URL0).origin;
const CERT = env('DEMO_CERT'), CERTNO = env('DEMO_CERTNO'), REGNO = env('DEMO_REGNO'), DATA = env('DEMO_DATA');
const SHOTS = env('SHOTS'), WORK = env('WORK');
const demo = JSON.parse(readFileSync(env('DEMO_APPLICATION'), 'utf8'));
// What only examiners and the holder may see of the demo application.
const SECRETS = [demo.applicant.contact.phone, demo.applicant.contact.email, demo.processing_rules, demo.source.description];
const NEW_PHONE = '022-77776666', NEW_EMAIL = 'berths-secret@example.cn', NEW_RULES = '保密规则：按泊位与月份汇总，剔除内部编号';

let failed = 0;
async function check(name, fn) {
	try {
		await fn();
		console.log(`ok   ${name}`);
	} catch (e) {
		failed++;
		console.log(`FAIL ${name}: ${String(e.message || e).split('\n')[0]}`);
	}
}
const assert = (cond, msg) => {
	if (!cond) throw new Error(msg);
};

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: 'zh-CN' });
const page = await context.newPage();
page.setDefaultTimeout(15000);

// (3) every request stays on the server; (4) console and page errors
const offsite = [], consoleErrors = [], pageErrors = [];
let expected400 = 0, allow400 = false;
page.on('request', (r) => {
	if (!r.url().startsWith(ORIGIN + '/')) offsite.push(r.url());
});
page.on('console', (m) => {
	if (m.type() !== 'error') return;
	if (allow400 && /status of 400/.test(m.text())) expected400++;
	else consoleErrors.push(m.text());
});
page.on('pageerror', (e) => pageErrors.push(e.message));

// (5) what the public sees: every API answer and every page's text while
// nobody is logged in.
let publicPhase = true;
const publicBodies = [];
page.on('response', async (r) => {
	if (!publicPhase || !r.url().startsWith(ORIGIN + '/api/')) return;
	try {
		publicBodies.push({ url: r.url(), text: await r.text() });
	} catch { /* a download: read below */ }
});
const publicTexts = [];
const notePublic = async () => publicTexts.push({ url: page.url(), text: await page.content() });

const shot = (name) => page.screenshot({ path: join(SHOTS, name + '.png'), fullPage: true });
const go = async (path) => {
	await page.goto(URL0 + path);
	await page.locator('main h1').first().waitFor();
};

// ---- the modules against their standard vectors, in the browser ----
await check('crypto modules in the browser: SM3("abc"), SM3 of 64 bytes, RFC 8785 key order and escaping', async () => {
	await go('/');
	const r = await page.evaluate(async () => {
		const { sm3 } = await import('/sm3.js');
		const { hex, utf8 } = await import('/bytes.js');
		const { canonicalize } = await import('/jcs.js');
		return {
			abc: hex(sm3(utf8('abc'))),
			abcd: hex(sm3(utf8('abcd'.repeat(16)))),
			jcs: canonicalize({ '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew', '1': 'One', '\ud83d\ude00': 'Emoji', '\u0080': 'Control', '\u00f6': 'o', b: [1, -0, 'x\u000f"\\'], a: { z: true, y: null } }),
		};
	});
	assert(r.abc === '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0', `SM3("abc") = ${r.abc}`);
	assert(r.abcd === 'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732', `SM3(abcd x16) = ${r.abcd}`);
	const want = '{"\\r":"Carriage Return","1":"One","a":{"y":null,"z":true},"b":[1,0,"x\\u000f\\"\\\\"],"\u0080":"Control","\u00f6":"o","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji","\ufb33":"Hebrew"}';
	assert(r.jcs === want, `canonical JSON: ${r.jcs}`);
});

// ---- (1) search from the home page, open the record ----
await check('search: the registration number typed on the home page finds the record; it shows data name, status, history', async () => {
	await go('/');
	await page.locator('section.card h2', { hasText: '正在公示' }).waitFor();
	await shot('home');
	await notePublic();
	await page.getByLabel('登记号、证书号、持有人或数据名称').fill(REGNO);
	await page.getByRole('button', { name: '查询' }).click();
	await page.waitForURL(`**/search?q=${REGNO}`);
	const link = page.getByRole('link', { name: REGNO });
	await link.waitFor();
	await shot('search');
	await notePublic();
	await link.click();
	await page.waitForURL(`**/r/${REGNO}`);
	await page.locator('h1', { hasText: demo.data_name }).waitFor();
	assert(await page.locator('.status-line [data-state="valid"]').textContent() === '有效', 'status badge is not 有效');
	const rows = page.locator('table.history tbody tr');
	const n = await rows.count();
	assert(n >= 5, `history has ${n} events, want 5`);
	const first = await rows.first().locator('td').allTextContents();
	assert(first[0] === '1' && first[1] === '提交登记申请', `first event row: ${first.join(' | ')}`);
	assert(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(first[2]), `event time: ${first[2]}`);
	await page.waitForFunction((n) => document.querySelectorAll('.proof-mark [data-state="valid"]').length === n, n);
	await shot('record');
	await notePublic();
});

await check('record: the certificate downloads as CERTNO.json and is the registry\'s certificate', async () => {
	const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: '下载证书' }).first().click()]);
	assert(dl.suggestedFilename() === `${CERTNO}.json`, `file name ${dl.suggestedFilename()}`);
	const p = join(WORK, 'downloaded.json');
	await dl.saveAs(p);
	const c = JSON.parse(readFileSync(p, 'utf8'));
	assert(c.certificate.certno === CERTNO && c.signatures.length === 2 && c.tlog_proof.startsWith('c2sp.org/tlog-proof@v1\n'), 'not the certificate');
	publicBodies.push({ url: 'download', text: readFileSync(p, 'utf8') });
});

// ---- (2) verify ----
const verdict = () => page.locator('[data-verdict]');
async function verifyWith(files) {
	await page.locator('#cert-file').setInputFiles(files);
	await page.locator('[data-verdict]').waitFor();
	return verdict().getAttribute('data-verdict');
}

await check('verify: the demo certificate is valid, every check passes (Ed25519, SM2, checkpoint, inclusion, entry, status)', async () => {
	await go('/verify');
	assert(await verifyWith(CERT) === 'valid', `verdict ${await verdict().textContent()}`);
	assert((await verdict().textContent()).includes('证书有效'), 'no plain "证书有效"');
	for (const id of ['sig.ed25519', 'sig.sm2', 'cp.ed25519', 'cp.sm2', 'inclusion', 'entry', 'status'])
		assert(await page.locator(`[data-check="${id}"]`).getAttribute('data-ok') === 'true', `check ${id} is not valid`);
});

await check('verify: with the data file, its SM3 digest matches the certificate\'s evidence', async () => {
	await page.locator('#data-file').setInputFiles(DATA);
	await page.locator('[data-check="data"][data-ok="true"]').waitFor();
	assert(await verdict().getAttribute('data-verdict') === 'valid', 'not valid with the data file');
	await shot('verify');
	await notePublic();
	const other = Buffer.from(readFileSync(DATA, 'utf8').replace('T2', 'T9'));
	await page.locator('#data-file').setInputFiles({ name: 'port-changed.csv', mimeType: 'text/csv', buffer: other });
	await page.locator('[data-check="data"][data-ok="false"]').waitFor();
	assert(await verdict().getAttribute('data-verdict') === 'invalid', 'a changed data file still valid');
	await page.locator('#data-file').setInputFiles([]);
});

await check('verify: a certificate with a changed data_name is "not valid" because its signature does not verify', async () => {
	const c = JSON.parse(readFileSync(CERT, 'utf8'));
	c.certificate.data_name = c.certificate.data_name + '（修改）';
	const buffer = Buffer.from(JSON.stringify(c, null, 2));
	await page.locator('[data-verdict]').waitFor();
	await page.locator('#cert-file').setInputFiles({ name: 'changed.json', mimeType: 'application/json', buffer });
	await page.locator('[data-verdict="invalid"]').waitFor();
	const text = await verdict().textContent();
	assert(text.includes('证书无效') && text.includes('签名验证不通过'), `verdict text: ${text}`);
	assert(await page.locator('[data-check="sig.ed25519"]').getAttribute('data-ok') === 'false', 'Ed25519 check not failed');
	assert(await page.locator('[data-check="sig.sm2"]').getAttribute('data-ok') === 'false', 'SM2 check not failed');
	assert(await page.locator('[data-check="entry"]').getAttribute('data-ok') === 'false', 'entry check not failed');
	await shot('verify-invalid');
});

await check('verify: an evidence receipt (.tlog-proof) with its data file is valid', async () => {
	await go('/verify');
	await page.locator('#data-file').setInputFiles(env('RECEIPT_DATA'));
	assert(await verifyWith(env('RECEIPT')) === 'valid', `verdict ${await verdict().textContent()}`);
	assert(await page.locator('[data-check="data"]').getAttribute('data-ok') === 'true', 'data check');
});

await check('keyboard: Tab reaches the skip link first, then the search box; Enter searches', async () => {
	await go('/');
	await page.keyboard.press('Tab');
	assert(await page.evaluate(() => document.activeElement.id) === 'skip', 'first Tab is not the skip link');
	let found = false;
	for (let i = 0; i < 15 && !found; i++) {
		await page.keyboard.press('Tab');
		found = await page.evaluate(() => document.activeElement.id === 'q');
	}
	assert(found, 'the search box is not reachable with Tab');
	const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
	assert(outline !== 'none', 'no visible focus outline');
	await page.keyboard.type('天津港');
	await page.keyboard.press('Enter');
	await page.getByRole('link', { name: REGNO }).waitFor();
});

// ---- (6) the applicant ----
async function login(name, pw) {
	await go('/login');
	await page.getByLabel('用户名').fill(name);
	await page.getByLabel('密码').fill(pw);
	await page.getByRole('button', { name: '登录' }).click();
}
async function logout() {
	await page.getByRole('button', { name: '退出' }).click();
	await page.waitForURL(URL0 + '/');
	await page.getByRole('link', { name: '登录' }).waitFor();
}

let newApp = null;
await check('applicant: logs in and sees their applications', async () => {
	await go('/login');
	await shot('login');
	await notePublic();
	publicPhase = false;
	await login(env('APPLICANT'), env('APPLICANT_PW'));
	await page.waitForURL('**/apply');
	const row = page.locator('table.list tbody tr', { hasText: demo.data_name });
	await row.waitFor();
	assert(await row.locator('[data-state="registered"]').count() === 1, 'the demo application is not shown as registered');
	await shot('apply');
});

await check('applicant: the form names the wrong field (server message), saves a draft with the uploaded receipt, submits', async () => {
	await page.getByRole('link', { name: '新建申请' }).click();
	await page.waitForURL('**/apply/new');
	const fill = (id, v) => page.locator('#' + id).fill(v);
	await fill('f-data_name', '天津港泊位靠泊月度数据');
	await fill('f-industry', '交通运输');
	await fill('f-scenario', '泊位调度与船期预测');
	await page.locator('#f-source-type').selectOption('self');
	await fill('f-source-description', '本公司调度系统采集');
	await fill('f-scale-records', '12');
	await fill('f-scale-bytes', String(readFileSync(env('RECEIPT_DATA')).length));
	await fill('f-structure', 'CSV：月份、泊位、船舶数');
	await fill('f-update_frequency', '每月');
	await fill('f-processing_rules', NEW_RULES);
	await page.locator('#f-evidence').setInputFiles(env('RECEIPT'));
	await page.locator('.receipts li', { hasText: '日志条目 #' }).waitFor();
	await fill('f-applicant-name', '天津示例数据科技有限公司');
	await page.locator('#f-applicant-type').selectOption('legal_person');
	await fill('f-applicant-id', '91350100M000100Y44'); // wrong check character
	await fill('f-applicant-contact-person', '李四');
	await fill('f-applicant-contact-phone', NEW_PHONE);
	await fill('f-applicant-contact-email', NEW_EMAIL);
	await page.locator('#f-legality_commitment').check();
	await shot('apply-form');
	allow400 = true;
	await page.getByRole('button', { name: '保存草稿' }).click();
	const msg = page.locator('.msg.alert-bad');
	await msg.waitFor();
	allow400 = false;
	assert((await msg.textContent()).includes('application.applicant.id'), `message: ${await msg.textContent()}`);
	assert(await page.locator('#f-applicant-id').getAttribute('aria-invalid') === 'true', 'the field is not marked');
	assert(await page.evaluate(() => document.activeElement.id) === 'f-applicant-id', 'the field is not focused');
	assert(expected400 === 1, `${expected400} refused requests, want 1`);
	await fill('f-applicant-id', '91350100M000100Y43');
	await page.getByRole('button', { name: '保存草稿' }).click();
	await page.locator('.msg.alert-good', { hasText: '草稿已保存' }).waitFor();
	await page.waitForURL(/\/apply\/\d+$/);
	newApp = page.url().split('/').pop();
	await page.getByRole('button', { name: '提交审查' }).click();
	await page.locator('.status-line [data-state="submitted"]').waitFor();
	await logout();
});

// ---- (5) the examiner ----
await check('examiner: the review queue lists the submitted application with its review deadline', async () => {
	await login(env('EXAMINER'), env('EXAMINER_PW'));
	await page.waitForURL('**/review');
	const row = page.locator('table.queue tbody tr', { hasText: '天津港泊位靠泊月度数据' });
	await row.waitFor();
	assert(await row.locator('.due').count() === 1, 'no review deadline in the row');
	await shot('review');
});

await check('confidential: the demo application\'s contact phone, email, processing rules and source description are on the examiner\'s page', async () => {
	await go('/review/1');
	await page.locator('dl.fields').first().waitFor();
	const text = await page.locator('main').textContent();
	for (const s of SECRETS) assert(text.includes(s), `missing on the examiner's page: ${s}`);
	await shot('application');
});

await check('examiner asks for a correction; the applicant sees the reasons and answers; the examiner accepts: the notice starts', async () => {
	await go('/review/' + newApp);
	const text = await page.locator('main').textContent();
	assert(text.includes(NEW_PHONE) && text.includes(NEW_RULES), 'the new application\'s confidential fields are not shown');
	await shot('application-submitted');
	await page.getByLabel('理由').first().fill('请补充应用场景的具体说明');
	await page.getByRole('button', { name: '要求补正' }).click();
	await page.locator('.status-line [data-state="correction_requested"]').waitFor();
	await logout();
	await login(env('APPLICANT'), env('APPLICANT_PW'));
	await page.waitForURL('**/apply');
	await page.locator(`a[href="/apply/${newApp}"]`).first().click();
	await page.locator('.alert-warn', { hasText: '请补充应用场景的具体说明' }).waitFor();
	await page.locator('#f-scenario').fill('泊位调度与船期预测：为港口调度中心提供按月泊位占用统计');
	await page.getByRole('button', { name: '提交补正' }).click();
	await page.locator('.status-line [data-state="submitted"]').waitFor();
	await logout();
	await login(env('EXAMINER'), env('EXAMINER_PW'));
	await page.waitForURL('**/review');
	await go('/review/' + newApp);
	await page.getByRole('button', { name: '审查通过，开始公示' }).click();
	await page.locator('.status-line [data-state="notice"]').waitFor();
	await logout();
	publicPhase = true;
});

await check('notice: the home page lists it; anyone files an objection and gets its number and key', async () => {
	await go('/');
	const link = page.getByRole('link', { name: '天津港泊位靠泊月度数据' });
	await link.waitFor();
	await shot('home-notices');
	await notePublic();
	await link.click();
	await page.waitForURL('**/notice/' + newApp);
	await page.getByLabel('异议理由').fill('该数据与我方泊位系统记录重合');
	await page.getByRole('button', { name: '提交异议' }).click();
	const key = page.locator('code[data-key]');
	await key.waitFor();
	assert(/^[0-9a-f]{32}$/.test(await key.getAttribute('data-key')), 'no objection key');
	assert((await page.locator('.msg').textContent()).match(/编号 #\d+/), 'no objection number');
	await shot('notice');
	await notePublic();
});

await check('examiner: the open objection is on the review page; dismissed with reasons, the notice continues', async () => {
	publicPhase = false;
	await login(env('EXAMINER'), env('EXAMINER_PW'));
	await page.waitForURL('**/review');
	const item = page.locator('.attention-card a', { hasText: `#${newApp}` });
	await item.waitFor();
	await item.click();
	await page.locator('.status-line [data-state="suspended"]').waitFor();
	await page.getByLabel('理由').last().fill('异议人未提供权属证据');
	await page.getByRole('button', { name: '驳回异议' }).click();
	await page.locator('.status-line [data-state="notice"]').waitFor();
	await logout();
});

await check('applicant: a pledge is recorded; the public record and the verify page show it (valid, pledged)', async () => {
	await login(env('APPLICANT'), env('APPLICANT_PW'));
	await page.waitForURL('**/apply');
	await go('/apply/1');
	await page.locator('#pl-pledgee').fill('中国某银行天津分行');
	await page.locator('#pl-amount').fill('5000000');
	await page.locator('#pl-end').fill('2027-12-31');
	await page.getByRole('button', { name: '登记质押' }).click();
	await page.locator('.msg.alert-good').waitFor();
	await logout();
	publicPhase = true;
	await go(`/r/${REGNO}`);
	await page.locator('dd', { hasText: '中国某银行天津分行' }).waitFor();
	assert(await page.locator('.status-line [data-state="pledged"]').count() === 1, 'the record does not show the pledge');
	await notePublic();
	await go(`/verify?certno=${CERTNO}`);
	await page.locator('[data-verdict]').waitFor();
	assert(await verdict().getAttribute('data-verdict') === 'valid', 'a pledged certificate is not valid');
	assert((await page.locator('[data-check="status"]').textContent()).includes('已质押'), 'the status does not say pledged');
});

// Outside the browser (so not counted as the page's requests): the API
// with bearer tokens, to file a third application and move the test clock.
async function apiAs(token, method, path, body) {
	const r = await fetch(URL0 + '/api/v1' + path, { method, headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body) });
	const j = await r.json();
	if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(j)}`);
	return j;
}

await check('deadlines: an application left in review past its due date is highlighted as overdue in the queue', async () => {
	const doc = { ...demo, data_name: '天津港堆场作业日数据', evidence: [readFileSync(env('RECEIPT3'), 'utf8')], scale: { records: 2, bytes: 64 } };
	delete doc.sample;
	const a = await apiAs(env('APPLICANT_TOKEN'), 'POST', '/applications', doc);
	await apiAs(env('APPLICANT_TOKEN'), 'POST', `/applications/${a.id}/submit`);
	const { today } = await apiAs(env('ADMIN_TOKEN'), 'GET', '/admin/clock');
	const later = new Date(Date.parse(today + 'T00:00:00Z') + 40 * 86400000).toISOString().slice(0, 10);
	await apiAs(env('ADMIN_TOKEN'), 'POST', '/admin/clock', { today: later });
	publicPhase = false;
	await login(env('EXAMINER'), env('EXAMINER_PW'));
	await page.waitForURL('**/review');
	const row = page.locator('table.queue tbody tr.overdue', { hasText: '天津港堆场作业日数据' });
	await row.waitFor();
	assert(await row.locator('.due-over').count() === 1, 'the review deadline is not marked overdue');
	await shot('review-overdue');
	await go(`/review/${a.id}`);
	await page.locator('.alert-bad', { hasText: '已超过期限' }).waitFor();
	await logout();
	publicPhase = true;
});

await check('confidential: none of it appears on public pages or in any public API answer', async () => {
	const all = [...SECRETS, NEW_PHONE, NEW_EMAIL, NEW_RULES];
	assert(publicTexts.length >= 6 && publicBodies.length >= 6, `too little seen: ${publicTexts.length} pages, ${publicBodies.length} answers`);
	for (const { url, text } of [...publicTexts, ...publicBodies])
		for (const s of all) assert(!text.includes(s), `"${s}" on the public ${url}`);
});

// ---- (7) English ----
await check('language: the English button switches the UI, the choice survives a reload, and switches back', async () => {
	await go('/');
	await page.getByRole('button', { name: 'Switch to English' }).click();
	await page.locator('h1', { hasText: 'Data IP registry' }).waitFor();
	assert(await page.evaluate(() => document.documentElement.lang) === 'en', 'html lang is not en');
	assert(await page.getByRole('link', { name: 'Verify', exact: true }).count() === 1, 'nav is not English');
	await page.reload();
	await page.locator('h1', { hasText: 'Data IP registry' }).waitFor();
	await go(`/r/${REGNO}`);
	await page.locator('th', { hasText: 'Log index' }).first().waitFor();
	await shot('record-en');
	await page.getByRole('button', { name: '切换到中文' }).click();
	await page.locator('th', { hasText: '日志序号' }).first().waitFor();
});

await check('i18n: every UI string exists in both languages', async () => {
	const { dictionaries } = await import(new URL('../../web/i18n.js', import.meta.url));
	const zh = Object.keys(dictionaries.zh), en = new Set(Object.keys(dictionaries.en));
	const missing = zh.filter((k) => !en.has(k)).concat([...en].filter((k) => !(k in dictionaries.zh)));
	assert(missing.length === 0, `keys in one language only: ${missing.join(', ')}`);
	// every literal t('key') in the portal's modules is in the dictionary
	const web = new URL('../../web/', import.meta.url);
	const files = ['app.js', 'verify.js', ...readdirSync(new URL('pages/', web)).map((f) => 'pages/' + f)];
	const unknown = [];
	for (const f of files)
		for (const m of readFileSync(new URL(f, web), 'utf8').matchAll(/\bt\('([A-Za-z0-9_.]+)'[,)]/g))
			if (!(m[1] in dictionaries.zh)) unknown.push(`${f}: ${m[1]}`);
	assert(unknown.length === 0, `strings missing from i18n.js: ${unknown.join(', ')}`);
});

await check('phone: the record and verify pages fit a 390 px wide screen', async () => {
	await page.setViewportSize({ width: 390, height: 844 });
	for (const path of [`/r/${REGNO}`, '/verify', '/']) {
		await go(path);
		const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
		assert(over <= 1, `${path} is ${over}px wider than the screen`);
	}
	await go(`/r/${REGNO}`);
	await page.waitForFunction(() => document.querySelectorAll('.proof-mark [data-state="valid"]').length >= 5);
	await shot('record-phone');
	await page.setViewportSize({ width: 1280, height: 900 });
});

// ---- (3) and (4), over everything above ----
await check('network: every request went to the server itself', async () => {
	assert(offsite.length === 0, `requests elsewhere: ${offsite.slice(0, 3).join(', ')}`);
});
await check('console: no console errors and no page errors', async () => {
	assert(consoleErrors.length === 0 && pageErrors.length === 0, [...consoleErrors, ...pageErrors].slice(0, 3).join(' | '));
});

await browser.close();
writeFileSync(join(WORK, 'done'), '');
console.log(failed ? `${failed} browser check(s) failed; screenshots in ${SHOTS}` : `all browser checks passed; screenshots in ${SHOTS}`);
process.exit(failed ? 1 : 0);
