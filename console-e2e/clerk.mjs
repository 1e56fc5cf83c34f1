// The console as a township clerk uses it, at 1366×768 in Debian's headless Chromium:
// a notice previewed with its reach, then its own page showing the notice; the import
// form showing only the chosen list type; a list kept the way offices keep it (the .xls
// fixture) with its sum against the sheet's 合计 and every skipped line; a title naming
// another village that must be confirmed; discarding that asks first and says what it
// discarded; the public record in pages with filters; /scopes inside the site; the
// enrollment code's validity; 公示核验 grouped; no empty 事由 in 诉求办理.
//
// Run by tests/tests/console_browser.rs with the server's URL, the .xls file and where to
// put screenshots; exits non-zero with a message on the first thing a clerk would trip on.
import { chromium } from "playwright-core";

const [url, officeXls, shots] = process.argv.slice(2);
const must = (cond, what) => {
  if (!cond) throw new Error(what);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: "zh-CN" });
  const shot = (name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
  // Every page fits the laptop's width: no sideways scrolling.
  const fits = async (what) => {
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    must(wide <= 1, `${what} is ${wide}px wider than the window`);
  };
  const text = async (sel) => (await page.textContent(sel)) ?? "";

  await page.goto(`${url}/login`);
  await page.fill("input[name=username]", "shiqiao");
  await page.fill("input[name=password]", "yunxi-demo-2026");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);

  // 1. A notice: preview with its reach, back to the form, confirm; its page shows it.
  await page.goto(`${url}/notices/new`);
  await page.selectOption("select[name=scope]", "419901102201");
  await page.fill("input[name=title]", "关于冬季防火的通知");
  await page.fill("textarea[name=body]", "冬季天干物燥，请各户注意用火安全。\n村里秸秆禁止焚烧，违者按规定处理。");
  await Promise.all([page.waitForNavigation(), page.click("form.card button[type=submit]")]);
  const reach = await text("[data-testid=reach]");
  must(reach.includes("将公开到“石桥村”") && reach.includes("1 台公开屏"), `reach: ${reach}`);
  must((await text(".resident-frame")).includes("村里秸秆禁止焚烧"), "preview does not show the notice");
  await fits("the notice preview");
  await shot("clerk-notice-preview");
  await Promise.all([page.waitForNavigation(), page.click("text=返回修改")]);
  must((await page.inputValue("input[name=title]")) === "关于冬季防火的通知", "title lost going back");
  await Promise.all([page.waitForNavigation(), page.click("form.card button[type=submit]")]);
  await Promise.all([page.waitForURL(`${url}/history`), page.click("text=确认发布")]);
  await page.click("table.log >> text=关于冬季防火的通知");
  await page.waitForURL(/\/history\/419901102201\/notice\//);
  must((await text(".resident-frame")).includes("冬季天干物燥"), "the notice's page does not show the notice");
  must((await text("table.kiosks")).includes("419901102201-01"), "no kiosk listed on the notice's page");
  await fits("the notice's page");
  await shot("clerk-notice-page");

  // 2. The import form shows only the chosen list type's fields.
  await page.goto(`${url}/imports/new`);
  must(await page.isVisible("fieldset[data-when='list_kind=subsidy']"), "subsidy fields hidden");
  must(!(await page.isVisible("fieldset[data-when='list_kind=board']")), "board fields shown for a subsidy list");
  await page.selectOption("select[name=list_kind]", "board");
  must(await page.isVisible("fieldset[data-when='list_kind=board']"), "board fields hidden for a board");
  must(!(await page.isVisible("fieldset[data-when='list_kind=subsidy']")), "subsidy fields shown for a board");
  await shot("clerk-import-form-board");
  await page.selectOption("select[name=list_kind]", "subsidy");

  async function upload(scope) {
    await page.goto(`${url}/imports/new`);
    await page.selectOption("select[name=list_kind]", "subsidy");
    await page.selectOption("select[name=scope]", scope);
    await page.fill("input[name=programme]", "耕地地力保护补贴");
    await page.fill("input[name=issuer]", "石桥镇人民政府、云溪县财政局");
    await page.setInputFiles("input[name=file]", officeXls);
    await Promise.all([page.waitForURL(/\/imports\/\d+$/), page.click("form[data-progress] button[type=submit]")]);
  }

  // 3. A list kept the way the office keeps it: accepted, summed against its 合计, and
  // the lines under the table listed.
  await upload("419901102201");
  must((await text("p.ok")).includes("检查通过：共 5 行"), `not accepted: ${await text("main")}`);
  const figures = await text("table.figures");
  must(figures.includes("表格自带的合计（第 9 行）") && figures.includes("一致"), `figures: ${figures}`);
  const skipped = await page.$$eval("table.skipped tbody tr", (trs) => trs.map((tr) => tr.innerText));
  must(skipped.length === 2 && skipped[0].includes("制表人") && skipped[1].includes("注："), `skipped: ${skipped}`);
  must((await text("[data-testid=reach]")).includes("将公开到“石桥村”"), "no reach before publishing a list");
  await fits("the import preview");
  await shot("clerk-import-office-list");

  // Discarding asks first, then says what was discarded.
  await page.click("details.discard summary");
  must((await text("details.discard")).includes("确定放弃吗"), "no question before discarding");
  await shot("clerk-import-discard-question");
  await Promise.all([page.waitForURL(/\/imports\/new\?discarded=/), page.click("details.discard button[type=submit]")]);
  must((await text("main")).includes("已放弃“township-list.xls”的导入"), "discard not confirmed on the form");
  await shot("clerk-import-discarded");

  // 4. The 石桥村 sheet chosen for 杨庄村: a warning, and publishing needs the tick.
  await upload("419901102202");
  must((await text("main")).includes("表格标题写的是“石桥村”，但您选择公开到“杨庄村”"), "no warning about the place");
  await shot("clerk-import-other-village");
  await page.click("text=发布这份名单");
  must(page.url().match(/\/imports\/\d+$/), "published without confirming the place");
  await page.check("input[name=confirm_place]");
  await Promise.all([page.waitForURL(`${url}/history`), page.click("text=发布这份名单")]);

  // 5. 公开记录: pages, filters, headers on one line, the verifier linked.
  await page.goto(`${url}/history`);
  const rows = await page.$$eval("table.log tbody tr", (trs) => trs.length);
  must(rows > 0 && rows <= 50, `${rows} rows on one page`);
  const heights = await page.$$eval("table.log th", (ths) => ths.map((th) => th.getBoundingClientRect().height));
  must(Math.max(...heights) < 2 * Math.min(...heights), `a column header wraps: ${heights}`);
  must((await page.$("a[href='/scopes#verify']")) !== null, "no link to how to verify");
  await fits("the public record");
  await shot("clerk-history");
  await Promise.all([page.waitForNavigation(), page.click("text=更早的记录")]);
  must((await text("nav.pages")).includes("回到最新"), "no way back to the newest");
  await page.goto(`${url}/history`);
  await page.selectOption("select[name=kind]", "relocation_board");
  await Promise.all([page.waitForNavigation(), page.click("form.filter button[type=submit]")]);
  const kinds = await page.$$eval("table.log tbody tr td:nth-child(4)", (tds) => [...new Set(tds.map((t) => t.innerText))]);
  must(kinds.length === 1 && kinds[0] === "移民三榜", `filter by kind: ${kinds}`);
  await shot("clerk-history-filtered");

  // 6. 公开屏管理: the code's validity is what the list says; 公示核验 grouped.
  await page.goto(`${url}/fleet`);
  await page.fill("input[name=kiosk_id]", "419901102202-01");
  await page.selectOption("form.card select[name=scope]", "419901102202");
  await Promise.all([page.waitForNavigation(), page.click("text=生成注册码")]);
  must((await text("main")).includes("7 天内有效"), "validity not stated");
  await page.goto(`${url}/fleet`);
  const pending = await page.$$eval("table[data-testid=pending] tbody tr", (trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.innerText)),
  );
  const mine = pending.find((r) => r[0] === "419901102202-01");
  must(mine, "new code not listed");
  const days = (Date.parse(mine[3].replace(" ", "T") + ":00+08:00") - Date.parse(mine[2].replace(" ", "T") + ":00+08:00")) / 86400000;
  must(days === 7, `listed validity ${days} days, page says 7`);
  await page.goto(`${url}/fleet/posting`);
  const posting = await text("main");
  must(!posting.includes("这个范围内还没有注册的公开屏"), "the no-kiosk line is repeated row by row");
  must(posting.includes("项公示内容所在的村或乡镇还没有注册的公开屏"), "boards without kiosks not counted");
  await fits("公示核验");
  await shot("clerk-fleet-posting");

  // 7. 诉求办理: every filing has words where its subject belongs.
  await page.goto(`${url}/complaints`);
  const subjects = await page.$$eval("table tbody tr td:nth-child(3)", (tds) => tds.map((t) => t.innerText.trim()));
  must(subjects.length > 0 && subjects.every((s) => s.length > 0), `empty 事由: ${JSON.stringify(subjects)}`);
  must(subjects.some((s) => s.startsWith("（未填事由）")), "the old filing without a subject is not marked");
  await fits("诉求办理");
  await shot("clerk-complaints");

  // 8. /scopes is a page of the site for anyone, explaining what it shows.
  await page.context().clearCookies();
  await page.goto(`${url}/history`);
  await Promise.all([page.waitForNavigation(), page.click("header.top >> text=签名与核验")]);
  must((await page.title()).includes("发布区域与核验"), `title: ${await page.title()}`);
  must((await text("main")).includes("公钥只能用来核对签名"), "the key is not explained");
  must((await page.$("header.top nav")) !== null, "no site navigation on /scopes");
  await fits("/scopes");
  await shot("clerk-scopes");
  console.log("clerk flow ok");
} finally {
  await browser.close();
}
