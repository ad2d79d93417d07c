import Foundation
import Job
import ModelZoo
import Publish

/// The environment variables the tool reads — the only place anything of mrcnn reads the process environment;
/// the library modules get the values as arguments.
enum ToolEnvironment {
    static let variables = ProcessInfo.processInfo.environment

    /// $MRCNN_CACHE, else $XDG_CACHE_HOME/mrcnn, else ~/.cache/mrcnn.
    static var cacheDirectory: URL {
        ModelZoo.cacheDirectory(explicit: variables["MRCNN_CACHE"], xdgCacheHome: variables["XDG_CACHE_HOME"])
    }

    /// The weights mirror: $MRCNN_WEIGHTS_BASE_URL (nil when unset).
    static var weightsMirror: String? { variables["MRCNN_WEIGHTS_BASE_URL"] }

    /// The broker login: $MRCNN_MQTT_PASSWORD with $MRCNN_MQTT_USERNAME (nil without a password).
    static var brokerLogin: PublishCredentials? {
        variables["MRCNN_MQTT_PASSWORD"].map { PublishCredentials(user: variables["MRCNN_MQTT_USERNAME"], password: $0) }
    }
    /// The preview's token when `--serve-token` is not given: $MRCNN_SERVE_TOKEN (kept out of argv, as a secret).
    static var serveToken: String? { variables["MRCNN_SERVE_TOKEN"] }

    /// `--shard` resolved with $JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs) and $MRCNN_SHARD_COUNT.
    static func shard(_ text: String?) throws -> ShardPlan {
        try ShardPlan.resolve(text, completionIndex: variables["JOB_COMPLETION_INDEX"], shardCount: variables["MRCNN_SHARD_COUNT"])
    }
}
