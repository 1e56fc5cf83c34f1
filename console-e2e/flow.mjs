// The console as a clerk uses it, in Debian's headless Chromium: log in, upload a list
// with errors, read the row-by-row reasons, upload the fixed file (with the progress
// bar), publish, and find it in the public record. Run by tests/tests/console_browser.rs
// with the server's URL, the two files and where to put screenshots; exits non-zero with
// a message on the first thing that is not as a clerk would expect.
import { chromium } from "playwright-core";

const [url, badFile, goodFile, shots] = process.argv.slice(2);
const must = (cond, what) => {
  if (!cond) throw new Error(what);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: "zh-CN" });

  // Anything but the login page sends a visitor to log in first.
  await page.goto(`${url}/imports/new`);
  must(page.url().includes("/login"), `not sent to login: ${page.url()}`);
  await page.fill("input[name=username]", "shiqiao");
  await page.fill("input[name=password]", "wrong password");
  await page.click("button[type=submit]");
  must((await page.textContent("p.error")).includes("用户名或密码不正确"), "wrong password not explained");
  await page.fill("input[name=password]", "yunxi-demo-2026");
  await page.click("button[type=submit]");
  await page.waitForURL(`${url}/imports/new`);
  await page.screenshot({ path: `${shots}/console-import-form.png`, fullPage: true });

  async function upload(file) {
    await page.selectOption("select[name=list_kind]", "subsidy");
    await page.selectOption("select[name=scope]", "419901102201");
    await page.fill("input[name=programme]", "耕地地力保护补贴");
    await page.fill("input[name=issuer]", "石桥镇人民政府、云溪县财政局");
    await page.setInputFiles("input[name=file]", file);
    await Promise.all([page.waitForURL(/\/imports\/\d+$/), page.click("form[data-progress] button[type=submit]")]);
  }

  // The bad file: every problem listed with its line, and no way to publish.
  await upload(badFile);
  const alert = await page.textContent("p.error");
  must(alert.includes("整份名单不能发布"), `no refusal: ${alert}`);
  const rows = await page.$$eval("table.errors tbody tr", (trs) => trs.map((tr) => tr.innerText));
  must(rows.some((r) => r.includes("第 5 行") && r.includes("缺少姓名")), `line 5: ${rows}`);
  must(rows.some((r) => r.includes("第 6 行") && r.includes("校验位")), `line 6: ${rows}`);
  must((await page.$("text=发布这份名单")) === null, "publish offered for a bad file");
  await page.screenshot({ path: `${shots}/console-import-errors.png`, fullPage: true });

  // The fixed file: checked, published.
  await page.goto(`${url}/imports/new`);
  await upload(goodFile);
  must((await page.textContent("p.ok")).includes("检查通过"), "fixed file not accepted");
  await page.screenshot({ path: `${shots}/console-import-ok.png`, fullPage: true });
  await Promise.all([page.waitForURL(`${url}/history`), page.click("text=发布这份名单")]);
  const record = await page.textContent("table.log");
  must(record.includes("耕地地力保护补贴"), "published list not in the public record");
  must((await page.textContent("p.ok")).includes("核验通过"), "chain does not verify");
  await page.screenshot({ path: `${shots}/console-history.png` });

  // A catalog item written in the rich-text editor (script-enhanced textarea).
  await page.goto(`${url}/disclosures/new`);
  await page.selectOption("select[name=scope]", "419901102");
  await page.fill("input[name=title]", "石桥镇2026年秋冬季农田水利建设项目公示");
  await page.fill("input[name=publisher]", "石桥镇人民政府");
  await page.click("div.richtext");
  await page.keyboard.type("项目总投资");
  await page.click("text=加粗");
  await page.keyboard.type("46.8万元");
  await page.screenshot({ path: `${shots}/console-disclosure-editor.png`, fullPage: true });
  await page.click("form.card button[type=submit]");
  await page.waitForSelector(".resident-frame");
  must((await page.textContent(".resident-frame")).includes("46.8万元"), "the preview does not show the item");
  await page.screenshot({ path: `${shots}/console-disclosure-preview.png`, fullPage: true });
  // 返回修改: the form comes back with what was written, the rich text included.
  await Promise.all([page.waitForNavigation(), page.click("text=返回修改")]);
  must((await page.inputValue("input[name=title]")) === "石桥镇2026年秋冬季农田水利建设项目公示", "title lost going back");
  must((await page.textContent("div.richtext")).includes("46.8万元"), "body lost going back");
  await page.click("form.card button[type=submit]");
  await page.waitForSelector(".resident-frame");
  await Promise.all([page.waitForURL(`${url}/history`), page.click("text=确认发布")]);
  must((await page.textContent("table.log")).includes("农田水利建设项目公示"), "catalog item not in the record");

  // The quarter's review of the township and its villages.
  await page.goto(`${url}/reports`);
  must((await page.textContent("table")).includes("石桥村"), "report lacks the villages");
  await page.screenshot({ path: `${shots}/console-report.png`, fullPage: true });

  // Hostile titles and bodies shown in the console run nothing (the XSS corpus test
  // publishes them through the same forms).
  await page.goto(`${url}/notices/new`);
  await page.selectOption("select[name=scope]", "419901102");
  await page.fill("input[name=title]", "<img src=x onerror=window.__pwned=1>标题");
  await page.fill("textarea[name=body]", "<script>window.__pwned=1</script><svg onload=window.__pwned=1>");
  await Promise.all([page.waitForNavigation(), page.click("form.card button[type=submit]")]);
  await page.waitForTimeout(300);
  must((await page.evaluate(() => typeof window.__pwned)) === "undefined", "a payload ran in the preview");
  await Promise.all([page.waitForURL(`${url}/history`), page.click("text=确认发布")]);
  await page.waitForTimeout(500);
  must((await page.evaluate(() => typeof window.__pwned)) === "undefined", "a payload ran in the console");
  must((await page.textContent("table.log")).includes("<img src=x onerror"), "title not shown as text");

  // 公开屏管理: the kiosk enrolled for 石桥村 reported before this clerk published the list
  // and the notices above, so it shows as behind; its page compares what it shows with
  // the server; 公示核验 lists the village's finance statements.
  await page.goto(`${url}/fleet`);
  must((await page.textContent("[data-testid=count-behind]")).trim() === "1", "kiosk not shown as behind");
  must((await page.textContent("table[data-testid=fleet]")).includes("419901102201-01"), "kiosk not listed");
  await page.screenshot({ path: `${shots}/console-fleet.png`, fullPage: true });
  await page.click("text=419901102201-01");
  await page.waitForURL(/\/fleet\/kiosks\//);
  must((await page.textContent("main")).includes("不一致"), "no shown-vs-server comparison");
  must((await page.$("[data-testid=display-log-ok]")) !== null, "display log not verified");
  await page.screenshot({ path: `${shots}/console-fleet-kiosk.png`, fullPage: true });
  await page.goto(`${url}/fleet/posting`);
  must((await page.textContent("main")).includes("财务收支"), "no finance statements in 公示核验");
  await page.screenshot({ path: `${shots}/console-fleet-posting.png`, fullPage: true });

  // The dashboard and the review queue render for the reviewer.
  await page.goto(`${url}/`);
  must((await page.textContent("main")).includes("工作台"), "no dashboard");
  await page.screenshot({ path: `${shots}/console-dashboard.png` });

  // The county enters next year's holidays from a text file; a day that does not exist
  // is refused with its line, and what was loaded stays in the form to be fixed.
  await page.context().clearCookies();
  await page.goto(`${url}/login`);
  await page.fill("input[name=username]", "county");
  await page.fill("input[name=password]", "yunxi-demo-2026");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  await page.goto(`${url}/holidays`);
  await page.setInputFiles("input[data-fill=text]", {
    name: "2027.txt",
    mimeType: "text/plain",
    buffer: Buffer.from("holiday 2027-01-01..2027-01-03 元旦\nholiday 2027-02-30 春节\n"),
  });
  await page.waitForFunction(() => document.querySelector("textarea[name=text]").value.includes("元旦"));
  await Promise.all([page.waitForNavigation(), page.click("form.card button[type=submit]")]);
  const refused = await page.textContent("[data-testid=calendar-error]");
  must(refused.includes("第 2 行有误") && refused.includes("没有这一天"), `calendar error: ${refused}`);
  must((await page.inputValue("textarea[name=text]")).includes("元旦"), "pasted text lost");
  await page.screenshot({ path: `${shots}/console-holidays-refused.png`, fullPage: true });
  console.log("console flow ok");
} finally {
  await browser.close();
}
