/// Winograd F(2×2, 3×3) for 3×3 stride-1 pad-1 convolutions: 16 GEMMs over 4×4 input tiles replace one GEMM over
/// im2col columns, 2.25× fewer multiplies (Lavin & Gray, 2016). Weights are transformed once at load
/// (U = G g Gᵀ, [16, Cout, Cin]); input tiles V = Bᵀ d B and outputs Y = Aᵀ M A are computed per block of tiles.
struct Winograd: Sendable {
    let outChannels: Int
    let inChannels: Int
    /// U[ξ][co][ci] for the 16 tile positions ξ.
    let u: [Float]

    /// Tiles per GEMM block: keeps V and M blocks (16·C·tiles floats each) near the cache.
    static let tileBlock = 768

    /// Bᵀ d B for 8 horizontally adjacent interior tiles at once (lane k = tile k): `p` is the top-left input of
    /// tile 0; row i of tile k reads p[i·w + 2k …]. Stores 16 vectors of 8 at dst + ξ·stride.
    @inline(__always)
    static func inputTransform8(_ p: UnsafePointer<Float>, w: Int, dst: UnsafeMutablePointer<Float>, stride: Int) {
        @inline(__always) func row(_ i: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
            let r = UnsafeRawPointer(p + i * w)
            let a = r.loadUnaligned(as: SIMD16<Float>.self)
            let b = r.loadUnaligned(fromByteOffset: 8, as: SIMD16<Float>.self)
            return (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
        }
        let d0 = row(0), d1 = row(1), d2 = row(2), d3 = row(3)
        @inline(__always) func store(_ i: Int, _ r0: SIMD8<Float>, _ r1: SIMD8<Float>, _ r2: SIMD8<Float>, _ r3: SIMD8<Float>) {
            UnsafeMutableRawPointer(dst + (i * 4 + 0) * stride).storeBytes(of: r0 - r2, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dst + (i * 4 + 1) * stride).storeBytes(of: r1 + r2, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dst + (i * 4 + 2) * stride).storeBytes(of: r2 - r1, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dst + (i * 4 + 3) * stride).storeBytes(of: r1 - r3, as: SIMD8<Float>.self)
        }
        // Rows of Bᵀ d, then each row times B.
        store(0, d0.0 - d2.0, d0.1 - d2.1, d0.2 - d2.2, d0.3 - d2.3)
        store(1, d1.0 + d2.0, d1.1 + d2.1, d1.2 + d2.2, d1.3 + d2.3)
        store(2, d2.0 - d1.0, d2.1 - d1.1, d2.2 - d1.2, d2.3 - d1.3)
        store(3, d1.0 - d3.0, d1.1 - d3.1, d1.2 - d3.2, d1.3 - d3.3)
    }

    /// Aᵀ M A for 8 adjacent interior tiles: reads M[ξ] lanes at m + ξ·stride, writes the two 16-wide output rows
    /// starting at `dst` (row 0) and `dst + w` (row 1).
    @inline(__always)
    static func outputTransform8(_ m: UnsafePointer<Float>, stride: Int, dst: UnsafeMutablePointer<Float>, w: Int) {
        @inline(__always) func load(_ xi: Int) -> SIMD8<Float> { UnsafeRawPointer(m + xi * stride).loadUnaligned(as: SIMD8<Float>.self) }
        @inline(__always) func column(_ j: Int) -> (SIMD8<Float>, SIMD8<Float>) {
            let m0 = load(j), m1 = load(4 + j), m2 = load(8 + j), m3 = load(12 + j)
            return (m0 + m1 + m2, m1 - m2 - m3)
        }
        let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3)
        @inline(__always) func emit(_ s0: SIMD8<Float>, _ s1: SIMD8<Float>, _ s2: SIMD8<Float>, _ s3: SIMD8<Float>,
                                    to out: UnsafeMutablePointer<Float>) {
            let y0 = s0 + s1 + s2, y1 = s1 - s2 - s3
            let row = SIMD16<Float>(y0[0], y1[0], y0[1], y1[1], y0[2], y1[2], y0[3], y1[3],
                                    y0[4], y1[4], y0[5], y1[5], y0[6], y1[6], y0[7], y1[7])
            UnsafeMutableRawPointer(out).storeBytes(of: row, as: SIMD16<Float>.self)
        }
        emit(c0.0, c1.0, c2.0, c3.0, to: dst)
        emit(c0.1, c1.1, c2.1, c3.1, to: dst + w)
    }

    /// Width each map occupies when packed side by side: even, with at least one zero column after it.
    static func packedWidth(_ w: Int) -> Int { (w + 1) / 2 * 2 + 2 }

