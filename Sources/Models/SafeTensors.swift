// safetensors: strict header parsing, memory-mapped zero-copy loading, writing, sharded checkpoints.
//
// Format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N,
// N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}`,
// then the byte buffer. Offsets are relative to the buffer; tensors must tile it exactly.
import Foundation
import JSON
import Tensor

/// A problem with a safetensors file or checkpoint; the message names the file and what is wrong.
public struct SafeTensorsError: Error, CustomStringConvertible, Sendable {
    /// The file (or index) concerned.
    public let path: String
    /// What is wrong with it.
    public let message: String

    /// Creates an error for `path`.
    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "safetensors file \(path): \(message)" }
}

/// The element types a safetensors header may name.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL
    case F8_E4M3, F8_E5M2

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .F64, .I64, .U64: 8
        case .F32, .I32, .U32: 4
        case .F16, .BF16, .I16, .U16: 2
        case .I8, .U8, .BOOL, .F8_E4M3, .F8_E5M2: 1
        }
    }

    /// The tensor dtype this maps to, or nil when Discern's tensors cannot hold it.
    public var tensorDType: DType? {
        switch self {
        case .F64: .float64
        case .F32: .float32
        case .F16: .float16
        case .BF16: .bfloat16
        case .I64: .int64
        case .I32: .int32
        case .U8: .uint8
        case .BOOL: .bool
        default: nil
        }
    }

    /// The safetensors name for a tensor dtype.
    public init(_ dtype: DType) {
        switch dtype {
        case .float64: self = .F64
        case .float32: self = .F32
        case .float16: self = .F16
        case .bfloat16: self = .BF16
        case .int64: self = .I64
        case .int32: self = .I32
        case .uint8: self = .U8
        case .bool: self = .BOOL
        }
    }
}

/// One entry of a safetensors header.
public struct SafeTensorsEntry: Sendable, Equatable {
    /// Tensor name.
    public let name: String
    /// Element type.
    public let dtype: SafeTensorsDType
    /// Shape (row-major).
    public let shape: [Int]
    /// Byte range [begin, end) relative to the start of the data buffer.
    public let begin: Int
    /// End of the byte range (exclusive).
    public let end: Int
}

/// A parsed and validated safetensors header.
public struct SafeTensorsHeader: Sendable {
    /// Entries in file order (sorted by offset).
    public let entries: [SafeTensorsEntry]
    /// The `__metadata__` map, if any.
    public let metadata: [String: String]
    /// Byte offset of the data buffer from the start of the file (8 + header length).
    public let dataStart: Int

    /// Largest header the parser accepts (as upstream: 100 MB).
    public static let maxHeaderBytes = 100_000_000

