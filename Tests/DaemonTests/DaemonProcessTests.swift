import Foundation
import CommandLineKit
import TestSupport
import XCTest
@testable import Daemon
@testable import JobStore
import KVCache
import Model
import RequestFormats

/// The built `jobsd` binary as a child process: crash safety under `kill -9`, two daemons on
/// one database, SIGTERM, metrics over HTTP, and its command line.
///
/// Sizes: on the tiny model one `jobsd` with `--max-seqs 4` generates 200 jobs of 400 tokens
/// in about 2.5 s (debug build, 2 cores), so kills at random moments land mid-work.
final class DaemonProcessTests: XCTestCase {
    /// Arguments every run here uses: the fixture's files, a small KV cache, quick polling.
    private func arguments(_ fixture: DaemonFixture, _ extra: [String]) -> [String] {
        ["--db", fixture.databasePath, "--model", fixture.modelPath, "--kv-memory", "16MiB", "--poll-ms", "20",
         "--max-wait-ms", "0"] + extra
    }

    // MARK: Crash safety

    /// Chaos: two daemons alive at once, and 20 times one of them (at random) is killed with
    /// `kill -9` or stopped with SIGTERM at a random moment and replaced. Every job must
    /// succeed exactly once, with one result row, whatever the interleaving; with checkpoints
    /// every 16 tokens, the decode tokens generated again (every token sampled, from the
    /// daemons' step lines, minus the results' tokens) are at most 16 per interrupted job, and
    /// each result's resumed tokens are those of the checkpoint its daemon resumed from.
    func testEveryJobSucceedsExactlyOnceAcrossRandomKillsAndSIGTERMsWithTwoDaemons() throws {
        let fixture = try DaemonFixture()
        // Each kill costs the jobs in flight an attempt; leave room for all of them.
        try fixture.submitCompletions(200, maxTokens: 400, maxAttempts: 50)
        // Two sequences per daemon, so the 20 cycles fall while jobs are still running. Debug
        // logs give every step's sampled tokens.
        let checkpointTokens = 16
        let daemonArguments = arguments(fixture, ["--max-seqs", "2", "--lease-seconds", "1", "--shutdown-grace", "0.2",
                                                  "--checkpoint-tokens", "\(checkpointTokens)", "--log-level", "debug"])
        let seed = UInt64(Date().timeIntervalSince1970 * 1000)
        var random = SplitMix64(seed: seed)
        var logs: [String] = []
        var cycles: [String] = []
        var alive: [DaemonProcess] = []
        var started = 0

        for cycle in 0..<20 {
            while alive.count < 2 {
                alive.append(try DaemonProcess(daemonArguments, logDirectory: fixture.directory.path, name: "chaos\(started)"))
                started += 1
            }
            let delay = 0.05 + Double(random.next() % 300) / 1000
            Thread.sleep(forTimeInterval: delay)
            let victim = alive.remove(at: Int(random.next() % 2))
            let terminate = random.next() % 3 == 0
            victim.signal(terminate ? SIGTERM : SIGKILL)
            let status = try victim.wait(timeout: 15)
            if terminate {
                XCTAssertEqual(status, 0, "cycle \(cycle): SIGTERM stops cleanly; \(victim.stderr.suffix(1500))")
                XCTAssertEqual(victim.events("stop").last?["reason"], "shutdown", "cycle \(cycle)")
            } else {
                XCTAssertEqual(status, SIGKILL, "cycle \(cycle) ends by the kill")
                XCTAssertEqual(victim.process.terminationReason, .uncaughtSignal)
            }
            logs.append(victim.stderr)
            cycles.append(String(format: "%@ after %.2f s (%d succeeded)", terminate ? "TERM" : "KILL", delay,
                                 try fixture.scalar("SELECT count(*) FROM jobs WHERE state = 'succeeded'")))
        }
        let final = try DaemonProcess(daemonArguments + ["--drain"], logDirectory: fixture.directory.path, name: "final")
        XCTAssertEqual(try final.wait(timeout: 120), 0, final.stderr.suffix(2000).description)
        logs.append(final.stderr)
        for survivor in alive {
            survivor.signal(SIGTERM)
            XCTAssertEqual(try survivor.wait(timeout: 15), 0, survivor.stderr.suffix(1500).description)
            logs.append(survivor.stderr)
        }
        let description = "seed \(seed), cycles: \(cycles.joined(separator: "; "))"

        // Every job succeeded, with exactly one result row each.
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM jobs"), 200)
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM jobs WHERE state = 'succeeded'"), 200, description)
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM results"), 200, description)
        XCTAssertEqual(try fixture.scalar("""
            SELECT count(*) FROM jobs j WHERE (SELECT count(*) FROM results r WHERE r.job_id = j.id) != 1
            """), 0, description)
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM jobs WHERE lease_owner IS NOT NULL"), 0)
        // A result is logged only once it is committed: never twice for one job.
        let finishes = logs.flatMap { DaemonProcess.events("finish", in: $0) }.compactMap { $0["job"] }
        XCTAssertEqual(finishes.count, Set(finishes).count, "a job finished twice; \(description)")
        // A kill -9 between a result's commit and its log line leaves that one finish unlogged.
        let kills = cycles.filter { $0.hasPrefix("KILL") }.count
        XCTAssertGreaterThanOrEqual(Set(finishes).count, 200 - kills, "every finish was logged; \(description)")
        // The kills interrupted work: jobs in flight were claimed again.
        XCTAssertGreaterThan(try fixture.scalar("SELECT count(*) FROM jobs WHERE attempts > 1"), 0, description)
        // Greedy jobs give the text of an uninterrupted run, whichever process ran them and
        // however often they were interrupted (batch invariance).
        let sample = [0, 1, 2, 3, 50, 100, 150, 199]
        let reference = try JobStore(path: fixture.directory.file("reference.db"))
        _ = try reference.submit(BatchSubmission(
            name: "reference", source: "reference.jsonl", sha256: "reference", maxAttempts: 1,
            jobs: sample.map { ParsedJob(line: $0 + 1, customID: "p\($0)",
                                         request: DaemonFixture.completion(DaemonFixture.prompt($0), maxTokens: 400)) }))
        XCTAssertEqual(try fixture.daemon(store: reference).run().succeeded, sample.count)
        for index in sample {
            let query = "SELECT r.text FROM results r JOIN jobs j ON j.id = r.job_id WHERE j.custom_id = 'p\(index)'"
            let expected = try reference.withConnection { db in try db.prepare(query).firstRow { $0.string(0) } }
            XCTAssertEqual(try fixture.texts(query), [expected], "p\(index); \(description)")
        }

        // Resume: work lost to an interruption is at most one checkpoint interval. A kill or a
        // lost lease costs an attempt; a SIGTERM release saves every job's place first.
        let events = logs.map { log in log.split(separator: "\n").compactMap { try? Logfmt.parse(String($0)) } }
        func all(_ event: String) -> [[String: String]] { events.flatMap { $0.filter { $0["event"] == event } } }
        let sampled = all("step").reduce(0) { $0 + (Int($1["sampled"] ?? "") ?? 0) }
        let kept = try fixture.scalar("SELECT sum(completion_tokens) FROM results")
        let interrupted = try fixture.scalar("SELECT sum(attempts - 1) FROM jobs")
            + all("release").reduce(0) { $0 + (Int($1["jobs"] ?? "") ?? 0) }
        let recomputed = sampled - kept
        XCTAssertGreaterThanOrEqual(recomputed, 0, description)
        XCTAssertLessThanOrEqual(recomputed, checkpointTokens * interrupted,
                                 "decode tokens generated again: \(recomputed) for \(interrupted) interruptions; \(description)")
        // Each result continued from the checkpoint its daemon logged resuming from.
        let stored = try fixture.store.withConnection { db in
            try db.prepare("SELECT job_id, resumed_from_token, resumes FROM results").rows { ($0.int64(0), $0.int(1), $0.int(2)) }
        }.reduce(into: [String: (fromToken: Int, resumes: Int)]()) { $0[String($1.0)] = ($1.1, $1.2) }
        var loggedResumes: [String: Int] = [:]
        for line in all("resume") { loggedResumes[line["job"] ?? "", default: 0] += 1 }
        var resumedJobs = 0
        for lines in events {
            let resumes = lines.filter { $0["event"] == "resume" }
            for finish in lines where finish["event"] == "finish" {
                let job = try XCTUnwrap(finish["job"])
                let fromToken = resumes.last { $0["job"] == job }.flatMap { Int($0["from_token"] ?? "") } ?? 0
                let result = try XCTUnwrap(stored[job])
                XCTAssertEqual(result.fromToken, fromToken, "job \(job); \(description)")
                XCTAssertLessThanOrEqual(result.resumes, loggedResumes[job] ?? 0, "job \(job)")
                if fromToken > 0 {
                    resumedJobs += 1
                    XCTAssertGreaterThanOrEqual(result.resumes, 1, "job \(job)")
                }
            }
        }
        XCTAssertGreaterThan(resumedJobs, 0, "some jobs continued from a checkpoint; \(description)")
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM checkpoints"), 0)
        print("chaos test: \(description); jobs with more than one attempt: "
              + "\(try fixture.scalar("SELECT count(*) FROM jobs WHERE attempts > 1")), "
              + "most attempts: \(try fixture.scalar("SELECT max(attempts) FROM jobs")); "
              + "\(interrupted) interruptions, \(resumedJobs) results resumed, "
              + "\(recomputed) decode tokens generated again (bound \(checkpointTokens * interrupted)), \(sampled) sampled in all")
    }

