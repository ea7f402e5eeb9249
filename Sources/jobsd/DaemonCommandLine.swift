import CommandLineKit
import Daemon
import Engine
import Foundation
import JobStore
import Model

/// The `jobsd` command line: reads the options, loads the model, opens the database, and runs
/// the daemon until SIGTERM/SIGINT (or, with `--drain`, until the queue is empty).
///
/// Exit codes: 0 after a clean stop or drain, 1 when it cannot start (missing model, database
/// problem, metrics address in use), 2 for a malformed command line. Usage errors go to
/// standard error as text; everything after that is logfmt on standard error.
public enum DaemonCommandLine {
    static let spec = CommandSpec(
        name: "jobsd",
        summary: "run queued jobs through a local model",
        options: [
            OptionSpec(name: "model", valueName: "PATH",
                       help: "GGUF model file (default: $JOBS_MODEL, else the installed default model, \(DefaultModel.fileName), under $XDG_DATA_HOME/jobs/models or ~/.local/share/jobs/models)"),
            OptionSpec(name: "drain", help: "exit (status 0) once nothing is queued or running"),
            OptionSpec(name: "lease-seconds", valueName: "N",
                       help: "lease on claimed jobs, renewed every third of it; a crashed daemon's jobs run again after this long (default 60)"),
            OptionSpec(name: "max-attempts", valueName: "N",
                       help: "at most N attempts for jobs that fail while running, if lower than the job's own limit (default: the job's, from jobs submit --max-attempts)"),
            OptionSpec(name: "max-seqs", valueName: "N",
                       help: "most sequences generated at once (default 64); with --max-batch-tokens it sizes the working memory the start's memory check counts (jobs doctor states it)"),
            OptionSpec(name: "max-batch-tokens", valueName: "N",
                       help: "most tokens in one forward pass: one per running sequence plus prompt chunks (default 512); sizes the activation memory"),
            OptionSpec(name: "kv-memory", valueName: "SIZE", help: "memory for the KV cache, made resident at start, e.g. 512MiB, 2GiB (default 2GiB)"),
            KVTypeOption.option,
            OptionSpec(name: "no-prefix-cache", help: "do not share the KV cache of identical prompt prefixes between jobs"),
            OptionSpec(name: "reuse-results", help: "answer a greedy or seeded request identical to one that already succeeded on this model from its stored result"),
            OptionSpec(name: "max-wait-ms", valueName: "N",
                       help: "when jobs arrive at an idle engine, wait up to N ms for more to start together (default 50)"),
            OptionSpec(name: "poll-ms", valueName: "N", help: "how often an idle daemon looks for new jobs (default 200)"),
            OptionSpec(name: "shutdown-grace", valueName: "SECONDS",
                       help: "on SIGTERM/SIGINT, let in-flight jobs finish for this long, then release them to the queue (default 30; a second signal releases at once)"),
            OptionSpec(name: "checkpoint-tokens", valueName: "N",
                       help: "save a running job's generated tokens and sampler state once it has N new tokens, so a job taken back after a crash or SIGTERM continues from there with the same text (default 32)"),
            OptionSpec(name: "checkpoint-interval", valueName: "SECONDS",
                       help: "... or once this long has passed since the last checkpoint (default 10)"),
            OptionSpec(name: "no-checkpoints", help: "write no checkpoints and resume from none: a job taken back starts from its prompt"),
            OptionSpec(name: "metrics-addr", valueName: "HOST:PORT",
                       help: "serve Prometheus metrics on http://HOST:PORT/metrics (off by default; e.g. 127.0.0.1:9464)"),
            OptionSpec(name: "busy-timeout", valueName: "SECONDS",
                       help: "how long one database operation waits for a lock another process holds before jobsd sets it aside, keeps generating and retries it with backoff; jobsd never gives up on a busy database (default: $JOBS_BUSY_TIMEOUT, else \(Int(DaemonOptions.defaultBusyTimeout)))"),
            OptionSpec(name: "log-level", valueName: "LEVEL", help: "debug, info, warn or error (default info)"),
        ])

    /// `jobsd --help`.
    static var help: String {
        let options = CommandSpec.globalOptions.filter { $0.name == "db" } + spec.options
            + CommandSpec.globalOptions.filter { $0.name == "help" }
        return """
            jobsd: \(spec.summary).

            Usage: jobsd [--db PATH] [--model PATH] [--drain] [OPTIONS]

            Claims queued jobs from the database, generates them in continuous batches, and writes
            each result with its timings. Several jobsd processes may share one database; a job
            never runs in two at once. SIGTERM or SIGINT: stop claiming, finish or release the
            jobs in flight, exit 0. Logs are logfmt lines on standard error.

            Options:

            """ + HelpTable.render(options.map { ($0.signature, $0.help) }) + """

            Environment: JOBS_DB (database), JOBS_MODEL (model file), JOBS_BUSY_TIMEOUT (see --busy-timeout).
            Exit codes: 0 stopped cleanly or drained, 1 cannot start, 2 wrong command line.

            """
    }

