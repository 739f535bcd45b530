# Embeds src/store/migrations/{sqlite,postgres}/NNN_name.sql into a generated .cc so the library
# carries its schema with it. The generated file defines daira::store::internal::EmbeddedMigrations().
function(daira_embed_migrations target)
  set(out ${PROJECT_BINARY_DIR}/src/store/embedded_migrations.cc)
  file(GLOB sql CONFIGURE_DEPENDS
       ${PROJECT_SOURCE_DIR}/src/store/migrations/sqlite/*.sql
       ${PROJECT_SOURCE_DIR}/src/store/migrations/postgres/*.sql)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DSRC_DIR=${PROJECT_SOURCE_DIR}/src/store/migrations -DOUT=${out}
            -P ${PROJECT_SOURCE_DIR}/cmake/GenerateMigrations.cmake
    DEPENDS ${sql} ${PROJECT_SOURCE_DIR}/cmake/GenerateMigrations.cmake
    COMMENT "Embedding SQL migrations")
  target_sources(${target} PRIVATE ${out})
endfunction()
