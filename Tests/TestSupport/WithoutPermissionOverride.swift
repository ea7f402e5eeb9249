import Foundation
import Glibc

/// Runs a program so that file permissions apply to it, root included. Root ignores `chmod`
/// (the capabilities CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER); as root the program
/// runs under `setpriv` with those dropped from its bounding set, so a `chmod a-w` file is
/// read-only to it as to any user. Other users run it as it is.
public enum WithoutPermissionOverride {
    public struct Outcome {
        public var status: Int32
        public var output: String
        public var errors: String
    }

    public static var isRoot: Bool { geteuid() == 0 }

    /// Runs `executable` with `arguments` and `environment` added to this process's, to its end.
    public static func run(_ executable: String, _ arguments: [String],
                           environment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        if isRoot {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--bounding-set=-dac_override,-dac_read_search,-fowner", "--", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                       errors: String(decoding: errorData, as: UTF8.self))
    }
}
