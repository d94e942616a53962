// glibc's allocator settings (mallopt), and stdout's buffering, for the lesson executable.
#include <malloc.h>
#include <stdio.h>

/// One line at a time even into a file or a pipe, so that `tail -f log` follows a run.
static inline void lenet_line_buffered_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }
