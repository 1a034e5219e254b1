//! Segmentation on rendered lab scenes (see `synthetic`).

use nalgebra::Vector3;

use super::*;
use crate::background::learn_background;
use crate::labframe::{estimate_floor, estimate_lab_frame};
use crate::synthetic::{Camera, Part, Rendered, Scene};
use crate::Error;

const D435: f64 = 0.015 / 4.0;

struct Setup {
    cam: Camera,
    rays: RayTable,
    bg: Background,
}

/// Background learnt from five noisy frames of `learn` seen by `cam`, in the true lab frame.
fn setup(cam: Camera, learn: &Scene) -> Setup {
    let rays = RayTable::new(&cam.intrinsics).unwrap();
    let frames: Vec<Vec<u16>> = (0..5)
        .map(|k| cam.render(learn, D435, 100 + k).depth)
        .collect();
    let refs: Vec<&[u16]> = frames.iter().map(|f| f.as_slice()).collect();
    let bg = learn_background(&refs, 0.001, &rays, &cam.lab).unwrap();
    Setup { cam, rays, bg }
}

/// Recall of the person's pixels (more than 4 cm above the floor) and the share of kept
/// points that are not the person, over the sampled pixels of the roi.
fn rates(r: &Rendered, roi: &Roi, out: &SubjectPoints, w: usize) -> (f64, f64) {
    let mut kept = vec![false; r.depth.len()];
    out.pixels.iter().for_each(|&p| kept[p as usize] = true);
    let (mut person, mut person_kept, mut other_kept) = (0usize, 0usize, 0usize);
    for v in (roi.v0..roi.v1).step_by(roi.stride) {
        for u in (roi.u0..roi.u1).step_by(roi.stride) {
            let i = v * w + u;
            let visible = r.depth[i] > 0;
            if r.parts[i] == Part::Person && visible && r.height[i] > 0.04 {
                person += 1;
                person_kept += kept[i] as usize;
            } else if r.parts[i] != Part::Person && kept[i] {
                other_kept += 1;
            }
        }
    }
    (
        person_kept as f64 / person.max(1) as f64,
        other_kept as f64 / out.pixels.len().max(1) as f64,
    )
}

fn segment_rendered(s: &Setup, r: &Rendered, out: &mut SubjectPoints) -> Roi {
    let bounds = find_subject(&r.depth, 0.001, &s.rays, &s.cam.lab, &s.bg)
        .unwrap()
        .expect("the person is found");
    let roi = roi_from_bounds(&bounds, &s.cam.lab, &s.cam.intrinsics, 2).unwrap();
    segment_subject(
        &r.depth, 0.001, &s.rays, &s.cam.lab, &s.bg, &roi, &bounds, out,
    )
    .unwrap();
    roi
}

/// The box's points are under 0.5 % of those kept as the subject.
fn assert_few_box_points(r: &Rendered, out: &SubjectPoints) {
    let box_kept = out
        .pixels
        .iter()
        .filter(|&&p| r.parts[p as usize] == Part::Box)
        .count();
    assert!(
        box_kept * 200 < out.pixels.len(),
        "{box_kept} box points kept of {}",
        out.pixels.len()
    );
}

/// Whether any background patch covers a lab point.
fn covered(bg: &Background, p: &Vector3<f64>) -> bool {
    bg.patches.iter().any(|pa| pa.covers(p, 0.05, 0.03, 0.6))
}

/// Lab points of a standing person's legs, trunk and arms (front surface) with soles at
/// (x, y).
fn person_front(x: f64, y: f64) -> Vec<Vector3<f64>> {
    let mut pts = Vec::new();
    for h in [0.2, 0.5, 0.8, 1.1, 1.4] {
        for z in [-0.11, 0.0, 0.11] {
            pts.push(Vector3::new(x + 0.07, y + h, z));
        }
    }
    pts
}

