//! A small browser stand-in for console tests: keeps the session cookie, finds the CSRF
//! token in pages, posts forms and uploads, never follows redirects (tests look at them).

use reqwest::blocking::{multipart, Client, Response};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

pub struct ConsoleClient {
    base: String,
    http: Client,
    pub cookie: Option<String>,
}

/// What a request came back with.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Answer {
    fn from(resp: Response) -> Answer {
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Answer {
            status,
            location,
            body: resp.text().unwrap_or_default(),
        }
    }

    /// True if the answer sends the browser to the login page.
    pub fn is_login_redirect(&self) -> bool {
        (300..400).contains(&self.status)
            && self
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with("/login"))
    }
}

impl ConsoleClient {
    pub fn new(server_url: &str) -> ConsoleClient {
        ConsoleClient {
            base: server_url.trim_end_matches('/').to_string(),
            http: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookie: None,
        }
    }

    /// Logs in; returns the login POST's answer (a redirect on success).
    pub fn login(&mut self, username: &str, password: &str) -> Answer {
        let resp = self
            .http
            .post(format!("{}/login", self.base))
            .form(&[
                ("username", username),
                ("password", password),
                ("next", "/"),
            ])
            .send()
            .expect("login request");
        if let Some(c) = resp
            .headers()
            .get(SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
        {
            self.cookie = Some(c.to_string());
        }
        Answer::from(resp)
    }

    pub fn logged_in(server_url: &str, username: &str) -> ConsoleClient {
        let mut c = ConsoleClient::new(server_url);
        let a = c.login(username, gongkai_server::demo::DEMO_PASSWORD);
        assert_eq!(a.status, 303, "login as {username}: {a:?}");
        c
    }

    fn with_cookie(
        &self,
        req: reqwest::blocking::RequestBuilder,
    ) -> reqwest::blocking::RequestBuilder {
        match &self.cookie {
            Some(c) => req.header(COOKIE, c),
            None => req,
        }
    }

    pub fn get(&self, path: &str) -> Answer {
        let req = self.http.get(format!("{}{path}", self.base));
        Answer::from(self.with_cookie(req).send().expect("GET"))
    }

    pub fn get_bytes(&self, path: &str) -> (u16, Vec<u8>) {
        let req = self.http.get(format!("{}{path}", self.base));
        let resp = self.with_cookie(req).send().expect("GET");
        let status = resp.status().as_u16();
        (status, resp.bytes().map(|b| b.to_vec()).unwrap_or_default())
    }

    /// The CSRF token of this session, read from a page's form.
    pub fn csrf(&self) -> String {
        let page = self.get("/notices/new").body;
        csrf_in(&page).unwrap_or_default()
    }

    /// Posts a form with the session's CSRF token added.
    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let csrf = self.csrf();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &csrf));
        self.post_raw(path, &all)
    }

    /// Confirms a posting's preview (the answer of a disclosure, finance, guide or
    /// emergency form): posts its sealed token as the preview's button does. Any other
    /// answer (an error, a redirect) is returned as it was.
    pub fn confirm(&self, preview: Answer) -> Answer {
        match staged_in(&preview.body) {
            Some(token) if preview.status == 200 => {
                self.post("/postings/confirm", &[("staged", &token)])
            }
            _ => preview,
        }
    }

    /// Posts exactly these fields (no token added).
    pub fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let req = self.http.post(format!("{}{path}", self.base)).form(fields);
        Answer::from(self.with_cookie(req).send().expect("POST"))
    }

    /// Uploads a file with form fields (the import form), CSRF token added.
    pub fn upload(&self, fields: &[(&str, &str)], filename: &str, bytes: Vec<u8>) -> Answer {
        self.upload_to("/imports", fields, &[("file", filename, bytes)])
    }

    /// Posts a multipart form with files `(field, file name, bytes)`, CSRF token added.
    pub fn upload_to(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, Vec<u8>)],
    ) -> Answer {
        let mut form = multipart::Form::new().text("csrf", self.csrf());
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (field, name, bytes) in files {
            form = form.part(
                field.to_string(),
                multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
            );
        }
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .multipart(form);
        Answer::from(self.with_cookie(req).send().expect("upload"))
    }
}

