import Foundation
import Synchronization
import MaskRCNN
import Pipeline
import Tensor

/// Serialises the model's heavy work across stages: each stage's GEMMs already use every core through OpenBLAS,
/// so letting the detector and the mask head run at once only oversubscribes the cores. Each stage waits on its
/// own thread, so waiting here holds no shared thread.
final class ComputeGate: Sendable {
    private let lock = Mutex(())
    func run<T>(_ body: () throws -> T) rethrows -> T {
        try lock.withLock { _ in try body() }
    }
}
