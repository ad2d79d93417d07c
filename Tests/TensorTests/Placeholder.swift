import Testing
@Test func placeholder_TensorTests() {}
