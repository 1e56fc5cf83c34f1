// The public phone pages as a resident uses them, in Debian's headless Chromium at a
// cheap phone's size (360×740, zh-CN, touch). Two modes:
//
//   phone.mjs open URL EXPECT SHOT.png
//     opens one URL (read from a kiosk's QR code), checks the page shows EXPECT, saves a
//     screenshot and prints the page's text.
//   phone.mjs walk BASE NAME TAIL MASKED CODE SHOTS
//     chooses 石桥镇 → 石桥村 from the start page, counts the bytes the first village page
//     costs, reads finance (with its chart) and a notice, switches 大字 and 高对比, finds
//     the resident's own subsidy row by name and ID tail, and opens a filing by its code.
//
// Run by tests/tests/console_browser.rs and tests/tests/e2e.rs; exits non-zero with a
// message on the first thing that is not as a resident would expect.
import { chromium } from "playwright-core";

const [mode, ...args] = process.argv.slice(2);
const must = (cond, what) => {
  if (!cond) throw new Error(what);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const phone = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "zh-CN" };

/** Every page must read without script: none is sent. */
async function noScript(page) {
  must((await page.$$("script")).length === 0, `a script on ${page.url()}`);
}

try {
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  if (mode === "open") {
    const [url, expect, shot] = args;
    const response = await page.goto(url);
    must(response && response.ok(), `${url} answered ${response && response.status()}`);
    const text = await page.innerText("body");
    must(text.includes(expect), `${url} does not show “${expect}”:\n${text}`);
    await noScript(page);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(text);
  } else if (mode === "walk") {
    const [base, name, tail, masked, code, shots] = args;

    // The start page: county, then the township opens to its villages (no script: <details>).
    await page.goto(`${base}/m/`);
    await noScript(page);
    await page.screenshot({ path: `${shots}/phone-choose.png`, fullPage: true });
    await page.click("summary:has-text('石桥镇')");
    await Promise.all([page.waitForURL(/\/m\/419901102201$/), page.click("a:has-text('石桥村')")]);

    // What the village page costs a phone that never visited (arriving by a QR code):
    // every response of a fresh browser context, counted as sent (compressed).
    const fresh = await browser.newContext(phone);
    const first = await fresh.newPage();
    let bytes = 0;
    const counted = [];
    const pending = [];
    first.on("requestfinished", (request) => {
      pending.push(
        request.sizes().then((sizes) => {
          bytes += sizes.responseBodySize + sizes.responseHeadersSize;
          counted.push(request.url());
        }),
      );
    });
    await first.goto(`${base}/m/419901102201`, { waitUntil: "networkidle" });
    await Promise.all(pending);
    await fresh.close();
    console.log(`first village page: ${bytes} bytes in ${counted.length} responses (${counted.join(", ")})`);
    must(bytes > 0 && bytes <= 100 * 1024, `first page costs ${bytes} bytes`);
    const fingerprint = await page.textContent("footer .fingerprint");
    must(/^[0-9A-F]{4}-[0-9A-F]{4}$/.test(fingerprint ?? ""), `no fingerprint: ${fingerprint}`);
    await noScript(page);
    await page.screenshot({ path: `${shots}/phone-village.png`, fullPage: true });

    // 村务财务: the newest statement, its chart drawn as SVG on the server.
    await page.click("a.tile:has-text('村务财务')");
    await page.click("ul.entries li a >> nth=0");
    must((await page.$$("figure.chart svg rect")).length > 0, "no chart");
    must((await page.innerText("table.figures")).includes("期末余额"), "no balance");
    await page.screenshot({ path: `${shots}/phone-finance.png`, fullPage: true });

    // 通知公告: the newest notice.
    await page.goto(`${base}/m/419901102201/notice`);
    await page.click("ul.entries li a >> nth=0");
    must((await page.$$("main .body p")).length > 0, "notice without text");

    // 关怀: larger text and high contrast, kept across pages, and back.
    await page.goto(`${base}/m/419901102201`);
    const small = await page.$eval("body", (b) => parseFloat(getComputedStyle(b).fontSize));
    await page.click("nav.care a:has-text('大字')");
    await page.click("nav.care a:has-text('高对比')");
    must((await page.getAttribute("body", "class")).includes("large"), "大字 not kept");
    const large = await page.$eval("body", (b) => parseFloat(getComputedStyle(b).fontSize));
    must(large >= small * 1.2, `大字 ${large}px vs ${small}px`);
    const bg = await page.$eval("body", (b) => getComputedStyle(b).backgroundColor);
    must(bg === "rgb(0, 0, 0)", `高对比 background ${bg}`);
    await page.screenshot({ path: `${shots}/phone-care.png`, fullPage: false });
    await page.click("nav.care a:has-text('标准字')");
    await page.click("nav.care a:has-text('标准色')");
    must((await page.getAttribute("body", "class")) === "", "关怀 not switched off");

    // 查我的补贴: the resident's own row, nobody else's.
    await page.click("a.tile:has-text('查我的补贴')");
    await page.fill("#who", name);
    await page.fill("#tail", tail);
    await Promise.all([page.waitForURL(/\/find$/), page.click("form.find button")]);
    const found = await page.innerText("ul.found");
    must(found.includes(masked), `own row not found: ${found}`);
    await page.screenshot({ path: `${shots}/phone-my-subsidies.png`, fullPage: true });

    // 查询办理进度: typed loosely (lower case, no dashes).
    await page.goto(`${base}/m/419901102201`);
    await page.click("a.tile:has-text('查询办理进度')");
    await page.fill("#code", code.replaceAll("-", "").toLowerCase());
    await Promise.all([page.waitForURL(/\/track\/[0-9A-Z]{9}$/), page.click("form.find button")]);
    const status = await page.innerText("dl.status");
    must(status.includes(code), `filing not shown: ${status}`);
    await page.screenshot({ path: `${shots}/phone-track.png`, fullPage: true });
    console.log("walk done");
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} finally {
  await browser.close();
}
