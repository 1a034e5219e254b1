//! Bindings of the lab frame, background and subject segmentation (`kneesight_core::labframe`,
//! `background`, `segment`).

use std::sync::{Arc, Mutex};

use kneesight_core::background::Background;
use kneesight_core::labframe::{self, LabFrame};
use kneesight_core::plane::Plane;
use kneesight_core::segment::{self, SubjectPoints};
use nalgebra::{Matrix3, Vector3};
use numpy::ndarray::{Array1, Array2};
use numpy::{AllowTypeChange, IntoPyArray, PyArray1, PyArray2, PyArrayLike1, PyArrayLike2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::camera::PyIntrinsics;
use crate::errors::{detach_guarded, CalibrationError, InputError, IntoPy};

#[path = "scene_args.rs"]
mod args;
use args::{
    arr3, bounds_arg, bounds_out, check_scale, contiguous, depth_arg, kind_name, map_points,
    patch_dict, vec3, with_frames, Bounds,
};

/// The lab frame: ``p_lab = rotation @ p_cam + translation`` (metres).
/// A support surface as Python sees it: (height, (x_min, x_max), (z_min, z_max)).
type SupportTuple = (f64, (f64, f64), (f64, f64));

#[pyclass(frozen, module = "kneesight._core", name = "LabFrame")]
#[derive(Clone)]
pub struct PyLabFrame {
    pub inner: LabFrame,
}

#[pymethods]
impl PyLabFrame {
    #[new]
    fn new(
        rotation: PyArrayLike2<'_, f64, AllowTypeChange>,
        translation: PyArrayLike1<'_, f64, AllowTypeChange>,
    ) -> PyResult<Self> {
        let r = rotation.as_array();
        if r.shape() != [3, 3] {
            return Err(InputError::new_err(format!(
                "rotation must have shape (3, 3), got {:?}",
                r.shape()
            )));
        }
        let m = Matrix3::from_fn(|i, j| r[[i, j]]);
        let t = vec3(&translation, "translation")?;
        Ok(PyLabFrame {
            inner: LabFrame::new(m, t).py_err()?,
        })
    }

    /// The lab frame of a camera-frame floor plane (``normal . p + offset = 0``), the direction
    /// the subject faces (camera frame) and a point whose floor projection is the origin.
    #[staticmethod]
    fn from_floor(
        normal: PyArrayLike1<'_, f64, AllowTypeChange>,
        offset: f64,
        forward: PyArrayLike1<'_, f64, AllowTypeChange>,
        origin: PyArrayLike1<'_, f64, AllowTypeChange>,
    ) -> PyResult<Self> {
        let n = vec3(&normal, "normal")?;
        let floor = Plane::through(&n, &Vector3::zeros())
            .map(|p| Plane {
                normal: p.normal,
                offset: offset / n.norm(),
            })
            .ok_or_else(|| CalibrationError::new_err("floor normal must be non-zero"))?;
        let lab = LabFrame::from_floor(
            &floor,
            &vec3(&forward, "forward")?,
            &vec3(&origin, "origin")?,
        )
        .py_err()?;
        Ok(PyLabFrame { inner: lab })
    }

    #[getter]
    fn rotation<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        let r = self.inner.rotation;
        Array2::from_shape_fn((3, 3), |(i, j)| r[(i, j)]).into_pyarray(py)
    }

    #[getter]
    fn translation<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        arr3(py, &self.inner.translation)
    }

    /// 4x4 homogeneous transform taking camera coordinates to lab coordinates.
    #[getter]
    fn lab_from_camera<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        let (r, t) = (self.inner.rotation, self.inner.translation);
        Array2::from_shape_fn((4, 4), |(i, j)| match (i, j) {
            (3, 3) => 1.0,
            (3, _) => 0.0,
            (_, 3) => t[i],
            _ => r[(i, j)],
        })
        .into_pyarray(py)
    }

    #[getter]
    fn camera_position<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        arr3(py, &self.inner.camera_position())
    }

    /// Camera-frame points (N, 3) in lab coordinates, float64.
    fn to_lab<'py>(
        &self,
        py: Python<'py>,
        points: PyArrayLike2<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        map_points(py, &points, |p| self.inner.to_lab(p))
    }

    /// Lab points (N, 3) in camera coordinates, float64.
    fn to_camera<'py>(
        &self,
        py: Python<'py>,
        points: PyArrayLike2<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        map_points(py, &points, |p| self.inner.to_camera(p))
    }

    /// A JSON-ready dict: ``{"rotation": 3x3 nested list, "translation": [x, y, z]}``
    /// (``p_lab = rotation @ p_cam + translation``, metres).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = self.inner.rotation;
        let rows: Vec<Vec<f64>> = (0..3)
            .map(|i| (0..3).map(|j| r[(i, j)]).collect())
            .collect();
        let t = self.inner.translation;
        let d = PyDict::new(py);
        d.set_item("rotation", rows)?;
        d.set_item("translation", vec![t.x, t.y, t.z])?;
        Ok(d)
    }

    /// The lab frame saved by :meth:`to_dict`.
    #[staticmethod]
    fn from_dict(d: &Bound<'_, PyAny>) -> PyResult<Self> {
        let get = |key: &str| {
            d.get_item(key).map_err(|_| {
                CalibrationError::new_err(format!("lab frame dict: missing key {key:?}"))
            })
        };
        let rows: Vec<Vec<f64>> = get("rotation")?.extract().map_err(|_| {
            CalibrationError::new_err("lab frame dict: rotation must be a 3x3 list of numbers")
        })?;
        let t: Vec<f64> = get("translation")?.extract().map_err(|_| {
            CalibrationError::new_err("lab frame dict: translation must be a list of 3 numbers")
        })?;
        if rows.len() != 3 || rows.iter().any(|r| r.len() != 3) || t.len() != 3 {
            return Err(CalibrationError::new_err(
                "lab frame dict: rotation must be 3x3 and translation hold 3 numbers",
            ));
        }
        let m = Matrix3::from_fn(|i, j| rows[i][j]);
        Ok(PyLabFrame {
            inner: LabFrame::new(m, Vector3::new(t[0], t[1], t[2])).py_err()?,
        })
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyLabFrame>()
            .map(|o| o.get().inner == self.inner)
            .unwrap_or(false)
    }

    fn __repr__(&self) -> String {
        let c = self.inner.camera_position();
        format!(
            "LabFrame(camera at x={:.3} y={:.3} z={:.3} m)",
            c.x, c.y, c.z
        )
    }
}

