// A library built twice under one name: with anydb_test_vanishing_function (the copy the
// vanished_* test plugins link against) and without it (ANYDB_TEST_WITHOUT_FUNCTION, the copy
// their RUNPATH finds at run time). Loading such a plugin meets a symbol no library provides.
#ifndef ANYDB_TEST_WITHOUT_FUNCTION
extern "C" __attribute__((visibility("default"))) int anydb_test_vanishing_function() { return 42; }
#else
extern "C" __attribute__((visibility("default"))) int anydb_test_something_else() { return 0; }
#endif
