import Tensor

/// An 8-bit RGB image as decoded (packed RGB24, row-major, stride width·3).
public struct RGBInput: Sendable {
    public let width: Int
    public let height: Int
    public let pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGB24 buffer size")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// One image after GeneralizedRCNNTransform: normalised, resized, zero-padded [1, 3, H, W] plus the sizes needed to map back.
public struct TransformedImage: Sendable {
    public let tensor: Tensor
    public let originalSize: (h: Int, w: Int)
    public let resizedSize: (h: Int, w: Int)
}

/// torchvision's GeneralizedRCNNTransform for inference: x/255, (x − mean)/std, bilinear resize so the short
/// side is `minSize` unless the long side would exceed `maxSize`, pad to a multiple of 32.
public struct ImageTransform: Sendable {
    public var minSize: Int = 800
    public var maxSize: Int = 1333
    public let mean: [Float] = [0.485, 0.456, 0.406]
    public let std: [Float] = [0.229, 0.224, 0.225]
    public let sizeDivisible = 32

    public init(minSize: Int = 800, maxSize: Int = 1333) {
        self.minSize = minSize
        self.maxSize = maxSize
    }

    /// The resized size as torchvision 0.14 computes it: `scale = min(min_size / short, max_size / long)` on
    /// float32 tensors, where a Python float over a tensor is `tensor.reciprocal() * float` (two float32
    /// roundings), then F.interpolate with recompute_scale_factor=True takes floor(side · scale) in double.
    /// A 424×640 photo becomes 799×1207, not 800. Checked against torchvision on 17,860 sizes (resize_table.json).
    public func resizedSize(h: Int, w: Int) -> (h: Int, w: Int) {
        let short = (1 / Float(min(h, w))) * Float(minSize), long = (1 / Float(max(h, w))) * Float(maxSize)
        let scale = Double(min(short, long))
        return (Int((Double(h) * scale).rounded(.down)), Int((Double(w) * scale).rounded(.down)))
    }

    /// A resized size padded up to multiples of `sizeDivisible` (the batch's size in torchvision).
    public func paddedSize(h: Int, w: Int) -> (h: Int, w: Int) {
        ((h + sizeDivisible - 1) / sizeDivisible * sizeDivisible, (w + sizeDivisible - 1) / sizeDivisible * sizeDivisible)
    }

    public func callAsFunction(_ image: RGBInput) -> TransformedImage {
        let h = image.height, w = image.width
        let normalised = image.pixels.withUnsafeBufferPointer { px in
            Tensor(shape: [1, 3, h, w]) { o in
                for c in 0..<3 {
                    let m = mean[c], s = std[c]
                    for i in 0..<(h * w) { o[c * h * w + i] = (Float(px[i * 3 + c]) / 255 - m) / s }
                }
            }
        }
        let (rh, rw) = resizedSize(h: h, w: w)
        let resized = Resample.bilinear(normalised, h: rh, w: rw)
        let (ph, pw) = paddedSize(h: rh, w: rw)
        var padded = Tensor(zeros: [1, 3, ph, pw])
        resized.data.withUnsafeBufferPointer { src in
            padded.data.withUnsafeMutableBufferPointer { dst in
                for c in 0..<3 {
                    for y in 0..<rh {
                        (dst.baseAddress! + (c * ph + y) * pw).update(from: src.baseAddress! + (c * rh + y) * rw, count: rw)
                    }
                }
            }
        }
        return TransformedImage(tensor: padded, originalSize: (h, w), resizedSize: (rh, rw))
    }
}
