//! Planes: robust RANSAC detection and least-squares refinement.
//!
//! A [`Plane`] is `normal . p + offset = 0` with a unit normal, so [`Plane::distance`] is the
//! signed distance of a point (positive on the side the normal points to). RANSAC draws its
//! samples from a small seeded xorshift generator, so every result is reproducible.

use nalgebra::{Matrix3, SymmetricEigen, Vector3};

/// A plane `normal . p + offset = 0` with `|normal| = 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plane {
    /// Unit normal.
    pub normal: Vector3<f64>,
    /// Offset: minus the signed distance of the plane from the origin along `normal`.
    pub offset: f64,
}

impl Plane {
    /// A plane with unit normal `normal` through `point`; `None` for a zero or non-finite normal.
    pub fn through(normal: &Vector3<f64>, point: &Vector3<f64>) -> Option<Plane> {
        let len = normal.norm();
        if !(len.is_finite() && len > 1e-12 && point.iter().all(|v| v.is_finite())) {
            return None;
        }
        let n = normal / len;
        Some(Plane {
            normal: n,
            offset: -n.dot(point),
        })
    }

    /// The plane through three points; `None` when they are (nearly) collinear.
    pub fn from_points(a: &Vector3<f64>, b: &Vector3<f64>, c: &Vector3<f64>) -> Option<Plane> {
        let (e1, e2) = (b - a, c - a);
        let n = e1.cross(&e2);
        let scale = e1.norm_squared().max(e2.norm_squared());
        let ok = n.norm_squared() > 1e-10 * scale * scale;
        if !ok {
            return None;
        }
        Plane::through(&n, a)
    }

    /// Signed distance of `p` from the plane (positive on the side the normal points to).
    #[inline]
    pub fn distance(&self, p: &Vector3<f64>) -> f64 {
        self.normal.dot(p) + self.offset
    }

    /// The same plane with the normal flipped.
    pub fn flipped(&self) -> Plane {
        Plane {
            normal: -self.normal,
            offset: -self.offset,
        }
    }

    /// The same plane with its normal pointing to the side of `p` (unchanged if `p` lies on it).
    pub fn oriented_toward(&self, p: &Vector3<f64>) -> Plane {
        if self.distance(p) < 0.0 {
            self.flipped()
        } else {
            *self
        }
    }

    /// The orthogonal projection of `p` onto the plane.
    pub fn project(&self, p: &Vector3<f64>) -> Vector3<f64> {
        p - self.normal * self.distance(p)
    }

    /// Whether the normal has unit length and every value is finite.
    pub fn is_valid(&self) -> bool {
        self.offset.is_finite()
            && self.normal.iter().all(|v| v.is_finite())
            && (self.normal.norm() - 1.0).abs() < 1e-6
    }
}

/// A tiny seeded xorshift64* generator (deterministic across platforms).
#[derive(Debug, Clone)]
pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn new(seed: u64) -> Self {
        // splitmix64 of the seed, so that 0 and small seeds give good streams
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        XorShift(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform integer in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }
}

/// Points scored per RANSAC hypothesis at most; the winner is then checked against all points.
const SCORE_SAMPLE: usize = 4000;

