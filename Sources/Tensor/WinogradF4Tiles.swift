/// The per-tile transforms of `WinogradF4`, 8 channels per SIMD vector: Bᵀ d B on a 6×6 input tile (zeros outside
/// the map: the convolution's padding), read from fp32 or bf16, written to V as fp32, bf16 or fp32 rounded to bf16;
/// and Aᵀ M A + bias (ReLU) onto the tile's 4×4 output pixels inside the map, stored as fp32 or bf16.
extension WinogradF4 {
    typealias Lane = SIMD8<Float>

    /// Bᵀ·(d0 … d5) along one axis.
    @inline(__always)
    static func forward(_ d0: Lane, _ d1: Lane, _ d2: Lane, _ d3: Lane, _ d4: Lane, _ d5: Lane)
        -> (Lane, Lane, Lane, Lane, Lane, Lane) {
        let four = Lane(repeating: 4), five = Lane(repeating: 5), two = Lane(repeating: 2)
        let p = d4 - d2, q = two * (d3 - d1)
        return (four * d0 - five * d2 + d4,
                (d3 + d4) - four * (d1 + d2),
                (d4 - d3) + four * (d1 - d2),
                p + q,
                p - q,
                four * d1 - five * d3 + d5)
    }

    /// Aᵀ·(m0 … m5) along one axis.
    @inline(__always)
    static func backward(_ m0: Lane, _ m1: Lane, _ m2: Lane, _ m3: Lane, _ m4: Lane, _ m5: Lane)
        -> (Lane, Lane, Lane, Lane) {
        let a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4
        return (m0 + a + c, b + Lane(repeating: 2) * d, a + Lane(repeating: 4) * c, b + Lane(repeating: 8) * d + m5)
    }

