import CTorchABI
import Foundation
import Testing
import Tensor
import TestSupport

@Suite("Tensor basics")
struct TensorBasicsTests {
    @Test func creationAndReadback() throws {
        let t = try Tensor([1.0, 2, 3, 4, 5, 6] as [Double], shape: [2, 3])
        #expect(t.shape == [2, 3])
        #expect(t.dtype == .float64)
        #expect(t.device == .cpu)
        #expect(try t.doubles() == [1, 2, 3, 4, 5, 6])
        #expect(try Tensor.zeros([2, 2]).floats() == [0, 0, 0, 0])
        #expect(try Tensor.ones([3], dtype: .int64).toArray(Int64.self) == [1, 1, 1])
        #expect(try Tensor.full([2], 2.5, dtype: .float16).floats() == [2.5, 2.5])
        #expect(try Tensor.full([2], 2.5, dtype: .bfloat16).to(.float32).floats() == [2.5, 2.5])
        #expect(try Tensor.arange(0, 5).toArray(Int64.self) == [0, 1, 2, 3, 4])
        #expect(try Tensor.arange(0, 1, step: 0.25, dtype: .float32).floats() == [0, 0.25, 0.5, 0.75])
        #expect(try Tensor.scalar(3).item() == 3)
        #expect(try Tensor([Int32(7)]).itemInt() == 7)
        #expect(try Tensor([true, false]).toArray(Bool.self) == [true, false])
        for d in DType.allCases {
            #expect(try Tensor.ones([2], dtype: d).dtype == d)
        }
    }

    @Test func seededGeneratorsRepeat() throws {
        let a = try Tensor.randn([5], generator: Generator(seed: 42)).floats()
        let b = try Tensor.randn([5], generator: Generator(seed: 42)).floats()
        let c = try Tensor.randn([5], generator: Generator(seed: 43)).floats()
        #expect(a == b)
        #expect(a != c)
        let u = try Tensor.rand([1000], dtype: .float64, generator: Generator(seed: 1)).doubles()
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = u.reduce(0, +) / 1000
        #expect(Swift.abs(mean - 0.5) < 0.05)
    }

    @Test func multinomialFollowsProbabilities() throws {
        let probs = try Tensor([0.0, 0.0, 1.0, 0.0] as [Double], shape: [4])
        let draws = try probs.multinomial(5, replacement: true, generator: Generator(seed: 3)).toArray(Int64.self)
        #expect(draws == [2, 2, 2, 2, 2])
        let p2 = try Tensor([0.25, 0.75] as [Double], shape: [1, 2])
        let s1 = try p2.multinomial(50, replacement: true, generator: Generator(seed: 9)).toArray(Int64.self)
        let s2 = try p2.multinomial(50, replacement: true, generator: Generator(seed: 9)).toArray(Int64.self)
        #expect(s1 == s2)
        let ones = s1.filter { $0 == 1 }.count
        #expect(ones > 25 && ones < 50)
    }

    @Test func opsMatchHandComputedValues() throws {
        let a = try Tensor([1, 2, 3, 4] as [Float], shape: [2, 2])
        let b = try Tensor([5, 6, 7, 8] as [Float], shape: [2, 2])
        #expect(try a.matmul(b).floats() == [19, 22, 43, 50])
        #expect(try (a + b).floats() == [6, 8, 10, 12])
        #expect(try (1.0 - a).floats() == [0, -1, -2, -3])
        #expect(try (a / 2.0).floats() == [0.5, 1, 1.5, 2])
        #expect(try a.sum(dims: [1]).floats() == [3, 7])
        #expect(try a.mean().item() == 2.5)
        #expect(try a.argmax().itemInt() == 3)
        #expect(try a.argmax(dim: 0).toArray(Int64.self) == [1, 1])
        #expect(try a.compare(.gt, 2).toArray(Bool.self) == [false, false, true, true])
        #expect(try a.triu().floats() == [1, 2, 0, 4])
        #expect(try a.cumsum(dim: 1).floats() == [1, 3, 3, 7])
        let (v, i) = try Tensor([3, 1, 2] as [Float]).sort()
        #expect(try v.floats() == [1, 2, 3])
        #expect(try i.toArray(Int64.self) == [1, 2, 0])
        let tk = try Tensor([3, 1, 2, 9] as [Float]).topk(2)
        #expect(try tk.values.floats() == [9, 3])
        #expect(try tk.indices.toArray(Int64.self) == [3, 0])
        #expect(try Tensor.cat([a, b], dim: 1).shape == [2, 4])
        #expect(try Tensor.stack([a, b]).shape == [2, 2, 2])
        #expect(try Tensor.arange(0, 5).split(2).map(\.numel) == [2, 2, 1])
        #expect(try Tensor.arange(0, 6).chunk(3).map(\.numel) == [2, 2, 2])
        let sm = try Tensor([0, 0] as [Float]).softmax(dim: 0).floats()
        #expect(sm == [0.5, 0.5])
    }

