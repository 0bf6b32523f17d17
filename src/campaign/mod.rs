//! Getting production access: Urssaf's test campaign run as one command, and a check of each
//! tenant's credentials before traffic. Both speak to Urssaf through the gateway's own code
//! path (`service::*` and the Urssaf client), as a handler would.

pub mod check;
pub mod cli;
pub mod fleet_check;
pub mod report;
pub mod rig;
pub mod scenario;
pub mod steps;
