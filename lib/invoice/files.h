/* Folders of documents: made, written aside and published whole. */
#ifndef BR_FILES_H
#define BR_FILES_H

#include "core/status.h"

/* Creates path and its missing parents. */
enum br_status br_files_make_dir(const char *path, struct br_error *err);

/* Removes a folder of files (not recursive); a missing folder is fine. */
enum br_status br_files_remove_dir(const char *path, struct br_error *err);

/* Moves the files of folder `from` into folder `to` (created when missing,
 * files of the same name replaced), removes `from` and syncs both parents. */
enum br_status br_files_publish(const char *from, const char *to, struct br_error *err);

#endif
