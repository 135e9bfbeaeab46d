import Foundation
import Network

/// Calls `onChange` when the path the phone uses changes (Wi-Fi to cellular and back, or lost),
/// not for the one it has at start: the meeting then probes its connection and restarts ICE
/// with the bridge at once, on the new network, instead of waiting for timeouts (`Meeting.networkChanged()`).
final class NetworkWatcher {
    private let monitor = NWPathMonitor()
    private let queue = DispatchQueue(label: "org.omnijitsi.sample.network")
    private var current: String?

    init(onChange: @escaping () -> Void) {
        monitor.pathUpdateHandler = { [weak self] path in
            guard let self else { return }
            // What identifies the path: whether it is usable, and over which interfaces.
            let now = "\(path.status) \(path.availableInterfaces.map(\.name))"
            let changed = self.current != nil && self.current != now
            self.current = now
            if changed { onChange() }
        }
        monitor.start(queue: queue)
    }

    deinit {
        monitor.cancel()
    }
}
