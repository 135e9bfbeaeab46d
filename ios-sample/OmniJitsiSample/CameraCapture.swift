import AVFoundation
import OmniJitsiMeet
import SampleMedia
import UIKit

/// The front camera as NV12 video-range buffers, packed to I420 on the capture queue and handed
/// to `onFrame` with the rotation that shows them upright. Late frames are discarded by
/// AVFoundation rather than queued.
final class CameraCapture: NSObject, AVCaptureVideoDataOutputSampleBufferDelegate {
    private let session = AVCaptureSession()
    private let queue = DispatchQueue(label: "camera")
    private let onFrame: (VideoFrame) -> Void
    private var configured = false
    private var frontCamera = true
    /// Written on the main thread (UIDevice is main-thread only), read on the capture queue.
    private let orientation = HeldOrientation()
    private var observer: NSObjectProtocol?

    init(onFrame: @escaping (VideoFrame) -> Void) {
        self.onFrame = onFrame
        super.init()
    }

    /// On the main thread; needs camera access (the permission flow asked for it).
    func start() {
        UIDevice.current.beginGeneratingDeviceOrientationNotifications()
        orientation.update(UIDevice.current.orientation)
        observer = NotificationCenter.default.addObserver(
            forName: UIDevice.orientationDidChangeNotification, object: nil, queue: .main
        ) { [orientation] _ in
            orientation.update(UIDevice.current.orientation)
        }
        queue.async { [self] in
            if !configured {
                configured = configure()
            }
            if configured, !session.isRunning {
                session.startRunning()
            }
        }
    }

    func stop() {
        if let observer {
            NotificationCenter.default.removeObserver(observer)
            UIDevice.current.endGeneratingDeviceOrientationNotifications()
        }
        observer = nil
        queue.async { [session] in
            if session.isRunning {
                session.stopRunning()
            }
        }
    }

    private func configure() -> Bool {
        let device = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .front)
            ?? AVCaptureDevice.default(for: .video)
        guard let device, let input = try? AVCaptureDeviceInput(device: device) else { return false }
        frontCamera = device.position == .front
        session.beginConfiguration()
        defer { session.commitConfiguration() }
        // 640x480 is what a call needs and what the SDK's software encoder keeps up with.
        session.sessionPreset = .vga640x480
        let output = AVCaptureVideoDataOutput()
        output.videoSettings = [
            kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_420YpCbCr8BiPlanarVideoRange,
        ]
        output.alwaysDiscardsLateVideoFrames = true
        output.setSampleBufferDelegate(self, queue: queue)
        guard session.canAddInput(input), session.canAddOutput(output) else { return false }
        session.addInput(input)
        session.addOutput(output)
        return true
    }

    func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer, from connection: AVCaptureConnection) {
        guard let pixels = CMSampleBufferGetImageBuffer(sampleBuffer),
              CVPixelBufferGetPlaneCount(pixels) == 2 else { return }
        CVPixelBufferLockBaseAddress(pixels, .readOnly)
        defer { CVPixelBufferUnlockBaseAddress(pixels, .readOnly) }
        guard let luma = CVPixelBufferGetBaseAddressOfPlane(pixels, 0),
              let chroma = CVPixelBufferGetBaseAddressOfPlane(pixels, 1) else { return }
        let lumaBytesPerRow = CVPixelBufferGetBytesPerRowOfPlane(pixels, 0)
        let chromaBytesPerRow = CVPixelBufferGetBytesPerRowOfPlane(pixels, 1)
        let time = CMSampleBufferGetPresentationTimeStamp(sampleBuffer)
        do {
            let picture = try NV12Packer.pack(
                width: CVPixelBufferGetWidthOfPlane(pixels, 0),
                height: CVPixelBufferGetHeightOfPlane(pixels, 0),
                luma: UnsafeRawBufferPointer(start: luma, count: lumaBytesPerRow * CVPixelBufferGetHeightOfPlane(pixels, 0)),
                lumaBytesPerRow: lumaBytesPerRow,
                chroma: UnsafeRawBufferPointer(start: chroma, count: chromaBytesPerRow * CVPixelBufferGetHeightOfPlane(pixels, 1)),
                chromaBytesPerRow: chromaBytesPerRow,
                rotation: cameraFrameRotation(orientation.current, frontCamera: frontCamera)
            )
            let micros = time.isValid ? UInt64(max(0, CMTimeGetSeconds(time) * 1_000_000)) : 0
            onFrame(VideoFrame(picture, timestampUs: micros))
        } catch {
            print("camera picture dropped: \(error)")
        }
    }
}

/// The last meaningful way the phone was held; face up or down keeps the previous one.
final class HeldOrientation: @unchecked Sendable {
    private let lock = NSLock()
    private var value = DeviceOrientation.portrait

    var current: DeviceOrientation {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    func update(_ device: UIDeviceOrientation) {
        let next: DeviceOrientation
        switch device {
        case .portrait: next = .portrait
        case .portraitUpsideDown: next = .portraitUpsideDown
        case .landscapeLeft: next = .landscapeLeft
        case .landscapeRight: next = .landscapeRight
        default: return
        }
        lock.lock()
        value = next
        lock.unlock()
    }
}

extension VideoFrame {
    init(_ p: I420Picture, timestampUs: UInt64) {
        self.init(
            width: UInt32(p.width), height: UInt32(p.height), timestampUs: timestampUs,
            rotationDegrees: UInt16(p.rotation),
            y: Data(p.y), u: Data(p.u), v: Data(p.v),
            strideY: UInt32(p.strideY), strideU: UInt32(p.strideU), strideV: UInt32(p.strideV)
        )
    }
}

extension I420Picture {
    init(_ f: VideoFrame) {
        self.init(
            width: Int(f.width), height: Int(f.height), rotation: Int(f.rotationDegrees),
            y: [UInt8](f.y), u: [UInt8](f.u), v: [UInt8](f.v),
            strideY: Int(f.strideY), strideU: Int(f.strideU), strideV: Int(f.strideV)
        )
    }
}
