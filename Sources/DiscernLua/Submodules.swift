extension DiscernLua {
    /// The submodules `discern.<name>` loads on first use: those written in Swift, then the Stdlib's.
    public static let submoduleNames = [
        "tensor", "store", "model", "tokenizer", "embed", "stats", "bandit", "json", "fs", "circuit",
        "strategy", "organisms", "random", "spec",
    ]
}
