import ArgumentParser
import Foundation
#if os(Linux)
    import CMalloc
#endif

@main
struct Lesson: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract: "LeNet-5 (LeCun et al. 1998), one layer at a time.",
        subcommands: [
            Run.self, Verify.self, Summary.self, Train.self, Reproduce.self, AblationCommand.self, Eval.self,
            Export.self, Check.self, Classify.self, Bench.self, DataCommand.self,
        ],
        defaultSubcommand: Run.self
    )

    static func main() {
        #if os(Linux)
            // Each training step allocates and frees feature maps of a few hundred kilobytes on
            // every core. Left to itself glibc hands such blocks back to the kernel and faults
            // fresh zeroed pages in on the next step: a quarter of a 2-core training run was
            // spent in the kernel (`lesson train --batch 64`: 0.45 s system time of 1.06 s).
            mallopt(M_MMAP_THRESHOLD, 32 << 20)
            mallopt(M_TRIM_THRESHOLD, 256 << 20)
            // One line at a time even into a file or a pipe, so that `tail -f log` follows a run
            // (C's stdio would hold a piped stdout's lines until the buffer fills or the exit).
            lenet_line_buffered_stdout()
        #endif
        // A file that cannot grow (a size limit, `ulimit -f`) fails its write with an error that
        // we report, instead of killing the process half-way through a figure.
        signal(SIGXFSZ, SIG_IGN)
        main(nil)
    }
}