    @Test func inPlaceAndViews() throws {
        let a = try Tensor.zeros([2, 3])
        let row = try a.select(dim: 0, index: 1)
        try row.fillInPlace(2)
        #expect(try a.floats() == [0, 0, 0, 2, 2, 2])
        #expect(row.sharesStorage(with: a))
        try a.addInPlace(1)
        try a.mulInPlace(try Tensor.full([3], 2))
        #expect(try a.floats() == [2, 2, 2, 6, 6, 6])
        try a.copyInPlace(from: try Tensor.ones([3]))
        #expect(try a.floats() == [1, 1, 1, 1, 1, 1])
        try a.zeroInPlace()
        #expect(try a.sum().item() == 0)
        #expect(try a.transpose(0, 1).strides == [1, 3])
        #expect(throws: TorchError.self) { try a.transpose(0, 1).view([6]) }
    }

    @Test func zeroCopyKeepsOwnerAlive() throws {
        final class Buffer {
            let pointer: UnsafeMutablePointer<Float>
            nonisolated(unsafe) static var freed = 0
            init(_ values: [Float]) {
                pointer = .allocate(capacity: values.count)
                pointer.initialize(from: values, count: values.count)
            }
            deinit { pointer.deallocate(); Buffer.freed += 1 }
        }
        Buffer.freed = 0
        var t: Tensor? = nil
        do {
            let buf = Buffer([1, 2, 3, 4])
            t = try Tensor(borrowing: buf.pointer, dtype: .float32, shape: [2, 2], owner: buf)
            buf.pointer[0] = 10  // shares memory: no copy was made
        }
        #expect(Buffer.freed == 0)
        #expect(try t!.floats() == [10, 2, 3, 4])
        t = nil
        #expect(Buffer.freed == 1)
    }

    @Test func autogradBasics() throws {
        let x = try Tensor([1, 2, 3] as [Double]).requiresGrad()
        #expect(x.requiresGrad && x.isLeaf)
        let h = try x * x
        try h.retainGrad()
        let y = try h.sum()
        try y.backward()
        #expect(try x.grad()!.doubles() == [2, 4, 6])
        #expect(try h.grad()!.doubles() == [1, 1, 1])
        // Gradients accumulate until cleared.
        try (x * 3.0).sum().backward()
        #expect(try x.grad()!.doubles() == [5, 7, 9])
        try x.setGrad(nil)
        #expect(try x.grad() == nil)
        // Explicit gradient for a non-scalar output.
        let z = try x * 2.0
        try z.backward(gradient: Tensor([1, 0, 1] as [Double]))
        #expect(try x.grad()!.doubles() == [2, 0, 2])
        // Functional grad with create_graph gives second derivatives.
        let w = try Tensor([3.0] as [Double]).requiresGrad()
        let cube = try w.pow(3).sum()
        let g1 = try Torch.grad(outputs: [cube], inputs: [w], createGraph: true)[0]!
        #expect(try g1.item() == 27)
        let g2 = try Torch.grad(outputs: [g1.sum()], inputs: [w])[0]!
        #expect(try g2.item() == 18)
        // Unused inputs.
        let u = try Tensor([1.0] as [Double]).requiresGrad()
        let r = try Torch.grad(outputs: [(w * 2.0).sum()], inputs: [w, u], allowUnused: true)
        #expect(r[1] == nil)
        #expect(throws: TorchError.self) { try Torch.grad(outputs: [(w * 2.0).sum()], inputs: [u]) }
    }

