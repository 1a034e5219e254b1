//! The data term's exactness: the shortcuts of the search against the segment queries, and
//! the moment form of the normal equations against the explicit Jacobian rows.

use super::*;
use crate::angles::Side;
use crate::fit::Hess;
use crate::fit_bounds::quad_range;
use crate::fit_terms::data_row_for_tests;
use crate::model::{standing_pose, NP};
use crate::synth::uniform;

/// Strongly tapered and offset limbs as well as default ones, in a pose with bent legs.
fn odd_limbs() -> (BodyShape, Kinematics) {
    let mut shape = BodyShape::from_stature(1.75);
    shape.shank[0].ax = [0.07, 0.03, 0.02];
    shape.shank[0].cz = [0.03, -0.01, 0.02];
    shape.thigh[1].cx = [0.02, -0.01, 0.015];
    let mut q = standing_pose([0.0, 0.9, 0.0], 0.3, 0.06);
    q[6] = 0.6;
    q[9] = 1.0;
    q[15] = -0.2;
    q[18] = 0.4;
    let k = Kinematics::new(&q, &shape);
    (shape, k)
}

#[test]
fn quad_range_finds_the_interior_extremum() {
    let v = [0.0, 0.8, 0.5];
    let q = |t: f64| {
        let l0 = 2.0 * (t - 0.5) * (t - 1.0);
        let l1 = -4.0 * t * (t - 1.0);
        let l2 = 2.0 * t * (t - 0.5);
        v[0] * l0 + v[1] * l1 + v[2] * l2
    };
    let brute = (0..=1000).map(|i| q(i as f64 / 1000.0));
    let (lo, hi) = quad_range(&v, 0.0, 1.0);
    assert!(hi >= brute.clone().fold(f64::MIN, f64::max) - 1e-12 && hi > 0.8);
    assert!(lo <= brute.fold(f64::MAX, f64::min) + 1e-12);
    let (lo, hi) = quad_range(&[0.05, 0.05, 0.05], 0.25, 0.5);
    assert!((lo - 0.05).abs() < 1e-12 && (hi - 0.05).abs() < 1e-12);
    // a sub-interval away from the vertex: its end values
    let (lo, hi) = quad_range(&v, 0.75, 1.0);
    assert!((lo - 0.5).abs() < 1e-9 && (hi - q(0.75)).abs() < 1e-9);
}

#[test]
fn limb_bounds_never_exceed_the_reported_distance() {
    let (shape, k) = odd_limbs();
    let limbs = limb_bounds(&shape, &k);
    let mut s = 11u64;
    let mut pruned = 0;
    for _ in 0..20000 {
        let mut u = || uniform(&mut s);
        // anywhere around the legs, or near one limb (beyond its ends too)
        let pick = ((u() + 1.0) * 2.5) as usize;
        let x = match pick {
            0 | 1 => V3::new(0.5 * u(), 0.5 + 0.5 * u(), 0.4 * u()),
            _ => {
                let seg = [
                    Seg::Thigh(Side::Left),
                    Seg::Shank(Side::Left),
                    Seg::Shank(Side::Right),
                ][(pick - 2).min(2)];
                let (o, r) = k.frame(seg);
                o + r * V3::new(0.12 * u(), -0.2 + 0.3 * u(), 0.12 * u())
            }
        };
        for (si, &seg) in Seg::ALL.iter().enumerate() {
            let Some(l) = &limbs[si] else { continue };
            let (o, r) = k.frame(seg);
            let c = seg_closest(&shape, seg, &(r.transpose() * (x - o)), &k.arch);
            assert!(
                !l.cannot_beat(&x, c.d + 1e-12),
                "{seg:?}: bound above the reported distance {} at {x:?}",
                c.d
            );
            pruned += l.cannot_beat(&x, 0.02) as usize;
        }
    }
    // and it does prune
    assert!(pruned > 20000, "{pruned}");
}

