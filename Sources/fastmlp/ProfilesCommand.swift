@_spi(Tools) import FastMLP
import Foundation

enum ProfilesCommand {
    static let spec = CommandSpec(
        name: "profiles",
        summary: "List the training presets in Profiles/ with their settings.",
        options: [CommonOptions.json],
        details: "Use one with 'fastmlp train --profile NAME'; any flag given to train overrides the preset.")

    static func run(_ arguments: ParsedArguments) throws {
        guard let directory = Profile.bundledDirectory else { throw RuntimeError("Profiles/: directory not found") }
        let profiles: [Profile]
        do {
            profiles = try Profile.all(in: directory)
        } catch {
            throw RuntimeError(describe(error))
        }
        if arguments.has("json") {
            printLine(jsonLine(profiles.map { ProfileRow(name: $0.name, description: $0.summary, configuration: $0.configuration) }))
            return
        }
        let header = ["name", "layers", "activation", "output", "loss", "init", "bias", "batch", "lr", "momentum", "epochs", "classes"]
        let rows = profiles.map { p -> [String] in
            let c = p.configuration
            return [
                p.name, c.layers.map(String.init).joined(separator: "-"), c.activation.rawValue,
                c.resolvedOutputActivation.rawValue, c.loss.rawValue, c.weightInitializer.description, "\(c.biasInitializer)",
                "\(c.batchSize)", "\(c.optimizer.learningRate)", "\(c.optimizer.resolvedMomentum)", "\(c.epochs)",
                c.classes.map { $0.map(String.init).joined(separator: ",") } ?? "all",
            ]
        }
        let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max() ?? 0 }
        func format(_ cells: [String]) -> String {
            cells.enumerated().map { $1 + String(repeating: " ", count: widths[$0] - $1.count) }.joined(separator: "  ")
        }
        printLine(format(header))
        for row in rows { printLine(format(row)) }
        printLine()
        for p in profiles { printLine("\(p.name): \(p.summary)") }
    }
}

struct ProfileRow: Encodable {
    let name: String
    let description: String
    let configuration: TrainingConfiguration
}
