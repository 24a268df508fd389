# What `cmake --install` puts where; the Debian package (package.cmake) is
# the same install under the prefix /usr. Under the prefix: billrun, the two
# scripts, the three manual pages (gzip'd, as Debian wants them), the SQL
# migrations (for reading: the binary carries them) and the crontab (to copy
# to /etc/cron.d on hosts without systemd). Not billrun-gen, a test-data
# generator. The rest belongs to the system and is placed at install time by
# install_system.cmake: units, sysusers.d, tmpfiles.d, /etc/default/billrun.

install(PROGRAMS scripts/fetch-exports scripts/billrun-close-previous
        DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY sql/ DESTINATION ${CMAKE_INSTALL_DATADIR}/billrun/sql
        FILES_MATCHING PATTERN "*.sql")

find_program(BILLRUN_GZIP gzip REQUIRED)
set(BR_MAN_GZ "")
foreach(page billrun fetch-exports billrun-close-previous)
    set(gz ${CMAKE_CURRENT_BINARY_DIR}/man/${page}.1.gz)
    # -n: no name or time stamp inside, so the same page gives the same bytes
    add_custom_command(
        OUTPUT ${gz}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/man
        COMMAND sh -c "\"$1\" -9n -c \"$2\" >\"$3\"" sh ${BILLRUN_GZIP}
                ${CMAKE_CURRENT_SOURCE_DIR}/docs/${page}.1 ${gz}
        DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/docs/${page}.1
        COMMENT "Compressing ${page}(1)"
        VERBATIM)
    list(APPEND BR_MAN_GZ ${gz})
endforeach()
add_custom_target(man ALL DEPENDS ${BR_MAN_GZ})
install(FILES ${BR_MAN_GZ} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

install(CODE "set(BR_SOURCE_DIR \"${CMAKE_CURRENT_SOURCE_DIR}\")
set(BR_STAGING_DIR \"${CMAKE_CURRENT_BINARY_DIR}/install-system\")
set(BR_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
set(BR_DATADIR \"${CMAKE_INSTALL_DATADIR}\")")
install(SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/cmake/install_system.cmake)
