# gradgen_add_network(<target> <file.grad> [BIND n=4 ...] [PRECISION f32|f64] [NAMESPACE ns]
#                     [GEMM gradgen|blas|loops] [BLAS] [FUSE_STEP])
#
# FUSE_STEP: also train_step, the optimizer update fused into the backward pass
# (gradgen generate --fuse-step).
# GEMM: who computes large matrix products (gradgen generate --gemm; default gradgen's own
# blocked kernel, which needs nothing linked). BLAS is GEMM blas.
# BLAS: large matrix products call CBLAS (gradgen generate --blas); the target then links
# BLAS::BLAS from CMake's FindBLAS (set BLA_VENDOR, e.g. OpenBLAS, to pick one).
#
# Creates a static library <target> from the C++ that `gradgen generate` writes for the
# network at build time (NAME.hpp, NAME.cpp, NAME.h under the build tree, on the target's
# include path both as "NAME.hpp" and as "<target>/NAME.hpp": the second tells apart two
# variants of one network, say a f32 and a f64 NAMESPACE, included in one file). The
# sources regenerate when the .grad file or the gradgen executable changes.
# Works with find_package(gradgen) (imported gradgen::gradgen) and inside gradgen's own tree.
include_guard(GLOBAL)

function(gradgen_add_network target grad)
  cmake_parse_arguments(GG "BLAS;FUSE_STEP" "PRECISION;NAMESPACE;GEMM" "BIND" ${ARGN})
  if(GG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "gradgen_add_network: unexpected arguments ${GG_UNPARSED_ARGUMENTS}")
  endif()
  if(TARGET gradgen::gradgen)
    set(exe gradgen::gradgen)
  elseif(TARGET gradgen)
    set(exe gradgen)
  else()
    message(FATAL_ERROR "gradgen_add_network: no gradgen executable (find_package(gradgen) first)")
  endif()
  get_filename_component(src "${grad}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  # The generated files are named after the `network NAME` statement, read here: an edit of
  # the .grad reconfigures, so a renamed network builds its new files.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${src}")
  file(STRINGS "${src}" lines REGEX "^[ \t]*network[ \t]+[A-Za-z_][A-Za-z0-9_]*")
  if(NOT lines)
    message(FATAL_ERROR "gradgen_add_network: no 'network NAME' line in ${src}")
  endif()
  list(GET lines 0 line)
  string(REGEX REPLACE "^[ \t]*network[ \t]+([A-Za-z_][A-Za-z0-9_]*).*" "\\1" name "${line}")
  set(root "${CMAKE_CURRENT_BINARY_DIR}/gradgen_${target}")
  set(out "${root}/${target}")
  # Files of an earlier network name must not shadow the new ones: removed here, at configure
  # time (an edit of the .grad reconfigures), not at build time, where a failed generate
  # would leave no files at all.
  file(GLOB generated_before "${out}/*")
  list(REMOVE_ITEM generated_before "${out}/${name}.hpp" "${out}/${name}.cpp" "${out}/${name}.h")
  if(generated_before)
    file(REMOVE ${generated_before})
  endif()
  set(args "")
  # Malformed options, which gradgen would refuse only at build time, are refused here, at the
  # call. What needs the network read (a dim it does not declare, a namespace name it reserves)
  # is left to gradgen: the build fails with its located message.
  foreach(b IN LISTS GG_BIND)
    if(NOT b MATCHES "^[A-Za-z_][A-Za-z0-9_]*=[0-9]+$")
      message(FATAL_ERROR "gradgen_add_network(${target}): BIND takes DIM=SIZE (as n=64), not '${b}'")
    endif()
    string(REGEX REPLACE "^.*=0*" "" size "${b}")
    string(LENGTH "${size}" digits)
    if(digits EQUAL 0 OR digits GREATER 8 OR size GREATER 16777216)
      message(FATAL_ERROR "gradgen_add_network(${target}): BIND '${b}': a size from 1 to 16777216 (2^24, the largest "
                          "dim the generated code accepts)")
    endif()
    list(APPEND args --bind ${b})
  endforeach()
  if(GG_PRECISION)
    if(NOT GG_PRECISION MATCHES "^(f32|f64)$")
      message(FATAL_ERROR "gradgen_add_network(${target}): PRECISION is f32 or f64, not '${GG_PRECISION}'")
    endif()
    list(APPEND args --precision ${GG_PRECISION})
  endif()
  if(GG_GEMM AND NOT GG_GEMM MATCHES "^(gradgen|blas|loops)$")
    message(FATAL_ERROR "gradgen_add_network(${target}): GEMM is gradgen, blas or loops, not '${GG_GEMM}'")
  endif()
  if(GG_BLAS AND GG_GEMM AND NOT GG_GEMM STREQUAL "blas")
    message(FATAL_ERROR "gradgen_add_network(${target}): BLAS is GEMM blas, not GEMM ${GG_GEMM}: give one of them")
  endif()
  if(GG_NAMESPACE AND NOT GG_NAMESPACE MATCHES "^[A-Za-z][A-Za-z0-9_]*(::[A-Za-z][A-Za-z0-9_]*)*$")
    message(FATAL_ERROR "gradgen_add_network(${target}): NAMESPACE takes a C++ namespace name such as nets or "
                        "my::nets, not '${GG_NAMESPACE}'")
  endif()
  if(GG_NAMESPACE)
    list(APPEND args --namespace ${GG_NAMESPACE})
  endif()
  if(GG_GEMM STREQUAL "blas")
    set(GG_BLAS ON)
  elseif(GG_GEMM)
    list(APPEND args --gemm ${GG_GEMM})
  endif()
  if(GG_BLAS)
    list(APPEND args --blas)
    find_package(BLAS REQUIRED)
  endif()
  if(GG_FUSE_STEP)
    list(APPEND args --fuse-step)
  endif()
  get_filename_component(grad_name "${src}" NAME)
  add_custom_command(
    OUTPUT "${out}/${name}.hpp" "${out}/${name}.cpp" "${out}/${name}.h"
    # gradgen writes all three files or, on an error, none: the last good ones stay; and it
    # leaves a file that would not change untouched, so dependents do not recompile.
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${out}"
    # The absolute path, as compilers are given: an error's FILE:LINE:COL then leads an IDE
    # (or anything reading the build's output from the build folder) to the file.
    COMMAND $<TARGET_FILE:${exe}> generate "${src}" -o "${out}" ${args}
    DEPENDS "${src}" ${exe} $<TARGET_FILE:${exe}>
    COMMENT "gradgen: generating C++ for ${grad_name}"
    VERBATIM)
  add_library(${target} STATIC "${out}/${name}.cpp" "${out}/${name}.hpp" "${out}/${name}.h")
  target_include_directories(${target} PUBLIC "${out}" "${root}")
  target_link_libraries(${target} PUBLIC gradgen::runtime)
  if(GG_BLAS)
    target_link_libraries(${target} PUBLIC BLAS::BLAS)
  endif()
  target_compile_features(${target} PUBLIC cxx_std_17)
  # Position-independent, so that the library links into shared libraries too (a toolchain
  # that does not build PIE by default would refuse it there).
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE CXX POSITION_INDEPENDENT_CODE ON)
endfunction()
