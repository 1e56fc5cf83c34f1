//! The demo county's 公开目录: items across the catalog categories of the seed plans,
//! each with 索引号, 发布机构, 文号 and date.

use chrono::{Duration, NaiveDate};
use gongkai_model::{Attachment, ContentKind, Disclosure};
use gongkai_store::blobs::BlobStore;
use gongkai_store::{Edit, StoreError};

/// (category, publisher, department number in the 索引号, 文号 prefix, title, days ago)
type Seed = (
    &'static str,
    &'static str,
    u32,
    &'static str,
    &'static str,
    i64,
);

const SEEDS: &[Seed] = &[
    (
        "机构职能",
        "云溪县人民政府办公室",
        1,
        "",
        "云溪县人民政府办公室主要职责、内设机构和人员编制规定",
        300,
    ),
    (
        "机构职能",
        "云溪县财政局",
        12,
        "",
        "云溪县财政局机构职能及办公地址",
        280,
    ),
    (
        "机构职能",
        "云溪县民政局",
        15,
        "",
        "云溪县民政局机构职能及内设科室",
        270,
    ),
    (
        "机构职能",
        "云溪县农业农村局",
        21,
        "",
        "云溪县农业农村局机构职能",
        265,
    ),
    (
        "机构职能",
        "云溪县水利局",
        23,
        "",
        "云溪县水利局机构职能及移民安置工作职责",
        260,
    ),
    (
        "政策法规",
        "云溪县人民政府",
        0,
        "云政",
        "云溪县人民政府关于印发《云溪县政务公开工作实施办法》的通知",
        250,
    ),
    (
        "政策法规",
        "云溪县人民政府办公室",
        1,
        "云政办",
        "云溪县人民政府办公室关于进一步深化村务公开和民主管理工作的意见",
        240,
    ),
    (
        "政策法规",
        "云溪县人民政府",
        0,
        "云政",
        "云溪县城乡居民最低生活保障实施细则",
        230,
    ),
    (
        "政策法规",
        "云溪县农业农村局",
        21,
        "云农",
        "云溪县2026年耕地地力保护补贴实施方案",
        220,
    ),
    (
        "政策法规",
        "云溪县人民政府办公室",
        1,
        "云政办",
        "云溪县政府信息依申请公开办理规范",
        210,
    ),
    (
        "政策法规",
        "云溪县民政局",
        15,
        "云民",
        "云溪县临时救助实施办法",
        200,
    ),
    (
        "政策法规",
        "云溪县住房和城乡建设局",
        31,
        "云建",
        "云溪县农村低收入群体等重点对象住房安全保障实施方案",
        190,
    ),
    (
        "政策法规",
        "云溪县人民政府办公室",
        1,
        "云政办",
        "关于全面推行首问负责制、限时办结制和服务承诺制的规定",
        185,
    ),
    (
        "规划计划",
        "云溪县人民政府办公室",
        1,
        "云政办",
        "云溪县2026年政务公开工作要点",
        180,
    ),
    (
        "规划计划",
        "云溪县发展和改革委员会",
        11,
        "",
        "云溪县国民经济和社会发展第十五个五年规划纲要",
        175,
    ),
    (
        "规划计划",
        "云溪县人民政府",
        0,
        "",
        "云溪县2026年十项重点民生实事",
        170,
    ),
    (
        "规划计划",
        "云溪县自然资源局",
        25,
        "",
        "云溪县国土空间总体规划（2021—2035年）批后公告",
        165,
    ),
    (
        "规划计划",
        "云溪县农业农村局",
        21,
        "",
        "云溪县2026年高标准农田建设实施计划",
        160,
    ),
    (
        "财政预决算",
        "云溪县财政局",
        12,
        "",
        "云溪县2026年一般公共预算收支情况",
        155,
    ),
    (
        "财政预决算",
        "云溪县财政局",
        12,
        "",
        "云溪县2025年财政决算报告",
        150,
    ),
    (
        "财政预决算",
        "云溪县民政局",
        15,
        "",
        "云溪县民政局2026年部门预算",
        145,
    ),
    (
        "财政预决算",
        "云溪县农业农村局",
        21,
        "",
        "云溪县农业农村局2026年部门预算",
        140,
    ),
    (
        "财政预决算",
        "云溪县财政局",
        12,
        "",
        "云溪县2025年政府债务限额及余额情况",
        135,
    ),
    (
        "三公经费",
        "云溪县财政局",
        12,
        "",
        "云溪县2025年度县级“三公”经费决算情况说明",
        130,
    ),
    (
        "三公经费",
        "云溪县财政局",
        12,
        "",
        "云溪县2026年度县级“三公”经费预算情况说明",
        125,
    ),
    (
        "行政审批",
        "云溪县政务服务中心",
        40,
        "",
        "云溪县行政许可事项清单（2026年版）",
        120,
    ),
    (
        "行政审批",
        "云溪县政务服务中心",
        40,
        "",
        "云溪县政务服务中心窗口设置及办理事项",
        115,
    ),
    (
        "行政审批",
        "云溪县财政局",
        12,
        "",
        "云溪县行政事业性收费目录清单",
        110,
    ),
    (
        "人事信息",
        "云溪县人力资源和社会保障局",
        18,
        "",
        "云溪县2026年事业单位公开招聘工作人员公告",
        105,
    ),
    (
        "人事信息",
        "云溪县卫生健康委员会",
        33,
        "",
        "云溪县2026年公开招聘乡村医生拟聘用人员公示",
        100,
    ),
    (
        "人事信息",
        "云溪县人民政府",
        0,
        "云政任",
        "云溪县人民政府关于王建军等同志职务任免的通知",
        95,
    ),
    (
        "人事信息",
        "云溪县人力资源和社会保障局",
        18,
        "",
        "云溪县2026年度考试录用公务员拟录用人员公示",
        90,
    ),
    (
        "重大项目",
        "云溪县水利局",
        23,
        "",
        "云溪水库移民安置工程项目公示",
        85,
    ),
    (
        "重大项目",
        "云溪县水利局",
        23,
        "",
        "云溪县农村供水保障工程招标公告",
        80,
    ),
    (
        "重大项目",
        "云溪县交通运输局",
        27,
        "",
        "县道X012石桥至柳湾段改建工程中标结果公示",
        75,
    ),
    (
        "重大项目",
        "云溪县发展和改革委员会",
        11,
        "",
        "云溪县2026年以工代赈项目计划",
        70,
    ),
    (
        "重大项目",
        "云溪县生态环境分局",
        29,
        "",
        "柳湾乡农村生活污水治理项目批前公示",
        65,
    ),
    (
        "社会救助",
        "云溪县民政局",
        15,
        "",
        "云溪县2026年第三季度城乡低保资金发放情况",
        60,
    ),
    (
        "社会救助",
        "云溪县农业农村局",
        21,
        "",
        "云溪县2026年耕地地力保护补贴资金发放情况",
        55,
    ),
    (
        "社会救助",
        "云溪县应急管理局",
        35,
        "",
        "云溪县2026年汛期受灾群众一次性救灾资金发放情况",
        50,
    ),
    (
        "社会救助",
        "云溪县残疾人联合会",
        37,
        "云残联",
        "关于调整困难残疾人两项补贴标准的通知",
        45,
    ),
    (
        "应急管理",
        "云溪县应急管理局",
        35,
        "云应急",
        "云溪县2026年防汛抗旱应急预案",
        40,
    ),
    (
        "应急管理",
        "云溪县林业局",
        39,
        "云林",
        "关于做好今冬明春森林防火工作的通知",
        35,
    ),
    (
        "政府信息公开年报",
        "云溪县人民政府办公室",
        1,
        "",
        "云溪县人民政府2025年政府信息公开工作年度报告",
        30,
    ),
    (
        "政府信息公开年报",
        "云溪县财政局",
        12,
        "",
        "云溪县财政局2025年政府信息公开工作年度报告",
        28,
    ),
    (
        "政府信息公开年报",
        "云溪县民政局",
        15,
        "",
        "云溪县民政局2025年政府信息公开工作年度报告",
        26,
    ),
    (
        "政务公开考核",
        "云溪县人民政府办公室",
        1,
        "云政办",
        "云溪县2026年第三季度政务公开工作考核结果通报",
        20,
    ),
    (
        "政务公开考核",
        "云溪县人民政府办公室",
        1,
        "",
        "关于2026年上半年政府网站和政务新媒体检查情况的通报",
        18,
    ),
    (
        "政务公开考核",
        "云溪县人民政府办公室",
        1,
        "",
        "云溪县政务公开目录更新情况（每20个工作日更新）",
        10,
    ),
    (
        "政策解读",
        "云溪县人民政府办公室",
        1,
        "",
        "图解：《政府信息公开条例》依申请公开怎么办",
        8,
    ),
    (
        "政策解读",
        "云溪县民政局",
        15,
        "",
        "一图读懂城乡低保申请流程",
        6,
    ),
    (
        "政策解读",
        "云溪县水利局",
        23,
        "",
        "移民“三榜公示”是什么？一文说清",
        4,
    ),
];

