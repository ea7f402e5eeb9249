import CommandLineKit
import XCTest

/// Where the command lines look for the model when none is given: the environment decides,
/// here and nowhere below the command line.
final class DefaultModelTests: XCTestCase {
    func testJobsModelWins() {
        XCTAssertEqual(DefaultModel.path(environment: ["JOBS_MODEL": "/m.gguf", "XDG_DATA_HOME": "/data", "HOME": "/home/u"]),
                       "/m.gguf")
    }

    func testInstalledModelUnderXDGDataHomeElseHome() {
        XCTAssertEqual(DefaultModel.path(environment: ["XDG_DATA_HOME": "/data", "HOME": "/home/u"]),
                       "/data/jobs/models/" + DefaultModel.fileName)
        XCTAssertEqual(DefaultModel.path(environment: ["JOBS_MODEL": "", "XDG_DATA_HOME": "", "HOME": "/home/u"]),
                       "/home/u/.local/share/jobs/models/" + DefaultModel.fileName)
        XCTAssertEqual(DefaultModel.modelsDirectory(environment: ["HOME": "/home/u"]), "/home/u/.local/share/jobs/models")
    }
}
