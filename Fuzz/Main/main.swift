// The libFuzzer harness: a target only under DISCERN_FUZZ=1, built with -sanitize=fuzzer,address (Scripts/fuzz).
// SwiftPM links an executable's own entry point as main, so it hands control to libFuzzer's driver
// with the callback of Harness.swift.
import Foundation

/// libFuzzer's driver (FuzzerDriver.cpp), for binaries that bring their own main.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

_ = selectedTarget
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzerTestOneInput(data, size) })
