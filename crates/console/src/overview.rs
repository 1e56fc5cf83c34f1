//! 发布区域与核验 (`/scopes`): a public page, inside the site's layout, that lists what
//! the server publishes for each county, township and village, and explains in plain
//! Chinese what the public key and the state hashes are for and how anyone can check a
//! screen or the public record against them.

use super::auth;
use super::shell::{level_label, page, Result};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use gongkai_api::state::AppState;
use maud::html;

pub async fn index(State(st): State<AppState>, headers: HeaderMap) -> Result<Response> {
    let session = auth::optional(&st, &headers).await;
    let heads = super::posting::blocking(&st.store, |s| s.heads()).await?;
    let key = st.signer.public();
    let ttl_hours = (st.signer.ttl_secs + 1_799) / 3_600;
    Ok(page(
        "发布区域与核验",
        session.as_ref().map(|s| &s.user),
        html! {
            p {
                "县、乡镇、村三级各有自己的公开内容。中心服务器每次发布都用县里的"
                strong { "签名密钥" } "签名，公开屏只显示签名核对无误的内容；"
                "任何人都可以用下面的" strong { "公钥" } "核对签名，不需要信任服务器或运营方。"
            }
            h2 { "签名公钥" }
            p { "编号 " code { (key.key_id()) } "（Ed25519）：" }
            p { code.key { (key.to_base64()) } }
            p.hint { "公钥只能用来核对签名，不能用来伪造签名。公开屏安装时就带着这把公钥；如果某台屏显示的内容签名对不上，它会拒收并在屏上说明。" }

            h2 { "各区域当前状态" }
            p.hint {
                "“状态摘要”是该区域全部公开内容算出的指纹（SHA-256 的前 16 位）："
                "内容有一个字不同，摘要就完全不同。两台公开屏显示同一区域的同一摘要，说明它们显示的内容完全一致。"
                "“变更序号”每发布、更正、撤回一次加一。"
            }
            table.scopes {
                thead { tr { th { "区划代码" } th { "级别" } th { "名称" } th { "公开内容" } th { "变更序号" } th { "状态摘要" } } }
                tbody {
                    @for h in &heads {
                        tr {
                            td { (h.scope.as_str()) }
                            td { (level_label(&h.scope)) }
                            td { (h.name) }
                            td { (h.item_count) " 条" }
                            td { (h.seq) }
                            td { code title=(h.state_hash.to_hex()) { (&h.state_hash.to_hex()[..16]) } }
                        }
                    }
                }
            }

            h2 id="check-a-screen" { "怎样核对一台公开屏" }
            ol {
                li { "公开屏上写着“数据更新于”的时间：这是它最后一次取得并核对签名数据的时间。签名数据的有效期是 " (ttl_hours) " 小时，过期仍没有更新，屏上会标出“可能不是最新”，请告诉村委会或乡镇。" }
                li { "工作人员在“公开屏管理”里可以看到每台屏核对过的区域、变更序号和状态摘要，与上表对照：一致就说明屏上内容与中心服务器发布的完全相同。" }
                li { "每一条内容的发布、更正、撤回时间，都可以在" a href="/history" { "公开记录" } "里查到。" }
            }

            h2 id="verify" { "怎样自己核验公开记录" }
            p { "公开记录是一条“哈希链”：每条记录都包含上一条记录的摘要，改动或删除任何一条，后面所有记录都会对不上。" }
            ol {
                li { "下载完整记录：" a href=(gongkai_protocol::paths::CHANGELOG) { code { (gongkai_protocol::paths::CHANGELOG) } } "（JSON，按序号从小到大，每次最多 1000 条，用 " code { "after=" } "上一页最后的序号 取下一页）。" }
                li { "从第一条起，按协议说明（docs/protocol.md 的“公开记录”一节）逐条计算摘要：把版本标记、上一条摘要、序号、时间、区域、类别、事项、标题、操作、内容摘要、经办人、审核稿号依次写入 SHA-256。" }
                li { "每条算出的摘要应等于记录里的 " code { "entry_hash" } "，并等于下一条的 " code { "prev_hash" } "；第一条的 " code { "prev_hash" } " 是 64 个 0。任何一条对不上，就说明记录被改过。" }
            }
            p {
                "也可以用核验工具 " code { "gongkai-verify" } " 一步完成（见项目说明 README 的“Checking the public record yourself”）："
                code { "gongkai-verify 服务器地址 --key 上面的公钥 --state 核验记录.json" } "。它还会记住每次核验过的记录，下次若有哪一条被改写（即使后面的记录都重新算过），会指出是第几号。"
            }
            p.hint { "每台公开屏也记着它最后核验过的链首：若公开记录不再从那里延续下去，公开屏会在状态中说明，并报告给县里的公开屏管理。" }
        },
    ))
}
