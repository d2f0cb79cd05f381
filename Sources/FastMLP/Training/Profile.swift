import Foundation

/// A named training preset: a ``TrainingConfiguration`` stored as plain JSON in `Profiles/`.
public struct Profile: Equatable, Sendable {
    /// The file name without `.json`.
    public var name: String
    /// The profile's `description`.
    public var summary: String
    /// The settings (keys not in the file keep their defaults).
    public var configuration: TrainingConfiguration

    /// Reads a profile file; its name is the file name without `.json`.
    ///
    /// - Throws: ``ProfileError`` naming the file and what was wrong (unreadable, not JSON, an
    ///   unknown key, a bad value, an invalid configuration).
    public init(contentsOf url: URL) throws(ProfileError) {
        let path = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        try self.init(data: data, name: url.deletingPathExtension().lastPathComponent, path: path)
    }

    /// A profile from JSON bytes; `path` names them in errors.
    init(data: Data, name: String, path: String) throws(ProfileError) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .invalid(path: path, reason: "not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else {
            throw .invalid(path: path, reason: "expected a JSON object")
        }
        let known = Set(TrainingConfiguration.CodingKeys.allCases.map(\.stringValue) + ["description", "name"])
        if let unknown = dictionary.keys.sorted().first(where: { !known.contains($0) }) {
            throw .invalid(path: path, reason: "unknown key '\(unknown)'")
        }
        do {
            configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: data)
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            // Foundation reports a number that does not fit the setting's type (1.5 epochs,
            // 1e60 as a Float) as "not valid JSON" without a key: find the key.
            throw .invalid(path: path, reason: Profile.unrepresentableValue(in: dictionary) ?? Profile.describe(context))
        } catch let DecodingError.dataCorrupted(context) {
            throw .invalid(path: path, reason: Profile.describe(context))
        } catch let DecodingError.typeMismatch(_, context) {
            throw .invalid(path: path, reason: Profile.describe(context))
        } catch {
            throw .invalid(path: path, reason: "cannot be decoded")
        }
        do {
            try configuration.validate()
        } catch {
            throw .invalid(path: path, reason: "bad value for '\(Profile.key(for: error.field))': \(error)")
        }
        self.name = name
        summary = dictionary["description"] as? String ?? ""
    }

    /// The first key whose value alone does not decode, described; `nil` if each decodes alone.
    private static func unrepresentableValue(in dictionary: [String: Any]) -> String? {
        func decodes(_ object: [String: Any]) -> Bool {
            guard JSONSerialization.isValidJSONObject(object),
                  let data = try? JSONSerialization.data(withJSONObject: object) else { return false }
            return (try? JSONDecoder().decode(TrainingConfiguration.self, from: data)) != nil
        }
        for key in dictionary.keys.sorted() {
            guard let value = dictionary[key] else { continue }
            guard !decodes([key: value]) else { continue }
            let shown = (try? JSONSerialization.data(withJSONObject: [value])).flatMap { String(data: $0, encoding: .utf8) }
                .map { String($0.dropFirst().dropLast()) } ?? "\(value)"
            let number = (value as? NSNumber)?.doubleValue
            let wantsWholeNumber = number.map { $0.isFinite && $0 != $0.rounded() && decodes([key: $0.rounded()]) } ?? false
            let problem = wantsWholeNumber ? "is not a whole number" : number == nil ? "does not fit this setting" : "is out of range"
            return "bad value for '\(key)': \(shown.prefix(40)) \(problem)"
        }
        return nil
    }

    private static func describe(_ context: DecodingError.Context) -> String {
        let key = context.codingPath.map(\.stringValue).joined(separator: ".")
        return key.isEmpty ? context.debugDescription : "bad value for '\(key)': \(context.debugDescription)"
    }

    /// The `Profiles/` directory of the repository this library was built from, if it is there.
    public static var bundledDirectory: URL? { SourceTree.directory("Profiles") }

    /// Every `*.json` profile in `directory`, sorted by name.
    public static func all(in directory: URL) throws(ProfileError) -> [Profile] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .unreadable(path: directory.path, reason: "cannot list the directory")
        }
        var profiles: [Profile] = []
        for name in names.sorted() where name.hasSuffix(".json") {
            profiles.append(try Profile(contentsOf: directory.appendingPathComponent(name)))
        }
        return profiles
    }

    /// Resolves `nameOrPath`: a path to a `.json` file if it names one, otherwise a profile
    /// name in `directory`.
    public static func resolve(_ nameOrPath: String, in directory: URL?) throws(ProfileError) -> Profile {
        if nameOrPath.hasSuffix(".json") || nameOrPath.contains("/") {
            return try Profile(contentsOf: URL(fileURLWithPath: nameOrPath))
        }
        guard let directory else { throw .unknownName(nameOrPath, available: []) }
        let url = directory.appendingPathComponent(nameOrPath + ".json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            let available = (try? all(in: directory).map(\.name)) ?? []
            throw .unknownName(nameOrPath, available: available)
        }
        return try Profile(contentsOf: url)
    }
}

extension Profile {
    /// The profile file's key for a configuration setting (`learningRate` is `learning_rate`).
    static func key(for field: ConfigurationField) -> String {
        switch field {
        case .outputActivation: "output_activation"
        case .biasInitializer: "bias_init"
        case .batchSize: "batch_size"
        case .learningRate: "learning_rate"
        case .epsilon: "eps"
        case .weightDecay: "weight_decay"
        case .stepSize: "step_size"
        case .warmupEpochs: "warmup_epochs"
        case .validationSplit: "val_split"
        case .layers, .activation, .loss, .epochs, .momentum, .nesterov, .beta1, .beta2, .gamma, .dropout, .patience,
            .threads, .classes:
            field.rawValue
        }
    }
}

/// Why a profile could not be used.
public enum ProfileError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case invalid(path: String, reason: String)
    case unknownName(String, available: [String])

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): \(reason)"
        case .invalid(let path, let reason): return "\(path): \(reason)"
        case .unknownName(let name, let available):
            let list = available.isEmpty ? "" : " (available: \(available.joined(separator: ", ")))"
            return "no profile named '\(name)'\(list)"
        }
    }
}
