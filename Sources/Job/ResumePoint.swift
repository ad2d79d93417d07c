import Foundation
import Pipeline

/// Where a resumed run continues and what it may skip before that point; pure functions.
public enum ResumePoint {
    /// The frame to continue from: the fewest frames any output holds whole (video frames, results frames),
    /// rounded down to a multiple of the detector's keyframe interval.
    public static func frame(video: Int, results: [Int], keyframeEvery: Int) -> Int {
        let done = ([video] + results).min() ?? 0
        let every = max(1, keyframeEvery)
        return max(0, done / every * every)
    }

    /// How frames before the resume point go through the chain.
    public enum Warmup: Equatable, Sendable {
        /// Every stage computes each frame alone: the reader drops them.
        case skip
        /// The first `prefix` stages are per-frame and are bypassed; the saved results are put on the frames
        /// and the stateful stages after them see them again.
        case replay(prefix: Int)
        /// Every stage processes them again (no usable saved results); only the outputs skip them.
        case recompute
    }

    /// The warm-up for a chain whose stages have `traits` (in order): per-frame stages at its head are bypassed,
    /// replayable ones after them rebuild their state from the saved results; `haveResults` when the JSON Lines of
    /// the frames before the resume point exist.
    public static func warmup(traits: [StageTraits], haveResults: Bool) -> Warmup {
        let prefix = traits.prefix(while: \.perFrame).count
        if prefix == traits.count { return .skip }
        guard haveResults, traits[prefix...].allSatisfy(\.replayable) else { return .recompute }
        return .replay(prefix: prefix)
    }

    /// Byte length of the first `frames` complete lines of `text` (a trailing partial line is never kept), and
    /// how many complete lines it holds in all.
    public static func lines(_ text: Data, keep frames: Int) -> (bytes: Int, complete: Int) {
        var complete = 0, bytes = 0
        for (offset, byte) in text.enumerated() where byte == UInt8(ascii: "\n") {
            complete += 1
            if complete <= frames { bytes = offset + 1 }
        }
        return (bytes, complete)
    }

    /// Byte length of the complete MOTChallenge / MOTS lines whose 1-based frame number is at most `frames`
    /// (the number is the text before the first comma or space).
    public static func trackLines(_ text: Data, keep frames: Int) -> Int {
        var bytes = 0, start = 0
        for (offset, byte) in text.enumerated() where byte == UInt8(ascii: "\n") {
            let line = text[text.startIndex + start ..< text.startIndex + offset]
            let number = line.prefix { $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: " ") }
            guard let frame = Int(String(decoding: number, as: UTF8.self)), frame <= frames else { break }
            bytes = offset + 1
            start = offset + 1
        }
        return bytes
    }
}