/// The static scene of a session (floor, walls, box faces and tops) in the lab frame.
#[pyclass(frozen, module = "kneesight._core", name = "Background")]
pub struct PyBackground {
    pub inner: Arc<Background>,
}

#[pymethods]
impl PyBackground {
    /// Depth noise at 1 m (metres): ``sigma(z) = noise_per_m2 * z**2``.
    #[getter]
    fn noise_per_m2(&self) -> f64 {
        self.inner.noise.per_m2
    }

    /// The floor plane in the lab frame: (normal (3,), offset).
    #[getter]
    fn floor<'py>(&self, py: Python<'py>) -> (Bound<'py, PyArray1<f64>>, f64) {
        (arr3(py, &self.inner.floor.normal), self.inner.floor.offset)
    }

    /// The background patches, as dicts (kind, normal, offset, origin, axis_u, axis_v,
    /// u_range, v_range), lab frame, metres.
    #[getter]
    fn patches<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = self
            .inner
            .patches
            .iter()
            .map(|p| patch_dict(py, p))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    /// The surfaces a subject can stand on (box and platform tops), as tuples (height,
    /// (x_min, x_max), (z_min, z_max)), lab frame, metres.
    #[getter]
    fn supports(&self) -> Vec<SupportTuple> {
        self.inner
            .supports()
            .iter()
            .map(|s| (s.y, s.x, s.z))
            .collect()
    }

    fn __len__(&self) -> usize {
        self.inner.patches.len()
    }

    fn __repr__(&self) -> String {
        let kinds: Vec<_> = self
            .inner
            .patches
            .iter()
            .map(|p| format!("{} {:.2} m2", kind_name(p.kind), p.area()))
            .collect();
        format!(
            "Background(noise {:.1} mm at 2 m; patches: [{}])",
            self.inner.noise.sigma(2.0) * 1000.0,
            kinds.join(", ")
        )
    }
}

