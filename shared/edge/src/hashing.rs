//! The one bound on password hashing: at most [`HashingLimits::concurrency`] argon2 runs at
//! once in a process, taken in turn; a caller that waits longer than
//! [`HashingLimits::deadline`] for its turn gets [`HashingBusy`] (503
//! `temporarily_unavailable` with `Retry-After` at the edge) instead of a place in an
//! ever-longer queue.
//!
//! Why: each run holds 19 MiB for tens of milliseconds. Unbounded, 300 password grants at 64
//! parallel took `gatehouse serve` from 29 MiB to 5.7 GiB, and 150 parallel timed out: more
//! runs at once than cores only share the cores (each takes longer) and multiply the memory.
//! Past the cores, a run at once more buys nothing, so the default is the machine's cores.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use gatehouse_core::password::{verify_or_dummy, Argon2Memory, PasswordHash};

/// How much password hashing a process does at once, and how long a caller waits for a turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashingLimits {
    /// argon2 runs at once (each holds 19 MiB while it runs).
    pub concurrency: usize,
    /// The longest a caller waits for a run to start before it is told to come back later.
    pub deadline: Duration,
}

/// The deadline, by default: with one run per core, a queue this long still drains within a
/// client's usual timeout, and a sign-in that waits longer is better told to retry.
pub const DEFAULT_HASHING_DEADLINE_MS: u64 = 2_000;
/// The most runs at once a configuration may ask for.
pub const MAX_HASHING_CONCURRENCY: usize = 256;
/// The longest deadline a configuration may ask for.
pub const MAX_HASHING_DEADLINE_MS: u64 = 60_000;

impl HashingLimits {
    /// One run per core this process may use, as the operating system reports them.
    pub fn default_concurrency() -> usize {
        std::thread::available_parallelism().map_or(1, |cores| cores.get())
    }
}

impl Default for HashingLimits {
    fn default() -> Self {
        Self {
            concurrency: Self::default_concurrency(),
            deadline: Duration::from_millis(DEFAULT_HASHING_DEADLINE_MS),
        }
    }
}

/// No run could start within the deadline: every slot was taken for all of it.
#[derive(Debug, thiserror::Error)]
#[error("no password hashing slot came free within {} ms", .deadline.as_millis())]
pub struct HashingBusy {
    deadline: Duration,
}

impl HashingBusy {
    /// When to come back: the deadline, in whole seconds, at least one.
    pub fn retry_after_seconds(&self) -> u64 {
        self.deadline.as_millis().div_ceil(1000).max(1) as u64
    }
}

/// The bound itself, shared by every part of a process that hashes (clones share it).
#[derive(Clone)]
pub struct PasswordHashing(Arc<Shared>);

struct Shared {
    limits: HashingLimits,
    /// One permit per run at once; tokio's semaphore grants them first come, first served.
    slots: Arc<Semaphore>,
    /// The block buffers of runs that ended, for the next runs (see [`Shared::memory`]).
    pool: Mutex<Vec<Argon2Memory>>,
    /// argon2 runs made so far, for tests (how many a sign-in costs) and tools.
    runs: AtomicU64,
}

impl Shared {
    /// A block buffer for a run that holds a slot: one a run before it left, else a new one.
    ///
    /// A buffer is made only when every one made before is in a running run, each of which
    /// holds a slot, so there are never more than `concurrency` of them (19 MiB each): the
    /// memory is bounded by construction, and kept. Measured with `bench/password_memory.py`
    /// (1,000 password grants at 64 parallel against `gatehouse serve`, 2 cores, so 2 runs at
    /// once), the three ways considered:
    ///
    /// - the bound alone, a buffer allocated and freed by each run: peak 636 MiB, 587 MiB
    ///   10 s later. glibc's malloc keeps freed 19 MiB chunks in the arenas of the blocking
    ///   pool's threads and does not give them back (unbounded, before: 300 grants took
    ///   10.8 GiB and kept 10.3 GiB);
    /// - the same with glibc's `mmap_threshold` at 1 MiB (`mallopt(M_MMAP_THRESHOLD)`, here
    ///   through `GLIBC_TUNABLES`), so that each buffer is mapped and unmapped: peak 73 MiB,
    ///   17 MiB settled, but every run then faults in and zeroes 19 MiB anew: 10-11 ms of
    ///   system CPU on top of 24-27 ms of argon2 (one thread, 200 runs), about 40% more CPU a
    ///   sign-in, and a setting every binary must remember to make;
    /// - this pool: peak 54 MiB, 54 MiB settled (the 2 buffers kept), no system CPU a run
    ///   (0.1-0.5 ms), whatever the allocator.
    ///
    /// The pool keeps `concurrency` buffers for the life of the process; lower the
    /// concurrency to keep less.
    fn memory(&self) -> Argon2Memory {
        let pooled = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        pooled.unwrap_or_default()
    }