#[test]
fn background_holds_wall_box_top_and_face() {
    let s = setup(Camera::front(0.0), &Scene::lab_trial(0.0).without_person());
    let has = |kind: PatchKind, check: &dyn Fn(&Patch) -> bool| {
        s.bg.patches.iter().any(|p| p.kind == kind && check(p))
    };
    let wall = |p: &Patch| p.area() > 2.0 && (p.plane.normal.x - 1.0).abs() < 0.01;
    let top =
        |p: &Patch| (p.plane.distance(&Vector3::zeros()) + 0.31).abs() < 0.02 && p.area() > 0.15;
    let face =
        |p: &Patch| p.plane.distance(&Vector3::new(-0.4, 0.1, 0.0)).abs() < 0.02 && p.area() > 0.1;
    assert!(has(PatchKind::Vertical, &wall), "{:#?}", s.bg.patches);
    assert!(has(PatchKind::Horizontal, &top), "{:#?}", s.bg.patches);
    assert!(has(PatchKind::Vertical, &face), "{:#?}", s.bg.patches);
    // the noise level is learnt from the floor (rendered: D435)
    let ratio = s.bg.noise.per_m2 / D435;
    assert!((0.8..1.25).contains(&ratio), "noise {:?}", s.bg.noise);
}

#[test]
fn background_learnt_with_the_person_in_view_does_not_cover_the_person() {
    // the start of a drop jump: the athlete stands on the box (hiding most of its top)
    let s = setup(Camera::front(0.0), &Scene::person_at(-0.65, 0.31));
    let face = |p: &Patch| p.plane.distance(&Vector3::new(-0.4, 0.1, 0.0)).abs() < 0.02;
    assert!(s.bg.patches.iter().any(face), "{:#?}", s.bg.patches);
    for p in person_front(-0.65, 0.31) {
        assert!(
            !covered(&s.bg, &p),
            "a patch covers the person at {p:?}: {:#?}",
            s.bg.patches
        );
    }
    // a static trial standing in front of the box, camera yawed
    let s = setup(Camera::front(20.0), &Scene::lab_trial(0.0));
    for p in person_front(0.0, 0.0) {
        assert!(
            !covered(&s.bg, &p),
            "a patch covers the person at {p:?}: {:#?}",
            s.bg.patches
        );
    }
}

#[test]
fn person_kept_rest_dropped_frontal_and_yawed() {
    for yaw in [0.0, 30.0] {
        let s = setup(Camera::front(yaw), &Scene::lab_trial(0.0));
        let r = s.cam.render(&Scene::lab_trial(0.0), D435, 7);
        let mut out = SubjectPoints::new();
        let roi = segment_rendered(&s, &r, &mut out);
        let (recall, impurity) = rates(&r, &roi, &out, 848);
        assert!(recall > 0.95, "yaw {yaw}: person recall {recall}");
        assert!(impurity < 0.02, "yaw {yaw}: non-person share {impurity}");
        // points are in the lab frame and above the floor
        assert!(out.points.iter().all(|p| p[1] > 0.0 && p[0].abs() < 0.5));
    }
}

#[test]
fn landing_right_in_front_of_the_box_is_separated_from_it() {
    // learnt with the athlete standing on the box, landing 14 cm in front of its face
    let on_box = Scene::person_at(-0.65, 0.31);
    let s = setup(Camera::front(15.0), &on_box);
    let scene = Scene::lab_trial(-0.2);
    let r = s.cam.render(&scene, D435, 11);
    let mut out = SubjectPoints::new();
    let roi = segment_rendered(&s, &r, &mut out);
    let (recall, impurity) = rates(&r, &roi, &out, 848);
    assert!(recall > 0.95, "person recall {recall}");
    assert!(impurity < 0.02, "non-person share {impurity}");
    assert_few_box_points(&r, &out);
}

#[test]
fn outputs_are_reused_and_bounds_limit_the_points() {
    let s = setup(Camera::front(0.0), &Scene::lab_trial(0.0));
    let r = s.cam.render(&Scene::lab_trial(0.0), D435, 3);
    let mut out = SubjectPoints::new();
    segment_rendered(&s, &r, &mut out);
    let n = out.points.len();
    let ptr = out.points.as_ptr();
    segment_rendered(&s, &r, &mut out);
    assert_eq!(out.points.len(), n);
    assert_eq!(out.points.as_ptr(), ptr, "the buffer was reallocated");
    // legs only: a box up to 0.8 m
    let legs = LabBounds {
        min: Vector3::new(-0.5, -0.1, -0.5),
        max: Vector3::new(0.5, 0.8, 0.5),
    };
    let roi = roi_from_bounds(&legs, &s.cam.lab, &s.cam.intrinsics, 2).unwrap();
    segment_subject(
        &r.depth, 0.001, &s.rays, &s.cam.lab, &s.bg, &roi, &legs, &mut out,
    )
    .unwrap();
    assert!(out.points.len() > 200 && out.points.iter().all(|p| p[1] <= 0.8));
    // a smaller roi after a larger one: the longer buffers' stale cells must not leak in
    let w = s.cam.intrinsics.width;
    assert!(out.pixels.iter().all(|&p| {
        let (u, v) = (p as usize % w, p as usize / w);
        (roi.u0..roi.u1).contains(&u) && (roi.v0..roi.v1).contains(&v)
    }));
    let mut fresh = SubjectPoints::new();
    segment_subject(
        &r.depth, 0.001, &s.rays, &s.cam.lab, &s.bg, &roi, &legs, &mut fresh,
    )
    .unwrap();
    assert_eq!(fresh.pixels, out.pixels);
}

