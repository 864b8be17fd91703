// What people see, in headless Chromium: the accountant on Desk, the customer on the link and
// Stancer's (sandbox) page, the shopper in the shop. Run by tests/test_browser.py:
//   node browser_flows.js config.json results.json
// The config names the site's address, the documents made for the run, the users and where to
// put the screenshots; the results are the texts each page showed, for the test to check.
// Nothing is asserted here: every step is recorded (or its error), and a screenshot is taken.

const fs = require("fs");
const http = require("http");
const path = require("path");

const { chromium } = require(process.env.PLAYWRIGHT_CORE || "playwright-core");

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const results = { steps: {}, errors: [] };
const STEP_TIMEOUT = 45000;

function save() {
	fs.writeFileSync(process.argv[3], JSON.stringify(results, null, 1));
}

async function shot(page, name) {
	const file = path.join(config.shots, `${name}.png`);
	try {
		await page.screenshot({ path: file, fullPage: true });
	} catch (error) {
		results.errors.push(`screenshot ${name}: ${error.message}`);
	}
	return file;
}

// One step: its observations, or its error with a screenshot of where it stopped.
async function step(name, page, work) {
	const seen = { screenshot: null };
	results.steps[name] = seen;
	if (page.broken) {
		// A flow stops at its first broken step: the next ones would only wait and fail.
		seen.error = `not run: ${page.broken} failed before`;
		return seen;
	}
	try {
		await work(seen);
	} catch (error) {
		seen.error = error.message.split("\n").slice(0, 6).join("\n");
		results.errors.push(`${name}: ${seen.error}`);
		page.broken = name;
	}
	seen.url = page.url();
	seen.screenshot = await shot(page, name);
	save();
	return seen;
}

// The site's address (host_name: its links, Stancer's return address, the success page) is
// served by the test web server: the browser goes through a small proxy that sends that
// address's requests there, redirects included, and everything else on its way.
const HOME = config.site || config.base;

function startProxy() {
	const site = new URL(config.site);
	const base = new URL(config.base);
	const server = http.createServer((request, response) => {
		const target = new URL(request.url);
		if (target.host === site.host) {
			target.protocol = base.protocol;
			target.host = base.host;
		}
		const headers = { ...request.headers };
		delete headers["proxy-connection"];
		const upstream = http.request(
			{
				hostname: target.hostname,
				port: target.port,
				path: target.pathname + target.search,
				method: request.method,
				headers,
			},
			(answer) => {
				response.writeHead(answer.statusCode, answer.headers);
				answer.pipe(response);
			},
		);
		upstream.on("error", (error) => {
			response.writeHead(502);
			response.end(String(error));
		});
		request.pipe(upstream);
	});
	return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function text(locator) {
	return (await locator.innerText()).replace(/\s+/g, " ").trim();
}

async function visibleTexts(locator) {
	const out = [];
	for (const one of await locator.all()) {
		if (await one.isVisible()) out.push(await text(one));
	}
	return out.filter(Boolean);
}

// -- Desk ----------------------------------------------------------------------------------------

async function deskContext(browser, user, locale) {
	const context = await browser.newContext({
		locale,
		viewport: { width: 1366, height: 900 },
		permissions: ["clipboard-read", "clipboard-write"],
	});
	await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: HOME });
	// Straight to the test server: the session cookie is the host's, whatever the port.
	const login = await context.request.post(`${config.base}/api/method/login`, {
		form: { usr: user, pwd: config.password },
	});
	if (!login.ok()) throw new Error(`login of ${user}: ${login.status()}`);
	return context;
}

async function openForm(page, route) {
	await page.goto(`${HOME}/app/${route}`, { waitUntil: "domcontentloaded" });
	await page.waitForSelector(".form-layout", { state: "visible", timeout: STEP_TIMEOUT });
	await page.waitForFunction(() => window.cur_frm && !window.cur_frm.is_dirty() && window.cur_frm.doc, null, {
		timeout: STEP_TIMEOUT,
	});
	// Buttons and intros come after refresh's own calls.
	await page.waitForLoadState("networkidle", { timeout: STEP_TIMEOUT }).catch(() => {});
	await page.waitForTimeout(800);
}

