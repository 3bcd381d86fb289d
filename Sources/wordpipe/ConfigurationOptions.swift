import ArgumentParser
import Foundation
import WordPipeSupport

/// Runs a configuration's `validate` for a command: an invalid setting becomes a usage error
/// naming its option, derived from the setting's key (`min_count` -> `--min-count`, see
/// `SettingKey.flagName`); `flags` names the options of keys whose option is spelled otherwise.
func validateConfiguration(_ validate: () throws -> Void, flags: [String: String] = [:]) throws {
    do {
        try validate()
    } catch let error as InvalidSettingError {
        guard let setting = error.invalidSetting else { throw error }
        let flag = flags[setting.key.stringValue] ?? setting.key.flagName
        throw ValidationError("invalid value \(setting.value) for \(flag): expected \(setting.expected)")
    }
}

/// The one check of `--threads`, whichever command has it.
func validateThreads(_ threads: Int?) throws {
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, not \(threads)") }
}

/// A default value as help texts show it (`100`, `0.5`, `0.001`).
func number(_ value: Double) -> String { String(format: "%g", value) }
