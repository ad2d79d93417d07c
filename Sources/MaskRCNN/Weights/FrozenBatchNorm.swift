import Tensor

/// Loading helpers that turn checkpoint tensors into ready layers, folding batch norm into the preceding bias-free
/// convolution: FrozenBatchNorm2d with eps = 0 (v1: as torchvision evaluates its official 2019 checkpoints) or
/// BatchNorm2d in eval mode with its running statistics and eps = 1e-5 (the v2 models).
extension WeightSource {
    /// conv `convName` (no bias) followed by batch norm `bnName`, folded: w' = w·γ/√(σ²+ε), b' = β − μ·γ/√(σ²+ε).
    func convBN(_ convName: String, _ bnName: String, inC: Int, outC: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                eps: Float = 0, rois: Bool = false, storesFP32: Bool = false) throws -> Conv2D {
        var w = try tensor(convName + ".weight", [outC, inC, kernel, kernel])
        let gamma = try tensor(bnName + ".weight", [outC])
        let beta = try tensor(bnName + ".bias", [outC])
        let mean = try tensor(bnName + ".running_mean", [outC])
        let variance = try tensor(bnName + ".running_var", [outC])
        var bias = [Float](repeating: 0, count: outC)
        let per = inC * kernel * kernel
        for o in 0..<outC {
            let scale = gamma[o] * (1 / (variance[o] + eps).squareRoot())
            bias[o] = beta[o] - mean[o] * scale
            for i in 0..<per { w[o * per + i] *= scale }
        }
        return Conv2D(weight: w, bias: bias, outChannels: outC, inChannels: inC, kernel: kernel, stride: stride, padding: padding,
                      rois: rois, storesFP32: storesFP32, engine: engine, name: convName)
    }

    /// A v2 `Conv2dNormActivation` block `name`: a bias-free conv (`name.0`) and BatchNorm2d (`name.1`, eps 1e-5),
    /// folded; the caller applies the ReLU where the block has one.
    func convNorm(_ name: String, inC: Int, outC: Int, kernel: Int, padding: Int = 0, rois: Bool = false,
                  storesFP32: Bool = false) throws -> Conv2D {
        try convBN(name + ".0", name + ".1", inC: inC, outC: outC, kernel: kernel, padding: padding, eps: BatchNormEps.v2, rois: rois,
                   storesFP32: storesFP32)
    }

    /// A convolution with its own bias (`rois`: run on RoI batches; `decision`: outputs written in fp32 by a direct
    /// kernel; `storesFP32`: outputs stored fp32 in a bf16 chain, see `Conv2D`).
    func conv(_ name: String, inC: Int, outC: Int, kernel: Int, stride: Int = 1, padding: Int = 0, rois: Bool = false,
              decision: Bool = false, storesFP32: Bool = false) throws -> Conv2D {
        Conv2D(weight: try tensor(name + ".weight", [outC, inC, kernel, kernel]),
               bias: try tensor(name + ".bias", [outC]),
               outChannels: outC, inChannels: inC, kernel: kernel, stride: stride, padding: padding, rois: rois,
               decision: decision, storesFP32: storesFP32, engine: engine, name: name)
    }

    /// A fully connected layer (`decision`: its outputs are decisions, never int8).
    func linear(_ name: String, inF: Int, outF: Int, decision: Bool = false) throws -> Linear {
        Linear(weight: try tensor(name + ".weight", [outF, inF]), bias: try tensor(name + ".bias", [outF]),
               inFeatures: inF, outFeatures: outF, engine: engine, name: decision ? "" : name)
    }
}

/// The batch-norm epsilons of torchvision's checkpoints.
enum BatchNormEps {
    /// FrozenBatchNorm2d after `overwrite_eps(model, 0.0)` (the v1 COCO files).
    static let v1: Float = 0
    /// nn.BatchNorm2d's default, which the v2 builders keep.
    static let v2: Float = 1e-5
}