/// The floor plane in the camera frame of one depth frame: (normal (3,), offset).
#[pyfunction]
fn estimate_floor<'py>(
    py: Python<'py>,
    depth: &Bound<'py, PyAny>,
    intrinsics: &Bound<'py, PyIntrinsics>,
    depth_scale: f64,
) -> PyResult<(Bound<'py, PyArray1<f64>>, f64)> {
    let intr = intrinsics.get();
    let depth = depth_arg(depth, intr, "depth")?;
    let scale = check_scale(depth_scale)?;
    let rays = intr.rays()?;
    let view = depth.as_array();
    let plane = detach_guarded(py, "estimate_floor", || {
        labframe::estimate_floor(&contiguous(&view), scale, &rays)
    })?
    .py_err()?;
    Ok((arr3(py, &plane.normal), plane.offset))
}

/// The lab frame from frames of a static scene.
#[pyfunction]
fn estimate_lab_frame(
    py: Python<'_>,
    frames: &Bound<'_, PyAny>,
    intrinsics: &Bound<'_, PyIntrinsics>,
    depth_scale: f64,
) -> PyResult<PyLabFrame> {
    let lab = with_frames(
        py,
        frames,
        intrinsics.get(),
        depth_scale,
        labframe::estimate_lab_frame,
    )?;
    Ok(PyLabFrame {
        inner: lab.py_err()?,
    })
}

/// Learn the static scene from frames in a lab frame.
#[pyfunction]
fn learn_background(
    py: Python<'_>,
    frames: &Bound<'_, PyAny>,
    intrinsics: &Bound<'_, PyIntrinsics>,
    depth_scale: f64,
    lab: &Bound<'_, PyLabFrame>,
) -> PyResult<PyBackground> {
    let lab = lab.get().inner;
    let bg = with_frames(
        py,
        frames,
        intrinsics.get(),
        depth_scale,
        |refs, scale, rays| kneesight_core::background::learn_background(refs, scale, rays, &lab),
    )?;
    Ok(PyBackground {
        inner: Arc::new(bg.py_err()?),
    })
}

/// Where is the person? (min (3,), max (3,)) lab box, or None.
#[pyfunction]
fn find_subject<'py>(
    py: Python<'py>,
    depth: &Bound<'py, PyAny>,
    intrinsics: &Bound<'py, PyIntrinsics>,
    depth_scale: f64,
    lab: &Bound<'py, PyLabFrame>,
    background: &Bound<'py, PyBackground>,
) -> PyResult<Option<Bounds<'py>>> {
    let intr = intrinsics.get();
    let depth = depth_arg(depth, intr, "depth")?;
    let scale = check_scale(depth_scale)?;
    let rays = intr.rays()?;
    let (lab, bg) = (lab.get().inner, background.get().inner.clone());
    let view = depth.as_array();
    let found = detach_guarded(py, "find_subject", || {
        segment::find_subject(&contiguous(&view), scale, &rays, &lab, &bg)
    })?
    .py_err()?;
    Ok(found.map(|b| bounds_out(py, &b)))
}

