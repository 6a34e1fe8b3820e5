# Install like a Linux service, and the .deb (`make deb`; docs/service.md).
# `cmake --install BUILD` puts micros and microsctl in bin/, their man pages in share/man/man1/
# and micros.service in lib/systemd/system/ (its ExecStart names the installed micros). The .deb
# is built for prefix /usr (`make deb` configures that): the package's postinst creates the
# system user micros and /var/lib/micros and, where systemd runs, enables and starts the service.
include(GNUInstallDirs)

set(MICROS_BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
configure_file(${CMAKE_SOURCE_DIR}/packaging/micros.service.in
               ${CMAKE_BINARY_DIR}/packaging/micros.service @ONLY)

install(TARGETS micros RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_SOURCE_DIR}/docs/man/micros.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
if(MICROS_CTL)
  install(TARGETS microsctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(FILES ${CMAKE_SOURCE_DIR}/docs/man/microsctl.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()
install(FILES ${CMAKE_BINARY_DIR}/packaging/micros.service DESTINATION lib/systemd/system)

# The .deb (cpack -G DEB). Dependencies come from the binaries (dpkg-shlibdeps: libc6,
# libcjson1, libhttp-parser2.9, libedit2, libgpiod2, zlib1g) plus what the maintainer scripts use.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME micros)
set(CPACK_PACKAGE_VENDOR "micrOS-C")
set(CPACK_PACKAGE_CONTACT "micrOS-C maintainers <micros-c@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "micrOS node in C: micrOS shell, REST API and web UI")
set(CPACK_PACKAGE_DESCRIPTION
    "micrOS-C runs a micrOS node on Linux (PCs, Raspberry Pi): the micrOS TCP shell, the REST API and web UI, Load Modules with simulated pins or real GPIO (libgpiod). It is wire-compatible with micrOS clients. The package runs it as the systemd service micros (user micros, data in /var/lib/micros).")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# useradd/userdel (postinst/postrm) are in passwd, which minimal systems have but not as Essential.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/packaging/postinst ${CMAKE_SOURCE_DIR}/packaging/prerm
    ${CMAKE_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# A cross build (tests/cross, CMAKE_SYSTEM_PROCESSOR arm64/armhf) names the Debian architecture.
if(CMAKE_CROSSCOMPILING)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(arm64|aarch64)$")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(armhf|arm)$")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE armhf)
  endif()
endif()
include(CPack)
