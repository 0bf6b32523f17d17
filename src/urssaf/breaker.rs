//! A failure-rate circuit breaker per Urssaf host, in the manner of resilience4j and Envoy's
//! outlier detection.
//!
//! It counts **calls**, not attempts: one logical call to Urssaf, retries included, reports one
//! outcome when it ends — a failure when it ended without a usable answer (no connection, a
//! timeout, a 5xx) once its retries were spent, a success when Urssaf answered (a 4xx or a 429
//! is an answer about the request, not a sign that Urssaf is down). So partial failure that
//! retries absorb does not open it; a failure rate that survives the retries does.
//!
//! - **closed**: outcomes go into a sliding window of whole seconds; once it holds at least
//!   `min_calls` calls and `failure_rate_percent` of them failed, the breaker opens.
//! - **open**: calls fail at once (503 with `Retry-After`) for `open_for`. Then it is half-open
//!   when the time is up, whether or not calls arrive (a timer moves it, so the metric and the
//!   log line say so on time).
//! - **half-open**: the first `half_open_calls` calls go through as trials (a trial whose caller
//!   went away frees its place); others fail fast until the trials decide: closed as soon as the
//!   trials' failure rate is sure to stay under the threshold, open again as soon as it is sure
//!   to reach it.
//!
//! The state machine takes the time as an argument, so tests drive every transition without
//! sleeping; [`Breaker`] wraps it with the clock, a lock, the gauge and one log line per
//! transition.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use prometheus::{IntGauge, IntGaugeVec};

use super::window::Window;

#[derive(Debug, Clone, Copy)]
pub struct BreakerSettings {
    /// Share of failed calls in the window that opens the breaker; 0 disables it.
    pub failure_rate_percent: u32,
    /// Calls the window must hold before the breaker may open.
    pub min_calls: u32,
    pub window_seconds: u64,
    pub open_for: Duration,
    /// Trial calls let through while half-open.
    pub half_open_calls: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed,
    HalfOpen,
    Open,
}

impl State {
    pub const ALL: [State; 3] = [State::Closed, State::HalfOpen, State::Open];

    /// The `state` label of `urssaf_gateway_urssaf_breaker_state`.
    pub fn label(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::HalfOpen => "half_open",
            State::Open => "open",
        }
    }
}

/// `urssaf_gateway_urssaf_breaker_state{host,state}` of one host, in state-set style: one series per
/// state, 1 for the current one and 0 for the others, so that a query needs no magic numbers.
#[derive(Clone)]
pub struct StateGauges(Vec<(State, IntGauge)>);

impl StateGauges {
    pub fn new(family: &IntGaugeVec, host: &str) -> StateGauges {
        StateGauges(
            State::ALL
                .iter()
                .map(|s| (*s, family.with_label_values(&[host, s.label()])))
                .collect(),
        )
    }

    fn set(&self, current: State) {
        for (state, gauge) in &self.0 {
            gauge.set(i64::from(*state == current));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Closed,
    Open {
        until: Instant,
    },
    HalfOpen {
        admitted: u32,
        succeeded: u32,
        failed: u32,
    },
}

/// What a let-through call remembers: the phase it was admitted in (outcomes of calls admitted
/// before a transition are stale and ignored) and whether it is a half-open trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    epoch: u64,
    trial: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    /// The caller went away before the call ended.
    Abandoned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: State,
    pub to: State,
    /// Calls and failures that decided it (the window's, or the trials').
    pub calls: u64,
    pub failures: u64,
}

/// The breaker's state machine: no clock, no lock, no side effects.
pub struct Machine {
    settings: BreakerSettings,
    phase: Phase,
    epoch: u64,
    window: Window,
}

impl Machine {
    pub fn new(settings: BreakerSettings, now: Instant) -> Machine {
        Machine {
            settings,
            phase: Phase::Closed,
            epoch: 0,
            window: Window::new(settings.window_seconds, now),
        }
    }

