/// The arithmetic a model stage computes a frame with, by name: `fp32`, `bf16`, `bf16-emulated`, `int8` (a stage may know
/// more). A plugin-facing value — model stages map it to their engine's own precision type and treat a name they
/// do not know as their own precision. `ExpressibleByStringLiteral` for tests and listings.
public struct ModelPrecision: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let name: String

    public init(_ name: String) { self.name = name }
    public init(stringLiteral name: String) { self.name = name }

    /// Full-precision float (torchvision parity).
    public static let fp32 = ModelPrecision("fp32")
    /// bfloat16 products with fp32 accumulation, on bf16 matrix units.
    public static let bf16 = ModelPrecision("bf16")
    /// bf16 rounding computed with fp32 kernels (the numbers of bf16 on any CPU).
    public static let bf16Emulated = ModelPrecision("bf16-emulated")
    /// int8 convolutions with calibrated scales.
    public static let int8 = ModelPrecision("int8")

    public var description: String { name }
}