    func testTwoDaemonsOnOneDatabaseNeverRunTheSameJob() throws {
        let fixture = try DaemonFixture()
        try fixture.submitCompletions(200, maxTokens: 150)
        let daemons = try (0..<2).map {
            try DaemonProcess(arguments(fixture, ["--max-seqs", "4", "--drain"]), logDirectory: fixture.directory.path, name: "daemon\($0)")
        }
        for daemon in daemons { XCTAssertEqual(try daemon.wait(timeout: 60), 0, daemon.stderr.suffix(2000).description) }

        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM jobs WHERE state = 'succeeded'"), 200)
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM results"), 200)
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM jobs WHERE attempts != 1"), 0, "no job was claimed twice")
        let finished = daemons.map { Set($0.events("finish").compactMap { $0["job"] }) }
        let claimed = daemons.map { Set($0.events("claim").compactMap { $0["job"] }) }
        XCTAssertTrue(claimed[0].isDisjoint(with: claimed[1]), "both daemons claimed \(claimed[0].intersection(claimed[1]))")
        XCTAssertEqual(finished[0].union(finished[1]).count, 200)
        XCTAssertFalse(finished[0].isEmpty, "the first daemon did work")
        XCTAssertFalse(finished[1].isEmpty, "the second daemon did work")
        let owners = daemons.map { $0.events("start").first?["owner"] ?? "" }
        XCTAssertNotEqual(owners[0], owners[1])
        print("two daemons: \(finished[0].count) and \(finished[1].count) jobs")
    }