async function formState(page, seen) {
	seen.title = await text(page.locator(".page-head .title-text").first()).catch(() => "");
	seen.indicator = await text(page.locator(".page-head .indicator-pill:visible").first()).catch(() => "");
	seen.buttons = await visibleTexts(page.locator(".page-head .page-actions button, .page-head .page-actions a.btn"));
	seen.primary = await visibleTexts(page.locator(".page-head .primary-action"));
	seen.intro = await visibleTexts(page.locator(".form-message"));
	seen.headline = await visibleTexts(page.locator(".form-dashboard .headline, .form-headline"));
	seen.body = await text(page.locator(".form-layout").first());
}

async function accountantBefore(browser, lang, data) {
	const context = await deskContext(browser, data.accountant, lang === "fr" ? "fr-FR" : "en-GB");
	const page = await context.newPage();
	const prefix = `${lang}-1`;
	await step(`${prefix}-payment-request-link`, page, async (seen) => {
		await openForm(page, `payment-request/${encodeURIComponent(data.request)}`);
		await page.waitForSelector('.form-message a[href*="/stancer_checkout?token="]', { timeout: STEP_TIMEOUT });
		await formState(page, seen);
		seen.link = await page.locator('.form-message a[href*="/stancer_checkout?token="]').first().getAttribute("href");
		const copy = page.locator(".page-head .page-actions button", { hasText: data.copy_label });
		seen.copy_buttons = await copy.count();
		if (seen.copy_buttons) {
			await copy.first().click();
			await page.waitForTimeout(500);
			seen.copied = await page.evaluate(() => navigator.clipboard.readText()).catch((e) => `ERR ${e}`);
			seen.alert = await visibleTexts(page.locator(".alert-message, .desk-alert"));
		}
	});
	await context.close();
}

async function accountantAfter(browser, lang, data) {
	const context = await deskContext(browser, data.accountant, lang === "fr" ? "fr-FR" : "en-GB");
	const page = await context.newPage();
	const prefix = `${lang}-3`;
	await step(`${prefix}-payment-request-paid`, page, async (seen) => {
		await openForm(page, `payment-request/${encodeURIComponent(data.request)}`);
		await formState(page, seen);
	});
	await step(`${prefix}-stancer-payment-list`, page, async (seen) => {
		await page.goto(`${HOME}/app/stancer-payment?customer=${encodeURIComponent(data.customer)}`, {
			waitUntil: "domcontentloaded",
		});
		await page.waitForSelector(".list-row-container", { timeout: STEP_TIMEOUT });
		await page.waitForLoadState("networkidle", { timeout: STEP_TIMEOUT }).catch(() => {});
		await page.waitForTimeout(800);
		seen.title = await text(page.locator(".page-head .title-text").first()).catch(() => "");
		seen.head = await text(page.locator(".list-row-head").first());
		seen.rows = await visibleTexts(page.locator(".list-row-container .list-row"));
		seen.primary = await visibleTexts(page.locator(".page-head .primary-action"));
		// The record of the request paid at once: the one to refund.
		seen.record = await page.evaluate(
			(request) => frappe.db.get_value("Stancer Payment", { payment_request: request, outcome: "Paid" }, "name"),
			data.request,
		).then((r) => r.message && r.message.name);
	});
	await step(`${prefix}-stancer-payment-form`, page, async (seen) => {
		data.paid_record = results.steps[`${prefix}-stancer-payment-list`].record;
		if (!data.paid_record) throw new Error("no paid Stancer Payment for the request");
		await openForm(page, `stancer-payment/${encodeURIComponent(data.paid_record)}`);
		await formState(page, seen);
		seen.status_words = await visibleTexts(page.locator('[data-fieldname="stancer_status"] .help-box'));
		seen.editable_inputs = await page
			.locator(".form-layout input:visible:not([disabled]):not([readonly]), .form-layout textarea:visible:not([disabled])")
			.count();
	});
	await step(`${prefix}-refund-dialog`, page, async (seen) => {
		await page.locator(".page-head .page-actions button", { hasText: data.refund_label }).first().click();
		const dialog = page.locator(".modal.show .modal-dialog").last();
		await dialog.locator('input[data-fieldname="amount"]').waitFor({ timeout: STEP_TIMEOUT });
		await page.waitForTimeout(600);
		seen.dialog_title = await text(dialog.locator(".modal-title"));
		seen.amount = await dialog.locator('input[data-fieldname="amount"]').inputValue();
		seen.dialog = await text(dialog.locator(".modal-body"));
		seen.dialog_buttons = await visibleTexts(dialog.locator(".modal-footer button"));
		await dialog.locator('textarea[data-fieldname="reason"]').fill(data.reason);
	});
	await step(`${prefix}-refund-confirm`, page, async (seen) => {
		await page.locator(".modal.show .modal-footer .btn-primary:visible").last().click();
		await page.waitForTimeout(700);
		const confirm = page.locator(".modal.show .modal-dialog").last();
		seen.confirm = await text(confirm.locator(".modal-body"));
		seen.confirm_buttons = await visibleTexts(confirm.locator(".modal-footer button"));
	});
	await step(`${prefix}-refund-done`, page, async (seen) => {
		await page.locator(".modal.show .modal-footer .btn-primary:visible").last().click();
		const message = page.locator(".modal.show .msgprint").last();
		await message.waitFor({ timeout: STEP_TIMEOUT });
		await page.waitForTimeout(800);
		seen.message_title = await text(page.locator(".modal.show .modal-title").last());
		seen.message = await text(message);
		seen.links = await page.locator(".modal.show .msgprint a").evaluateAll((as) => as.map((a) => a.href));
	});
	await step(`${prefix}-stancer-payment-after-refund`, page, async (seen) => {
		await page.keyboard.press("Escape");
		await openForm(page, `stancer-payment/${encodeURIComponent(data.paid_record)}`);
		await formState(page, seen);
	});
	await step(`${prefix}-stancer-refund-list`, page, async (seen) => {
		await page.goto(`${HOME}/app/stancer-refund?stancer_payment=${encodeURIComponent(data.paid_record)}`, {
			waitUntil: "domcontentloaded",
		});
		await page.waitForSelector(".list-row-container", { timeout: STEP_TIMEOUT });
		await page.waitForLoadState("networkidle", { timeout: STEP_TIMEOUT }).catch(() => {});
		await page.waitForTimeout(800);
		seen.head = await text(page.locator(".list-row-head").first());
		seen.rows = await visibleTexts(page.locator(".list-row-container .list-row"));
		seen.primary = await visibleTexts(page.locator(".page-head .primary-action"));
		seen.record = await page
			.locator(".list-row-container .list-row a[data-name]")
			.first()
			.getAttribute("data-name")
			.catch(() => null);
	});
	await step(`${prefix}-stancer-refund-form`, page, async (seen) => {
		const name = results.steps[`${prefix}-stancer-refund-list`].record;
		if (!name) throw new Error("no Stancer Refund in the list");
		await openForm(page, `stancer-refund/${encodeURIComponent(name)}`);
		await formState(page, seen);
	});
	await context.close();
}

// -- the customer ------------------------------------------------------------------------------

async function hostedPage(page, seen) {
	await page.waitForSelector("#number", { timeout: STEP_TIMEOUT });
	seen.title = await page.title();
	seen.lang = await page.locator("html").getAttribute("lang");
	seen.text = await text(page.locator("main"));
	seen.pay_button = await text(page.locator("form button[type=submit]"));
}

async function typeCard(page, number) {
	await page.fill("#number", number);
	await page.fill("#exp", "12/34");
	await page.fill("#cvc", "123");
	await Promise.all([page.waitForNavigation({ timeout: STEP_TIMEOUT }), page.click("form button[type=submit]")]);
	if (/\/3ds(\?|$)/.test(new URL(page.url()).pathname)) {
		await Promise.all([
			page.waitForNavigation({ timeout: STEP_TIMEOUT }),
			page.click("button[value=authenticate]"),
		]);
	}
	// Back on the site: the return page answers, maybe by a redirect to the success page.
	await page.waitForURL((url) => url.href.startsWith(HOME), { timeout: STEP_TIMEOUT });
	await page.waitForLoadState("load", { timeout: STEP_TIMEOUT });
}