#[test]
fn limbs_said_to_face_away_do_face_away() {
    let (shape, k) = odd_limbs();
    let limbs = limb_bounds(&shape, &k);
    let mut s = 17u64;
    let (mut away, mut checked) = (0, 0);
    for i in 0..40000 {
        let mut u = || uniform(&mut s);
        // cameras all around, points near the legs and beyond the limb ends
        let cam = V3::new(2.5 * u(), 1.0 + 0.8 * u(), 2.5 * u());
        let x = if i % 2 == 0 {
            V3::new(0.5 * u(), 0.5 + 0.6 * u(), 0.5 * u())
        } else {
            // close to a limb's surface, on either side of it
            let seg = [Seg::Thigh(Side::Right), Seg::Shank(Side::Left)][i % 4 / 2];
            let (o, r) = k.frame(seg);
            o + r * V3::new(0.09 * u(), -0.2 + 0.28 * u(), 0.09 * u())
        };
        for (si, &seg) in Seg::ALL.iter().enumerate() {
            let Some(l) = &limbs[si] else { continue };
            let (o, r) = k.frame(seg);
            let rt = r.transpose();
            let (y, cs) = (rt * (x - o), rt * (cam - o));
            checked += 1;
            if l.surely_faces_away(&y, &cs) {
                away += 1;
                let c = seg_closest(&shape, seg, &y, &k.arch);
                assert!(
                    c.n.dot(&(cs - c.p)) <= 0.0,
                    "{seg:?}: said to face away but faces the camera, y {y:?} cam {cs:?}"
                );
            }
        }
    }
    assert!(away > checked / 5, "{away} of {checked}");
}

#[test]
fn moments_give_the_normal_equations_of_the_explicit_rows() {
    let shape = BodyShape::from_stature(1.75);
    let mut q = standing_pose([0.05, 0.9, -0.02], 0.2, 0.06);
    for (i, v) in [0.5, 0.1, 0.2, 1.1, 0.05, -0.1, 0.2, 0.05]
        .iter()
        .enumerate()
    {
        q[6 + i] = *v;
        q[15 + i] = -0.4 * v;
    }
    let k = Kinematics::new(&q, &shape);
    let cam = V3::new(2.0, 1.0, 0.3);
    // points around every segment's surface
    let mut pts = Vec::new();
    let mut s = 5u64;
    for seg in Seg::ALL {
        let (o, r) = k.frame(seg);
        for _ in 0..40 {
            let mut u = || uniform(&mut s);
            let local = match seg {
                Seg::Foot(_) => V3::new(0.08 + 0.1 * u(), -0.03 + 0.04 * u(), 0.05 * u()),
                Seg::Pelvis => V3::new(0.12 * u(), 0.07 + 0.1 * u(), 0.17 * u()),
                Seg::Patella(_) => V3::new(0.07, -0.38 + 0.02 * u(), 0.02 * u()),
                _ => V3::new(0.08 * u(), -0.2 + 0.15 * u(), 0.08 * u()),
            };
            pts.push(o + r * local);
        }
    }
    let cfg = FitConfig::default();
    let mut lin = Linearisation::new();
    data_term(&shape, &k, &pts, &cam, &cfg, &mut lin);
    // the same matches, rows summed explicitly
    let mut h = Hess::zeros();
    let mut g = [0.0; NP];
    let mut cost = 0.0;
    let wdata = cfg.ref_points / pts.len() as f64 / (cfg.noise * cfg.noise);
    let frames = seg_frames(&k, &cam);
    let bnds = bounds(&shape, &k);
    let limbs = limb_bounds(&shape, &k);
    let mut matched = 0;
    let mut last = 0;
    for x in &pts {
        let Some(mt) = closest_facing(&shape, &k, &frames, &bnds, &limbs, x, last) else {
            continue;
        };
        last = mt.seg;
        let f = &frames[mt.seg];
        let c = seg_closest(&shape, Seg::ALL[mt.seg], &(f.rt * (x - f.o)), &k.arch);
        assert!((c.p - mt.p).norm() < 1e-12 && (f.r * c.n).dot(&(cam - f.o - f.r * c.p)) > 0.0);
        let si = mt.seg;
        matched += 1;
        let (res, jac) = data_row_for_tests(&k, Seg::ALL[si], &c, x);
        let (rho, omega) = geman_mcclure(res, cfg.robust_scale);
        cost += wdata * rho;
        for a in 0..NP {
            g[a] += wdata * omega * jac[a] * res;
            for b in 0..NP {
                h[(a, b)] += wdata * omega * jac[a] * jac[b];
            }
        }
    }
    assert!(matched > 300);
    let mut hm = lin.h;
    for a in 0..NP {
        for b in 0..a {
            let v = hm[(a, b)] + hm[(b, a)];
            hm[(a, b)] = v;
            hm[(b, a)] = v;
        }
    }
    let scale = h.amax();
    assert!(
        (hm - h).amax() < 1e-9 * scale,
        "{}",
        (hm - h).amax() / scale
    );
    for a in 0..NP {
        assert!((lin.g[a] - g[a]).abs() < 1e-9 * scale, "g[{a}]");
    }
    assert!((lin.cost - cost).abs() < 1e-9 * cost);
}
