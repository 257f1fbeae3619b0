// ZeroMQ (Debian's libzmq3-dev) for the Jupyter kernel. Swift imports zmq.h as it is; the
// inline helpers below give the few macros and variadic-free spellings Swift cannot use.
#include <zmq.h>

/// `zmq_errno()` as a message.
static inline const char *memento_zmq_error(void) { return zmq_strerror(zmq_errno()); }
