import Foundation
import JobsCLI

exit(JobsCommandLine.main(Array(CommandLine.arguments.dropFirst())))
