// No console window on Windows release builds; the kiosk is the whole screen.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Kiosk boxes have weak or no GPUs, and under Xvfb or the cage compositor WebKitGTK
    // paints reliably only without DMA-BUF and accelerated compositing (with them, pages
    // after the first stayed blank). Software painting is plenty for these screens; set
    // either variable to 0 to opt back in. Done before any thread or GTK exists.
    for var in [
        "WEBKIT_DISABLE_DMABUF_RENDERER",
        "WEBKIT_DISABLE_COMPOSITING_MODE",
    ] {
        if std::env::var_os(var).is_none() {
            std::env::set_var(var, "1");
        }
    }
    gongkai_kiosk_app::run();
}
