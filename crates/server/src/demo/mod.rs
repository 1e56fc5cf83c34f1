//! A realistic demo county (云溪县, a fictional county with code 419901) built from the
//! vocabulary of the county and township work plans in shared/seeds: its townships and
//! villages, disclosure catalog, service guides, notices, village finance, a township's
//! 粮食直补 list and a relocation village's three boards.
//!
//! Generation is deterministic (fixed seed) so screenshots and tests are repeatable.

mod catalog;
mod finance;
pub mod kiosks;
pub mod people;
mod relocation;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use gongkai_model::{ContentKind, Guide, Notice, ScopeId};
use gongkai_store::blobs::BlobStore;
use gongkai_store::{Edit, Role, SqliteStore, Store, StoreError};
use rand::rngs::StdRng;
use rand::SeedableRng;

pub const COUNTY: (&str, &str) = ("419901", "云溪县");

/// (code, name) of a village.
pub type Village = (&'static str, &'static str);

/// (township code, township name, its villages)
pub const TOWNSHIPS: &[(&str, &str, &[Village])] = &[
    (
        "419901101",
        "城关镇",
        &[("419901101201", "东关村"), ("419901101202", "南岗村")],
    ),
    (
        "419901102",
        "石桥镇",
        &[("419901102201", "石桥村"), ("419901102202", "杨庄村")],
    ),
    (
        "419901201",
        "柳湾乡",
        &[("419901201201", "柳湾村"), ("419901201202", "河口村")],
    ),
];

/// The village whose kiosk the demo opens.
pub const DEMO_VILLAGE: &str = "419901102201";
/// The relocation village (云溪水库移民).
pub const RELOCATION_VILLAGE: &str = "419901201202";

#[derive(Debug, Default, Clone)]
pub struct DemoSummary {
    pub scopes: usize,
    pub disclosures: usize,
    pub guides: usize,
    pub notices: usize,
    pub finance_statements: usize,
    pub subsidy_rows: usize,
    pub relocation_boards: usize,
}

fn scope(code: &str) -> Result<ScopeId, StoreError> {
    ScopeId::parse(code).map_err(|e| StoreError::UnknownScope(e.to_string()))
}

/// The demo's console password for every demo account (shown by `scripts/demo.sh`).
pub const DEMO_PASSWORD: &str = "yunxi-demo-2026";

/// Demo console accounts: (user name, display name, role, scope, office answered for).
pub const ACCOUNTS: &[(&str, &str, Role, &str, &str)] = &[
    (
        "county",
        "县政务公开办 李主任",
        Role::CountyAdmin,
        "419901",
        "云溪县人民政府办公室",
    ),
    // The second county account: a county-wide emergency needs two people.
    (
        "county2",
        "县政务公开办 陈科长",
        Role::CountyAdmin,
        "419901",
        "云溪县人民政府办公室",
    ),
    (
        "shiqiao",
        "石桥镇党政办 王审核",
        Role::TownshipReviewer,
        "419901102",
        "石桥镇人民政府",
    ),
    (
        "liuwan",
        "柳湾乡移民站 赵审核",
        Role::TownshipReviewer,
        "419901201",
        "柳湾乡人民政府",
    ),
    (
        "shiqiaocun",
        "石桥村 张会计",
        Role::VillageCadre,
        "419901102201",
        "",
    ),
    (
        "yangzhuang",
        "杨庄村 刘文书",
        Role::VillageCadre,
        "419901102202",
        "",
    ),
];

/// Creates the demo console accounts.
pub fn accounts(store: &dyn Store) -> anyhow::Result<usize> {
    for (username, name, role, scope, office) in ACCOUNTS {
        let scope = ScopeId::parse(scope)?;
        gongkai_console::auth::create_user(
            store,
            username,
            name,
            *role,
            &scope,
            office,
            DEMO_PASSWORD,
        )?;
    }
    Ok(ACCOUNTS.len())
}

/// One scope of the demo county and what is published there, in publish order (each
/// batch one transaction, as an office would post them).
#[derive(Debug)]
pub struct ScopeContent {
    pub scope: ScopeId,
    pub name: &'static str,
    pub batches: Vec<Vec<Edit>>,
}

