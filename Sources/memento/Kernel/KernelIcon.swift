// The kernelspec's PNG icons (logo-32x32.png, logo-64x64.png, which the classic Notebook and
// some launchers use), drawn from the same shapes as the SVG icon: a rounded square, the
// "M" polygon and the underline, with 4×4 supersampling for smooth edges. Written as an
// uncompressed PNG (zlib stored blocks): a 64×64 icon is 16 KiB, and no image library is
// needed.

import Foundation

enum KernelIcon {
    private typealias RGB = (r: Double, g: Double, b: Double)
    private static let background: RGB = (0x1f, 0x4e, 0x8c)
    private static let letter: RGB = (0xff, 0xff, 0xff)
    private static let underline: RGB = (0xf2, 0xa9, 0x3b)
    /// The "M" of the SVG's path, in its 64-unit coordinates.
    private static let m: [(Double, Double)] = [(14, 46), (14, 18), (20, 18), (32, 34), (44, 18), (50, 18), (50, 46),
                                                (43, 46), (43, 30), (32, 44), (21, 30), (21, 46)]

    /// An RGBA PNG of `size`×`size` pixels.
    static func png(size: Int) -> [UInt8] {
        var raw: [UInt8] = []
        raw.reserveCapacity(size * (size * 4 + 1))
        let samples = 4
        for y in 0..<size {
            raw.append(0)  // filter: none
            for x in 0..<size {
                var sum: RGB = (0, 0, 0)
                var alpha = 0.0
                for sy in 0..<samples {
                    for sx in 0..<samples {
                        let u = (Double(x) + (Double(sx) + 0.5) / Double(samples)) * 64 / Double(size)
                        let v = (Double(y) + (Double(sy) + 0.5) / Double(samples)) * 64 / Double(size)
                        guard let c = color(u, v) else { continue }
                        sum = (sum.r + c.r, sum.g + c.g, sum.b + c.b)
                        alpha += 1
                    }
                }
                if alpha == 0 {
                    raw += [0, 0, 0, 0]
                } else {
                    raw += [UInt8(sum.r / alpha), UInt8(sum.g / alpha), UInt8(sum.b / alpha),
                            UInt8((alpha / Double(samples * samples) * 255).rounded())]
                }
            }
        }
        var header: [UInt8] = []
        header += bigEndian(UInt32(size)) + bigEndian(UInt32(size))
        header += [8, 6, 0, 0, 0]  // 8 bits per channel, RGBA, deflate, no filter, no interlace
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + chunk("IHDR", header) + chunk("IDAT", zlibStored(raw)) + chunk("IEND", [])
    }

    /// The colour at (u, v) in the icon's 64-unit square, nil outside the rounded square.
    private static func color(_ u: Double, _ v: Double) -> RGB? {
        let r = 12.0
        let cx = min(max(u, r), 64 - r), cy = min(max(v, r), 64 - r)
        if (u - cx) * (u - cx) + (v - cy) * (v - cy) > r * r { return nil }
        if abs(v - 54) <= 2, u >= 8, u <= 56 { return underline }
        return inside(u, v, m) ? letter : background
    }

    /// Even-odd point-in-polygon test.
    private static func inside(_ x: Double, _ y: Double, _ polygon: [(Double, Double)]) -> Bool {
        var result = false
        var j = polygon.count - 1
        for i in 0..<polygon.count {
            let (xi, yi) = polygon[i], (xj, yj) = polygon[j]
            if (yi > y) != (yj > y), x < (xj - xi) * (y - yi) / (yj - yi) + xi { result.toggle() }
            j = i
        }
        return result
    }

    private static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
    }

    /// zlib's format with deflate's stored (uncompressed) blocks of at most 65535 bytes.
    private static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65535, data.count - offset)
            let last: UInt8 = offset + n == data.count ? 1 : 0
            out += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[offset..<(offset + n)]
            offset += n
        } while offset < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + bigEndian(b << 16 | a)
    }

    private static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
