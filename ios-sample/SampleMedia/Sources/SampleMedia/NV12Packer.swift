/// The camera's bi-planar 4:2:0 (`kCVPixelFormatType_420YpCbCr8BiPlanarVideoRange`: a Y plane,
/// then one plane of interleaved Cb Cr pairs, rows padded to each plane's bytes-per-row) into
/// the tightly packed I420 the SDK encodes. Video range is what the SDK's encoder assumes, so
/// the samples are copied unchanged.
public enum NV12Packer {
    public static func pack(
        width: Int,
        height: Int,
        luma: UnsafeRawBufferPointer,
        lumaBytesPerRow: Int,
        chroma: UnsafeRawBufferPointer,
        chromaBytesPerRow: Int,
        rotation: Int
    ) throws -> I420Picture {
        guard width > 0, height > 0, width % 2 == 0, height % 2 == 0 else {
            throw MediaFormatError.badSize(width: width, height: height)
        }
        let rotation = try checkedRotation(rotation)
        let chromaWidth = width / 2
        let chromaHeight = height / 2
        guard lumaBytesPerRow >= width else {
            throw MediaFormatError.badStride(plane: "y", stride: lumaBytesPerRow)
        }
        guard chromaBytesPerRow >= width else {
            throw MediaFormatError.badStride(plane: "uv", stride: chromaBytesPerRow)
        }
        let lumaNeeded = lumaBytesPerRow * (height - 1) + width
        guard luma.count >= lumaNeeded else {
            throw MediaFormatError.planeTooSmall(plane: "y", bytes: luma.count, needed: lumaNeeded)
        }
        let chromaNeeded = chromaBytesPerRow * (chromaHeight - 1) + width
        guard chroma.count >= chromaNeeded else {
            throw MediaFormatError.planeTooSmall(plane: "uv", bytes: chroma.count, needed: chromaNeeded)
        }
        var y = [UInt8](repeating: 0, count: width * height)
        y.withUnsafeMutableBytes { out in
            for row in 0..<height {
                let from = UnsafeRawBufferPointer(rebasing: luma[(row * lumaBytesPerRow)..<(row * lumaBytesPerRow + width)])
                UnsafeMutableRawBufferPointer(rebasing: out[(row * width)..<((row + 1) * width)]).copyMemory(from: from)
            }
        }
        var u = [UInt8](repeating: 0, count: chromaWidth * chromaHeight)
        var v = u
        for row in 0..<chromaHeight {
            let start = row * chromaBytesPerRow
            for column in 0..<chromaWidth {
                u[row * chromaWidth + column] = chroma[start + 2 * column]
                v[row * chromaWidth + column] = chroma[start + 2 * column + 1]
            }
        }
        return I420Picture(
            width: width, height: height, rotation: rotation,
            y: y, u: u, v: v,
            strideY: width, strideU: chromaWidth, strideV: chromaWidth
        )
    }
}

/// How the phone is held, as `UIDeviceOrientation` says (face up/down and unknown keep the
/// last known value).
public enum DeviceOrientation {
    case portrait, portraitUpsideDown, landscapeLeft, landscapeRight
}

/// How far to turn a camera picture clockwise to show it upright. iOS cameras deliver
/// landscape buffers whatever the phone does; this is WebRTC's RTCCameraVideoCapturer table.
public func cameraFrameRotation(_ orientation: DeviceOrientation, frontCamera: Bool) -> Int {
    switch orientation {
    case .portrait: return 90
    case .portraitUpsideDown: return 270
    case .landscapeLeft: return frontCamera ? 180 : 0
    case .landscapeRight: return frontCamera ? 0 : 180
    }
}