impl ConsoleClient {
    /// Takes a one-time cadre code for a village's kiosks (optionally one kiosk).
    pub fn cadre_code(&self, village: &str, kiosk_id: &str) -> String {
        let a = self.post("/kiosk-code", &[("scope", village), ("kiosk_id", kiosk_id)]);
        assert_eq!(a.status, 200, "{a:?}");
        let marker = "data-testid=\"cadre-code\">";
        let at = a.body.find(marker).expect("code on the page") + marker.len();
        a.body[at..]
            .chars()
            .take_while(|c| *c != '<')
            .filter(char::is_ascii_digit)
            .collect()
    }
}

impl ConsoleClient {
    /// Enrolls a kiosk in the console: the one-time token and the configuration file the
    /// page gives the installer (HTML entities undone).
    pub fn enroll_kiosk(&self, kiosk_id: &str, scope: &str) -> (String, String) {
        let a = self.post("/fleet/enroll", &[("kiosk_id", kiosk_id), ("scope", scope)]);
        assert_eq!(a.status, 200, "{a:?}");
        let between = |start: &str, end: &str| -> String {
            let at = a.body.find(start).expect("marker on the page") + start.len();
            let len = a.body[at..].find(end).expect("end marker");
            a.body[at..at + len]
                .replace("&quot;", "\"")
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
        };
        (
            between("data-testid=\"enroll-token\"><code>", "</code>"),
            between("data-testid=\"enroll-config\">", "</pre>"),
        )
    }
}

/// The sealed posting in a preview page.
pub fn staged_in(page: &str) -> Option<String> {
    let at = page.find("name=\"staged\" value=\"")? + "name=\"staged\" value=\"".len();
    Some(page[at..].split('"').next()?.to_string())
}

pub fn csrf_in(page: &str) -> Option<String> {
    let at = page.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = page[at..].find('"')?;
    Some(page[at..at + end].to_string())
}

/// A subsidy list as a county clerk lays it out in Excel: title row, blank row, header,
/// rows (ID numbers as text cells), written by rust_xlsxwriter.
pub fn subsidy_workbook(rows: &[(String, String, f64)]) -> Vec<u8> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let text = Format::new().set_num_format("@");
    sheet
        .write_string(0, 0, "石桥村2026年耕地地力保护补贴发放花名册")
        .unwrap();
    for (c, h) in [
        "序号",
        "村组",
        "户主姓名",
        "身份证号码",
        "补贴面积（亩）",
        "补贴金额（元）",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    for (i, (name, id, amount)) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        sheet.write_number(r, 0, (i + 1) as f64).unwrap();
        sheet.write_string(r, 1, "石桥村三组").unwrap();
        sheet.write_string(r, 2, name).unwrap();
        sheet.write_string_with_format(r, 3, id, &text).unwrap();
        sheet.write_number(r, 4, 4.2).unwrap();
        sheet.write_number(r, 5, *amount).unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// A valid ID number, different for every `n` below 10 million (born 1970 on in the
/// demo county).
pub fn valid_id(n: u32) -> String {
    let first17 = format!(
        "419901{}{:02}{:02}{:03}",
        1970 + n / 336_000,
        1 + (n / 28_000) % 12,
        1 + (n / 1_000) % 28,
        n % 1000
    );
    let check = gongkai_model::idcard::check_char(&first17).unwrap();
    format!("{first17}{check}")
}

/// A valid ID number that masks to `masked` (same first 4 and last 4 characters): what a
/// clerk's file holds behind a published row.
pub fn id_masking_to(masked: &str) -> String {
    let (head, tail) = (&masked[..4], &masked[masked.len() - 4..]);
    for region in 0..100 {
        for day in 1..=28 {
            let first17 = format!("{head}{region:02}198003{day:02}{}", &tail[..3]);
            let check = gongkai_model::idcard::check_char(&first17).unwrap();
            if tail.ends_with(check) {
                return format!("{first17}{check}");
            }
        }
    }
    panic!("no ID masks to {masked}");
}
