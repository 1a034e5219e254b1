//! Depth noise of stereo depth cameras: the RMS error grows with the square of the distance,
//! `sigma(z) = per_m2 * z^2` (RealSense D4xx: `z^2 * subpixel / (focal_px * baseline)`).

/// The depth noise model `sigma(z) = per_m2 * z^2` (metres).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DepthNoise {
    /// RMS depth error at 1 m, metres (D435 about 0.0037: 15 mm at 2 m; D455 about half).
    pub per_m2: f64,
}

impl DepthNoise {
    /// A D435 at its default settings (15 mm RMS at 2 m), the noisiest common case.
    pub const D435: DepthNoise = DepthNoise {
        per_m2: 0.015 / 4.0,
    };

    /// The smallest and largest plausible coefficients (clamp for estimates from data).
    pub const MIN_PER_M2: f64 = 0.0005;
    pub const MAX_PER_M2: f64 = 0.02;

    /// RMS depth error at distance `z` metres.
    #[inline]
    pub fn sigma(&self, z: f64) -> f64 {
        self.per_m2 * z * z
    }

    /// A tolerance of `k` sigmas at distance `z`, at least `min` metres.
    #[inline]
    pub fn tol(&self, z: f64, k: f64, min: f64) -> f64 {
        (k * self.per_m2 * z * z).max(min)
    }
}

impl Default for DepthNoise {
    fn default() -> Self {
        DepthNoise::D435
    }
}
