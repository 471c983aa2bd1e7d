# BRAID_SANITIZE=address -> ASan+UBSan; =thread -> TSan. Every executable links the runtime;
# what is compiled with instrumentation differs (docs/reliability.md, "Sanitizers"):
# - address: the library only (target_compile_options in CMakeLists.txt). Tests and tools
#   are compiled plainly: ASan's allocator is process-wide, so the library's own accesses
#   are all checked, and the uninstrumented test sources build 3x faster. UBSan leaves out
#   `null` (ASan reports the dereference itself) and `alignment` (SIMD code loads unaligned
#   by design; these two checks double the compile time of the kernel templates).
# - thread: everything we build, tests too. TSan must see every synchronisation, including
#   the test's own atomics and joins, or it reports races that are not there.
set(BRAID_SANITIZE_COMPILE_OPTIONS "")
if(BRAID_SANITIZE STREQUAL "address")
  set(BRAID_SANITIZE_COMPILE_OPTIONS -fsanitize=address,undefined -fno-sanitize=null,alignment
      -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(BRAID_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT BRAID_SANITIZE STREQUAL "")
  message(FATAL_ERROR "BRAID_SANITIZE must be '', 'address' or 'thread'")
endif()