/// The demo county as it stands at `today`: a year of finance up to last month, notices
/// current on that day, 三榜 periods around it. Attachments go into `blobs`; nothing is
/// published.
pub fn content(
    today: NaiveDate,
    blobs: &BlobStore,
) -> Result<(Vec<ScopeContent>, DemoSummary), StoreError> {
    let mut rng = StdRng::seed_from_u64(419_901);
    let mut summary = DemoSummary::default();
    let mut out = Vec::new();

    let disclosures = catalog::disclosures(today, blobs)?;
    summary.disclosures = disclosures.len();
    let guides = guides();
    summary.guides = guides.len();
    let county_notices = notices("云溪县人民政府办公室", COUNTY_NOTICES, today);
    summary.notices += county_notices.len();
    out.push(ScopeContent {
        scope: scope(COUNTY.0)?,
        name: COUNTY.1,
        batches: vec![disclosures, guides, county_notices],
    });

    for (t_code, t_name, villages) in TOWNSHIPS {
        let publisher = format!("{t_name}人民政府");
        let t_notices = notices(&publisher, TOWNSHIP_NOTICES, today);
        summary.notices += t_notices.len();
        let mut batches = vec![t_notices];
        let mut grain = None;
        if *t_code == "419901102" {
            let edits = people::grain_subsidy_list(&mut rng, t_name, today)?;
            summary.subsidy_rows += edits.len() - 1;
            grain = Some(edits.clone());
            batches.push(edits);
        }
        out.push(ScopeContent {
            scope: scope(t_code)?,
            name: t_name,
            batches,
        });

        for (v_code, v_name) in *villages {
            let statements = finance::statements(&mut rng, v_name, today, blobs)?;
            summary.finance_statements += statements.len();
            let mut dibao = people::dibao_list(&mut rng, v_name, t_name, today)?;
            if let Some(grain) = &grain {
                people::share_households(&mut dibao, grain, v_name, 3);
            }
            summary.subsidy_rows += dibao.len() - 1;
            let v_notices = notices(&format!("{v_name}村民委员会"), VILLAGE_NOTICES, today);
            summary.notices += v_notices.len();
            let mut batches = vec![statements, dibao, v_notices];
            if *v_code == RELOCATION_VILLAGE {
                let boards = relocation::boards(&mut rng, v_name, today);
                summary.relocation_boards = boards.len();
                batches.push(boards);
            }
            out.push(ScopeContent {
                scope: scope(v_code)?,
                name: v_name,
                batches,
            });
        }
    }
    summary.scopes = out.len();
    Ok((out, summary))
}

/// Fills an empty store with the demo county as it stands at `now` ([`content`]).
pub fn build(
    store: &SqliteStore,
    blobs: &BlobStore,
    now: DateTime<Utc>,
) -> Result<DemoSummary, StoreError> {
    let (scopes, summary) = content(gongkai_model::calendar::beijing_date(now), blobs)?;
    for s in scopes {
        store.ensure_scope(&s.scope, s.name)?;
        for batch in &s.batches {
            store.publish(&s.scope, batch)?;
        }
    }
    Ok(summary)
}

/// (title, body, days since publication, days until expiry or none)
type NoticeSeed = (&'static str, &'static str, i64, Option<i64>);

const COUNTY_NOTICES: &[NoticeSeed] = &[
    (
        "关于开通“12345”政务服务便民热线的公告",
        "<p>为进一步畅通群众诉求渠道，县政务服务中心“12345”政务服务便民热线24小时受理咨询、投诉、求助和建议。群众反映的问题实行“统一受理、分类处理、限时办结、过错问责”，一般事项5个工作日内答复。</p>",
        12,
        None,
    ),
    (
        "关于做好今冬明春森林防火工作的通告",
        "<p>即日起至明年4月30日为森林防火期。防火期内，严禁在林区野外吸烟、烧荒、上坟烧纸、燃放烟花爆竹。发现火情请立即拨打森林防火报警电话12119。</p>",
        5,
        Some(155),
    ),
    (
        "2026年城乡居民医疗保险集中缴费的通知",
        "<p>2027年度城乡居民基本医疗保险集中缴费期为即日起至12月31日，个人缴费标准为每人每年400元。可到村（社区）便民服务点、乡镇便民服务中心缴纳，也可通过“豫事办”缴纳。</p>",
        20,
        Some(35),
    ),
    (
        "国庆假期政务服务中心办公时间安排（已结束）",
        "<p>10月1日至10月8日放假调休，共8天。假期结束后恢复正常办公。</p>",
        60,
        Some(-50),
    ),
];

