// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // A form needs no GPU: WebKitGTK's accelerated compositing holds GL contexts worth about
    // 125 MB in the web process (measured, see README "Measured") and draws nothing this window
    // needs. Whoever sets the variable themselves, even to 0, keeps their choice.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        // SAFETY: no other thread runs yet; WebKit reads the variable when it starts.
        unsafe { std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1") };
    }
    ciba_desk_app::run();
}
