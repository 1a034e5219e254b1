//! `Intrinsics` and deprojection bindings.

use std::sync::{Arc, OnceLock};

use kneesight_core::camera::check_scale;
use kneesight_core::{Distortion, Intrinsics as CoreIntrinsics, RayTable};
use numpy::{PyArray2, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;

use crate::errors::{detach_guarded, InputError, IntoPy};

/// Camera intrinsics (pinhole plus a librealsense distortion model). Immutable; holds the
/// unit-depth ray table of its pixels, built on first use.
#[pyclass(frozen, module = "kneesight._core", name = "Intrinsics")]
pub struct PyIntrinsics {
    pub inner: CoreIntrinsics,
    rays: OnceLock<Arc<RayTable>>,
}

impl PyIntrinsics {
    /// The ray table, built once.
    pub fn rays(&self) -> PyResult<Arc<RayTable>> {
        if let Some(t) = self.rays.get() {
            return Ok(t.clone());
        }
        let t = Arc::new(RayTable::new(&self.inner).py_err()?);
        Ok(self.rays.get_or_init(|| t).clone())
    }
}

#[pymethods]
impl PyIntrinsics {
    #[new]
    #[pyo3(signature = (width, height, fx, fy, ppx, ppy, model="brown_conrady", coeffs=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        width: i64,
        height: i64,
        fx: f64,
        fy: f64,
        ppx: f64,
        ppy: f64,
        model: &str,
        coeffs: Option<Vec<f64>>,
    ) -> PyResult<Self> {
        let coeffs = coeffs.unwrap_or_else(|| vec![0.0; 5]);
        if coeffs.len() != 5 {
            return Err(InputError::new_err(format!(
                "intrinsics: coeffs must hold 5 values, got {}",
                coeffs.len()
            )));
        }
        if width <= 0 || height <= 0 {
            return Err(InputError::new_err(format!(
                "intrinsics: image size {width}x{height} is not a camera image size"
            )));
        }
        let inner = CoreIntrinsics {
            width: width as usize,
            height: height as usize,
            fx: fx as f32,
            fy: fy as f32,
            ppx: ppx as f32,
            ppy: ppy as f32,
            model: Distortion::from_name(model).py_err()?,
            coeffs: [0, 1, 2, 3, 4].map(|k| coeffs[k] as f32),
        };
        inner.validate().py_err()?;
        Ok(PyIntrinsics {
            inner,
            rays: OnceLock::new(),
        })
    }

    #[getter]
    fn width(&self) -> usize {
        self.inner.width
    }
    #[getter]
    fn height(&self) -> usize {
        self.inner.height
    }
    #[getter]
    fn fx(&self) -> f32 {
        self.inner.fx
    }
    #[getter]
    fn fy(&self) -> f32 {
        self.inner.fy
    }
    #[getter]
    fn ppx(&self) -> f32 {
        self.inner.ppx
    }
    #[getter]
    fn ppy(&self) -> f32 {
        self.inner.ppy
    }
    #[getter]
    fn model(&self) -> &'static str {
        self.inner.model.name()
    }
    #[getter]
    fn coeffs(&self) -> Vec<f32> {
        self.inner.coeffs.to_vec()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyIntrinsics>()
            .map(|o| o.get().inner == self.inner)
            .unwrap_or(false)
    }

    fn __repr__(&self) -> String {
        let i = &self.inner;
        format!(
            "Intrinsics(width={}, height={}, fx={}, fy={}, ppx={}, ppy={}, model={:?}, coeffs={:?})",
            i.width,
            i.height,
            i.fx,
            i.fy,
            i.ppx,
            i.ppy,
            i.model.name(),
            i.coeffs
        )
    }

    /// Deproject one pixel (u, v) at `depth` metres, exactly as `rs2_deproject_pixel_to_point`.
    fn deproject_pixel(&self, u: f32, v: f32, depth: f32) -> (f32, f32, f32) {
        let p = self.inner.deproject_pixel([u, v], depth);
        (p[0], p[1], p[2])
    }
}

/// Deproject a depth image to an (H*W, 3) float32 point array in metres, camera frame.
#[pyfunction]
#[pyo3(signature = (depth, intrinsics, depth_scale))]
fn deproject_depth<'py>(
    py: Python<'py>,
    depth: &Bound<'py, PyAny>,
    intrinsics: &Bound<'py, PyIntrinsics>,
    depth_scale: f64,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let depth: PyReadonlyArray2<'py, u16> = depth.extract().map_err(|_| {
        let desc = describe_array(depth);
        InputError::new_err(format!(
            "depth must be a 2-D uint16 array (H, W), got {desc}"
        ))
    })?;
    let intr = intrinsics.get();
    let (h, w) = (depth.shape()[0], depth.shape()[1]);
    if (h, w) != (intr.inner.height, intr.inner.width) {
        return Err(InputError::new_err(format!(
            "depth is {w}x{h} (W x H) but the intrinsics describe {}x{}",
            intr.inner.width, intr.inner.height
        )));
    }
    let table = intr.rays()?;
    let scale = depth_scale as f32;
    check_scale(scale).py_err()?;
    let view = depth.as_array();
    // SAFETY: the array is freshly created, C-contiguous and not yet visible to Python; every
    // element is written by `deproject_flat` below before it is returned.
    let out = unsafe { PyArray2::<f32>::new(py, [h * w, 3], false) };
    let buf: &mut [f32] = unsafe { out.as_slice_mut() }.expect("new array is contiguous");
    detach_guarded(py, "deproject_depth", || match view.as_slice() {
        Some(s) => table.deproject_flat(s, scale, buf),
        None => {
            let owned: Vec<u16> = view.iter().copied().collect();
            table.deproject_flat(&owned, scale, buf)
        }
    })?
    .py_err()?;
    Ok(out)
}

/// A short description of an object for error messages: dtype and shape of arrays.
pub fn describe_array(obj: &Bound<'_, PyAny>) -> String {
    let dtype = obj.getattr("dtype").map(|d| d.to_string()).ok();
    let shape = obj.getattr("shape").map(|s| s.to_string()).ok();
    match (dtype, shape) {
        (Some(d), Some(s)) => format!("an array of dtype {d} and shape {s}"),
        _ => format!(
            "an object of type {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ),
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyIntrinsics>()?;
    m.add_function(wrap_pyfunction!(deproject_depth, m)?)?;
    Ok(())
}
