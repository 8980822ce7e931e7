//! What the accept loop does when `accept` fails: retry a connection-level failure at once,
//! back off from a resource shortage, and say so in the log once per period, not once per
//! failure. Without this, a server out of file descriptors spins at full CPU on `accept`,
//! writing one warning per failed call (half a gigabyte of them in 12 s).

use std::io;
use std::time::Duration;

/// The first pause after a resource shortage; each further failure in a row doubles it.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(10);
/// The longest pause: a freed descriptor is used at most this late.
pub const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// While failures go on, one warning per this much time spent backing off.
pub const WARN_EVERY: Duration = Duration::from_secs(60);

/// What a failed `accept` calls for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcceptFailure {
    /// The one connection failed (reset or aborted before it was accepted, a signal): the
    /// next `accept` is as likely as ever to succeed.
    ThisConnection,
    /// The process or the system is out of something (descriptors, buffers, memory), or the
    /// error is one we do not know: retrying at once would fail the same way.
    Resources,
}

/// Sorts an `accept` error. Anything not known to concern one connection backs off: a
/// needless pause costs at most a second, a needless retry loop costs a core.
pub fn classify(error: &io::Error) -> AcceptFailure {
    match error.kind() {
        io::ErrorKind::ConnectionAborted
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionRefused
        | io::ErrorKind::Interrupted
        | io::ErrorKind::WouldBlock => return AcceptFailure::ThisConnection,
        _ => {}
    }
    // accept(2), Linux: "For reliable operation the application should detect the network
    // errors defined for the protocol after accept() and treat them like EAGAIN by retrying.
    // In the case of TCP/IP, these are ENETDOWN, EPROTO, ENOPROTOOPT, EHOSTDOWN, ENONET,
    // EHOSTUNREACH, EOPNOTSUPP, and ENETUNREACH." EPERM: a firewall refused the connection.
    const EPERM: i32 = 1;
    const EPROTO: i32 = 71;
    const ENOPROTOOPT: i32 = 92;
    const EOPNOTSUPP: i32 = 95;
    const ENETDOWN: i32 = 100;
    const ENETUNREACH: i32 = 101;
    const EHOSTDOWN: i32 = 112;
    const EHOSTUNREACH: i32 = 113;
    const ENONET: i32 = 64;
    match error.raw_os_error() {
        Some(
            EPERM | EPROTO | ENOPROTOOPT | EOPNOTSUPP | ENETDOWN | ENETUNREACH | EHOSTDOWN
            | EHOSTUNREACH | ENONET,
        ) if cfg!(target_os = "linux") => AcceptFailure::ThisConnection,
        // EMFILE, ENFILE, ENOBUFS, ENOMEM and whatever else.
        _ => AcceptFailure::Resources,
    }
}

/// The pause after `failures_in_a_row` resource failures (1 for the first): 10 ms doubling
/// to 1 s.
pub fn backoff(failures_in_a_row: u32) -> Duration {
    let doublings = failures_in_a_row.saturating_sub(1).min(16);
    FIRST_BACKOFF
        .saturating_mul(1 << doublings)
        .min(MAX_BACKOFF)
}

/// A run of resource failures: how long to pause, and when to warn.
#[derive(Debug, Default)]
pub struct Backoff {
    failures_in_a_row: u32,
    failures_since_warning: u32,
    paused_since_warning: Duration,
}

/// What to do after one failed `accept`.
#[derive(Debug, PartialEq, Eq)]
pub struct Decision {
    /// Zero: accept again at once.
    pub pause: Duration,
    /// Some(n): warn now, for the n failures since the last warning (this one included).
    pub warn_for: Option<u32>,
}

impl Backoff {
    pub fn on_failure(&mut self, failure: AcceptFailure) -> Decision {
        match failure {
            AcceptFailure::ThisConnection => Decision {
                pause: Duration::ZERO,
                warn_for: None,
            },
            AcceptFailure::Resources => {
                self.failures_in_a_row = self.failures_in_a_row.saturating_add(1);
                self.failures_since_warning = self.failures_since_warning.saturating_add(1);
                let pause = backoff(self.failures_in_a_row);
                // The first failure of a run warns; later ones once per WARN_EVERY of pauses
                // (counted, not read from a clock: the pauses are what passes).
                let warn = self.failures_in_a_row == 1 || self.paused_since_warning >= WARN_EVERY;
                let warn_for = warn.then(|| {
                    let count = self.failures_since_warning;
                    self.failures_since_warning = 0;
                    self.paused_since_warning = Duration::ZERO;
                    count
                });
                self.paused_since_warning += pause;
                Decision { pause, warn_for }
            }
        }
    }

