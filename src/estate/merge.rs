//! The news of several targets' workers, merged into one fleet for the
//! dashboard, and the dashboard's commands routed back to each.
