// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // A form needs no GPU: WebKitGTK's accelerated compositing holds GL contexts worth about
    // 125 MB in the web process (measured, see README "Measured") and draws nothing this window
    // needs. Whoever sets the variable themselves, even to 0, keeps their choice.
    //
    // Nor does it need JavaScriptCore's just-in-time compilers: the page runs a few
    // milliseconds of script per click, the interpreter keeps the web process about 10 MB
    // smaller and stops it growing as a shift's verifications warm the compilers up, and a web
    // process without writable, executable memory is a smaller target.
    #[cfg(target_os = "linux")]
    for (name, value) in [
        ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
        ("JSC_useJIT", "0"),
    ] {
        if std::env::var_os(name).is_none() {
            // SAFETY: no other thread runs yet; WebKit reads these when its processes start.
            unsafe { std::env::set_var(name, value) };
        }
    }
    ciba_desk_app::run();
}
