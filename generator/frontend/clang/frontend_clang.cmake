# The C++ front end (gg_frontend_clang): lowers annotated C++ functions with Clang 14's
# LibTooling into the same Program IR as .grad files. Included from the top-level
# CMakeLists.txt when GRADGEN_CLANG is ON.
find_package(LLVM REQUIRED CONFIG)
find_package(Clang REQUIRED CONFIG)

gradgen_module(gg_frontend_clang frontend/clang gg_ir)
# LLVM/Clang headers are not clean under our warnings: include them as system headers.
target_include_directories(gg_frontend_clang SYSTEM PRIVATE ${LLVM_INCLUDE_DIRS} ${CLANG_INCLUDE_DIRS})
target_link_libraries(gg_frontend_clang PRIVATE clang-cpp LLVM)

# Clang's builtin headers (stddef.h, ...) live in its resource dir; without it <cmath> fails.
set(GRADGEN_CLANG_RESOURCE_DIR "${LLVM_LIBRARY_DIR}/clang/${LLVM_PACKAGE_VERSION}" CACHE PATH
    "Clang resource directory used when parsing C++ inputs")
if(NOT EXISTS "${GRADGEN_CLANG_RESOURCE_DIR}/include/stddef.h")
  message(FATAL_ERROR "Clang resource dir ${GRADGEN_CLANG_RESOURCE_DIR} has no include/stddef.h; "
                      "set GRADGEN_CLANG_RESOURCE_DIR (see `clang-14 -print-resource-dir`)")
endif()
target_compile_definitions(gg_frontend_clang PRIVATE
  GG_CLANG_RESOURCE_DIR="${GRADGEN_CLANG_RESOURCE_DIR}")