fn body(category: &str, title: &str, publisher: &str) -> String {
    let lead = match category {
        "机构职能" => format!("<p>根据县委、县政府机构改革方案，{publisher}是县政府工作部门。现将主要职责、内设机构、办公地址和联系方式公开如下。</p><h3>主要职责</h3><ul><li>贯彻执行国家、省、市有关方针政策和法律法规，拟订全县相关政策措施并组织实施。</li><li>负责本系统政务公开、政府信息公开和依申请公开工作，实行首问负责制、限时办结制。</li><li>承办县委、县政府交办的其他事项。</li></ul><h3>办公地址</h3><p>云溪县人民路88号县行政中心，办公时间：工作日上午8:30—12:00，下午14:30—17:30。</p>"),
        "政策法规" | "规划计划" => format!("<p>为全面贯彻《中华人民共和国政府信息公开条例》，进一步深化政务公开、村务公开，推进法治政府、阳光政府建设，经县人民政府研究同意，现将《{title}》印发给你们，请认真遵照执行。</p><h3>一、总体要求</h3><p>坚持以公开为常态、不公开为例外，围绕群众关心的热点、社会关注的焦点和与群众切身利益密切相关的事项，做到公开内容真实、公开程序规范、公开时间及时。</p><h3>二、主要任务</h3><p>（一）完善政府信息公开目录，至少每20个工作日更新一次。（二）推行办事公开，公开办事依据、程序、时限、收费标准和投诉渠道。（三）村务、财务每季度至少公开一次，涉及群众利益的重大事项随时公开。</p><h3>三、保障措施</h3><p>将政务公开工作纳入年度目标考核，实行季度通报；对未按要求公开的，依规追究相关单位和责任人的责任。</p>"),
        "财政预决算" | "三公经费" => format!("<p>根据《中华人民共和国预算法》和财政预决算公开有关规定，现将{title}公开如下。</p><table><tr><th>项目</th><th>金额（万元）</th></tr><tr><td>一般公共预算收入</td><td>86,420</td></tr><tr><td>一般公共预算支出</td><td>312,655</td></tr><tr><td>其中：民生支出</td><td>247,318</td></tr></table><p>“三公”经费支出较上年下降4.6%，其中因公出国（境）费0万元，公务用车购置及运行费312万元，公务接待费46万元。</p>"),
        "人事信息" => format!("<p>{title}。经考试、考察、体检等程序，现予公示。公示期为7个工作日。公示期间如有异议，请以书面形式向{publisher}反映，反映问题要实事求是，并提供联系方式。</p><p>监督电话：0398-6122012</p>"),
        "重大项目" => format!("<p>项目名称：{title}。项目法人：{publisher}。资金来源：中央、省级专项资金和县级配套资金。</p><p>根据重大建设项目批准和实施领域政府信息公开要求，现将项目批准、招标投标、征收补偿、施工和质量安全监督等信息予以公开，接受社会监督。公示期10天。</p>"),
        "社会救助" => format!("<p>{title}。资金已通过惠民惠农财政补贴资金“一卡通”发放到户，发放名单已在各村村务公开栏和本系统公示，群众可持身份证到村委会或查询一体机核对。</p><p>对发放情况有异议的，可向乡镇人民政府或{publisher}反映，举报电话：0398-6122301。</p>"),
        _ => format!("<p>{title}。</p><p>各乡镇人民政府、县直各单位要对照要求逐项抓好落实，按照“谁公开谁审查、谁审查谁负责”的原则，做好保密审查，确保公开内容准确、及时、规范。</p><p>发布机构：{publisher}。</p>"),
    };
    lead
}

