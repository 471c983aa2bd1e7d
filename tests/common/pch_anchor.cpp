// The source of braid_test_pch, the target that builds the tests' shared precompiled
// header (tests/CMakeLists.txt); it runs no tests.
