import Testing
@Test func placeholder_MaskRCNNTests() {}
