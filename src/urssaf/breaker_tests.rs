//! Every transition of the breaker's state machine, on a clock the tests move by hand.

use super::*;
use prometheus::Opts;

const SETTINGS: BreakerSettings = BreakerSettings {
    failure_rate_percent: 50,
    min_calls: 10,
    window_seconds: 10,
    open_for: Duration::from_secs(5),
    half_open_calls: 3,
};

struct Clock(Instant);

impl Clock {
    fn at(&self, millis: u64) -> Instant {
        self.0 + Duration::from_millis(millis)
    }
}

fn machine() -> (Machine, Clock) {
    let t0 = Instant::now();
    (Machine::new(SETTINGS, t0), Clock(t0))
}

/// One call admitted and reported at `now`; the transition it caused, if any.
fn call(m: &mut Machine, now: Instant, outcome: Outcome) -> Option<Transition> {
    let (ticket, moved) = m.admit(now);
    assert_eq!(moved, None);
    m.report(ticket.expect("admitted"), outcome, now)
}

/// `failures` failed and `successes` successful calls at `now`, failures last.
fn calls(m: &mut Machine, now: Instant, successes: u32, failures: u32) -> Option<Transition> {
    let mut last = None;
    for _ in 0..successes {
        last = last.or(call(m, now, Outcome::Success));
    }
    for _ in 0..failures {
        last = last.or(call(m, now, Outcome::Failure));
    }
    last
}

fn open(m: &mut Machine, now: Instant) {
    let t = calls(m, now, 0, 10).expect("opens");
    assert_eq!((t.from, t.to), (State::Closed, State::Open));
}

#[test]
fn stays_closed_under_min_calls_even_when_all_fail() {
    let (mut m, c) = machine();
    assert_eq!(calls(&mut m, c.at(0), 0, 9), None);
    assert_eq!(m.state(), State::Closed);
}

#[test]
fn opens_at_the_failure_rate_and_not_below_it() {
    let (mut m, c) = machine();
    // 49 % of 100 calls failed: closed.
    assert_eq!(calls(&mut m, c.at(0), 51, 49), None);
    assert_eq!(m.state(), State::Closed);
    // Two more failures: 51 of 102.
    assert_eq!(call(&mut m, c.at(0), Outcome::Failure), None);
    let t = call(&mut m, c.at(0), Outcome::Failure).expect("opens at 50 %");
    assert_eq!(
        (t.from, t.to, t.calls, t.failures),
        (State::Closed, State::Open, 102, 51)
    );
}

#[test]
fn a_success_can_be_the_call_that_reaches_min_calls() {
    let (mut m, c) = machine();
    assert_eq!(calls(&mut m, c.at(0), 0, 9), None);
    let t = call(&mut m, c.at(0), Outcome::Success).expect("10 calls, 90 % failed");
    assert_eq!(t.to, State::Open);
}

#[test]
fn old_failures_leave_the_window() {
    let (mut m, c) = machine();
    assert_eq!(calls(&mut m, c.at(0), 0, 9), None);
    // Eleven seconds later those nine failures no longer count: one more is 1 of 1.
    assert_eq!(calls(&mut m, c.at(11_000), 0, 1), None);
    assert_eq!(calls(&mut m, c.at(11_000), 9, 0), None);
    assert_eq!(m.state(), State::Closed);
}

#[test]
fn open_fails_fast_with_the_remaining_time() {
    let (mut m, c) = machine();
    open(&mut m, c.at(0));
    let (r, moved) = m.admit(c.at(2_000));
    assert_eq!(r, Err(Duration::from_secs(3)));
    assert_eq!(moved, None);
    assert!(m.is_open(c.at(4_999)));
}

#[test]
fn half_open_when_the_time_is_up_without_any_call() {
    let (mut m, c) = machine();
    open(&mut m, c.at(0));
    assert_eq!(m.tick(c.at(4_999)), None);
    let t = m.tick(c.at(5_000)).expect("time is up");
    assert_eq!((t.from, t.to), (State::Open, State::HalfOpen));
    assert_eq!(m.state(), State::HalfOpen);
    assert!(!m.is_open(c.at(5_000)));
    assert_eq!(m.tick(c.at(6_000)), None, "once");
}

#[test]
fn the_first_call_after_the_period_moves_it_too() {
    let (mut m, c) = machine();
    open(&mut m, c.at(0));
    let (r, moved) = m.admit(c.at(7_000));
    assert!(r.is_ok_and(|t| t.trial));
    assert_eq!(moved.map(|t| t.to), Some(State::HalfOpen));
}