    @Test func noGradScope() throws {
        let x = try Tensor([1.0] as [Double]).requiresGrad()
        let y = try Torch.noGrad { try x * 2.0 }
        #expect(!y.requiresGrad)
        #expect(try Torch.isGradEnabled())
        struct Boom: Error {}
        #expect(throws: Boom.self) { try Torch.noGrad { throw Boom() } }
        #expect(try Torch.isGradEnabled())
        #expect(try (x * 2.0).requiresGrad)
    }

    @Test func descriptionIsOneLine() throws {
        let t = try Tensor([1, 2, 3, 4] as [Float], shape: [2, 2])
        #expect(t.description == "Tensor(float32, [2, 2], cpu) [[1., 2.], [3., 4.]]")
        #expect(try Tensor.zeros([100]).description == "Tensor(float32, [100], cpu)")
        #expect(try Tensor([0.5, -0.25] as [Double]).requiresGrad().description
                == "Tensor(float64, [2], cpu, requires_grad) [0.5, -0.25]")
        #expect(try Tensor([Int64(3)]).description == "Tensor(int64, [1], cpu) [3]")
    }
}

@Suite("Tensor errors")
struct TensorErrorTests {
    func kind(_ body: () throws -> Any) -> TorchError.Kind? {
        do { _ = try body(); return nil } catch let e as TorchError { return e.kind } catch { return nil }
    }
    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "" } catch { return "\(error)" }
    }

    @Test func shapeErrors() throws {
        let a = try Tensor.ones([2, 3]), b = try Tensor.ones([2, 3])
        #expect(kind { try a.matmul(b) } == .shape)
        #expect(message { try a.matmul(b) }.contains("2x3 and 2x3"))
        #expect(kind { try a + Tensor.ones([4]) } == .shape)
        #expect(kind { try a.reshape([5]) } == .shape)
        #expect(kind { try Tensor([1, 2, 3] as [Float], shape: [2, 2]) } == .shape)
        #expect(message { try Tensor([1, 2, 3] as [Float], shape: [2, 2]) } == "tensor: 3 values do not fill shape [2, 2] (4 elements)")
        #expect(kind { try Tensor.zeros([-1]) } == .shape)
        #expect(kind { try a.item() } != nil)
        #expect(message { try a.item() }.contains("6 elements"))
    }

    @Test func dtypeAndDeviceErrors() throws {
        #expect(throws: TorchError(.dtype, "unknown dtype 'float8' (expected one of float32, float16, bfloat16, float64, int64, int32, bool, uint8)")) {
            try DType.parse("float8")
        }
        #expect(throws: TorchError(.device, "unknown device 'tpu' (expected cpu, cuda or cuda:N)")) { try Device.parse("tpu") }
        #expect(try Device.parse("cuda:1") == .cuda(1))
        let ints = try Tensor.ones([3], dtype: .int64)
        #expect(kind { try ints.mean() } == .dtype)
        #expect(kind { try Tensor.randn([2], dtype: .int64) } == .dtype)
        #expect(kind { try Tensor.ones([2]).maskedFill(Tensor.ones([2]), 0) } == .dtype)
        if try Torch.cudaDeviceCount() == 0 {
            #expect(kind { try Tensor.ones([2]).to(.cuda(0)) } == .device)
            #expect(message { try Tensor.zeros([2], device: .cuda(nil)) }.contains("CUDA"))
        }
    }

    @Test func indexAndAutogradErrors() throws {
        let a = try Tensor.ones([2, 3])
        #expect(kind { try a.select(dim: 0, index: 5) } == .index)
        #expect(kind { try a.sum(dims: [3]) } == .index)
        #expect(kind { try a.backward() } == .autograd)
        let x = try Tensor.ones([3], dtype: .float64).requiresGrad()
        #expect(message { try (x * 2.0).backward() }.contains("scalar"))
    }
}

