import Foundation
import Testing
import Models
import Tensor
import TestSupport

@Suite("safetensors")
struct SafeTensorsTests {
    /// Builds a file from a raw header string and a data buffer.
    static func file(header: String, data: [UInt8] = [], lengthOverride: UInt64? = nil) -> Data {
        var d = Data()
        var n = (lengthOverride ?? UInt64(header.utf8.count)).littleEndian
        withUnsafeBytes(of: &n) { d.append(contentsOf: $0) }
        d.append(Data(header.utf8))
        d.append(contentsOf: data)
        return d
    }

    static func expectError(_ data: Data, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let dir = try Support.tempDir("st")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("x.safetensors").path
        try data.write(to: URL(fileURLWithPath: path))
        do {
            _ = try SafeTensorsFile(path: path)
            Issue.record("expected an error containing \"\(fragment)\"", sourceLocation: sourceLocation)
        } catch let e as SafeTensorsError {
            #expect(e.description.contains(path), sourceLocation: sourceLocation)
            #expect(e.description.contains(fragment), "\(e.description)", sourceLocation: sourceLocation)
        }
    }

    @Test func roundTripAllDtypes() throws {
        let dir = try Support.tempDir("st")
        defer { try? FileManager.default.removeItem(at: dir) }
        var tensors: [String: Tensor] = [:]
        let base = try Tensor([1.5, -2.25, 3.0, 0.125, 7, -8] as [Double], shape: [2, 3])
        for dt in [DType.float32, .float64, .float16, .bfloat16, .int64, .int32, .uint8, .bool] {
            tensors["t.\(dt.rawValue)"] = try base.abs().to(dt)
        }
        tensors["empty"] = try Tensor.zeros([0, 4])
        tensors["scalar"] = try Tensor.scalar(3.5)
        let path = dir.appendingPathComponent("a.safetensors").path
        try SafeTensors.write(tensors, metadata: ["format": "pt", "note": "ü"], to: path)
        let f = try SafeTensorsFile(path: path)
        #expect(f.header.metadata["note"] == "ü")
        #expect(f.header.dataStart % 8 == 0)
        for (name, t) in tensors {
            let r = try f.tensor(name)
            #expect(r.dtype == t.dtype && r.shape == t.shape, "\(name)")
            #expect(try r.rawBytes() == t.rawBytes(), "\(name)")
        }
    }

    @Test func readsFilesWrittenByHF() throws {
        let path = Support.repoRoot.appendingPathComponent("Tests/Fixtures/models/gpt2/model.safetensors").path
        let f = try SafeTensorsFile(path: path)
        #expect(f.names.contains("transformer.wte.weight"))
        let w = try f.tensor("transformer.wte.weight")
        #expect(w.dtype == .float32 && w.shape[1] == 64)
    }

