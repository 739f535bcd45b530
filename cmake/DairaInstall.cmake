# Generated headers, and installation: headers, the library, a CMake package
# (find_package(daira CONFIG) → daira::daira) and daira.pc for pkg-config.
# Included at the end of the top-level CMakeLists.txt, after every target exists.
include(CMakePackageConfigHelpers)

# include/daira/version.h, from project(daira VERSION ...).
configure_file(${PROJECT_SOURCE_DIR}/cmake/version.h.in ${PROJECT_BINARY_DIR}/include/daira/version.h @ONLY)

# --- Dependencies of the installed library ----------------------------------------------------------
# A static libdaira does not carry its dependencies: the consumer must link them too. We read what daira
# (and the object libraries it is made of) link, and translate every imported target into
# (a) a find_dependency() line for dairaConfig.cmake and (b) a pkg-config module for daira.pc.
# When someone links a new dependency, add its translation to _daira_dep() below.
function(_daira_dep target out_find out_pc out_libs)
  set(find "")
  set(pc "")
  set(libs "")
  if(target MATCHES "^absl::(.+)$")
    set(find "find_dependency(absl CONFIG)")
    set(pc "absl_${CMAKE_MATCH_1}")
  elseif(target STREQUAL "simdjson::simdjson")
    set(find "find_dependency(simdjson CONFIG)")
    set(pc "simdjson")
  elseif(target STREQUAL "SQLite::SQLite3")
    set(find "find_dependency(SQLite3)")
    set(pc "sqlite3")
  elseif(target STREQUAL "PostgreSQL::PostgreSQL")
    set(find "find_dependency(PostgreSQL)")
    set(pc "libpq")
  elseif(target STREQUAL "CURL::libcurl")
    set(find "find_dependency(CURL)")
    set(pc "libcurl")
  elseif(target STREQUAL "Threads::Threads")
    set(find "find_dependency(Threads)")
    set(libs "-pthread")
  elseif(target STREQUAL "fmt::fmt")
    set(find "find_dependency(fmt CONFIG)")
    set(pc "fmt")
  elseif(target MATCHES "^PkgConfig::(.+)$")
    # pkg_check_modules(<prefix> IMPORTED_TARGET <module>): the prefix names the target.
    set(prefix "${CMAKE_MATCH_1}")
    set(module "${prefix}")
    if(prefix STREQUAL "sodium")
      set(module "libsodium")
    endif()
    set(find "find_dependency(PkgConfig)\npkg_check_modules(${prefix} REQUIRED QUIET IMPORTED_TARGET ${module})")
    set(pc "${module}")
  elseif(target MATCHES "^daira_")
    # an internal target: its objects are inside libdaira
  else()
    message(WARNING "DairaInstall.cmake: daira links '${target}' but no rule tells an installed daira how to "
                    "find it; add one to _daira_dep() or the installed package will not link.")
  endif()
  set(${out_find} "${find}" PARENT_SCOPE)
  set(${out_pc} "${pc}" PARENT_SCOPE)
  set(${out_libs} "${libs}" PARENT_SCOPE)
endfunction()

