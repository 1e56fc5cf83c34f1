//! A corpus of XSS payloads and a check for markup that could still run, shared by the
//! publish-path test and the real-webview tests.

/// Payloads from the usual filter-evasion lists, each trying to set `window.__pwned`.
pub const CORPUS: &[&str] = &[
    "<script>window.__pwned=1</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=\"window.__pwned=1\">",
    "<img src=\"javascript:window.__pwned=1\">",
    "<a href=\"javascript:window.__pwned=1\">点这里</a>",
    "<a href=\"JaVaScRiPt:window.__pwned=1\">大写</a>",
    "<a href=\"&#106;avascript:window.__pwned=1\">实体</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">data</a>",
    "<svg onload=\"window.__pwned=1\"><circle r=\"9\"/></svg>",
    "<svg><script>window.__pwned=1</script></svg>",
    "<math><mi xlink:href=\"javascript:window.__pwned=1\">x</mi></math>",
    "<iframe src=\"javascript:window.__pwned=1\"></iframe>",
    "<object data=\"javascript:window.__pwned=1\"></object>",
    "<embed src=\"javascript:window.__pwned=1\">",
    "<body onload=\"window.__pwned=1\">",
    "<div style=\"background:url(javascript:window.__pwned=1)\">css</div>",
    "<div style=\"width: expression(window.__pwned=1)\">ie</div>",
    "<style>@import 'javascript:window.__pwned=1';</style>",
    "<link rel=stylesheet href=\"javascript:window.__pwned=1\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:window.__pwned=1\">",
    "<form action=\"javascript:window.__pwned=1\"><button>提交</button></form>",
    "<input autofocus onfocus=\"window.__pwned=1\">",
    "<details open ontoggle=\"window.__pwned=1\">",
    "<p title=\"</p><script>window.__pwned=1</script>\">属性</p>",
    "<<script>script>window.__pwned=1<</script>/script>",
    "<scr<script>ipt>window.__pwned=1</scr</script>ipt>",
    "<img src=\"x\" o\0nerror=\"window.__pwned=1\">",
    "<a href=\" javascript:window.__pwned=1\">前导空格</a>",
    "<base href=\"javascript:/\">",
    "<template><script>window.__pwned=1</script></template>",
    "<noscript><p title=\"</noscript><img src=x onerror=window.__pwned=1>\">",
    "<video><source onerror=\"window.__pwned=1\"></video>",
];

/// What in the sanitized HTML's markup could still run. Only tags are looked at: text
/// that shows a payload as escaped characters is harmless.
pub fn dangerous(html: &str) -> Option<&'static str> {
    let mut tags = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let close = rest[open..].find('>').map_or(rest.len(), |c| open + c + 1);
        tags.push_str(&rest[open..close]);
        rest = &rest[close..];
    }
    let lower = tags.to_ascii_lowercase();
    [
        "<script",
        "javascript:",
        "onerror",
        "onload",
        "onfocus",
        "ontoggle",
        "<iframe",
        "<object",
        "<embed",
        "<svg",
        "<math",
        "<style",
        "<link",
        "<meta",
        "<form",
        "<base",
        "expression(",
        "data:text",
        "<input",
        "<body",
        "<template",
    ]
    .into_iter()
    .find(|bad| lower.contains(bad))
}
