# Installs headers, the library, a CMake package (find_package(daira CONFIG)) and daira.pc.
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/daira DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS daira daira_warnings EXPORT dairaTargets
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
configure_file(${PROJECT_SOURCE_DIR}/cmake/daira.pc.in ${PROJECT_BINARY_DIR}/daira.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/daira.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
