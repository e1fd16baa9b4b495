import Testing
import Tensor

/// The backend turns every C++ exception into a `TorchError` whose kind comes from the c10
/// exception type first (IndexError → index, TypeError → dtype, ValueError and LinAlgError →
/// value, NotImplementedError of a dispatch → dtype) and only then from distinctive message text.
@Suite("Backend error kinds")
struct ErrorKindTests {
    func error(_ body: () throws -> Any) -> TorchError? {
        do { _ = try body(); return nil } catch { return error as? TorchError }
    }

    @Test("size and stride with an out-of-range dim throw an index error")
    func sizeAndStrideCheckTheirDim() throws {
        let a = try Tensor.ones([2, 3])
        #expect(try a.size(0) == 2 && a.size(1) == 3 && a.size(-1) == 3 && a.size(-2) == 2)
        #expect(try a.stride(0) == 3 && a.stride(1) == 1 && a.stride(-1) == 1)
        let e = error { try a.size(5) }
        #expect(e?.kind == .index)
        #expect(e?.message == "Dimension out of range (expected to be in range of [-2, 1], but got 5)")
        #expect(error { try a.size(-3) }?.kind == .index)
        #expect(error { try a.stride(2) }?.kind == .index)
        #expect(error { try a.stride(-3) }?.kind == .index)
        let scalar = try Tensor.scalar(1)
        #expect(scalar.shape == [] && scalar.strides == [] && scalar.ndim == 0 && scalar.numel == 1)
        #expect(error { try scalar.size(0) }?.kind == .index)
        // A view reports its own strides; the metadata accessors all still answer.
        let t = try a.transpose(0, 1)
        #expect(t.shape == [3, 2] && t.strides == [1, 3] && t.sharesStorage(with: a) && t.dtype == .float32)
    }

    @Test("indexing out of range is an index error")
    func indexErrors() throws {
        let a = try Tensor.ones([2, 3])
        #expect(error { try a.select(dim: 0, index: 10) }?.kind == .index)
        #expect(error { try a.gather(dim: 1, index: Tensor.full([2, 1], 9, dtype: .int64)) }?.kind == .index)
        #expect(error { try Tensor.embedding(Tensor.ones([4, 2]), Tensor.full([1], 9, dtype: .int64)) }?.kind == .index)
        #expect(error { try a.topk(9) }?.kind == .index)
        #expect(error { try a.transpose(0, 4) }?.kind == .index)
        // A plain c10::Error ("INDICES element is out of DATA bounds"): classified by its text.
        #expect(error { try a.indexSelect(dim: 1, index: Tensor.full([1], 7, dtype: .int64)) }?.kind == .index)
    }

    @Test("ops on incompatible or unsupported dtypes are dtype errors")
    func dtypeErrors() throws {
        let a = try Tensor.ones([2, 3])
        #expect(error { try a.matmul(Tensor.ones([3, 2], dtype: .float64)) }?.kind == .dtype)
        #expect(error { try Tensor.ones([1, 2, 3]).bmm(Tensor.ones([1, 3, 2], dtype: .float64)) }?.kind == .dtype)
        // c10::NotImplementedError from AT_DISPATCH: no float16 matmul or softmax over int64 on the CPU.
        let half = error { try Tensor.ones([2, 3], dtype: .float16).matmul(Tensor.ones([3, 2], dtype: .float16)) }
        #expect(half?.kind == .dtype && half?.message.contains("not implemented for 'Half'") == true)
        #expect(error { try Tensor.ones([3], dtype: .int64).softmax(dim: 0) }?.kind == .dtype)
        let ints = try Tensor.ones([2], dtype: .int64)
        #expect(error { try ints.addInPlace(Tensor.ones([2]) * 0.5) }?.kind == .dtype)
        #expect(error { try Tensor.ones([2], dtype: .bool) - Tensor.ones([2], dtype: .bool) }?.kind == .dtype)
        #expect(error { try a.indexSelect(dim: 1, index: Tensor.zeros([1])) }?.kind == .dtype)
        #expect(error { try a.maskedFill(Tensor.ones([2, 3]), 0) }?.kind == .dtype)
    }

    @Test("mismatched shapes are shape errors, also where the message names a tensor type")
    func shapeErrors() throws {
        let a = try Tensor.ones([2, 3])
        #expect(error { try a + Tensor.ones([4]) }?.kind == .shape)
        #expect(error { try a.matmul(a) }?.kind == .shape)
        #expect(error { try Tensor.cat([a, Tensor.ones([3, 2])], dim: 0) }?.kind == .shape)
        #expect(error { try a.transpose(0, 1).view([6]) }?.kind == .shape)
        #expect(error { try a.layerNorm([4]) }?.kind == .shape)
        #expect(error { try a.bmm(Tensor.ones([3, 2])) }?.kind == .shape)
        // "expand(CPUFloatType{[2, 3]}, size=[4]): the number of sizes provided …": naming the
        // tensor's type (and "Float") does not make it a dtype error.
        let e = error { try a.expand([4]) }
        #expect(e?.kind == .shape && e?.message.contains("FloatType") == true)
    }

    @Test("bad values are value errors")
    func valueErrors() throws {
        let a = try Tensor.ones([2, 3])
        #expect(error { try Tensor.arange(0, 1, step: 0) }?.kind == .value)
        #expect(error { try a.slice(dim: 0, step: 0) }?.kind == .value)
        #expect(error { try a.split(0) }?.kind == .value)
        // c10::LinAlgError.
        #expect(error { try Tensor.full([3, 3], .nan, dtype: .float64).svd() }?.kind == .value)
        #expect(error { try Tensor.full([3], -1).multinomial(1) }?.kind == .value)
    }
}
