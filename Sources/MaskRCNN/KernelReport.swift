import Tensor

/// Which implementation runs each convolution, transposed convolution and linear layer of a model instance, by
/// torchvision module name (e.g. "backbone.body.layer1.0.conv2" → "oneDNN jit:avx2"), for tests and `--version`-like
/// reports. Read-only; any thread.
public struct KernelReport: Sendable {
    public let layers: [(name: String, implementation: String)]

    /// Distinct implementations with how many layers run each, most used first.
    public var summary: [(implementation: String, layers: Int)] {
        var count: [String: Int] = [:]
        for l in layers { count[l.implementation, default: 0] += 1 }
        return count.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

extension FasterRCNN {
    var kernelLayers: [(name: String, implementation: String)] {
        let body = "backbone.body"
        var out: [(String, String)] = [("\(body).conv1", backbone.stem.implementation)]
        for (li, blocks) in backbone.layers.enumerated() {
            for (bi, b) in blocks.enumerated() {
                let n = "\(body).layer\(li + 1).\(bi)"
                out += [("\(n).conv1", b.conv1.implementation), ("\(n).conv2", b.conv2.implementation),
                        ("\(n).conv3", b.conv3.implementation)]
                if let d = b.downsample { out.append(("\(n).downsample.0", d.implementation)) }
            }
        }
        for (i, c) in fpn.inner.enumerated() { out.append(("backbone.fpn.inner_blocks.\(i)", c.implementation)) }
        for (i, c) in fpn.layer.enumerated() { out.append(("backbone.fpn.layer_blocks.\(i)", c.implementation)) }
        for (i, c) in rpn.convs.enumerated() { out.append(("rpn.head.conv.\(i)", c.implementation)) }
        out += [("rpn.head.cls_logits", rpn.cls.implementation), ("rpn.head.bbox_pred", rpn.bbox.implementation)]
        switch boxHead.features {
        case let .twoMLP(fc6, fc7):
            out += [("roi_heads.box_head.fc6", fc6.implementation), ("roi_heads.box_head.fc7", fc7.implementation)]
        case let .convFC(head):
            for (i, c) in head.convs.enumerated() { out.append(("roi_heads.box_head.\(i)", c.implementation)) }
            out.append(("roi_heads.box_head.fc", head.fc.implementation))
        }
        out += [("roi_heads.box_predictor.cls_score", boxHead.clsScore.implementation),
                ("roi_heads.box_predictor.bbox_pred", boxHead.bboxPred.implementation)]
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
            for (i, c) in maskHead.convs.enumerated() { layers.append(("roi_heads.mask_head.\(i)", c.implementation)) }
            layers += [("roi_heads.mask_predictor.conv5_mask", maskHead.deconv.implementation),
                       ("roi_heads.mask_predictor.mask_fcn_logits", maskHead.logits.implementation)]
        }
        return KernelReport(layers: layers)
    }
}