const TOWNSHIP_NOTICES: &[NoticeSeed] = &[
    (
        "镇便民服务中心窗口调整公告",
        "<p>自下周一起，镇便民服务中心社会救助窗口与残联窗口合并为“社会事务综合窗口”（3号窗口），实行首问负责制、一次性告知制和限时办结制。</p>",
        3,
        Some(60),
    ),
    (
        "秋冬季农田水利建设动员通知",
        "<p>各村要组织群众清淤疏渠、整修机井，确保明年春灌用水。所需资金按“一事一议”程序民主议定，结果在村务公开栏公示。</p>",
        9,
        Some(45),
    ),
];

const VILLAGE_NOTICES: &[NoticeSeed] = &[
    (
        "关于召开村民代表会议的通知",
        "<p>定于本月28日上午9时在村委会会议室召开村民代表会议，议题：2027年村级公益事业“一事一议”项目、村务财务公开情况通报。请各村民代表准时参加。</p>",
        2,
        Some(10),
    ),
    (
        "村务监督委员会公开电话及投诉箱位置",
        "<p>村务公开栏旁设有投诉箱，每周一由村务监督委员会开箱登记。对村务、财务公开内容有疑问，可拨打镇纪委举报电话0398-6123110。</p>",
        30,
        None,
    ),
];

fn notices(publisher: &str, seeds: &[NoticeSeed], today: NaiveDate) -> Vec<Edit> {
    let noon = |d: NaiveDate| {
        let naive = d.and_hms_opt(1, 0, 0).unwrap_or_default(); // 09:00 Beijing time
        Utc.from_utc_datetime(&naive)
    };
    seeds
        .iter()
        .enumerate()
        .map(|(i, (title, body, ago, expires))| {
            let notice = Notice {
                title: (*title).to_string(),
                publisher: publisher.to_string(),
                body_html: (*body).to_string(),
                publish_at: noon(today - Duration::days(*ago)),
                expire_at: expires.map(|d| noon(today + Duration::days(d))),
                images: vec![],
            };
            Edit::put(ContentKind::Notice, format!("notice-{}", i + 1), &notice)
        })
        .collect()
}

