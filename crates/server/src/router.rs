//! Every route of the server in one list: the sync protocol, filings, cadre mode, the
//! fleet, the staff API, and the console's pages. The router imports handlers; no handler
//! imports the router.

use crate::state::AppState;
use crate::{api, console};
use axum::routing::get;
use axum::Router;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/health", get(api::health))
        .route("/v1/openapi.json", get(api::openapi))
        .route("/v1/pubkey", get(api::pubkey))
        .route("/v1/scopes/{scope}/head", get(api::head))
        .route("/v1/scopes/{scope}/changes", get(api::changes))
        .route("/v1/blobs/{name}", get(api::blob))
        .route("/v1/changelog", get(api::changelog))
        .route(
            "/v1/scopes/{scope}/items/{kind}/{id}/history",
            get(api::item_history),
        )
        .route("/v1/complaints", axum::routing::post(crate::intake::upload))
        .route("/v1/complaints/{code}", get(crate::intake::lookup))
        .route(
            "/v1/cadre/unlock",
            axum::routing::post(crate::cadre::unlock),
        )
        .route(
            "/v1/cadre/notices",
            axum::routing::post(crate::cadre::post_notice)
                .layer(axum::extract::DefaultBodyLimit::max(48 * 1024 * 1024)),
        )
        .route("/v1/cadre/drafts", get(crate::cadre::my_drafts))
        .route(
            "/v1/kiosks/enroll",
            axum::routing::post(crate::fleet::enroll),
        )
        .route(
            crate::fleet::HEARTBEAT_PATH,
            axum::routing::post(crate::fleet::heartbeat)
                .layer(axum::extract::DefaultBodyLimit::max(8 * 1024 * 1024)),
        )
        .route(
            crate::fleet::SCREENSHOT_PATH,
            axum::routing::post(crate::fleet::screenshot)
                .layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024)),
        )
        .route(
            "/v1/kiosks/{id}/display-log",
            get(crate::fleet::display_log),
        )
        .route(
            "/v1/updates/{package}/latest",
            get(crate::fleet::latest_update),
        )
        .route("/v1/staff/complaints", get(crate::staff::list))
        .route("/v1/staff/complaints/{code}", get(crate::staff::detail))
        .route(
            "/v1/staff/complaints/{code}/actions",
            axum::routing::post(crate::staff::act),
        )
        .merge(
            console::routes().layer(axum::extract::DefaultBodyLimit::max(
                console::imports_max_upload(),
            )),
        )
        .with_state(state)
}
