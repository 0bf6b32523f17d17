//! The built-in Urssaf simulator.
