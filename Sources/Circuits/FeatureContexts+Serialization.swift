// A compact little-endian binary form of a feature-context index (what the store caches).
import Foundation

extension FeatureContexts {
    /// The format's magic bytes and version (`DFCTX` + version 1).
    static let magic: [UInt8] = Array("DFCTX".utf8) + [0, 0, 1]

    /// The index as bytes: magic, sizes, then per layer the top values (float32), locations (int64),
    /// active counts (int64) and activation sums (float64), then the kept texts' token ids (int32) and
    /// the token strings (UTF-8). Everything little-endian; ``init(serialized:)`` reads it back.
    /// - Complexity: O(layers · width · k + kept tokens).
    public func serialized() -> [UInt8] {
        var w = ByteWriter()
        w.bytes(Self.magic)
        w.int(k)
        w.int(textCount)
        w.int(scoredTokenCount)
        w.int(firstTokenIsSpecial ? 1 : 0)
        w.int(layers.count)
        for l in layers {
            w.int(l.width)
            w.array(l.values)
            w.array(l.locations)
            w.array(l.activeCounts)
            w.array(l.activationSums)
        }
        w.int(texts.count)
        for t in texts.keys.sorted() {
            w.int(t)
            w.int(texts[t]!.count)
            w.array(texts[t]!)
        }
        w.int(tokenStrings.count)
        for id in tokenStrings.keys.sorted() {
            w.int(Int(id))
            let utf8 = Array(tokenStrings[id]!.utf8)
            w.int(utf8.count)
            w.bytes(utf8)
        }
        return w.out
    }

    /// Reads an index written by ``serialized()``.
    /// - Throws: `FeatureInterpretationError` when the bytes are not a valid index (wrong magic or
    ///   version, truncated, inconsistent sizes).
    public init(serialized bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        guard try r.bytes(Self.magic.count) == Self.magic else {
            throw FeatureInterpretationError("not a feature-context index of this version (bad magic)", kind: .corruptIndex)
        }
        let k = try r.count()
        guard k >= 1 else { throw FeatureInterpretationError("feature-context index: k is \(k)", kind: .corruptIndex) }
        let textCount = try r.count(), scored = try r.count(), special = try r.count() != 0
        var layers: [Layer] = []
        for _ in 0..<(try r.count()) {
            let width = try r.count()
            layers.append(Layer(width: width, values: try r.array(Float.self, width * k),
                                locations: try r.array(Int64.self, width * k),
                                activeCounts: try r.array(Int64.self, width), activationSums: try r.array(Double.self, width)))
        }
        var texts: [Int: [Int32]] = [:]
        for _ in 0..<(try r.count()) {
            let t = try r.count()
            texts[t] = try r.array(Int32.self, try r.count())
        }
        var strings: [Int32: String] = [:]
        for _ in 0..<(try r.count()) {
            let id = Int32(truncatingIfNeeded: try r.count())
            strings[id] = String(decoding: try r.bytes(try r.count()), as: UTF8.self)
        }
        guard r.atEnd else { throw FeatureInterpretationError("feature-context index: \(r.remaining) trailing bytes", kind: .corruptIndex) }
        self.init(k: k, textCount: textCount, scoredTokenCount: scored, firstTokenIsSpecial: special, layers: layers,
                  texts: texts, tokenStrings: strings)
    }
}

/// Appends little-endian scalars and arrays to a byte buffer.
struct ByteWriter {
    var out: [UInt8] = []

    mutating func bytes(_ b: [UInt8]) { out.append(contentsOf: b) }

    mutating func int(_ v: Int) { array([Int64(v)]) }

    mutating func array<T: FixedWidthScalar>(_ a: [T]) {
        #if _endian(little)
        a.withUnsafeBytes { out.append(contentsOf: $0) }
        #else
        out.reserveCapacity(out.count + a.count * MemoryLayout<T>.size)
        for v in a { withUnsafeBytes(of: v.littleEndianBits) { out.append(contentsOf: $0) } }
        #endif
    }
}

/// Reads what `ByteWriter` wrote, with bounds checks.
struct ByteReader {
    let data: [UInt8]
    var offset = 0

    init(_ data: [UInt8]) { self.data = data }

    var atEnd: Bool { offset == data.count }
    var remaining: Int { data.count - offset }

    mutating func bytes(_ n: Int) throws -> [UInt8] {
        guard n >= 0, n <= remaining else { throw FeatureInterpretationError("feature-context index is truncated", kind: .corruptIndex) }
        defer { offset += n }
        return Array(data[offset..<(offset + n)])
    }

    /// A non-negative count or index.
    mutating func count() throws -> Int {
        let v = try array(Int64.self, 1)[0]
        guard v >= 0, v < Int64(Int32.max) * 4096 else { throw FeatureInterpretationError("feature-context index has a bad size \(v)", kind: .corruptIndex) }
        return Int(v)
    }

    mutating func array<T: FixedWidthScalar>(_ type: T.Type, _ n: Int) throws -> [T] {
        let size = MemoryLayout<T>.size
        guard n >= 0, n <= remaining / size else { throw FeatureInterpretationError("feature-context index is truncated", kind: .corruptIndex) }
        let start = offset
        #if _endian(little)
        let out = [T](unsafeUninitializedCapacity: n) { buf, initialized in
            data.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + n * size)]))
            }
            initialized = n
        }
        #else
        var out: [T] = []
        out.reserveCapacity(n)
        data.withUnsafeBytes { raw in
            for i in 0..<n {
                out.append(T(littleEndianBits: raw.loadUnaligned(fromByteOffset: start + i * size, as: T.Bits.self)))
            }
        }
        #endif
        offset += n * size
        return out
    }
}

/// Scalars stored as their little-endian bit patterns.
protocol FixedWidthScalar {
    associatedtype Bits: FixedWidthInteger
    var littleEndianBits: Bits { get }
    init(littleEndianBits: Bits)
}

extension Int64: FixedWidthScalar {
    var littleEndianBits: Int64 { littleEndian }
    init(littleEndianBits: Int64) { self.init(littleEndian: littleEndianBits) }
}

extension Int32: FixedWidthScalar {
    var littleEndianBits: Int32 { littleEndian }
    init(littleEndianBits: Int32) { self.init(littleEndian: littleEndianBits) }
}

extension Float: FixedWidthScalar {
    var littleEndianBits: UInt32 { bitPattern.littleEndian }
    init(littleEndianBits: UInt32) { self.init(bitPattern: UInt32(littleEndian: littleEndianBits)) }
}

extension Double: FixedWidthScalar {
    var littleEndianBits: UInt64 { bitPattern.littleEndian }
    init(littleEndianBits: UInt64) { self.init(bitPattern: UInt64(littleEndian: littleEndianBits)) }
}
