//! The one error type of the core. The binding layer maps each variant to a Python exception
//! (`InputError`, `CalibrationError`, `TrackingError`, all subclasses of `KneesightError`).

/// Everything that can go wrong in the core, with a message naming the culprit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// An argument is malformed: wrong shape, size, range or a nonsense parameter.
    #[error("{0}")]
    Input(String),
    /// A calibration (lab frame or subject) cannot be estimated or is inconsistent.
    #[error("{0}")]
    Calibration(String),
    /// The tracker cannot proceed (not the same as a frame that is simply not tracked).
    #[error("{0}")]
    Tracking(String),
}

/// Result alias used throughout the core.
pub type Result<T> = std::result::Result<T, Error>;

/// Shorthand for an [`Error::Input`] with a formatted message.
#[macro_export]
macro_rules! input_err {
    ($($arg:tt)*) => { $crate::error::Error::Input(format!($($arg)*)) };
}
