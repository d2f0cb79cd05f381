import Foundation

/// One option a command accepts: `--name VALUE`, or a flag when `valueName` is nil.
struct OptionSpec {
    let name: String
    let valueName: String?
    let help: String

    init(_ name: String, _ valueName: String? = nil, _ help: String) {
        self.name = name
        self.valueName = valueName
        self.help = help
    }
}

/// A subcommand's interface: what `--help` prints and what the parser accepts.
struct CommandSpec {
    let name: String
    let summary: String
    let options: [OptionSpec]
    let details: String

    var usage: String { "fastmlp \(name) [options]" }

    var help: String {
        var text = "\(summary)\n\nUsage: \(usage)\n\nOptions:\n"
        let all = options + [OptionSpec("help", nil, "Show this help and exit.")]
        let width = all.map { label($0).count }.max() ?? 0
        for option in all {
            let padding = String(repeating: " ", count: width - label(option).count)
            text += "  \(label(option))\(padding)  \(option.help)\n"
        }
        if !details.isEmpty { text += "\n\(details)\n" }
        return text
    }

    private func label(_ option: OptionSpec) -> String {
        option.valueName.map { "--\(option.name) \($0)" } ?? "--\(option.name)"
    }
}

/// A mistake in how the command was called: exit status 64.
struct UsageError: Error {
    let message: String
    let usage: String
}

/// A failure while doing the work (bad file, bad data): exit status 1.
struct RuntimeError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// The parsed options of one command, with typed accessors whose errors name the flag.
struct ParsedArguments {
    let spec: CommandSpec
    private(set) var values: [String: String] = [:]
    private(set) var flags: Set<String> = []
    private(set) var wantsHelp = false
    /// Every option as given, in order (a repeated option appears each time; `values` keeps the
    /// last). An option whose value name ends in "..." takes every following word up to the
    /// next option.
    private(set) var occurrences: [(name: String, value: String?)] = []

    init(_ arguments: [String], spec: CommandSpec) throws(UsageError) {
        self.spec = spec
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" {
                wantsHelp = true
                continue
            }
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw usage("unexpected argument '\(argument)'")
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let option = spec.options.first(where: { $0.name == name }) else {
                let suggestion = Suggestions.closest(to: name, in: spec.options.map(\.name) + ["help"])
                throw usage("unknown option '--\(name)'" + (suggestion.map { "; did you mean '--\($0)'?" } ?? ""))
            }
            if option.valueName == nil {
                guard inlineValue == nil else { throw usage("--\(name) takes no value") }
                flags.insert(name)
                occurrences.append((name, nil))
                continue
            }
            if let inlineValue {
                values[name] = inlineValue
            } else {
                guard index < arguments.count else { throw usage("--\(name) needs a value (\(option.valueName!))") }
                values[name] = arguments[index]
                index += 1
            }
            occurrences.append((name, values[name]))
            if option.valueName!.hasSuffix("...") {
                while index < arguments.count, !arguments[index].hasPrefix("--") {
                    occurrences.append((name, arguments[index]))
                    index += 1
                }
            }
        }
    }

    func usage(_ message: String) -> UsageError { UsageError(message: message, usage: spec.usage) }

    func has(_ flag: String) -> Bool { flags.contains(flag) }

    func string(_ name: String) -> String? { values[name] }

    /// Every value given to option `name`, in order.
    func all(_ name: String) -> [String] { occurrences.compactMap { $0.name == name ? $0.value : nil } }

    func int(_ name: String, range: ClosedRange<Int>? = nil) throws(UsageError) -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = Int(text) else { throw usage("--\(name) expects a whole number, got '\(text)'") }
        if let range, !range.contains(value) {
            throw usage("--\(name) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
        return value
    }

    func uint64(_ name: String) throws(UsageError) -> UInt64? {
        guard let text = values[name] else { return nil }
        guard let value = UInt64(text) else { throw usage("--\(name) expects a non-negative whole number, got '\(text)'") }
        return value
    }

    func float(_ name: String) throws(UsageError) -> Float? {
        guard let text = values[name] else { return nil }
        guard let value = Float(text), value.isFinite else {
            throw usage("--\(name) expects a finite number, got '\(text)'")
        }
        return value
    }

    func intList(_ name: String) throws(UsageError) -> [Int]? {
        guard let text = values[name] else { return nil }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        var result: [Int] = []
        for part in parts {
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)) else {
                throw usage("--\(name) expects comma-separated whole numbers, got '\(text)'")
            }
            result.append(value)
        }
        return result
    }

    func choice<T>(_ name: String, _ parse: (String) -> T?, expected: String) throws(UsageError) -> T? {
        guard let text = values[name] else { return nil }
        guard let value = parse(text) else { throw usage("--\(name) must be one of \(expected), got '\(text)'") }
        return value
    }
}
