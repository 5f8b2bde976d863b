//! Reusable pure widgets: they draw what they are given and compute no physics.

pub mod caption;
pub mod chart;
pub mod heatmap;
pub mod param_panel;
pub mod popup;
