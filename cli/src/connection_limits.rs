//! How long `gatehouse serve` waits for a slow or idle client, and how many connections it
//! holds at once, in all and per client address: without these, a client that sends half its
//! headers, or a body shorter than its Content-Length, holds a connection (and a file
//! descriptor) forever, and one address could take every connection there is.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use gatehouse_core::ratelimit::client_key;

/// Headers of a request, counted from when the connection is ready for one (accepted, or idle
/// after the previous response).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole body of a request, counted from when its headers were read.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(20);
/// Well above the benchmark's 64 connections, well below the usual limit of 1024 descriptors
/// per process (the store, the log and the listener need some too).
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// A quarter of [`DEFAULT_MAX_CONNECTIONS`]: one address (or one IPv6 /64) leaves at least
/// three quarters of the connections to the others, and the benchmark's 64 connections from
/// one load generator fit twice over.
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Also the keep-alive idle timeout: hyper starts the header timer when a connection goes
    /// idle, so a connection with no request under way is closed after this long.
    pub header_read: Duration,
    /// Past it, the request is answered 408 and the connection closed.
    pub body_read: Duration,
    /// Past it, the server stops accepting until a connection ends; the kernel queues new
    /// ones in the listen backlog meanwhile.
    pub max_connections: usize,
    /// Connections held at once from one client address, keyed as the rate limit keys it
    /// (an IPv6 client by its /64). Past it, a new connection from that address is closed at
    /// once, so that the others are still served. Always the connection's peer address, even
    /// under `--client-ip-header`: a header arrives after the connection is taken.
    pub max_connections_per_address: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read: DEFAULT_HEADER_READ_TIMEOUT,
            body_read: DEFAULT_BODY_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
        }
    }
}

/// The connections each client address holds, at most `cap` each. Only addresses that hold a
/// connection have an entry, so it never holds more entries than the server holds connections.
#[derive(Debug)]
pub struct AddressSlots {
    cap: usize,
    held: Mutex<HashMap<String, usize>>,
}

impl AddressSlots {
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            cap,
            held: Mutex::default(),
        })
    }

    /// A slot for a connection from `peer`, given back when dropped; None when its address
    /// (its /64 for IPv6, [`client_key`]) already holds `cap` connections.
    pub fn take(self: &Arc<Self>, peer: IpAddr) -> Option<AddressSlot> {
        let key = client_key(&peer.to_string());
        let mut held = self.held();
        let count = held.entry(key.clone()).or_insert(0);
        if *count >= self.cap {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            slots: Arc::clone(self),
            key,
        })
    }

    /// How many connections `peer`'s address holds.
    pub fn held_by(&self, peer: IpAddr) -> usize {
        let held = self.held();
        held.get(&client_key(&peer.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// The counts; a panic elsewhere while they were held leaves them as they were.
    fn held(&self) -> MutexGuard<'_, HashMap<String, usize>> {
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One connection's place in its address's count.
#[derive(Debug)]
pub struct AddressSlot {
    slots: Arc<AddressSlots>,
    key: String,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut held = self.slots.held();
        if let Some(count) = held.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_address_holds_at_most_its_cap_and_gets_its_slots_back() {
        let slots = AddressSlots::new(2);
        let first = slots.take(ip("192.0.2.1")).unwrap();
        let second = slots.take(ip("192.0.2.1")).unwrap();
        assert!(slots.take(ip("192.0.2.1")).is_none());
        // Another address has its own count.
        let other = slots.take(ip("192.0.2.2")).unwrap();
        assert_eq!(slots.held_by(ip("192.0.2.2")), 1);
        drop(first);
        let third = slots.take(ip("192.0.2.1")).unwrap();
        assert!(slots.take(ip("192.0.2.1")).is_none());
        drop((second, third, other));
        assert!(
            slots.held.lock().unwrap().is_empty(),
            "no entry is left behind"
        );
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64_as_the_rate_limit_counts_it() {
        let slots = AddressSlots::new(2);
        let _a = slots.take(ip("2001:db8:1:2::1")).unwrap();
        let _b = slots.take(ip("2001:db8:1:2:ffff::9")).unwrap();
        assert!(slots.take(ip("2001:db8:1:2::77")).is_none());
        assert!(slots.take(ip("2001:db8:1:3::1")).is_some());
        // An IPv4-mapped address is its IPv4 address.
        let _v4 = slots.take(ip("198.51.100.7")).unwrap();
        let _mapped = slots.take(ip("::ffff:198.51.100.7")).unwrap();
        assert!(slots.take(ip("198.51.100.7")).is_none());
    }
}
