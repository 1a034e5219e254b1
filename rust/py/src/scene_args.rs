//! Argument and result conversions of the scene bindings (`scene.rs`): depth frames, points,
//! 3-vectors, lab boxes and background patches, with errors that name the argument.

use std::borrow::Cow;

use kneesight_core::background::{Patch, PatchKind};
use kneesight_core::camera::RayTable;
use kneesight_core::segment::LabBounds;
use nalgebra::Vector3;
use numpy::ndarray::{Array1, Array2, ArrayView2};
use numpy::{
    AllowTypeChange, IntoPyArray, PyArray1, PyArray2, PyArrayLike1, PyArrayLike2, PyReadonlyArray2,
    PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::camera::{describe_array, PyIntrinsics};
use crate::errors::{InputError, IntoPy};

/// Borrow a depth image as a (H, W) uint16 array matching the intrinsics.
pub(super) fn depth_arg<'py>(
    obj: &Bound<'py, PyAny>,
    intr: &PyIntrinsics,
    what: &str,
) -> PyResult<PyReadonlyArray2<'py, u16>> {
    let depth: PyReadonlyArray2<'py, u16> = obj.extract().map_err(|_| {
        InputError::new_err(format!(
            "{what} must be a 2-D uint16 array (H, W), got {}",
            describe_array(obj)
        ))
    })?;
    let (h, w) = (depth.shape()[0], depth.shape()[1]);
    if (h, w) != (intr.inner.height, intr.inner.width) {
        return Err(InputError::new_err(format!(
            "{what} is {w}x{h} (W x H) but the intrinsics describe {}x{}",
            intr.inner.width, intr.inner.height
        )));
    }
    Ok(depth)
}

/// A contiguous row-major slice of a view (copied only when the view is not contiguous).
pub(super) fn contiguous<'a>(view: &'a ArrayView2<'_, u16>) -> Cow<'a, [u16]> {
    match view.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(view.iter().copied().collect()),
    }
}

pub(super) fn check_scale(depth_scale: f64) -> PyResult<f32> {
    kneesight_core::camera::check_scale(depth_scale as f32).py_err()?;
    Ok(depth_scale as f32)
}

pub(super) fn vec3(
    a: &PyArrayLike1<'_, f64, AllowTypeChange>,
    what: &str,
) -> PyResult<Vector3<f64>> {
    let v = a.as_array();
    if v.len() != 3 || !v.iter().all(|x| x.is_finite()) {
        return Err(InputError::new_err(format!(
            "{what} must hold 3 finite values, got {} values",
            v.len()
        )));
    }
    Ok(Vector3::new(v[0], v[1], v[2]))
}

pub(super) fn arr3<'py>(py: Python<'py>, v: &Vector3<f64>) -> Bound<'py, PyArray1<f64>> {
    Array1::from_vec(vec![v.x, v.y, v.z]).into_pyarray(py)
}

/// Points (N, 3) as float64, named in errors.
pub(super) fn points_arg(
    p: &PyArrayLike2<'_, f64, AllowTypeChange>,
) -> PyResult<Vec<Vector3<f64>>> {
    let a = p.as_array();
    if a.ncols() != 3 {
        return Err(InputError::new_err(format!(
            "points must have shape (N, 3), got ({}, {})",
            a.nrows(),
            a.ncols()
        )));
    }
    Ok(a.rows()
        .into_iter()
        .map(|r| Vector3::new(r[0], r[1], r[2]))
        .collect())
}

pub(super) fn points_out<'py>(py: Python<'py>, pts: &[Vector3<f64>]) -> Bound<'py, PyArray2<f64>> {
    Array2::from_shape_fn((pts.len(), 3), |(i, k)| pts[i][k]).into_pyarray(py)
}

pub(super) fn bounds_arg(
    bounds: Option<(
        PyArrayLike1<'_, f64, AllowTypeChange>,
        PyArrayLike1<'_, f64, AllowTypeChange>,
    )>,
) -> PyResult<Option<LabBounds>> {
    bounds
        .map(|(lo, hi)| {
            Ok(LabBounds {
                min: vec3(&lo, "bounds min")?,
                max: vec3(&hi, "bounds max")?,
            })
        })
        .transpose()
}

pub(super) type Bounds<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

pub(super) fn bounds_out<'py>(py: Python<'py>, b: &LabBounds) -> Bounds<'py> {
    (arr3(py, &b.min), arr3(py, &b.max))
}

/// Depth frames of one camera as borrowed arrays.
pub(super) fn frames_arg<'py>(
    frames: &Bound<'py, PyAny>,
    intr: &PyIntrinsics,
) -> PyResult<Vec<PyReadonlyArray2<'py, u16>>> {
    let items: Vec<Bound<'py, PyAny>> = frames.extract().map_err(|_| {
        InputError::new_err("frames must be a sequence of (H, W) uint16 depth arrays")
    })?;
    if items.is_empty() {
        return Err(InputError::new_err("frames: no depth frames given"));
    }
    items
        .iter()
        .enumerate()
        .map(|(k, f)| depth_arg(f, intr, &format!("frames[{k}]")))
        .collect()
}

/// Run `f` on depth frames (checked against the intrinsics, made contiguous) with the checked
/// depth scale and the ray table, without holding the GIL.
pub(super) fn with_frames<R: Send>(
    py: Python<'_>,
    frames: &Bound<'_, PyAny>,
    intr: &PyIntrinsics,
    depth_scale: f64,
    f: impl FnOnce(&[&[u16]], f32, &RayTable) -> R + Send,
) -> PyResult<R> {
    let arrays = frames_arg(frames, intr)?;
    let scale = check_scale(depth_scale)?;
    let rays = intr.rays()?;
    let views: Vec<_> = arrays.iter().map(|a| a.as_array()).collect();
    crate::errors::detach_guarded(py, "the scene estimate", || {
        let slices: Vec<_> = views.iter().map(contiguous).collect();
        let refs: Vec<&[u16]> = slices.iter().map(|s| s.as_ref()).collect();
        f(&refs, scale, &rays)
    })
}

/// Points (N, 3) mapped point by point through `f`, as a new float64 (N, 3) array.
pub(super) fn map_points<'py>(
    py: Python<'py>,
    points: &PyArrayLike2<'_, f64, AllowTypeChange>,
    f: impl Fn(&Vector3<f64>) -> Vector3<f64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let pts: Vec<_> = points_arg(points)?.iter().map(f).collect();
    Ok(points_out(py, &pts))
}

/// The Python name of a patch kind.
pub(super) fn kind_name(k: PatchKind) -> &'static str {
    match k {
        PatchKind::Vertical => "vertical",
        PatchKind::Horizontal => "horizontal",
        PatchKind::Slanted => "slanted",
        PatchKind::Side => "side",
    }
}

/// A background patch as a dict (kind, normal, offset, origin, axis_u, axis_v, u_range,
/// v_range), lab frame, metres.
pub(super) fn patch_dict<'py>(py: Python<'py>, p: &Patch) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("kind", kind_name(p.kind))?;
    d.set_item("normal", arr3(py, &p.plane.normal))?;
    d.set_item("offset", p.plane.offset)?;
    d.set_item("origin", arr3(py, &p.origin))?;
    d.set_item("axis_u", arr3(py, &p.axis_u))?;
    d.set_item("axis_v", arr3(py, &p.axis_v))?;
    d.set_item("u_range", p.u_range)?;
    d.set_item("v_range", p.v_range)?;
    Ok(d)
}
