/// The plugin-facing types (Stage, FrameRecord, Instance, StageRegistry, COCO tables, RLE) live in the separate
/// dynamic `MRCNNPluginAPI` package; everything that imports Pipeline sees them too.
@_exported import MRCNNPluginAPI
