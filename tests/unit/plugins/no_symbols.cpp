// A real shared library that is not an anydb plugin: it exports one unrelated function.
extern "C" __attribute__((visibility("default"))) int anydb_test_no_symbols_answer() { return 42; }
