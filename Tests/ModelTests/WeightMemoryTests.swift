import GGUF
import Model
import TestSupport
import XCTest

/// `jobs doctor` states the weight memory before loading from `WeightMemory`; it must agree
/// with what loading really takes (`TransformerModel.weightBytes`).
final class WeightMemoryTests: XCTestCase {
    func assertEstimateMatchesLoad(_ path: String, tolerance: Double, _ label: String) throws {
        let estimate = WeightMemory.estimatedBytes(of: try GGUFFile(path: path))
        let loaded = try TransformerModel(path: path).weightBytes
        let error = abs(Double(estimate - loaded)) / Double(loaded)
        print("\(label): estimated \(estimate) bytes of weights, loaded \(loaded) (\(String(format: "%.2f", error * 100))%)")
        XCTAssertLessThan(error, tolerance, label)
    }

    /// Tiny models have few rows per tensor, so padding to panels of 16 weighs more than in
    /// real ones; 10% still catches a wrong format (f32 for int8 is 3-4x).
    func testEstimateMatchesTheLoadedSizeOnTinyModels() throws {
        let directory = TemporaryDirectory()
        for family in TinyModel.Family.allCases {
            try assertEstimateMatchesLoad(TinyModel.write(family, to: directory.file("\(family).gguf")), tolerance: 0.10,
                                          "\(family)")
        }
    }

    func testEstimateMatchesTheLoadedSizeOnRealModels() throws {
        try assertEstimateMatchesLoad(try RealModel.path(), tolerance: 0.03, "default model")
        try assertEstimateMatchesLoad(try RealModel.qwenPath(), tolerance: 0.03, "Qwen2.5 Coder 0.5B")
    }
}
