/// An upright picture, 4 bytes per pixel (R, G, B, 255), rows packed: what a `CGImage` with
/// `CGImageAlphaInfo.noneSkipLast` reads.
public struct RGBAPicture: Equatable {
    public let width: Int
    public let height: Int
    public let bytes: [UInt8]

    public func pixel(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8, a: UInt8) {
        let at = (y * width + x) * 4
        return (bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3])
    }
}

/// Decoded remote pictures to RGBA for display. The SDK's H.264 decoder gives BT.601
/// limited-range YUV (Y 16...235), so black is Y=16 and white Y=235; full-range maths would
/// show grey blacks and clipped whites. The frame's rotation is applied here, since senders set
/// it instead of turning their pixels.
public enum I420ToRGBA {
    /// The SDK's own limit; it also bounds the buffer a hostile frame could ask for.
    static let maxSide = 3840

    public static func convert(_ p: I420Picture) throws -> RGBAPicture {
        guard p.width > 0, p.height > 0, p.width <= maxSide, p.height <= maxSide else {
            throw MediaFormatError.badSize(width: p.width, height: p.height)
        }
        let rotation = try checkedRotation(p.rotation)
        let chromaWidth = (p.width + 1) / 2
        let chromaHeight = (p.height + 1) / 2
        try check("y", p.y.count, p.strideY, p.width, p.height)
        try check("u", p.u.count, p.strideU, chromaWidth, chromaHeight)
        try check("v", p.v.count, p.strideV, chromaWidth, chromaHeight)

        let turned = rotation == 90 || rotation == 270
        let outWidth = turned ? p.height : p.width
        let outHeight = turned ? p.width : p.height
        var out = [UInt8](repeating: 255, count: p.width * p.height * 4)
        for row in 0..<p.height {
            for column in 0..<p.width {
                let luma = Int(p.y[row * p.strideY + column])
                let u = Int(p.u[(row / 2) * p.strideU + column / 2])
                let v = Int(p.v[(row / 2) * p.strideV + column / 2])
                let (x, y): (Int, Int)
                switch rotation {
                case 90: (x, y) = (p.height - 1 - row, column)
                case 180: (x, y) = (p.width - 1 - column, p.height - 1 - row)
                case 270: (x, y) = (row, p.width - 1 - column)
                default: (x, y) = (column, row)
                }
                let at = (y * outWidth + x) * 4
                let (r, g, b) = rgb(luma: luma, u: u, v: v)
                out[at] = r
                out[at + 1] = g
                out[at + 2] = b
            }
        }
        return RGBAPicture(width: outWidth, height: outHeight, bytes: out)
    }

    /// BT.601 limited range in 8.8 fixed point, the coefficients libyuv uses.
    public static func rgb(luma: Int, u: Int, v: Int) -> (UInt8, UInt8, UInt8) {
        let c = 298 * (luma - 16)
        let d = u - 128
        let e = v - 128
        return (
            clamp((c + 409 * e + 128) >> 8),
            clamp((c - 100 * d - 208 * e + 128) >> 8),
            clamp((c + 516 * d + 128) >> 8)
        )
    }

    private static func clamp(_ x: Int) -> UInt8 {
        UInt8(Swift.max(0, Swift.min(255, x)))
    }

    private static func check(_ plane: String, _ bytes: Int, _ stride: Int, _ columns: Int, _ rows: Int) throws {
        guard stride >= columns else {
            throw MediaFormatError.badStride(plane: plane, stride: stride)
        }
        let needed = stride * (rows - 1) + columns
        guard bytes >= needed else {
            throw MediaFormatError.planeTooSmall(plane: plane, bytes: bytes, needed: needed)
        }
    }
}