#[test]
fn empty_scene_and_bad_input() {
    let s = setup(Camera::front(0.0), &Scene::lab_trial(0.0).without_person());
    let r = s
        .cam
        .render(&Scene::lab_trial(0.0).without_person(), D435, 5);
    let found = find_subject(&r.depth, 0.001, &s.rays, &s.cam.lab, &s.bg).unwrap();
    assert!(
        found.is_none(),
        "found a person in an empty scene: {found:?}"
    );
    let zeros = vec![0u16; 848 * 480];
    assert!(find_subject(&zeros, 0.001, &s.rays, &s.cam.lab, &s.bg)
        .unwrap()
        .is_none());
    let mut out = SubjectPoints::new();
    let all = LabBounds {
        min: Vector3::repeat(-5.0),
        max: Vector3::repeat(5.0),
    };
    let roi = Roi::full(&s.cam.intrinsics, 2);
    segment_subject(
        &zeros, 0.001, &s.rays, &s.cam.lab, &s.bg, &roi, &all, &mut out,
    )
    .unwrap();
    assert!(out.points.is_empty());
    let bad_roi = Roi { u1: 900, ..roi };
    let e = segment_subject(
        &zeros, 0.001, &s.rays, &s.cam.lab, &s.bg, &bad_roi, &all, &mut out,
    );
    assert!(matches!(e, Err(Error::Input(m)) if m.contains("roi")));
    let bad = LabBounds {
        min: Vector3::repeat(f64::NAN),
        max: Vector3::repeat(5.0),
    };
    let e = segment_subject(
        &zeros, 0.001, &s.rays, &s.cam.lab, &s.bg, &roi, &bad, &mut out,
    );
    assert!(matches!(e, Err(Error::Input(m)) if m.contains("bounds")));
    let e = segment_subject(
        &zeros[1..],
        0.001,
        &s.rays,
        &s.cam.lab,
        &s.bg,
        &roi,
        &all,
        &mut out,
    );
    assert!(matches!(e, Err(Error::Input(m)) if m.contains("848x480")));
    // no floor in view: the camera looks at the wall only
    let e = estimate_floor(&zeros, 0.001, &s.rays).unwrap_err();
    assert!(
        matches!(e, Error::Calibration(ref m) if m.contains("no floor")),
        "{e}"
    );
}

#[test]
fn floor_and_lab_frame_from_depth() {
    for yaw in [0.0, 30.0] {
        let cam = Camera::front(yaw);
        let rays = RayTable::new(&cam.intrinsics).unwrap();
        let scene = Scene::lab_trial(0.0);
        let frames: Vec<Vec<u16>> = (0..3).map(|k| cam.render(&scene, D435, k).depth).collect();
        let floor = estimate_floor(&frames[0], 0.001, &rays).unwrap();
        let up_cam = cam.lab.rotation.transpose() * Vector3::y();
        let err = floor
            .normal
            .dot(&up_cam)
            .clamp(-1.0, 1.0)
            .acos()
            .to_degrees();
        assert!(err < 0.5, "yaw {yaw}: floor normal off by {err} deg");
        assert!(
            (floor.offset - 1.0).abs() < 0.01,
            "camera height {}",
            floor.offset
        );
        let refs: Vec<&[u16]> = frames.iter().map(|f| f.as_slice()).collect();
        let lab = estimate_lab_frame(&refs, 0.001, &rays).unwrap();
        // origin under the person, X toward the camera, camera 1 m high
        let origin_true = cam.lab.to_lab(&lab.to_camera(&Vector3::zeros()));
        assert!(
            origin_true.x.abs() < 0.12 && origin_true.z.abs() < 0.12 && origin_true.y.abs() < 0.01,
            "yaw {yaw}: origin at {origin_true:?}"
        );
        assert!((lab.camera_position().y - 1.0).abs() < 0.01);
        let x_true = cam.lab.rotation * lab.rotation.row(0).transpose();
        let to_cam = Vector3::new(cam.lab.translation.x, 0.0, cam.lab.translation.z).normalize();
        assert!(
            x_true.dot(&to_cam) > 5f64.to_radians().cos(),
            "X {x_true:?}"
        );
    }
}

