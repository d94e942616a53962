import ArgumentParser
import Foundation
import LeNetReports
import LeNetCore
import LeNetData
import LeNetLessons
import LeNetTraining

/// Where a run that stops early keeps its work: the weights so far (`save`, into `weights`)
/// and, on Ctrl-C, a checkpoint (`resumeFile`, of the run on `data`) and the command that
/// continues from it.
struct KeptRun {
    var weights: String, resumeFile: String, resumeCommand: String, data: String
    var save: (Trainer) throws -> Void
}

/// The epochs of `train`, `reproduce` and `bench --reproduce`: a progress bar per pass.
/// Ctrl-C finishes the step and exits 130, having saved (with `keep`) the weights so far and
/// a checkpoint and printed the command that resumes; divergence throws, having saved (with
/// `keep`) the last good weights.
///
/// Online training keeps one core busy, so with a second core each pass's evaluation (the
/// test digits, and the whole training set for `reproduce`) runs there on a copy of the
/// weights while the next pass trains; its line is printed as soon as it is in. The last
/// pass is evaluated on every core. The weights are the same either way: an evaluation only
/// reads them.
func runEpochs(
    _ trainer: inout Trainer, on train: Digits, check: Digits?, unit: String, keep: KeptRun?,
    report: (EpochRecord) -> Void
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
            if let keep {
                try keep.save(trainer)
                print("the last good weights are saved in \(keep.weights)")
            }
            throw error
        }
        progress.finish()
        settle(&trainer)
        guard let record else {
            let p = trainer.inProgress!
            let stopped = "interrupted in \(unit) \(p.epoch + 1) after \(Format.count(p.position)) patterns"
            guard let keep else {
                print(stopped)
                throw ExitCode(130)
            }
            try keep.save(trainer)
            try AtomicFile.write(Checkpoint.encode(trainer, data: keep.data), to: keep.resumeFile)
            print("\(stopped); weights so far in \(keep.weights)")
            print("resume with: \(keep.resumeCommand) --resume \(keep.resumeFile)")
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
