# ResourceMonitor (issue 5). The unit tests use captured trees in tests/data/resource and
# the FakeResourceSource; the live tests need a quiet machine and carry the `live` label
# so the default run stays lean: ctest -L live.
braid_add_test(resource_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/availability_estimator_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/calibration_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cgroup_paths_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cpu_quota_source_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/memory_source_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/monitor_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/own_threads_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/proc_stat_replay_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/proc_stat_source_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/psi_source_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/snapshot_cell_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/step_filter_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/text_scan_test.cpp
  LABELS resource
  TIMEOUT 120)

braid_add_test(resource_live_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/monitor_live_test.cpp
  LABELS resource live
  TIMEOUT 180)