#[test]
fn a_smaller_roi_after_a_larger_one_sees_only_its_own_cells() {
    let s = setup(Camera::front(0.0), &Scene::lab_trial(0.0));
    let r = s.cam.render(&Scene::lab_trial(0.0), D435, 7);
    let mut out = SubjectPoints::new();
    let big = segment_rendered(&s, &r, &mut out);
    assert!(!out.points.is_empty());
    let w = s.cam.intrinsics.width;
    let everywhere = LabBounds {
        min: Vector3::new(-5.0, -1.0, -5.0),
        max: Vector3::new(5.0, 3.0, 5.0),
    };
    // the upper half of the person's roi: fewer grid cells than the frame before had
    let half = Roi {
        v1: big.v0 + (big.v1 - big.v0) / 2,
        ..big
    };
    let inside = |p: u32| {
        let (u, v) = (p as usize % w, p as usize / w);
        (half.u0..half.u1).contains(&u) && (half.v0..half.v1).contains(&v)
    };
    segment_subject(
        &r.depth,
        0.001,
        &s.rays,
        &s.cam.lab,
        &s.bg,
        &half,
        &everywhere,
        &mut out,
    )
    .unwrap();
    assert!(!out.pixels.is_empty());
    assert!(
        out.pixels.iter().all(|&p| inside(p)),
        "pixels outside the roi"
    );
    let mut fresh = SubjectPoints::new();
    segment_subject(
        &r.depth,
        0.001,
        &s.rays,
        &s.cam.lab,
        &s.bg,
        &half,
        &everywhere,
        &mut fresh,
    )
    .unwrap();
    assert_eq!(fresh.pixels, out.pixels);
}

#[test]
fn box_face_is_not_pulled_onto_the_legs_standing_on_it() {
    // 2.7 m from the camera the legs standing 6-7 cm behind the face lie within the plane
    // fit's tolerance; the face learnt from one trial frame must stay on the face (it was 3 cm
    // off, and its points were then not covered)
    let cam = Camera::looking_at(Vector3::new(2.2, 1.0, 0.0), Vector3::new(-0.5, 0.6, 0.0));
    let rays = RayTable::new(&cam.intrinsics).unwrap();
    for seed in 0..4 {
        let depth = cam
            .render(&Scene::person_at(-0.5, 0.31), D435, 200 + seed)
            .depth;
        let bg = learn_background(&[depth.as_slice()], 0.001, &rays, &cam.lab).unwrap();
        let off: Vec<f64> = bg
            .patches
            .iter()
            .filter(|p| p.kind == PatchKind::Vertical && p.plane.normal.x.abs() > 0.9)
            .filter(|p| p.area() < 1.0)
            .map(|p| p.plane.distance(&Vector3::new(-0.4, 0.1, 0.0)))
            .collect();
        assert!(
            off.iter().any(|d| d.abs() < 0.015),
            "seed {seed}: box face planes {off:?} m off the face"
        );
    }
}

