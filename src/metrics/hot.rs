//! The series every request touches, found once per thread instead of on every use.
//!
//! `with_label_values` hashes each label value with SipHash, takes the family's lock and clones
//! the series' `Arc` (a count both workers keep touching): about 500 instructions a lookup, and a
//! read made five (its route, its Urssaf attempt, the token cache). Here each worker thread
//! keeps the series it has used, found by a cheap hash, and counts on them in place.

use std::sync::Arc;

use prometheus::{Histogram, HistogramVec, IntCounter, IntCounterVec};

use crate::per_thread::PerThreadMap;

/// Entries kept per route: (method, status) pairs, a handful in practice.
const MAX_PER_ROUTE: usize = 64;

/// A route's series for one method and status: (method, status, its counter, its histogram).
type RouteSeries = (&'static str, u16, IntCounter, Histogram);

/// The HTTP series: requests by route, method and status; durations by route and method.
#[derive(Clone)]
pub struct HttpSeries {
    requests: IntCounterVec,
    duration: HistogramVec,
    /// By route, then (method, status) in the order first seen: a handful per route.
    local: Arc<PerThreadMap<String, Vec<RouteSeries>>>,
}

impl HttpSeries {
    pub fn new(requests: IntCounterVec, duration: HistogramVec) -> Self {
        HttpSeries {
            requests,
            duration,
            local: Arc::default(),
        }
    }

    /// One answered request.
    pub fn answered(&self, route: &str, method: &'static str, status: u16, seconds: f64) {
        let resolve = || {
            let code = status.to_string();
            let counter = self
                .requests
                .get_metric_with_label_values(&[route, method, &code])
                .ok()?;
            let timer = self
                .duration
                .get_metric_with_label_values(&[route, method])
                .ok()?;
            Some((method, status, counter, timer))
        };
        let make = || Some((route.to_string(), vec![resolve()?]));
        self.local.with(route, make, |seen| {
            let found = seen.iter().position(|e| e.0 == method && e.1 == status);
            let entry = match found {
                Some(i) => &seen[i],
                None => match resolve() {
                    Some(e) if seen.len() < MAX_PER_ROUTE => {
                        seen.push(e);
                        &seen[seen.len() - 1]
                    }
                    Some(e) => {
                        e.2.inc();
                        e.3.observe(seconds);
                        return;
                    }
                    None => return,
                },
            };
            entry.2.inc();
            entry.3.observe(seconds);
        });
    }
}

/// Fixed label values found by where they are, not by what they say: a constant's address and
/// length are its identity (the same text at two addresses makes two entries for one series).
fn identity<const N: usize>(labels: &[&'static str; N]) -> [(usize, usize); N] {
    labels.map(|l| (l.as_ptr() as usize, l.len()))
}

/// A counter family whose labels are all fixed strings, e.g. (operation, outcome).
#[derive(Clone)]
pub struct StaticCounters<const N: usize> {
    family: IntCounterVec,
    local: Arc<PerThreadMap<[(usize, usize); N], IntCounter>>,
}

impl<const N: usize> StaticCounters<N> {
    pub fn new(family: IntCounterVec) -> Self {
        StaticCounters {
            family,
            local: Arc::default(),
        }
    }

    pub fn inc(&self, labels: [&'static str; N]) {
        let key = identity(&labels);
        let make = || Some((key, self.family.get_metric_with_label_values(&labels).ok()?));
        self.local.with(&key, make, |c| c.inc());
    }
}

/// A histogram family whose labels are all fixed strings.
#[derive(Clone)]
pub struct StaticHistograms<const N: usize> {
    family: HistogramVec,
    local: Arc<PerThreadMap<[(usize, usize); N], Histogram>>,
}

impl<const N: usize> StaticHistograms<N> {
    pub fn new(family: HistogramVec) -> Self {
        StaticHistograms {
            family,
            local: Arc::default(),
        }
    }

    pub fn observe(&self, labels: [&'static str; N], value: f64) {
        let key = identity(&labels);
        let make = || Some((key, self.family.get_metric_with_label_values(&labels).ok()?));
        self.local.with(&key, make, |h| h.observe(value));
    }
}

#[cfg(test)]
mod tests {
    use prometheus::{HistogramOpts, Opts};

    use super::*;

    fn counters() -> IntCounterVec {
        IntCounterVec::new(Opts::new("c", "c"), &["a", "b"]).unwrap()
    }

    fn histograms(labels: &[&str]) -> HistogramVec {
        HistogramVec::new(HistogramOpts::new("h", "h"), labels).unwrap()
    }

    #[test]
    fn counts_land_on_the_family_s_series_from_every_thread() {
        let family = counters();
        let hot = StaticCounters::new(family.clone());
        std::thread::scope(|s| {
            for _ in 0..3 {
                let hot = hot.clone();
                s.spawn(move || {
                    for _ in 0..5 {
                        hot.inc(["x", "ok"]);
                    }
                    hot.inc(["x", "failed"]);
                });
            }
        });
        assert_eq!(family.with_label_values(&["x", "ok"]).get(), 15);
        assert_eq!(family.with_label_values(&["x", "failed"]).get(), 3);
        assert_eq!(family.with_label_values(&["y", "ok"]).get(), 0);
    }

    #[test]
    fn the_same_text_at_another_address_counts_on_the_same_series() {
        let family = counters();
        let hot = StaticCounters::new(family.clone());
        let elsewhere: &'static str = String::from("ok").leak();
        hot.inc(["x", "ok"]);
        hot.inc(["x", elsewhere]);
        assert_eq!(family.with_label_values(&["x", "ok"]).get(), 2);
    }

    #[test]
    fn http_series_keep_routes_methods_and_statuses_apart() {
        let requests =
            IntCounterVec::new(Opts::new("r", "r"), &["route", "method", "status"]).unwrap();
        let duration = histograms(&["route", "method"]);
        let hot = HttpSeries::new(requests.clone(), duration.clone());
        for (route, method, status) in [
            ("/v1/clients/{id}", "GET", 200),
            ("/v1/clients/{id}", "GET", 200),
            ("/v1/clients/{id}", "GET", 404),
            ("/v1/clients/{id}", "HEAD", 200),
            ("unmatched", "GET", 404),
        ] {
            hot.answered(route, method, status, 0.002);
        }
        let count = |r: &str, m: &str, s: &str| requests.with_label_values(&[r, m, s]).get();
        assert_eq!(count("/v1/clients/{id}", "GET", "200"), 2);
        assert_eq!(count("/v1/clients/{id}", "GET", "404"), 1);
        assert_eq!(count("/v1/clients/{id}", "HEAD", "200"), 1);
        assert_eq!(count("unmatched", "GET", "404"), 1);
        let timed = |r: &str, m: &str| duration.with_label_values(&[r, m]).get_sample_count();
        assert_eq!(timed("/v1/clients/{id}", "GET"), 3);
        assert_eq!(timed("/v1/clients/{id}", "HEAD"), 1);
        assert_eq!(timed("unmatched", "GET"), 1);
    }

    #[test]
    fn histograms_observe_into_the_family() {
        let family = histograms(&["op"]);
        let hot = StaticHistograms::new(family.clone());
        hot.observe(["e2"], 0.5);
        hot.observe(["e2"], 1.5);
        let h = family.with_label_values(&["e2"]);
        assert_eq!(h.get_sample_count(), 2);
        assert!((h.get_sample_sum() - 2.0).abs() < 1e-9);
    }

    #[test]
    fn a_series_the_family_refuses_counts_nowhere_and_does_not_panic() {
        // Two label values for a family of one label: prometheus refuses the series.
        let hot = StaticHistograms::new(histograms(&["op"]));
        hot.observe(["e2", "extra"], 1.0);
        let hot = StaticCounters::new(counters());
        hot.inc(["only"]);
    }
}