    pub fn state(&self) -> State {
        match self.phase {
            Phase::Closed => State::Closed,
            Phase::Open { .. } => State::Open,
            Phase::HalfOpen { .. } => State::HalfOpen,
        }
    }

    fn disabled(&self) -> bool {
        self.settings.failure_rate_percent == 0
    }

    /// Lets a call through (`Ok`) or says how long to wait (`Err`); may move open → half-open.
    pub fn admit(&mut self, now: Instant) -> (Result<Ticket, Duration>, Option<Transition>) {
        let moved = self.tick(now);
        let epoch = self.epoch;
        let admitted = match &mut self.phase {
            Phase::Closed => Ok(Ticket {
                epoch,
                trial: false,
            }),
            Phase::Open { until } => Err(until.saturating_duration_since(now)),
            Phase::HalfOpen { admitted, .. } if *admitted < self.settings.half_open_calls => {
                *admitted += 1;
                Ok(Ticket { epoch, trial: true })
            }
            // Every trial is out: the next decision is near.
            Phase::HalfOpen { .. } => Err(Duration::from_secs(1)),
        };
        (admitted, moved)
    }

    /// Open → half-open once the open period is over, with or without calls.
    pub fn tick(&mut self, now: Instant) -> Option<Transition> {
        match self.phase {
            Phase::Open { until } if now >= until => Some(self.enter(
                Phase::HalfOpen {
                    admitted: 0,
                    succeeded: 0,
                    failed: 0,
                },
                0,
                0,
            )),
            _ => None,
        }
    }

    /// True while calls fail fast without a trial being possible.
    pub fn is_open(&self, now: Instant) -> bool {
        matches!(self.phase, Phase::Open { until } if now < until)
    }

    pub fn report(&mut self, ticket: Ticket, outcome: Outcome, now: Instant) -> Option<Transition> {
        if ticket.epoch != self.epoch || self.disabled() {
            return None;
        }
        let s = self.settings;
        let rate = u64::from(s.failure_rate_percent);
        match (&mut self.phase, outcome) {
            (Phase::Closed, Outcome::Abandoned) => None,
            (Phase::Closed, _) => {
                let failed = u64::from(outcome == Outcome::Failure);
                self.window.add(now, 1, failed);
                let (calls, failures) = self.window.totals(now);
                (calls >= u64::from(s.min_calls.max(1)) && failures * 100 >= rate * calls).then(
                    || {
                        self.enter(
                            Phase::Open {
                                until: now + s.open_for,
                            },
                            calls,
                            failures,
                        )
                    },
                )
            }
            (
                Phase::HalfOpen {
                    admitted,
                    succeeded,
                    failed,
                },
                _,
            ) if ticket.trial => {
                let trials = u64::from(s.half_open_calls.max(1));
                match outcome {
                    Outcome::Abandoned => {
                        *admitted = admitted.saturating_sub(1);
                        None
                    }
                    Outcome::Success => {
                        *succeeded += 1;
                        let (ok, ko) = (u64::from(*succeeded), u64::from(*failed));
                        // Even if every trial still out failed, the rate stays under the threshold.
                        ((trials.saturating_sub(ok)) * 100 < rate * trials)
                            .then(|| self.enter(Phase::Closed, ok + ko, ko))
                    }
                    Outcome::Failure => {
                        *failed += 1;
                        let (ok, ko) = (u64::from(*succeeded), u64::from(*failed));
                        (ko * 100 >= rate * trials).then(|| {
                            self.enter(
                                Phase::Open {
                                    until: now + s.open_for,
                                },
                                ok + ko,
                                ko,
                            )
                        })
                    }
                }
            }
            _ => None,
        }
    }

