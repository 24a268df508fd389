# The Debian package, the install path for operators (README.md: Install):
#   cpack -G DEB --config BUILD/CPackConfig.cmake -B BUILD/deb
# makes billrun_VERSION_ARCH.deb from a built tree: install.cmake's files
# under /usr (units in /lib/systemd/system, /etc/default/billrun a conffile),
# with maintainer scripts (packaging/debian/) that create the user billrun
# and its folders and keep /etc/default/billrun root:billrun 0640.
# Library dependencies come from dpkg-shlibdeps (dpkg-dev).

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME billrun)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "billrun maintainers <billing-ops@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "batch billing of GPU inference and object storage usage")
set(CPACK_PACKAGE_DESCRIPTION
    "billrun reads the day's usage exports, prices each piece of usage, pays it from\n"
    "free allowances, plans, coupons and prepaid balances, posts every amount to a\n"
    "double-entry ledger in PostgreSQL, and closes each month into XLSX invoices.\n"
    "The package holds billrun, fetch-exports, billrun-close-previous, their manual\n"
    "pages, the SQL schema, systemd units and timers (not enabled) and a crontab.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
# The absolute places of install_system.cmake (/etc, /lib/systemd/system)
# need DESTDIR staging; the prefix seen at install time is then /usr.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# flock and runuser: util-linux; adduser where systemd-sysusers is missing
# fonts-wqy-microhei: the one font file the PDF copies embed (BR_PDF_FONT_FILE)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, util-linux, fonts-wqy-microhei")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "rclone, postgresql-client, systemd | cron")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql, prometheus-node-exporter")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_SOURCE_DIR}/packaging/debian/conffiles
    ${CMAKE_CURRENT_SOURCE_DIR}/packaging/debian/postinst
    ${CMAKE_CURRENT_SOURCE_DIR}/packaging/debian/prerm
    ${CMAKE_CURRENT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
