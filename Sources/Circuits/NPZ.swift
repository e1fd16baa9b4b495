import CZlib
import Foundation
import Models
import Tensor

/// One array in a numpy `.npz` archive: its name and where its member lies.
public struct NPZEntry: Sendable, Equatable {
    /// Array name (the member name without `.npy`).
    public let name: String
    let method: UInt16
    let dataOffset: Int
    let compressedSize: Int
    let uncompressedSize: Int
}

/// A numpy `.npz` archive (a zip of `.npy` files) read from disk: the file is memory-mapped, the
/// directory is parsed at once, arrays are decoded on demand (a stored, suitably aligned array is
/// borrowed from the mapping without a copy). Members may be stored or deflated (`np.savez`,
/// `np.savez_compressed`); arrays must be little-endian, C order, of a dtype Discern tensors hold.
public final class NPZFile {
    /// The archive's path.
    public let path: String
    /// The arrays, in archive order.
    public let entries: [NPZEntry]
    private let map: MappedFile
    private let data: Data

    /// Opens `path` (memory-mapped) and parses the archive's directory.
    /// - Throws: `TranscoderError` naming the file when it is not a zip, uses an unsupported
    ///   compression, or holds a malformed or unsupported `.npy` member.
    public convenience init(path: String) throws {
        let m: MappedFile
        do { m = try MappedFile(path: path) } catch let e as SafeTensorsError {
            throw TranscoderError(path, e.message)
        }
        try self.init(map: m)
    }

    /// Parses archive `bytes` (copied) as if read from `path`, which is named in errors.
    /// - Throws: `TranscoderError` as `init(path:)`.
    package convenience init(bytes: [UInt8], path: String) throws {
        try self.init(map: bytes.withUnsafeBytes { MappedFile(copying: $0, path: path) })
    }

    private init(map m: MappedFile) throws {
        path = m.path
        map = m
        data = m.base.map { Data(bytesNoCopy: $0, count: m.size, deallocator: .none) } ?? Data()
        entries = try NPZFile.parseDirectory(data, path: path)
    }

    /// The entry for array `name`, if present.
    public func entry(_ name: String) -> NPZEntry? { entries.first { $0.name == name } }

