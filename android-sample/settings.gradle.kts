pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "omni-jitsi-sample"

// sdk: the Rust libraries and Kotlin bindings that `cargo xtask android` generates (an AAR).
// permissions: the permission-then-join flow, plain Kotlin with no Android classes.
include(":app", ":sdk", ":permissions")
