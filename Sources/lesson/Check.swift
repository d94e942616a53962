import ArgumentParser
import Foundation
import LeNetData
import LeNetLessons

/// `lesson check 3.1 2416`: an exercise's answer, checked against the model and the data.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Check your answer to an exercise (3.1, …): right (exit 0), or a hint (exit 1); --solution shows a worked one."
    )

    @Argument(help: "The exercise, as the lesson numbers it: 3.1.")
    var exercise: String
    @Argument(help: "Your answer: a number (2,416 or 2416) or a word.")
    var answer: String?
    @Flag(help: "Show a worked solution instead of checking an answer.")
    var solution = false
    @Option(
        help:
            "A folder with MNIST files; default: full MNIST from $LENET5_MNIST or Data/mnist, else the embedded 5,000 digits."
    )
    var data: String?
    @Option(help: "Check against these weights (paper variant) instead of the shipped ones.")
    var weights: String?
    @Option(help: "The folder of lesson notebooks.")
    var lessons: String = NotebookLibrary.defaultFolder

    func validate() throws {
        guard solution || answer != nil else {
            throw OptionError("give an answer (lesson check \(exercise) ANSWER) or --solution")
        }
        guard !(solution && answer != nil) else { throw OptionError("give an answer or --solution, not both") }
    }

    func run() throws {
        let library = try NotebookLibrary(folder: lessons)
        let all = library.notebooks.flatMap(\.exercises)
        guard let found = all.first(where: { $0.number == exercise }) else {
            throw NotebookError.unknownExercise(exercise, available: all.map(\.number))
        }
        guard let check = Exercises.all[found.name] else {
            throw NotebookError.noCheck(lesson: Int(exercise.prefix { $0 != "." }) ?? 0, exercise: found.name)
        }
        let splits = try DataSource.resolve(data)
        let model = try TrainedModel.obtain(
            output: FileManager.default.temporaryDirectory.path, splits: splits, epochs: 1,
            retrain: false, weights: weights, progress: { _, _, _ in }, epochDone: { _ in })
        let context = try LessonContext(model: model, splits: splits, formats: [.png], scale: 1)
        print("Exercise \(found.number). \(found.question)")
        if solution {
            print("Solution: " + (try check.solution(context)))
            print("Answer: \(try check.answer(context).shown)")
            return
        }
        let verdict = try Exercises.check(check, answer: answer!, context: context)
        guard verdict.right else { throw OptionError(verdict.message) }
        print(verdict.message)
    }
}
