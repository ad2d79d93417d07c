import Foundation
/// COCO category names indexed by torchvision label (91 entries incl. "__background__" and "N/A").
public enum COCOCategories {
    public static let names: [String] = [
        "__background__", "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck",
        "boat", "traffic light", "fire hydrant", "N/A", "stop sign", "parking meter", "bench", "bird", "cat",
        "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "N/A", "backpack", "umbrella",
        "N/A", "N/A", "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
        "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle", "N/A",
        "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
        "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed",
        "N/A", "dining table", "N/A", "N/A", "toilet", "N/A", "tv", "laptop", "mouse", "remote", "keyboard",
        "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "N/A", "book", "clock", "vase",
        "scissors", "teddy bear", "hair drier", "toothbrush",
    ]

    /// The name of label `id`, or "class <id>" when out of range.
    public static func name(_ id: Int) -> String {
        names.indices.contains(id) ? names[id] : "class \(id)"
    }

    /// COCO category ids from "person,car" or "1,3" (names as the results files write them, case-insensitive);
    /// nil and a one-line reason when a name is unknown or the list is empty.
    public static func ids(_ list: String) -> Result<Set<Int>, StageError> {
        var ids: Set<Int> = []
        for name in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            if let id = Int(name), id > 0, id < names.count {
                ids.insert(id)
            } else if let id = names.firstIndex(where: { $0.lowercased() == name.lowercased() }), id > 0, name != "N/A" {
                ids.insert(id)
            } else {
                return .failure(.invalidOption(key: "classes", value: name, expected: "COCO class names such as person, car, or their ids"))
            }
        }
        if ids.isEmpty { return .failure(.invalidOption(key: "classes", value: list, expected: "at least one COCO class")) }
        return .success(ids)
    }
}
