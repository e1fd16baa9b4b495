import Foundation
import Tensor

/// Shared helpers for Discern's test targets.
public enum Support {
    /// The repository root (found from this file's location).
    public static let repoRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// The directory holding the built products (`discern`, libCTorch.so): the test binary's own.
    public static let buildDir: URL = {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .standardizedFileURL
    }()

    /// A Python with torch and HF transformers (the dev venv made by Scripts/setup, or
    /// $DISCERN_PYTHON), used to check Discern's outputs in HF; nil when there is none.
    public static let devPython: String? = {
        let env = ProcessInfo.processInfo.environment
        let candidates = [env["DISCERN_PYTHON"], repoRoot.appendingPathComponent(".venv-dev/bin/python").path].compactMap { $0 }
        for py in candidates where FileManager.default.isExecutableFile(atPath: py) {
            if let r = try? run(URL(fileURLWithPath: py), ["-c", "import torch, transformers, safetensors"]), r.status == 0 {
                return py
            }
        }
        return nil
    }()

    /// A fresh temporary directory, removed by the caller.
    public static func tempDir(_ tag: String = "discern") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The result of running a process to completion.
    public struct ProcessResult: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs an executable with arguments, environment additions and optional stdin; waits for it.
    public static func run(_ executable: URL, _ args: [String], env: [String: String] = [:], stdin: String? = nil,
                           cwd: URL? = nil) throws -> ProcessResult {
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        if let cwd { p.currentDirectoryURL = cwd }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let inPipe = Pipe()
        p.standardInput = inPipe
        try p.run()
        if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
        try inPipe.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return ProcessResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Max |a - b| over two equally long arrays.
    public static func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "length mismatch \(a.count) vs \(b.count)")
        return zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0
    }
}
