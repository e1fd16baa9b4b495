import ArgumentParser
import Foundation
import Store

/// `discern store`: look after the store file (statistics, garbage collection).
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Inspect the store and evict old cache entries.",
        discussion: """
            The store ($DISCERN_HOME/store.sqlite, or ./.discern/store.sqlite) caches embeddings, graphs and other \
            artifacts, and records runs. It grows with every run: `discern store stats` shows what it holds, \
            `discern store gc` evicts cache entries by age and size. Run records and entries whose kind starts with \
            "run" are never evicted.
            """,
        subcommands: [StoreStatsCommand.self, StoreGCCommand.self]
    )
}

/// Opens the store at `path` (default: the one the rest of the CLI uses), which must exist.
func openExistingStore(_ path: String?, command: String) throws -> Store {
    let p = path ?? Store.defaultPath()
    guard FileManager.default.fileExists(atPath: p) else {
        eprint("discern store \(command): no store at \(p)" + (path == nil ? " (nothing cached yet; set DISCERN_HOME or pass --path)" : ""))
        throw ScriptFailure(status: 1)
    }
    do {
        return try Store(path: p)
    } catch {
        eprint("discern store \(command): \(error)")
        throw ScriptFailure(status: 1)
    }
}

/// Local time, to the minute.
func formatDate(_ d: Date) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.dateFormat = "yyyy-MM-dd HH:mm"
    return f.string(from: d)
}

/// Left-aligns the first column and right-aligns the others.
func table(_ rows: [[String]]) -> String {
    guard let n = rows.first?.count else { return "" }
    let widths = (0..<n).map { c in rows.map { $0[c].count }.max() ?? 0 }
    return rows.map { r in
        r.enumerated().map { c, cell in
            let pad = String(repeating: " ", count: widths[c] - cell.count)
            return c == 0 ? cell + pad : pad + cell
        }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }.joined(separator: "\n")
}

/// A JSON text for `value` (objects with sorted keys).
func jsonText(_ value: Any) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

struct StoreStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show cache entries and sizes per kind, the file size and the number of runs.")

    @Option(name: .long, help: "The store file (default: $DISCERN_HOME/store.sqlite or ./.discern/store.sqlite).")
    var path: String?

    @Flag(name: .long, help: "Print JSON instead of a table (sizes in bytes, times in seconds since 1970).")
    var json = false

    func run() throws {
        let store = try openExistingStore(path, command: "stats")
        let s: StoreStats
        do { s = try store.stats() } catch {
            eprint("discern store stats: \(error)")
            throw ScriptFailure(status: 1)
        }
        if json {
            let kinds: [[String: Any]] = s.kinds.map {
                ["kind": $0.kind, "entries": $0.entries, "bytes": $0.bytes, "oldest": $0.oldest.timeIntervalSince1970,
                 "newest": $0.newest.timeIntervalSince1970, "least_recently_accessed": $0.leastRecentlyAccessed.timeIntervalSince1970]
            }
            print(try jsonText([
                "path": s.path, "kinds": kinds, "entries": s.entries, "bytes": s.bytes, "file_bytes": s.fileBytes,
                "page_size": s.pageSize, "free_pages": s.freePages, "runs": s.runs,
            ] as [String: Any]))
            return
        }
        print("store: \(s.path)")
        var rows = [["kind", "entries", "size", "oldest", "newest"]]
        for k in s.kinds {
            rows.append([k.kind, "\(k.entries)", StoreUnits.formatBytes(k.bytes), formatDate(k.oldest), formatDate(k.newest)])
        }
        rows.append([
            "total", "\(s.entries)", StoreUnits.formatBytes(s.bytes),
            s.kinds.map(\.oldest).min().map(formatDate) ?? "-", s.kinds.map(\.newest).max().map(formatDate) ?? "-",
        ])
        print(table(rows))
        print("file: \(StoreUnits.formatBytes(s.fileBytes)) (\(s.freePages) free pages, "
            + "\(StoreUnits.formatBytes(s.freePages * s.pageSize)) reclaimable); runs: \(s.runs)")
    }
}

struct StoreGCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Evict cache entries by age and size, then compact the file.",
        discussion: """
            Entries not read or written for --older-than go first; then, while the cache is larger than --max-size, \
            the least recently used ones (access times are kept to within a minute). Run records and entries whose \
            kind starts with "run" are never evicted. Without --dry-run the file is compacted (VACUUM) afterwards.
            """)

    @Option(name: .long, help: ArgumentHelp("Evict entries not accessed for this long.", valueName: "30m|12h|7d|2w"))
    var olderThan: String?

    @Option(name: .long, help: ArgumentHelp("Then evict least recently used entries until the cache fits.", valueName: "500K|200M|10G"))
    var maxSize: String?

    @Flag(name: .long, help: "Report what would be evicted; change nothing.")
    var dryRun = false

    @Option(name: .long, help: "The store file (default: $DISCERN_HOME/store.sqlite or ./.discern/store.sqlite).")
    var path: String?

    func validate() throws {
        if let olderThan {
            do { _ = try StoreUnits.duration(olderThan) } catch let e as StoreError {
                throw ValidationError("--older-than: \(e.message)")
            }
        }
        if let maxSize {
            do { _ = try StoreUnits.size(maxSize) } catch let e as StoreError {
                throw ValidationError("--max-size: \(e.message)")
            }
        }
    }

    func run() throws {
        let age = try olderThan.map(StoreUnits.duration)
        let size = try maxSize.map(StoreUnits.size)
        let store = try openExistingStore(path, command: "gc")
        let r: GCReport
        do { r = try store.gc(olderThan: age, maxSize: size, dryRun: dryRun) } catch {
            eprint("discern store gc: \(error)")
            throw ScriptFailure(status: 1)
        }
        let verb = r.dryRun ? "would evict" : "evicted"
        print("\(verb) \(r.entries) entries, \(StoreUnits.formatBytes(r.bytes))" + (r.kinds.isEmpty ? "" : ":"))
        if !r.kinds.isEmpty {
            print(table([["  kind", "entries", "size"]] + r.kinds.map { ["  " + $0.kind, "\($0.entries)", StoreUnits.formatBytes($0.bytes)] }))
        }
        print("cache: \(StoreUnits.formatBytes(r.remainingBytes)) \(r.dryRun ? "would remain" : "remains")")
        if r.dryRun {
            print("file: \(StoreUnits.formatBytes(r.fileBytesBefore)) (dry run: unchanged)")
        } else {
            print("file: \(StoreUnits.formatBytes(r.fileBytesBefore)) -> \(StoreUnits.formatBytes(r.fileBytesAfter))")
        }
    }
}
