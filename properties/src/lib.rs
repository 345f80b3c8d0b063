//! Model checking, conformance and scenario replay tying `offline-v2` to `offline-v2-model`.
pub mod budget;
pub mod cli;
pub mod conform;
pub mod conformance;
pub mod corpus;
pub mod describe;
pub mod explorer;
pub mod impl_side;
pub mod junit;
pub mod model_check;
pub mod model_side;
pub mod monitors;
pub mod outcome;
pub mod paths;
pub mod progress;
pub mod replay;
pub mod scenario;
