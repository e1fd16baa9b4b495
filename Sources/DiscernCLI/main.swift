import ArgumentParser
import Foundation

// Exit codes: 0 success, 1 script error, 2 usage error.
let arguments = Array(CommandLine.arguments.dropFirst())
if let message = DiscernCommand.unknownCommandMessage(arguments) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}
do {
    var command = try DiscernCommand.parseAsRoot(arguments)
    try command.run()
} catch let e as ScriptFailure {
    exit(e.status)
} catch {
    let code = DiscernCommand.exitCode(for: error)
    if code == .success {
        DiscernCommand.exit(withError: error)
    }
    FileHandle.standardError.write(Data((DiscernCommand.fullMessage(for: error) + "\n").utf8))
    exit(code == .failure ? 1 : 2)
}