    fn give_back(&self, mut memory: Argon2Memory) {
        self.runs.fetch_add(memory.take_runs(), Ordering::Relaxed);
        self.pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(memory);
    }

    /// Block buffers made so far (in use or pooled).
    #[cfg(test)]
    fn buffers_made(&self) -> usize {
        self.pool.lock().unwrap().len()
    }
}

/// A bound of [`HashingLimits::default`]: for tests and tools; a process's wiring makes its
/// one bound from its configuration.
impl Default for PasswordHashing {
    fn default() -> Self {
        Self::new(HashingLimits::default())
    }
}

impl PasswordHashing {
    pub fn new(limits: HashingLimits) -> Self {
        let concurrency = limits.concurrency.max(1);
        Self(Arc::new(Shared {
            limits,
            slots: Arc::new(Semaphore::new(concurrency)),
            pool: Mutex::new(Vec::with_capacity(concurrency)),
            runs: AtomicU64::new(0),
        }))
    }

    pub fn limits(&self) -> HashingLimits {
        self.0.limits
    }

    /// argon2 runs made through this bound so far.
    pub fn runs(&self) -> u64 {
        self.0.runs.load(Ordering::Relaxed)
    }

    /// Checks a password against an account's hash, or against a dummy hash when there is no
    /// account, so that an unknown email costs what a wrong password costs: one run.
    pub async fn verify_or_dummy(
        &self,
        hash: Option<PasswordHash>,
        password: String,
    ) -> Result<bool, HashingBusy> {
        self.run(move |memory| verify_or_dummy(memory, hash.as_ref(), &password))
            .await
    }

    /// A new hash of `password`: one run.
    pub async fn hash(&self, password: String) -> Result<PasswordHash, HashingBusy> {
        self.run(move |memory| PasswordHash::computed(memory.hash(&password)))
            .await
    }

    /// Computes a deferred hash now (nothing to do for one already computed), so that writing
    /// it out (`gatehouse import`) does not run argon2 outside the bound.
    pub async fn compute(&self, hash: PasswordHash) -> Result<(), HashingBusy> {
        if hash.is_computed() {
            return Ok(());
        }
        self.run(move |memory| {
            hash.computed_in(memory);
        })
        .await
    }

