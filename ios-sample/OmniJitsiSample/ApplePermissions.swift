import AVFoundation
import Photos
import PermissionFlow

/// `PermissionPlatform` on AVCaptureDevice and PHPhotoLibrary. Each needs its usage description
/// in Info.plist, or iOS ends the app at the first request.
struct ApplePermissions: PermissionPlatform {
    func status(of access: Access) -> PermissionStatus {
        switch access {
        case .camera:
            return PermissionStatus(AVCaptureDevice.authorizationStatus(for: .video))
        case .microphone:
            return PermissionStatus(AVCaptureDevice.authorizationStatus(for: .audio))
        case .photoLibrary:
            return PermissionStatus(PHPhotoLibrary.authorizationStatus(for: .readWrite))
        }
    }

    func request(_ access: Access) async -> PermissionStatus {
        switch access {
        case .camera:
            _ = await AVCaptureDevice.requestAccess(for: .video)
        case .microphone:
            _ = await AVCaptureDevice.requestAccess(for: .audio)
        case .photoLibrary:
            return PermissionStatus(await PHPhotoLibrary.requestAuthorization(for: .readWrite))
        }
        // The Bool answer cannot tell "denied" from "restricted"; the status can.
        return status(of: access)
    }
}

private extension PermissionStatus {
    init(_ status: AVAuthorizationStatus) {
        switch status {
        case .authorized: self = .authorized
        case .denied: self = .denied
        case .restricted: self = .restricted
        case .notDetermined: self = .notDetermined
        @unknown default: self = .denied
        }
    }

    init(_ status: PHAuthorizationStatus) {
        switch status {
        case .authorized: self = .authorized
        case .limited: self = .limited
        case .denied: self = .denied
        case .restricted: self = .restricted
        case .notDetermined: self = .notDetermined
        @unknown default: self = .denied
        }
    }
}
