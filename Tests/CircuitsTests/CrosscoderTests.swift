@testable import Circuits
import Foundation
import JSON
import Models
import Tensor
import Testing
import TestSupport

private let fixtureDir = Support.repoRoot.appendingPathComponent("Tests/Fixtures/crosscoder").path

/// The reference written by Scripts/dev/make_crosscoder_fixture.py (plain PyTorch, same data and initial weights).
private struct Reference {
    let json: JSONObject
    init() throws {
        let data = try #require(FileManager.default.contents(atPath: fixtureDir + "/reference.json"))
        guard case .object(let o) = try JSONValue.parse([UInt8](data)) else { throw TrainingError(.data, "reference.json") }
        json = o
    }
    func numbers(_ key: String) -> [Double] { json[key]?.arrayValue?.compactMap(\.doubleValue) ?? [] }
    func number(_ key: String) -> Double { json[key]?.doubleValue ?? .nan }
    func config(_ key: String) -> Double { (json["config"].flatMap { if case .object(let c) = $0 { c[key]?.doubleValue } else { nil } }) ?? .nan }
}

@Suite("Crosscoder")
struct CrosscoderTests {
    private func fixture() throws -> (file: SafeTensorsFile, ref: Reference, config: CrosscoderConfig) {
        let file = try SafeTensorsFile(path: fixtureDir + "/data.safetensors")
        let ref = try Reference()
        var c = CrosscoderConfig(layer: 0)
        c.width = Int(ref.config("width"))
        c.k = Int(ref.config("k"))
        c.batchSize = Int(ref.config("batch"))
        c.steps = Int(ref.config("steps"))
        c.lr = ref.config("lr")
        c.thresholdStart = Int(ref.config("threshold_start"))
        c.thresholdBeta = ref.config("threshold_beta")
        c.shuffle = false
        return (file, ref, c)
    }

    private func initial(_ f: SafeTensorsFile) throws -> [String: Tensor] {
        try Dictionary(uniqueKeysWithValues: ["W_enc", "b_enc", "W_dec", "b_dec"].map { ($0, try f.tensor($0)) })
    }

