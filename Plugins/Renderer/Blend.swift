import Pipeline

/// The alpha-blend formula every translucent overlay uses.
public enum Blend {
    /// `round(dst·(1−alpha) + src·alpha)`, alpha clamped to 0…1.
    @inlinable
    public static func mix(_ dst: UInt8, _ src: UInt8, alpha: Float) -> UInt8 {
        let a = min(max(alpha, 0), 1)
        let v = (Float(dst) * (1 - a) + Float(src) * a).rounded()
        return UInt8(min(max(v, 0), 255))
    }
}