    public static func main(_ arguments: [String],
                            environment: [String: String] = ProcessInfo.processInfo.environment) -> Int32 {
        let options: DaemonOptions
        do {
            let parsed = try ArgumentParser.parse(arguments, spec: spec)
            if parsed.flag("help") {
                FileHandle.standardOutput.write(Data(help.utf8))
                return ExitCode.success.rawValue
            }
            options = try DaemonOptions(parsed, environment: environment)
        } catch {
            var message = "jobsd: " + TextFormat.visibleLine("\(error)") + "\n"
            if case CLIError.usage = error { message += "Run 'jobsd --help' for the options.\n" }
            FileHandle.standardError.write(Data(message.utf8))
            return (error as? CLIError)?.exitCode.rawValue ?? ExitCode.usage.rawValue
        }
        let logger = Logger(level: options.logLevel)
        let shutdown = ShutdownRequest()
        let signals = ShutdownSignals(shutdown) { number in
            logger.info("signal", ("signal", number == SIGTERM ? "SIGTERM" : "SIGINT"))
        }
        defer { withExtendedLifetime(signals) {} }
        do {
            try run(options, logger: logger, shutdown: shutdown)
            return ExitCode.success.rawValue
        } catch {
            logger.error("fatal", ("error", "\(error)"))
            return ExitCode.userError.rawValue
        }
    }

    private static func run(_ options: DaemonOptions, logger: Logger, shutdown: ShutdownRequest) throws {
        guard FileManager.default.fileExists(atPath: options.modelPath) else {
            throw DaemonError.modelNotFound(path: options.modelPath)
        }
        // Before the database is opened (or created): a CPU, or a JOBS_KERNELS, that cannot run
        // the decoder leaves nothing behind.
        try CPUFeatures.check()
        if options.databaseIsDefault { try DatabaseLocation.createFolder(for: options.databasePath) }
        guard let store = try StoreOpener.open(path: options.databasePath, busyTimeout: options.busyTimeout,
                                               logger: logger, shutdown: shutdown) else {
            logger.info("stop", ("reason", "shutdown"), ("detail", "stopped while waiting for the database"))
            return
        }
        logger.info("load", ("model", options.modelPath))
        let model = try LoadedModel(path: options.modelPath)
        let configuration = model.model.configuration
        logger.info("model", ("path", options.modelPath), ("name", model.name),
                    ("architecture", configuration.architecture),
                    ("parameters", model.model.parameterCount),
                    ("weight_bytes", model.model.weightBytes), ("load_seconds", model.model.loadSeconds),
                    ("context", configuration.contextLength), ("layers", configuration.layerCount),
                    ("vocabulary", configuration.vocabularySize),
                    ("chat_format", model.chatTemplate?.format.name ?? "none"),
                    ("chat_problem", model.chatTemplateProblem), ("chat_note", model.chatTemplate?.note))

        let metrics = DaemonMetrics()
        var server: MetricsServer?
        if let address = options.metricsAddress {
            server = try MetricsServer(address: address, registry: metrics.registry)
        }
        // Making the KV pool resident takes 0.2-0.6 s a GiB on 2 cores (more where a VM's host
        // backs guest memory lazily): say so, so that a silent start is not taken for a hang.
        logger.info("reserve", ("kv_memory", ByteCount.format(options.engine.kvMemoryBytes)),
                    ("detail", "checking free memory, then making the KV pool resident"))
        let reserveStart = DispatchTime.now().uptimeNanoseconds
        let daemon: Daemon
        do {
            daemon = try Daemon(store: store, model: model, engineOptions: options.engine,
                                configuration: options.daemon, logger: logger, metrics: metrics, shutdown: shutdown)
        } catch EngineError.stopped {
            logger.info("stop", ("reason", "shutdown"), ("detail", "stopped while making the KV pool resident"))
            return
        }
        let reserveSeconds = Double(DispatchTime.now().uptimeNanoseconds - reserveStart) / 1e9
        let engine = daemon.engine
        let kvBytes = engine.kvBlockCount * engine.kvLayout.bytesPerBlock
        logger.info("start", ("owner", options.daemon.owner), ("db", options.databasePath),
                    ("kernels", (try? CPUFeatures.level.get())?.rawValue ?? "none"),
                    ("activations", model.model.activations.rawValue),
                    ("max_seqs", options.engine.maxSequences), ("max_batch_tokens", options.engine.maxBatchTokens),
                    ("kv_memory", ByteCount.format(kvBytes)), ("kv_memory_bytes", kvBytes),
                    ("kv_resident_seconds", reserveSeconds),
                    ("working_memory", ByteCount.format(engine.workingMemoryBytes)),
                    ("kv_blocks", engine.kvBlockCount), ("kv_type", engine.options.kvPrecision.rawValue), ("kv_block_tokens", engine.options.blockSize),
                    // Tokens with every layer's keys and values held (as `jobs doctor` counts them): a
                    // block serves one group of layers, so blocks × block size overstates it.
                    ("kv_tokens", engine.kvLayout.tokens(inPoolOf: kvBytes)),
                    ("prefix_cache", options.engine.prefixCaching), ("reuse_results", options.daemon.reuseResults),
                    ("max_wait_ms", Int(options.daemon.maxWait * 1000)), ("lease_seconds", options.daemon.leaseSeconds),
                    ("max_attempts", options.daemon.maxAttempts), ("drain", options.daemon.drain),
                    ("shutdown_grace", options.daemon.shutdownGrace), ("busy_timeout", options.busyTimeout),
                    ("checkpoint_tokens", options.daemon.checkpointTokens.map(String.init) ?? "off"),
                    ("checkpoint_interval", options.daemon.checkpointInterval), ("model_identity", daemon.modelIdentity))
        if let server {
            server.start()
            logger.info("metrics", ("url", "http://\(server.address)/metrics"))
        }
        defer { server?.stop() }
        _ = daemon.run()
    }
}