#[test]
fn half_open_admits_the_configured_trials_then_waits() {
    let (mut m, c) = machine();
    open(&mut m, c.at(0));
    m.tick(c.at(5_000));
    let trials: Vec<Ticket> = (0..3)
        .map(|_| m.admit(c.at(5_001)).0.expect("a trial"))
        .collect();
    assert_eq!(m.admit(c.at(5_001)).0, Err(Duration::from_secs(1)));
    // 3 trials, 50 %: two successes make the rate sure to stay under it.
    assert_eq!(m.report(trials[0], Outcome::Success, c.at(5_002)), None);
    let t = m
        .report(trials[1], Outcome::Success, c.at(5_002))
        .expect("closes");
    assert_eq!((t.from, t.to, t.calls), (State::HalfOpen, State::Closed, 2));
    // The third trial reports after the decision: ignored, and calls flow again.
    assert_eq!(m.report(trials[2], Outcome::Failure, c.at(5_003)), None);
    assert_eq!(m.state(), State::Closed);
    assert!(m.admit(c.at(5_003)).0.is_ok_and(|t| !t.trial));
}

#[test]
fn failed_trials_open_it_again_for_a_full_period() {
    let (mut m, c) = machine();
    open(&mut m, c.at(0));
    m.tick(c.at(5_000));
    let a = m.admit(c.at(5_000)).0.unwrap();
    let b = m.admit(c.at(5_000)).0.unwrap();
    assert_eq!(
        m.report(a, Outcome::Failure, c.at(5_100)),
        None,
        "1 of 3 is not yet 50 %"
    );
    let t = m
        .report(b, Outcome::Failure, c.at(5_100))
        .expect("2 of 3 failed");
    assert_eq!(
        (t.from, t.to, t.failures),
        (State::HalfOpen, State::Open, 2)
    );
    assert_eq!(m.admit(c.at(5_100)).0, Err(Duration::from_secs(5)));
    assert!(m.tick(c.at(10_100)).is_some());
}

#[test]
fn an_abandoned_trial_frees_its_place() {
    let (mut m, c) = machine();
    open(&mut m, c.at(0));
    m.tick(c.at(5_000));
    let t: Vec<Ticket> = (0..3).map(|_| m.admit(c.at(5_000)).0.unwrap()).collect();
    assert!(m.admit(c.at(5_000)).0.is_err());
    assert_eq!(m.report(t[0], Outcome::Abandoned, c.at(5_000)), None);
    assert!(m.admit(c.at(5_000)).0.is_ok_and(|t| t.trial));
    assert_eq!(m.state(), State::HalfOpen);
}

#[test]
fn outcomes_of_calls_admitted_before_a_transition_are_ignored() {
    let (mut m, c) = machine();
    let early: Vec<Ticket> = (0..20).map(|_| m.admit(c.at(0)).0.unwrap()).collect();
    open(&mut m, c.at(0));
    for t in &early {
        assert_eq!(m.report(*t, Outcome::Success, c.at(100)), None);
    }
    m.tick(c.at(5_000));
    // A call admitted while closed ending during half-open is not a trial.
    assert_eq!(m.report(early[0], Outcome::Success, c.at(5_000)), None);
    assert_eq!(m.state(), State::HalfOpen);
}

#[test]
fn closing_starts_a_fresh_window() {
    let (mut m, c) = machine();
    assert_eq!(calls(&mut m, c.at(0), 0, 9), None);
    assert_eq!(
        calls(&mut m, c.at(0), 0, 1).map(|t| t.to),
        Some(State::Open)
    );
    m.tick(c.at(5_000));
    for _ in 0..2 {
        let t = m.admit(c.at(5_000)).0.unwrap();
        m.report(t, Outcome::Success, c.at(5_000));
    }
    assert_eq!(m.state(), State::Closed);
    // The failures from before the open period are forgotten.
    assert_eq!(calls(&mut m, c.at(5_000), 0, 9), None);
}

#[test]
fn a_zero_rate_disables_it() {
    let t0 = Instant::now();
    let mut m = Machine::new(
        BreakerSettings {
            failure_rate_percent: 0,
            ..SETTINGS
        },
        t0,
    );
    assert_eq!(calls(&mut m, t0, 0, 100), None);
    assert_eq!(m.state(), State::Closed);
}

#[test]
fn the_wrapper_sets_the_gauge_and_counts_a_dropped_permit_as_abandoned() {
    let family = IntGaugeVec::new(Opts::new("state", "test"), &["host", "state"]).unwrap();
    let gauge = |s: &str| family.with_label_values(&["api.urssaf.fr", s]).get();
    let b = Breaker::new(
        "api.urssaf.fr",
        BreakerSettings {
            min_calls: 2,
            half_open_calls: 1,
            open_for: Duration::from_secs(60),
            ..SETTINGS
        },
        Some(StateGauges::new(&family, "api.urssaf.fr")),
    );
    assert_eq!(
        (gauge("closed"), gauge("half_open"), gauge("open")),
        (1, 0, 0)
    );
    drop(b.acquire().unwrap());
    b.acquire().unwrap().failed();
    assert_eq!(b.state(), State::Closed, "the dropped call did not count");
    b.acquire().unwrap().failed();
    assert_eq!(b.state(), State::Open);
    assert_eq!(
        (gauge("closed"), gauge("half_open"), gauge("open")),
        (0, 0, 1),
        "one series per state, 1 for the current one"
    );
    assert!(b.is_open());
    let wait = b.acquire().err().expect("fails fast");
    assert!(wait > Duration::from_secs(59));
}