@Suite("Torch backend")
struct BackendTests {
    @Test func buildInfoAndThreads() throws {
        let info = try Torch.buildInfo()
        #expect(info.contains("\"abi\":\(DT_ABI_VERSION)"))
        // Debian's libtorch unless a drop-in backend (e.g. one built against a PyTorch 2 wheel) is chosen.
        let version = ProcessInfo.processInfo.environment["DISCERN_TORCH_BACKEND"] == nil ? "1.13" : ""
        #expect(info.contains("\"libtorch\":\"\(version)"))
        #expect(try !Torch.showConfig().isEmpty)
        try Torch.setNumThreads(2)
        #expect(try Torch.numThreads() == 2)
        if let b = try Torch.blasThreads() { #expect(b == 2) }
        try Torch.setNumThreads(1)
        #expect(try Torch.numThreads() == 1)
        #expect(throws: TorchError.self) { try Torch.setNumThreads(0) }
        #expect(Torch.backendPath?.hasSuffix("libCTorch.so") == true)
    }

    @Test("the caching CPU allocator never hands out a live block and zeroes what it reuses")
    func cachingAllocator() throws {
        // Installed by default ($DISCERN_CPU_CACHE_MB unset in tests); the build info reports its limit.
        #expect(try Torch.buildInfo().contains("\"cpu_cache_mib\":"))
        var live: [(Tensor, Double)] = []
        var x: UInt64 = 99
        for i in 0..<120 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            // 0.25 … 40 MiB of floats, drifting sizes so blocks are reused across size classes.
            let n = 65_536 + Int((x >> 33) % 10_400_000)
            let v = Double(i + 1)
            live.append((try Tensor.full([n], v), v))
            if live.count > 6 { live.remove(at: Int((x >> 20) % UInt64(live.count))) }
            for (t, v) in live {
                #expect(try t.amin().item() == v && t.amax().item() == v, "a live tensor was overwritten")
            }
            if i % 10 == 0 {
                let z = try Tensor.zeros([n])
                #expect(try z.abs().amax().item() == 0)
            }
        }
    }

    @Test func handlesAreFreed() throws {
        // Other tests run in parallel and hold a few tensors of their own, hence the slack.
        let before = try Torch.liveTensors()
        do {
            var keep: [Tensor] = []
            for _ in 0..<10_000 { keep.append(try Tensor.ones([4]) * 2.0) }
            #expect(try Torch.liveTensors() >= before + 9_000)
        }
        #expect(try Torch.liveTensors() < before + 1_000)
    }

    @Test func loaderRejectsWrongABI() throws {
        let dir = try Support.tempDir("abi")
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = dir.appendingPathComponent("fake.c")
        try "int discern_torch_abi_version(void) { return 999; }\n".write(to: src, atomically: true, encoding: .utf8)
        let lib = dir.appendingPathComponent("libCTorch.so")
        let cc = try Support.run(URL(fileURLWithPath: "/usr/bin/env"), ["cc", "-shared", "-fPIC", "-o", lib.path, src.path])
        #expect(cc.status == 0, "cc failed: \(cc.stderr)")
        var err = [CChar](repeating: 0, count: 512)
        #expect(dt_load(lib.path, &err, err.count) == nil)
        let msg = String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #expect(msg.contains("ABI mismatch"))
        #expect(msg.contains("implements ABI 999, this discern needs ABI \(DT_ABI_VERSION)"))
        let missing = dir.appendingPathComponent("none.so").path
        #expect(dt_load(missing, &err, err.count) == nil)
        #expect(String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).contains("cannot open torch backend"))
    }
}
