import ArgumentParser
import Foundation
import LeNetCore
import LeNetData
import LeNetLessons
import LeNetTraining

/// The epochs of `train` and `reproduce`: a progress bar per pass; Ctrl-C finishes the step,
/// saves the weights so far (`save`) and a checkpoint, prints the command that resumes and
/// exits 130; divergence saves the last good weights and says so.
func runEpochs(_ trainer: inout Trainer, on train: Digits, check: Digits?, unit: String,
               weights: String, resumeFile: String, resumeCommand: String,
               save: (Trainer) throws -> Void, report: (EpochRecord) -> Void) throws {
    let interrupt = Interrupt()
    let progress = ProgressBar()
    let total = trainer.config.epochs
    while trainer.epochsDone < total {
        let epoch = trainer.epochsDone + 1
        let record: EpochRecord?
        do {
            record = try trainer.trainEpoch(train, validation: check, shouldStop: { interrupt.requested }, progress: { done, all in
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
            try AtomicFile.write(Checkpoint.encode(trainer), to: resumeFile)
            let p = trainer.inProgress!
            print("interrupted in \(unit) \(p.epoch + 1) after \(Format.count(p.position)) patterns; weights so far in \(weights)")
            print("resume with: \(resumeCommand) --resume \(resumeFile)")
            throw ExitCode(130)
        }
        report(record)
    }
}
