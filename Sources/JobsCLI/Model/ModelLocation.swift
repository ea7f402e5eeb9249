import CommandLineKit
import Foundation
import Model

/// Which model file a command uses: `--model`, else `$JOBS_MODEL`, else the installed default
/// model (`Scripts/install-model`).
enum ModelLocation {
    static let option = OptionSpec(name: "model", valueName: "PATH",
                                   help: "GGUF model file (default: $JOBS_MODEL, else \(DefaultModel.modelsDirectory())/\(DefaultModel.fileName))")

    static func resolve(option: String?, environment: [String: String]) throws -> String {
        let path = option ?? DefaultModel.path(environment: environment)
        guard FileManager.default.fileExists(atPath: path) else {
            let hint = option == nil && environment["JOBS_MODEL"] == nil
                ? "run Scripts/install-model to install the default model, or pass --model PATH"
                : "check the path"
            throw CLIError.user("model file \(path) not found; \(hint)")
        }
        return path
    }

    /// Loads the model, turning load errors (unknown architecture, damaged file) into user errors.
    static func load(option: String?, environment: [String: String],
                     activations: MatrixActivations = .default) throws -> LoadedModel {
        let path = try resolve(option: option, environment: environment)
        do {
            return try LoadedModel(path: path, activations: activations)
        } catch {
            throw CLIError.user("\(error)")
        }
    }
}