    /// Decodes array `name` into a CPU tensor.
    /// - Throws: `TranscoderError` when the name is missing or the member cannot be decompressed.
    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entry(name) else { throw TranscoderError(path, "has no array named \"\(name)\"") }
        if e.method == 0, let base = map.base {
            guard e.dataOffset + e.compressedSize <= map.size else {
                throw TranscoderError(path, "member \(e.name).npy runs past the end of the file")
            }
            let n = Swift.min(e.compressedSize, 65_536 + 12)
            let head = [UInt8](UnsafeRawBufferPointer(start: base + e.dataOffset, count: n))
            let header = try NPZFile.parseNPY(head, path: path, member: e.name)
            let need = try header.byteCount(path: path, member: e.name)
            guard e.compressedSize - header.dataStart == need else {
                throw TranscoderError(path, "array \"\(name)\" holds \(e.compressedSize - header.dataStart) data bytes, shape \(header.shape) needs \(need)")
            }
            let ptr = base + e.dataOffset + header.dataStart
            if need == 0 { return try Tensor.zeros(header.shape, dtype: header.dtype) }
            if Int(bitPattern: ptr) % header.dtype.byteSize == 0 {
                return try Tensor(borrowing: ptr, dtype: header.dtype, shape: header.shape, owner: map)
            }
            return try Tensor(rawBytes: [UInt8](UnsafeRawBufferPointer(start: ptr, count: need)), dtype: header.dtype, shape: header.shape)
        }
        let member = try memberBytes(e)
        let header = try NPZFile.parseNPY(member, path: path, member: e.name)
        let bytes = [UInt8](member[header.dataStart...])
        let need = try header.byteCount(path: path, member: e.name)
        guard bytes.count == need else {
            throw TranscoderError(path, "array \"\(name)\" holds \(bytes.count) data bytes, shape \(header.shape) needs \(need)")
        }
        return try Tensor(rawBytes: bytes, dtype: header.dtype, shape: header.shape)
    }

    private func memberBytes(_ e: NPZEntry) throws -> [UInt8] {
        guard e.dataOffset + e.compressedSize <= data.count else {
            throw TranscoderError(path, "member \(e.name).npy runs past the end of the file")
        }
        let raw = data.subdata(in: e.dataOffset..<(e.dataOffset + e.compressedSize))
        if e.method == 0 { return [UInt8](raw) }
        var out = [UInt8](repeating: 0, count: e.uncompressedSize)
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TranscoderError(path, "zlib inflateInit failed")
        }
        defer { inflateEnd(&stream) }
        var input = [UInt8](raw)
        let rc: Int32 = input.withUnsafeMutableBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { o in
                stream.next_in = inp.baseAddress
                stream.avail_in = uInt(inp.count)
                stream.next_out = o.baseAddress
                stream.avail_out = uInt(o.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        guard rc == Z_STREAM_END, Int(stream.total_out) == e.uncompressedSize else {
            throw TranscoderError(path, "member \(e.name).npy: deflate data is corrupt (zlib \(rc))")
        }
        return out
    }

    private static func u16(_ d: Data, _ o: Int) -> Int { Int(d[d.startIndex + o]) | Int(d[d.startIndex + o + 1]) << 8 }
    private static func u32(_ d: Data, _ o: Int) -> Int { u16(d, o) | u16(d, o + 2) << 16 }
    private static func u64(_ d: Data, _ o: Int) -> Int { u32(d, o) | u32(d, o + 4) << 32 }

    static func parseDirectory(_ d: Data, path: String) throws -> [NPZEntry] {
        guard d.count >= 22 else { throw TranscoderError(path, "not a zip archive (too short)") }
        var eocd = -1
        var i = d.count - 22
        let lowest = Swift.max(0, d.count - 22 - 65_535)
        while i >= lowest {
            if u32(d, i) == 0x0605_4b50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw TranscoderError(path, "not a zip archive (no end-of-directory record)") }
        var count = u16(d, eocd + 10)
        var cdOffset = u32(d, eocd + 16)
        if cdOffset == 0xFFFF_FFFF || count == 0xFFFF {
            let loc = eocd - 20
            guard loc >= 0, u32(d, loc) == 0x0706_4b50 else { throw TranscoderError(path, "zip64 locator missing") }
            let rec = u64(d, loc + 8)
            guard rec >= 0, rec <= d.count - 56, u32(d, rec) == 0x0606_4b50 else { throw TranscoderError(path, "zip64 end record missing") }
            count = u64(d, rec + 32)
            cdOffset = u64(d, rec + 48)
        }
        // Offsets and counts come from the file: bound them by its size before any arithmetic.
        guard count >= 0, count <= d.count / 46, cdOffset >= 0, cdOffset <= d.count else {
            throw TranscoderError(path, "corrupt zip central directory (\(count) entries at offset \(cdOffset))")
        }
        var out: [NPZEntry] = []
        var p = cdOffset
        for _ in 0..<count {
            guard p <= d.count - 46, u32(d, p) == 0x0201_4b50 else { throw TranscoderError(path, "corrupt zip central directory") }
            let method = UInt16(u16(d, p + 10))
            var csize = u32(d, p + 20)
            var usize = u32(d, p + 24)
            let nameLen = u16(d, p + 28), extraLen = u16(d, p + 30), commentLen = u16(d, p + 32)
            var local = u32(d, p + 42)
            guard p + 46 + nameLen + extraLen <= d.count else { throw TranscoderError(path, "corrupt zip central directory") }
            let nameData = d.subdata(in: (d.startIndex + p + 46)..<(d.startIndex + p + 46 + nameLen))
            let name = String(decoding: nameData, as: UTF8.self)
            var e = p + 46 + nameLen
            let extraEnd = e + extraLen
            while e + 4 <= extraEnd {
                let id = u16(d, e), size = u16(d, e + 2)
                if id == 1 {
                    // The zip64 field holds a 64-bit value for each 32-bit one saturated above; each
                    // must lie inside the field (a short field once read past the end of the file).
                    var q = e + 4
                    let fieldEnd = Swift.min(e + 4 + size, extraEnd)
                    func next() throws -> Int {
                        guard q + 8 <= fieldEnd else { throw TranscoderError(path, "member \(name): truncated zip64 extra field") }
                        defer { q += 8 }
                        return u64(d, q)
                    }
                    if usize == 0xFFFF_FFFF { usize = try next() }
                    if csize == 0xFFFF_FFFF { csize = try next() }
                    if local == 0xFFFF_FFFF { local = try next() }
                }
                e += 4 + size
            }
            p = extraEnd + commentLen
            guard method == 0 || method == 8 else {
                throw TranscoderError(path, "member \(name) uses zip compression method \(method) (supported: stored, deflate)")
            }
            guard local >= 0, local <= d.count - 30, u32(d, local) == 0x0403_4b50 else {
                throw TranscoderError(path, "member \(name): bad local header")
            }
            let dataOffset = local + 30 + u16(d, local + 26) + u16(d, local + 28)
            // Reading a member checks that it lies inside the file; here the size only has to be
            // small enough for that check's arithmetic.
            guard csize >= 0, csize <= Int.max / 2 else {
                throw TranscoderError(path, "member \(name) has an impossible size \(csize)")
            }
            // Deflate expands at most about 1032:1; a larger claimed size is corrupt (and would be
            // allocated before inflating).
            guard method == 0 || (usize >= 0 && usize <= Swift.min(csize, Int.max / 2048) * 1100 + 1024) else {
                throw TranscoderError(path, "member \(name) claims \(usize) bytes uncompressed from \(csize)")
            }
            guard name.hasSuffix(".npy") else { throw TranscoderError(path, "member \(name) is not a .npy file") }
            let arrayName = String(name.dropLast(4))
            out.append(NPZEntry(name: arrayName, method: method, dataOffset: dataOffset,
                                compressedSize: csize, uncompressedSize: usize))
        }
        return out
    }

    struct NPYHeader {
        let dtype: DType
        let shape: [Int]
        let dataStart: Int

        /// The bytes the shape needs, with overflow checked (a crafted shape must not trap).
        func byteCount(path: String, member: String) throws -> Int {
            var n = dtype.byteSize
            for d in shape {
                let (m, overflow) = n.multipliedReportingOverflow(by: d)
                guard !overflow else { throw TranscoderError(path, "member \(member).npy: shape \(shape) is too large") }
                n = m
            }
            return n
        }
    }

    static func parseNPY(_ b: [UInt8], path: String, member: String) throws -> NPYHeader {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard b.count >= 10, Array(b[0..<6]) == magic else { throw TranscoderError(path, "member \(member).npy lacks the NPY magic") }
        let major = b[6]
        let (lenBytes, len): (Int, Int)
        switch major {
        case 1: (lenBytes, len) = (2, Int(b[8]) | Int(b[9]) << 8)
        case 2, 3:
            guard b.count >= 12 else { throw TranscoderError(path, "member \(member).npy truncated") }
            (lenBytes, len) = (4, Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24)
        default: throw TranscoderError(path, "member \(member).npy has NPY version \(major) (supported 1–3)")
        }
        let start = 8 + lenBytes
        guard start + len <= b.count else { throw TranscoderError(path, "member \(member).npy header truncated") }
        let header = String(decoding: b[start..<(start + len)], as: UTF8.self)
        func field(_ key: String) throws -> String {
            guard let r = header.range(of: "'\(key)':") else { throw TranscoderError(path, "member \(member).npy header lacks '\(key)'") }
            return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        let descrRest = try field("descr")
        guard descrRest.first == "'", let close = descrRest.dropFirst().firstIndex(of: "'") else {
            throw TranscoderError(path, "member \(member).npy: unsupported descr")
        }
        let descr = String(descrRest[descrRest.index(after: descrRest.startIndex)..<close])
        let dtypes: [String: DType] = ["<f4": .float32, "<f8": .float64, "<f2": .float16, "<i8": .int64,
                                       "<i4": .int32, "|u1": .uint8, "|b1": .bool]
        guard let dtype = dtypes[descr] else {
            throw TranscoderError(path, "member \(member).npy has dtype \(descr) (supported: \(dtypes.keys.sorted().joined(separator: ", ")))")
        }
        guard try field("fortran_order").hasPrefix("False") else {
            throw TranscoderError(path, "member \(member).npy is Fortran-ordered (only C order is supported)")
        }
        let shapeRest = try field("shape")
        guard shapeRest.first == "(", let end = shapeRest.firstIndex(of: ")") else {
            throw TranscoderError(path, "member \(member).npy: malformed shape")
        }
        let dims = shapeRest[shapeRest.index(after: shapeRest.startIndex)..<end].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = []
        for s in dims {
            guard let v = Int(s.hasSuffix("L") ? String(s.dropLast()) : s), v >= 0 else {
                throw TranscoderError(path, "member \(member).npy: malformed shape")
            }
            shape.append(v)
        }
        return NPYHeader(dtype: dtype, shape: shape, dataStart: start + len)
    }

    /// The shape of array `name` (reads only that member's header; a deflated member is inflated).
    /// - Throws: `TranscoderError` when missing or malformed.
    public func shape(_ name: String) throws -> [Int] {
        guard let e = entry(name) else { throw TranscoderError(path, "has no array named \"\(name)\"") }
        if e.method == 0 {
            guard e.dataOffset + e.compressedSize <= data.count else {
                throw TranscoderError(path, "member \(e.name).npy runs past the end of the file")
            }
            let n = Swift.min(e.compressedSize, 65_536 + 12)
            let head = [UInt8](data.subdata(in: e.dataOffset..<(e.dataOffset + n)))
            return try NPZFile.parseNPY(head, path: path, member: name).shape
        }
        return try NPZFile.parseNPY(try memberBytes(e), path: path, member: name).shape
    }

    /// Writes `arrays` as an uncompressed `.npz` (members `<name>.npy`, NPY 1.0, little-endian, C order).
    /// - Throws: `TranscoderError` for a dtype numpy has no code for here, or when writing fails.
    public static func write(_ arrays: [(String, Tensor)], to path: String) throws {
        var out = Data()
        var central = Data()
        func le16(_ v: Int, _ d: inout Data) { d.append(UInt8(v & 0xFF)); d.append(UInt8((v >> 8) & 0xFF)) }
        func le32(_ v: Int, _ d: inout Data) { le16(v & 0xFFFF, &d); le16((v >> 16) & 0xFFFF, &d) }
        let codes: [DType: String] = [.float32: "<f4", .float64: "<f8", .float16: "<f2", .int64: "<i8",
                                      .int32: "<i4", .uint8: "|u1", .bool: "|b1"]
        for (name, t) in arrays {
            guard let code = codes[t.dtype] else { throw TranscoderError(path, "array \(name): dtype \(t.dtype) has no npy code") }
            let shape = t.shape
            let shapeText = shape.isEmpty ? "()" : shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
            var header = "{'descr': '\(code)', 'fortran_order': False, 'shape': \(shapeText), }"
            let total = 10 + header.utf8.count + 1
            header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
            var member = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
            le16(header.utf8.count, &member)
            member.append(Data(header.utf8))
            member.append(contentsOf: try t.contiguous().to(.cpu).rawBytes())
            guard member.count < 0xFFFF_FFFF, out.count < 0xFFFF_FFFF else {
                throw TranscoderError(path, "array \(name): archives over 4 GiB are not supported for writing")
            }
            let crc = member.withUnsafeBytes { Int(crc32(0, $0.bindMemory(to: Bytef.self).baseAddress, uInt($0.count))) }
            let fname = Data((name + ".npy").utf8)
            let offset = out.count
            le32(0x0403_4b50, &out); le16(20, &out); le16(0, &out); le16(0, &out); le16(0, &out); le16(0x21, &out)
            le32(crc, &out); le32(member.count, &out); le32(member.count, &out); le16(fname.count, &out); le16(0, &out)
            out.append(fname); out.append(member)
            le32(0x0201_4b50, &central); le16(20, &central); le16(20, &central); le16(0, &central); le16(0, &central)
            le16(0, &central); le16(0x21, &central); le32(crc, &central); le32(member.count, &central); le32(member.count, &central)
            le16(fname.count, &central); le16(0, &central); le16(0, &central); le16(0, &central); le16(0, &central)
            le32(0, &central); le32(offset, &central); central.append(fname)
        }
        let cdOffset = out.count
        out.append(central)
        le32(0x0605_4b50, &out); le16(0, &out); le16(0, &out); le16(arrays.count, &out); le16(arrays.count, &out)
        le32(central.count, &out); le32(cdOffset, &out); le16(0, &out)
        do { try out.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw TranscoderError(path, "cannot write: \(error.localizedDescription)")
        }
    }
}
