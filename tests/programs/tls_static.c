/* tls_static: tls_vars linked statically: there is no link_map list, so GDB asks for the
 * executable's TLS with link_map 0, and glibc's libthread_db descriptors are only in the
 * executable's symbol table. The "library" variables are the executable's own here.
 */
#define TLS_STATIC
#include "tls_vars.c"
