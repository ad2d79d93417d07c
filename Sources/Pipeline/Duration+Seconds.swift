extension Duration {
    /// The duration in seconds as a Double (the one conversion the timers of the pipeline and its stages share).
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
