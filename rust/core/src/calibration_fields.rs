//! A subject calibration as named numeric fields (the body of the saved JSON file; the schema is
//! `calibration/schemas/subject_calibration.schema.json`), and back with every field checked.

use std::collections::BTreeMap;

use nalgebra::{Matrix3, Vector3};

use crate::background::{Background, Patch, PatchKind, SegmentParams};
use crate::calibrate::SubjectCalibration;
use crate::camera::{Distortion, Intrinsics};
use crate::error::{Error, Result};
use crate::labframe::LabFrame;
use crate::model::NP;
use crate::noise::DepthNoise;
use crate::plane::Plane;
use crate::shape::{BodyShape, FootShape, LimbShape, PatellaShape, PelvisShape};

/// Named fields: name -> values.
pub type Fields = BTreeMap<String, Vec<f64>>;

const PATCH_LEN: usize = 18;

fn limb(v: &LimbShape) -> Vec<f64> {
    let mut o = vec![v.length];
    for a in [&v.cx, &v.cz, &v.ax, &v.az] {
        o.extend_from_slice(a);
    }
    o
}

fn foot(f: &FootShape) -> Vec<f64> {
    vec![
        f.length,
        f.heel,
        f.ankle_height,
        f.width[0],
        f.width[1],
        f.top_ends[0],
        f.top_ends[1],
        f.cz,
    ]
}

/// The calibration as fields.
pub fn to_fields(c: &SubjectCalibration) -> Fields {
    let mut m = Fields::new();
    let mut put = |k: &str, v: Vec<f64>| {
        m.insert(k.to_string(), v);
    };
    let i = &c.intrinsics;
    put("image_size", vec![c.width as f64, c.height as f64]);
    put(
        "intrinsics",
        vec![i.fx as f64, i.fy as f64, i.ppx as f64, i.ppy as f64],
    );
    put("depth_scale", vec![c.depth_scale as f64]);
    put(
        "lab_rotation",
        (0..9).map(|k| c.lab.rotation[(k / 3, k % 3)]).collect(),
    );
    put(
        "lab_translation",
        c.lab.translation.iter().copied().collect(),
    );
    let bg = &c.background;
    let mut floor: Vec<f64> = bg.floor.normal.iter().copied().collect();
    floor.push(bg.floor.offset);
    put("background_floor", floor);
    put("background_noise_per_m2", vec![bg.noise.per_m2]);
    let mut patches = Vec::new();
    for p in &bg.patches {
        patches.extend(p.plane.normal.iter());
        patches.push(p.plane.offset);
        patches.extend(p.origin.iter());
        patches.extend(p.axis_u.iter());
        patches.extend(p.axis_v.iter());
        patches.extend([p.u_range.0, p.u_range.1, p.v_range.0, p.v_range.1]);
        patches.push(match p.kind {
            PatchKind::Vertical => 0.0,
            PatchKind::Horizontal => 1.0,
            PatchKind::Slanted => 2.0,
            PatchKind::Side => 3.0,
        });
    }
    put("background_patches", patches);
    let s = &c.shape;
    put("pelvis_hip_half_width", vec![s.pelvis.hip_half_width]);
    put("pelvis_centre", s.pelvis.centre.to_vec());
    put("pelvis_semi_axes", s.pelvis.semi.to_vec());
    for (k, side) in ["l", "r"].iter().enumerate() {
        put(&format!("thigh_{side}"), limb(&s.thigh[k]));
        put(&format!("shank_{side}"), limb(&s.shank[k]));
        let p = &s.patella[k];
        put(
            &format!("patella_{side}"),
            vec![p.anterior, p.above_knee, p.radius],
        );
        put(&format!("foot_{side}"), foot(&s.foot[k]));
    }
    put(
        "stature_m",
        vec![c.stature, if c.stature_measured { 1.0 } else { 0.0 }],
    );
    put("static_pose", c.static_pose.to_vec());
    put("standing_arch_m", c.standing_arch.to_vec());
    put("static_knee_valgus_deg", c.static_valgus_deg.to_vec());
    if let Some(l) = c.standing_trunk_lean {
        put("standing_trunk_lean_rad", vec![l]);
    }
    put(
        "fit_quality",
        vec![c.fit_rms, c.frames as f64, c.points as f64],
    );
    m
}

