braid_add_test(sched_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/chunk_planner_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/fair_share_test.cpp)
