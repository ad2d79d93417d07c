/// Which library computes, the one name for the libraries everywhere: for a model's convolutions and linear layers
/// (`ComputeEngine.backend`) `openblas` is the exact fp32 reference path (im2col or Winograd F(2×2,3×3) + sgemm),
/// `onednn` oneDNN's direct kernels for every layer, `auto` each layer on the candidate its `KernelPolicy` picks
/// (oneDNN direct or Winograd F(4×4,3×3), fp32 or bf16); for sgemm calls (`GEMM`, `SGEMMKernels`) `auto` is the
/// library the process's self-checked choice names, never itself a library that runs.
public enum ComputeBackend: String, Sendable, CaseIterable {
    case auto, openblas, onednn

    /// "OpenBLAS", "oneDNN" (reports); "auto".
    public var libraryName: String {
        switch self {
        case .auto: return "auto"
        case .openblas: return "OpenBLAS"
        case .onednn: return "oneDNN"
        }
    }
}

/// The layer kinds a model's report groups layers by.
public enum LayerKind: String, Sendable, CaseIterable {
    /// Large kernels (the 7×7 stem).
    case stem
    /// 1×1 convolutions.
    case conv1x1
    /// 3×3 stride-1 convolutions with ≥ 128 input channels.
    case conv3x3Wide
    /// 3×3 stride-1 convolutions with < 128 input channels (ResNet layer1).
    case conv3x3Narrow
    /// Strided 3×3 convolutions (the first block of ResNet layers 2–4).
    case conv3x3Strided
    /// Transposed convolutions (the mask head's 2×2 deconv, the keypoint predictor).
    case deconv
    /// Fully connected layers (box head).
    case linear

    /// The kind of a convolution of this geometry.
    public static func convolution(kernel: Int, stride: Int, inChannels: Int) -> LayerKind {
        kernel >= 5 ? .stem : kernel == 1 ? .conv1x1 : stride > 1 ? .conv3x3Strided : inChannels >= 128 ? .conv3x3Wide : .conv3x3Narrow
    }
}
