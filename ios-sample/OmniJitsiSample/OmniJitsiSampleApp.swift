import SwiftUI

@main
struct OmniJitsiSampleApp: App {
    var body: some Scene {
        WindowGroup {
            ContentView()
        }
    }
}
