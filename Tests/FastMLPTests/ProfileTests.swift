import Foundation
import Testing
@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

/// A damaged or invalid profile, and a word the one-line error must contain.
struct BadProfile: CustomStringConvertible, Sendable {
    let name: String
    let json: String
    let mentions: String
    var description: String { name }
}

let badProfiles: [BadProfile] = [
    .init(name: "empty file", json: "", mentions: "not valid JSON"),
    .init(name: "not JSON", json: "{nope", mentions: "not valid JSON"),
    .init(name: "truncated", json: "{\"layers\": [784, 12", mentions: "not valid JSON"),
    .init(name: "an array", json: "[1, 2]", mentions: "JSON object"),
    .init(name: "unknown key", json: "{\"learning_rat\": 0.1}", mentions: "learning_rat"),
    .init(name: "wrong type", json: "{\"epochs\": \"many\"}", mentions: "epochs"),
    .init(name: "fractional epochs", json: "{\"epochs\": 1.5}", mentions: "bad value for 'epochs': 1.5 is not a whole number"),
    .init(name: "learning rate beyond Float", json: "{\"learning_rate\": 1e60}", mentions: "bad value for 'learning_rate': 1e+60 is out of range"),
    .init(name: "fractional layer width", json: "{\"layers\": [784, 1.5, 10]}", mentions: "bad value for 'layers'"),
    .init(name: "negative learning rate", json: "{\"learning_rate\": -1}", mentions: "bad value for 'learning_rate': learningRate must be a positive number, got -1"),
    .init(name: "zero batch", json: "{\"batch_size\": 0}", mentions: "'batch_size'"),
    .init(name: "zero threads", json: "{\"threads\": 0}", mentions: "'threads'"),
    .init(name: "unknown activation", json: "{\"activation\": \"swish\"}", mentions: "activation"),
    .init(name: "unknown loss", json: "{\"loss\": \"hinge\"}", mentions: "loss"),
    .init(name: "dropout 1.5", json: "{\"dropout\": 1.5}", mentions: "'dropout'"),
    .init(name: "momentum 1", json: "{\"momentum\": 1}", mentions: "momentum"),
    .init(name: "zero-width layer", json: "{\"layers\": [784, 0, 10]}", mentions: "layer"),
    .init(name: "one layer", json: "{\"layers\": [784]}", mentions: "an input and an output"),
    .init(name: "validation split 2", json: "{\"val_split\": 2}", mentions: "'val_split'"),
    .init(name: "patience without a split", json: "{\"patience\": 2}", mentions: "validationSplit"),
    .init(name: "classes that do not match the output", json: "{\"classes\": [1, 7]}", mentions: "'classes'"),
    .init(name: "huge batch", json: "{\"batch_size\": 1000000000000}", mentions: "'batch_size'"),
    .init(name: "huge layer", json: "{\"layers\": [784, 100000000, 10]}", mentions: "layer size 100000000"),
]

/// Profiles through the library: the shipped ones load, damaged ones give a typed error.
@Suite("Profiles")
struct ProfileTests {
    @Test("every shipped profile loads and validates")
    func shipped() throws {
        let directory = try #require(Profile.bundledDirectory)
        let profiles = try Profile.all(in: directory)
        #expect(profiles.count >= 4)
        for profile in profiles {
            #expect(throws: Never.self) { try profile.configuration.validate() }
            #expect(!profile.summary.isEmpty, "\(profile.name) has no description")
        }
    }

    @Test("a bad profile gives one line naming the file and the problem", arguments: badProfiles)
    func bad(_ profile: BadProfile) {
        do {
            _ = try Profile(data: Data(profile.json.utf8), name: "p", path: "dir/p.json")
            Issue.record("\(profile.name) was accepted")
        } catch {
            #expect(error.description.hasPrefix("dir/p.json: "), "\(error)")
            #expect(!error.description.contains("\n"), "\(error)")
            #expect(error.description.contains(profile.mentions), "\(error)")
        }
    }

    @Test("missing files, directories and unknown names are refused by name")
    func paths() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let missing = directory.appendingPathComponent("none.json")
        #expect(throws: ProfileError.unreadable(path: missing.path, reason: "no such file")) {
            _ = try Profile(contentsOf: missing)
        }
        let folder = directory.appendingPathComponent("folder.json")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        do {
            _ = try Profile(contentsOf: folder)
            Issue.record("a directory was accepted")
        } catch {
            #expect(error.description.hasPrefix(folder.path + ": "), "\(error)")
        }
        let presets = directory.appendingPathComponent("presets")
        try FileManager.default.createDirectory(at: presets, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: presets.appendingPathComponent("plain.json"))
        #expect(throws: ProfileError.unknownName("plian", available: ["plain"])) {
            _ = try Profile.resolve("plian", in: presets)
        }
        #expect(try Profile.resolve("plain", in: presets).configuration == TrainingConfiguration())
    }
}
