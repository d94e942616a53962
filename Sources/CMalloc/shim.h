// glibc's allocator settings (mallopt), for the lesson executable.
#include <malloc.h>