    /// Same data, same initial weights, same batches: the loss curve, the threshold, the relative decoder norms
    /// and the Latent Scaling ratios match PyTorch's.
    @Test func matchesThePyTorchReference() throws {
        let (f, ref, c) = try fixture()
        let r = try CrosscoderTrainer.train(base: try f.tensor("base"), model: try f.tensor("model"), config: c,
                                            initial: try initial(f), latentSample: 1 << 20)
        let want = ref.numbers("loss")
        #expect(r.loss.count == want.count)
        // Step for step early on (float32 sums in another order only), and close all along.
        for i in 0..<20 { #expect(abs(r.loss[i] - want[i]) <= 1e-4 * Swift.max(1, want[i]), "step \(i): \(r.loss[i]) vs \(want[i])") }
        let maxRel = zip(r.loss, want).map { abs($0 - $1) / Swift.max($1, 1e-3) }.max() ?? 0
        #expect(maxRel < 1e-4, "largest relative loss difference \(maxRel)")
        print("crosscoder parity: largest relative loss difference \(maxRel), final loss \(r.loss.last!) vs \(want.last!) (PyTorch)")
        #expect(abs(r.loss.last! - want.last!) < 0.05 * want.last! + 1e-4)
        #expect(r.l0.allSatisfy { $0 == ref.config("k") })
        let scales = ref.numbers("scales")
        #expect(abs(r.crosscoder.scales[0] - scales[0]) < 1e-5 * scales[0])
        #expect(abs(r.crosscoder.threshold - ref.number("threshold")) < 0.05 * ref.number("threshold") + 1e-3)
        #expect(abs(r.fvuBase - ref.number("fvu_base")) < 0.002)
        #expect(abs(r.fvuModel - ref.number("fvu_model")) < 0.002)
        let rel = ref.numbers("relative_norm")
        var kinds: [String: Int] = [:], wantKinds: [String: Int] = [:]
        for (j, l) in r.latents.enumerated() {
            #expect(abs(l.relativeNorm - rel[j]) < 0.03, "latent \(j): relative norm \(l.relativeNorm) vs \(rel[j])")
            kinds[l.kind, default: 0] += 1
            let k = rel[j] < 0.1 ? "model_only" : (rel[j] > 0.9 ? "base_only" : (abs(rel[j] - 0.5) < 0.1 ? "shared" : "other"))
            wantKinds[k, default: 0] += 1
        }
        #expect(kinds == wantKinds)
        #expect((kinds["model_only"] ?? 0) >= 2 && (kinds["base_only"] ?? 0) >= 2, "\(kinds)")
        // Latent Scaling: the betas of active latents, and ν ≈ 0 for the model-only latents.
        let (eb, em) = (ref.numbers("beta_error_base"), ref.numbers("beta_error_model"))
        let (rb, rm) = (ref.numbers("beta_recon_base"), ref.numbers("beta_recon_model"))
        let active: [Bool] = (ref.json["active"]?.arrayValue ?? []).map { v -> Bool in
            if case .bool(let b) = v { return b }
            return false
        }
        for (j, l) in r.latents.enumerated() where active[j] && l.frequency > 0.01 {
            for (got, exp) in [(l.betaErrorBase, eb[j]), (l.betaErrorModel, em[j]), (l.betaReconBase, rb[j]), (l.betaReconModel, rm[j])] {
                #expect(abs(got - exp) < 0.05 * Swift.max(1, abs(exp)), "latent \(j): beta \(got) vs \(exp)")
            }
        }
        for l in r.latents where l.kind == "model_only" && l.frequency > 0.01 {
            #expect(abs(l.nuError) < 0.2, "model-only latent \(l.index): nu_error \(l.nuError)")
        }
    }

    /// A run stopped after a checkpoint and started again ends bit-identical to an uninterrupted one.
    @Test func resumesBitIdentically() throws {
        let (f, _, c0) = try fixture()
        var c = c0
        c.steps = 40
        c.shuffle = true
        let xb = try f.tensor("base"), xm = try f.tensor("model")
        let full = try CrosscoderTrainer.train(base: xb, model: xm, config: c)
        let dir = try Support.tempDir("crosscoder-ckpt").path
        #expect(throws: CrosscoderInterrupted.self) {
            _ = try CrosscoderTrainer.train(base: xb, model: xm, config: c, checkpointDir: dir, checkpointEvery: 10) { step, _ in step < 25 }
        }
        let resumed = try CrosscoderTrainer.train(base: xb, model: xm, config: c, checkpointDir: dir, checkpointEvery: 10)
        #expect(resumed.resumedFrom == 25)
        #expect(resumed.loss == full.loss)
        #expect(try resumed.crosscoder.wDec.rawBytes() == full.crosscoder.wDec.rawBytes())
        // Another configuration refuses the checkpoint.
        var other = c
        other.k = 3
        #expect(throws: TrainingError.self) { _ = try CrosscoderTrainer.train(base: xb, model: xm, config: other, checkpointDir: dir) }
    }

    @Test func savesAndLoads() throws {
        let (f, _, c0) = try fixture()
        var c = c0
        c.steps = 5
        let r = try CrosscoderTrainer.train(base: try f.tensor("base"), model: try f.tensor("model"), config: c)
        let dir = try Support.tempDir("crosscoder-save").path
        try r.crosscoder.save(to: dir)
        let back = try Crosscoder(contentsOf: dir)
        #expect(try back.wEnc.rawBytes() == r.crosscoder.wEnc.rawBytes())
        #expect(back.scales == r.crosscoder.scales && back.threshold == r.crosscoder.threshold && back.hook == "hook_resid_post")
        #expect(throws: TranscoderError.self) { _ = try Crosscoder(contentsOf: dir + "/nope") }
    }

    @Test func rejectsBadOptionsAndData() throws {
        let (f, _, c0) = try fixture()
        var c = c0
        c.k = 0
        #expect(throws: TrainingError.self) { _ = try CrosscoderTrainer.train(base: try f.tensor("base"), model: try f.tensor("model"), config: c) }
        #expect(throws: TrainingError.self) {
            _ = try CrosscoderTrainer.train(base: try f.tensor("base"), model: try f.tensor("model").narrow(dim: 0, start: 0, length: 5), config: c0)
        }
    }
}
