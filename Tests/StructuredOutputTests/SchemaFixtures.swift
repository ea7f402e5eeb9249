import JSON
@testable import RequestFormats
import StructuredOutput
import XCTest

/// Schemas written as JSON text in the tests, read with the batch-file parser (member order kept).
enum SchemaFixtures {
    static func value(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> SchemaValue {
        do {
            return try JSONParser.parse(text).schemaValue
        } catch {
            XCTFail("bad schema JSON in the test: \(error)", file: file, line: line)
            return .null
        }
    }

    static func compile(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> CompiledOutputFormat {
        try OutputFormat.jsonSchema(value(text, file: file, line: line)).compile()
    }

    /// The refusal for a schema, or a failure when it compiles.
    static func refusal(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> SchemaError? {
        do {
            _ = try OutputFormat.jsonSchema(value(text, file: file, line: line)).compile()
            XCTFail("schema compiled but should be refused: \(text)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }
}