    /// Parses and validates the first bytes of a safetensors file.
    ///
    /// Checks: the length prefix fits the file; the header is a JSON object; every entry has a known
    /// dtype, a shape of non-negative integers and `data_offsets` whose length equals
    /// numel × element size; offsets are in bounds, do not overlap and tile the buffer exactly.
    /// - Parameters:
    ///   - bytes: the whole file (or at least its header and, for bound checks, `fileSize`).
    ///   - fileSize: total size of the file in bytes.
    ///   - path: named in errors.
    /// - Throws: `SafeTensorsError` describing the first problem found.
    public static func parse(_ bytes: UnsafeRawBufferPointer, fileSize: Int, path: String) throws -> SafeTensorsHeader {
        guard fileSize >= 8, bytes.count >= 8 else {
            throw SafeTensorsError(path, "file is \(fileSize) bytes, shorter than the 8-byte header length prefix")
        }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(maxHeaderBytes) else {
            throw SafeTensorsError(path, "header length \(n) exceeds the \(maxHeaderBytes)-byte limit (not a safetensors file?)")
        }
        let headerLen = Int(n)
        guard 8 + headerLen <= fileSize, 8 + headerLen <= bytes.count else {
            throw SafeTensorsError(path, "header length \(headerLen) runs past the end of the \(fileSize)-byte file")
        }
        guard headerLen >= 2 else { throw SafeTensorsError(path, "header of \(headerLen) bytes cannot hold a JSON object") }
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes[8..<(8 + headerLen)])
        } catch {
            throw SafeTensorsError(path, "header is not valid JSON (\(error))")
        }
        guard case .object(let object) = json else {
            throw SafeTensorsError(path, "header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var entries: [SafeTensorsEntry] = []
        entries.reserveCapacity(object.count)
        for (name, value) in object.pairs {
            if name == "__metadata__" {
                guard case .object(let m) = value else {
                    throw SafeTensorsError(path, "__metadata__ is not an object of strings")
                }
                for (k, v) in m.pairs {
                    guard case .string(let s) = v else {
                        throw SafeTensorsError(path, "__metadata__[\"\(k)\"] is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            entries.append(try parseEntry(name, value, path: path))
        }
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        let bufferSize = fileSize - 8 - headerLen
        var cursor = 0
        for e in entries {
            if e.begin < cursor {
                throw SafeTensorsError(path, "tensor \"\(e.name)\" bytes [\(e.begin), \(e.end)) overlap the previous tensor (which ends at \(cursor))")
            }
            if e.begin > cursor {
                throw SafeTensorsError(path, "tensor \"\(e.name)\" starts at \(e.begin) but the previous one ends at \(cursor): the buffer has a hole")
            }
            if e.end > bufferSize {
                throw SafeTensorsError(path, "tensor \"\(e.name)\" bytes [\(e.begin), \(e.end)) run past the \(bufferSize)-byte data buffer (truncated file?)")
            }
            cursor = e.end
        }
        if cursor != bufferSize {
            throw SafeTensorsError(path, "tensors cover \(cursor) bytes but the data buffer holds \(bufferSize)")
        }
        return SafeTensorsHeader(entries: entries, metadata: metadata, dataStart: 8 + headerLen)
    }

    private static func parseEntry(_ name: String, _ value: JSONValue, path: String) throws -> SafeTensorsEntry {
        guard case .object(let d) = value else {
            throw SafeTensorsError(path, "entry \"\(name)\" is not an object")
        }
        for key in d.keys where !["dtype", "shape", "data_offsets"].contains(key) {
            throw SafeTensorsError(path, "entry \"\(name)\" has unknown field \"\(key)\"")
        }
        guard let dn = d["dtype"]?.stringValue else {
            throw SafeTensorsError(path, "entry \"\(name)\" has no string \"dtype\"")
        }
        guard let dtype = SafeTensorsDType(rawValue: dn) else {
            let known = SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            throw SafeTensorsError(path, "entry \"\(name)\" has unknown dtype \"\(dn)\" (known: \(known))")
        }
        guard let shapeAny = d["shape"]?.arrayValue else {
            throw SafeTensorsError(path, "entry \"\(name)\" has no \"shape\" list")
        }
        var shape: [Int] = []
        var numel = 1
        for s in shapeAny {
            guard let v = s.intValue, v >= 0 else {
                throw SafeTensorsError(path, "entry \"\(name)\" has a shape element that is not a non-negative integer")
            }
            let (m, overflow) = numel.multipliedReportingOverflow(by: v)
            guard !overflow, m <= 1 << 40 else {
                throw SafeTensorsError(path, "entry \"\(name)\" shape is too large")
            }
            numel = m
            shape.append(v)
        }
        guard let offs = d["data_offsets"]?.arrayValue, offs.count == 2, let b = offs[0].intValue, let e = offs[1].intValue else {
            throw SafeTensorsError(path, "entry \"\(name)\" needs \"data_offsets\": [begin, end] of integers")
        }
        guard b >= 0, e >= b else {
            throw SafeTensorsError(path, "entry \"\(name)\" has invalid data_offsets [\(b), \(e)]")
        }
        let need = numel * dtype.byteSize
        guard e - b == need else {
            throw SafeTensorsError(path, "entry \"\(name)\" shape \(shape) × \(dtype.rawValue) needs \(need) bytes but data_offsets [\(b), \(e)] span \(e - b)")
        }
        return SafeTensorsEntry(name: name, dtype: dtype, shape: shape, begin: b, end: e)
    }
}

/// A read-only memory mapping of a file, unmapped when the last tensor borrowing it is freed
/// (or an in-memory copy of a file's bytes, freed likewise).
package final class MappedFile: @unchecked Sendable {
    package let base: UnsafeMutableRawPointer?
    package let size: Int
    package let path: String
    private let mapped: Bool

    /// Copies `bytes` into memory owned by this object (parsing bytes with the code that reads files).
    /// - Parameter path: named in errors.
    package init(copying bytes: UnsafeRawBufferPointer, path: String) {
        self.path = path
        size = bytes.count
        mapped = false
        if size == 0 {
            base = nil
            return
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        p.copyMemory(from: bytes.baseAddress!, byteCount: size)
        base = p
    }

    package init(path: String) throws {
        self.path = path
        mapped = true
        // stat first: opening a FIFO for reading blocks until a writer appears.
        var pre = stat()
        guard stat(path, &pre) == 0 else { throw SafeTensorsError(path, "cannot open (\(String(cString: strerror(errno))))") }
        guard (pre.st_mode & S_IFMT) == S_IFREG else { throw SafeTensorsError(path, "is not a regular file (\(fileKind(pre.st_mode)))") }
        // O_NONBLOCK as well, in case the path is swapped for a FIFO between stat and open.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw SafeTensorsError(path, "cannot open (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SafeTensorsError(path, "cannot stat (\(String(cString: strerror(errno))))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw SafeTensorsError(path, "is not a regular file (\(fileKind(st.st_mode)))") }
        size = Int(st.st_size)
        if size == 0 {
            base = nil
            return
        }
        // Private, writable mapping: pages are copy-on-write, so an in-place op on a borrowed
        // tensor changes only this process's copy and never faults.
        let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw SafeTensorsError(path, "cannot memory-map (\(String(cString: strerror(errno))))") }
        base = p
    }

    package var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

    deinit {
        guard let base else { return }
        if mapped { munmap(base, size) } else { base.deallocate() }
    }
}

/// An open safetensors file: validated header plus a memory mapping of the data.
public final class SafeTensorsFile: @unchecked Sendable {
    /// The file's path.
    public let path: String
    /// The validated header.
    public let header: SafeTensorsHeader
    private let map: MappedFile
    private let index: [String: Int]

    /// Opens and validates `path` (memory-mapped; nothing is copied).
    /// - Throws: `SafeTensorsError` naming the file and the problem.
    public convenience init(path: String) throws {
        try self.init(map: MappedFile(path: path))
    }

    /// Parses safetensors `bytes` (copied) as if read from `path`, which is named in errors.
    /// - Throws: `SafeTensorsError` describing the problem.
    package convenience init(bytes: [UInt8], path: String) throws {
        try self.init(map: bytes.withUnsafeBytes { MappedFile(copying: $0, path: path) })
    }

    private init(map: MappedFile) throws {
        path = map.path
        self.map = map
        header = try SafeTensorsHeader.parse(map.bytes, fileSize: map.size, path: path)
        var idx: [String: Int] = [:]
        for (i, e) in header.entries.enumerated() { idx[e.name] = i }
        index = idx
    }

    /// Tensor names in file order.
    public var names: [String] { header.entries.map(\.name) }

    /// The header entry for `name`, if present.
    public func entry(_ name: String) -> SafeTensorsEntry? { index[name].map { header.entries[$0] } }

    /// Loads tensor `name`, zero-copy when the data is suitably aligned (else one copy).
    /// - Throws: `SafeTensorsError` when the name is missing or its dtype has no tensor equivalent.
    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entry(name) else { throw SafeTensorsError(path, "has no tensor named \"\(name)\"") }
        guard let dt = e.dtype.tensorDType else {
            throw SafeTensorsError(path, "tensor \"\(name)\" has dtype \(e.dtype.rawValue), which Discern tensors cannot hold (supported: F64, F32, F16, BF16, I64, I32, U8, BOOL)")
        }
        let start = header.dataStart + e.begin
        let count = e.end - e.begin
        if count == 0 { return try Tensor.zeros(e.shape, dtype: dt) }
        let ptr = map.base!.advanced(by: start)
        if Int(bitPattern: ptr) % e.dtype.byteSize == 0 {
            return try Tensor(borrowing: ptr, dtype: dt, shape: e.shape, owner: map)
        }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: ptr, count: count))
        return try Tensor(rawBytes: bytes, dtype: dt, shape: e.shape)
    }

    /// Loads every tensor.
    public func tensors() throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for e in header.entries { out[e.name] = try tensor(e.name) }
        return out
    }
}

