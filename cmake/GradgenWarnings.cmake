# Warnings for gradgen's own code; -Wswitch-enum keeps switches over Op exhaustive.
function(gradgen_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wswitch -Werror=switch
                                           -Wno-missing-field-initializers)
endfunction()
