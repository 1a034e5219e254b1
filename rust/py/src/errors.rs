//! The Python exception hierarchy and the mapping from core errors.

use kneesight_core::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    kneesight,
    KneesightError,
    PyException,
    "Base of every kneesight error."
);
create_exception!(
    kneesight,
    InputError,
    KneesightError,
    "A bad argument: shape, dtype, range or parameter."
);
create_exception!(
    kneesight,
    RecordingError,
    KneesightError,
    "A recording is missing, unreadable, truncated or lacks depth."
);
create_exception!(
    kneesight,
    CalibrationError,
    KneesightError,
    "A lab or subject calibration cannot be made or loaded."
);
create_exception!(
    kneesight,
    TrackingError,
    KneesightError,
    "The tracker cannot proceed."
);

/// Convert a core error into its Python exception.
pub fn to_py(e: Error) -> PyErr {
    match e {
        Error::Input(m) => InputError::new_err(m),
        Error::Calibration(m) => CalibrationError::new_err(m),
        Error::Tracking(m) => TrackingError::new_err(m),
    }
}

/// Extension to turn `kneesight_core::Result` into `PyResult`.
pub trait IntoPy<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for kneesight_core::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("KneesightError", py.get_type::<KneesightError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("RecordingError", py.get_type::<RecordingError>())?;
    m.add("CalibrationError", py.get_type::<CalibrationError>())?;
    m.add("TrackingError", py.get_type::<TrackingError>())?;
    Ok(())
}

/// Run core work with the GIL released. A panic inside (a defect, never expected) becomes a
/// `KneesightError` naming the operation instead of reaching Python as a panic.
pub fn detach_guarded<T, F>(py: Python<'_>, what: &str, f: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    py.detach(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)))
        .map_err(|p| {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            KneesightError::new_err(format!("internal error in {what}: {msg}"))
        })
}
