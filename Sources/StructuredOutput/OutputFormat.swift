/// What a structured job's output must be: any one JSON object (`json_object`), or a value
/// valid against a JSON schema (`json_schema`). OpenAI's `response_format` types, as the batch
/// file writes them.
public enum OutputFormat: Equatable, Sendable {
    case jsonObject
    case jsonSchema(SchemaValue)

    /// Compiles the format into a grammar; throws `SchemaError` naming the schema object at
    /// fault when the schema uses something that cannot be enforced exactly.
    public func compile() throws(SchemaError) -> CompiledOutputFormat {
        var compiler = SchemaCompiler()
        let grammar: Grammar
        switch self {
        case .jsonObject: grammar = compiler.compileJSONObject()
        case .jsonSchema(let schema): grammar = try compiler.compile(schema)
        }
        return CompiledOutputFormat(grammar: grammar, key: cacheKey)
    }

    /// Equal for formats that compile to the same grammar (the serialized schema).
    public var cacheKey: String {
        switch self {
        case .jsonObject: return "json_object"
        case .jsonSchema(let schema): return "json_schema:" + schema.serialized()
        }
    }
}

/// A compiled output format: the grammar, and its automaton (shared by every job with the same
/// format, so states, transitions and token masks are computed once per format).
public final class CompiledOutputFormat: Sendable {
    public let key: String
    let automaton: GrammarAutomaton

    init(grammar: Grammar, key: String) {
        self.key = key
        automaton = GrammarAutomaton(grammar: grammar)
    }

    /// Whether `text` is a complete output (test and tooling use; the engine goes token by token).
    public func accepts(_ text: String) -> Bool {
        automaton.accepts(Array(text.utf8))
    }

    /// Whether `text` can still be continued into a complete output.
    public func acceptsPrefix(_ text: String) -> Bool {
        automaton.run(Array(text.utf8)) != GrammarAutomaton.dead
    }
}
