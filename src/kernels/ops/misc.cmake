# The misc kernel family: pooling, normalization, quantization, recurrent and detection ops.
target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/misc_registration.cpp
  ${CMAKE_CURRENT_LIST_DIR}/misc_window.cpp
  ${CMAKE_CURRENT_LIST_DIR}/misc_pool.cpp
  ${CMAKE_CURRENT_LIST_DIR}/misc_global_pool.cpp
  ${CMAKE_CURRENT_LIST_DIR}/misc_max_unpool.cpp
  ${CMAKE_CURRENT_LIST_DIR}/misc_batch_norm.cpp
  ${CMAKE_CURRENT_LIST_DIR}/misc_layer_norm.cpp
  ${CMAKE_CURRENT_LIST_DIR}/misc_lrn_mvn.cpp
  ${CMAKE_CURRENT_LIST_DIR}/misc_quant.cpp
  ${CMAKE_CURRENT_LIST_DIR}/misc_quant_matmul.cpp
  ${CMAKE_CURRENT_LIST_DIR}/misc_quant_conv.cpp
  ${CMAKE_CURRENT_LIST_DIR}/misc_rnn.cpp
  ${CMAKE_CURRENT_LIST_DIR}/misc_rnn_activation.cpp
  ${CMAKE_CURRENT_LIST_DIR}/misc_nms.cpp
  ${CMAKE_CURRENT_LIST_DIR}/misc_pool_norm_loops.cpp
  ${CMAKE_CURRENT_LIST_DIR}/misc_pool_norm_loops_portable.cpp)

# The f32 pooling / normalization loops are compiled once per ISA; pool_norm_loops() picks
# one from cpu_features() at kernel creation.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  include(CheckCXXCompilerFlag)
  check_cxx_compiler_flag("-mavx2 -mfma" BRAID_MISC_CXX_HAS_AVX2)
  check_cxx_compiler_flag("-mavx512f -mavx512bw -mavx512vl" BRAID_MISC_CXX_HAS_AVX512)
  if(BRAID_MISC_CXX_HAS_AVX2)
    target_sources(braid PRIVATE ${CMAKE_CURRENT_LIST_DIR}/misc_pool_norm_loops_avx2.cpp)
    set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/misc_pool_norm_loops_avx2.cpp
                                PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma")
    set_property(SOURCE ${CMAKE_CURRENT_LIST_DIR}/misc_pool_norm_loops.cpp APPEND
                 PROPERTY COMPILE_DEFINITIONS BRAID_MISC_HAVE_AVX2)
  endif()
  if(BRAID_MISC_CXX_HAS_AVX512)
    target_sources(braid PRIVATE ${CMAKE_CURRENT_LIST_DIR}/misc_pool_norm_loops_avx512.cpp)
    set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/misc_pool_norm_loops_avx512.cpp
                                PROPERTIES COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vl;-mfma")
    set_property(SOURCE ${CMAKE_CURRENT_LIST_DIR}/misc_pool_norm_loops.cpp APPEND
                 PROPERTY COMPILE_DEFINITIONS BRAID_MISC_HAVE_AVX512)
  endif()
endif()