#[test]
fn predicted_feet_stepping_off_the_box_are_not_taken_for_its_face() {
    // the feet passing the box's front face (x = -0.4, top 0.31) within its noise band, as
    // when stepping off it
    let s = setup(Camera::front(0.0), &Scene::person_at(-0.65, 0.31));
    let (px, py) = (-0.39, 0.15);
    let r = s.cam.render(&Scene::person_at(px, py), D435, 21);
    let bounds = find_subject(&r.depth, 0.001, &s.rays, &s.cam.lab, &s.bg)
        .unwrap()
        .expect("the person is found");
    let roi = roi_from_bounds(&bounds, &s.cam.lab, &s.cam.intrinsics, 2).unwrap();
    let feet = |out: &SubjectPoints| {
        // share of the feet's sampled pixels (the person up to 1 cm above the feet) kept
        let mut kept = vec![false; r.depth.len()];
        out.pixels.iter().for_each(|&p| kept[p as usize] = true);
        let (mut n, mut k, mut box_kept) = (0usize, 0usize, 0usize);
        for v in (roi.v0..roi.v1).step_by(2) {
            for u in (roi.u0..roi.u1).step_by(2) {
                let i = v * 848 + u;
                if r.parts[i] == Part::Person && r.depth[i] > 0 && r.height[i] < (py + 0.08) as f32
                {
                    n += 1;
                    k += kept[i] as usize;
                } else if r.parts[i] == Part::Box && kept[i] {
                    box_kept += 1;
                }
            }
        }
        (k as f64 / n.max(1) as f64, box_kept)
    };
    let mut out = SubjectPoints::new();
    segment_subject(
        &r.depth, 0.001, &s.rays, &s.cam.lab, &s.bg, &roi, &bounds, &mut out,
    )
    .unwrap();
    let (without, box_without) = feet(&out);
    // the tracker's prediction: the feet where they are, give or take 2 cm
    let v = |x: f64, y: f64, z: f64| Vector3::new(x as f32, y as f32, z as f32);
    for z in [-0.11, 0.11] {
        out.limbs.push(Capsule {
            a: v(px - 0.05, py + 0.035, z),
            b: v(px + 0.19, py + 0.035, z),
            radius: 0.07,
            min_y: f32::NEG_INFINITY,
        });
    }
    segment_subject(
        &r.depth, 0.001, &s.rays, &s.cam.lab, &s.bg, &roi, &bounds, &mut out,
    )
    .unwrap();
    let (with, box_kept) = feet(&out);
    assert!(
        with > 0.98 && without < 0.95,
        "feet kept: {without} without, {with} with the prediction"
    );
    // the face's own points inside the predicted feet that join them: a few (the box points
    // kept either way are face the learnt patch does not reach: learnt with the athlete on
    // the box, it ends where the legs hid it)
    assert!(
        box_kept.saturating_sub(box_without) * 200 < out.pixels.len(),
        "{box_kept} box points kept of {} ({box_without} without the prediction)",
        out.pixels.len()
    );
}

#[test]
fn a_box_seen_from_the_side_is_not_taken_for_the_legs_on_it() {
    // a camera yawed 25 deg sees the box's side face (z = 0.3) almost edge-on; the background
    // is learnt from one frame of the athlete standing on the box, as a trial's first frame
    let cam = Camera::front(25.0);
    let rays = RayTable::new(&cam.intrinsics).unwrap();
    let on_box = Scene::person_at(-0.75, 0.31);
    let first = cam.render(&on_box, D435, 300).depth;
    let bg = learn_background(&[first.as_slice()], 0.001, &rays, &cam.lab).unwrap();
    let side = |p: &Patch| {
        p.kind == PatchKind::Side && p.plane.distance(&Vector3::new(-0.6, 0.15, 0.3)).abs() < 0.03
    };
    assert!(bg.patches.iter().any(side), "{:#?}", bg.patches);
    assert!(
        bg.supports().iter().all(|s| (s.y - 0.31).abs() < 0.03),
        "a side face is no support of its own: {:?}",
        bg.supports()
    );
    // a later frame, with the tracker's prediction of the shanks and feet fallen into the box
    // (a fit that followed box points down): the box's points must not join the subject
    let r = cam.render(&on_box, D435, 301);
    let bounds = find_subject(&r.depth, 0.001, &rays, &cam.lab, &bg)
        .unwrap()
        .expect("the person is found");
    let roi = roi_from_bounds(&bounds, &cam.lab, &cam.intrinsics, 2).unwrap();
    let mut out = SubjectPoints::new();
    let v = |x: f64, y: f64, z: f64| Vector3::new(x as f32, y as f32, z as f32);
    for z in [-0.11, 0.11] {
        out.limbs.push(Capsule {
            a: v(-0.65, 0.5, z),
            b: v(-0.65, 0.1, z),
            radius: 0.09,
            min_y: f32::NEG_INFINITY,
        });
        out.limbs.push(Capsule {
            a: v(-0.7, 0.08, z),
            b: v(-0.45, 0.08, z),
            radius: 0.08,
            min_y: f32::NEG_INFINITY,
        });
    }
    segment_subject(
        &r.depth, 0.001, &rays, &cam.lab, &bg, &roi, &bounds, &mut out,
    )
    .unwrap();
    assert_few_box_points(&r, &out);
    let (recall, _) = rates(&r, &roi, &out, 848);
    assert!(recall > 0.95, "person recall {recall}");
}
