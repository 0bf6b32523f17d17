//! Events: what changed at Urssaf, and how it reaches billing software.

pub mod webhook;
