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
///
/// Online training keeps one core busy, so with a second core each pass's evaluation (the
/// test digits, and the whole training set for `reproduce`) runs there on a copy of the
/// weights while the next pass trains; its line is printed as soon as it is in. The last
/// pass is evaluated on every core. The weights are the same either way: an evaluation only
/// reads them.
func runEpochs(
    _ trainer: inout Trainer, on train: Digits, data: String, check: Digits?, unit: String,
    weights: String, resumeFile: String, resumeCommand: String,
    save: (Trainer) throws -> Void, report: (EpochRecord) -> Void
) throws {
    let interrupt = Interrupt()
    let progress = ProgressBar()
    let total = trainer.config.epochs
    // The epoch whose evaluation is running, and the evaluations in but not yet logged.
    var pending: (record: EpochRecord, evaluation: Background<EpochEvaluation>)?
    var arrived: [(epoch: Int, evaluation: EpochEvaluation)] = []
    func reportPending(wait: Bool) {
        guard let (record, job) = pending, wait || job.isDone else { return }
        var finished = record
        finished.fill(job.value)
        progress.finish()
        report(finished)
        arrived.append((record.epoch, job.value))
        pending = nil
    }
    func settle(_ trainer: inout Trainer) {
        reportPending(wait: true)
        for (epoch, evaluation) in arrived { trainer.record(evaluation, epoch: epoch) }
        arrived = []
    }
    while trainer.epochsDone < total {
        let epoch = trainer.epochsDone + 1
        let overlap = coreCount > 1 && epoch < total
        let record: EpochRecord?
        // Made once a pass, not at each of its 60,000 steps.
        let label = "\(unit) \(epoch)/\(total)"
        do {
            record = try trainer.trainEpoch(
                train, validation: check, evaluate: !overlap, shouldStop: { interrupt.requested },
                progress: { done, all in
                    reportPending(wait: false)
                    progress.update(label: label, done: done, total: all)
                })
        } catch let error as TrainingError {
            progress.finish()
            settle(&trainer)
            try save(trainer)
            print("the last good weights are saved in \(weights)")
            throw error
        }
        progress.finish()
        settle(&trainer)
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
        if overlap {
            // One core for the evaluation: the other trains.
            let snapshot = {
                var net = trainer.net
                net.threads = 1
                return net
            }()
            let one = trainer
            pending = (record, Background { one.evaluation(of: snapshot, train: train, validation: check) })
        } else {
            report(record)
        }
    }
    settle(&trainer)
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
