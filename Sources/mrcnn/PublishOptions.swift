import ArgumentParser
import Job

/// `run`'s broker options: each frame's JSON Lines line published to MQTT; the password from a file or the
/// environment (`ToolEnvironment.brokerLogin`), never from the command line.
struct PublishOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Publish one message per frame (its --json line, QoS 1) to mqtt://HOST[:PORT]/TOPIC or mqtts://…; the run waits 3 s for the broker, then goes on and reconnects.", valueName: "url"))
    var publish: String?

    @Option(help: "The broker login: a file (chmod 600) whose first line is USER:PASSWORD or a password alone. Else MRCNN_MQTT_USERNAME and MRCNN_MQTT_PASSWORD.")
    var publishCredentials: String?

    @Option(help: "The CA certificate (PEM) that signs an mqtts:// broker's certificate (default: the system's).")
    var caFile: String?

    var settings: PublishSettings? {
        publish.map { PublishSettings(url: $0, credentialsFile: publishCredentials, login: ToolEnvironment.brokerLogin, caFile: caFile) }
    }
}