    /// 8 values at `p` (element offset `i`) of `type` as fp32.
    @inline(__always)
    static func load(_ p: UnsafeRawPointer, _ i: Int, _ type: DataType) -> Lane {
        if type == .f32 { return p.loadUnaligned(fromByteOffset: i * 4, as: Lane.self) }
        let half = p.loadUnaligned(fromByteOffset: i * 2, as: SIMD8<UInt16>.self)
        return unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: half) &<< 16, to: Lane.self)
    }

    /// The bf16 bits of 8 fp32 values, rounded to nearest even (finite values).
    @inline(__always)
    static func bf16Bits(_ v: Lane) -> SIMD8<UInt16> {
        let bits = unsafeBitCast(v, to: SIMD8<UInt32>.self)
        return SIMD8<UInt16>(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) &>> 16)
    }

    /// 8 fp32 values rounded to bf16 and kept as fp32.
    @inline(__always)
    static func rounded(_ v: Lane) -> Lane { unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: bf16Bits(v)) &<< 16, to: Lane.self) }

    /// Stores 8 values at `p` (element offset `i`) as `type`; `round`: fp32 values rounded to bf16 first.
    @inline(__always)
    static func store(_ v: Lane, _ p: UnsafeMutableRawPointer, _ i: Int, _ type: DataType, round: Bool) {
        if type == .bf16 { p.storeBytes(of: bf16Bits(v), toByteOffset: i * 2, as: SIMD8<UInt16>.self); return }
        p.storeBytes(of: round ? rounded(v) : v, toByteOffset: i * 4, as: Lane.self)
    }

    /// V for every channel of the tiles `first + t`, t in `tiles`: tile t's value at position ξ, channel c goes to
    /// element (t·36 + ξ)·Cin + c of `v` (tile-major: each tile's transform writes one contiguous 36·Cin block).
    /// Channel group by channel group, so the reads run along map rows.
    static func inputTiles(_ src: Plane, _ grid: TileGrid, first: Int, tiles: Range<Int>, into v: WinogradGEMM.Operand) {
        let pixel = src.block, line = src.w * src.block, channels = src.channels
        let base = UnsafeRawPointer(src.base), type = src.type
        withUnsafeTemporaryAllocation(of: Lane.self, capacity: 36) { e in
            let e = e.baseAddress!
            for group in 0..<(channels / 8) {
            for t in tiles {
                let (img, oy, ox) = grid.locate(first + t)
                let y0 = oy - 1, x0 = ox - 1
                var rows = 0, cols = 0
                for i in 0..<6 {
                    if y0 + i >= 0 && y0 + i < src.h { rows |= 1 << i }
                    if x0 + i >= 0 && x0 + i < src.w { cols |= 1 << i }
                }
                let corner = src.offset(img: img, group: group, y: 0, x: 0) + y0 * line + x0 * pixel
                @inline(__always) func at(_ i: Int, _ j: Int) -> Lane {
                    guard rows & (1 << i) != 0 && cols & (1 << j) != 0 else { return Lane() }
                    return load(base, corner + i * line + j * pixel, type)
                }
                // Along x for each of the 6 rows, then along y for each of the 6 columns.
                for i in 0..<6 {
                    let r = forward(at(i, 0), at(i, 1), at(i, 2), at(i, 3), at(i, 4), at(i, 5))
                    e[i * 6] = r.0; e[i * 6 + 1] = r.1; e[i * 6 + 2] = r.2
                    e[i * 6 + 3] = r.3; e[i * 6 + 4] = r.4; e[i * 6 + 5] = r.5
                }
                let out = t * 36 * channels + group * 8
                @inline(__always) func put(_ xi: Int, _ value: Lane) {
                    store(value, v.base, out + xi * channels, v.type, round: v.rounded)
                }
                for b in 0..<6 {
                    let r = forward(e[b], e[6 + b], e[12 + b], e[18 + b], e[24 + b], e[30 + b])
                    put(b, r.0); put(6 + b, r.1); put(12 + b, r.2)
                    put(18 + b, r.3); put(24 + b, r.4); put(30 + b, r.5)
                }
            }
            }
        }
    }

    /// Y = Aᵀ M A + bias (ReLU) for every output channel of the tiles `first + t`, t in `tiles`, M of tile t at
    /// position ξ, channel c read at element (t·36 + ξ)·Cout + c of `m` (fp32, tile-major).
    static func outputTiles(_ m: UnsafeMutablePointer<Float>, _ grid: TileGrid, first: Int, tiles: Range<Int>,
                            bias: UnsafeMutablePointer<Float>, relu: Bool, round: Bool, into dst: Plane) {
        let pixel = dst.block, line = dst.w * dst.block, channels = dst.channels
        let zero = Lane(), type = dst.type
        withUnsafeTemporaryAllocation(of: Lane.self, capacity: 28) { s in
            let s = s.baseAddress!
            for group in 0..<(channels / 8) {
            for t in tiles {
                let (img, oy, ox) = grid.locate(first + t)
                let rowsInside = min(4, dst.h - oy), colsInside = min(4, dst.w - ox)
                let src = m + t * 36 * channels + group * 8
                @inline(__always) func at(_ xi: Int) -> Lane {
                    UnsafeRawPointer(src + xi * channels).loadUnaligned(as: Lane.self)
                }
                // Along the columns of each of the 6 rows, then along the rows of each of the 4 columns.
                for a in 0..<6 {
                    let r = backward(at(a * 6), at(a * 6 + 1), at(a * 6 + 2), at(a * 6 + 3), at(a * 6 + 4), at(a * 6 + 5))
                    s[a * 4] = r.0; s[a * 4 + 1] = r.1; s[a * 4 + 2] = r.2; s[a * 4 + 3] = r.3
                }
                let b = UnsafeRawPointer(bias + group * 8).loadUnaligned(as: Lane.self)
                let corner = dst.offset(img: img, group: group, y: oy, x: ox)
                for j in 0..<colsInside {
                    let r = backward(s[j], s[4 + j], s[8 + j], s[12 + j], s[16 + j], s[20 + j])
                    s[24] = r.0; s[25] = r.1; s[26] = r.2; s[27] = r.3
                    for i in 0..<rowsInside {
                        var y = s[24 + i] + b
                        if relu { y = y.replacing(with: zero, where: y .< zero) }
                        store(y, dst.base, corner + i * line + j * pixel, type, round: round)
                    }
                }
            }
            }
        }
    }
}
