import Dispatch

/// Seconds from an arbitrary origin that never jumps: for intervals and deadlines.
enum MonotonicClock {
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