    // MARK: Signals

    func testSigtermMidBatchFinishesInFlightJobsAndExitsZero() throws {
        let fixture = try DaemonFixture()
        try fixture.submitCompletions(60, maxTokens: 400)
        let child = try DaemonProcess(arguments(fixture, ["--max-seqs", "4"]), logDirectory: fixture.directory.path, name: "term")
        eventually("a first job finishes") { !child.events("finish").isEmpty }
        child.signal(SIGTERM)
        XCTAssertEqual(try child.wait(timeout: 20), 0, child.stderr.suffix(2000).description)

        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM jobs WHERE state = 'running'"), 0)
        let succeeded = try fixture.scalar("SELECT count(*) FROM jobs WHERE state = 'succeeded'")
        XCTAssertEqual(succeeded, child.events("finish").count)
        XCTAssertEqual(succeeded, child.events("claim").count, "in-flight jobs were finished, not dropped")
        XCTAssertLessThan(succeeded, 60, "SIGTERM stopped the claims")
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM jobs WHERE state = 'queued' AND attempts = 0"), 60 - succeeded)
        XCTAssertEqual(child.events("signal").first?["signal"], "SIGTERM")
        XCTAssertNotNil(child.events("shutdown").first)
        XCTAssertEqual(child.events("stop").first?["reason"], "shutdown")
    }

