//! The process's subscriber, installed once, writing every line to memory.

use super::*;

/// Every line logged in this process since the subscriber was installed.
pub fn captured() -> &'static Mutex<Vec<u8>> {
    static CAPTURE: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let buffer: &'static Mutex<Vec<u8>> = Box::leak(Box::default());
        struct Line(&'static Mutex<Vec<u8>>);
        impl Write for Line {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        // What a function installs, with RUST_LOG=trace and JSON.
        let settings = LogSettings {
            format: LogFormat::Json,
            directives: "trace".to_owned(),
        };
        logging::init(&settings, move || Line(buffer)).expect("the subscriber installs");
        buffer
    })
}

pub fn captured_lines() -> Vec<String> {
    String::from_utf8(captured().lock().unwrap().clone())
        .expect("UTF-8 logs")
        .lines()
        .map(str::to_owned)
        .collect()
}