/// Segments the subject frame after frame, reusing its buffers.
#[pyclass(frozen, module = "kneesight._core", name = "SubjectSegmenter")]
pub struct PySubjectSegmenter {
    intrinsics: Py<PyIntrinsics>,
    depth_scale: f32,
    lab: LabFrame,
    background: Arc<Background>,
    stride: usize,
    out: Mutex<SubjectPoints>,
}

type Segmented<'py> = (Bound<'py, PyArray2<f32>>, Bound<'py, PyArray1<u32>>);

#[pymethods]
impl PySubjectSegmenter {
    #[new]
    #[pyo3(signature = (intrinsics, depth_scale, lab, background, stride=2))]
    fn new(
        intrinsics: Bound<'_, PyIntrinsics>,
        depth_scale: f64,
        lab: &Bound<'_, PyLabFrame>,
        background: &Bound<'_, PyBackground>,
        stride: usize,
    ) -> PyResult<Self> {
        if !(1..=16).contains(&stride) {
            return Err(InputError::new_err(format!(
                "stride must be 1 to 16 pixels, got {stride}"
            )));
        }
        Ok(PySubjectSegmenter {
            intrinsics: intrinsics.unbind(),
            depth_scale: check_scale(depth_scale)?,
            lab: lab.get().inner,
            background: background.get().inner.clone(),
            stride,
            out: Mutex::new(SubjectPoints::new()),
        })
    }

    /// The subject's lab points (N, 3) float32 and pixel indices (N,) uint32 of one depth
    /// frame, inside ``bounds`` = (min, max) or, when None, around the person found in it.
    #[pyo3(signature = (depth, bounds=None))]
    fn segment<'py>(
        &self,
        py: Python<'py>,
        depth: &Bound<'py, PyAny>,
        bounds: Option<(
            PyArrayLike1<'py, f64, AllowTypeChange>,
            PyArrayLike1<'py, f64, AllowTypeChange>,
        )>,
    ) -> PyResult<Segmented<'py>> {
        let intr = self.intrinsics.get();
        let depth = depth_arg(depth, intr, "depth")?;
        let bounds = bounds_arg(bounds)?;
        let rays = intr.rays()?;
        let view = depth.as_array();
        let (lab, bg, scale, stride) =
            (&self.lab, &*self.background, self.depth_scale, self.stride);
        let out = &self.out;
        let result = detach_guarded(
            py,
            "segment_subject",
            || -> kneesight_core::Result<(Vec<f32>, Vec<u32>)> {
                let depth = contiguous(&view);
                let bounds = match bounds {
                    Some(b) => b,
                    None => match segment::find_subject(&depth, scale, &rays, lab, bg)? {
                        Some(b) => b,
                        None => return Ok((Vec::new(), Vec::new())),
                    },
                };
                let Some(roi) = segment::roi_from_bounds(&bounds, lab, rays.intrinsics(), stride)
                else {
                    return Ok((Vec::new(), Vec::new()));
                };
                let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
                segment::segment_subject(&depth, scale, &rays, lab, bg, &roi, &bounds, &mut out)?;
                let flat: Vec<f32> = out.points.iter().flatten().copied().collect();
                Ok((flat, out.pixels.clone()))
            },
        );
        let (flat, pixels) = result?.py_err()?;
        let n = pixels.len();
        let pts = Array2::from_shape_vec((n, 3), flat)
            .map_err(|e| InputError::new_err(format!("internal shape error: {e}")))?;
        Ok((
            pts.into_pyarray(py),
            Array1::from_vec(pixels).into_pyarray(py),
        ))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyLabFrame>()?;
    m.add_class::<PyBackground>()?;
    m.add_class::<PySubjectSegmenter>()?;
    m.add_function(wrap_pyfunction!(estimate_floor, m)?)?;
    m.add_function(wrap_pyfunction!(estimate_lab_frame, m)?)?;
    m.add_function(wrap_pyfunction!(learn_background, m)?)?;
    m.add_function(wrap_pyfunction!(find_subject, m)?)?;
    Ok(())
}
