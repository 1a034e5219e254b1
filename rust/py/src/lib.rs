//! Thin PyO3 bindings of `kneesight-core`, importable as `kneesight._core`.
//!
//! Arrays cross without copies (numpy views in, owned numpy arrays out), the GIL is released
//! while the core works, and every core error becomes a typed Python exception.

use pyo3::prelude::*;

mod angles;
mod camera;
mod errors;
mod scene;
mod tracker;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    camera::register(m)?;
    angles::register(m)?;
    scene::register(m)?;
    tracker::register(m)?;
    Ok(())
}
