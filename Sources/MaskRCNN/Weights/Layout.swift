/// The parameter lists of torchvision's R50-FPN detectors (`ModelKind`; names as `state_dict()` of torchvision 0.14
/// lists them, in that order, with shapes, without BatchNorm2d's `num_batches_tracked`); used to check checkpoints
/// and to generate seeded weights.
public enum MaskRCNNLayout {
    /// The parameter list of `kind` (307, 363, 295, 339 and 313 entries).
    public static func parameters(of kind: ModelKind) -> [(name: String, shape: [Int])] {
        switch kind {
        case .maskRCNN: return parameters()
        case .maskRCNNv2: return fasterRCNNv2(numClasses: 91) + maskBranchV2(numClasses: 91)
        case .fasterRCNN: return fasterRCNN(numClasses: 91)
        case .fasterRCNNv2: return fasterRCNNv2(numClasses: 91)
        case .keypointRCNN: return keypointParameters()
        }
    }

    /// ResNet-50 stage widths: (blocks, bottleneck width) for layer1…layer4.
    static let stages = [(3, 64), (4, 128), (6, 256), (3, 512)]

    /// Mask R-CNN: Faster R-CNN with 91 classes plus the mask branch.
    public static func parameters(numClasses: Int = 91) -> [(name: String, shape: [Int])] {
        var p = fasterRCNN(numClasses: numClasses)
        for i in 0..<4 {
            p.append(("roi_heads.mask_head.\(i).0.weight", [256, 256, 3, 3]))
            p.append(("roi_heads.mask_head.\(i).0.bias", [256]))
        }
        p.append(("roi_heads.mask_predictor.conv5_mask.weight", [256, 256, 2, 2]))
        p.append(("roi_heads.mask_predictor.conv5_mask.bias", [256]))
        p.append(("roi_heads.mask_predictor.mask_fcn_logits.weight", [numClasses, 256, 1, 1]))
        p.append(("roi_heads.mask_predictor.mask_fcn_logits.bias", [numClasses]))
        return p
    }

    /// Keypoint R-CNN: Faster R-CNN with 2 classes plus the keypoint branch (8 convs, transposed conv to 17 maps).
    public static func keypointParameters(keypoints: Int = 17) -> [(name: String, shape: [Int])] {
        var p = fasterRCNN(numClasses: 2)
        var inC = 256
        for i in 0..<8 {
            p.append(("roi_heads.keypoint_head.\(i * 2).weight", [512, inC, 3, 3]))
            p.append(("roi_heads.keypoint_head.\(i * 2).bias", [512]))
            inC = 512
        }
        p.append(("roi_heads.keypoint_predictor.kps_score_lowres.weight", [512, keypoints, 4, 4]))
        p.append(("roi_heads.keypoint_predictor.kps_score_lowres.bias", [keypoints]))
        return p
    }

