//! kneesight core: depth frames to point clouds, lab frame, segmentation, an articulated leg
//! model fitted every frame, and the ISB joint angles of DESIGN conventions.
//!
//! Pure Rust, no Python: the `kneesight-py` crate is the thin binding layer.

pub mod angles;
pub mod background;
mod box_sides;
pub mod calibrate;
pub mod calibration_fields;
pub mod camera;
pub mod error;
pub mod fit;
pub(crate) mod fit_bounds;
pub(crate) mod fit_data;
pub mod fit_terms;
pub mod labframe;
pub mod model;
pub mod noise;
mod patch_fit;
pub mod plane;
pub mod samples;
pub mod segment;
pub mod shape;
pub mod stature;
pub mod synth;
#[cfg(test)]
pub(crate) mod synthetic;
pub mod thigh_length;
pub mod tracker;
pub mod trunk;

pub use angles::{Joint, Side};
pub use camera::{Distortion, Intrinsics, RayTable};
pub use error::{Error, Result};
