"""Statistical kernels: arrays in, arrays or frames out. No instruments, files or CLI wording."""