fn guides() -> Vec<Edit> {
    let g = |title: &str,
             department: &str,
             basis: &str,
             materials: &[&str],
             steps: &[&str],
             time_limit: &str,
             place: &str,
             phone: &str| Guide {
        title: title.into(),
        department: department.into(),
        basis: basis.into(),
        materials: materials.iter().map(|s| s.to_string()).collect(),
        steps: steps.iter().map(|s| s.to_string()).collect(),
        time_limit: time_limit.into(),
        fees: "不收费".into(),
        place: place.into(),
        phone: phone.into(),
    };
    let hall = "县政务服务中心一楼";
    let list = [
        g(
            "城乡居民最低生活保障申请",
            "县民政局",
            "《社会救助暂行办法》《云溪县城乡居民最低生活保障实施细则》",
            &[
                "户口簿、身份证",
                "家庭成员收入情况声明",
                "家庭经济状况核对授权书",
                "残疾证、病历等证明（如有）",
            ],
            &[
                "向户籍所在地乡镇（街道）便民服务中心提出申请",
                "乡镇入户调查、组织民主评议",
                "评议结果在村务公开栏公示7天",
                "县民政局审批，公布名单并发放",
            ],
            "30个工作日",
            "户籍所在地乡镇便民服务中心社会事务窗口",
            "0398-6122301",
        ),
        g(
            "临时救助申请",
            "县民政局",
            "《社会救助暂行办法》《云溪县临时救助实施办法》",
            &[
                "身份证、户口簿",
                "遭遇困难的证明材料（医疗票据、事故证明等）",
                "银行账户信息",
            ],
            &[
                "本人或村（居）委会代为提出申请",
                "乡镇审核、公示",
                "县民政局审批发放；紧急情况先行救助",
            ],
            "10个工作日（紧急情况24小时内）",
            "户籍所在地乡镇便民服务中心",
            "0398-6122301",
        ),
        g(
            "困难残疾人生活补贴和重度残疾人护理补贴申领",
            "县残联",
            "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》",
            &[
                "第二代残疾人证",
                "身份证、户口簿",
                "低保证明（申请生活补贴时）",
            ],
            &[
                "向户籍所在地乡镇提出申请",
                "乡镇初审",
                "县残联、县民政局审核",
                "按月发放至“一卡通”账户",
            ],
            "15个工作日",
            &format!("{hall}残联窗口"),
            "0398-6122688",
        ),
        g(
            "高龄津贴申领",
            "县民政局",
            "《云溪县高龄津贴发放管理办法》",
            &["身份证、户口簿", "社会保障卡或“一卡通”存折"],
            &[
                "年满80周岁老人或家属到村委会登记",
                "乡镇审核汇总",
                "县民政局审批，按季度发放",
            ],
            "20个工作日",
            "户籍所在地村委会、乡镇便民服务中心",
            "0398-6122301",
        ),
        g(
            "农村村民住宅建设（宅基地）审批",
            "县农业农村局、县自然资源局",
            "《中华人民共和国土地管理法》第六十二条",
            &[
                "农村宅基地和建房（规划许可）申请表",
                "户口簿、身份证",
                "村民小组会议记录及公示材料",
                "建房设计图或通用图",
            ],
            &[
                "向村民小组提出书面申请",
                "村民小组讨论并公示",
                "村委会审查后报乡镇",
                "乡镇联审联办，核发乡村建设规划许可证",
                "开工前实地丈量批放",
            ],
            "20个工作日",
            "乡镇便民服务中心自然资源窗口",
            "0398-6122516",
        ),
        g(
            "城乡居民基本医疗保险参保登记",
            "县医疗保障局",
            "《中华人民共和国社会保险法》",
            &["身份证或户口簿"],
            &[
                "在集中缴费期内到村便民服务点或乡镇登记",
                "缴纳个人缴费部分",
                "次年1月1日起享受待遇",
            ],
            "即时办结",
            &format!("{hall}医保窗口"),
            "0398-6122733",
        ),
        g(
            "城乡居民基本养老保险参保登记",
            "县人力资源和社会保障局",
            "《国务院关于建立统一的城乡居民基本养老保险制度的意见》",
            &["身份证、户口簿"],
            &[
                "到户籍所在地村委会或乡镇社保所登记",
                "选择缴费档次（每年200元至5000元）",
                "按年缴费",
            ],
            "即时办结",
            "乡镇社保所",
            "0398-6122455",
        ),
        g(
            "耕地地力保护补贴申报",
            "县农业农村局、县财政局",
            "《云溪县耕地地力保护补贴实施方案》",
            &["承包土地经营权证", "身份证", "“一卡通”账户"],
            &[
                "村组核实种植面积并公示",
                "乡镇审核汇总",
                "县农业农村局、财政局审定",
                "资金通过“一卡通”直接发放到户",
            ],
            "按年度统一办理",
            "户籍所在地村委会",
            "0398-6122580",
        ),
        g(
            "政府信息依申请公开",
            "县人民政府办公室（政务公开办）",
            "《中华人民共和国政府信息公开条例》",
            &[
                "政府信息公开申请表",
                "申请人身份证明",
                "所需信息的名称、文号或便于查询的其他特征性描述",
            ],
            &[
                "提交申请（当面、邮寄或网上）",
                "登记受理；内容不明确的一次性告知补正",
                "依法作出答复：公开、部分公开、不予公开、非本机关掌握或信息不存在",
            ],
            "20个工作日（可延长20个工作日）",
            &format!("{hall}政务公开窗口"),
            "0398-6122012",
        ),
        g(
            "户口迁移（县内）",
            "县公安局",
            "《中华人民共和国户口登记条例》",
            &["户口簿、身份证", "迁入地房产证明或同意落户证明"],
            &[
                "向迁入地派出所户籍窗口申请",
                "审核",
                "办理迁移，当场出具新户口页",
            ],
            "即时办结（材料齐全时）",
            "迁入地派出所户籍窗口",
            "0398-6122110",
        ),
    ];
    list.iter()
        .enumerate()
        .map(|(i, guide)| Edit::put(ContentKind::Guide, format!("guide-{:02}", i + 1), guide))
        .collect()
}

