import Checkpoint

/// Which torchvision R-CNN a state dict holds, told by its tensors (names and shapes), so `--weights FILE` loads
/// the right architecture and a file of another model is named instead of failing on its first tensor.
public enum ModelKind: String, Sendable, CaseIterable {
    case maskRCNN = "maskrcnn_resnet50_fpn"
    case maskRCNNv2 = "maskrcnn_resnet50_fpn_v2"
    case fasterRCNN = "fasterrcnn_resnet50_fpn"
    case fasterRCNNv2 = "fasterrcnn_resnet50_fpn_v2"
    case keypointRCNN = "keypointrcnn_resnet50_fpn"

    /// A person-readable name, e.g. "Keypoint R-CNN R50-FPN".
    public var displayName: String {
        switch self {
        case .maskRCNN: return "Mask R-CNN R50-FPN"
        case .maskRCNNv2: return "Mask R-CNN R50-FPN v2"
        case .fasterRCNN: return "Faster R-CNN R50-FPN"
        case .fasterRCNNv2: return "Faster R-CNN R50-FPN v2"
        case .keypointRCNN: return "Keypoint R-CNN R50-FPN"
        }
    }

    /// True for the architectures this build can run (all of them).
    public var isSupported: Bool { true }

    /// The v2 layout: BatchNorm in backbone, FPN and heads, two RPN convs, conv + FC box head.
    public var isV2: Bool { self == .maskRCNNv2 || self == .fasterRCNNv2 }

    /// True for the Mask R-CNNs (a mask branch).
    public var hasMasks: Bool { self == .maskRCNN || self == .maskRCNNv2 }

    /// torchvision's official COCO checkpoint file of this model (the hash prefix is part of the name).
    public var officialFile: String {
        switch self {
        case .maskRCNN: return "maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth"
        case .maskRCNNv2: return "maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth"
        case .fasterRCNN: return "fasterrcnn_resnet50_fpn_coco-258fb6c6.pth"
        case .fasterRCNNv2: return "fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth"
        case .keypointRCNN: return "keypointrcnn_resnet50_fpn_coco-fc266e95.pth"
        }
    }

    /// Short names every command takes besides torchvision's own (`maskrcnn` for `maskrcnn_resnet50_fpn`, …).
    public var aliases: [String] {
        switch self {
        case .maskRCNN: return ["maskrcnn", "mask_rcnn"]
        case .maskRCNNv2: return ["maskrcnn_v2", "mask_rcnn_v2"]
        case .fasterRCNN: return ["fasterrcnn", "faster_rcnn"]
        case .fasterRCNNv2: return ["fasterrcnn_v2", "faster_rcnn_v2"]
        case .keypointRCNN: return ["keypointrcnn", "keypoint_rcnn"]
        }
    }

    /// The one table of model names for every command (`run`, `detect`, `bench`, `weights`): torchvision's name or
    /// an alias, case-insensitive, `-` read as `_`; nil for anything else.
    public static func named(_ name: String) -> ModelKind? {
        let key = name.lowercased().replacingOccurrences(of: "-", with: "_")
        return allCases.first { $0.rawValue == key || $0.aliases.contains(key) }
    }

    /// Every name `named` takes, for error messages: "maskrcnn_resnet50_fpn (maskrcnn), …".
    public static var namesForHelp: String {
        allCases.map { "\($0.rawValue) (\($0.aliases[0]))" }.joined(separator: ", ")
    }

    /// Recognises the model from the entries only torchvision's builders create (current or 2019 names); nil when
    /// the file is no torchvision R-CNN detector.
    public static func of(_ dict: StateDict) -> ModelKind? {
        let names = Set(dict.names)
        func has(_ prefix: String) -> Bool { names.contains { $0.hasPrefix(prefix) } }
        guard has("backbone.body."), has("rpn.head."), has("roi_heads.box_predictor.") else { return nil }
        if has("roi_heads.keypoint_predictor.") { return .keypointRCNN }
        // v2: FastRCNNConvFCHead (box_head.0.0 = conv + BN) instead of TwoMLPHead (fc6, fc7).
        let v2 = has("roi_heads.box_head.0.0.") || has("roi_heads.box_head.0.1.")
        if has("roi_heads.mask_predictor.") || has("roi_heads.mask_head.") { return v2 ? .maskRCNNv2 : .maskRCNN }
        return v2 ? .fasterRCNNv2 : .fasterRCNN
    }

    /// What a state dict that is no torchvision R-CNN looks like, in a few words for an error message.
    public static func describe(_ dict: StateDict) -> String {
        guard let first = dict.names.first else { return "an empty state dict" }
        let names = Set(dict.names)
        if names.contains("fc.weight"), names.contains("conv1.weight") {
            let classes = dict["fc.weight"]?.shape.first.map { ", \($0) classes" } ?? ""
            return "an image classifier (ResNet-style: conv1 … fc\(classes)), not a detector"
        }
        if names.contains(where: { $0.hasPrefix("backbone.") }) && names.contains(where: { $0.hasPrefix("head.") }) {
            return "a single-stage detector (backbone + head: RetinaNet/FCOS/SSD-style), not an R-CNN"
        }
        return "\(dict.count) tensors starting with '\(first)', not a torchvision R-CNN"
    }
}
