/// A pipeline stage, confined to one thread like a swift-nio handler to its event loop: the runner builds it
/// (through its factory) on a thread of its own and calls `process` and `finish` only there, so a stage needs no
/// locks and no `Sendable` conformance, and may block (model work) without holding any shared thread.
///
/// `process` receives micro-batches in frame order and may edit the records in place (add instances, fill
/// `features`, draw into `image`) but must keep the batch's count and order. `finish` runs once, after the last batch.
public protocol Stage: AnyObject {
    func process(_ batch: inout [FrameRecord]) throws
    func finish() throws
}

extension Stage {
    /// Default: nothing to flush.
    public func finish() throws {}
}
