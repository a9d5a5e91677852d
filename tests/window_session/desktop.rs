//! The X display the app runs on (Xvfb in the tests), read and driven as a desktop does.

/// The X display the app runs on, spoken to as a window manager and a keyboard would: the
/// close button (WM_DELETE_WINDOW) and key presses (XTest) reach GTK as from a person.
pub struct Desktop {
    pub x: x11_dl::xlib::Xlib,
    pub display: *mut x11_dl::xlib::Display,
}

impl Desktop {
    /// The display named by DISPLAY.
    pub fn open() -> Self {
        Self::on(None)
    }

    pub fn on(name: Option<&str>) -> Self {
        let x = x11_dl::xlib::Xlib::open().expect("libX11");
        let name = name.map(|n| std::ffi::CString::new(n).unwrap());
        // SAFETY: opens the display (DISPLAY's when no name is given); closed in Drop. A window
        // that vanishes between two calls must not end the test process: X errors are ignored.
        let display = unsafe {
            (x.XSetErrorHandler)(Some(ignore_x_error));
            (x.XOpenDisplay)(name.as_ref().map_or(std::ptr::null(), |n| n.as_ptr()))
        };
        assert!(!display.is_null(), "no X display");
        Self { x, display }
    }

    pub fn atom(&self, name: &str) -> std::ffi::c_ulong {
        let name = std::ffi::CString::new(name).unwrap();
        // SAFETY: a valid display and a NUL-terminated name.
        unsafe { (self.x.XInternAtom)(self.display, name.as_ptr(), x11_dl::xlib::False) }
    }

    /// The raw bytes of a window property of type `kind`, if set.
    pub fn property(
        &self,
        w: x11_dl::xlib::Window,
        name: &str,
        kind: std::ffi::c_ulong,
    ) -> Option<Vec<u8>> {
        let (mut actual, mut format, mut items, mut after, mut data) =
            (0, 0, 0, 0, std::ptr::null_mut());
        // SAFETY: Xlib fills the out-parameters; `data` is copied, then freed with XFree.
        unsafe {
            let got = (self.x.XGetWindowProperty)(
                self.display,
                w,
                self.atom(name),
                0,
                1024,
                x11_dl::xlib::False,
                kind,
                &mut actual,
                &mut format,
                &mut items,
                &mut after,
                &mut data,
            );
            if got != 0 || data.is_null() {
                return None;
            }
            // Format 32 comes back as C longs, whatever their size.
            let unit = match format {
                8 => 1,
                16 => 2,
                _ => std::mem::size_of::<std::ffi::c_long>(),
            };
            let bytes = std::slice::from_raw_parts(data, items as usize * unit).to_vec();
            (self.x.XFree)(data.cast());
            Some(bytes)
        }
    }

    /// Every window of process `pid` on the display with its title (`_NET_WM_NAME`).
    pub fn windows_of(&self, pid: u32) -> Vec<(x11_dl::xlib::Window, String)> {
        let mut found = vec![];
        // SAFETY: plain tree walk; the child lists are freed with XFree.
        let mut pending = vec![unsafe { (self.x.XDefaultRootWindow)(self.display) }];
        while let Some(w) = pending.pop() {
            let (mut root, mut parent, mut children, mut n) = (0, 0, std::ptr::null_mut(), 0u32);
            unsafe {
                if (self.x.XQueryTree)(
                    self.display,
                    w,
                    &mut root,
                    &mut parent,
                    &mut children,
                    &mut n,
                ) != 0
                    && !children.is_null()
                {
                    pending.extend(std::slice::from_raw_parts(children, n as usize));
                    (self.x.XFree)(children.cast());
                }
            }
            let owner = self
                .property(w, "_NET_WM_PID", x11_dl::xlib::XA_CARDINAL)
                .and_then(|b| {
                    b.get(..4)
                        .map(|b| u32::from_ne_bytes(b.try_into().unwrap()))
                });
            if owner == Some(pid) {
                let title = self
                    .property(w, "_NET_WM_NAME", self.atom("UTF8_STRING"))
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                found.push((w, title));
            }
        }
        found
    }

    /// Whether `w` is on the screen (mapped, not merely created or hidden).
    pub fn shown(&self, w: x11_dl::xlib::Window) -> bool {
        let mut a: x11_dl::xlib::XWindowAttributes = unsafe { std::mem::zeroed() };
        // SAFETY: `a` is written by Xlib; a vanished window is an ignored error.
        let known = unsafe { (self.x.XGetWindowAttributes)(self.display, w, &mut a) } != 0;
        known && a.map_state == x11_dl::xlib::IsViewable
    }

    /// The window of process `pid` titled `title` that is on the screen, if any.
    pub fn shown_titled(&self, pid: u32, title: &str) -> Option<x11_dl::xlib::Window> {
        self.windows_of(pid)
            .into_iter()
            .find(|(w, t)| t == title && self.shown(*w))
            .map(|(w, _)| w)
    }

    /// Waits until process `pid` shows a window titled `title` and returns it.
    pub async fn window_titled(&self, pid: u32, title: &str) -> x11_dl::xlib::Window {
        for _ in 0..300 {
            if let Some(w) = self.shown_titled(pid, title) {
                return w;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no window titled {title:?} of process {pid}");
    }

    /// The window's close button: WM_DELETE_WINDOW, as a window manager sends it.
    pub fn ask_to_close(&self, w: x11_dl::xlib::Window) {
        use x11_dl::xlib;
        // SAFETY: a zeroed client message filled in as ICCCM describes.
        unsafe {
            let mut event: xlib::XEvent = std::mem::zeroed();
            event.client_message.type_ = xlib::ClientMessage;
            event.client_message.window = w;
            event.client_message.message_type = self.atom("WM_PROTOCOLS");
            event.client_message.format = 32;
            event.client_message.data.as_longs_mut()[0] =
                self.atom("WM_DELETE_WINDOW") as std::ffi::c_long;
            event.client_message.data.as_longs_mut()[1] = xlib::CurrentTime as std::ffi::c_long;
            (self.x.XSendEvent)(self.display, w, xlib::False, xlib::NoEventMask, &mut event);
            (self.x.XFlush)(self.display);
        }
    }

    /// Gives `w` the keyboard and presses Enter on it, as a person at the keyboard would.
    pub fn press_enter(&self, w: x11_dl::xlib::Window) {
        use x11_dl::xlib;
        let xtest = x11_dl::xtest::Xf86vmode::open().expect("libXtst");
        // SAFETY: focus and fake key events on a valid display and a mapped window.
        unsafe {
            (self.x.XSetInputFocus)(self.display, w, xlib::RevertToParent, xlib::CurrentTime);
            (self.x.XSync)(self.display, xlib::False);
            let key = (self.x.XKeysymToKeycode)(self.display, x11_dl::keysym::XK_Return.into());
            (xtest.XTestFakeKeyEvent)(self.display, key.into(), xlib::True, 0);
            (xtest.XTestFakeKeyEvent)(self.display, key.into(), xlib::False, 0);
            (self.x.XFlush)(self.display);
        }
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        // SAFETY: the display opened in `open`, closed once.
        unsafe { (self.x.XCloseDisplay)(self.display) };
    }
}

unsafe extern "C" fn ignore_x_error(
    _: *mut x11_dl::xlib::Display,
    _: *mut x11_dl::xlib::XErrorEvent,
) -> std::ffi::c_int {
    0
}
