# Build-time step: embeds templates/*.in into the C++ emitter (gg_emit) as string literals;
# re-runs whenever a template changes.
file(GLOB gradgen_template_files CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/templates/*.in)
set(gradgen_templates_cpp ${CMAKE_CURRENT_BINARY_DIR}/generated/cpp_templates.cpp)
add_custom_command(
  OUTPUT ${gradgen_templates_cpp}
  COMMAND ${CMAKE_COMMAND} -DTEMPLATE_DIR=${CMAKE_CURRENT_SOURCE_DIR}/templates -DOUT=${gradgen_templates_cpp}
          -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/EmbedTemplates.cmake
  DEPENDS ${gradgen_template_files} ${CMAKE_CURRENT_SOURCE_DIR}/cmake/EmbedTemplates.cmake
  COMMENT "Embedding gradgen code templates"
  VERBATIM)
target_sources(gg_emit PRIVATE ${gradgen_templates_cpp})
