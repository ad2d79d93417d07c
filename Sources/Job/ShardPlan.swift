/// Which inputs of a sorted list one worker of N takes: input k goes to worker k mod N, so N workers with
/// indices 0..<N cover the list exactly once (no overlap, no gap) and each gets a spread of it. Pure.
public struct ShardPlan: Equatable, Sendable {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, (0..<count).contains(index) else { throw JobError.badShard("\(index)/\(count)") }
        self.index = index
        self.count = count
    }

    /// The whole list (one worker).
    public static let all = try! ShardPlan(index: 0, count: 1)

    /// Parses "INDEX/COUNT" (0-based index). INDEX may be empty ("/8") to take it from `completionIndex` (the tool
    /// passes $JOB_COMPLETION_INDEX, the variable a Kubernetes Indexed Job sets in each pod). Without `text`,
    /// `completionIndex` with `shardCount` (the tool's $MRCNN_SHARD_COUNT) are used when both are given; otherwise
    /// the worker takes the whole list. Pure: the caller reads the environment.
    public static func resolve(_ text: String?, completionIndex envIndex: String? = nil, shardCount: String? = nil) throws -> ShardPlan {
        guard let text else {
            guard let envIndex, let countText = shardCount else { return .all }
            return try parse(envIndex, countText, shown: "JOB_COMPLETION_INDEX=\(envIndex), MRCNN_SHARD_COUNT=\(countText)")
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { throw JobError.badShard(text) }
        if parts[0].isEmpty {
            guard let envIndex else { throw JobError.badShard(text + " (JOB_COMPLETION_INDEX is not set)") }
            return try parse(envIndex, parts[1], shown: text + " with JOB_COMPLETION_INDEX=\(envIndex)")
        }
        return try parse(parts[0], parts[1], shown: text)
    }

    private static func parse(_ index: String, _ count: String, shown: String) throws -> ShardPlan {
        guard let i = Int(index.trimmingCharacters(in: .whitespaces)), let n = Int(count.trimmingCharacters(in: .whitespaces)) else {
            throw JobError.badShard(shown)
        }
        do { return try ShardPlan(index: i, count: n) } catch { throw JobError.badShard(shown) }
    }

    /// This worker's part of `items` (already sorted), in order.
    public func select<T>(_ items: [T]) -> [T] {
        items.enumerated().filter { $0.offset % count == index }.map(\.element)
    }
}