struct Reader<'a> {
    m: &'a Fields,
}

impl Reader<'_> {
    fn get(&self, k: &str, len: usize) -> Result<&[f64]> {
        let v = self
            .m
            .get(k)
            .ok_or_else(|| Error::Calibration(format!("field {k:?} is missing")))?;
        if v.len() != len {
            return Err(Error::Calibration(format!(
                "field {k:?} must hold {len} numbers, got {}",
                v.len()
            )));
        }
        if v.iter().any(|x| !x.is_finite()) {
            return Err(Error::Calibration(format!(
                "field {k:?} holds a non-finite number"
            )));
        }
        Ok(v)
    }

    fn positive(&self, k: &str, len: usize, range: (f64, f64)) -> Result<&[f64]> {
        let v = self.get(k, len)?;
        if let Some(x) = v.iter().find(|x| !(range.0..=range.1).contains(*x)) {
            return Err(Error::Calibration(format!(
                "field {k:?}: {x} is outside the plausible range [{}, {}]",
                range.0, range.1
            )));
        }
        Ok(v)
    }

    fn limb(&self, k: &str) -> Result<LimbShape> {
        let v = self.get(k, 13)?;
        if !(0.15..=0.8).contains(&v[0]) || v[7..].iter().any(|x| !(0.01..=0.2).contains(x)) {
            return Err(Error::Calibration(format!(
                "field {k:?}: length or radii outside plausible human sizes: {v:?}"
            )));
        }
        let a = |o: usize| [v[o], v[o + 1], v[o + 2]];
        Ok(LimbShape {
            length: v[0],
            cx: a(1),
            cz: a(4),
            ax: a(7),
            az: a(10),
        })
    }
}

