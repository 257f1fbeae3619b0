import Testing

@Test func placeholderDisplay() { #expect(Bool(true)) }
