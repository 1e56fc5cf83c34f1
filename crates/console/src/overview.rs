//! The start of the web console: a read-only overview of what the server publishes.
//! (Publishing, review and login come with the console issue.)

use axum::extract::State;
use axum::response::Html;
use gongkai_api::state::AppState;
use gongkai_model::ScopeLevel;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub async fn index(State(st): State<AppState>) -> Html<String> {
    let store = st.store.clone();
    let heads = tokio::task::spawn_blocking(move || store.heads())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let mut rows = String::new();
    for h in &heads {
        let level = match h.scope.level() {
            ScopeLevel::County => "县",
            ScopeLevel::Township => "乡镇",
            ScopeLevel::Village => "村",
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            escape(h.scope.as_str()),
            level,
            escape(&h.name),
            h.item_count,
            h.seq,
            &h.state_hash.to_hex()[..16],
        ));
    }
    let key = st.signer.public();
    Html(format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>公开 · 中心服务器控制台</title>
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;margin:2rem;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.4rem .8rem;text-align:left}}
th{{background:#f3f3f3}}code{{font-size:.85em}}</style></head><body>
<h1>公开 · 中心服务器控制台</h1>
<p>签名公钥 <code>{}</code>（编号 {}）· 协议版本 1</p>
<h2>发布区域</h2>
<table><tr><th>区划代码</th><th>级别</th><th>名称</th><th>内容条数</th><th>变更序号</th><th>状态摘要</th></tr>{}</table>
</body></html>"#,
        escape(&key.to_base64()),
        key.key_id(),
        rows
    ))
}
