# Warnings for gradgen's own code; -Wswitch-enum keeps switches over Op exhaustive.
function(gradgen_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wswitch -Werror=switch
                                           -Wno-missing-field-initializers)
  # GCC 12 at -O3 reports -Wrestrict on plain `"text" + std::string` (GCC bug 105651, fixed in
  # 13): a false positive from libstdc++'s inlined memcpy, not our code.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
     AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
endfunction()
