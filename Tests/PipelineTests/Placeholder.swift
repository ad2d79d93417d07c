import Testing
@Test func placeholder_PipelineTests() {}
