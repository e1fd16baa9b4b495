import Testing
@testable import Store

@Suite("Canonical JSON")
struct CanonicalValueTests {
    @Test("nested values sort keys by UTF-8 bytes and omit whitespace")
    func nested() throws {
        let value: CanonicalValue = .object([
            "b": .int(1),
            "é": .string("x"),
            "a": .array([.null, .bool(true), .bool(false), .double(3), .double(0.5), .object([:]), .array([])]),
            "Z": .object(["y": .int(-7), "x": .string("")]),
        ])
        #expect(try value.canonicalJSON()
            == #"{"Z":{"x":"","y":-7},"a":[null,true,false,3.0,0.5,{},[]],"b":1,"é":"x"}"#)
    }

    @Test("strings escape quotes, backslashes and control characters and keep non-ASCII")
    func escaping() throws {
        let s = "q\"b\\n\nt\tr\rb\u{08}f\u{0C}c\u{01}\u{1F}\u{7F}é😀/"
        #expect(try CanonicalValue.string(s).canonicalJSON()
            == "\"q\\\"b\\\\n\\nt\\tr\\rb\\bf\\fc\\u0001\\u001f\u{7F}é😀/\"")
    }

    @Test("numbers print deterministically", arguments: [
        (CanonicalValue.int(3), "3"),
        (.int(Int64.min), "-9223372036854775808"),
        (.double(3), "3.0"),
        (.double(-2), "-2.0"),
        (.double(-0.0), "0.0"),
        (.double(0.1), "0.1"),
        (.double(1e15), "1000000000000000.0"),
        (.double(9_007_199_254_740_991), "9007199254740991.0"),
        (.double(9_007_199_254_740_992), "9007199254740992.0"),
        (.double(1e16), "1e+16"),
        (.double(1e20), "1e+20"),
        (.double(1.5e-7), "1.5e-07"),
    ])
    func numbers(value: CanonicalValue, expected: String) throws {
        #expect(try value.canonicalJSON() == expected)
    }

    @Test("non-finite doubles are a bad_value error", arguments: [Double.nan, .infinity, -.infinity])
    func nonFinite(d: Double) {
        let error = #expect(throws: StoreError.self) {
            try CanonicalValue.object(["k": .array([.double(d)])]).canonicalJSON()
        }
        #expect(error?.code == "bad_value")
    }

    @Test("equal descriptions built in different orders give the same key")
    func keyStability() throws {
        var first: [String: CanonicalValue] = [:]
        for name in ["alpha", "beta", "gamma", "delta", "epsilon"] { first[name] = .string(name) }
        var second: [String: CanonicalValue] = [:]
        for name in ["epsilon", "delta", "gamma", "beta", "alpha"].reversed().reversed() { second[name] = .string(name) }
        let a = CanonicalValue.object(["op": .string("matmul"), "args": .object(first)])
        let b = CanonicalValue.object(["args": .object(second), "op": .string("matmul")])
        let keyA = try Store.key(for: a)
        #expect(keyA == (try Store.key(for: b)))
        #expect(keyA.count == 64)
        #expect(keyA.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(keyA == ContentHash.hex(try a.canonicalJSON()))
    }

    @Test("different values give different keys")
    func keyDistinct() throws {
        let keys = try [
            CanonicalValue.object(["a": .int(1)]),
            .object(["a": .int(2)]),
            .object(["a": .double(1)]),
            .object(["a": .string("1")]),
            .object(["b": .int(1)]),
            .array([.int(1)]),
            .null,
        ].map { try Store.key(for: $0) }
        #expect(Set(keys).count == keys.count)
    }
}
