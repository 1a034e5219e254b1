//! Bindings of the subject calibration and the tracker (`kneesight_core::{calibrate, tracker}`).

use std::collections::BTreeMap;

use kneesight_core::calibrate::{calibrate_subject as core_calibrate, SubjectCalibration};
use kneesight_core::calibration_fields::{from_fields, to_fields};
use kneesight_core::model::{param_names, NP};
use kneesight_core::tracker::{Tracker, N_VALUES};
use numpy::ndarray::{Array1, Array2, Array3};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use std::sync::Mutex;

use crate::camera::{describe_array, PyIntrinsics};
use crate::errors::{InputError, IntoPy, TrackingError};

/// A subject calibration made by the core (wrapped by `kneesight.tracking.SubjectCalibration`).
#[pyclass(frozen, module = "kneesight._core", name = "CoreCalibration")]
pub struct PyCalibration {
    pub inner: SubjectCalibration,
}

fn depth_view<'py>(depth: &Bound<'py, PyAny>, what: &str) -> PyResult<PyReadonlyArray2<'py, u16>> {
    depth.extract().map_err(|_| {
        InputError::new_err(format!(
            "{what} must be a 2-D uint16 depth array (H, W), got {}",
            describe_array(depth)
        ))
    })
}

fn owned(a: &PyReadonlyArray2<'_, u16>) -> Vec<u16> {
    let v = a.as_array();
    match v.as_slice() {
        Some(s) => s.to_vec(),
        None => v.iter().copied().collect(),
    }
}

/// Calibrate a subject from depth frames of quiet standing.
#[pyfunction]
#[pyo3(signature = (frames, intrinsics, depth_scale, stature_m=None))]
fn calibrate_subject(
    py: Python<'_>,
    frames: Vec<Bound<'_, PyAny>>,
    intrinsics: &Bound<'_, PyIntrinsics>,
    depth_scale: f64,
    stature_m: Option<f64>,
) -> PyResult<PyCalibration> {
    let intr = intrinsics.get();
    let mut data = Vec::with_capacity(frames.len());
    for (i, f) in frames.iter().enumerate() {
        let a = depth_view(f, &format!("frames[{i}]"))?;
        if a.shape() != [intr.inner.height, intr.inner.width] {
            return Err(InputError::new_err(format!(
                "frames[{i}] has shape {:?} but the intrinsics describe {}x{} (W x H)",
                a.shape(),
                intr.inner.width,
                intr.inner.height
            )));
        }
        data.push(owned(&a));
    }
    let rays = intr.rays()?;
    let scale = depth_scale as f32;
    let res = crate::errors::detach_guarded(py, "calibrate_subject", || {
        let refs: Vec<&[u16]> = data.iter().map(|v| v.as_slice()).collect();
        core_calibrate(&refs, scale, &rays, stature_m)
    })?;
    Ok(PyCalibration {
        inner: res.py_err()?,
    })
}

#[pymethods]
impl PyCalibration {
    /// The calibration as named lists of numbers (the body of the saved file).
    fn to_fields(&self) -> BTreeMap<String, Vec<f64>> {
        to_fields(&self.inner)
    }

    /// The same calibration with both thighs `factor` times as long (0.75-1.25).
    fn with_thigh_scale(&self, factor: f64) -> PyResult<PyCalibration> {
        Ok(PyCalibration {
            inner: self.inner.with_thigh_scale(factor).py_err()?,
        })
    }

    /// A calibration from named lists of numbers; CalibrationError names a bad field.
    #[staticmethod]
    fn from_fields(fields: BTreeMap<String, Vec<f64>>) -> PyResult<PyCalibration> {
        Ok(PyCalibration {
            inner: from_fields(&fields).py_err()?,
        })
    }

    #[getter]
    fn stature_m(&self) -> f64 {
        self.inner.stature
    }
    #[getter]
    fn stature_measured(&self) -> bool {
        self.inner.stature_measured
    }
    #[getter]
    fn static_knee_valgus_deg(&self) -> (f64, f64) {
        let v = self.inner.static_valgus_deg;
        (v[0], v[1])
    }
    #[getter]
    fn standing_arch_mm(&self) -> (f64, f64) {
        let v = self.inner.standing_arch;
        (v[0] * 1000.0, v[1] * 1000.0)
    }
    #[getter]
    fn image_size(&self) -> (usize, usize) {
        (self.inner.width, self.inner.height)
    }
    #[getter]
    fn fit_rms_mm(&self) -> f64 {
        self.inner.fit_rms * 1000.0
    }
    /// Thigh and shank lengths (m), left then right: ((thigh_l, shank_l), (thigh_r, shank_r)).
    #[getter]
    fn segment_lengths_m(&self) -> ((f64, f64), (f64, f64)) {
        let s = &self.inner.shape;
        (
            (s.thigh[0].length, s.shank[0].length),
            (s.thigh[1].length, s.shank[1].length),
        )
    }
    /// Lab frame rotation (3x3): p_lab = R p_cam + t.
    #[getter]
    fn lab_rotation<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        let r = self.inner.lab.rotation;
        Array2::from_shape_fn((3, 3), |(i, j)| r[(i, j)]).into_pyarray(py)
    }
    /// Lab frame translation (3,): the camera position in the lab, m.
    #[getter]
    fn lab_translation<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        let t = self.inner.lab.translation;
        Array1::from_vec(vec![t.x, t.y, t.z]).into_pyarray(py)
    }
}

