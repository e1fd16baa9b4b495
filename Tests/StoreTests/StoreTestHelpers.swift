import Foundation
@testable import Store

/// Runs `body` with a fresh, uniquely named temporary directory and removes it afterwards.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("storetests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

/// Runs `body` with a store opened in a fresh temporary directory.
func withStore<T>(_ body: (Store, URL) throws -> T) throws -> T {
    try withTemporaryDirectory { dir in
        let store = try Store(path: dir.appendingPathComponent("store.sqlite").path)
        return try body(store, dir)
    }
}

/// An error thrown by test bodies to force a rollback.
struct Boom: Error, Equatable {}
