//! Every route of the server in one list: the sync protocol, filings, cadre mode, the
//! fleet, the staff API, and the console's pages. The router imports handlers; no handler
//! imports the router.

use crate::state::AppState;
use crate::{api, console};
use axum::routing::get;
use axum::Router;
use gongkai_protocol::paths;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(paths::HEALTH, get(api::health))
        .route(paths::OPENAPI, get(api::openapi))
        .route(paths::PUBKEY, get(api::pubkey))
        .route(paths::SCOPE_HEAD, get(api::head))
        .route(paths::SCOPE_CHANGES, get(api::changes))
        .route(paths::BLOB, get(api::blob))
        .route(paths::CHANGELOG, get(api::changelog))
        .route(paths::ITEM_HISTORY, get(api::item_history))
        .route(
            paths::COMPLAINTS,
            axum::routing::post(crate::intake::upload),
        )
        .route(paths::COMPLAINT, get(crate::intake::lookup))
        .route(
            paths::CADRE_UNLOCK,
            axum::routing::post(crate::cadre::unlock),
        )
        .route(
            paths::CADRE_NOTICES,
            axum::routing::post(crate::cadre::post_notice)
                .layer(axum::extract::DefaultBodyLimit::max(48 * 1024 * 1024)),
        )
        .route(paths::CADRE_DRAFTS, get(crate::cadre::my_drafts))
        .route(
            paths::KIOSK_ENROLL,
            axum::routing::post(crate::fleet::enroll),
        )
        .route(
            paths::KIOSK_HEARTBEAT,
            axum::routing::post(crate::fleet::heartbeat)
                .layer(axum::extract::DefaultBodyLimit::max(8 * 1024 * 1024)),
        )
        .route(
            paths::KIOSK_SCREENSHOT,
            axum::routing::post(crate::fleet::screenshot)
                .layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024)),
        )
        .route(paths::KIOSK_DISPLAY_LOG, get(crate::fleet::display_log))
        .route(paths::UPDATE_LATEST, get(crate::fleet::latest_update))
        .route(paths::STAFF_COMPLAINTS, get(crate::staff::list))
        .route(paths::STAFF_COMPLAINT, get(crate::staff::detail))
        .route(
            paths::STAFF_COMPLAINT_ACTIONS,
            axum::routing::post(crate::staff::act),
        )
        .merge(
            console::routes().layer(axum::extract::DefaultBodyLimit::max(
                console::imports_max_upload(),
            )),
        )
        .with_state(state)
}
