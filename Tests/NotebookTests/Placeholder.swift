import Testing

@Test func placeholderNotebook() { #expect(Bool(true)) }