    /// [N, C, H, W] → [1, C, H, N·packedWidth(W)], each map followed by zero columns.
    static func packSideBySide(_ x: Tensor) -> Tensor {
        let n = x.n, c = x.c, h = x.h, w = x.w, pw = packedWidth(w), total = n * pw
        var out = Tensor(zeros: [1, c, h, total])
        x.data.withUnsafeBufferPointer { xp in
            out.data.withUnsafeMutableBufferPointer { op in
                let src = SharedFloats(UnsafeMutablePointer(mutating: xp.baseAddress!)), dst = SharedFloats(op.baseAddress!)
                Parallel.forEach(c) { ch in
                    for img in 0..<n {
                        for y in 0..<h {
                            (dst.base + (ch * h + y) * total + img * pw).update(from: src.base + ((img * c + ch) * h + y) * w, count: w)
                        }
                    }
                }
            }
        }
        return out
    }

    /// The inverse of `packSideBySide` for an output [1, K, H, N·packedWidth(W)] → `out` [N, K, H, W].
    static func unpackSideBySide(_ y: Tensor, images n: Int, width w: Int, into out: UnsafeMutablePointer<Float>) {
        let k = y.c, h = y.h, total = y.w, pw = packedWidth(w)
        y.data.withUnsafeBufferPointer { yp in
            let src = SharedFloats(UnsafeMutablePointer(mutating: yp.baseAddress!)), dst = SharedFloats(out)
            Parallel.forEach(k) { ch in
                for img in 0..<n {
                    for row in 0..<h {
                        (dst.base + ((img * k + ch) * h + row) * w).update(from: src.base + (ch * h + row) * total + img * pw, count: w)
                    }
                }
            }
        }
    }

    /// Where one 4×4 input tile starts (y0, x0 may be −1 at the top/left border) and whether it lies fully inside.
    struct TileGeometry {
        let image: Int
        let y0: Int
        let x0: Int
        let interior: Bool
    }

    init(weight: [Float], outChannels: Int, inChannels: Int) {
        self.outChannels = outChannels
        self.inChannels = inChannels
        let k = outChannels, c = inChannels
        var u = [Float](repeating: 0, count: 16 * k * c)
        let g: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        for co in 0..<k {
            for ci in 0..<c {
                let w = (0..<9).map { Double(weight[(co * c + ci) * 9 + $0]) }
                // t = G·w (4×3), then U = t·Gᵀ (4×4).
                var t = [[Double]](repeating: [0, 0, 0], count: 4)
                for i in 0..<4 { for j in 0..<3 { t[i][j] = (0..<3).reduce(0) { $0 + g[i][$1] * w[$1 * 3 + j] } } }
                for i in 0..<4 {
                    for j in 0..<4 {
                        let v = (0..<3).reduce(0) { $0 + t[i][$1] * g[j][$1] }
                        u[((i * 4 + j) * k + co) * c + ci] = Float(v)
                    }
                }
            }
        }
        self.u = u
    }

