import ArgumentParser
import Results

/// `mrcnn compare REFERENCE OTHER`: two COCO results files of the same images with the accuracy tests' figures (`ResultsComparison`).
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Compare two COCO results files of the same images with the accuracy tests' figures (reference detections found at box IoU ≥ 0.9, median mask IoU, worst score difference, keypoints within 1 px).",
        discussion: "e.g. mrcnn detect photos/ --json fp32.json; mrcnn detect photos/ --json int8.json --precision int8; mrcnn compare fp32.json int8.json. Images are matched by image_id.")

    @Argument(help: "The reference results (COCO results JSON, e.g. fp32).") var reference: String
    @Argument(help: "The results to compare with it (e.g. int8 or bf16).") var other: String
    @Option(help: "Reference detections scoring at least this are compared.") var cut: Float = 0.5
    @Option(help: "Box IoU at which a reference detection counts as found.") var iou: Float = 0.9

    func validate() throws { try JobConsole.checked { try ResultsComparison.check(cut: cut, minimumIoU: iou) } }

    func run() throws { print(try JobConsole.checked { try ResultsComparison.files(reference, other, cut: cut, minimumIoU: iou) }.line(minimumIoU: iou)) }
}
