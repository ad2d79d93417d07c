import Pipeline

/// The `render` stage: draws each record's instances into its image with an `InstanceRenderer`. Confined to its
/// stage thread.
public final class RenderStage: Stage {
    public let renderer: InstanceRenderer

    public init(renderer: InstanceRenderer = InstanceRenderer()) {
        self.renderer = renderer
    }

    public func process(_ batch: inout [FrameRecord]) throws {
        for i in batch.indices {
            renderer.draw(batch[i].instances, on: &batch[i].image)
        }
    }
}
