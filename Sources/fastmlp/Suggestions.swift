/// "Did you mean …?" for a mistyped command or option: a few common synonyms from other tools,
/// then the closest name by edit distance.
enum Suggestions {
    /// Option names people bring from other tools, and the option that does the same here.
    static let synonyms: [String: String] = [
        "learning-rate": "lr", "learningrate": "lr", "learning_rate": "lr", "rate": "lr",
        "hidden-layers": "hidden", "units": "layers", "arch": "layers",
        "optim": "optimizer", "optimiser": "optimizer", "opt": "optimizer",
        "batch": "batch-size", "batchsize": "batch-size", "batch_size": "batch-size", "bs": "batch-size",
        "epoch": "epochs", "n-epochs": "epochs", "num-epochs": "epochs", "iterations": "epochs",
        "jobs": "threads", "workers": "threads", "j": "threads", "output": "save", "out": "save",
        "standardise": "standardize", "normalize": "standardize", "scale": "standardize",
        "label": "target", "y": "target", "momentum-rate": "momentum", "wd": "weight-decay",
    ]

    /// The name in `candidates` that `name` most likely meant, if one is close enough.
    static func closest(to name: String, in candidates: [String]) -> String? {
        let lowered = name.lowercased()
        if let synonym = synonyms[lowered], candidates.contains(synonym) { return synonym }
        if let exact = candidates.first(where: { $0.lowercased() == lowered }) { return exact }
        // A close spelling: at most a third of the letters wrong (1 for short names, 2 from 6).
        let limit = max(1, min(2, name.count / 3))
        let scored = candidates.map { ($0, editDistance(lowered, $0)) }.filter { $0.1 <= limit }
        if let best = scored.min(by: { $0.1 < $1.1 }) { return best.0 }
        // A prefix of exactly one option ("--val" → "--val-split").
        let prefixed = candidates.filter { $0.hasPrefix(lowered) }
        return lowered.count >= 3 && prefixed.count == 1 ? prefixed[0] : nil
    }

    /// The Damerau–Levenshtein (optimal string alignment) distance: insertions, deletions,
    /// substitutions and swaps of two neighbours each count 1.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
