import Testing
@Test func placeholder_RendererTests() {}