/// A calibration from fields, every field checked (names the bad one).
pub fn from_fields(m: &Fields) -> Result<SubjectCalibration> {
    let r = Reader { m };
    let size = r.positive("image_size", 2, (1.0, 16384.0))?;
    let (width, height) = (size[0] as usize, size[1] as usize);
    let iv = r.get("intrinsics", 4)?;
    let intrinsics = Intrinsics {
        width,
        height,
        fx: iv[0] as f32,
        fy: iv[1] as f32,
        ppx: iv[2] as f32,
        ppy: iv[3] as f32,
        model: Distortion::BrownConrady,
        coeffs: [0.0; 5],
    };
    intrinsics
        .validate()
        .map_err(|e| Error::Calibration(format!("field \"intrinsics\": {e}")))?;
    let depth_scale = r.positive("depth_scale", 1, (1e-6, 0.999))?[0] as f32;
    let rot = r.get("lab_rotation", 9)?;
    let tr = r.get("lab_translation", 3)?;
    let lab = LabFrame::new(
        Matrix3::from_fn(|i, j| rot[3 * i + j]),
        Vector3::new(tr[0], tr[1], tr[2]),
    )
    .map_err(|e| Error::Calibration(format!("fields \"lab_rotation\"/\"lab_translation\": {e}")))?;
    let fl = r.get("background_floor", 4)?;
    let floor = Plane {
        normal: Vector3::new(fl[0], fl[1], fl[2]),
        offset: fl[3],
    };
    if !floor.is_valid() {
        return Err(Error::Calibration(
            "field \"background_floor\" is not a plane (unit normal, offset)".into(),
        ));
    }
    let per_m2 = r.positive(
        "background_noise_per_m2",
        1,
        (DepthNoise::MIN_PER_M2, DepthNoise::MAX_PER_M2),
    )?[0];
    let pv =
        r.m.get("background_patches")
            .ok_or_else(|| Error::Calibration("field \"background_patches\" is missing".into()))?;
    if pv.len() % PATCH_LEN != 0 || pv.iter().any(|x| !x.is_finite()) {
        return Err(Error::Calibration(format!(
            "field \"background_patches\" must hold finite numbers in groups of {PATCH_LEN}"
        )));
    }
    let mut patches = Vec::new();
    for p in pv.chunks(PATCH_LEN) {
        let v3 = |o: usize| Vector3::new(p[o], p[o + 1], p[o + 2]);
        let kind = match p[17] as i64 {
            0 => PatchKind::Vertical,
            1 => PatchKind::Horizontal,
            2 => PatchKind::Slanted,
            3 => PatchKind::Side,
            k => {
                return Err(Error::Calibration(format!(
                    "field \"background_patches\": unknown patch kind {k}"
                )))
            }
        };
        patches.push(Patch {
            plane: Plane {
                normal: v3(0),
                offset: p[3],
            },
            origin: v3(4),
            axis_u: v3(7),
            axis_v: v3(10),
            u_range: (p[13], p[14]),
            v_range: (p[15], p[16]),
            kind,
        });
    }
    let background = Background {
        floor,
        patches,
        noise: DepthNoise { per_m2 },
        params: SegmentParams::default(),
    };
    let pc = r.get("pelvis_centre", 3)?;
    let ps = r.positive("pelvis_semi_axes", 3, (0.03, 0.5))?;
    let pelvis = PelvisShape {
        hip_half_width: r.positive("pelvis_hip_half_width", 1, (0.03, 0.3))?[0],
        centre: [pc[0], pc[1], pc[2]],
        semi: [ps[0], ps[1], ps[2]],
    };
    let mut thigh = Vec::new();
    let mut shank = Vec::new();
    let mut patella = Vec::new();
    let mut feet = Vec::new();
    for side in ["l", "r"] {
        thigh.push(r.limb(&format!("thigh_{side}"))?);
        shank.push(r.limb(&format!("shank_{side}"))?);
        let p = r.positive(&format!("patella_{side}"), 3, (-0.2, 0.3))?;
        patella.push(PatellaShape {
            anterior: p[0],
            above_knee: p[1],
            radius: p[2],
        });
        let f = r.positive(&format!("foot_{side}"), 8, (-0.2, 0.4))?;
        if !(0.12..=0.4).contains(&f[0]) || f[2] <= 0.0 || f[3] <= 0.0 || f[4] <= 0.0 {
            return Err(Error::Calibration(format!(
                "field \"foot_{side}\": implausible foot size {f:?}"
            )));
        }
        feet.push(FootShape {
            length: f[0],
            heel: f[1],
            ankle_height: f[2],
            width: [f[3], f[4]],
            top_ends: [f[5], f[6]],
            cz: f[7],
        });
    }
    let shape = BodyShape {
        pelvis,
        thigh: [thigh[0].clone(), thigh[1].clone()],
        shank: [shank[0].clone(), shank[1].clone()],
        patella: [patella[0], patella[1]],
        foot: [feet[0].clone(), feet[1].clone()],
    };
    let st = r.get("stature_m", 2)?;
    if !(1.0..=2.3).contains(&st[0]) {
        return Err(Error::Calibration(format!(
            "field \"stature_m\": {} m is not a plausible stature",
            st[0]
        )));
    }
    let pose = r.get("static_pose", NP)?;
    let arch = r.positive("standing_arch_m", 2, (0.005, 0.15))?;
    let valgus = r.positive("static_knee_valgus_deg", 2, (-30.0, 30.0))?;
    // optional: files written before the lean was measured do not hold it
    let lean = if r.m.contains_key("standing_trunk_lean_rad") {
        Some(r.positive("standing_trunk_lean_rad", 1, (-1.0, 1.0))?[0])
    } else {
        None
    };
    let q = r.get("fit_quality", 3)?;
    Ok(SubjectCalibration {
        width,
        height,
        intrinsics,
        depth_scale,
        lab,
        background,
        shape,
        stature: st[0],
        stature_measured: st[1] != 0.0,
        static_pose: pose.try_into().expect("checked length"),
        standing_arch: [arch[0], arch[1]],
        static_valgus_deg: [valgus[0], valgus[1]],
        standing_trunk_lean: lean,
        fit_rms: q[0],
        frames: q[1] as usize,
        points: q[2] as usize,
    })
}
