//! Layer 5: domain rules over what the earlier layers accepted.

mod entities;
mod graph;
mod settings;

use crate::reader::CaseData;
use crate::report::Sink;

/// Layer 5.
pub(crate) fn check(d: &CaseData, sink: &mut Sink) {
    entities::bounds(d, sink);
    entities::thermal_capacity(d, sink);
    entities::cascade(d, sink);
    entities::initial_storage(d, sink);
    entities::geometry(d, sink);
    entities::service_windows(d, sink);
    settings::penalties(d, sink);
    settings::stages(d, sink);
    settings::config(d, sink);
    graph::check(d, sink);
    super::equipment::semantic(d, sink);
    settings::correlation(d, sink);
    settings::generic(d, sink);
}
