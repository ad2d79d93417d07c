import Tensor

/// Loading helpers that turn checkpoint tensors into ready layers, folding FrozenBatchNorm2d (eps = 0, as
/// torchvision's official checkpoints are evaluated) into the preceding bias-free convolution.
extension WeightSource {
    /// conv `convName` (no bias) followed by FrozenBatchNorm2d `bnName`, folded: w' = w·γ/√σ², b' = β − μ·γ/√σ².
    func convBN(_ convName: String, _ bnName: String, inC: Int, outC: Int, kernel: Int, stride: Int, padding: Int) throws -> Conv2D {
        var w = try tensor(convName + ".weight", [outC, inC, kernel, kernel])
        let gamma = try tensor(bnName + ".weight", [outC])
        let beta = try tensor(bnName + ".bias", [outC])
        let mean = try tensor(bnName + ".running_mean", [outC])
        let variance = try tensor(bnName + ".running_var", [outC])
        var bias = [Float](repeating: 0, count: outC)
        let per = inC * kernel * kernel
        for o in 0..<outC {
            let scale = gamma[o] * (1 / variance[o].squareRoot())
            bias[o] = beta[o] - mean[o] * scale
            for i in 0..<per { w[o * per + i] *= scale }
        }
        return Conv2D(weight: w, bias: bias, outChannels: outC, inChannels: inC, kernel: kernel, stride: stride, padding: padding,
                      engine: engine)
    }

    /// A convolution with its own bias.
    func conv(_ name: String, inC: Int, outC: Int, kernel: Int, stride: Int = 1, padding: Int = 0) throws -> Conv2D {
        Conv2D(weight: try tensor(name + ".weight", [outC, inC, kernel, kernel]),
               bias: try tensor(name + ".bias", [outC]),
               outChannels: outC, inChannels: inC, kernel: kernel, stride: stride, padding: padding, engine: engine)
    }

    /// A fully connected layer.
    func linear(_ name: String, inF: Int, outF: Int) throws -> Linear {
        Linear(weight: try tensor(name + ".weight", [outF, inF]), bias: try tensor(name + ".bias", [outF]),
               inFeatures: inF, outFeatures: outF, engine: engine)
    }
}