/// The command line's values, checked.
struct DaemonOptions {
    var databasePath: String
    var databaseIsDefault: Bool
    var modelPath: String
    var engine: EngineOptions
    var daemon: DaemonConfiguration
    var metricsAddress: MetricsAddress?
    var logLevel: LogLevel
    /// Seconds one database operation waits for a lock (`--busy-timeout`).
    var busyTimeout: TimeInterval

    /// Short, so that generation goes on while another process holds the lock; the daemon
    /// retries the work with backoff instead of waiting in one call.
    static let defaultBusyTimeout: TimeInterval = 1

    init(_ arguments: ParsedArguments, environment: [String: String]) throws {
        func usage(_ message: String) -> CLIError { .usage(command: "jobsd", message: message) }
        let database = try DatabaseLocation.resolve(option: arguments.value("db"), environment: environment)
        databasePath = database.path
        databaseIsDefault = database.isDefault
        if let model = arguments.value("model") {
            guard !model.isEmpty else { throw usage("--model needs a path") }
            modelPath = model
        } else {
            modelPath = DefaultModel.path(environment: environment)
        }

        engine = EngineOptions()
        engine.maxSequences = try arguments.integer("max-seqs", in: 1...4096) ?? engine.maxSequences
        engine.maxBatchTokens = try arguments.integer("max-batch-tokens", in: 1...1_048_576) ?? engine.maxBatchTokens
        if let size = arguments.value("kv-memory") {
            do {
                engine.kvMemoryBytes = try ByteCount.parse(size)
            } catch {
                throw usage("--kv-memory \(error)")
            }
        }
        engine.prefixCaching = !arguments.flag("no-prefix-cache")
        engine.kvPrecision = try KVTypeOption.parse(arguments, command: "jobsd")
        do {
            try engine.validate()
        } catch let EngineError.invalidOption(option, value, expected) {
            throw usage("\(option.flag) is \(value); expected \(expected)")
        }

        daemon = DaemonConfiguration()
        daemon.leaseSeconds = try arguments.seconds("lease-seconds") ?? daemon.leaseSeconds
        daemon.maxAttempts = try arguments.integer("max-attempts", in: 1...100)
        daemon.maxWait = Double(try arguments.integer("max-wait-ms", in: 0...600_000) ?? 50) / 1000
        daemon.pollInterval = Double(try arguments.integer("poll-ms", in: 1...600_000) ?? 200) / 1000
        daemon.drain = arguments.flag("drain")
        daemon.reuseResults = arguments.flag("reuse-results")
        if let grace = arguments.value("shutdown-grace") {
            guard let seconds = Double(grace), seconds >= 0, seconds.isFinite else {
                throw usage("--shutdown-grace must be a number of seconds ≥ 0, got '\(grace)'")
            }
            daemon.shutdownGrace = seconds
        }

        daemon.checkpointTokens = try arguments.integer("checkpoint-tokens", in: 1...1_000_000) ?? daemon.checkpointTokens
        daemon.checkpointInterval = try arguments.seconds("checkpoint-interval") ?? daemon.checkpointInterval
        if arguments.flag("no-checkpoints") {
            guard arguments.value("checkpoint-tokens") == nil, arguments.value("checkpoint-interval") == nil else {
                throw usage("--no-checkpoints cannot be combined with --checkpoint-tokens or --checkpoint-interval")
            }
            daemon.checkpointTokens = nil
        }

        if let address = arguments.value("metrics-addr") {
            do {
                metricsAddress = try MetricsAddress(parsing: address)
            } catch {
                throw usage(error.description)
            }
        }
        let level = arguments.value("log-level") ?? "info"
        guard let logLevel = LogLevel(name: level) else {
            throw usage("--log-level must be one of debug, info, warn, error; got '\(level)'")
        }
        self.logLevel = logLevel
        busyTimeout = try BusyTimeout.resolve(option: arguments.value("busy-timeout"), environment: environment,
                                              command: "jobsd", default: DaemonOptions.defaultBusyTimeout)
    }
}

extension EngineOptions.Option {
    /// The jobsd flag that sets this option.
    var flag: String {
        switch self {
        case .maxSequences: return "--max-seqs"
        case .maxBatchTokens: return "--max-batch-tokens"
        case .kvMemoryBytes: return "--kv-memory"
        case .blockSize: return "the KV block size"
        }
    }
}