    /// Backbone, FPN, RPN and box branch, shared by both models.
    static func fasterRCNN(numClasses: Int) -> [(name: String, shape: [Int])] {
        var p: [(name: String, shape: [Int])] = []
        func bn(_ name: String, _ c: Int) {
            for s in ["weight", "bias", "running_mean", "running_var"] { p.append(("\(name).\(s)", [c])) }
        }
        func conv(_ name: String, _ o: Int, _ i: Int, _ k: Int, bias: Bool) {
            p.append(("\(name).weight", [o, i, k, k]))
            if bias { p.append(("\(name).bias", [o])) }
        }
        let body = "backbone.body"
        conv("\(body).conv1", 64, 3, 7, bias: false)
        bn("\(body).bn1", 64)
        var inC = 64
        for (li, (blocks, width)) in stages.enumerated() {
            for b in 0..<blocks {
                let n = "\(body).layer\(li + 1).\(b)"
                conv("\(n).conv1", width, inC, 1, bias: false); bn("\(n).bn1", width)
                conv("\(n).conv2", width, width, 3, bias: false); bn("\(n).bn2", width)
                conv("\(n).conv3", width * 4, width, 1, bias: false); bn("\(n).bn3", width * 4)
                if b == 0 { conv("\(n).downsample.0", width * 4, inC, 1, bias: false); bn("\(n).downsample.1", width * 4) }
                inC = width * 4
            }
        }
        for (i, c) in [256, 512, 1024, 2048].enumerated() { conv("backbone.fpn.inner_blocks.\(i).0", 256, c, 1, bias: true) }
        for i in 0..<4 { conv("backbone.fpn.layer_blocks.\(i).0", 256, 256, 3, bias: true) }
        conv("rpn.head.conv.0.0", 256, 256, 3, bias: true)
        conv("rpn.head.cls_logits", 3, 256, 1, bias: true)
        conv("rpn.head.bbox_pred", 12, 256, 1, bias: true)
        p.append(("roi_heads.box_head.fc6.weight", [1024, 256 * 7 * 7])); p.append(("roi_heads.box_head.fc6.bias", [1024]))
        p.append(("roi_heads.box_head.fc7.weight", [1024, 1024])); p.append(("roi_heads.box_head.fc7.bias", [1024]))
        p.append(("roi_heads.box_predictor.cls_score.weight", [numClasses, 1024]))
        p.append(("roi_heads.box_predictor.cls_score.bias", [numClasses]))
        p.append(("roi_heads.box_predictor.bbox_pred.weight", [numClasses * 4, 1024]))
        p.append(("roi_heads.box_predictor.bbox_pred.bias", [numClasses * 4]))
        return p
    }

    /// v2 (`fasterrcnn_resnet50_fpn_v2`): the v1 backbone names, FPN blocks as conv (no bias) + BatchNorm2d, two
    /// RPN convs, FastRCNNConvFCHead (`box_head.0…3` conv + BN, `box_head.5` the FC).
    static func fasterRCNNv2(numClasses: Int) -> [(name: String, shape: [Int])] {
        let v1 = fasterRCNN(numClasses: numClasses)
        var p = v1.filter { $0.name.hasPrefix("backbone.body.") }
        func convNorm(_ name: String, _ o: Int, _ i: Int, _ k: Int) {
            p.append(("\(name).0.weight", [o, i, k, k]))
            for s in ["weight", "bias", "running_mean", "running_var"] { p.append(("\(name).1.\(s)", [o])) }
        }
        for (i, c) in [256, 512, 1024, 2048].enumerated() { convNorm("backbone.fpn.inner_blocks.\(i)", 256, c, 1) }
        for i in 0..<4 { convNorm("backbone.fpn.layer_blocks.\(i)", 256, 256, 3) }
        for i in 0..<2 {
            p.append(("rpn.head.conv.\(i).0.weight", [256, 256, 3, 3]))
            p.append(("rpn.head.conv.\(i).0.bias", [256]))
        }
        p += v1.filter { $0.name.hasPrefix("rpn.head.cls_logits") || $0.name.hasPrefix("rpn.head.bbox_pred") }
        for i in 0..<4 { convNorm("roi_heads.box_head.\(i)", 256, 256, 3) }
        p.append(("roi_heads.box_head.5.weight", [1024, 256 * 7 * 7]))
        p.append(("roi_heads.box_head.5.bias", [1024]))
        p += v1.filter { $0.name.hasPrefix("roi_heads.box_predictor.") }
        return p
    }

    /// v2 mask branch: MaskRCNNHeads with BatchNorm2d (`mask_head.i.0` conv, `mask_head.i.1` BN), the v1 predictor.
    static func maskBranchV2(numClasses: Int) -> [(name: String, shape: [Int])] {
        var p: [(name: String, shape: [Int])] = []
        for i in 0..<4 {
            p.append(("roi_heads.mask_head.\(i).0.weight", [256, 256, 3, 3]))
            for s in ["weight", "bias", "running_mean", "running_var"] { p.append(("roi_heads.mask_head.\(i).1.\(s)", [256])) }
        }
        return p + parameters(numClasses: numClasses).filter { $0.name.hasPrefix("roi_heads.mask_predictor.") }
    }
}
