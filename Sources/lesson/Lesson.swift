import ArgumentParser

@main
struct Lesson: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract: "LeNet-5 (LeCun et al. 1998), one layer at a time.",
        subcommands: [Run.self, Verify.self, Summary.self, Train.self, Eval.self, Bench.self, DataCommand.self],
        defaultSubcommand: Run.self
    )
}
