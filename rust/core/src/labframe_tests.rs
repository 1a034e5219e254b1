//! Unit tests of `labframe.rs`: the floor, the lab frame and its estimation.

use super::*;

fn floor_below_tilted_camera() -> Plane {
    // camera 1.0 m above the floor, pitched 15 deg down, rolled 3 deg
    let (p, r) = (15f64.to_radians(), 3f64.to_radians());
    let up = Vector3::new(r.sin(), -p.cos() * r.cos(), -p.sin());
    Plane {
        normal: up.normalize(),
        offset: 1.0,
    }
}

#[test]
fn lab_axes_are_orthonormal_right_handed_with_y_up_and_x_forward() {
    let floor = floor_below_tilted_camera();
    let forward = Vector3::new(0.2, 0.5, -1.0); // toward the camera, tilted: not horizontal
    let origin = Vector3::new(0.1, 0.9, 2.5);
    let lab = LabFrame::from_floor(&floor, &forward, &origin).unwrap();
    let r = lab.rotation;
    assert!((r * r.transpose() - Matrix3::identity()).amax() < 1e-12);
    assert!((r.determinant() - 1.0).abs() < 1e-12);
    let (x, y, z) = (
        r.row(0).transpose(),
        r.row(1).transpose(),
        r.row(2).transpose(),
    );
    assert!((y - floor.normal).norm() < 1e-12, "Y is the floor normal");
    let horiz = (forward - floor.normal * floor.normal.dot(&forward)).normalize();
    assert!(
        (x - horiz).norm() < 1e-12,
        "X is the horizontal part of forward"
    );
    assert!((z - x.cross(&y)).norm() < 1e-12);
    // camera 1 m above the floor; origin on the floor under `origin`
    assert!((lab.camera_position().y - 1.0).abs() < 1e-12);
    let o = lab.to_lab(&origin);
    assert!(o.x.abs() < 1e-12 && o.z.abs() < 1e-12);
    // round trip
    let p = Vector3::new(-0.3, 0.2, 1.7);
    assert!((lab.to_camera(&lab.to_lab(&p)) - p).norm() < 1e-12);
    // the floor normal sign does not matter
    let lab2 = LabFrame::from_floor(&floor.flipped(), &forward, &origin).unwrap();
    assert!((lab2.rotation - lab.rotation).amax() < 1e-12);
    // subject to the right of the camera's view, facing the camera: camera on its +X side
    assert!(lab.camera_position().x > 2.0);
}

#[test]
fn degenerate_lab_frames_are_calibration_errors() {
    let floor = floor_below_tilted_camera();
    let o = Vector3::new(0.0, 0.5, 2.0);
    let e = LabFrame::from_floor(&floor, &floor.normal, &o).unwrap_err();
    assert!(
        matches!(e, Error::Calibration(_)) && e.to_string().contains("vertical"),
        "{e}"
    );
    let on_floor = Plane {
        normal: floor.normal,
        offset: 0.01,
    };
    let e = LabFrame::from_floor(&on_floor, &Vector3::z(), &o).unwrap_err();
    assert!(e.to_string().contains("below the camera"), "{e}");
    let bad = Plane {
        normal: Vector3::new(0.0, f64::NAN, 0.0),
        offset: 1.0,
    };
    assert!(LabFrame::from_floor(&bad, &Vector3::z(), &o).is_err());
    assert!(LabFrame::new(Matrix3::identity() * 2.0, Vector3::zeros()).is_err());
    assert!(LabFrame::new(-Matrix3::identity(), Vector3::zeros()).is_err());
}

#[test]
fn plane_to_lab_maps_floor_to_y_zero() {
    let floor = floor_below_tilted_camera();
    let lab = LabFrame::from_floor(&floor, &-Vector3::z(), &Vector3::new(0.0, 0.5, 2.0)).unwrap();
    let f = lab.plane_to_lab(&floor);
    assert!((f.normal - Vector3::y()).norm() < 1e-12 && f.offset.abs() < 1e-12);
}