    /// out[N, Cout, H, W] (GEMM result only; the caller's epilogue adds bias/residual/ReLU) for x [N, Cin, H, W].
    func run(_ x: Tensor, into out: UnsafeMutablePointer<Float>, library: ComputeBackend, workspace: Workspace) {
        let n = x.n, h = x.h, w = x.w, c = inChannels, k = outChannels
        let th = (h + 1) / 2, tw = (w + 1) / 2, perImage = th * tw, total = n * perImage
        let block = Winograd.tileBlock
        let vBuf = SharedFloats(workspace.buffer(0, count: 16 * c * block))
        let mBuf = SharedFloats(workspace.buffer(1, count: 16 * k * block))
        let o = SharedFloats(out)
        x.data.withUnsafeBufferPointer { xp in
            let src = SharedFloats(UnsafeMutablePointer(mutating: xp.baseAddress!))
            u.withUnsafeBufferPointer { up in
                var geo = [TileGeometry](repeating: TileGeometry(image: 0, y0: 0, x0: 0, interior: false), count: block)
                var fast = [Bool](repeating: false, count: block)
                var start = 0
                while start < total {
                    let count = min(block, total - start)
                    // Per-tile geometry, shared by every channel: input corner, output corner, interior flag.
                    for t in 0..<count {
                        let tile = start + t, img = tile / perImage, r = tile % perImage
                        let y0 = (r / tw) * 2 - 1, x0 = (r % tw) * 2 - 1
                        geo[t] = TileGeometry(image: img, y0: y0, x0: x0,
                                              interior: y0 >= 0 && x0 >= 0 && y0 + 3 < h && x0 + 3 < w)
                    }
                    // Runs of 8 interior tiles side by side in one tile row take the vector path.
                    for t in 0..<count {
                        let g = geo[t]
                        fast[t] = t + 8 <= count && g.interior && geo[t + 7].interior && geo[t + 7].image == g.image
                            && geo[t + 7].y0 == g.y0 && geo[t + 7].x0 == g.x0 + 14
                    }
                    // V[ξ][ci][t] = Bᵀ d B for each tile t of this block.
                    fast.withUnsafeBufferPointer { fp in
                    geo.withUnsafeBufferPointer { gp in
                    Parallel.forEach(c) { ci in
                        let d = UnsafeMutablePointer<Float>.allocate(capacity: 32)
                        defer { d.deallocate() }
                        let tm = d + 16
                        let stride = c * count
                        var t = 0
                        while t < count {
                            let g = gp[t]
                            let plane = src.base + (g.image * c + ci) * h * w
                            if fp[t] {
                                Winograd.inputTransform8(plane + g.y0 * w + g.x0, w: w, dst: vBuf.base + ci * count + t, stride: stride)
                                t += 8
                                continue
                            }
                            defer { t += 1 }
                            if g.interior {
                                var p = plane + g.y0 * w + g.x0
                                for i in 0..<4 { d[i * 4] = p[0]; d[i * 4 + 1] = p[1]; d[i * 4 + 2] = p[2]; d[i * 4 + 3] = p[3]; p += w }
                            } else {
                                d.update(repeating: 0, count: 16)
                                for i in 0..<4 {
                                    let yy = g.y0 + i
                                    if yy < 0 || yy >= h { continue }
                                    for j in 0..<4 {
                                        let xx = g.x0 + j
                                        if xx >= 0 && xx < w { d[i * 4 + j] = plane[yy * w + xx] }
                                    }
                                }
                            }
                            for j in 0..<4 {
                                tm[j] = d[j] - d[8 + j]
                                tm[4 + j] = d[4 + j] + d[8 + j]
                                tm[8 + j] = d[8 + j] - d[4 + j]
                                tm[12 + j] = d[4 + j] - d[12 + j]
                            }
                            let dst = vBuf.base + ci * count + t
                            for i in 0..<4 {
                                let r0 = tm[i * 4], r1 = tm[i * 4 + 1], r2 = tm[i * 4 + 2], r3 = tm[i * 4 + 3]
                                dst[(i * 4 + 0) * stride] = r0 - r2
                                dst[(i * 4 + 1) * stride] = r1 + r2
                                dst[(i * 4 + 2) * stride] = r2 - r1
                                dst[(i * 4 + 3) * stride] = r1 - r3
                            }
                        }
                    }
                    }
                    }
                    // M[ξ] = U[ξ] · V[ξ]: [Cout × Cin] · [Cin × tiles].
                    for xi in 0..<16 {
                        GEMM.multiply(using: library, m: k, n: count, k: c, a: up.baseAddress! + xi * k * c, lda: c,
                                      transA: false, b: vBuf.base + xi * c * count, ldb: count, transB: false,
                                      c: mBuf.base + xi * k * count, ldc: count, accumulate: false)
                    }
                    // Y = Aᵀ M A, written into the 2×2 output block of each tile.
                    fast.withUnsafeBufferPointer { fp in
                    geo.withUnsafeBufferPointer { gp in
                    Parallel.forEach(k) { co in
                        let s = UnsafeMutablePointer<Float>.allocate(capacity: 8)
                        defer { s.deallocate() }
                        var t = 0
                        while t < count {
                            let g = gp[t], img = g.image, oy = g.y0 + 1, ox = g.x0 + 1
                            if fp[t] {
                                Winograd.outputTransform8(mBuf.base + co * count + t, stride: k * count,
                                                          dst: o.base + (img * k + co) * h * w + oy * w + ox, w: w)
                                t += 8
                                continue
                            }
                            defer { t += 1 }
                            let m = mBuf.base + co * count + t
                            let stride = k * count
                            for j in 0..<4 {
                                let m0 = m[(0 + j) * stride], m1 = m[(4 + j) * stride]
                                let m2 = m[(8 + j) * stride], m3 = m[(12 + j) * stride]
                                s[j] = m0 + m1 + m2
                                s[4 + j] = m1 - m2 - m3
                            }
                            let plane = o.base + (img * k + co) * h * w
                            for i in 0..<2 where oy + i < h {
                                let y0v = s[i * 4] + s[i * 4 + 1] + s[i * 4 + 2]
                                let y1v = s[i * 4 + 1] - s[i * 4 + 2] - s[i * 4 + 3]
                                plane[(oy + i) * w + ox] = y0v
                                if ox + 1 < w { plane[(oy + i) * w + ox + 1] = y1v }
                            }
                        }
                    }
                    }
                    }
                    start += count
                }
            }
        }
    }
}
