//! Bindings of the joint-angle conventions (`kneesight_core::angles`).

use kneesight_core::angles::{self, Joint, Side};
use nalgebra::Matrix3;
use numpy::ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;

use crate::errors::InputError;

pub fn parse_side(side: &str) -> PyResult<Side> {
    match side {
        "l" | "left" => Ok(Side::Left),
        "r" | "right" => Ok(Side::Right),
        _ => Err(InputError::new_err(format!(
            "side must be 'l' or 'r', got {side:?}"
        ))),
    }
}

fn parse_joint(joint: &str) -> PyResult<Joint> {
    match joint {
        "hip" => Ok(Joint::Hip),
        "knee" => Ok(Joint::Knee),
        "ankle" => Ok(Joint::Ankle),
        _ => Err(InputError::new_err(format!(
            "joint must be 'hip', 'knee' or 'ankle', got {joint:?}"
        ))),
    }
}

/// Relative rotation (3x3, distal in proximal coordinates) for clinical angles in degrees.
#[pyfunction]
fn joint_rotation<'py>(
    py: Python<'py>,
    joint: &str,
    side: &str,
    angles_deg: (f64, f64, f64),
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let r = angles::joint_rotation(
        parse_joint(joint)?,
        parse_side(side)?,
        [angles_deg.0, angles_deg.1, angles_deg.2],
    );
    Ok(Array2::from_shape_fn((3, 3), |(i, j)| r[(i, j)]).into_pyarray(py))
}

/// Clinical angles in degrees of a relative rotation (3x3).
#[pyfunction]
fn joint_angles(
    joint: &str,
    side: &str,
    rotation: PyReadonlyArray2<'_, f64>,
) -> PyResult<(f64, f64, f64)> {
    if rotation.shape() != [3, 3] {
        return Err(InputError::new_err(format!(
            "rotation must be a 3x3 float64 array, got shape {:?}",
            rotation.shape()
        )));
    }
    let v = rotation.as_array();
    let r = Matrix3::from_fn(|i, j| v[(i, j)]);
    let [a, b, c] = angles::joint_angles(parse_joint(joint)?, parse_side(side)?, &r);
    Ok((a, b, c))
}

/// Frontal-plane projection angles (degrees) of N frames of joint centres, each (N, 3) metres.
#[pyfunction]
fn fppa<'py>(
    py: Python<'py>,
    side: &str,
    hip: PyReadonlyArray2<'py, f64>,
    knee: PyReadonlyArray2<'py, f64>,
    ankle: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let side = parse_side(side)?;
    let n = hip.shape()[0];
    for (name, a) in [("hip", &hip), ("knee", &knee), ("ankle", &ankle)] {
        if a.shape() != [n, 3] {
            return Err(InputError::new_err(format!(
                "{name} must be an (N, 3) float64 array with N = {n}, got shape {:?}",
                a.shape()
            )));
        }
    }
    let (h, k, a) = (hip.as_array(), knee.as_array(), ankle.as_array());
    let row = |m: &numpy::ndarray::ArrayView2<f64>, i: usize| [m[(i, 0)], m[(i, 1)], m[(i, 2)]];
    let out = Array1::from_shape_fn(n, |i| {
        angles::fppa(side, row(&h, i), row(&k, i), row(&a, i))
    });
    Ok(out.into_pyarray(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(joint_rotation, m)?)?;
    m.add_function(wrap_pyfunction!(joint_angles, m)?)?;
    m.add_function(wrap_pyfunction!(fppa, m)?)?;
    Ok(())
}
