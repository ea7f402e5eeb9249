import CPUID

/// What this CPU can run, from `cpuid`, and which register state the OS saves, from `xgetbv`
/// (Intel SDM vol. 2A, CPUID leaves 1 and 7; vol. 1 §13.3 for XCR0). /proc/cpuinfo lists what
/// the CPU has, not what the kernel enables, so the decision is made from these.
public struct CPUCapabilities: Sendable, Equatable {
    public var avx2: Bool
    public var fma: Bool
    public var f16c: Bool
    public var avx512f: Bool
    public var avx512bw: Bool
    public var avx512vl: Bool
    public var avx512dq: Bool
    public var avx512vnni: Bool
    /// AVX-512 BF16 (`vdpbf16ps`): cpuid leaf 7 subleaf 1, EAX bit 5.
    public var avx512bf16: Bool
    /// The OS saves the AVX (YMM) state: XCR0 bits 1 and 2.
    public var osSavesAVX: Bool
    /// The OS saves the AVX-512 state (opmask, ZMM0-15 upper halves, ZMM16-31): XCR0 bits 5-7.
    public var osSavesAVX512: Bool

    public init(avx2: Bool = false, fma: Bool = false, f16c: Bool = false, avx512f: Bool = false,
                avx512bw: Bool = false, avx512vl: Bool = false, avx512dq: Bool = false, avx512vnni: Bool = false,
                avx512bf16: Bool = false, osSavesAVX: Bool = false, osSavesAVX512: Bool = false) {
        self.avx2 = avx2
        self.fma = fma
        self.f16c = f16c
        self.avx512f = avx512f
        self.avx512bw = avx512bw
        self.avx512vl = avx512vl
        self.avx512dq = avx512dq
        self.avx512vnni = avx512vnni
        self.avx512bf16 = avx512bf16
        self.osSavesAVX = osSavesAVX
        self.osSavesAVX512 = osSavesAVX512
    }

    /// This machine, read once.
    public static let current: CPUCapabilities = {
        #if arch(x86_64)
        let leaf1 = jobs_cpuid(1, 0), leaf7 = jobs_cpuid(7, 0)
        // Subleaf 1 of leaf 7 exists when subleaf 0's EAX (the highest subleaf) is at least 1.
        let leaf7Subleaf1 = leaf7.eax >= 1 ? jobs_cpuid(7, 1) : jobs_cpuid_registers(eax: 0, ebx: 0, ecx: 0, edx: 0)
        func bit(_ register: UInt32, _ index: UInt32) -> Bool { register & (1 << index) != 0 }
        let osxsave = bit(leaf1.ecx, 27)
        let xcr0 = osxsave ? jobs_xgetbv0() : 0
        return CPUCapabilities(
            avx2: bit(leaf7.ebx, 5), fma: bit(leaf1.ecx, 12), f16c: bit(leaf1.ecx, 29),
            avx512f: bit(leaf7.ebx, 16), avx512bw: bit(leaf7.ebx, 30), avx512vl: bit(leaf7.ebx, 31),
            avx512dq: bit(leaf7.ebx, 17), avx512vnni: bit(leaf7.ecx, 11),
            avx512bf16: bit(leaf7Subleaf1.eax, 5),
            osSavesAVX: bit(leaf1.ecx, 28) && xcr0 & 0x6 == 0x6,
            osSavesAVX512: xcr0 & 0xE6 == 0xE6)
        #else
        return CPUCapabilities()
        #endif
    }()

    /// Everything the AVX2 level is compiled for (Haswell: AVX2, FMA, F16C), usable.
    public var runsAVX2: Bool { avx2 && fma && f16c && osSavesAVX }
    /// Everything the AVX-512 level is compiled for (Skylake-SP: AVX-512 F/BW/VL/DQ, plus AVX2's), usable.
    public var runsAVX512: Bool { runsAVX2 && avx512f && avx512bw && avx512vl && avx512dq && osSavesAVX512 }

}