/// RANSAC with a per-point inlier tolerance `tol(i)`; returns the best plane (refined by least
/// squares on its inliers, weights `weight(i)`) and the inlier indices into `points`.
pub(crate) fn ransac_plane_by<T, W>(
    points: &[Vector3<f64>],
    tol: T,
    weight: W,
    iterations: usize,
    seed: u64,
) -> Option<(Plane, Vec<usize>)>
where
    T: Fn(usize) -> f64,
    W: Fn(usize) -> f64,
{
    let n = points.len();
    if n < 3 || iterations == 0 {
        return None;
    }
    let mut rng = XorShift::new(seed);
    // hypotheses are scored on a fixed random subset when the cloud is large
    let scored: Vec<usize> = if n <= SCORE_SAMPLE {
        (0..n).collect()
    } else {
        (0..SCORE_SAMPLE).map(|_| rng.below(n)).collect()
    };
    // MSAC: each point costs (d / tol)^2, at most 1, so tight fits beat loose ones with the
    // same inlier count
    let mut best: Option<(Plane, f64, usize)> = None;
    for _ in 0..iterations {
        let (i, j, k) = (rng.below(n), rng.below(n), rng.below(n));
        if i == j || j == k || i == k {
            continue;
        }
        let Some(plane) = Plane::from_points(&points[i], &points[j], &points[k]) else {
            continue;
        };
        let (mut cost, mut count) = (0.0, 0usize);
        for &s in &scored {
            let r = plane.distance(&points[s]) / tol(s);
            if r.abs() < 1.0 {
                cost += r * r;
                count += 1;
            } else {
                cost += 1.0;
            }
        }
        if best.as_ref().is_none_or(|b| cost < b.1) {
            best = Some((plane, cost, count));
        }
    }
    let (mut plane, _, count) = best?;
    if count < 3 {
        return None;
    }
    let inliers_of = |pl: &Plane| -> Vec<usize> {
        (0..n)
            .filter(|&s| pl.distance(&points[s]).abs() < tol(s))
            .collect()
    };
    let mut inliers = inliers_of(&plane);
    for _ in 0..3 {
        let Some(refined) = refine_plane_weighted(points, &inliers, &weight) else {
            break;
        };
        let refined = if refined.normal.dot(&plane.normal) < 0.0 {
            refined.flipped()
        } else {
            refined
        };
        let next = inliers_of(&refined);
        if next.len() < 3 {
            break;
        }
        let done = next.len() == inliers.len();
        plane = refined;
        inliers = next;
        if done {
            break;
        }
    }
    Some((plane, inliers))
}

/// Find the plane with the most points within `inlier_tol` (metres) by RANSAC over
/// `iterations` random three-point samples (seeded: reproducible), then refine it by least
/// squares on its inliers (twice re-collecting them). Returns the plane and the indices of its
/// inliers, or `None` when there are fewer than three points or no non-degenerate sample.
pub fn ransac_plane(
    points: &[Vector3<f64>],
    inlier_tol: f64,
    iterations: usize,
    seed: u64,
) -> Option<(Plane, Vec<usize>)> {
    if !(inlier_tol.is_finite() && inlier_tol > 0.0) {
        return None;
    }
    ransac_plane_by(points, |_| inlier_tol, |_| 1.0, iterations, seed)
}

/// Least-squares plane through `points[inliers]`: through their centroid, normal the
/// eigenvector of the smallest eigenvalue of their covariance. `None` with fewer than three
/// points, collinear points or non-finite values. The normal's sign is arbitrary; orient it
/// with [`Plane::oriented_toward`].
pub fn refine_plane(points: &[Vector3<f64>], inliers: &[usize]) -> Option<Plane> {
    refine_plane_weighted(points, inliers, |_| 1.0)
}

