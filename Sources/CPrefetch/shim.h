// A hint to the CPU to start fetching memory that will soon be read (the compiler's
// __builtin_prefetch: a prefetch instruction on x86-64 and ARM, nothing elsewhere).

/// Asks for the cache line holding `address` (read, kept in every level of cache).
static inline void lenet_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }
