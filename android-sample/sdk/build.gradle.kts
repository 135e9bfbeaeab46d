// The SDK as an Android library: `./gradlew :sdk:assembleRelease` gives an AAR that any app can
// use. Its sources are generated, not checked in: `cargo xtask android` writes the Rust library
// for each ABI into src/main/jniLibs/ and the Kotlin bindings (generated + bindings/kotlin/src)
// into src/main/java/.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "org.omnijitsi.meet"
    compileSdk = 36

    defaultConfig {
        // The Rust libraries are linked for API 21 (xtask/src/android.rs, MIN_API).
        minSdk = 21
        consumerProguardFiles("consumer-rules.pro")
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17)
    }
}

dependencies {
    // The generated bindings reach the Rust library through JNA. The AAR flavour carries JNA's
    // native dispatcher for each Android ABI; the plain jar only has desktop ones.
    api("net.java.dev.jna:jna:5.18.1@aar")
    // joinMeeting returns a Flow; suspend functions need the coroutines runtime.
    api("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.10.2")
}
