//! Every route of the server in one list: the sync protocol, filings, cadre mode, the
//! fleet, the staff API, and the console's pages. The router imports handlers; no handler
//! imports the router.

use axum::routing::get;
use axum::Router;
use gongkai_api::api;
use gongkai_api::state::AppState;
use gongkai_console as console;
use gongkai_protocol::paths;
use tower_http::compression::CompressionLayer;

pub fn router(state: AppState) -> Router {
    // Blobs are routed after the compression layer, so it does not cover them: photos are
    // JPEG already, and a resumed download's `Range` counts bytes of the file itself.
    // Polls (heads) are routed apart, see `gongkai_api::polls`.
    Router::new()
        .route(paths::HEALTH, get(api::health))
        .route(paths::OPENAPI, get(api::openapi))
        .route(paths::PUBKEY, get(api::pubkey))
        .route(paths::SCOPE_CHANGES, get(api::changes))
        .route(paths::CHANGELOG, get(api::changelog))
        .route(paths::CHANGELOG_HEAD, get(api::changelog_head))
        .route(paths::ITEM_HISTORY, get(api::item_history))
        .route(
            paths::COMPLAINTS,
            axum::routing::post(gongkai_api::intake::upload),
        )
        .route(paths::COMPLAINT, get(gongkai_api::intake::lookup))
        .route(
            paths::CADRE_UNLOCK,
            axum::routing::post(gongkai_api::cadre::unlock),
        )
        .route(
            paths::CADRE_NOTICES,
            axum::routing::post(gongkai_api::cadre::post_notice)
                .layer(axum::extract::DefaultBodyLimit::max(48 * 1024 * 1024)),
        )
        .route(paths::CADRE_DRAFTS, get(gongkai_api::cadre::my_drafts))
        .route(
            paths::KIOSK_ENROLL,
            axum::routing::post(gongkai_api::fleet::enroll),
        )
        .route(
            paths::KIOSK_HEARTBEAT,
            axum::routing::post(gongkai_api::fleet::heartbeat)
                .layer(axum::extract::DefaultBodyLimit::max(8 * 1024 * 1024)),
        )
        .route(
            paths::KIOSK_SCREENSHOT,
            axum::routing::post(gongkai_api::fleet::screenshot)
                .layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024)),
        )
        .route(
            paths::KIOSK_DISPLAY_LOG,
            get(gongkai_api::fleet::display_log),
        )
        .route(paths::UPDATE_LATEST, get(gongkai_api::fleet::latest_update))
        .route(paths::STAFF_COMPLAINTS, get(gongkai_api::staff::list))
        .route(paths::STAFF_COMPLAINT, get(gongkai_api::staff::detail))
        .route(
            paths::STAFF_COMPLAINT_ACTIONS,
            axum::routing::post(gongkai_api::staff::act),
        )
        .merge(
            console::routes().layer(axum::extract::DefaultBodyLimit::max(
                console::imports_max_upload(),
            )),
        )
        // Change pages, heads and console pages, when the client accepts it: zstd first,
        // gzip for the rest. Signatures cover the JSON itself, which the client verifies
        // after decompressing.
        .layer(compression())
        .route(paths::BLOB, get(api::blob))
        .with_state(state.clone())
        // The public phone pages: their own state (memory kept for lookups), compressed.
        .merge(gongkai_public::routes(&state).layer(compression()))
        // Polls last: their own small state, and nothing to compress in a 304.
        .merge(gongkai_api::polls::routes(&state))
}

fn compression() -> CompressionLayer {
    CompressionLayer::new()
        .zstd(true)
        .gzip(true)
        .quality(tower_http::CompressionLevel::Default)
}
