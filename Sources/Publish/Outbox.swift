/// A bounded first-in first-out queue of messages waiting for a broker: when full, the oldest message is dropped
/// (and counted) to make room, so a slow or absent broker costs memory up to `capacity` messages and never blocks
/// the producer. A plain value; `MQTTPublisher` keeps it under its lock.
public struct Outbox: Sendable {
    public let capacity: Int
    private var ring: [[UInt8]?]
    private var head = 0
    public private(set) var count = 0
    /// Messages dropped to make room, since creation.
    public private(set) var dropped = 0

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        ring = Array(repeating: nil, count: capacity)
    }

    /// Appends `message`, dropping the oldest one when full.
    public mutating func push(_ message: [UInt8]) {
        if count == capacity {
            ring[head] = nil
            head = (head + 1) % capacity
            count -= 1
            dropped += 1
        }
        ring[(head + count) % capacity] = message
        count += 1
    }

    /// Takes the oldest message, nil when empty.
    public mutating func pop() -> [UInt8]? {
        guard count > 0 else { return nil }
        let message = ring[head]
        ring[head] = nil
        head = (head + 1) % capacity
        count -= 1
        return message
    }

    /// Puts `message` back at the front (a publish that could not be handed over), dropping it when full.
    public mutating func pushFront(_ message: [UInt8]) {
        guard count < capacity else { dropped += 1; return }
        head = (head - 1 + capacity) % capacity
        ring[head] = message
        count += 1
    }

    public var isEmpty: Bool { count == 0 }
}
