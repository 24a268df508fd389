# Run by `cmake --install` (install(SCRIPT) in install.cmake): installs what
# belongs to the system rather than to the prefix, with paths that follow
# the prefix given at install time (cpack's /usr for the Debian package,
# whatever --prefix says otherwise):
#   prefix /usr: /lib/systemd/system, /usr/lib/sysusers.d,
#                /usr/lib/tmpfiles.d, /etc/default/billrun, /etc/billrun/
#   prefix P:    P/lib/systemd/system, P/lib/sysusers.d, P/lib/tmpfiles.d,
#                P/etc/default/billrun, P/etc/billrun/
# so that an install into a scratch prefix writes nothing outside it. The
# units and the crontab name billrun and its scripts in the prefix's bin/.
# DESTDIR is honoured (file(INSTALL) prepends it).
# Set by install.cmake: BR_SOURCE_DIR, BR_STAGING_DIR, BR_BINDIR, BR_DATADIR.

set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
    set(etc "/etc")
    set(unitdir "/lib/systemd/system")
else()
    set(etc "${prefix}/etc")
    set(unitdir "${prefix}/lib/systemd/system")
endif()
set(bindir "${prefix}/${BR_BINDIR}")
set(pkg "${BR_SOURCE_DIR}/packaging")

# name_programs(TEXT OUT): TEXT with billrun's programs named in ${bindir}
# (the files say /usr/bin, the packaged place).
function(name_programs text out)
    if(NOT bindir STREQUAL "/usr/bin")
        string(REGEX REPLACE "/usr/bin/(billrun|fetch-exports|billrun-close-previous)([ \n])"
                             "${bindir}/\\1\\2" text "${text}")
        string(REPLACE "\nPATH=/usr/bin:" "\nPATH=${bindir}:/usr/bin:" text "${text}")
    endif()
    set(${out} "${text}" PARENT_SCOPE)
endfunction()

set(readable OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(REMOVE_RECURSE "${BR_STAGING_DIR}")
file(GLOB units "${pkg}/systemd/*.service" "${pkg}/systemd/*.timer")
foreach(f ${units} "${pkg}/cron/billrun.crontab")
    get_filename_component(name "${f}" NAME)
    file(READ "${f}" text)
    name_programs("${text}" text)
    file(WRITE "${BR_STAGING_DIR}/${name}" "${text}")
    if(name STREQUAL "billrun.crontab")
        file(INSTALL "${BR_STAGING_DIR}/${name}" DESTINATION "${prefix}/${BR_DATADIR}/billrun"
             PERMISSIONS ${readable})
    else()
        file(INSTALL "${BR_STAGING_DIR}/${name}" DESTINATION "${unitdir}" PERMISSIONS ${readable})
    endif()
endforeach()
file(INSTALL "${pkg}/sysusers/billrun.conf" DESTINATION "${prefix}/lib/sysusers.d"
     PERMISSIONS ${readable})
file(INSTALL "${pkg}/tmpfiles/billrun.conf" DESTINATION "${prefix}/lib/tmpfiles.d"
     PERMISSIONS ${readable})

# /etc/billrun/ for seller.conf (and pgpass); /etc/default/billrun, 0640:
# the package's postinst gives it the group billrun. An installed copy is
# the administrator's, with the bucket's keys in it: an install straight
# onto a system (no DESTDIR) keeps it.
file(MAKE_DIRECTORY "$ENV{DESTDIR}${etc}/billrun")
if("$ENV{DESTDIR}" STREQUAL "" AND EXISTS "${etc}/default/billrun")
    message(STATUS "Keeping: ${etc}/default/billrun (yours)")
else()
    file(INSTALL "${pkg}/default/billrun" DESTINATION "${etc}/default"
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
endif()
