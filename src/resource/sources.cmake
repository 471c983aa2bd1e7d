# ResourceMonitor (issue 5): sources, smoothing, calibration probes, the monitor.
target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/availability_estimator.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bandwidth_probe.cpp
  ${CMAKE_CURRENT_LIST_DIR}/calibration.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cgroup_memory_source.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cgroup_paths.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cpu_quota_source.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fake_resource_source.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fma_probe.cpp
  ${CMAKE_CURRENT_LIST_DIR}/meminfo_source.cpp
  ${CMAKE_CURRENT_LIST_DIR}/monitor.cpp
  ${CMAKE_CURRENT_LIST_DIR}/own_threads.cpp
  ${CMAKE_CURRENT_LIST_DIR}/proc_stat_source.cpp
  ${CMAKE_CURRENT_LIST_DIR}/psi_source.cpp
  ${CMAKE_CURRENT_LIST_DIR}/report_once.cpp
  ${CMAKE_CURRENT_LIST_DIR}/resource_vector.cpp
  ${CMAKE_CURRENT_LIST_DIR}/step_filter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/text_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/text_scan.cpp)

# FMA probe variants: each file gets its ISA's flags and is called only after a CPUID
# check at run time, so the rest of the library keeps the baseline ISA.
include(CheckCXXCompilerFlag)
check_cxx_compiler_flag("-mavx512f -mfma" BRAID_CXX_HAS_AVX512F)
check_cxx_compiler_flag("-mavx2 -mfma" BRAID_CXX_HAS_AVX2)
if(BRAID_CXX_HAS_AVX512F)
  target_sources(braid PRIVATE ${CMAKE_CURRENT_LIST_DIR}/fma_probe_avx512.cpp)
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/fma_probe_avx512.cpp
    PROPERTIES COMPILE_OPTIONS "-mavx512f;-mfma")
  set_property(SOURCE ${CMAKE_CURRENT_LIST_DIR}/fma_probe.cpp APPEND PROPERTY COMPILE_DEFINITIONS BRAID_HAVE_AVX512_PROBE)
endif()
if(BRAID_CXX_HAS_AVX2)
  target_sources(braid PRIVATE ${CMAKE_CURRENT_LIST_DIR}/fma_probe_avx2.cpp)
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/fma_probe_avx2.cpp
    PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma")
  set_property(SOURCE ${CMAKE_CURRENT_LIST_DIR}/fma_probe.cpp APPEND PROPERTY COMPILE_DEFINITIONS BRAID_HAVE_AVX2_PROBE)
endif()
