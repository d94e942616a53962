import ArgumentParser
import Foundation
import LeNetReports
import LeNetCore
import LeNetData
import LeNetLessons
import LeNetTraining

/// The epochs of `train` and `reproduce`: a progress bar per pass; Ctrl-C finishes the step,
/// saves the weights so far (`save`) and a checkpoint, prints the command that resumes and
/// exits 130; divergence saves the last good weights and says so.
func runEpochs(
    _ trainer: inout Trainer, on train: Digits, data: String, check: Digits?, unit: String,
    weights: String, resumeFile: String, resumeCommand: String,
    save: (Trainer) throws -> Void, report: (EpochRecord) -> Void
) throws {
    let interrupt = Interrupt()
    let progress = ProgressBar()
    let total = trainer.config.epochs
    while trainer.epochsDone < total {
        let epoch = trainer.epochsDone + 1
        let record: EpochRecord?
        do {
            record = try trainer.trainEpoch(
                train, validation: check, shouldStop: { interrupt.requested },
                progress: { done, all in
                    progress.update(label: "\(unit) \(epoch)/\(total)", done: done, total: all)
                })
        } catch let error as TrainingError {
            progress.finish()
            try save(trainer)
            print("the last good weights are saved in \(weights)")
            throw error
        }
        progress.finish()
        guard let record else {
            try save(trainer)
            try AtomicFile.write(Checkpoint.encode(trainer, data: data), to: resumeFile)
            let p = trainer.inProgress!
            print(
                "interrupted in \(unit) \(p.epoch + 1) after \(Format.count(p.position)) patterns; weights so far in \(weights)"
            )
            print("resume with: \(resumeCommand) --resume \(resumeFile)")
            throw ExitCode(130)
        }
        report(record)
    }
}

/// `--resume` continues a checkpoint exactly, so options that would change its run are
/// refused, all in one line, instead of being ignored: (option, given, the checkpoint's).
func refuseConflicts(_ resume: String, _ conflicts: [(option: String, given: String, saved: String)]) throws {
    guard !conflicts.isEmpty else { return }
    throw OptionError(
        "\(resume): a checkpoint continues its own run; these options differ from it: "
            + conflicts.map { "\($0.option) \($0.given) (checkpoint: \($0.saved))" }.joined(separator: ", ")
            + ". Leave them out to continue, or start a new run without --resume")
}

/// The checkpoint's data against the data of this run.
func dataConflict(_ checkpoint: Data, file: String, splits: DataSplits) throws -> [(
    option: String, given: String, saved: String
)] {
    guard let saved = try Checkpoint.data(checkpoint, file: file), saved != splits.identity else { return [] }
    return [("--data", splits.source, saved)]
}
