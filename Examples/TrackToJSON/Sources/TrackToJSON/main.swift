import Foundation
import Job

// Detector → mask → tracker over a video; every frame's instances (boxes, classes, RLE masks, track ids) go to a
// JSON Lines file. Weights: a torchvision checkpoint, seeded:N (random but reproducible), or unset for the
// official file in the cache directory.
let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    print("usage: track-to-json INPUT OUTPUT.jsonl [WEIGHTS] [MIN-SIZE] [SCORE-THRESHOLD]")
    exit(2)
}
var job = VideoJob(input: arguments[1], chain: ["detector", "mask", "tracker"])
job.options["detector.weights"] = arguments.count > 3 ? arguments[3] : nil
if arguments.count > 4 {
    job.options["detector.min-size"] = arguments[4]
    job.options["detector.max-size"] = String((Int(arguments[4]) ?? 800) * 5 / 3)
}
job.options["detector.score-threshold"] = arguments.count > 5 ? arguments[5] : "0.5"
job.options["tracker.min-hits"] = "1"
job.results.json = arguments[2]
do {
    let report = try await job.run()
    print(report.lines.joined(separator: "\n"))
} catch {
    print("track-to-json: \(error)")
    exit(1)
}
