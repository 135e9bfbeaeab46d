plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "org.omnijitsi.sample"
    compileSdk = 36

    defaultConfig {
        applicationId = "org.omnijitsi.sample"
        // As the omni_jitsi_meet Flutter plugin; the Rust libraries are linked for API 21 too.
        minSdk = 21
        targetSdk = 36
        versionCode = 1
        versionName = "0.1.0"
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"))
        }
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
    // Brings JNA (net.java.dev.jna:jna@aar) and kotlinx-coroutines-core with it.
    implementation(project(":sdk"))
    implementation(project(":permissions"))
    // Dispatchers.Main for the UI. The app uses the platform Activity API only (no AndroidX),
    // so no library can raise minSdk above 21.
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
    testImplementation(kotlin("test-junit"))
    testImplementation("junit:junit:4.13.2")
}