/// The per-frame tracker of the core (wrapped by `kneesight.tracking.Tracker`).
#[pyclass(module = "kneesight._core", name = "CoreTracker")]
pub struct PyTracker {
    inner: Mutex<Tracker>,
}

type TrackOut<'py> = (
    bool,
    f64,
    &'static str,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray3<f64>>,
    usize,
    f64,
    Bound<'py, PyArray1<f64>>,
);

#[pymethods]
impl PyTracker {
    #[new]
    fn new(calibration: &Bound<'_, PyCalibration>) -> Self {
        PyTracker {
            inner: Mutex::new(Tracker::new(calibration.get().inner.clone())),
        }
    }

    /// Forget the motion history; the next frame re-initialises.
    fn reset(&self) -> PyResult<()> {
        self.lock()?.reset();
        Ok(())
    }

    /// Factor on the calibrated thigh length that best explains the bent-knee frames tracked
    /// so far, or None when they do not tell (too few, or the best at the searched range's end).
    fn thigh_length_factor(&self, py: Python<'_>) -> PyResult<Option<f64>> {
        let guard = self.lock()?;
        let tracker: &Tracker = &guard;
        crate::errors::detach_guarded(py, "Tracker.thigh_length_factor", || {
            tracker.thigh_length_factor()
        })
    }

    /// Factor on the calibrated shank length that best explains the bent-knee frames tracked
    /// so far, with the thighs `thigh_factor` times their calibrated length; None when they do
    /// not tell. InputError for a factor outside 0.75-1.25.
    fn shank_length_factor(&self, py: Python<'_>, thigh_factor: f64) -> PyResult<Option<f64>> {
        let guard = self.lock()?;
        let tracker: &Tracker = &guard;
        crate::errors::detach_guarded(py, "Tracker.shank_length_factor", || {
            tracker.shank_length_factor(thigh_factor)
        })?
        .py_err()
    }

    /// Seconds between consecutive frame numbers; widens the temporal prior below 90 fps.
    fn set_frame_interval(&self, seconds: f64) -> PyResult<()> {
        self.lock()?.set_frame_interval(seconds).py_err()
    }

    /// Bent-knee frames kept for the thigh length.
    #[getter]
    fn thigh_length_frames(&self) -> PyResult<usize> {
        Ok(self.lock()?.thigh_length_frames())
    }

    /// Track one frame: (tracked, confidence, status, values (36,), pose (24,), sd (24,),
    /// segment rotations (7, 3, 3), points, rms_m, lowest points around the feet (2,) m).
    #[pyo3(signature = (depth, intrinsics, depth_scale, frame_number))]
    fn track<'py>(
        &self,
        py: Python<'py>,
        depth: &Bound<'py, PyAny>,
        intrinsics: &Bound<'py, PyIntrinsics>,
        depth_scale: f64,
        frame_number: i64,
    ) -> PyResult<TrackOut<'py>> {
        let a = depth_view(depth, "depth")?;
        let intr = intrinsics.get();
        if a.shape() != [intr.inner.height, intr.inner.width] {
            return Err(InputError::new_err(format!(
                "frame {frame_number}: depth has shape {:?} but the intrinsics describe {}x{} \
                 (W x H)",
                a.shape(),
                intr.inner.width,
                intr.inner.height
            )));
        }
        let rays = intr.rays()?;
        let view = a.as_array();
        let scale = depth_scale as f32;
        let mut guard = self.lock()?;
        let tracker: &mut Tracker = &mut guard;
        let out = crate::errors::detach_guarded(py, "Tracker.track", || match view.as_slice() {
            Some(s) => tracker.track(s, scale, &rays, frame_number),
            None => {
                let v: Vec<u16> = view.iter().copied().collect();
                tracker.track(&v, scale, &rays, frame_number)
            }
        })?;
        drop(guard);
        let o = out.py_err()?;
        let frames = Array3::from_shape_fn((7, 3, 3), |(s, i, j)| o.frames[s][(i, j)]);
        Ok((
            o.tracked,
            o.confidence,
            o.status.name(),
            Array1::from_vec(o.values.to_vec()).into_pyarray(py),
            Array1::from_vec(o.pose.to_vec()).into_pyarray(py),
            Array1::from_vec(o.sd.to_vec()).into_pyarray(py),
            frames.into_pyarray(py),
            o.points,
            o.rms,
            Array1::from_vec(o.foot_lowest.to_vec()).into_pyarray(py),
        ))
    }
}

impl PyTracker {
    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, Tracker>> {
        self.inner
            .lock()
            .map_err(|_| TrackingError::new_err("the tracker was poisoned by an earlier failure"))
    }
}

/// Names of the tracker's pose parameters, in order.
#[pyfunction]
fn pose_parameter_names() -> Vec<String> {
    param_names().to_vec()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCalibration>()?;
    m.add_class::<PyTracker>()?;
    m.add_function(wrap_pyfunction!(calibrate_subject, m)?)?;
    m.add_function(wrap_pyfunction!(pose_parameter_names, m)?)?;
    m.add("TRACK_VALUES", N_VALUES)?;
    m.add("POSE_PARAMETERS", NP)?;
    m.add("THIGH_OF_STATURE", kneesight_core::shape::THIGH_OF_STATURE)?;
    Ok(())
}
