/* The database lock that serialises billrun's writers (run, reprocess,
 * close, db init). Store-internal. */
#ifndef BR_LOCK_H
#define BR_LOCK_H

/* The advisory lock's key (ASCII "billrun"). */
#define BR_LOCK_KEY "27709411998641518"

#endif
