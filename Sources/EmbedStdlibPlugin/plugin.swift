import Foundation
import PackagePlugin

/// Embeds every Lua file under Stdlib/ into the target as `embeddedStdlib` (module name → source).
@main
struct EmbedStdlibPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL.appendingPathComponent("Stdlib")
        var files: [URL] = []
        if let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) {
            for case let url as URL in e where url.pathExtension == "lua" { files.append(url) }
        }
        files.sort { $0.path < $1.path }
        let out = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedStdlib.swift")
        return [.buildCommand(
            displayName: "Embedding Lua stdlib (\(files.count) files)",
            executable: try context.tool(named: "EmbedStdlib").url,
            arguments: [out.path, root.path] + files.map(\.path),
            inputFiles: files,
            outputFiles: [out]
        )]
    }
}
