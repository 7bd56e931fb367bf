/* Per-key token buckets: `rate` tokens a second, at most `rate` saved up (a one-second
 * burst). A fixed table indexed by key id; keys that share a slot share a bucket only
 * until the slot is taken over, which errs on the side of letting requests through. */
#include <pthread.h>

#include "ltvd/auth.h"
#include "ltvd/util.h"

#define BUCKETS 4096

struct bucket {
  int64_t key_id;
  double tokens;
  double updated;
};

static struct bucket buckets[BUCKETS];
static pthread_mutex_t bucket_lock = PTHREAD_MUTEX_INITIALIZER;

bool ltvd_rate_allow(int64_t key_id, double rate)
{
  if (rate <= 0)
    return true;
  double now = ltvd_monotonic();
  struct bucket *b = &buckets[(uint64_t) key_id % BUCKETS];
  bool ok;

  pthread_mutex_lock(&bucket_lock);
  if (b->key_id != key_id) {
    b->key_id = key_id;
    b->tokens = rate;
    b->updated = now;
  }
  b->tokens += (now - b->updated) * rate;
  if (b->tokens > rate)
    b->tokens = rate;
  b->updated = now;
  ok = b->tokens >= 1;
  if (ok)
    b->tokens -= 1;
  pthread_mutex_unlock(&bucket_lock);
  return ok;
}