    /// Computes every deferred hash of `hashes`, as many at once as the bound allows, in
    /// turn; the first [`HashingBusy`] ends it.
    pub async fn compute_all(
        &self,
        hashes: impl IntoIterator<Item = PasswordHash>,
    ) -> Result<(), HashingBusy> {
        let mut tasks = tokio::task::JoinSet::new();
        for hash in hashes.into_iter().filter(|hash| !hash.is_computed()) {
            let hashing = self.clone();
            tasks.spawn(async move { hashing.compute(hash).await });
        }
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(computed) => computed?,
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(_) => panic!("the tokio runtime shut down during password hashing"),
            }
        }
        Ok(())
    }

    /// `work` on tokio's blocking pool (so that argon2 does not hold up the requests an async
    /// worker thread serves) once a slot is free, or [`HashingBusy`] past the deadline.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Argon2Memory) -> T + Send + 'static,
    ) -> Result<T, HashingBusy> {
        let deadline = self.0.limits.deadline;
        // The semaphore is never closed, so only the deadline ends the wait.
        let slot = match tokio::time::timeout(deadline, self.0.slots.clone().acquire_owned()).await
        {
            Ok(Ok(slot)) => slot,
            Ok(Err(_)) | Err(_) => return Err(HashingBusy { deadline }),
        };
        let shared = self.0.clone();
        // The slot moves into the blocking task: if the caller goes away (a client that hangs
        // up), the run still holds it until it ends, so the bound counts every run.
        let task = tokio::task::spawn_blocking(move || {
            let mut memory = shared.memory();
            let value = work(&mut memory);
            // The buffer goes back before the slot, so that the next run finds it.
            shared.give_back(memory);
            drop(slot);
            value
        });
        match task.await {
            Ok(value) => Ok(value),
            // A panic in the work is the caller's, as if the work had run inline.
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => panic!("the tokio runtime shut down during a password check"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    fn limits(concurrency: usize, deadline_ms: u64) -> HashingLimits {
        HashingLimits {
            concurrency,
            deadline: Duration::from_millis(deadline_ms),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_runs_than_the_concurrency_happen_at_once() {
        let hashing = PasswordHashing::new(limits(2, 10_000));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (hashing, running, most) = (hashing.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    hashing
                        .run(move |_| {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(20));
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().expect("within the deadline");
        }
        let most = most.load(Ordering::SeqCst);
        assert!((1..=2).contains(&most), "{most} runs at once");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_that_cannot_start_within_the_deadline_is_told_to_come_back() {
        let hashing = PasswordHashing::new(limits(1, 50));
        let (started, running) = std::sync::mpsc::channel();
        let holder = hashing.clone();
        let held = tokio::spawn(async move {
            holder
                .run(move |_| {
                    started.send(()).unwrap();
                    std::thread::sleep(Duration::from_millis(500));
                })
                .await
        });
        running.recv().unwrap();
        let busy = hashing.verify_or_dummy(None, "p".into()).await.unwrap_err();
        assert_eq!(busy.retry_after_seconds(), 1);
        assert_eq!(hashing.runs(), 0, "the refused check ran nothing");
        held.await.unwrap().unwrap();
        assert!(!hashing.verify_or_dummy(None, "p".into()).await.unwrap());
        assert_eq!(hashing.runs(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_run_whose_caller_went_away_keeps_its_slot_until_it_ends() {
        let hashing = PasswordHashing::new(limits(1, 100));
        let (started, running) = std::sync::mpsc::channel();
        let (finish, finished) = std::sync::mpsc::channel::<()>();
        let caller = hashing.run(move |_| {
            started.send(()).unwrap();
            finished.recv().unwrap();
        });
        // The caller gives up once its run has started (a client that hangs up).
        let abandoned = tokio::time::timeout(Duration::from_millis(10), caller);
        let ((), gave_up) = tokio::join!(
            async {
                tokio::task::spawn_blocking(move || running.recv().unwrap())
                    .await
                    .unwrap()
            },
            abandoned
        );
        assert!(gave_up.is_err(), "the caller stopped waiting");
        assert!(
            hashing.run(|_| ()).await.is_err(),
            "the abandoned run still holds the only slot"
        );
        finish.send(()).unwrap();
        hashing.run(|_| ()).await.expect("the slot came back");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_reuse_at_most_one_block_buffer_per_slot() {
        let hashing = PasswordHashing::new(limits(2, 10_000));
        let checks: Vec<_> = (0..12)
            .map(|n| {
                let hashing = hashing.clone();
                tokio::spawn(async move { hashing.verify_or_dummy(None, format!("{n}")).await })
            })
            .collect();
        for check in checks {
            assert!(!check.await.unwrap().unwrap());
        }
        assert_eq!(hashing.runs(), 12);
        let made = hashing.0.buffers_made();
        assert!((1..=2).contains(&made), "{made} buffers for 2 slots");
    }

    #[test]
    fn busy_asks_for_the_deadline_in_whole_seconds_at_least_one() {
        let busy = |ms| HashingBusy {
            deadline: Duration::from_millis(ms),
        };
        assert_eq!(busy(1).retry_after_seconds(), 1);
        assert_eq!(busy(1_000).retry_after_seconds(), 1);
        assert_eq!(busy(1_001).retry_after_seconds(), 2);
        assert_eq!(busy(2_000).retry_after_seconds(), 2);
    }

    #[test]
    fn the_default_is_one_run_per_core_and_a_two_second_deadline() {
        let limits = HashingLimits::default();
        assert!(limits.concurrency >= 1);
        assert_eq!(limits.concurrency, HashingLimits::default_concurrency());
        assert_eq!(limits.deadline, Duration::from_millis(2_000));
    }
}
