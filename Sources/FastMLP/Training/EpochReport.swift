/// One finished epoch, as a run reports it (kept in checkpoints so a resumed run can report the
/// whole history).
public struct EpochReport: Equatable, Sendable, Codable {
    /// The epoch number, from 1.
    public var epoch: Int
    /// The mean loss over the epoch's training samples, as they were trained.
    public var trainLoss: Double
    /// Loss and accuracy on the test set, when one was given.
    public var testLoss: Double?
    /// Test accuracy (classification only).
    public var testAccuracy: Double?
    /// Seconds of training (evaluation not included).
    public var seconds: Double
    /// R² on the test set, for regression.
    public var testR2: Double?
    /// Loss and accuracy on the validation split, when there is one.
    public var validationLoss: Double?
    /// Validation accuracy (classification only).
    public var validationAccuracy: Double?
    /// The samples trained in ``seconds``: fewer than the training set in an epoch resumed from
    /// a checkpoint taken in its middle; `nil` (the whole set) in reports of older checkpoints.
    public var samples: Int?

    /// A report with the given values (`testR2` is set separately).
    @_spi(Tools) public init(
        epoch: Int, trainLoss: Double, testLoss: Double?, testAccuracy: Double?, seconds: Double,
        validationLoss: Double? = nil, validationAccuracy: Double? = nil
    ) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.seconds = seconds
        self.validationLoss = validationLoss
        self.validationAccuracy = validationAccuracy
    }
}
