import Job
import Pipeline

/// The command-line flags generated from the built-in stages' option declarations (`StageFlags`): before
/// ArgumentParser sees the arguments, `--FLAG VALUE` becomes the hidden `--stage-option STAGE.OPTION=VALUE`, which
/// the commands apply before `--option`, so `--option` wins.
struct ShorthandFlags {
    let set: StageFlags

    /// The flags of `options` declared by the built-in `stages` (nil: all of them); `defaults` by flag name.
    init(stages: Set<String>? = nil, options: [any StageOption]? = nil, defaults: [String: String] = [:]) {
        let flags = (try? StageCatalog.makeRegistry()).map { StageFlag.all(in: $0, stages: stages, options: options) } ?? []
        set = StageFlags(flags, defaults: defaults)
    }

    func expand(_ arguments: [String]) throws -> [String] { try set.expand(arguments, into: "--stage-option") }

    /// The help section (`mrcnn stages` explains each option).
    var help: String {
        (["Stage options as flags (what each does: `mrcnn stages`; --option STAGE.OPTION=VALUE wins over a flag):"] + set.helpLines)
            .joined(separator: "\n")
    }
}
