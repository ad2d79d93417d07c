/// The per-tile transforms of `WinogradF4`, 8 channels per SIMD vector: Bᵀ d B on a 6×6 input tile (zeros outside
/// the map: the convolution's padding) and Aᵀ M A + bias (ReLU) onto the tile's 4×4 output pixels inside the map.
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

    /// V for every channel of the tiles `first + t`, t in `tiles`: tile t's value at position ξ, channel c is
    /// written at `dst + (t·36 + ξ)·channels + c`. Channel group by channel group, so the reads run along map rows.
    static func inputTiles(_ src: UnsafeMutablePointer<Float>, _ g: Geometry, channels: Int, first: Int, tiles: Range<Int>,
                           into v: UnsafeMutablePointer<Float>) {
        let pixel = g.block, line = g.w * g.block, stride = channels
        withUnsafeTemporaryAllocation(of: Lane.self, capacity: 36) { e in
            let e = e.baseAddress!
            for group in 0..<(channels / 8) {
            for t in tiles {
                let tile = first + t, img = tile / g.perImage, r = tile % g.perImage
                let y0 = (r / g.tilesPerRow) * 4 - 1, x0 = (r % g.tilesPerRow) * 4 - 1
                var rows = 0, cols = 0
                for i in 0..<6 {
                    if y0 + i >= 0 && y0 + i < g.h { rows |= 1 << i }
                    if x0 + i >= 0 && x0 + i < g.w { cols |= 1 << i }
                }
                let dst = v + t * 36 * channels
                let corner = g.offset(img: img, channels: channels, group: group, y: 0, x: 0) + y0 * line + x0 * pixel
                @inline(__always) func load(_ i: Int, _ j: Int) -> Lane {
                    guard rows & (1 << i) != 0 && cols & (1 << j) != 0 else { return Lane() }
                    return UnsafeRawPointer(src + corner + i * line + j * pixel).loadUnaligned(as: Lane.self)
                }
                // Along x for each of the 6 rows, then along y for each of the 6 columns.
                for i in 0..<6 {
                    let t = forward(load(i, 0), load(i, 1), load(i, 2), load(i, 3), load(i, 4), load(i, 5))
                    e[i * 6] = t.0; e[i * 6 + 1] = t.1; e[i * 6 + 2] = t.2
                    e[i * 6 + 3] = t.3; e[i * 6 + 4] = t.4; e[i * 6 + 5] = t.5
                }
                let out = dst + group * 8
                @inline(__always) func store(_ xi: Int, _ value: Lane) {
                    UnsafeMutableRawPointer(out + xi * stride).storeBytes(of: value, as: Lane.self)
                }
                for b in 0..<6 {
                    let t = forward(e[b], e[6 + b], e[12 + b], e[18 + b], e[24 + b], e[30 + b])
                    store(b, t.0); store(6 + b, t.1); store(12 + b, t.2)
                    store(18 + b, t.3); store(24 + b, t.4); store(30 + b, t.5)
                }
            }
            }
        }
    }

    /// Y = Aᵀ M A + bias (ReLU) for every output channel of the tiles `first + t`, t in `tiles`, M of tile t at
    /// position ξ, channel c read at `m + (t·36 + ξ)·channels + c`.
    static func outputTiles(_ m: UnsafeMutablePointer<Float>, _ g: Geometry, channels: Int, first: Int, tiles: Range<Int>,
                            bias: UnsafeMutablePointer<Float>, relu: Bool, into dst: UnsafeMutablePointer<Float>) {
        let pixel = g.block, line = g.w * g.block, stride = channels
        let zero = Lane()
        withUnsafeTemporaryAllocation(of: Lane.self, capacity: 28) { s in
            let s = s.baseAddress!
            for group in 0..<(channels / 8) {
            for t in tiles {
                let tile = first + t, img = tile / g.perImage, r = tile % g.perImage
                let oy = (r / g.tilesPerRow) * 4, ox = (r % g.tilesPerRow) * 4
                let rowsInside = min(4, g.h - oy), colsInside = min(4, g.w - ox)
                let src = m + t * 36 * channels + group * 8
                @inline(__always) func load(_ xi: Int) -> Lane {
                    UnsafeRawPointer(src + xi * stride).loadUnaligned(as: Lane.self)
                }
                // Along the columns of each of the 6 rows, then along the rows of each of the 4 columns.
                for a in 0..<6 {
                    let t = backward(load(a * 6), load(a * 6 + 1), load(a * 6 + 2), load(a * 6 + 3), load(a * 6 + 4),
                                     load(a * 6 + 5))
                    s[a * 4] = t.0; s[a * 4 + 1] = t.1; s[a * 4 + 2] = t.2; s[a * 4 + 3] = t.3
                }
                let b = UnsafeRawPointer(bias + group * 8).loadUnaligned(as: Lane.self)
                let corner = g.offset(img: img, channels: channels, group: group, y: oy, x: ox)
                for j in 0..<colsInside {
                    let t = backward(s[j], s[4 + j], s[8 + j], s[12 + j], s[16 + j], s[20 + j])
                    s[24] = t.0; s[25] = t.1; s[26] = t.2; s[27] = t.3
                    for i in 0..<rowsInside {
                        var y = s[24 + i] + b
                        if relu { y = y.replacing(with: zero, where: y .< zero) }
                        UnsafeMutableRawPointer(dst + corner + i * line + j * pixel).storeBytes(of: y, as: Lane.self)
                    }
                }
            }
            }
        }
    }
}
