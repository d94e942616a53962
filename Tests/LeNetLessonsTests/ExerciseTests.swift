import Foundation
import LeNetData
import LeNetLessons
import LeNetModel
import LeNetTraining
import XCTest

/// Every exercise in the lessons has a check; each check accepts its computed answer,
/// refuses a wrong one, and never gives the answer away in its hint.
final class ExerciseTests: XCTestCase {
    func context() throws -> LessonContext {
        let splits = try DataSource.embedded()
        return try LessonContext(
            model: try XCTUnwrap(try TrainedModel.shipped()), splits: splits, formats: [.png], scale: 1)
    }

    func wrong(_ answer: Exercise.Answer) -> String {
        switch answer {
        case .whole(let n): return "\(n + 1)"
        case .number(let x, let tolerance): return "\(x + 10 * tolerance + 0.1)"
        case .word: return "none of them"
        }
    }

    func testEveryExerciseChecksRightAndWrongAnswers() throws {
        let ctx = try context()
        let library = try NotebookLibrary()
        var count = 0
        for notebook in library.notebooks {
            let exercises = notebook.exercises
            XCTAssertGreaterThanOrEqual(
                exercises.count, 2, "lesson \(notebook.number) ends with two or three exercises")
            XCTAssertLessThanOrEqual(exercises.count, 3, "lesson \(notebook.number)")
            for e in exercises {
                let check = try XCTUnwrap(Exercises.all[e.name], "\(e.number): no check '\(e.name)'")
                XCTAssertFalse(e.question.isEmpty, e.number)
                let answer = try check.answer(ctx)
                let right = try Exercises.check(check, answer: answer.shown, context: ctx)
                XCTAssertTrue(right.right, "\(e.number): \(answer.shown) should be right")
                let bad = try Exercises.check(check, answer: wrong(answer), context: ctx)
                XCTAssertFalse(bad.right, "\(e.number): \(wrong(answer)) should be wrong")
                XCTAssertTrue(bad.message.contains(check.hint))
                if answer.shown.count >= 2 {
                    XCTAssertFalse(check.hint.contains(answer.shown), "\(e.number)'s hint gives the answer away")
                }
                XCTAssertTrue(
                    try check.solution(ctx).contains(answer.shown) || answer.shown.count < 2
                        || { if case .word = answer { return true } else { return false } }(),
                    "\(e.number)'s solution arrives at its answer")
                count += 1
            }
        }
        XCTAssertEqual(count, Exercises.all.count, "every check is used by a lesson")
    }

    /// Answers are computed from the model: a network with 8 C1 maps changes C1's count.
    func testAnswersComeFromTheModel() throws {
        let splits = try DataSource.embedded()
        let eight = TrainedModel(
            net: LeNet5(variant: .paper, seed: 1, c1Maps: 8), log: [], config: .reproduction(), origin: "test")
        let ctx = try LessonContext(model: eight, splits: splits, formats: [.png], scale: 1)
        XCTAssertEqual(try Exercises.all["c1-parameters"]!.answer(ctx), .whole(8 * 26))
        XCTAssertEqual(try Exercises.all["c1-parameters"]!.answer(try context()), .whole(156))
    }

    func testAnswerSpellings() {
        XCTAssertTrue(Exercise.Answer.whole(2416).accepts("2,416"))
        XCTAssertTrue(Exercise.Answer.whole(2416).accepts(" 2416 "))
        XCTAssertTrue(Exercise.Answer.whole(90_000).accepts("90 000"))
        XCTAssertFalse(Exercise.Answer.whole(2416).accepts("2416.5"))
        XCTAssertTrue(Exercise.Answer.number(1.1439, tolerance: 0.001).accepts("1.144"))
        XCTAssertFalse(Exercise.Answer.number(1.1439, tolerance: 0.001).accepts("1.15"))
        XCTAssertTrue(Exercise.Answer.word(["dl4j", "DL4J"]).accepts("Dl4J"))
        XCTAssertEqual(Exercise.Answer.number(0.54, tolerance: 0.005).shown, "0.540")
    }
}
