//! Log lines gathered in memory and written out by a background thread, for `gatehouse serve`
//! under load: one `write` for many lines instead of one per line, and no lock held across a
//! system call (on standard error, every line took the stream's lock and made a `write`: with
//! two worker threads, a futex wait and a system call per request).
//!
//! Lines reach the output within [`BatchedWriter::INTERVAL`]: the thread sleeps, then writes
//! what has gathered (a plain sleep, not a timed wait: libfaketime, which the year-ahead test
//! pass runs under, shifts the absolute deadlines of timed waits). When 256 KiB are waiting,
//! the thread that adds a line writes the batch itself, so memory stays bounded whatever the
//! rate. [`BatchedWriter::flush_now`] writes what is left before the process exits. A Lambda
//! function does not use this: a frozen sandbox would hold its last lines back.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lambda_http::tracing::subscriber::fmt::MakeWriter;

/// Waiting bytes that the thread adding a line writes out at once.
const EAGER_BYTES: usize = 256 * 1024;

struct Shared {
    pending: Mutex<Vec<u8>>,
    /// Held while writing, so that batches come out in the order they were taken.
    output: Mutex<Box<dyn Write + Send>>,
}

impl Shared {
    /// Takes what is waiting and writes it, in order with any other batch.
    fn write_batch(&self) {
        let mut output = self.output.lock().unwrap_or_else(|e| e.into_inner());
        let batch = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if !batch.is_empty() {
            // Nowhere to report a failed log write; the next batch tries again.
            let _ = output.write_all(&batch).and_then(|()| output.flush());
        }
    }
}

/// A [`MakeWriter`] whose lines a background thread writes to `output` in batches.
#[derive(Clone)]
pub struct BatchedWriter {
    shared: Arc<Shared>,
}

impl BatchedWriter {
    /// How long a line may wait in memory.
    pub const INTERVAL: Duration = Duration::from_millis(20);

    /// Starts the thread that writes to `output`.
    pub fn spawn(output: impl Write + Send + 'static) -> io::Result<Self> {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Vec::with_capacity(64 * 1024)),
            output: Mutex::new(Box::new(output)),
        });
        let background = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || loop {
                std::thread::sleep(Self::INTERVAL);
                background.write_batch();
            })?;
        Ok(Self { shared })
    }

    /// Writes every line taken so far (before the process exits).
    pub fn flush_now(&self) {
        self.shared.write_batch();
    }
}

impl Write for BatchedWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let full = {
            let mut pending = self
                .shared
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            pending.extend_from_slice(bytes);
            pending.len() >= EAGER_BYTES
        };
        if full {
            self.shared.write_batch();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchedWriter {
    type Writer = BatchedWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_come_out_whole_and_in_order_after_an_interval_or_a_flush() {
        let sink = Sink::default();
        let writer = BatchedWriter::spawn(sink.clone()).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let mut writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..500 {
                        writer
                            .write_all(format!("thread {t} line {i}\n").as_bytes())
                            .unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        writer.flush_now();
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2_000);
        for t in 0..4 {
            let own: Vec<&str> = lines
                .iter()
                .copied()
                .filter(|l| l.starts_with(&format!("thread {t} ")))
                .collect();
            let expected: Vec<String> = (0..500).map(|i| format!("thread {t} line {i}")).collect();
            assert_eq!(own, expected, "each thread's lines whole and in order");
        }
    }

    #[test]
    fn a_line_left_alone_is_written_within_the_interval() {
        let sink = Sink::default();
        let mut writer = BatchedWriter::spawn(sink.clone()).unwrap();
        writer.write_all(b"one line\n").unwrap();
        // Generous, for a loaded machine: the interval is 20 ms. Instant, not the wall clock:
        // the year-ahead pass shifts the wall clock.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while sink.0.lock().unwrap().is_empty() {
            assert!(std::time::Instant::now() < deadline, "never written");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(&*sink.0.lock().unwrap(), b"one line\n");
    }
}
