//! Unit tests of `camera.rs`: per-pixel maths, the ray table and its fast paths.

use super::*;

fn d435() -> Intrinsics {
    Intrinsics {
        width: 848,
        height: 480,
        fx: 421.5,
        fy: 421.5,
        ppx: 424.3,
        ppy: 239.8,
        model: Distortion::BrownConrady,
        coeffs: [0.0; 5],
    }
}

#[test]
fn pinhole_pixel_maps_through_principal_point() {
    let i = d435();
    let p = i.deproject_pixel([i.ppx, i.ppy], 2.0);
    assert_eq!(p, [0.0, 0.0, 2.0]);
    let q = i.deproject_pixel([i.ppx + i.fx, i.ppy], 2.0);
    assert!((q[0] - 2.0).abs() < 1e-6);
}

#[test]
fn kannala_brandt_round_trips_projection() {
    let c = [0.05f32, -0.01, 0.002, -0.0005, 0.0];
    let mut i = d435();
    i.model = Distortion::KannalaBrandt4;
    i.coeffs = c;
    let (x, y) = (0.4f32, 0.25f32);
    // rs2_project_point_to_pixel for KB4
    let r = (x * x + y * y).sqrt();
    let theta = r.atan();
    let t2 = theta * theta;
    let series = 1.0 + t2 * (c[0] + t2 * (c[1] + t2 * (c[2] + t2 * c[3])));
    let rd = theta * series;
    let (u, v) = (x * rd / r * i.fx + i.ppx, y * rd / r * i.fy + i.ppy);
    let p = i.deproject_pixel([u, v], 1.0);
    assert!((p[0] - x).abs() < 1e-4 && (p[1] - y).abs() < 1e-4, "{p:?}");
}

#[test]
fn ray_table_matches_per_pixel_deprojection_and_zeroes_invalid() {
    let i = d435();
    let t = RayTable::new(&i).unwrap();
    let mut depth = vec![0u16; 848 * 480];
    depth[1000] = 1500;
    depth[848 * 480 - 1] = 2000;
    let mut out = vec![[9.0f32; 3]; 848 * 480];
    t.deproject(&depth, 0.001, &mut out).unwrap();
    assert_eq!(out[0], [0.0, 0.0, 0.0]);
    let u = 1000 % 848;
    let v = 1000 / 848;
    let want = i.deproject_pixel([u as f32, v as f32], 1.5);
    for k in 0..3 {
        assert!((out[1000][k] - want[k]).abs() < 1e-6);
    }
}

#[test]
fn bad_inputs_are_named() {
    let mut i = d435();
    i.fx = 0.0;
    let e = RayTable::new(&i).unwrap_err();
    assert!(e.to_string().contains("focal"), "{e}");
    let t = RayTable::new(&d435()).unwrap();
    let mut out = vec![[0.0f32; 3]; 10];
    let e = t.deproject(&[0u16; 10], 0.001, &mut out).unwrap_err();
    assert!(e.to_string().contains("848x480"), "{e}");
    assert!(check_scale(0.0).is_err());
    assert!(Distortion::from_name("fisheye9").is_err());
    assert_eq!(Distortion::from_name("ftheta").unwrap(), Distortion::FTheta);
}

/// The whole-frame paths (separable SSE2 rows with a scalar tail, and the general per-pixel
/// table) give bit for bit the points of `deproject_pixel`, for a width that is not a multiple
/// of the SSE block.
#[test]
fn whole_frame_paths_equal_per_pixel_deprojection() {
    let mut pinhole = d435();
    pinhole.width = 853;
    pinhole.height = 7;
    pinhole.ppy = 3.4;
    let mut distorted = pinhole;
    distorted.model = Distortion::InverseBrownConrady;
    distorted.coeffs = [0.1, -0.05, 0.001, -0.002, 0.01];
    for (intr, separable) in [(pinhole, true), (distorted, false)] {
        let t = RayTable::new(&intr).unwrap();
        assert_eq!(t.is_separable(), separable);
        let n = intr.width * intr.height;
        let depth: Vec<u16> = (0..n).map(|k| ((k * 7919) % 9000) as u16).collect();
        let mut out = vec![f32::NAN; 3 * n];
        t.deproject_flat(&depth, 0.001, &mut out).unwrap();
        for (k, &d) in depth.iter().enumerate() {
            let (u, v) = ((k % intr.width) as f32, (k / intr.width) as f32);
            let r = intr.deproject_pixel([u, v], 1.0);
            let z = 0.001f32 * d as f32;
            assert_eq!(
                &out[3 * k..3 * k + 3],
                &[r[0] * z, r[1] * z, z],
                "pixel {k}"
            );
        }
    }
}

#[test]
fn flat_output_must_hold_whole_points() {
    let t = RayTable::new(&d435()).unwrap();
    let depth = vec![0u16; 848 * 480];
    let mut out = vec![0.0f32; 848 * 480 * 3 - 1];
    let e = t.deproject_flat(&depth, 0.001, &mut out).unwrap_err();
    assert!(e.to_string().contains("whole number"), "{e}");
    let mut pts = vec![[0.0f32; 3]; 848 * 480];
    assert!(t.deproject(&depth, f32::NAN, &mut pts).is_err());
}
