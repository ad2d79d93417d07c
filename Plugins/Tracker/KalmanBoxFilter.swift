import Pipeline

/// Constant-velocity Kalman filter on (cx, cy, w, h) and their velocities, one frame per step.
///
/// Noise follows SORT/ByteTrack's box filters (the BoT-SORT "xywh" variant): process and measurement standard
/// deviations are fractions (1/20 for positions, 1/160 for velocities) of the box's width (x, w) or height (y, h).
/// Because the transition, process noise and measurement noise act on each coordinate and its own velocity only,
/// and the initial covariance is diagonal, the 8×8 filter splits exactly into four independent 2×2 filters —
/// which is what this type stores (`p[k]` = covariance of coordinate k and its velocity).
public struct KalmanBoxFilter: Sendable {
    public static let positionWeight = 1.0 / 20
    public static let velocityWeight = 1.0 / 160

    /// Mean of (position, velocity) for cx, cy, w, h.
    public private(set) var mean: [(pos: Double, vel: Double)]
    /// 2×2 covariance per coordinate, stored as (pp, pv, vv).
    private var cov: [(pp: Double, pv: Double, vv: Double)]

    /// Starts a filter at a measured box with zero velocity and a wide velocity prior.
    public init(measurement z: BoxState) {
        mean = [(z.cx, 0), (z.cy, 0), (z.w, 0), (z.h, 0)]
        let scales = Self.scales(z)
        cov = scales.map { s in
            let sp = 2 * Self.positionWeight * s, sv = 10 * Self.velocityWeight * s
            return (sp * sp, 0, sv * sv)
        }
    }

    /// The current box estimate.
    public var state: BoxState { BoxState(cx: mean[0].pos, cy: mean[1].pos, w: mean[2].pos, h: mean[3].pos) }

    /// The current velocity estimate in pixels per frame (centre and size).
    public var velocity: BoxState { BoxState(cx: mean[0].vel, cy: mean[1].vel, w: mean[2].vel, h: mean[3].vel) }

    /// Standard-deviation scales per coordinate: width for cx and w, height for cy and h (at least 1 px).
    static func scales(_ s: BoxState) -> [Double] {
        let w = max(1, s.w), h = max(1, s.h)
        return [w, h, w, h]
    }

    /// One step of constant-velocity motion: x += v, P = F P Fᵀ + Q.
    public mutating func predict() {
        let scales = Self.scales(state)
        for k in 0..<4 {
            let (x, v) = mean[k]
            mean[k] = (x + v, v)
            let (pp, pv, vv) = cov[k]
            let qp = Self.positionWeight * scales[k], qv = Self.velocityWeight * scales[k]
            cov[k] = (pp + 2 * pv + vv + qp * qp, pv + vv, vv + qv * qv)
        }
        // A shrinking box must not turn inside out.
        if mean[2].pos < 1 { mean[2] = (1, max(0, mean[2].vel)) }
        if mean[3].pos < 1 { mean[3] = (1, max(0, mean[3].vel)) }
    }

    /// Stops the size from changing (used while a track is lost, as ByteTrack zeroes the height velocity).
    public mutating func holdSize() {
        mean[2].vel = 0
        mean[3].vel = 0
    }

    /// Corrects the estimate with a measured box (H = [I 0], R from the predicted size).
    public mutating func update(measurement z: BoxState) {
        let scales = Self.scales(state)
        let measured = [z.cx, z.cy, z.w, z.h]
        for k in 0..<4 {
            let r = Self.positionWeight * scales[k]
            let (pp, pv, vv) = cov[k]
            let s = pp + r * r
            let kp = pp / s, kv = pv / s
            let innovation = measured[k] - mean[k].pos
            mean[k] = (mean[k].pos + kp * innovation, mean[k].vel + kv * innovation)
            cov[k] = ((1 - kp) * pp, (1 - kp) * pv, vv - kv * pv)
        }
    }
}
