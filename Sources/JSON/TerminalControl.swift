extension Unicode.Scalar {
    /// Whether this scalar acts on a terminal instead of showing: the C0 controls (tab and
    /// newline among them), DEL, the C1 controls (U+0080-U+009F; U+009B is a CSI by itself), and
    /// the bidirectional embedding, override and isolate controls (U+202A-U+202E,
    /// U+2066-U+2069), which reorder what is drawn after them ("Trojan Source", CVE-2021-42574).
    /// Every way untrusted text is shown escapes these: the JSON writer (byte by byte, with
    /// U+2028/U+2029 besides), `jobs`' text output and messages, and jobsd's logfmt.
    public var isTerminalControl: Bool {
        switch value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}
