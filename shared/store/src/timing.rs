//! How long one request spent in DynamoDB and how many HTTP attempts it made: an SDK
//! interceptor ([`StorageTiming`]) adds each attempt to a meter that [`measure`] scopes to the
//! request's task. Attempts made outside a [`measure`] (start-up probes, `gatehouse import`)
//! are not counted.

use std::cell::Cell;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};

/// Storage use of one request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageUse {
    /// HTTP attempts sent to DynamoDB, retries included.
    pub requests: u32,
    /// The sum of the attempts' durations (attempts sent together each count in full).
    pub latency: Duration,
    /// Sequential round trips: the times an attempt started while no other was in flight.
    /// Requests sent together make one round; a request that waits for another's answer (or
    /// a retry) starts the next. The request's storage latency is about this many round trips.
    pub rounds: u32,
}

/// The meter of one request. Attempts of one request may overlap (the token endpoint sends two
/// storage requests together), and the SDK gives an interceptor no handle to pair an attempt's
/// end with its start short of the config bag's typed state. But the sum of durations is the
/// sum of the ends less the sum of the starts, and the SDK promises that `read_after_attempt`
/// runs for every attempt whose `read_before_attempt` ran, timeouts included; so two running
/// sums, measured from the meter's creation, are enough.
struct Meter {
    origin: Instant,
    started: Cell<u32>,
    ended: Cell<u32>,
    rounds: Cell<u32>,
    start_nanos: Cell<u128>,
    end_nanos: Cell<u128>,
}

tokio::task_local! {
    static METER: Meter;
}

impl Meter {
    fn new() -> Self {
        Self {
            origin: Instant::now(),
            started: Cell::new(0),
            ended: Cell::new(0),
            rounds: Cell::new(0),
            start_nanos: Cell::new(0),
            end_nanos: Cell::new(0),
        }
    }

    fn since_origin(&self) -> u128 {
        self.origin.elapsed().as_nanos()
    }

    fn attempt_started(&self) {
        if self.started.get() == self.ended.get() {
            self.rounds.set(self.rounds.get() + 1);
        }
        self.started.set(self.started.get() + 1);
        self.start_nanos
            .set(self.start_nanos.get() + self.since_origin());
    }

    fn attempt_ended(&self) {
        self.ended.set(self.ended.get() + 1);
        self.end_nanos
            .set(self.end_nanos.get() + self.since_origin());
    }

    /// What was measured; an attempt still open (its request was dropped mid-flight) counts
    /// until now.
    fn finish(&self) -> StorageUse {
        let open = u128::from(self.started.get().saturating_sub(self.ended.get()));
        let ends = self.end_nanos.get() + open * self.since_origin();
        let nanos = ends.saturating_sub(self.start_nanos.get());
        StorageUse {
            requests: self.started.get(),
            latency: Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX)),
            rounds: self.rounds.get(),
        }
    }
}

/// Runs `work`, counting the DynamoDB attempts it makes on this task.
pub async fn measure<F: Future>(work: F) -> (F::Output, StorageUse) {
    METER
        .scope(Meter::new(), async move {
            let output = work.await;
            let used = METER.with(Meter::finish);
            (output, used)
        })
        .await
}

/// The interceptor [`crate::dynamo::client`] adds to every DynamoDB client.
#[derive(Debug, Clone, Copy, Default)]
pub struct StorageTiming;

impl Intercept for StorageTiming {
    fn name(&self) -> &'static str {
        "StorageTiming"
    }

    fn read_before_attempt(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        // Not in a request's scope: nothing to count it against.
        let _ = METER.try_with(Meter::attempt_started);
        Ok(())
    }

    fn read_after_attempt(
        &self,
        _: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let _ = METER.try_with(Meter::attempt_ended);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn overlapping_attempts_each_count_their_own_duration() {
        let (_, used) = measure(async {
            METER.with(Meter::attempt_started);
            METER.with(Meter::attempt_started);
            tokio::time::sleep(Duration::from_millis(20)).await;
            METER.with(Meter::attempt_ended);
            METER.with(Meter::attempt_ended);
        })
        .await;
        assert_eq!(used.requests, 2);
        assert_eq!(used.rounds, 1, "sent together, they are one round trip");
        assert!(used.latency >= Duration::from_millis(40), "{used:?}");
    }

    #[tokio::test]
    async fn an_attempt_that_starts_after_every_other_ended_is_a_new_round() {
        let (_, used) = measure(async {
            METER.with(Meter::attempt_started);
            METER.with(Meter::attempt_started);
            METER.with(Meter::attempt_ended);
            // Still one in flight: this one overlaps it.
            METER.with(Meter::attempt_started);
            METER.with(Meter::attempt_ended);
            METER.with(Meter::attempt_ended);
            METER.with(Meter::attempt_started);
            METER.with(Meter::attempt_ended);
        })
        .await;
        assert_eq!((used.requests, used.rounds), (4, 2));
    }

    #[tokio::test]
    async fn work_without_storage_uses_none() {
        let (output, used) = measure(async { 7 }).await;
        assert_eq!(output, 7);
        assert_eq!(used, StorageUse::default());
    }
}
