import CoreGraphics
import OmniJitsiMeet
import SampleMedia

/// Receives the SDK's decoded pictures on its video thread, turns each into a CGImage there,
/// and hands only the finished image to the main actor.
final class RemoteVideo: RemoteVideoSink, @unchecked Sendable {
    private let show: @Sendable (String, CGImage) -> Void

    init(show: @escaping @Sendable (String, CGImage) -> Void) {
        self.show = show
    }

    func onFrame(sourceName: String, frame: VideoFrame) {
        guard let image = Self.image(from: frame) else { return }
        show(sourceName, image)
    }

    static func image(from frame: VideoFrame) -> CGImage? {
        let picture: RGBAPicture
        do {
            picture = try I420ToRGBA.convert(I420Picture(frame))
        } catch {
            print("remote picture dropped: \(error)")
            return nil
        }
        guard let provider = CGDataProvider(data: Data(picture.bytes) as CFData) else { return nil }
        return CGImage(
            width: picture.width,
            height: picture.height,
            bitsPerComponent: 8,
            bitsPerPixel: 32,
            bytesPerRow: picture.width * 4,
            space: CGColorSpaceCreateDeviceRGB(),
            bitmapInfo: CGBitmapInfo(rawValue: CGImageAlphaInfo.noneSkipLast.rawValue),
            provider: provider,
            decode: nil,
            shouldInterpolate: true,
            intent: .defaultIntent
        )
    }
}