    func testSigtermWithoutGraceReleasesInFlightJobs() throws {
        let fixture = try DaemonFixture()
        try fixture.submitCompletions(60, maxTokens: 400)
        let child = try DaemonProcess(arguments(fixture, ["--max-seqs", "4", "--shutdown-grace", "0"]),
                                      logDirectory: fixture.directory.path, name: "term0")
        eventually("jobs are claimed") { !child.events("claim").isEmpty }
        child.signal(SIGINT)
        XCTAssertEqual(try child.wait(timeout: 20), 0, child.stderr.suffix(2000).description)

        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM jobs WHERE state = 'running'"), 0)
        let released = Int(child.events("release").first?["jobs"] ?? "0") ?? 0
        let succeeded = try fixture.scalar("SELECT count(*) FROM jobs WHERE state = 'succeeded'")
        XCTAssertEqual(released + succeeded, child.events("claim").count)
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM jobs WHERE state = 'queued' AND attempts = 0"), 60 - succeeded,
                       "released jobs are queued again without an attempt counted")
        XCTAssertEqual(child.events("signal").first?["signal"], "SIGINT")
    }

    // MARK: Metrics

    func testMetricsAreServedWhileTheDaemonRuns() throws {
        let fixture = try DaemonFixture()
        try fixture.submitCompletions(150, maxTokens: 400)
        let child = try DaemonProcess(arguments(fixture, ["--max-seqs", "4", "--metrics-addr", "127.0.0.1:0", "--shutdown-grace", "0"]),
                                      logDirectory: fixture.directory.path, name: "metrics")
        var url = ""
        eventually("the metrics address is logged") {
            url = child.events("metrics").first?["url"] ?? ""
            return !url.isEmpty
        }
        let port = try XCTUnwrap(Int(url.split(separator: ":").last?.split(separator: "/").first ?? ""), url)
        func generated() throws -> Double {
            let response = try HTTPClient.get(port: port, path: "/metrics")
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
            return HTTPClient.sample("jobs_generated_tokens_total", in: response.body) ?? -1
        }
        var first = 0.0
        try eventually("tokens are generated") {
            first = try generated()
            return first > 0
        }
        Thread.sleep(forTimeInterval: 0.2)
        let second = try generated()
        XCTAssertGreaterThan(second, first, "the counter moves while the daemon works")
        XCTAssertEqual(try HTTPClient.get(port: port, path: "/").status, 404)
        child.signal(SIGTERM)
        XCTAssertEqual(try child.wait(timeout: 20), 0)
    }

    func testMetricsAddressInUseStopsStartUp() throws {
        let fixture = try DaemonFixture()
        let taken = try MetricsServer(address: MetricsAddress(host: "127.0.0.1", port: 0), registry: MetricsRegistry())
        let run = try DaemonProcess.run(arguments(fixture, ["--metrics-addr", taken.address.description]),
                                        logDirectory: fixture.directory.path, name: "in-use")
        XCTAssertEqual(run.status, 1)
        let fatal = try XCTUnwrap(DaemonProcess.events("fatal", in: run.stderr).first, run.stderr)
        XCTAssertEqual(fatal["error"], DaemonError.metricsAddressInUse(address: taken.address.description).description)
    }

    // MARK: Command line

    func testHelpDescribesEveryOptionAndDefault() throws {
        let directory = TemporaryDirectory()
        let run = try DaemonProcess.run(["--help"], logDirectory: directory.path, name: "help")
        XCTAssertEqual(run.status, 0)
        XCTAssertTrue(run.stdout.hasPrefix("jobsd: run queued jobs through a local model.\n\nUsage: jobsd "), run.stdout)
        for option in ["--db PATH", "--model PATH", "--drain", "--lease-seconds N", "--max-attempts N", "--max-seqs N",
                       "--max-batch-tokens N", "--kv-memory SIZE", "--no-prefix-cache", "--reuse-results",
                       "--max-wait-ms N", "--shutdown-grace SECONDS", "--metrics-addr HOST:PORT", "--log-level LEVEL",
                       "--checkpoint-tokens N", "--checkpoint-interval SECONDS", "--no-checkpoints", "default 32", "default 10",
                       "JOBS_DB", "JOBS_MODEL", "default 2GiB", "default 64", "default 512", "default 60"] {
            XCTAssertTrue(run.stdout.contains(option), option)
        }
        XCTAssertEqual(run.stderr, "")
    }

    func testMalformedCommandLinesExitWithStatusTwo() throws {
        let directory = TemporaryDirectory()
        let cases: [([String], String)] = [
            (["--bogus"], "unknown option --bogus"),
            (["--max-seqs", "0"], "--max-seqs must be an integer from 1 to 4096, got '0'"),
            (["--kv-memory", "lots"], "--kv-memory 'lots' is not a size"),
            (["--log-level", "loud"], "--log-level must be one of debug, info, warn, error; got 'loud'"),
            // What the message quotes is shown, not run by the terminal.
            (["--log-level", "\u{1B}[2J"], "--log-level must be one of debug, info, warn, error; got '\\u001B[2J'"),
            (["--metrics-addr", "9464"], "--metrics-addr 9464: no port; write HOST:PORT"),
            (["--shutdown-grace", "-1"], "--shutdown-grace must be a number of seconds ≥ 0, got '-1'"),
            (["--lease-seconds", "0"], "--lease-seconds must be a positive number of seconds, got '0'"),
            (["--checkpoint-tokens", "0"], "--checkpoint-tokens must be an integer from 1 to 1000000, got '0'"),
            (["--checkpoint-interval", "-2"], "--checkpoint-interval must be a positive number of seconds, got '-2'"),
            (["--no-checkpoints", "--checkpoint-tokens", "8"], "--no-checkpoints cannot be combined with --checkpoint-tokens or --checkpoint-interval"),
        ]
        for (index, (arguments, message)) in cases.enumerated() {
            let run = try DaemonProcess.run(arguments, logDirectory: directory.path, name: "usage\(index)")
            XCTAssertEqual(run.status, 2, "\(arguments)")
            XCTAssertTrue(run.stderr.hasPrefix("jobsd: " + message), "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("Run 'jobsd --help'"), run.stderr)
        }
    }

    func testMissingModelFileIsAClearErrorAndCreatesNothing() throws {
        let directory = TemporaryDirectory()
        let database = directory.file("jobs.db")
        let run = try DaemonProcess.run(["--db", database, "--model", directory.file("absent.gguf")],
                                        logDirectory: directory.path, name: "no-model")
        XCTAssertEqual(run.status, 1)
        let fatal = try XCTUnwrap(DaemonProcess.events("fatal", in: run.stderr).first, run.stderr)
        XCTAssertEqual(fatal["error"], "model file \(directory.file("absent.gguf")) not found; run Scripts/install-model or pass --model")
        XCTAssertFalse(FileManager.default.fileExists(atPath: database))
    }

    func testStartLogNamesTheModelEngineOptionsAndKVMemory() throws {
        let fixture = try DaemonFixture()
        let run = try DaemonProcess.run(arguments(fixture, ["--drain", "--max-seqs", "5", "--no-prefix-cache"]),
                                        logDirectory: fixture.directory.path, name: "start")
        XCTAssertEqual(run.status, 0, run.stderr)
        let model = try XCTUnwrap(DaemonProcess.events("model", in: run.stderr).first)
        XCTAssertEqual(model["architecture"], "gemma3")
        XCTAssertEqual(model["context"], "512")
        XCTAssertEqual(model["name"], "tiny gemma3")
        XCTAssertGreaterThan(Int(model["parameters"] ?? "") ?? 0, 0)
        XCTAssertGreaterThan(Int(model["weight_bytes"] ?? "") ?? 0, 0)
        XCTAssertNotNil(Double(model["load_seconds"] ?? ""))
        let start = try XCTUnwrap(DaemonProcess.events("start", in: run.stderr).first)
        XCTAssertEqual(start["max_seqs"], "5")
        XCTAssertEqual(start["prefix_cache"], "false")
        XCTAssertEqual(start["db"], fixture.databasePath)
        let kvBytes = try XCTUnwrap(Int(start["kv_memory_bytes"] ?? ""))
        XCTAssertGreaterThan(kvBytes, 15 << 20)
        // Tokens with every layer held, as `jobs doctor` counts them; the tiny Gemma's blocks serve
        // one of its two layer groups each, so blocks × block size would be twice as many.
        let layout = fixture.model.model.kvLayout.with(blockSize: 16, precision: .default)
        XCTAssertEqual(start["kv_tokens"], String(kvBytes / layout.bytesPerToken))
        XCTAssertTrue(start["owner"]?.contains(":") ?? false)
        // The pool is made resident between these two lines, and the start line says how long it took.
        XCTAssertEqual(DaemonProcess.events("reserve", in: run.stderr).first?["kv_memory"], "16 MiB")
        XCTAssertNotNil(Double(start["kv_resident_seconds"] ?? ""), run.stderr)
        // What the start check kept free beside the pool: the forward pass's memory for 5
        // sequences and the default 512 batch tokens, and the runtime's share.
        XCTAssertEqual(start["working_memory"], ByteCount.format(fixture.model.model.workingMemoryBytes(tokens: 512, rows: 5)
            + KVBlockStorage.processOverhead), run.stderr)
        XCTAssertEqual(DaemonProcess.events("stop", in: run.stderr).first?["reason"], "drained")
    }
}