# Every "ns::name" / "daira_*" target daira links, PUBLIC ones separately (they are part of the API).
function(_daira_collect_links out_public out_all)
  set(all "")
  foreach(t daira ${DAIRA_COMPONENTS})
    foreach(prop LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
      get_target_property(v ${t} ${prop})
      if(v)
        list(APPEND all ${v})
      endif()
    endforeach()
  endforeach()
  get_target_property(pub daira INTERFACE_LINK_LIBRARIES)
  if(NOT pub)
    set(pub "")
  endif()
  foreach(var all pub)
    set(clean "")
    foreach(item IN LISTS ${var})
      if(var STREQUAL "pub" AND item MATCHES "LINK_ONLY")
        continue()  # a static library's private dependency, not part of the API
      endif()
      string(REGEX MATCHALL "[A-Za-z0-9_]+::[A-Za-z0-9_]+" names "${item}")
      list(APPEND clean ${names})
    endforeach()
    list(REMOVE_DUPLICATES clean)
    set(${var} "${clean}")
  endforeach()
  set(${out_public} "${pub}" PARENT_SCOPE)
  set(${out_all} "${all}" PARENT_SCOPE)
endfunction()

_daira_collect_links(_daira_public_links _daira_all_links)
set(DAIRA_FIND_DEPENDENCIES "")
set(DAIRA_PC_REQUIRES "")
set(DAIRA_PC_REQUIRES_PRIVATE "")
set(DAIRA_PC_LIBS_PRIVATE "")
foreach(t IN LISTS _daira_all_links)
  _daira_dep(${t} find pc libs)
  if(find)
    string(FIND "${DAIRA_FIND_DEPENDENCIES}" "${find}" seen)
    if(seen EQUAL -1)
      string(APPEND DAIRA_FIND_DEPENDENCIES "${find}\n")
    endif()
  endif()
  if(pc)
    if(t IN_LIST _daira_public_links)
      list(APPEND DAIRA_PC_REQUIRES ${pc})
    else()
      list(APPEND DAIRA_PC_REQUIRES_PRIVATE ${pc})
    endif()
  endif()
  if(libs)
    list(APPEND DAIRA_PC_LIBS_PRIVATE ${libs})
  endif()
endforeach()
foreach(v DAIRA_PC_REQUIRES DAIRA_PC_REQUIRES_PRIVATE DAIRA_PC_LIBS_PRIVATE)
  list(REMOVE_DUPLICATES ${v})
endforeach()
list(REMOVE_ITEM DAIRA_PC_REQUIRES_PRIVATE ${DAIRA_PC_REQUIRES})
# Private modules become plain link flags (their shared-library --libs), not Requires.private: with
# `pkg-config --static` a Requires.private module would expand to ITS static dependencies too (libpq's
# lists -lpgcommon -lpgport, which Debian ships only in the server dev package), while we link the
# shared driver libraries. Public headers never include a driver header, so no Cflags are needed.
foreach(module IN LISTS DAIRA_PC_REQUIRES_PRIVATE)
  execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --libs ${module} OUTPUT_VARIABLE flags
                  RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(WARNING "DairaInstall.cmake: pkg-config --libs ${module} failed; daira.pc will lack it")
    continue()
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  list(APPEND DAIRA_PC_LIBS_PRIVATE ${flags})
endforeach()
list(REMOVE_DUPLICATES DAIRA_PC_LIBS_PRIVATE)
set(DAIRA_PC_REQUIRES_PRIVATE "")
list(JOIN DAIRA_PC_REQUIRES " " DAIRA_PC_REQUIRES)
list(JOIN DAIRA_PC_REQUIRES_PRIVATE " " DAIRA_PC_REQUIRES_PRIVATE)
list(JOIN DAIRA_PC_LIBS_PRIVATE " " DAIRA_PC_LIBS_PRIVATE)

# --- Install rules ----------------------------------------------------------------------------------
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/daira DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/daira/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/daira)
# daira_warnings stays a build-only detail: nothing in daira's link interface refers to it.
install(TARGETS daira EXPORT dairaTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT dairaTargets NAMESPACE daira:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/daira)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/dairaConfig.cmake.in
  ${PROJECT_BINARY_DIR}/dairaConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/daira)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/dairaConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/dairaConfig.cmake ${PROJECT_BINARY_DIR}/dairaConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/daira)
# daira.pc finds its prefix relative to itself (${pcfiledir}), so an installed tree can be moved and
# `cmake --install --prefix` works without reconfiguring.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(DAIRA_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  set(DAIRA_PC_PREFIX "\${pcfiledir}/..")
  string(REPLACE "/" ";" _daira_libdir_parts "${CMAKE_INSTALL_LIBDIR}")
  foreach(_part IN LISTS _daira_libdir_parts)
    string(APPEND DAIRA_PC_PREFIX "/..")
  endforeach()
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/daira.pc.in ${PROJECT_BINARY_DIR}/daira.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/daira.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# A shared libdaira installed outside the system paths: installed executables find it next to them.
if(BUILD_SHARED_LIBS AND TARGET daira_cli AND NOT IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  file(RELATIVE_PATH _daira_bin_to_lib ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}
       ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR})
  set_target_properties(daira_cli PROPERTIES INSTALL_RPATH "$ORIGIN/${_daira_bin_to_lib}")
endif()