/// Writing safetensors files and checkpoints.
public enum SafeTensors {
    /// Serialises `tensors` (moved to CPU, made contiguous) with optional metadata to `path`.
    ///
    /// Tensors are written sorted by name; the header is padded with spaces to a multiple of 8
    /// bytes so every tensor is aligned. Writes to a temporary file and renames it into place.
    /// - Throws: `SafeTensorsError` on I/O failure, `TorchError` when a tensor cannot be read.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String]? = nil, to path: String) throws {
        let names = tensors.keys.sorted()
        var blobs: [[UInt8]] = []
        var header = JSONObject()
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let bytes = try t.to(.cpu).contiguous().rawBytes()
            header[name] = .object(JSONObject([
                ("dtype", .string(SafeTensorsDType(t.dtype).rawValue)),
                ("shape", .array(t.shape.map { .int($0) })),
                ("data_offsets", .array([.int(offset), .int(offset + bytes.count)])),
            ]))
            offset += bytes.count
            blobs.append(bytes)
        }
        if let metadata {
            header["__metadata__"] = .object(JSONObject(metadata.keys.sorted().map { ($0, .string(metadata[$0]!)) }))
        }
        var json = Data(JSONValue.object(header).rendered)
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(json)
        for b in blobs { out.append(contentsOf: b) }
        try writeAtomically(out, to: path)
    }

    /// Writes `data` to a temporary sibling of `path`, then renames it into place.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let tmp = path + ".tmp-\(getpid())"
        do {
            try data.write(to: URL(fileURLWithPath: tmp))
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: tmp, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            throw SafeTensorsError(path, "cannot write (\(error.localizedDescription))")
        }
    }

    /// Saves a checkpoint into `dir`: `model.safetensors`, or shards of at most `maxShardBytes`
    /// named `model-00001-of-0000N.safetensors` plus `model.safetensors.index.json` (HF's layout).
    public static func saveCheckpoint(_ tensors: [String: Tensor], to dir: String, maxShardBytes: Int = 5_000_000_000,
                                      metadata: [String: String] = ["format": "pt"]) throws {
        let names = tensors.keys.sorted()
        var shards: [[String]] = [[]]
        var size = 0
        var total = 0
        for name in names {
            let b = tensors[name]!.numel * tensors[name]!.dtype.byteSize
            total += b
            if size + b > maxShardBytes, !shards[shards.count - 1].isEmpty {
                shards.append([])
                size = 0
            }
            shards[shards.count - 1].append(name)
            size += b
        }
        let fm = FileManager.default
        // Remove stale checkpoint files so a reload cannot mix old shards in.
        if let items = try? fm.contentsOfDirectory(atPath: dir) {
            for f in items where f.hasPrefix("model") && (f.hasSuffix(".safetensors") || f == "model.safetensors.index.json") {
                try? fm.removeItem(atPath: dir + "/" + f)
            }
        }
        if shards.count == 1 {
            try write(tensors, metadata: metadata, to: dir + "/model.safetensors")
            return
        }
        var weightMap: [String: String] = [:]
        for (i, shard) in shards.enumerated() {
            let file = String(format: "model-%05d-of-%05d.safetensors", i + 1, shards.count)
            var part: [String: Tensor] = [:]
            for n in shard { part[n] = tensors[n]; weightMap[n] = file }
            try write(part, metadata: metadata, to: dir + "/" + file)
        }
        let index = JSONValue.object(JSONObject([
            ("metadata", .object(JSONObject([("total_size", .int(total))]))),
            ("weight_map", .object(JSONObject(weightMap.keys.sorted().map { ($0, .string(weightMap[$0]!)) }))),
        ]))
        let data = Data(index.rendered)
        try writeAtomically(data, to: dir + "/model.safetensors.index.json")
    }

    /// Opens every safetensors file of a checkpoint directory: `model.safetensors.index.json`
    /// (sharded) if present, else `model.safetensors`, else all `*.safetensors` files.
    /// - Returns: a map from tensor name to the open file holding it.
    /// - Throws: `SafeTensorsError` for a missing or malformed index, shard or duplicate name.
    public static func openCheckpoint(_ dir: String) throws -> [String: SafeTensorsFile] {
        let fm = FileManager.default
        let indexPath = dir + "/model.safetensors.index.json"
        var out: [String: SafeTensorsFile] = [:]
        if fm.fileExists(atPath: indexPath) {
            guard let data = fm.contents(atPath: indexPath), let obj = try? JSONValue.parse(data), obj.objectValue != nil else {
                throw SafeTensorsError(indexPath, "is not a JSON object")
            }
            guard let wm = obj["weight_map"]?.objectValue else {
                throw SafeTensorsError(indexPath, "has no \"weight_map\" object of name → file")
            }
            var map: [String: String] = [:]
            for (k, v) in wm.pairs {
                guard let f = v.stringValue else { throw SafeTensorsError(indexPath, "weight_map[\"\(k)\"] is not a file name") }
                map[k] = f
            }
            var files: [String: SafeTensorsFile] = [:]
            for file in Set(map.values).sorted() {
                if file.contains("/") || file.hasPrefix(".") {
                    throw SafeTensorsError(indexPath, "weight_map names a file outside the directory: \"\(file)\"")
                }
                let p = dir + "/" + file
                guard fm.fileExists(atPath: p) else {
                    throw SafeTensorsError(indexPath, "weight_map names shard \"\(file)\", which does not exist")
                }
                files[file] = try SafeTensorsFile(path: p)
            }
            for (name, file) in map {
                guard let f = files[file], f.entry(name) != nil else {
                    throw SafeTensorsError(indexPath, "weight_map says \"\(name)\" is in \"\(file)\", but that shard does not contain it")
                }
                out[name] = f
            }
            return out
        }
        var candidates: [String] = []
        if fm.fileExists(atPath: dir + "/model.safetensors") {
            candidates = ["model.safetensors"]
        } else {
            candidates = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".safetensors") }.sorted()
        }
        guard !candidates.isEmpty else {
            throw SafeTensorsError(dir, "directory has no model.safetensors, model.safetensors.index.json or *.safetensors (PyTorch .bin checkpoints are not supported; convert them with safetensors first)")
        }
        for c in candidates {
            let f = try SafeTensorsFile(path: dir + "/" + c)
            for n in f.names {
                if out[n] != nil { throw SafeTensorsError(dir + "/" + c, "tensor \"\(n)\" also appears in another file") }
                out[n] = f
            }
        }
        return out
    }
}

/// What kind of file `mode` describes, for messages ("a directory", "a FIFO", …).
package func fileKind(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFREG: "a regular file"
    case S_IFDIR: "a directory"
    case S_IFIFO: "a FIFO"
    case S_IFSOCK: "a socket"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    default: "not a regular file"
    }
}

/// Throws unless `path` is a regular file (following symlinks); reading a FIFO or device would block
/// or never end. `make` builds the error from a reason.
package func requireRegularFile(_ path: String, _ make: (String) -> any Error) throws {
    var st = stat()
    guard stat(path, &st) == 0 else { throw make("cannot open (\(String(cString: strerror(errno))))") }
    guard (st.st_mode & S_IFMT) == S_IFREG else { throw make("is not a regular file (\(fileKind(st.st_mode)))") }
}
