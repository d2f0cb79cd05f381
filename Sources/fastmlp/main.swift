import FastMLP
import Foundation

/// The subcommands, in the order `fastmlp --help` lists them.
let commands: [(spec: CommandSpec, run: (ParsedArguments) throws -> Void)] = [
    (TrainCommand.spec, TrainCommand.run),
    (EvalCommand.spec, EvalCommand.run),
    (PredictCommand.spec, PredictCommand.run),
    (SearchCommand.spec, SearchCommand.run),
    (BenchCommand.spec, BenchCommand.run),
    (ExportCommand.spec, ExportCommand.run),
    (ProfilesCommand.spec, ProfilesCommand.run),
]

let topLevelHelp = """
    fastmlp — train multilayer perceptrons on MNIST or CSV tables, fast, on the CPU.

    Usage: fastmlp <command> [options]

    Commands:
    \(commands.map { "  " + $0.spec.name.padding(toLength: 10, withPad: " ", startingAt: 0) + $0.spec.summary }.joined(separator: "\n"))

    Run 'fastmlp <command> --help' for a command's options, 'fastmlp --version' for the version.
    """

/// The version `fastmlp --version` prints.
let fastmlpVersion = "0.9.0"

/// Runs the command line and returns the exit status: 0 success, 1 failure, 64 usage error,
/// 130 interrupted (Ctrl-C).
@MainActor func main(_ arguments: [String]) -> Int32 {
    guard let name = arguments.first else {
        printError(topLevelHelp)
        return 64
    }
    if name == "--help" || name == "-h" || name == "help" {
        print(topLevelHelp)
        return 0
    }
    if name == "--version" || name == "version" {
        print("fastmlp \(fastmlpVersion)")
        return 0
    }
    guard let command = commands.first(where: { $0.spec.name == name }) else {
        let suggestion = Suggestions.closest(to: name, in: commands.map(\.spec.name))
        printError("Error: unknown command '\(name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
            + " (usage: fastmlp <command> [options]; see 'fastmlp --help')")
        return 64
    }
    do {
        let parsed = try ParsedArguments(Array(arguments.dropFirst()), spec: command.spec)
        if parsed.wantsHelp {
            print(command.spec.help, terminator: "")
            return 0
        }
        try command.run(parsed)
        return 0
    } catch let error as UsageError {
        printError("Error: \(error.message) (usage: \(error.usage); see 'fastmlp \(name) --help')")
        return 64
    } catch let error as Interrupted {
        printError(error.message)
        return error.status
    } catch let error as RuntimeError {
        printError("Error: \(error.message)")
        return 1
    } catch {
        printError("Error: \(error)")
        return 1
    }
}

exit(main(Array(CommandLine.arguments.dropFirst())))