/// Weighted least-squares plane (weights `weight(i)` >= 0, e.g. inverse noise variance).
pub(crate) fn refine_plane_weighted<W: Fn(usize) -> f64>(
    points: &[Vector3<f64>],
    inliers: &[usize],
    weight: W,
) -> Option<Plane> {
    if inliers.len() < 3 {
        return None;
    }
    let mut wsum = 0.0;
    let mut centroid = Vector3::zeros();
    for &i in inliers {
        let w = weight(i);
        wsum += w;
        centroid += points.get(i)? * w;
    }
    if !(wsum > 0.0 && wsum.is_finite()) {
        return None;
    }
    centroid /= wsum;
    let mut cov = Matrix3::zeros();
    for &i in inliers {
        let d = points[i] - centroid;
        cov += d * d.transpose() * weight(i);
    }
    cov /= wsum;
    if !cov.iter().all(|v| v.is_finite()) {
        return None;
    }
    let eig = SymmetricEigen::new(cov);
    let mut order = [0usize, 1, 2];
    order.sort_by(|&a, &b| eig.eigenvalues[a].total_cmp(&eig.eigenvalues[b]));
    // collinear points: the two smallest eigenvalues are both ~0 and the normal is undefined
    let (l0, l1) = (eig.eigenvalues[order[0]], eig.eigenvalues[order[1]]);
    if !(l1 > 1e-12 && l1 > 1e-6 * eig.eigenvalues[order[2]].max(0.0)) || l0 > l1 {
        return None;
    }
    let normal: Vector3<f64> = eig.eigenvectors.column(order[0]).into_owned();
    Plane::through(&normal, &centroid)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A noisy plane patch plus uniform outliers.
    fn noisy_plane(plane: &Plane, n: usize, noise: f64, outliers: usize) -> Vec<Vector3<f64>> {
        let mut rng = XorShift::new(7);
        let mut uniform =
            |a: f64, b: f64| a + (b - a) * (rng.next_u64() >> 11) as f64 / 2f64.powi(53);
        let helper = if plane.normal.x.abs() < 0.9 {
            Vector3::x()
        } else {
            Vector3::y()
        };
        let e1 = plane.normal.cross(&helper).normalize();
        let e2 = plane.normal.cross(&e1);
        let origin = -plane.normal * plane.offset;
        let mut pts = Vec::new();
        for _ in 0..n {
            // sum of uniforms: roughly Gaussian noise of standard deviation `noise`
            let g: f64 = (0..12).map(|_| uniform(-0.5, 0.5)).sum();
            pts.push(
                origin
                    + e1 * uniform(-1.5, 1.5)
                    + e2 * uniform(-1.5, 1.5)
                    + plane.normal * g * noise,
            );
        }
        for _ in 0..outliers {
            pts.push(Vector3::new(
                uniform(-2.0, 2.0),
                uniform(-2.0, 2.0),
                uniform(0.5, 4.0),
            ));
        }
        pts
    }

    #[test]
    fn ransac_recovers_noisy_plane_with_outliers() {
        let truth = Plane::through(
            &Vector3::new(0.05, -0.95, -0.3),
            &Vector3::new(0.0, 1.2, 2.5),
        )
        .unwrap();
        let pts = noisy_plane(&truth, 6000, 0.01, 3000);
        let (plane, inliers) = ransac_plane(&pts, 0.03, 300, 1).unwrap();
        let plane = if plane.normal.dot(&truth.normal) < 0.0 {
            plane.flipped()
        } else {
            plane
        };
        let angle = plane
            .normal
            .dot(&truth.normal)
            .clamp(-1.0, 1.0)
            .acos()
            .to_degrees();
        assert!(angle < 0.5, "normal off by {angle} deg");
        assert!(
            (plane.offset - truth.offset).abs() < 0.002,
            "{plane:?} vs {truth:?}"
        );
        assert!(
            inliers.len() > 5500 && inliers.len() < 6300,
            "{}",
            inliers.len()
        );
        // reproducible for a seed
        let again = ransac_plane(&pts, 0.03, 300, 1).unwrap();
        assert_eq!(again.1, inliers);
    }

    #[test]
    fn refine_plane_is_exact_on_clean_points_and_rejects_degenerate() {
        let truth =
            Plane::through(&Vector3::new(0.3, 0.4, 0.5), &Vector3::new(1.0, 2.0, 3.0)).unwrap();
        let pts = noisy_plane(&truth, 200, 0.0, 0);
        let idx: Vec<usize> = (0..pts.len()).collect();
        let p = refine_plane(&pts, &idx)
            .unwrap()
            .oriented_toward(&(truth.normal * 10.0));
        let t = truth.oriented_toward(&(truth.normal * 10.0));
        assert!((p.normal - t.normal).norm() < 1e-9 && (p.offset - t.offset).abs() < 1e-9);
        let line: Vec<_> = (0..10)
            .map(|i| Vector3::new(i as f64, 2.0 * i as f64, 1.0))
            .collect();
        assert!(refine_plane(&line, &(0..10).collect::<Vec<_>>()).is_none());
        assert!(refine_plane(&pts, &[0, 1]).is_none());
        assert!(refine_plane(&pts, &[0, 1, 100_000]).is_none());
        assert!(ransac_plane(&line, 0.01, 50, 0).is_none());
        assert!(ransac_plane(&pts, f64::NAN, 50, 0).is_none());
    }

    #[test]
    fn signed_distance_and_orientation() {
        let p = Plane::through(&Vector3::new(0.0, 2.0, 0.0), &Vector3::new(0.0, 1.0, 0.0)).unwrap();
        assert!((p.distance(&Vector3::new(5.0, 3.0, -1.0)) - 2.0).abs() < 1e-12);
        let f = p.oriented_toward(&Vector3::zeros());
        assert!((f.distance(&Vector3::zeros()) - 1.0).abs() < 1e-12);
        assert!(
            (p.project(&Vector3::new(1.0, 5.0, 1.0)) - Vector3::new(1.0, 1.0, 1.0)).norm() < 1e-12
        );
    }
}