    @Test func shardedCheckpoint() throws {
        let dir = try Support.tempDir("st")
        defer { try? FileManager.default.removeItem(at: dir) }
        var tensors: [String: Tensor] = [:]
        for i in 0..<5 { tensors["w\(i)"] = try Tensor.full([16, 16], Double(i)) }
        try SafeTensors.saveCheckpoint(tensors, to: dir.path, maxShardBytes: 2 * 16 * 16 * 4)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(files.contains("model.safetensors.index.json"))
        #expect(files.contains("model-00001-of-00003.safetensors"))
        let opened = try SafeTensors.openCheckpoint(dir.path)
        #expect(opened.count == 5)
        for i in 0..<5 { #expect(try opened["w\(i)"]!.tensor("w\(i)").amax().item() == Double(i)) }
        // An index naming a missing shard is a clear error.
        try FileManager.default.removeItem(atPath: dir.appendingPathComponent("model-00002-of-00003.safetensors").path)
        #expect(throws: SafeTensorsError.self) { try SafeTensors.openCheckpoint(dir.path) }
    }

    @Test func malformedHeaders() throws {
        let ok = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        try Self.expectError(Data([1, 2, 3]), "shorter than the 8-byte")
        try Self.expectError(Self.file(header: ok, data: [UInt8](repeating: 0, count: 8), lengthOverride: 1 << 40), "exceeds")
        try Self.expectError(Self.file(header: ok, data: [], lengthOverride: 500), "runs past the end")
        try Self.expectError(Self.file(header: "{not json", data: []), "not valid JSON")
        try Self.expectError(Self.file(header: "[1,2]", data: []), "not a JSON object")
        try Self.expectError(Self.file(header: #"{"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)), "unknown dtype \"F33\"")
        try Self.expectError(Self.file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)), "needs 12 bytes")
        try Self.expectError(Self.file(header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)), "non-negative integer")
        try Self.expectError(Self.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 4)), "run past")
        try Self.expectError(Self.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: [UInt8](repeating: 0, count: 12)), "overlap")
        try Self.expectError(Self.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: [UInt8](repeating: 0, count: 12)), "hole")
        try Self.expectError(Self.file(header: ok, data: [UInt8](repeating: 0, count: 12)), "buffer holds 12")
        try Self.expectError(Self.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}"#, data: [UInt8](repeating: 0, count: 8)), "unknown field")
        try Self.expectError(Self.file(header: #"{"__metadata__":{"k":1}}"#, data: []), "not a string")
        try Self.expectError(Self.file(header: #"{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)), "non-negative integer")
    }

    @Test func unsupportedDtypeLoadsWithClearError() throws {
        let dir = try Support.tempDir("st")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("i8.safetensors").path
        try Self.file(header: #"{"a":{"dtype":"I8","shape":[4],"data_offsets":[0,4]}}"#, data: [1, 2, 3, 4]).write(to: URL(fileURLWithPath: path))
        let f = try SafeTensorsFile(path: path)
        #expect { try f.tensor("a") } throws: { e in "\(e)".contains("I8") }
        #expect { try f.tensor("nope") } throws: { e in "\(e)".contains("no tensor named \"nope\"") }
    }

    /// Thousands of mutated headers: every one either parses or throws; none crashes.
    @Test func fuzzHeaderParser() throws {
        let seeds = [
            #"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[16,24]},"__metadata__":{"format":"pt"}}"#,
            #"{"x":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}"#,
            #"{}"#,
        ]
        var g = Xorshift(seed: 12345)
        var parsed = 0, rejected = 0
        let alphabet = Array(#"{}[]":,0123456789-.eE"abcdefFIU tnrul\"#.utf8)
        for iter in 0..<4000 {
            var bytes = Array(seeds[iter % seeds.count].utf8)
            let edits = 1 + Int(g.next() % 6)
            for _ in 0..<edits {
                let op = g.next() % 5
                let pos = bytes.isEmpty ? 0 : Int(g.next() % UInt64(bytes.count))
                switch op {
                case 0 where !bytes.isEmpty: bytes[pos] = alphabet[Int(g.next() % UInt64(alphabet.count))]
                case 1: bytes.insert(alphabet[Int(g.next() % UInt64(alphabet.count))], at: pos)
                case 2 where !bytes.isEmpty: bytes.remove(at: pos)
                case 3 where !bytes.isEmpty: bytes[pos] = UInt8(truncatingIfNeeded: g.next())
                default:
                    let digits = Array(String(Int64(bitPattern: g.next()) >> Int(g.next() % 60)).utf8)
                    bytes.insert(contentsOf: digits, at: pos)
                }
            }
            let dataLen = Int(g.next() % 40)
            var file = Data()
            var n = UInt64(bytes.count).littleEndian
            if g.next() % 20 == 0 { n = g.next() }  // a corrupt length prefix now and then
            withUnsafeBytes(of: &n) { file.append(contentsOf: $0) }
            file.append(contentsOf: bytes)
            file.append(contentsOf: [UInt8](repeating: 7, count: dataLen))
            do {
                _ = try file.withUnsafeBytes { try SafeTensorsHeader.parse($0, fileSize: file.count, path: "fuzz") }
                parsed += 1
            } catch is SafeTensorsError {
                rejected += 1
            }
        }
        #expect(parsed + rejected == 4000)
        #expect(rejected > 1000)
    }
}

/// A tiny deterministic generator for fuzzing.
struct Xorshift {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