async function sitePage(page, seen) {
	seen.lang = await page.locator("html").getAttribute("lang");
	seen.title = await page.title();
	seen.text = await text(page.locator("main, .page-content-wrapper, body").first());
	seen.state = await page
		.locator("[data-state]")
		.first()
		.getAttribute("data-state", { timeout: 1000 })
		.catch(() => null);
	seen.buttons = await visibleTexts(page.locator("main a.btn, main button, .page-content-wrapper a.btn"));
	seen.asks_login = (await page.locator("input[type=password]:visible").count()) > 0;
	seen.links = await page
		.locator("main a[href], .page-content-wrapper a[href]")
		.evaluateAll((as) => as.map((a) => ({ text: a.innerText.trim(), href: a.href })));
}

async function customer(browser, lang, data, browserLocale) {
	const context = await browser.newContext({ locale: browserLocale, viewport: { width: 1000, height: 900 } });
	const page = await context.newPage();
	const prefix = `${lang}-2${data.tag}`;
	await step(`${prefix}-hosted-page`, page, async (seen) => {
		await page.goto(data.link, { waitUntil: "load" });
		await hostedPage(page, seen);
	});
	if (data.refused_first) {
		await step(`${prefix}-refused`, page, async (seen) => {
			await typeCard(page, config.cards.refused);
			await sitePage(page, seen);
		});
		await step(`${prefix}-try-again`, page, async (seen) => {
			await Promise.all([
				page.waitForNavigation({ timeout: STEP_TIMEOUT }),
				page.locator("a.btn-primary").first().click(),
			]);
			await hostedPage(page, seen);
		});
	}
	await step(`${prefix}-success`, page, async (seen) => {
		await typeCard(page, config.cards.success);
		await sitePage(page, seen);
	});
	// Continue, on the success page, where there is one: where a logged-out customer lands.
	await step(`${prefix}-continue`, page, async (seen) => {
		const next = page.locator("main a.btn-primary, .page-content-wrapper a.btn-primary").first();
		seen.offered = (await next.count()) > 0;
		if (seen.offered) {
			seen.href = await next.getAttribute("href", { timeout: 5000 });
			await Promise.all([page.waitForNavigation({ timeout: STEP_TIMEOUT }), next.click()]);
			await page.waitForLoadState("load");
		}
		await sitePage(page, seen);
	});
	// The link opened again once paid: what a customer clicking the e-mail twice sees.
	await step(`${prefix}-link-again`, page, async (seen) => {
		await page.goto(data.link, { waitUntil: "load" });
		await sitePage(page, seen);
	});
	await context.close();
}

// -- the shop ----------------------------------------------------------------------------------