/// Work waiting in the demo console: a cadre's notice for review and a few filings, one
/// of them past its deadline, so every console screen has something real on it.
pub fn console_samples(store: &dyn Store, now: DateTime<Utc>) -> anyhow::Result<()> {
    use gongkai_model::complaint::{ComplaintKind, TrackingCode};
    use gongkai_protocol::complaints::{ComplaintUpload, Contact};
    let village = ScopeId::parse(DEMO_VILLAGE)?;
    let cadre = store
        .user_for_login("shiqiaocun")?
        .map(|(u, _)| u)
        .ok_or_else(|| anyhow::anyhow!("run accounts() first"))?;
    let notice = Notice {
        title: "关于清理村内河道垃圾的通知".into(),
        publisher: "石桥村村民委员会".into(),
        body_html:
            "<p>本周六上午8点组织清理村东小河两岸垃圾，请各户派一人参加，自带铁锹、扫帚。</p>"
                .into(),
        publish_at: now,
        expire_at: Some(now + Duration::days(5)),
        images: vec![],
    };
    store.submit_draft(&gongkai_store::NewDraft {
        scope: village.clone(),
        title: notice.title.clone(),
        summary: "通知公告".into(),
        source: "console".into(),
        author_id: cadre.id,
        edits: vec![Edit::put(ContentKind::Notice, "demo-draft-river", &notice)],
        client_id: Some("demo-draft-river".into()),
    })?;
    let calendar = gongkai_model::calendar::Calendar::official();
    let filings: [(ComplaintKind, &str, &str, &str, i64); 3] = [
        (
            ComplaintKind::Complaint,
            "419901102201",
            "村东头路灯不亮",
            "村东头到学校路口的三盏路灯坏了一个多月，晚上孩子放学看不见路。",
            30,
        ),
        (
            ComplaintKind::DisclosureRequest,
            "419901102201",
            "申请公开村级道路硬化工程预算",
            "请公开2026年村级道路硬化工程的预算、招标结果和验收情况。",
            6,
        ),
        (
            ComplaintKind::BoardObjection,
            RELOCATION_VILLAGE,
            "河口村移民身份确认第一榜 · HK-007户",
            "我家儿媳今年迁入，户籍已落在本村，第一榜没有列入。",
            2,
        ),
    ];
    for (i, (kind, scope, subject, text, days_ago)) in filings.iter().enumerate() {
        let scope = ScopeId::parse(scope)?;
        let received = now - Duration::days(*days_ago);
        let received_on = gongkai_model::calendar::beijing_date(received);
        let limit = gongkai_model::complaint::Limits::default().get(*kind);
        let due = calendar.add_working_days(received_on, limit, &[]);
        let upload = ComplaintUpload {
            client_uuid: format!("demo-filing-{i}"),
            // Codes as a kiosk hands them out: only ones a resident can type and read
            // aloud (no *~$=U check symbol).
            code: (0..)
                .find_map(|n: u64| TrackingCode::from_bits(0x3A_5C00_0000 + i as u64 * 7919 + n))
                .unwrap_or_else(|| TrackingCode::draw(rand::random)),
            kiosk_id: format!("{DEMO_VILLAGE}-01"),
            kind: *kind,
            scope: scope.clone(),
            subject: (*subject).into(),
            text: (*text).into(),
            sealed_contact: None,
            filed_at: received.timestamp(),
            cadre_session: None,
        };
        store.file_complaint(&gongkai_store::NewComplaint {
            office: gongkai_api::intake::route(store, *kind, &scope),
            contact: Some(Contact {
                name: "王先生".into(),
                phone: "13900000000".into(),
            }),
            received_at: received.timestamp(),
            received_on,
            due_on: due.date,
            due_provisional: due.missing_year,
            limit_days: limit,
            upload,
        })?;
    }
    Ok(())
}
