import Testing
@Test func placeholder_VideoIOTests() {}
