import COpenBLAS

/// Process-wide allocator settings for large tensors; call once at start-up, before the model runs.
public enum MemoryTuning {
    /// Keeps freed feature maps in the heap instead of returning them to the kernel (glibc otherwise mmaps every
    /// allocation over 128 KiB and unmaps it on free, so each layer's output page-faults afresh).
    public static func keepLargeAllocations() {
        mrcnn_keep_large_allocations()
    }
}
