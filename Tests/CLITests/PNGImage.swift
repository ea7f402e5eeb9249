/// A decoded 8-bit RGB or RGBA, non-interlaced PNG (what Chromium's screenshots are): enough to
/// check a rendered report's pixels. Other kinds of PNG are refused with a message.
struct PNGImage {
    let width: Int
    let height: Int
    /// Row-major RGB triples, alpha dropped (screenshots are opaque).
    let rgb: [UInt8]

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(bytes: [UInt8]) throws {
        let signature: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
        guard bytes.count > 8, Array(bytes[0..<8]) == signature else { throw Failure(description: "not a PNG file") }
        var position = 8
        var header: [UInt8] = []
        var compressed: [UInt8] = []
        func integer(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        chunks: while position + 12 <= bytes.count {
            let length = integer(position)
            let type = String(decoding: bytes[position + 4..<position + 8], as: UTF8.self)
            let dataStart = position + 8
            guard dataStart + length + 4 <= bytes.count else { throw Failure(description: "chunk \(type) is truncated") }
            switch type {
            case "IHDR": header = Array(bytes[dataStart..<dataStart + length])
            case "IDAT": compressed += bytes[dataStart..<dataStart + length]
            case "IEND": break chunks
            default: break
            }
            position = dataStart + length + 4
        }
        guard header.count == 13 else { throw Failure(description: "missing IHDR chunk") }
        width = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
        height = header[4..<8].reduce(0) { $0 << 8 | Int($1) }
        let (depth, colorType, interlace) = (header[8], header[9], header[12])
        guard depth == 8, colorType == 2 || colorType == 6, interlace == 0 else {
            throw Failure(description: "unsupported PNG: bit depth \(depth), color type \(colorType), interlace \(interlace)")
        }
        let channels = colorType == 6 ? 4 : 3
        let stride = width * channels
        let raw = try Inflate.zlib(compressed)
        guard raw.count == height * (stride + 1) else {
            throw Failure(description: "image data has \(raw.count) bytes, expected \(height * (stride + 1))")
        }
        rgb = try PNGImage.unfilter(raw, height: height, stride: stride, channels: channels)
    }

    /// Undoes the per-row filters (None, Sub, Up, Average, Paeth) and drops alpha.
    private static func unfilter(_ raw: [UInt8], height: Int, stride: Int, channels: Int) throws -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: height * stride)
        try raw.withUnsafeBufferPointer { raw in
            try pixels.withUnsafeMutableBufferPointer { out in
                for row in 0..<height {
                    let filter = raw[row * (stride + 1)]
                    let input = row * (stride + 1) + 1, base = row * stride
                    for column in 0..<stride {
                        let left = column >= channels ? Int(out[base + column - channels]) : 0
                        let up = row > 0 ? Int(out[base - stride + column]) : 0
                        let upLeft = row > 0 && column >= channels ? Int(out[base - stride + column - channels]) : 0
                        let predictor: Int
                        switch filter {
                        case 0: predictor = 0
                        case 1: predictor = left
                        case 2: predictor = up
                        case 3: predictor = (left + up) / 2
                        case 4:
                            let estimate = left + up - upLeft
                            let (dl, du, dul) = (abs(estimate - left), abs(estimate - up), abs(estimate - upLeft))
                            predictor = dl <= du && dl <= dul ? left : du <= dul ? up : upLeft
                        default:
                            throw Failure(description: "row \(row) has unknown filter type \(filter)")
                        }
                        out[base + column] = UInt8((Int(raw[input + column]) + predictor) & 0xff)
                    }
                }
            }
        }
        guard channels == 4 else { return pixels }
        var rgb = [UInt8](repeating: 0, count: pixels.count / 4 * 3)
        for pixel in 0..<pixels.count / 4 {
            rgb[pixel * 3] = pixels[pixel * 4]
            rgb[pixel * 3 + 1] = pixels[pixel * 4 + 1]
            rgb[pixel * 3 + 2] = pixels[pixel * 4 + 2]
        }
        return rgb
    }

    /// Pixels within `tolerance` of `color` (0xRRGGBB) in every channel.
    func count(near color: UInt32, tolerance: Int = 24) -> Int {
        let target = [Int(color >> 16 & 0xff), Int(color >> 8 & 0xff), Int(color & 0xff)]
        var matches = 0
        rgb.withUnsafeBufferPointer { rgb in
            for pixel in 0..<width * height {
                if abs(Int(rgb[pixel * 3]) - target[0]) <= tolerance, abs(Int(rgb[pixel * 3 + 1]) - target[1]) <= tolerance,
                   abs(Int(rgb[pixel * 3 + 2]) - target[2]) <= tolerance {
                    matches += 1
                }
            }
        }
        return matches
    }

    /// How many pixels have each colour (0xRRGGBB).
    func histogram() -> [UInt32: Int] {
        var counts: [UInt32: Int] = [:]
        for pixel in 0..<width * height {
            let color = UInt32(rgb[pixel * 3]) << 16 | UInt32(rgb[pixel * 3 + 1]) << 8 | UInt32(rgb[pixel * 3 + 2])
            counts[color, default: 0] += 1
        }
        return counts
    }
}