    /// An accept succeeded: the run (if any) is over. Returns how many failures it had,
    /// for one line saying the server accepts again.
    pub fn on_success(&mut self) -> Option<u32> {
        let run = std::mem::take(&mut self.failures_in_a_row);
        self.failures_since_warning = 0;
        self.paused_since_warning = Duration::ZERO;
        (run > 0).then_some(run)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(code: i32) -> io::Error {
        io::Error::from_raw_os_error(code)
    }

    #[test]
    fn accept_errors_are_sorted_into_this_connection_and_resources() {
        let cases = [
            (os(24), AcceptFailure::Resources, "EMFILE"),
            (os(23), AcceptFailure::Resources, "ENFILE"),
            (os(105), AcceptFailure::Resources, "ENOBUFS"),
            (os(12), AcceptFailure::Resources, "ENOMEM"),
            (
                os(22),
                AcceptFailure::Resources,
                "EINVAL: unknown here, so backed off",
            ),
            (os(103), AcceptFailure::ThisConnection, "ECONNABORTED"),
            (os(104), AcceptFailure::ThisConnection, "ECONNRESET"),
            (os(4), AcceptFailure::ThisConnection, "EINTR"),
            (os(11), AcceptFailure::ThisConnection, "EAGAIN"),
            (os(71), AcceptFailure::ThisConnection, "EPROTO"),
            (os(1), AcceptFailure::ThisConnection, "EPERM"),
            (os(101), AcceptFailure::ThisConnection, "ENETUNREACH"),
            (os(113), AcceptFailure::ThisConnection, "EHOSTUNREACH"),
            (
                io::Error::other("no OS code"),
                AcceptFailure::Resources,
                "other",
            ),
        ];
        for (error, expected, name) in cases {
            assert_eq!(classify(&error), expected, "{name}");
        }
    }

    #[test]
    fn the_pause_doubles_from_10_ms_to_at_most_1_s() {
        let cases = [
            (1, 10),
            (2, 20),
            (3, 40),
            (4, 80),
            (5, 160),
            (6, 320),
            (7, 640),
            (8, 1000),
            (9, 1000),
            (40, 1000),
            (u32::MAX, 1000),
        ];
        for (failures, millis) in cases {
            assert_eq!(
                backoff(failures),
                Duration::from_millis(millis),
                "{failures}"
            );
        }
    }

    #[test]
    fn connection_failures_are_retried_at_once_and_never_warned() {
        let mut backoff = Backoff::default();
        for _ in 0..1000 {
            let decision = backoff.on_failure(AcceptFailure::ThisConnection);
            assert_eq!(decision.pause, Duration::ZERO);
            assert_eq!(decision.warn_for, None);
        }
        assert_eq!(backoff.on_success(), None);
    }

    #[test]
    fn a_run_of_resource_failures_warns_once_then_once_a_minute_of_pauses() {
        let mut backoff = Backoff::default();
        let mut warnings = Vec::new();
        let mut paused = Duration::ZERO;
        // 10 minutes of failures: 7 rising pauses (1270 ms), then 1 s each.
        let mut failures = 0;
        while paused < Duration::from_secs(600) {
            let decision = backoff.on_failure(AcceptFailure::Resources);
            failures += 1;
            if let Some(count) = decision.warn_for {
                warnings.push((failures, count));
            }
            paused += decision.pause;
        }
        // The first failure warns alone; then each warning covers a minute's failures.
        assert_eq!(warnings[0], (1, 1));
        assert_eq!(warnings.len(), 10, "{warnings:?}");
        assert_eq!(
            warnings.iter().map(|(_, count)| count).sum::<u32>(),
            warnings.last().unwrap().0,
            "every failure up to the last warning is counted once"
        );
        assert!(
            warnings[2..].iter().all(|(_, count)| *count == 60),
            "{warnings:?}"
        );
        assert_eq!(backoff.on_success(), Some(failures));
        // A new run starts from 10 ms and warns at once.
        assert_eq!(
            backoff.on_failure(AcceptFailure::Resources),
            Decision {
                pause: FIRST_BACKOFF,
                warn_for: Some(1)
            }
        );
    }

    #[test]
    fn a_connection_failure_inside_a_run_neither_pauses_nor_resets_it() {
        let mut backoff = Backoff::default();
        backoff.on_failure(AcceptFailure::Resources);
        backoff.on_failure(AcceptFailure::Resources);
        assert_eq!(
            backoff.on_failure(AcceptFailure::ThisConnection).pause,
            Duration::ZERO
        );
        assert_eq!(
            backoff.on_failure(AcceptFailure::Resources).pause,
            Duration::from_millis(40)
        );
    }
}
