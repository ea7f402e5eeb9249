import Foundation
import JobsCLI

exit(DaemonCommandLine.main(Array(CommandLine.arguments.dropFirst())))
