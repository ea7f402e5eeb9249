import Foundation

exit(DaemonCommandLine.main(Array(CommandLine.arguments.dropFirst())))
