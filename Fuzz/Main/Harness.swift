// The libFuzzer callback. DISCERN_FUZZ_TARGET picks the parser (a FuzzTarget raw value).
import Foundation
import FuzzTargets

/// The parser under fuzzing, read from the environment on first use (exits when unset or unknown).
let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["DISCERN_FUZZ_TARGET"] ?? ""
    guard let t = FuzzTarget(rawValue: name) else {
        let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("DiscernFuzz: set DISCERN_FUZZ_TARGET to one of: \(known)\n".utf8))
        exit(2)
    }
    return t
}()

/// With DISCERN_FUZZ_REPORT=1 each rejected input's error is printed (to see why seeds fail).
let reportErrors = ProcessInfo.processInfo.environment["DISCERN_FUZZ_REPORT"] == "1"

/// libFuzzer's per-input entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    do {
        try selectedTarget.run(size == 0 ? [] : [UInt8](UnsafeBufferPointer(start: data, count: size)))
        if reportErrors { FileHandle.standardError.write(Data("accepted\n".utf8)) }
    } catch {
        if reportErrors { FileHandle.standardError.write(Data("rejected: \(error)\n".utf8)) }
    }
    return 0
}
