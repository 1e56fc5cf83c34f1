//! The web console served by the central server: server-rendered pages (maud), a little
//! progressive JavaScript (`console.js`, upload progress only), no inline script or
//! style, so the Content-Security-Policy can be `default-src 'self'`.
//!
//! Every page that changes something is a POST with the session's CSRF token, and every
//! handler checks the user's role and scope on the server before reading or writing:
//! what a user may not touch looks exactly like something that does not exist.

#![forbid(unsafe_code)]

pub mod auth;
mod boards;
mod complaints;
mod disclosures;
mod emergency;
mod exports;
mod finance;
mod fleet;
mod guides;
mod history;
mod holidays;
mod home;
mod imports;
mod item;
mod kiosk_code;
pub mod notices;
mod overview;
pub mod posting;
pub mod print;
mod reports;
mod review;
pub mod shell;
mod staging;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use gongkai_api::state::AppState;

/// The largest request the console accepts (list uploads).
pub fn imports_max_upload() -> usize {
    imports::MAX_UPLOAD
}

const CSS: &str = include_str!("console.css");
const JS: &str = include_str!("console.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::index))
        .route("/scopes", get(overview::index))
        .route("/console.css", get(|| async { asset(CSS, "text/css") }))
        .route(
            "/console.js",
            get(|| async { asset(JS, "text/javascript") }),
        )
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/history", get(history::index))
        .route("/history/{scope}/{kind}/{id}", get(item::page_of))
        .route("/print/{scope}/{kind}/{id}", get(print::pdf))
        .route("/notices/new", get(notices::new_page))
        .route("/notices", post(notices::create))
        .route("/notices/{scope}/{id}/edit", get(notices::edit_page))
        .route(
            "/notices/{scope}/{id}",
            get(item::notice).post(notices::correct),
        )
        .route("/withdraw/{scope}/{kind}/{id}", post(notices::withdraw))
        .route("/postings/confirm", post(staging::confirm))
        .route("/disclosures/new", get(disclosures::new_page))
        .route("/disclosures", post(disclosures::create))
        .route("/boards", get(boards::index))
        .route("/boards/objections", post(boards::register))
        .route("/holidays", get(holidays::index).post(holidays::enter))
        .route("/emergency/new", get(emergency::new_page))
        .route("/emergency", post(emergency::create))
        .route("/fleet", get(fleet::index))
        .route("/fleet/enroll", post(fleet::enroll))
        .route("/fleet/posting", get(fleet::posting))
        .route("/fleet/posting/extend", post(fleet::extend))
        .route("/fleet/kiosks/{id}", get(fleet::kiosk))
        .route("/fleet/kiosks/{id}/config", post(fleet::set_config))
        .route(
            "/fleet/kiosks/{id}/screenshot",
            post(fleet::request_screenshot),
        )
        .route(
            "/fleet/kiosks/{id}/screenshot.png",
            get(fleet::screenshot_png),
        )
        .route("/guides/new", get(guides::new_page))
        .route("/guides", post(guides::create))
        .route("/finance/new", get(finance::new_page))
        .route("/finance", post(finance::create))
        .route("/imports/new", get(imports::new_page))
        .route("/imports", post(imports::upload))
        .route("/imports/{id}", get(imports::preview))
        .route("/imports/{id}/mapping", post(imports::remap))
        .route("/imports/{id}/publish", post(imports::publish))
        .route("/imports/{id}/discard", post(imports::discard))
        .route("/review", get(review::queue))
        .route("/review/{id}", get(review::detail).post(review::decide))
        .route("/drafts", get(review::mine))
        .route("/complaints", get(complaints::inbox))
        .route(
            "/complaints/new",
            get(complaints::new_form).post(complaints::register_on_behalf),
        )
        .route(
            "/complaints/{code}",
            get(complaints::detail).post(complaints::act),
        )
        .route("/exports/complaints.xlsx", get(exports::complaints))
        .route("/reports", get(reports::index))
        .route("/reports/{file}", get(reports::xlsx))
        .route(
            "/kiosk-code",
            get(kiosk_code::code_page).post(kiosk_code::issue_code),
        )
        .route(
            "/exports/subsidy/{scope}/{list}",
            get(exports::subsidy_list),
        )
}

fn asset(body: &'static str, mime: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        body,
    )
        .into_response()
}