/// An organisation chart as an SVG attachment, to exercise blobs end to end.
fn org_chart_svg() -> String {
    let boxes = ["综合股", "政务公开股", "督查股", "信息化股"];
    let mut svg = String::from(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="640" height="260" viewBox="0 0 640 260"><rect width="640" height="260" fill="#fff"/><rect x="220" y="20" width="200" height="50" rx="6" fill="#b71c1c"/><text x="320" y="52" font-size="20" text-anchor="middle" fill="#fff">县政府办公室</text>"##,
    );
    for (i, name) in boxes.iter().enumerate() {
        let x = 20 + i as i32 * 155;
        svg.push_str(&format!(
            r##"<line x1="320" y1="70" x2="{cx}" y2="170" stroke="#555"/><rect x="{x}" y="170" width="135" height="50" rx="6" fill="#fbe9e7" stroke="#b71c1c"/><text x="{cx}" y="202" font-size="18" text-anchor="middle" fill="#222">{name}</text>"##,
            cx = x + 67
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The 政务公开工作要点 as a two-page PDF, the way offices publish documents.
fn work_plan_pdf(year: &str) -> Result<Vec<u8>, StoreError> {
    let l = |size: f32, text: &str| (size, text.to_string());
    let font = gongkai_print::system_font().ok_or_else(|| {
        StoreError::Blob(std::io::Error::other(format!(
            "the demo's PDF needs {} (Debian: fonts-noto-cjk)",
            gongkai_print::SYSTEM_FONT
        )))
    })?;
    gongkai_print::document(
        &[
            vec![
                l(22.0, "云溪县人民政府办公室"),
                l(
                    18.0,
                    &format!("关于印发《云溪县{year}年政务公开工作要点》的通知"),
                ),
                l(12.0, &format!("云政办〔{year}〕29号")),
                l(14.0, "各乡镇人民政府，县直各单位："),
                l(
                    14.0,
                    &format!("《云溪县{year}年政务公开工作要点》已经县人民政府"),
                ),
                l(14.0, "研究同意，现印发给你们，请认真遵照执行。"),
                l(16.0, "一、加强和规范政务服务中心建设"),
                l(14.0, "凡与企业和群众密切相关的行政许可事项，应全部纳入"),
                l(14.0, "政务服务中心办理，实行“一站式”服务，推行首问负责制、"),
                l(14.0, "限时办结制和服务承诺制。"),
                l(16.0, "二、扎实推进政府信息公开工作"),
                l(14.0, "按照“谁产生谁公开、谁保存谁公开”的原则，明确公开"),
                l(14.0, "责任主体；政府信息公开目录每20个工作日至少更新一次。"),
            ],
            vec![
                l(16.0, "三、深化村务公开"),
                l(
                    14.0,
                    "各村财务收支明细每月公开一次，公开栏面积不少于10平方米，",
                ),
                l(14.0, "公开栏旁设置投诉箱并公布举报电话。"),
                l(16.0, "四、做好依申请公开"),
                l(14.0, "依申请公开在20个工作日内答复；需要延长答复期限的，"),
                l(14.0, "延长期限最长不超过20个工作日。"),
                l(16.0, "五、强化监督考核"),
                l(14.0, "将政务公开工作纳入年度目标考核，实行季度通报。"),
                l(12.0, &format!("云溪县人民政府办公室　{year}年3月26日印发")),
            ],
        ],
        &font,
    )
    .map_err(|e| StoreError::Blob(std::io::Error::other(e.to_string())))
}

/// The pages of a PDF as images, rendered once per process: the work plan changes only
/// with the year, and generating the county for many dates (tests/dates.rs) would
/// otherwise run the renderer for each.
fn rendered_pages(sha: &str, pdf: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
    type Pages = std::collections::HashMap<String, Vec<Vec<u8>>>;
    static RENDERED: std::sync::OnceLock<std::sync::Mutex<Pages>> = std::sync::OnceLock::new();
    let cache = RENDERED.get_or_init(Default::default);
    if let Some(pages) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(sha) {
        return Ok(pages.clone());
    }
    let pages = gongkai_api::pdf::render_pages(pdf, 110)
        .map_err(|e| StoreError::Blob(std::io::Error::other(e.to_string())))?;
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(sha.to_string(), pages.clone());
    Ok(pages)
}

pub fn disclosures(today: NaiveDate, blobs: &BlobStore) -> Result<Vec<Edit>, StoreError> {
    let svg = org_chart_svg();
    let sha = blobs.put(svg.as_bytes())?;
    let plan_pdf = work_plan_pdf(&today.format("%Y").to_string())?;
    let plan_pdf_sha = blobs.put(&plan_pdf)?;
    let plan_pages = rendered_pages(&plan_pdf_sha, &plan_pdf)?
        .iter()
        .map(|png| blobs.put(png))
        .collect::<Result<Vec<_>, _>>()?;
    let mut per_dept: std::collections::HashMap<u32, u32> = Default::default();
    let mut edits = Vec::new();
    for (i, (category, publisher, dept, doc_prefix, title, ago)) in SEEDS.iter().enumerate() {
        let date = today - Duration::days(*ago);
        let year = date.format("%Y").to_string();
        let n = per_dept.entry(*dept).or_insert(0);
        *n += 1;
        let doc_no = if doc_prefix.is_empty() {
            String::new()
        } else {
            format!("{doc_prefix}〔{year}〕{}号", 3 + i * 2)
        };
        let attachments = if i == 0 {
            vec![Attachment {
                name: "内设机构图.svg".into(),
                sha256: sha.clone(),
                size: svg.len() as u64,
                mime: "image/svg+xml".into(),
                pages: vec![],
            }]
        } else if title.contains("政务公开工作要点") {
            vec![Attachment {
                name: format!("{title}.pdf"),
                sha256: plan_pdf_sha.clone(),
                size: plan_pdf.len() as u64,
                mime: "application/pdf".into(),
                pages: plan_pages.clone(),
            }]
        } else {
            vec![]
        };
        let item = Disclosure {
            index_no: format!("419901{dept:03}/{year}-{n:05}"),
            publisher: (*publisher).into(),
            doc_no,
            published_on: date,
            category: (*category).into(),
            title: (*title).into(),
            body_html: body(category, title, publisher),
            attachments,
        };
        edits.push(Edit::put(
            ContentKind::Disclosure,
            format!("disclosure-{:03}", i + 1),
            &item,
        ));
    }
    Ok(edits)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_demo_item_is_in_a_catalog_category() {
        for seed in super::SEEDS {
            assert!(
                gongkai_model::content::CATALOG_CATEGORIES.contains(&seed.0),
                "{}",
                seed.0
            );
        }
    }
}