async function shop(browser, lang, data) {
	const context = await browser.newContext({
		locale: lang === "fr" ? "fr-FR" : "en-GB",
		viewport: { width: 1200, height: 900 },
	});
	const page = await context.newPage();
	const prefix = `${lang}-4`;
	await step(`${prefix}-shop-login`, page, async (seen) => {
		await page.goto(`${HOME}/login`, { waitUntil: "load" });
		await page.fill("#login_email", data.user);
		await page.fill("#login_password", data.password);
		await Promise.all([
			page.waitForURL((url) => !url.pathname.startsWith("/login"), { timeout: STEP_TIMEOUT }),
			page.click(".form-login .btn-login"),
		]);
		await page.waitForLoadState("load");
		seen.text = await text(page.locator("body"));
	});
	await step(`${prefix}-shop-item`, page, async (seen) => {
		await page.goto(`${HOME}/${data.item_route}`, { waitUntil: "load" });
		const add = page.locator(".btn-add-to-cart-list, .btn-add-to-cart, #item-add-to-cart button").first();
		await add.waitFor({ timeout: STEP_TIMEOUT });
		seen.text = await text(page.locator("main, .page-content-wrapper, body").first());
		seen.add_label = await text(add);
		await add.click();
		await page.waitForLoadState("networkidle", { timeout: STEP_TIMEOUT }).catch(() => {});
		await page.waitForTimeout(1000);
	});
	await step(`${prefix}-shop-cart`, page, async (seen) => {
		await page.goto(`${HOME}/cart`, { waitUntil: "load" });
		const place = page.locator(".btn-place-order").first();
		await place.waitFor({ timeout: STEP_TIMEOUT });
		await page.waitForLoadState("networkidle", { timeout: STEP_TIMEOUT }).catch(() => {});
		seen.text = await text(page.locator("main, .page-content-wrapper, body").first());
		seen.place_label = await text(place);
	});
	await step(`${prefix}-shop-order`, page, async (seen) => {
		await Promise.all([
			page.waitForURL((url) => !url.pathname.startsWith("/cart"), { timeout: STEP_TIMEOUT }),
			page.locator(".btn-place-order").first().click(),
		]);
		await page.waitForLoadState("load");
		seen.after_place_order = page.url();
		seen.after_place_order_text = await text(page.locator("body"));
		if (!/\/orders\/[^/]+$/.test(new URL(page.url()).pathname)) {
			// Some shops' copies land elsewhere (a page of their own): the shopper opens
			// My Account → Orders and the newest order.
			await page.goto(`${HOME}/orders`, { waitUntil: "load" });
			await Promise.all([
				page.waitForURL(/\/orders\/[^/]+$/, { timeout: STEP_TIMEOUT }),
				page.locator('a[href*="/orders/"]').first().click(),
			]);
			await page.waitForLoadState("load");
		}
		seen.order = decodeURIComponent(new URL(page.url()).pathname.split("/").pop());
		seen.text = await text(page.locator("main, .page-content-wrapper, body").first());
		seen.buttons = await visibleTexts(page.locator(".page-content-wrapper a.btn, .page-content-wrapper button"));
	});
	await step(`${prefix}-shop-hosted-page`, page, async (seen) => {
		const pay = page.locator("#pay-for-order").first();
		seen.pay_label = await text(pay);
		await Promise.all([page.waitForURL((url) => !url.href.startsWith(HOME), { timeout: STEP_TIMEOUT }), pay.click()]);
		await hostedPage(page, seen);
	});
	await step(`${prefix}-shop-refused`, page, async (seen) => {
		await typeCard(page, config.cards.refused);
		await sitePage(page, seen);
	});
	await step(`${prefix}-shop-try-again`, page, async (seen) => {
		await Promise.all([page.waitForNavigation({ timeout: STEP_TIMEOUT }), page.locator("a.btn-primary").first().click()]);
		await hostedPage(page, seen);
	});
	await step(`${prefix}-shop-paid`, page, async (seen) => {
		await typeCard(page, config.cards.success);
		seen.landed = page.url();
		await sitePage(page, seen);
		// The success page sends the shopper on to the order page.
		const order = results.steps[`${prefix}-shop-order`].order;
		if (order && !page.url().includes(`/orders/${order}`)) {
			await page.waitForURL((url) => url.pathname.includes(`/orders/${order}`), { timeout: 15000 }).catch(() => {});
		}
		await page.waitForLoadState("load");
		seen.final_url = page.url();
		seen.final_text = await text(page.locator("main, .page-content-wrapper, body").first());
	});
	await context.close();
}

async function main() {
	const args = ["--no-sandbox"];
	const proxy = config.site && config.site !== config.base && HOME.startsWith("http:") ? await startProxy() : null;
	if (proxy) {
		args.push(`--proxy-server=http://127.0.0.1:${proxy.address().port}`, "--proxy-bypass-list=<-loopback>");
	}
	const browser = await chromium.launch({ executablePath: config.chromium, args });
	try {
		for (const run of config.runs) {
			const lang = run.lang;
			await accountantBefore(browser, lang, run);
			// The customer opens the link the accountant copied.
			const copied = results.steps[`${lang}-1-payment-request-link`].copied || "";
			const link = copied.includes("/stancer_checkout?token=") ? copied : run.link;
			await customer(browser, lang, { tag: "a", link }, run.browser_locale);
			await customer(browser, lang, { tag: "b", link: run.link_refused, refused_first: true }, run.browser_locale);
			if (run.link_other_browser) {
				await customer(browser, lang, { tag: "c", link: run.link_other_browser }, run.other_browser_locale);
			}
			await accountantAfter(browser, lang, run);
		}
		for (const run of config.shop || []) await shop(browser, run.lang, run);
	} finally {
		await browser.close();
		if (proxy) proxy.close();
		save();
	}
}

main().catch((error) => {
	results.errors.push(`fatal: ${error.stack || error}`);
	save();
	process.exit(1);
});
