// Placeholder translation unit so every module library has at least one source.
