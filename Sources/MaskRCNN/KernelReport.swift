import Tensor

/// Which implementation runs each convolution, transposed convolution and linear layer of a model instance, by
/// torchvision module name (e.g. "backbone.body.layer1.0.conv2" → "oneDNN brgconv:avx512_core_bf16", bf16 direct),
/// for tests, `bench` and `--version`-like reports. Layers whose kernel is measured at first use read "not chosen
/// yet" until the model has run. Read-only; any thread.
public struct KernelReport: Sendable {
    /// One layer: its name, implementation, and (for convolutions) the measured choice and shape class.
    public struct Layer: Sendable {
        public let name: String
        public let implementation: String
        public let choice: KernelChoice?
        public let shapeClass: String?

        static func conv(_ name: String, _ c: Conv2D) -> Layer {
            Layer(name: name, implementation: c.implementation, choice: c.choice, shapeClass: c.shapeClass)
        }

        static func other(_ name: String, _ implementation: String) -> Layer {
            Layer(name: name, implementation: implementation, choice: nil, shapeClass: nil)
        }
    }

    public let layers: [Layer]

    /// Distinct implementations with how many layers run each, most used first.
    public var summary: [(implementation: String, layers: Int)] {
        var count: [String: Int] = [:]
        for l in layers { count[l.implementation, default: 0] += 1 }
        return count.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Distinct choices (fp32 direct, bf16 Winograd, …) with how many convolutions run each.
    public var choices: [(choice: String, layers: Int)] {
        var count: [String: Int] = [:]
        for l in layers { if let c = l.choice { count[c.description, default: 0] += 1 } }
        return count.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

extension FasterRCNN {
    var kernelLayers: [KernelReport.Layer] {
        let body = "backbone.body"
        var out: [KernelReport.Layer] = [.conv("\(body).conv1", backbone.stem)]
        for (li, blocks) in backbone.layers.enumerated() {
            for (bi, b) in blocks.enumerated() {
                let n = "\(body).layer\(li + 1).\(bi)"
                out += [.conv("\(n).conv1", b.conv1), .conv("\(n).conv2", b.conv2), .conv("\(n).conv3", b.conv3)]
                if let d = b.downsample { out.append(.conv("\(n).downsample.0", d)) }
            }
        }
        for (i, c) in fpn.inner.enumerated() { out.append(.conv("backbone.fpn.inner_blocks.\(i)", c)) }
        for (i, c) in fpn.layer.enumerated() { out.append(.conv("backbone.fpn.layer_blocks.\(i)", c)) }
        for (i, c) in rpn.convs.enumerated() { out.append(.conv("rpn.head.conv.\(i)", c)) }
        out.append(.conv("rpn.head.cls_logits+bbox_pred", rpn.head))
        switch boxHead.features {
        case let .twoMLP(fc6, fc7):
            out += [.other("roi_heads.box_head.fc6", fc6.implementation), .other("roi_heads.box_head.fc7", fc7.implementation)]
        case let .convFC(head):
            for (i, c) in head.convs.enumerated() { out.append(.conv("roi_heads.box_head.\(i)", c)) }
            out.append(.other("roi_heads.box_head.fc", head.fc.implementation))
        }
        out += [.other("roi_heads.box_predictor.cls_score", boxHead.clsScore.implementation),
                .other("roi_heads.box_predictor.bbox_pred", boxHead.bboxPred.implementation)]
        return out
    }

    /// The implementation of every layer of the shared Faster R-CNN part.
    public var kernels: KernelReport { KernelReport(layers: kernelLayers) }
}

extension MaskRCNN {
    /// The implementation of every layer, the mask head's included.
    public var kernels: KernelReport {
        var layers = detector.kernelLayers
        if let maskHead {
            for (i, c) in maskHead.convs.enumerated() { layers.append(.conv("roi_heads.mask_head.\(i)", c)) }
            layers += [.other("roi_heads.mask_predictor.conv5_mask", maskHead.deconv.implementation),
                       .other("roi_heads.mask_predictor.mask_fcn_logits", maskHead.logits.implementation)]
        }
        return KernelReport(layers: layers)
    }
}

extension KeypointRCNN {
    /// The implementation of every layer, the keypoint head's included.
    public var kernels: KernelReport {
        var layers = detector.kernelLayers
        for (i, c) in keypointHead.convs.enumerated() { layers.append(.conv("roi_heads.keypoint_head.\(i * 2)", c)) }
        layers.append(.other("roi_heads.keypoint_predictor.kps_score_lowres", keypointHead.deconv.implementation))
        return KernelReport(layers: layers)
    }
}