    fn enter(&mut self, phase: Phase, calls: u64, failures: u64) -> Transition {
        let from = self.state();
        self.phase = phase;
        self.epoch += 1;
        if phase == Phase::Closed {
            self.window.clear();
        }
        Transition {
            from,
            to: self.state(),
            calls,
            failures,
        }
    }
}

/// The breaker of one Urssaf host: the machine, the real clock, the gauge, the log lines.
pub struct Breaker {
    host: String,
    settings: BreakerSettings,
    machine: Mutex<Machine>,
    gauge: Option<StateGauges>,
    me: Weak<Breaker>,
}

impl Breaker {
    pub fn new(
        host: impl Into<String>,
        settings: BreakerSettings,
        gauge: Option<StateGauges>,
    ) -> Arc<Breaker> {
        if let Some(g) = &gauge {
            g.set(State::Closed);
        }
        Arc::new_cyclic(|me| Breaker {
            host: host.into(),
            settings,
            machine: Mutex::new(Machine::new(settings, Instant::now())),
            gauge,
            me: me.clone(),
        })
    }

    /// A permit for one call, or how long calls keep failing fast.
    pub fn acquire(&self) -> Result<Permit, Duration> {
        if self.settings.failure_rate_percent == 0 {
            return Ok(Permit {
                breaker: None,
                ticket: Ticket {
                    epoch: 0,
                    trial: false,
                },
            });
        }
        let (admitted, moved) = self.machine.lock().admit(Instant::now());
        self.announce(moved);
        admitted.map(|ticket| Permit {
            breaker: self.me.upgrade(),
            ticket,
        })
    }

    /// Open and not yet due for trials: a call under way should not retry.
    pub fn is_open(&self) -> bool {
        self.machine.lock().is_open(Instant::now())
    }

    pub fn state(&self) -> State {
        self.machine.lock().state()
    }

    fn report(&self, ticket: Ticket, outcome: Outcome) {
        let moved = self.machine.lock().report(ticket, outcome, Instant::now());
        self.announce(moved);
    }

    /// The gauge, one log line, and when it opened, the timer that ends the open period.
    fn announce(&self, moved: Option<Transition>) {
        let Some(t) = moved else { return };
        if let Some(g) = &self.gauge {
            g.set(t.to);
        }
        let host = self.host.as_str();
        let open_seconds = self.settings.open_for.as_secs();
        match (t.from, t.to) {
            (State::Closed, State::Open) => tracing::warn!(
                host,
                calls = t.calls,
                failed_calls = t.failures,
                open_seconds,
                "urssaf circuit open: too many calls failed, calls fail fast"
            ),
            (_, State::Open) => tracing::warn!(
                host,
                trial_calls = t.calls,
                failed_trials = t.failures,
                open_seconds,
                "urssaf circuit open again: trial calls failed"
            ),
            (_, State::HalfOpen) => tracing::info!(
                host,
                trial_calls = self.settings.half_open_calls,
                "urssaf circuit half-open: trial calls go through"
            ),
            (_, State::Closed) => tracing::info!(
                host,
                trial_calls = t.calls,
                failed_trials = t.failures,
                "urssaf circuit closed: urssaf answers again"
            ),
        }
        if t.to == State::Open {
            self.schedule_half_open();
        }
    }

    fn schedule_half_open(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // no runtime (unit tests): the next call moves it
        };
        let me = self.me.clone();
        // Timers round up to the millisecond; a little slack makes sure the period is over.
        let wait = self.settings.open_for + Duration::from_millis(5);
        runtime.spawn(async move {
            tokio::time::sleep(wait).await;
            if let Some(b) = me.upgrade() {
                let moved = b.machine.lock().tick(Instant::now());
                b.announce(moved);
            }
        });
    }
}

/// Leave to make one call; report how it ended. Dropped without a report, the call counts as
/// abandoned (it frees its trial place, and is not a failure).
pub struct Permit {
    breaker: Option<Arc<Breaker>>,
    ticket: Ticket,
}

impl Permit {
    pub fn succeeded(mut self) {
        if let Some(b) = self.breaker.take() {
            b.report(self.ticket, Outcome::Success);
        }
    }

    pub fn failed(mut self) {
        if let Some(b) = self.breaker.take() {
            b.report(self.ticket, Outcome::Failure);
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(b) = self.breaker.take() {
            b.report(self.ticket, Outcome::Abandoned);
        }
    }
}

#[cfg(test)]
#[path = "breaker_tests.rs"]
mod tests;
