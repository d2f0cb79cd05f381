@_spi(Tools) import FastMLP
import Foundation

enum ExportCommand {
    static let spec = CommandSpec(
        name: "export",
        summary: "Convert a model to another format (safetensors, for NumPy and PyTorch).",
        options: [
            CommonOptions.model,
            OptionSpec("format", "NAME", "The output format: safetensors (the only one so far)."),
            OptionSpec("output", "PATH", "Where to write the converted model (atomically)."),
        ],
        details: """
            safetensors holds layers.N.weight with shape [out, in] (as PyTorch's nn.Linear) and
            layers.N.bias [out], F32, with the architecture, loss and classes in the metadata.
            In Python: from safetensors.numpy import load_file; w = load_file("m.safetensors")
            """)

    static func run(_ arguments: ParsedArguments) throws {
        guard let format = arguments.string("format") else { throw arguments.usage("--format is required (safetensors)") }
        guard format == "safetensors" else { throw arguments.usage("--format must be safetensors, got '\(format)'") }
        guard let output = arguments.string("output") else { throw arguments.usage("--output PATH is required") }
        try checkOutputPath(output, flag: "--output")
        let model = try loadModel(arguments)
        do {
            try SafeTensors.save(model, to: output)
        } catch {
            throw RuntimeError("--output: \(describe(error))")
        }
        let layers = model.network.architecture.layerCount
        printLine("wrote \(output): safetensors, \(model.network.architecture) (\(layers) weight and \(layers) bias tensors, "
            + "\(model.network.architecture.parameterCount) parameters)")
    }
}
